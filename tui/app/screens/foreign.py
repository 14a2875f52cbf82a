"""The 404 prompt: which profile owns this thread, and do you want to switch to it?

The API answers 404 both for "never existed" and for "belongs to another organization or
project"; only our record (or probing the other profiles) can tell them apart. When no profile
can see the thread, it is gone: the local transcript stays readable and the user may forget it.

Dismissed with ``"switch"``, ``"stay"`` or ``"forget"``.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.app.errors import guarded
from tui.core.records import Profile, ThreadRecord
from tui.core.safe_text import one_line

Answer = Literal["switch", "stay", "forget"]


def owner_words(profile: Profile, organization: str | None, project: str | None) -> str:
    where = "/".join(one_line(v, 40) for v in (organization, project) if v)
    return f"{profile.name} ({where})" if where else profile.name


class ForeignThreadScreen(ModalScreen[Answer]):
    """Asks y/n to switch to the owner; with no owner, offers to forget the thread locally."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer('switch')", "Switch", id="foreign.switch"),
        Binding("n,escape", "answer('stay')", "Stay", id="foreign.stay"),
        Binding("f", "answer('forget')", "Forget locally", id="foreign.forget"),
    ]

    def __init__(
        self,
        record: ThreadRecord,
        current: str,
        owner: Profile | None,
        *,
        organization: str | None = None,
        project: str | None = None,
    ) -> None:
        super().__init__(classes="dialog-screen")
        self.record = record
        self.current = current
        self.owner = owner
        self.organization = organization
        self.project = project

    def compose(self) -> ComposeResult:
        title = one_line(self.record.display_title, 60)
        thread = one_line(self.record.id, 60)
        with Vertical(classes="dialog -warning"):
            if self.owner is not None:
                yield Static("Thread belongs to another profile", classes="dialog-title")
                who = owner_words(self.owner, self.organization, self.project)
                body = Content.assemble(
                    "Thread ",
                    (thread, "bold"),
                    f" ({title})\nanswered 404 under profile ",
                    (one_line(self.current, 30), "bold"),
                    ".\nIt belongs to profile ",
                    (who, "bold $accent"),
                    ". Switch?",
                )
                keys = Content.assemble(
                    ("y", "bold $accent"), " switch to ", one_line(self.owner.name, 24),
                    "    ", ("n", "bold $accent"), " stay",
                )
            else:
                yield Static("Thread is gone", classes="dialog-title")
                body = Content.assemble(
                    "No profile can see thread ",
                    (thread, "bold"),
                    f" ({title}).\nIt was deleted, expired, or its API was retired."
                    " Its local transcript stays readable.",
                )
                keys = Content.assemble(
                    ("f", "bold $accent"), " forget locally    ", ("n", "bold $accent"), " keep it"
                )
            yield Static(body, classes="dialog-body", markup=False)
            yield Static(keys, classes="dialog-keys", markup=False)

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
        self.dismiss(answer)
