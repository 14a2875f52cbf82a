"""Path templates → handlers, e.g. ``/v1/conversations/{conversation_id}/items``."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .context import Handler
from .errors import ApiError


@dataclass(frozen=True)
class Route:
    """One method + path template, and the API family it belongs to."""

    method: str
    pattern: re.Pattern[str]
    handler: Handler
    family: str


def invalid_url(method: str, path: str) -> ApiError:
    """The real API's answer to a path it does not serve."""
    return ApiError(404, f"Invalid URL ({method} {path})", code=None)


class Router:
    """Finds the handler for a request; unknown paths get the API's "Invalid URL" 404."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, method: str, template: str, handler: Handler, *, family: str) -> None:
        """Register ``handler`` for ``method`` on ``template`` (``{name}`` = one segment)."""
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
        self.routes.append(Route(method, re.compile(f"^{regex}$"), handler, family))

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        """The route and path parameters for this request."""
        for route in self.routes:
            found = route.pattern.match(path)
            if found and route.method == method:
                return route, found.groupdict()
        raise invalid_url(method, path)
