"""The public routes' rate limit: a token bucket per client address, in bounded memory."""

from __future__ import annotations

import pytest

from kopcore.errors import TooManyRequests
from kopcore.interfaces import _ratelimit as ratelimit
from kopcore.interfaces._ratelimit import RateLimit

SECOND = 1_000_000_000


class Clock:
    def __init__(self) -> None:
        self.now = 1000 * SECOND

    def __call__(self) -> int:
        return self.now


def test_a_burst_of_the_rate_then_one_request_per_interval() -> None:
    clock = Clock()
    limit = RateLimit(60, clock=clock)
    for _ in range(60):
        limit.take("10.0.0.1")
    with pytest.raises(TooManyRequests) as refused:
        limit.take("10.0.0.1")
    assert refused.value.extra == {"retry_after": 1}
    assert refused.value.status == 429
    limit.take("10.0.0.2")  # another address has its own bucket
    clock.now += SECOND
    limit.take("10.0.0.1")  # one second refills one request
    with pytest.raises(TooManyRequests):
        limit.take("10.0.0.1")
    clock.now += 3600 * SECOND
    for _ in range(60):  # an hour later: a full burst again, never more
        limit.take("10.0.0.1")
    with pytest.raises(TooManyRequests):
        limit.take("10.0.0.1")


def test_memory_stays_bounded_whatever_the_number_of_addresses(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ratelimit, "MAX_ADDRESSES", 100)
    limit = RateLimit(5, clock=Clock())
    for n in range(1000):
        limit.take(f"10.0.{n // 256}.{n % 256}")
    assert len(limit._buckets) == 100
