"""What the parts of the main screen kept in modules of their own (mixins of ``MainScreen``:
``LongWork``, ``ThreadActions``, ``ReplyFlow``) share: the screen as Textual knows it
(``ScreenPart``), and what each uses of ``MainScreen`` itself (``ScreenBasics``)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, Protocol, cast

from textual.screen import Screen
from textual.worker import Worker

from tui.app import work
from tui.app.widgets.chat import ChatPane
from tui.app.widgets.sidebar import Sidebar
from tui.core.records import Profile


class ScreenBasics(Protocol):
    """What more than one part uses of ``MainScreen`` besides what every Textual screen has;
    each part's ``Host`` adds what only it uses."""

    services: work.Services
    replying: bool
    retry_target: tuple[str, str] | None
    """(thread id, prompt) that ctrl+r sends again."""

    @property
    def chat(self) -> ChatPane: ...

    @property
    def retry_key(self) -> str: ...

    def open_thread(self, thread_id: str, *, focus_composer: bool = True) -> None: ...

    @property
    def profile(self) -> Profile: ...

    @property
    def profile_name(self) -> str: ...

    @property
    def sidebar(self) -> Sidebar: ...

    def run(
        self, job: Coroutine[Any, Any, None], *, group: str, exclusive: bool = False,
        on_error: Callable[[str], object] | None = None,
    ) -> Worker[None]: ...

    def refuse_write(self, what: str) -> bool: ...


class ScreenPart:
    """A mixin of ``MainScreen``: ``self`` is the screen, typed here as Textual's."""

    @property
    def _textual(self) -> Screen[None]:
        return cast(Screen[None], self)
