"""A process that takes the record's lock and keeps it (the test then SIGSTOPs it: ctrl+z).

    python lock_holder_child.py DATA_DIR

Prints ``ready`` once it holds the lock, and sleeps until killed.
"""

from __future__ import annotations

import os
import sys
import time

from tui.core.store import Store


def main(data_dir: str) -> None:
    store = Store.open(data_dir)
    with store._index.transaction():  # what every write holds while it writes
        os.write(1, b"ready\n")
        time.sleep(600)


if __name__ == "__main__":
    main(sys.argv[1])
