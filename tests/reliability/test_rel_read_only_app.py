"""The installed ``threadtui`` on a record it may not write (issue 14): it opens read-only
instead of refusing to start, says so in the bar, lists the threads, and a message typed is
kept in the composer with the reason, never sent.

A real read-only directory (dirs 0555, files 0444) in a real 80x24 pty. The suite may run as
root, for whom chmod changes nothing: the app is then run as ``nobody`` through ``setpriv``
(as ``test_rel_durable`` runs the CLI). Skipped when neither works.
"""

from __future__ import annotations

import os
import pwd
import shutil
import tempfile
from pathlib import Path

import pexpect
import pyte
import pytest
from pexpect import EOF
from pty_terminal import COLUMNS, LINES, Terminal, installed_threadtui
from rel_harness import dismiss_toast, pty_config, pty_env

from tui.core.records import Role, ThreadRecord, Turn
from tui.core.store import Store
from tui.sandbox import ACME_KEY, Sandbox

pytestmark = pytest.mark.timeout(90)


def _as_nobody() -> tuple[tuple[str, ...], int | None]:
    """(a command prefix that runs the app unprivileged, the uid it runs as); ((), None) when
    this user is unprivileged already. Skips when root cannot become anyone else."""
    if os.geteuid() != 0:
        return (), None
    setpriv = shutil.which("setpriv")
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        nobody = None
    if setpriv is None or nobody is None:
        pytest.skip("running as root without setpriv or a 'nobody' user: chmod cannot make a "
                    "record read-only for root")
    return (setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups"), nobody.pw_uid


class UnprivilegedTerminal(Terminal):
    """The installed ``threadtui`` in a real pty, started through ``prefix`` (setpriv)."""

    def __init__(self, prefix: tuple[str, ...], args: list[str], env: dict[str, str],
                 cwd: Path) -> None:
        if not prefix:
            super().__init__(args, env, cwd)
            return
        self.screen = pyte.Screen(COLUMNS, LINES)
        self.stream = pyte.ByteStream(self.screen)
        self.child = pexpect.spawn(prefix[0], [*prefix[1:], installed_threadtui(), *args],
                                   env=env, cwd=str(cwd), dimensions=(LINES, COLUMNS))


@pytest.mark.slow  # a real pty
def test_threadtui_opens_a_read_only_record_read_only_and_keeps_a_message_typed(
    sandbox: Sandbox,
) -> None:
    prefix, uid = _as_nobody()
    base = Path(tempfile.mkdtemp(prefix="threadtui-ro-app-"))
    try:
        data = base / "data"
        with Store.open(data) as store:
            store.upsert(ThreadRecord(id="conv_snap", title="from the snapshot", profile="acme"))
            store.append_turn("conv_snap", Turn(role=Role.USER, text="an old question"))
        config = pty_config(base / "config.toml", sandbox.base_url)
        env = pty_env(base, REL_ACME_KEY=ACME_KEY)
        if uid is not None:  # the app's own files belong to the user it runs as
            for path in (config, base / "home"):
                os.chown(path, uid, -1)
        for path in [data, *data.rglob("*")]:
            path.chmod(0o555 if path.is_dir() else 0o444)
        base.chmod(0o755)
        if not prefix:
            try:
                (data / "probe").touch()
            except OSError:
                pass
            else:
                pytest.skip("this user can still write a 0555 directory")
        term = UnprivilegedTerminal(prefix, ["--config", str(config), "--data-dir", str(data)],
                                    env, base)
        try:
            # Both, not one then the other from the same read: a read may end mid-frame.
            term.wait_for(lambda screen: "read-only record" in screen
                          and "from the snapshot" in screen,
                          timeout=30, what="the bar's note and the thread listed")
            term.wait_for("1 thread", what="the sidebar's count")
            dismiss_toast(term, "is open read-only")  # it covers the composer
            term.type("kept here")
            term.press("enter")
            dismiss_toast(term, "Sending (your text")
            screen = term.wait_for("kept here", what="the text still in the composer")
            assert "Traceback" not in screen and "Internal error" not in screen
            term.press("\x11")  # ctrl+q
            term.child.expect(EOF, timeout=20)
            term.child.close()
            assert term.child.exitstatus == 0
        finally:
            term.close()
        with Store.open_read_only(data) as store:
            assert [r.id for r in store.list_threads()] == ["conv_snap"]
            assert [t.text for t in store.transcript("conv_snap")] == ["an old question"]
    finally:
        for path in [base, *base.rglob("*")]:
            path.chmod(0o700)
        shutil.rmtree(base)
