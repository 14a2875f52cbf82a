"""A process that streams a reply from the sandbox and is killed with SIGKILL mid-stream.

    python checkpoint_child.py DATA_DIR BASE_URL PROMPT EVERY_BYTES EVERY_SECONDS

It sends PROMPT through the real session flow (``session.send_message``, the real openai SDK,
a real Store behind ``Records``) with the given checkpoint settings, prints ``thread ID`` once
the thread is recorded, then ``got N`` after every delta (N: characters received so far, i.e.
what was on screen), unbuffered, until the test kills it.
"""

from __future__ import annotations

import asyncio
import os
import sys

from tui.core import session
from tui.core.api.base import TextDelta
from tui.core.api.factory import make_backend
from tui.core.keys import KeyRing
from tui.core.record_access import Records
from tui.core.records import Profile
from tui.core.store import Store
from tui.sandbox import ACME_KEY


async def main(data_dir: str, base_url: str, prompt: str, every_bytes: str, seconds: str) -> None:
    store = Store.open(data_dir)
    records = Records(store)
    profile = Profile(name="acme", api_key_env="K", base_url=base_url)
    backend = make_backend(profile, KeyRing(environ={"K": ACME_KEY}), records, max_retries=0)
    record = await session.create_and_record(records, backend, "Killed while streaming")
    os.write(1, f"thread {record.id}\n".encode())
    policy = session.Checkpoints(every_seconds=float(seconds), every_bytes=int(every_bytes))
    received = 0
    async for event in session.send_message(records, backend, record, prompt, checkpoints=policy):
        if isinstance(event, TextDelta):
            received += len(event.text)
            os.write(1, f"got {received}\n".encode())
    os.write(1, b"done\n")


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:6]))
