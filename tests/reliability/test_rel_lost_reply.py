"""What "marked interrupted" means after a kill -9 that left no chance to write the reply.

A sender holds the store's in-flight mark for a thread (a shared flock on
``replies/<thread>.reply``) from before the question is written until the reply is. The kernel
drops it when the process dies, so the next process that opens the record (or polls it) finds
an abandoned mark, and if the transcript ends with the question it adds an empty assistant
turn, ``interrupted`` with ``NO_REPLY`` as its error, dated at the question, sets the thread's
status to ``interrupted`` and says so once. The partial text that was on the dead process's
screen is lost: it was never written (see tests/reliability/README.md).

Real processes killed with SIGKILL; no mocks.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tui.core import session
from tui.core.api.factory import make_backend
from tui.core.keys import KeyRing
from tui.core.record_access import Records
from tui.core.records import Profile, Role, ThreadRecord, ThreadStatus, Turn
from tui.core.store import NO_REPLY, ProblemKind, Store
from tui.sandbox import ACME_KEY, Sandbox, reply_text

CHILD = Path(__file__).with_name("lost_reply_child.py")
THREAD = "conv_killed"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def child(data_dir: Path) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []

    def run(mode: str, thread_id: str = THREAD) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [sys.executable, str(CHILD), str(data_dir), thread_id, mode],
            stdout=subprocess.PIPE,
        )
        started.append(process)
        assert process.stdout is not None
        assert process.stdout.readline() == b"ready\n"
        return process

    yield run
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait()


def kill(process: subprocess.Popen[bytes]) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.wait()


def test_a_question_whose_process_was_killed_is_marked_when_the_record_is_next_opened(
    data_dir: Path, child
) -> None:
    process = child("ask")
    # While the sender lives, its question is simply waiting for the reply.
    with Store.open(data_dir) as store:
        assert store.recover_unanswered() == [] and store.recover_unanswered(THREAD) == []
        assert [t.role for t in store.transcript(THREAD)] == [Role.USER]
        assert store.get(THREAD).status is ThreadStatus.OK
    kill(process)

    with Store.open(data_dir) as store:
        problems = store.take_problems()
        assert [p.kind for p in problems] == [ProblemKind.UNANSWERED]
        assert "Killed mid-reply" in problems[0].message and THREAD in problems[0].message
        question, lost = store.transcript(THREAD)
        assert question.text == "will this be answered?"
        assert (lost.role, lost.text, lost.interrupted, lost.error) == (
            Role.ASSISTANT, "", True, NO_REPLY
        )
        assert lost.at == question.at  # the thread does not jump to the top of the list
        record = store.get(THREAD)
        assert record.status is ThreadStatus.INTERRUPTED
        assert record.last_active == question.at
        assert session.unanswered_prompt(store.transcript(THREAD)) == "will this be answered?"
        assert not list((data_dir / "replies").iterdir())  # the mark is gone with the repair
    with Store.open(data_dir) as store:  # once only
        assert store.take_problems() == [] and len(store.transcript(THREAD)) == 2


def test_a_reply_written_before_the_kill_is_left_as_it_is(data_dir: Path, child) -> None:
    kill(child("answered"))
    with Store.open(data_dir) as store:
        assert store.take_problems() == []
        assert [t.text for t in store.transcript(THREAD)] == ["will this be answered?",
                                                             "yes, it was"]
        assert store.get(THREAD).status is ThreadStatus.OK
        assert not list((data_dir / "replies").iterdir())


def test_a_transcript_ending_in_a_question_for_other_reasons_is_not_touched(
    data_dir: Path,
) -> None:
    """A server conversation whose last item is the user's, or an import: no mark, no claim."""
    with Store.open(data_dir) as store:
        store.upsert(ThreadRecord(id=THREAD, title="imported"))
        store.append_turn(THREAD, Turn(role=Role.USER, text="asked elsewhere"))
        assert store.recover_unanswered(THREAD) == [] and store.recover_unanswered() == []
    with Store.open(data_dir) as store:
        assert store.take_problems() == []
        assert len(store.transcript(THREAD)) == 1
        assert store.get(THREAD).status is ThreadStatus.OK


def test_a_gone_thread_keeps_its_status_and_gets_the_lost_turn(data_dir: Path, child) -> None:
    with Store.open(data_dir) as store:
        store.upsert(ThreadRecord(id=THREAD, title="gone", status=ThreadStatus.GONE))
    kill(child("ask"))
    with Store.open(data_dir) as store:
        assert store.get(THREAD).status is ThreadStatus.GONE
        assert store.transcript(THREAD)[-1].error == NO_REPLY


def test_the_next_question_to_a_killed_thread_comes_after_the_lost_reply(
    data_dir: Path, child, sandbox: Sandbox
) -> None:
    """Another session still open (it never reopened the record) sends to the same thread."""
    with Store.open(data_dir) as store:
        profile = Profile(name="acme", api_key_env="K", base_url=sandbox.base_url)
        records = Records(store)
        backend = make_backend(profile, KeyRing(environ={"K": ACME_KEY}), records)

        async def go() -> ThreadRecord:
            record = await session.create_and_record(records, backend, "shared")
            kill(child("ask", record.id))
            async for _ in session.send_message(records, backend, record, "me again"):
                pass
            await backend.aclose()
            records.close()
            return record

        record = asyncio.run(go())
        turns = store.transcript(record.id)
        assert [(t.role, t.text, t.error) for t in turns] == [
            (Role.USER, "will this be answered?", None),
            (Role.ASSISTANT, "", NO_REPLY),
            (Role.USER, "me again", None),
            (Role.ASSISTANT, reply_text("me again"), None),
        ]
        assert store.get(record.id).status is ThreadStatus.OK


def test_replies_in_flight_are_never_marked_by_a_process_polling_at_the_same_time(
    data_dir: Path, sandbox: Sandbox
) -> None:
    """Another session's timer sweeps all the while this one sends: nothing is marked lost."""
    sandbox.model.update(tokens=40, delay_s=0.002)
    stop = threading.Event()
    sweeps = 0

    def poll() -> None:
        nonlocal sweeps
        with Store.open(data_dir) as other:
            while not stop.is_set():
                assert other.recover_unanswered() == []
                sweeps += 1

    with Store.open(data_dir) as store:
        profile = Profile(name="acme", api_key_env="K", base_url=sandbox.base_url)
        records = Records(store)
        backend = make_backend(profile, KeyRing(environ={"K": ACME_KEY}), records)
        poller = threading.Thread(target=poll)
        poller.start()

        async def go() -> str:
            record = await session.create_and_record(records, backend, "busy")
            for n in range(8):
                assert await records.call(Store.recover_unanswered, record.id) == []
                async for _ in session.send_message(records, backend, record, f"q{n}"):
                    assert await records.call(Store.recover_unanswered, record.id) == []
            await backend.aclose()
            records.close()
            return record.id

        try:
            thread_id = asyncio.run(go())
        finally:
            stop.set()
            poller.join()
        turns = store.transcript(thread_id)
        assert len(turns) == 16 and not any(t.error for t in turns)
        assert [t.role for t in turns] == [Role.USER, Role.ASSISTANT] * 8
    assert sweeps > 0
