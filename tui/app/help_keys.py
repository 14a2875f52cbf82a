"""Which bindings the help screen lists, grouped by where they work.

Taken from the widgets' own ``BINDINGS`` so the help cannot disagree with the keys; the few
keys handled in code (enter in the composer, up to recall) are described as plain pairs.
The screen's priority keys that act on one widget (``/`` on a message, the filter's keys) are
listed with that widget.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual.binding import Binding, BindingType

from tui.app.screens.confirm import ConfirmScreen
from tui.app.screens.help import HelpGroup
from tui.app.screens.profile_picker import ProfilePicker
from tui.app.widgets.chat import EarlierMessages
from tui.app.widgets.composer import Composer
from tui.app.widgets.find_bar import FindInput
from tui.app.widgets.message import MessageView
from tui.app.widgets.owner_prompt import OwnerPrompt
from tui.app.widgets.sidebar import FilterInput
from tui.app.widgets.thread_list import ThreadList


def _bindings(items: Iterable[BindingType]) -> list[Binding]:
    return [b for b in items if isinstance(b, Binding) and not b.system]


def help_groups(app_bindings: Iterable[BindingType] = ()) -> list[HelpGroup]:
    """The keys by where they work. The app's and the main screen's bindings (passed in) go
    under "Anywhere", but the filter keys the screen handles join the filter box."""
    app_keys = _bindings(app_bindings)
    in_filter = [b for b in app_keys if (b.id or "").startswith(("filter.", "sidebar.filter"))]
    on_message = [b for b in app_keys if b.id == "chat.find_here"]
    return [
        ("Anywhere", [*(b for b in app_keys if b not in in_filter and b not in on_message),
                      ("tab / shift+tab", "Move focus")]),
        (
            "Past chats (sidebar)",
            [("↑ / ↓", "Move"), *_bindings(ThreadList.BINDINGS)],
        ),
        (
            "Filter box",
            [
                ("words", "Match title, id, profile, organization, project, owner"),
                ("?words", "Search the text of every transcript"),
                *_bindings(FilterInput.BINDINGS),
                *in_filter,
            ],
        ),
        ("Chat (a message has focus)", [*_bindings(MessageView.BINDINGS), *on_message,
                                        *_bindings(EarlierMessages.BINDINGS)]),
        (
            "Find bar (ctrl+f)",
            [
                ("words", "Find as you type (any case; a capital: exact case)"),
                *_bindings(FindInput.BINDINGS),
            ],
        ),
        (
            "Composer",
            [
                ("enter", "Send"),
                *_bindings(Composer.BINDINGS),
                ("↑ (when empty)", "Recall the last prompt"),
            ],
        ),
        ("Switch profile (ctrl+o)", _bindings(ProfilePicker.BINDINGS)),
        ("Not-found prompt (shift+tab from the composer)", _bindings(OwnerPrompt.BINDINGS)),
        ("Confirmations", _bindings(ConfirmScreen.BINDINGS)),
    ]
