"""The 404 prompt, inline: which profile owns this thread, or that no profile can see it.

The API answers 404 both for "never existed" and for "belongs to another organization or
project"; only our record (or asking the other profiles) tells them apart. The answer
arrives on its own, while the user may be typing, so it never takes the keyboard: it is a
line at the bottom of the chat pane, the composer keeps the focus, and its keys act only
when the prompt itself has the focus (shift+tab from the composer reaches it). A typed
sentence can therefore neither switch profile nor forget a thread. A legacy Assistants thread
on OpenAI's API (``Verdict.RETIRED``) is said to be retired, never another profile's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from textual.binding import Binding, BindingType
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from tui.app.errors import guarded
from tui.core.ownership import ASSISTANTS_SHUTDOWN
from tui.core.records import Profile, ThreadRecord
from tui.core.safe_text import one_line

Answer = Literal["switch", "stay", "forget"]


def owner_words(profile: Profile, organization: str | None, project: str | None) -> str:
    where = "/".join(one_line(v, 40) for v in (organization, project) if v)
    return f"{profile.name} ({where})" if where else profile.name


class OwnerPrompt(Static, can_focus=True):
    """Offers a switch to the owning profile (y), or, with no owner, to forget (f)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer('switch')", "Switch", id="foreign.switch"),
        Binding("n,escape", "answer('stay')", "Dismiss", id="foreign.stay"),
        Binding("f", "answer('forget')", "Forget locally…", id="foreign.forget"),
    ]

    @dataclass
    class Answered(Message):
        prompt: OwnerPrompt
        answer: Answer

    def __init__(
        self,
        record: ThreadRecord,
        current: str,
        owner: Profile | None,
        *,
        organization: str | None = None,
        project: str | None = None,
        retired: bool = False,
    ) -> None:
        super().__init__("", classes="owner-prompt", markup=False)
        self.record = record
        self.current = current
        self.owner = owner
        self.organization = organization
        self.project = project
        self.retired = retired
        """A legacy Assistants thread on OpenAI's API: nobody's fault and nobody else's."""
        self.update(self._text())

    def _text(self) -> Content:
        title = one_line(self.record.display_title, 60)
        thread = one_line(self.record.id, 80)
        reach = ("shift+tab", "bold $accent")
        if self.owner is not None:
            who = owner_words(self.owner, self.organization, self.project)
            return Content.assemble(
                ("Thread belongs to another profile. ", "bold"),
                f"{thread} ({title}) answered 404 under profile ",
                (one_line(self.current, 30), "bold"), "; it belongs to ",
                (who, "bold $accent"), ".\n", reach, " here, then ", ("y", "bold $accent"),
                f" switches to {one_line(self.owner.name, 24)}, ", ("n", "bold $accent"),
                " dismisses (ctrl+o picks any profile).",
            )
        if self.retired:
            return Content.assemble(
                ("Thread is retired. ", "bold"),
                f"{thread} ({title}) is a legacy Assistants thread: OpenAI shut the Assistants"
                f" API down on {ASSISTANTS_SHUTDOWN}. The local transcript is kept, read-only.\n",
                reach, " here, then ", ("f", "bold $accent"),
                " forgets it locally (asks first), ", ("n", "bold $accent"), " dismisses.",
            )
        return Content.assemble(
            ("Thread is gone. ", "bold"),
            f"No profile can see {thread} ({title}): it was deleted, expired, or its API"
            " was retired. The local transcript stays readable.\n", reach, " here, then ",
            ("f", "bold $accent"), " forgets it locally (asks first), ",
            ("n", "bold $accent"), " dismisses.",
        )

    @guarded
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "answer" and parameters:
            if parameters[0] == "switch":
                return self.owner is not None
            if parameters[0] == "forget":
                return self.owner is None
        return True

    @guarded
    def action_answer(self, answer: Answer) -> None:
        self.post_message(self.Answered(self, answer))
