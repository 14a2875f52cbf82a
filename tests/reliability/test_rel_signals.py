"""SIGHUP, SIGTERM and a terminal that goes away, mid-reply (issue 14).

A real ``threadtui`` in a real pty, a long slow reply from the sandbox over real HTTP, and a
signal (or the pty's master closed) while it streams. After each:
- the process is gone within 3 s, with 129 (SIGHUP, a closed terminal) or 143 (SIGTERM);
- the transcript's last turn is the reply, marked interrupted, its error naming why, and its
  text holds what the screen showed before the signal (a prefix of the sandbox's reply);
- where the terminal remains, it is given back: the output ends by leaving the alternate
  screen with mouse reporting off, and the tty echoes again (``termios`` on the master);
- with SIGHUP ignored (``nohup``) and the terminal closed, the process notices the end of its
  input and stops the same way: it does not spin (its CPU time is read from /proc);
- ``--demo`` stopped by a signal removes its temporary directory;
- a second signal during the stop still ends the process at once.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import termios
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from pty_terminal import Terminal
from rel_harness import pty_config, pty_env, pump_now

from tui.core.records import Role, ThreadStatus
from tui.core.store import Store
from tui.sandbox import ACME_KEY, PERSONAL_KEY, Sandbox, reply_text

pytestmark = [pytest.mark.timeout(120), pytest.mark.slow]  # real ptys

TOKENS = 4000  # ~20 s at 5 ms a piece: still streaming at the signal
QUESTION = "tell me a long story"
GONE_WITHIN_S = 3.0
LEAVE_ALT_SCREEN = b"\x1b[?1049l"
MOUSE_OFF = b"\x1b[?1000l"


class Run:
    """A threadtui in a pty whose every output byte is kept."""

    def __init__(self, term: Terminal) -> None:
        self.term = term
        self.raw = bytearray()
        self.master_closed = False
        feed = term.stream.feed

        def keep(data: bytes) -> None:
            self.raw.extend(data)
            feed(data)

        term.stream.feed = keep  # type: ignore[method-assign]

    @property
    def pid(self) -> int:
        return int(self.term.child.pid)

    def wait_gone(self, timeout: float = GONE_WITHIN_S) -> float:
        """Read the output until the process has exited; the seconds it took."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if not self.master_closed:
                pump_now(self.term)
            if not self.term.child.isalive():
                if not self.master_closed:
                    pump_now(self.term)
                return time.monotonic() - started
            time.sleep(0.02)
        raise AssertionError(
            f"threadtui still running {timeout} s after the stop "
            f"(CPU {cpu_seconds(self.pid):.2f} s); screen:\n{self.term.text}"
        )

    def close_master(self) -> None:
        """Close the pty's master side, as a terminal emulator or sshd does when it goes."""
        self.master_closed = True
        self.term.child.ptyproc.fileobj.close()


def cpu_seconds(pid: int) -> float:
    """utime + stime of a live process (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def ignore_sighup() -> None:
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # what nohup does before exec


def start_streaming(
    sandbox: Sandbox, tmp_path: Path, preexec_fn: Callable[[], None] | None = None
) -> tuple[Run, Path, str]:
    """threadtui with a new chat whose long reply is streaming and visibly past its code
    block; returns the run, the data directory and the reply text visible on screen."""
    config = pty_config(tmp_path / "config.toml", sandbox.base_url)
    data = tmp_path / "data"
    env = pty_env(tmp_path, REL_ACME_KEY=ACME_KEY, REL_HOME_KEY=PERSONAL_KEY)
    sandbox.model.update(tokens=TOKENS, delay_s=0.005)
    term = Terminal(["--config", str(config), "--data-dir", str(data)], env, tmp_path,
                    preexec_fn=preexec_fn)
    run = Run(term)
    term.wait_for("0 threads", what="the empty sidebar")
    term.wait_for(lambda s: "acme" in s, what="the switcher bar")
    term.type(QUESTION)
    term.press("enter")
    term.wait_for("Stop reply", what="the reply streaming (the footer offers esc)")
    term.wait_for("keeps the tests exact", what="the reply's filler text on screen")
    term.settle(0.3)
    assert "Stop reply" in term.text, "the reply must still be streaming at the signal"
    return run, data, visible_reply(term.text)


def visible_reply(screen: str) -> str:
    """The last line of the reply on screen that is a whole run of filler words."""
    lines = [
        line for line in screen.splitlines()
        if re.search(r"(sandbox keeps writing|tests exact|real model|slowing down|few "
                     r"characters)", line)
    ]
    assert lines, screen
    words = re.findall(r"[A-Za-z]+", lines[-1])
    return " ".join(words[1:-1])  # the edges may be cut by a border or a wrap


def last_reply(data: Path) -> tuple[str, str | None, bool, ThreadStatus]:
    with Store.open(data) as store:
        (record,) = store.list_threads()
        turns = store.transcript(record.id)
        assert [t.role for t in turns] == [Role.USER, Role.ASSISTANT], turns
        assert turns[0].text == QUESTION
        reply = turns[-1]
        return reply.text, reply.error, reply.interrupted, record.status


def check_reply_kept(data: Path, visible: str, why: str) -> int:
    text, error, interrupted, status = last_reply(data)
    assert interrupted
    assert error is not None and why in error, error
    assert status is ThreadStatus.INTERRUPTED
    whole = reply_text(QUESTION, TOKENS)
    assert whole.startswith(text) and len(text) < len(whole)  # partial, exactly as streamed
    assert visible in " ".join(re.findall(r"[A-Za-z]+", text)), (visible, text[-300:])
    return len(text)


def check_terminal_given_back(run: Run) -> None:
    tail = bytes(run.raw[-400:])
    assert LEAVE_ALT_SCREEN in tail, tail
    assert MOUSE_OFF in bytes(run.raw[-2000:])
    assert bytes(run.raw).rfind(LEAVE_ALT_SCREEN) > bytes(run.raw).rfind(b"\x1b[?1049h")
    lflag = termios.tcgetattr(run.term.child.child_fd)[3]
    assert lflag & termios.ECHO and lflag & termios.ICANON, "the tty was left raw"


@pytest.mark.parametrize(
    ("signum", "status", "why"),
    [
        (signal.SIGHUP, 129, "SIGHUP (hangup) asked threadtui to stop"),
        (signal.SIGTERM, 143, "SIGTERM asked threadtui to stop"),
    ],
    ids=["SIGHUP", "SIGTERM"],
)
def test_a_signal_mid_reply_keeps_the_partial_reply_and_gives_the_terminal_back(
    sandbox: Sandbox, tmp_path: Path, figures: Callable[[str], None],
    signum: int, status: int, why: str,
) -> None:
    run, data, visible = start_streaming(sandbox, tmp_path)
    os.kill(run.pid, signum)
    took = run.wait_gone()
    assert run.term.child.exitstatus == status, (run.term.child.exitstatus, run.term.text)
    check_terminal_given_back(run)
    said = bytes(run.raw[bytes(run.raw).rfind(LEAVE_ALT_SCREEN):])  # on the restored screen
    assert f"threadtui stopped: {why}".encode() in said, said
    kept = check_reply_kept(data, visible, why)
    figures(f"{signal.Signals(signum).name}: exit {status} after {took:.2f} s, "
            f"{kept:,} characters of the reply kept")
    run.term.child.close()


@pytest.mark.parametrize("sighup", ["delivered", "ignored"])
def test_the_terminal_closing_mid_reply_keeps_the_partial_reply_and_does_not_spin(
    sandbox: Sandbox, tmp_path: Path, figures: Callable[[str], None], sighup: str,
) -> None:
    """The master closed: the kernel hangs the tty up (SIGHUP to threadtui, the session
    leader). With SIGHUP ignored (nohup) only the end of input tells."""
    run, data, visible = start_streaming(
        sandbox, tmp_path, preexec_fn=ignore_sighup if sighup == "ignored" else None
    )
    cpu_before = cpu_seconds(run.pid)
    run.close_master()
    took = None
    try:
        took = run.wait_gone()
    finally:
        if took is None:  # still there: it must at least not spin
            first = cpu_seconds(run.pid)
            time.sleep(1.0)
            spent = cpu_seconds(run.pid) - first
            os.kill(run.pid, signal.SIGKILL)
            pytest.fail(f"still running after the terminal closed; {spent:.2f} s CPU in 1 s")
    assert run.term.child.exitstatus == 129
    kept = check_reply_kept(data, visible, "the terminal closed")
    figures(f"terminal closed, SIGHUP {sighup}: exit 129 after {took:.2f} s "
            f"(CPU before the close {cpu_before:.2f} s), {kept:,} characters kept")


@pytest.mark.parametrize("when", ["while the app stops", "after the app ended"])
def test_a_second_sigterm_during_the_stop_ends_the_process_at_once(
    sandbox: Sandbox, tmp_path: Path, figures: Callable[[str], None], when: str
) -> None:
    """The second SIGTERM lands while the app stops, or once the app has said it stopped
    (the record closing, the process ending): either way the process ends with 143, never
    killed by the signal."""
    run, data, _visible = start_streaming(sandbox, tmp_path)
    os.kill(run.pid, signal.SIGTERM)
    if when == "while the app stops":
        time.sleep(0.05)
    else:
        deadline = time.monotonic() + GONE_WITHIN_S
        while b"threadtui stopped:" not in run.raw and time.monotonic() < deadline:
            pump_now(run.term)
            time.sleep(0.005)
    with contextlib.suppress(ProcessLookupError):  # already gone (a zombie still counts)
        os.kill(run.pid, signal.SIGTERM)
    took = run.wait_gone(1.5)
    assert run.term.child.exitstatus == 143, f"signal {run.term.child.signalstatus}"
    check_terminal_given_back(run)
    Store.open(data).close()  # whatever was written by then, the record opens
    clean = b"threadtui stopped:" in bytes(run.raw)
    figures(f"second SIGTERM {when}: gone {took:.2f} s later, "
            f"{'clean path had finished' if clean else 'hard exit'}")


@pytest.mark.parametrize("how", ["SIGHUP", "SIGTERM", "terminal closed", "SIGTERM twice"])
def test_demo_stopped_removes_its_temporary_directory(tmp_path: Path, how: str) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = pty_env(tmp_path, TMPDIR=str(temp))
    run = Run(Terminal(["--demo"], env, tmp_path))
    run.term.wait_for("Trip packing list", what="the demo's sidebar")
    assert [p.name for p in temp.iterdir() if p.name.startswith("threadtui-demo-")]
    run.term.type("hello demo")
    run.term.press("enter")
    run.term.settle(0.2)  # mid-reply or just after: the directory must go either way
    if how == "terminal closed":
        run.close_master()
    else:
        os.kill(run.pid, getattr(signal, how.split()[0]))
    if how == "SIGTERM twice":
        time.sleep(0.05)
        os.kill(run.pid, signal.SIGTERM)
    run.wait_gone()
    assert run.term.child.exitstatus == (143 if how.startswith("SIGTERM") else 129)
    assert list(temp.iterdir()) == []
