"""The wall clock in Western Indonesian Time (WIB, UTC+7), replaceable in tests.

Cut-off windows are local times at the provider (PLN's nightly maintenance, around
23:00-00:30 WIB). WIB has had no daylight saving since 1964, so a fixed offset is exact and
needs no time-zone database.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone

WIB = timezone(timedelta(hours=7), "WIB")

_source: Callable[[], datetime] = lambda: datetime.now(WIB)  # noqa: E731


def now() -> datetime:
    """The current time in WIB."""
    return _source().astimezone(WIB)


def set_clock(source: Callable[[], datetime] | None) -> None:
    """Use ``source`` as the clock (tests); ``None`` restores the real one."""
    global _source
    _source = source if source is not None else (lambda: datetime.now(WIB))
