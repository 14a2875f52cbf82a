"""ctrl+q while replies the record refused live only in memory (``Records.pending``).

Quitting then loses their text (the next start can only say they were not stored), so the
app asks first. It is a ``ConfirmScreen``: keys typed ahead never answer it (a sentence that
happens to hold a `y` does not quit), and only `y` quits anyway; `n`, enter and esc, the safe
choice, try writing the replies again (and quit once they are stored).
"""

from __future__ import annotations

from textual.content import Content

from tui.app.screens.confirm import ConfirmScreen
from tui.core.safe_text import one_line
from tui.core.wording import plural


class QuitQuestion(ConfirmScreen):
    """The question itself; its own class so a second ctrl+q can see it is already asked."""


def quit_question(count: int, refusal: str) -> QuitQuestion:
    """Ask before losing ``count`` replies; ``refusal`` is why the record refused them."""
    replies = plural(count, "reply", "replies")
    them = "it" if count == 1 else "them"
    body = Content.assemble(
        (f"{replies} {'is' if count == 1 else 'are'} kept only in memory", "bold"),
        f": the record refused {them} ({one_line(refusal, 200)}).\n\n",
        f"Quitting now loses {them} for good; the next start will only say "
        f"{'it was' if count == 1 else 'they were'} not stored.",
    )
    return QuitQuestion(
        "Quit and lose replies?", body,
        yes=f"Quit anyway, losing {replies}",
        no="Try writing again",
    )
