"""Building a cooperative's web app faster: what is alike for every cooperative worked out once
per process (the type hints of the route handlers' functions), and no copy of what is made for
one app only (:class:`AppRouter`).

Litestar reads each handler's type hints when the app is built. kopcore's handlers are closures
made for one kernel (one cooperative), so each app has new function objects, but all the
closures of one ``def`` share their code and their annotations, written as strings
(``from __future__ import annotations``): evaluating those strings again for every handler of
every app was most of an app's build (about 0.6 of 1.0 s with two plugins). Here they are
evaluated once per code object and each new function is given the resolved types before
Litestar reads them. Only types are shared: no kernel, setting or data of a cooperative.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from types import CodeType
from typing import Any

from litestar import Router
from litestar.utils.signature import get_fn_type_hints


class AppRouter(Router):
    """A router built for one app (its handlers close over one cooperative's kernel) and
    registered in that app only: Litestar deep-copies a router it registers, so that one router
    can serve in several apps; this one is registered as it is (about a tenth of an app's
    build)."""

    def __deepcopy__(self, memo: dict[int, Any]) -> AppRouter:
        return self


_hints: dict[tuple[CodeType, str], dict[str, Any] | None] = {}
_lock = threading.Lock()


def _resolved(fn: Any) -> dict[str, Any] | None:
    key = (fn.__code__, fn.__module__)
    with _lock:
        if key in _hints:
            return _hints[key]
    try:
        hints: dict[str, Any] | None = get_fn_type_hints(fn)
    except Exception:  # a name only the handler's own signature namespace gives: left to it
        hints = None
    with _lock:
        _hints[key] = hints
    return hints


def resolve_handler_hints(handlers: Iterable[Any]) -> None:
    """Give each handler's function (and those of the routers' handlers) its annotations as
    types, evaluated once per code object."""
    for handler in handlers:
        if isinstance(handler, Router):
            resolve_handler_hints(inner for route in handler.routes
                                  for inner in getattr(route, "route_handlers", ()))
            continue
        fn = getattr(handler, "fn", None)
        annotations = getattr(fn, "__annotations__", None)
        if not isinstance(getattr(fn, "__code__", None), CodeType) or not annotations or \
                not any(isinstance(value, str) for value in annotations.values()):
            continue
        hints = _resolved(fn)
        if hints is not None and set(hints) == set(annotations):
            fn.__annotations__ = dict(hints)


__all__ = ["AppRouter", "resolve_handler_hints"]
