"""Fixtures for the PPOB plugin's tests: the kernel, ppob, and a stand-in for the savings plugin.

The kernel's fixtures (``make_kernel``...) come from the ``kopcore.testing`` pytest plugin.
``digiflazz`` is the same cooperative using the Digiflazz adapter against a stand-in written from
Digiflazz's documentation (:mod:`digiflazz_double`) on loopback, with the cooperative's API
served on loopback too (its webhooks arrive over HTTP) and the WIB clock set to 10:00 (outside
every cut-off window).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

import pytest
from digiflazz_double import API_KEY, SECRET, USERNAME, DigiflazzDouble
from kopcore_ppob import clock
from kopcore_ppob.testing import RunningServer
from ppob_coop import Coop, SettlementStandIn

from kopcore.kernel import Kernel


@pytest.fixture
def coop(make_kernel: Callable[..., Kernel]) -> Coop:
    standin = SettlementStandIn()
    return Coop(make_kernel(plugins=("ppob",), extra_plugins=[("standin", standin)]), standin)


@pytest.fixture
def wib() -> Iterator[Callable[[int, int], None]]:
    """Set the WIB wall clock: ``wib(23, 30)``. Starts at 10:00."""
    def set_to(hour: int, minute: int) -> None:
        clock.set_clock(lambda: datetime(2026, 1, 5, hour, minute, tzinfo=clock.WIB))

    set_to(10, 0)
    yield set_to
    clock.set_clock(None)


@pytest.fixture
def fake() -> Iterator[DigiflazzDouble]:
    server = DigiflazzDouble().start()
    yield server
    server.stop()


@pytest.fixture
def digiflazz(coop: Coop, fake: DigiflazzDouble, wib: Callable[[int, int], None],
              monkeypatch: pytest.MonkeyPatch) -> Iterator[Coop]:
    for key, value in {"URL": fake.url, "USERNAME": USERNAME, "API_KEY": API_KEY,
                       "WEBHOOK_SECRET": SECRET, "TIMEOUT": "2"}.items():
        monkeypatch.setenv(f"KOPCORE_PPOB_DIGIFLAZZ_{key}", value)
    coop.call("ppob.provider-set", name="digiflazz")
    coop.call("ppob.sync")
    fake.requests.clear()
    with RunningServer(coop.kernel) as server:
        fake.webhook_url = server.callback_url
        yield coop
