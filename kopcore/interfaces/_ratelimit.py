"""Rate limits for the public routes (signed provider callbacks), which no API key guards.

A :class:`RateLimit` is a token bucket per client address, kept in the worker's memory: each
address may send ``per_minute`` requests in a burst and then one every ``60 / per_minute``
seconds. Beyond that the route answers ``429 too-many-requests`` before reading the body, so
nothing is written (neither the plugin's record of the delivery nor an audit row). With N
worker processes an address gets N times the rate; a real provider sends far fewer.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable

from kopcore.errors import TooManyRequests

#: Addresses remembered at once; the least recently seen is forgotten first (bounded memory
#: whatever the number of addresses a flood comes from).
MAX_ADDRESSES = 10_000


class RateLimit:
    """``per_minute`` requests per client address, as a token bucket."""

    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.refill_per_second = per_minute / 60
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, address: str) -> None:
        """Spend one request of ``address``; raise :class:`TooManyRequests` when none is
        left, saying in how many seconds the next one is."""
        now = self._clock()
        tokens, seen = self._buckets.pop(address, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - seen) * self.refill_per_second)
        if tokens < 1:
            self._buckets[address] = (tokens, now)
            wait = math.ceil((1 - tokens) / self.refill_per_second)
            raise TooManyRequests(f"too many requests from {address}; retry in {wait} s",
                                  retry_after=wait)
        self._buckets[address] = (tokens - 1, now)
        while len(self._buckets) > MAX_ADDRESSES:
            self._buckets.popitem(last=False)


__all__ = ["MAX_ADDRESSES", "RateLimit"]
