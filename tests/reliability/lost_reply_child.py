"""A process that asks a question and is killed before the reply is written (run as a script).

    python lost_reply_child.py DATA_DIR THREAD_ID ask      # question written, then waits
    python lost_reply_child.py DATA_DIR THREAD_ID answered # question and reply, then waits

It holds the store's in-flight mark exactly as ``session.send_message`` does, prints ``ready``
once the writes are on disk, and sleeps until the test kills it with SIGKILL.
"""

from __future__ import annotations

import os
import sys
import time

from tui.core.records import Role, ThreadRecord, Turn
from tui.core.store import Store


def main(data_dir: str, thread_id: str, mode: str) -> None:
    store = Store.open(data_dir)
    if thread_id not in store:
        store.upsert(ThreadRecord(id=thread_id, title="Killed mid-reply", profile="acme"))
    with store.reply_in_flight(thread_id):
        store.append_turn(thread_id, Turn(role=Role.USER, text="will this be answered?"))
        if mode == "answered":
            store.append_turn(thread_id, Turn(role=Role.ASSISTANT, text="yes, it was"))
        os.write(1, b"ready\n")
        time.sleep(600)


if __name__ == "__main__":
    main(*sys.argv[1:4])
