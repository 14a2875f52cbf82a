"""The command palette (ctrl+p): the app's actions by name, plus one entry per profile.

Every entry calls an app action, so the palette, the keys and the help screen do the same
thing; the app decides which entries make sense right now (``ThreadApp.palette_commands``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from tui.app.app import ThreadApp


@dataclass(frozen=True, slots=True)
class PaletteCommand:
    name: str
    help: str
    run: Callable[[], object]


class ThreadCommands(Provider):
    def _commands(self) -> list[PaletteCommand]:
        app = cast("ThreadApp", self.app)
        return app.palette_commands()

    async def discover(self) -> Hits:
        for command in self._commands():
            yield DiscoveryHit(command.name, command.run, help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self._commands():
            score = matcher.match(command.name)
            if score > 0:
                yield Hit(score, matcher.highlight(command.name), command.run, help=command.help)
