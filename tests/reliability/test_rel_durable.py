"""Durability beyond kill -9 at a write: checkpoints while streaming, a stopped lock holder, a
read-only record. Real processes, the real CLI, the sandbox over real HTTP; no mocks.

- kill -9 mid-stream (a real process streaming from the sandbox through ``send_message``):
  the next open keeps the text up to the last checkpoint, marked interrupted; what is lost
  is at most one checkpoint interval of what the process had received (its "screen").
- a writer stopped with SIGSTOP while it holds the record's lock: ``threadtui list`` answers
  at once from disk naming the holder, a writing command exits 1 with "another threadtui (pid
  N) holds the record ... it is stopped (ctrl+z?)" within the bound, and a ``Records``-driven
  write raises ``RecordBusy`` after the bound instead of freezing.
- a read-only record (a snapshot, a backup mount): ``list``, ``list --search --full-text`` and
  ``export`` work and say "read-only record"; a write says why it cannot.
"""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from rel_harness import kills_wanted

from tui.core.record_access import Records
from tui.core.records import Role, ThreadRecord, ThreadStatus, Turn
from tui.core.store import KEPT_TO_CHECKPOINT, ProblemKind, RecordBusy, Store
from tui.sandbox import Sandbox, reply_text

HERE = Path(__file__).parent
pytestmark = pytest.mark.timeout(300)

TOKENS = 4000
EVERY_BYTES = 1000


def _env(data: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "THREADTUI_"))}
    env.update(THREADTUI_DATA_DIR=str(data), THREADTUI_CONFIG=str(data.parent / "none.toml"),
               **extra)
    return env


def _cli(data: Path, *args: str, prefix: tuple[str, ...] = (), **extra: str
         ) -> tuple[subprocess.CompletedProcess[str], float]:
    start = time.monotonic()
    done = subprocess.run([*prefix, sys.executable, "-m", "tui.cli", *args],
                          env=_env(data, **extra), capture_output=True, text=True, timeout=60)
    return done, time.monotonic() - start


def test_kill_9_mid_stream_keeps_the_text_up_to_the_last_checkpoint(
    sandbox: Sandbox, tmp_path: Path, figures: Callable[[str], None]
) -> None:
    sandbox.model.update(tokens=TOKENS, delay_s=0.002)
    kills = kills_wanted(quick=3, full=10)
    losses: list[int] = []
    kept_sizes: list[int] = []
    for n in range(kills):
        data = tmp_path / f"data{n}"
        prompt = f"stream number {n}"
        child = subprocess.Popen(
            [sys.executable, str(HERE / "checkpoint_child.py"), str(data), sandbox.base_url,
             prompt, str(EVERY_BYTES), "1e9"],
            stdout=subprocess.PIPE,
        )
        assert child.stdout is not None
        thread_id = child.stdout.readline().decode().split()[1]
        target = 3 * EVERY_BYTES + 400 * n  # kill at a different place in each interval
        got = 0
        while got < target:
            line = child.stdout.readline()
            assert line.startswith(b"got "), line
            got = int(line.split()[1])
        child.send_signal(signal.SIGKILL)
        rest = child.stdout.read()
        child.wait()
        shown = max([got, *(int(x.split()[1]) for x in rest.splitlines() if x.startswith(b"got"))])
        with Store.open(data) as store:
            problems = store.take_problems()
            assert [p.kind for p in problems] == [ProblemKind.UNANSWERED]
            assert "kept up to the last checkpoint" in problems[0].message
            question, reply = store.transcript(thread_id)
            assert (question.role, question.text) == (Role.USER, prompt)
            assert (reply.role, reply.interrupted, reply.error) == (
                Role.ASSISTANT, True, KEPT_TO_CHECKPOINT
            )
            assert reply_text(prompt, TOKENS).startswith(reply.text)  # exactly what was sent
            assert store.get(thread_id).status is ThreadStatus.INTERRUPTED
            assert not list((data / "replies").iterdir())
        lost = shown - len(reply.text)
        losses.append(lost)
        kept_sizes.append(len(reply.text))
        # At most one checkpoint interval, plus what arrived while the last one was written.
        assert 0 <= lost <= EVERY_BYTES + 500, (shown, len(reply.text))
    figures(f"{kills} kills mid-stream (checkpoint every {EVERY_BYTES} B): kept "
            f"{kept_sizes} chars; lost {losses} chars of what was on screen "
            f"(max {max(losses)}, bound {EVERY_BYTES} + write lag)")


@pytest.fixture
def stopped_holder(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    data = tmp_path / "data"
    with Store.open(data) as store:
        store.upsert(ThreadRecord(id="conv_held", title="held record", profile="acme"))
        store.append_turn("conv_held", Turn(role=Role.USER, text="findable words"))
    holder = subprocess.Popen([sys.executable, str(HERE / "lock_holder_child.py"), str(data)],
                              stdout=subprocess.PIPE)
    assert holder.stdout is not None and holder.stdout.readline() == b"ready\n"
    os.kill(holder.pid, signal.SIGSTOP)
    try:
        yield data, holder.pid
    finally:
        os.kill(holder.pid, signal.SIGCONT)
        holder.kill()
        holder.wait()


def test_a_stopped_lock_holder_is_named_and_nothing_freezes(
    stopped_holder: tuple[Path, int], figures: Callable[[str], None]
) -> None:
    data, pid = stopped_holder
    # Reading needs no lock: the list answers at once from disk and names the holder.
    listed, list_s = _cli(data, "list", "--search", "findable", "--full-text")
    assert listed.returncode == 0, listed.stderr
    assert "conv_held" in listed.stdout
    assert f"another threadtui (pid {pid}) holds the record" in listed.stderr
    assert "it is stopped (ctrl+z?)" in listed.stderr
    # A write waits the bound, then exits 1 with the message and no traceback.
    forgot, forget_s = _cli(data, "forget", "conv_held", "--yes", THREADTUI_LOCK_TIMEOUT="1.5")
    assert forgot.returncode == 1, (forgot.stdout, forgot.stderr)
    assert f"another threadtui (pid {pid}) holds the record" in forgot.stderr
    assert "it is stopped (ctrl+z?)" in forgot.stderr and f"kill -CONT {pid}" in forgot.stderr
    assert "Traceback" not in forgot.stderr
    assert forget_s < 30  # a hang guard, not a timing assertion
    # Through Records (the app's path): the write raises RecordBusy after the bound.
    store = Store.open_read_only(data)  # opening for writing would itself wait the bound
    store.close()

    async def pin() -> RecordBusy:
        writer = Store(data, lock_timeout=1.0)
        records = Records(writer)
        try:
            with pytest.raises(RecordBusy) as caught:
                await records.call(Store.update_thread, "conv_held", pinned=True)
            return caught.value
        finally:
            records.close()
            writer.close()

    start = time.monotonic()
    busy = asyncio.run(pin())
    pin_s = time.monotonic() - start
    assert (busy.pid, busy.stopped) == (pid, True)
    figures(f"stopped holder: list answered in {list_s:.2f} s (no wait); forget exited 1 in "
            f"{forget_s:.2f} s (bound 1.5 s); a Records write raised RecordBusy in {pin_s:.2f} s "
            "(bound 1.0 s)")


def _as_nobody() -> tuple[str, ...] | None:
    """A command prefix that runs as an unprivileged user, or None when none can be had."""
    if os.geteuid() != 0:
        return ()
    try:
        pwd.getpwnam("nobody")
    except KeyError:
        return None
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    return (setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups")


def test_a_read_only_record_can_be_listed_searched_and_exported() -> None:
    prefix = _as_nobody()
    if prefix is None:
        pytest.skip("running as root without setpriv or a 'nobody' user: cannot test read-only")
    base = Path(tempfile.mkdtemp(prefix="threadtui-ro-"))
    try:
        data = base / "data"
        with Store.open(data) as store:
            store.upsert(ThreadRecord(id="conv_snap", title="from the snapshot", profile="acme"))
            store.append_turn("conv_snap", Turn(role=Role.USER, text="needle in the backup"))
            store.append_turn("conv_snap", Turn(role=Role.ASSISTANT, text="the answer"))
        for path in [base, *base.rglob("*")]:
            path.chmod(0o555 if path.is_dir() else 0o444)
        if os.geteuid() != 0:
            probe = data / "probe"
            try:
                probe.touch()
            except OSError:
                pass
            else:
                probe.unlink()
                pytest.skip("this user can still write a 0555 directory")
        listed, _ = _cli(data, "list", prefix=prefix)
        assert listed.returncode == 0, listed.stderr
        assert "conv_snap" in listed.stdout and "read-only record" in listed.stderr
        assert "index.lock" not in listed.stderr
        found, _ = _cli(data, "list", "--search", "needle", "--full-text", prefix=prefix)
        assert found.returncode == 0 and "conv_snap" in found.stdout, found.stderr
        exported, _ = _cli(data, "export", "conv_snap", prefix=prefix)
        assert exported.returncode == 0, exported.stderr
        assert "needle in the backup" in exported.stdout and "the answer" in exported.stdout
        forgot, _ = _cli(data, "forget", "conv_snap", "--yes", prefix=prefix)
        assert forgot.returncode == 1 and "Traceback" not in forgot.stderr
        assert "not allowed to write" in forgot.stderr or "read-only" in forgot.stderr
    finally:
        for path in [base, *base.rglob("*")]:
            path.chmod(0o700)
        shutil.rmtree(base)
