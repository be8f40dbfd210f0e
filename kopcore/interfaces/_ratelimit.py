"""Rate limits for the public routes (signed provider callbacks), which no API key guards.

A :class:`RateLimit` is a token bucket per client address, kept in the worker's memory: each
address may send ``per_minute`` requests in a burst and then one every ``60 / per_minute``
seconds. Beyond that the route answers ``429 too-many-requests`` before reading the body, so
nothing is written (neither the plugin's record of the delivery nor an audit row). With N
worker processes an address gets N times the rate; a real provider sends far fewer.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from kopcore.errors import TooManyRequests, message

#: Addresses remembered at once; the least recently seen is forgotten first (bounded memory
#: whatever the number of addresses a flood comes from).
MAX_ADDRESSES = 10_000
NS_PER_SECOND = 1_000_000_000


class RateLimit:
    """``per_minute`` requests per client address, as a token bucket kept in integer
    nanoseconds: each address's bucket is the time its budget is next full again."""

    def __init__(self, per_minute: int, *, clock: Callable[[], int] = time.monotonic_ns) -> None:
        #: What one request costs, and how far ahead of now the bucket may run (the burst).
        self.interval_ns = 60 * NS_PER_SECOND // per_minute
        self.burst_ns = per_minute * self.interval_ns
        self._clock = clock
        self._buckets: OrderedDict[str, int] = OrderedDict()

    def take(self, address: str) -> None:
        """Spend one request of ``address``; raise :class:`TooManyRequests` when none is
        left, saying in how many seconds the next one is."""
        now = self._clock()
        full_at = max(self._buckets.pop(address, now), now)
        spent = full_at + self.interval_ns
        if spent - now > self.burst_ns:
            self._buckets[address] = full_at
            wait = -(-(spent - now - self.burst_ns) // NS_PER_SECOND)  # whole seconds, rounded up
            raise TooManyRequests(message("too many requests from {address}; retry in "
                                          "{seconds} s", address=address, seconds=wait),
                                  retry_after=wait)
        self._buckets[address] = spent
        while len(self._buckets) > MAX_ADDRESSES:
            self._buckets.popitem(last=False)


__all__ = ["MAX_ADDRESSES", "RateLimit"]
