"""Pick a profile by typing part of its name (or organization, project, model) and enter.

The list shows only configuration: nothing here touches the network or runs a key command,
so the picker opens instantly even when a profile's key comes from a slow password manager.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from tui.app.errors import guarded
from tui.app.screens.list_picker import ListPicker
from tui.core.records import Profile
from tui.core.safe_text import one_line


def profile_prompt(profile: Profile, current: str | None) -> Content:
    marker = ("● ", "$accent") if profile.name == current else ("  ", "")
    where = "/".join(one_line(v, 28) for v in (profile.organization, profile.project) if v)
    return Content.assemble(
        marker,
        (one_line(profile.name, 24), "bold"),
        ("  " + (where or "org set by the key"), "$text-muted"),
        (f"  {profile.api} · {one_line(profile.model, 24)}", "$text-muted"),
    )


def profile_matches(profile: Profile, query: str) -> bool:
    words = query.lower().split()
    hay = " ".join(
        v or ""
        for v in (
            profile.name,
            profile.organization,
            profile.project,
            profile.model,
            str(profile.api),
            profile.owner,
        )
    ).lower()
    return all(word in hay for word in words)


def match_rank(profile: Profile, query: str) -> int:
    """0 for the exact name, 1 for a name that starts with the query, 2 for any other match:
    typing ``acme`` must land on ``acme``, not on ``acme-legacy`` listed before it."""
    wanted = query.strip().lower()
    name = profile.name.lower()
    if wanted and name == wanted:
        return 0
    if wanted and name.startswith(wanted):
        return 1
    return 2


class ProfilePicker(ListPicker):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="picker.cancel"),
        Binding("down", "move(1)", "Down", show=False, id="picker.down"),
        Binding("up", "move(-1)", "Up", show=False, id="picker.up"),
        Binding("enter", "choose", "Switch", id="picker.choose"),
    ]

    def __init__(
        self,
        profiles: Sequence[Profile],
        current: str,
        *,
        title: str = "Switch profile",
        keys: str = "enter switches · esc cancels",
        settle_seconds: float = 0.0,
    ) -> None:
        # Where choosing makes something (a copy of a thread), an enter typed ahead with the
        # key that opened the picker must not choose: it is ignored until the picker settles.
        super().__init__(current, settle_seconds)
        self._profiles = list(profiles)
        self._title = title  # the same picker chooses where a thread is continued
        self._keys = keys

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="picker"):
            yield Static(self._title, classes="dialog-title", markup=False)
            yield Input(placeholder="type to filter", id="picker-filter", compact=True)
            yield OptionList(id="picker-list", markup=False)
            yield Static(self._keys, classes="dialog-keys", markup=False)

    def options(self, query: str) -> list[Option]:
        shown = [p for p in self._profiles if profile_matches(p, query)]
        if query.strip():
            # The best match first (sorted() is stable: config order among equals), and the
            # highlight on it, even when the current profile also matches.
            shown.sort(key=lambda p: match_rank(p, query))
        return [Option(profile_prompt(p, self._current), id=p.name) for p in shown]

    @on(Input.Submitted, "#picker-filter")
    @guarded
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_choose()

    @guarded
    def action_choose(self) -> None:
        self.choose_highlighted()
