"""The app's one error boundary: no exception from a handler or a worker ends the session.

Every action, message handler and watcher of the app's screens and widgets is ``@guarded``
(a test checks that none is missed), and every worker starts through ``MainScreen.run``,
which guards it the same way. A guarded failure is written to the incident log without
local variables and without keys (``tui.core.incidents``), and the user sees one line naming
the incident; what they typed stays where it was. Only an error outside all of this (Textual
itself, a compose) reaches ``ThreadApp``'s last-resort handler, which logs it the same way
and, if the app must stop, stops with that one line instead of Textual's traceback (whose
frames show their local variables, keys among them).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Callable
from typing import Any, Protocol, TypeVar, cast

from tui.core.incidents import Incident

F = TypeVar("F", bound=Callable[..., Any])

GUARD_MARK = "__threadtui_guarded__"


class Reporter(Protocol):
    def report_internal_error(self, error: BaseException, where: str) -> Incident: ...


def report(node: Any, error: BaseException, where: str) -> Incident | None:
    """Hand ``error`` to the app's boundary; never raises (it runs inside except blocks)."""
    try:
        reporter = cast(Reporter, node.app)
        return reporter.report_internal_error(error, where)
    except Exception:  # no app (torn down), or the report failed: nothing more to do
        return None


def guarded(method: F) -> F:
    """Run ``method`` inside the boundary: an exception is reported, not raised."""
    where = method.__qualname__
    if inspect.iscoroutinefunction(method):

        @functools.wraps(method)
        async def guarded_async(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return await method(self, *args, **kwargs)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                report(self, error, where)
                return None

        setattr(guarded_async, GUARD_MARK, True)
        return cast(F, guarded_async)

    @functools.wraps(method)
    def guarded_sync(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except Exception as error:
            report(self, error, where)
            return None

    setattr(guarded_sync, GUARD_MARK, True)
    return cast(F, guarded_sync)


def is_guarded(function: object) -> bool:
    return bool(getattr(function, GUARD_MARK, False))
