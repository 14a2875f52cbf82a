"""The ``threadtui`` console script: the command line, with the cyclic GC paused while it starts.

Importing the app and building its first screen makes a few hundred thousand objects and no
garbage cycles; the collector walked them about 150 times before the first screen (30-55 ms
of the 350 ms a first screen may take). The pause (``tui.core.gc_pause``) is ended by a
command before it runs, and by the app after its first paint.
"""

from __future__ import annotations

import sys

from tui.core.gc_pause import end_start, pause_start


def main() -> int:
    pause_start()
    try:
        from tui.cli import main as cli_main

        return cli_main()
    finally:
        end_start()


if __name__ == "__main__":
    sys.exit(main())
