"""Fixtures for kopcore-ppob-iak's tests: a cooperative with ppob and this provider plugin, IAK's
stand-in (:mod:`ppob_iak_double`) on loopback and the cooperative's API served on loopback (the
stand-in's callbacks arrive over HTTP). The WIB clock is set to 10:00."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

import pytest
from kopcore_ppob import clock
from kopcore_ppob.testing import Coop, RunningServer, SettlementStandIn
from ppob_iak_double import API_KEY, USERNAME, IakDouble

from kopcore.kernel import Kernel


@pytest.fixture
def iak_double() -> Iterator[IakDouble]:
    server = IakDouble().start()
    yield server
    server.stop()


@pytest.fixture
def configure_iak(iak_double: IakDouble, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {"URL": iak_double.url, "USERNAME": USERNAME, "API_KEY": API_KEY,
                       "TIMEOUT": "0.5"}.items():
        monkeypatch.setenv(f"KOPCORE_PPOB_IAK_{key}", value)


@pytest.fixture
def wib_ten() -> Iterator[None]:
    clock.set_clock(lambda: datetime(2026, 1, 5, 10, 0, tzinfo=clock.WIB))
    yield
    clock.set_clock(None)


@pytest.fixture
def iak(make_kernel: Callable[..., Kernel], iak_double: IakDouble, configure_iak: None,
        wib_ten: None) -> Iterator[Coop]:
    standin = SettlementStandIn()
    coop = Coop(make_kernel(plugins=("ppob", "ppob_iak"),
                            extra_plugins=[("standin", standin)]), standin)
    coop.call("ppob.provider-set", name="iak")
    coop.call("ppob.sync")
    iak_double.requests.clear()
    with RunningServer(coop.kernel) as server:
        iak_double.webhook_url = server.callback_url
        yield coop
