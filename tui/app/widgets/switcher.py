"""The top bar: which profile, organization, project, key, dialect and model are in use.

The organization and project shown are what the server reported in its response headers once
a request has answered (that is the truth about which account is billed); until then the
configured values are shown, marked with ``?``. Every value is shown as plain text.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.content import Content
from textual.widgets import Static

from tui.app.formatting import one_line
from tui.core.records import Identity, Profile


@dataclass(slots=True)
class BarState:
    """Everything the bar shows, so the app can update it in one assignment."""

    profile: Profile
    key_hint: str | None = None
    identity: Identity | None = None
    key_problem: str | None = None
    busy: str | None = None


class SwitcherBar(Static):
    """One line; its text is rebuilt whenever the app sets ``state``."""

    def __init__(self, state: BarState, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self._state = state

    def on_mount(self) -> None:
        self.update(self.render_state(self._state))

    @property
    def state(self) -> BarState:
        return self._state

    @state.setter
    def state(self, state: BarState) -> None:
        self._state = state
        self.update(self.render_state(state))

    @staticmethod
    def render_state(state: BarState) -> Content:
        profile = state.profile
        identity = state.identity
        if identity is not None and (identity.organization or identity.project):
            organization = identity.organization or profile.organization or "-"
            project = identity.project or profile.project or "-"
            verified = True
        else:
            organization = profile.organization or "(org from key)"
            project = profile.project or "-"
            verified = False
        if state.key_problem:
            key = ("no key", "$text-error bold")
        elif state.key_hint:
            key = (state.key_hint, "")
        else:
            key = ("sk-…", "$text-muted")
        sep = (" │ ", "$text-muted")
        parts: list[str | tuple[str, str]] = [
            (f" {one_line(profile.name, 24)} ", "bold reverse"),
            " ",
            (one_line(organization, 28), "bold" if verified else ""),
            ("" if verified else "?", "$text-muted"),
            ("/", "$text-muted"),
            (one_line(project, 28), ""),
            sep,
            key,
            sep,
            (str(profile.api), ""),
            sep,
            (one_line(profile.model, 32), ""),
        ]
        if state.busy:
            parts.extend([sep, (one_line(state.busy, 30), "$text-warning")])
        return Content.assemble(*parts)
