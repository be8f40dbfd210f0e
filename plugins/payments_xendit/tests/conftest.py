"""Fixtures for kopcore-payments-xendit's tests: a cooperative with payments and this gateway
plugin, Xendit's stand-in (:mod:`xendit_double`) on loopback and the cooperative's API served
on loopback, so the stand-in's callbacks arrive over HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from kopcore_payments.testing import PayCoop, RunningServer, StandIn
from xendit_double import CALLBACK_TOKEN, SECRET_KEY, XenditDouble

from kopcore.kernel import Kernel


@pytest.fixture
def xendit() -> Iterator[XenditDouble]:
    server = XenditDouble().start()
    yield server
    server.stop()


@pytest.fixture
def configure_xendit(xendit: XenditDouble, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {"URL": xendit.url, "SECRET_KEY": SECRET_KEY,
                       "CALLBACK_TOKEN": CALLBACK_TOKEN, "TIMEOUT": "5"}.items():
        monkeypatch.setenv(f"KOPCORE_PAYMENTS_XENDIT_{key}", value)


@pytest.fixture
def coop(request: pytest.FixtureRequest, make_kernel: Callable[..., Kernel],
         xendit: XenditDouble, configure_xendit: None) -> Iterator[PayCoop]:
    """Settings overrides come from indirect parametrisation (``approval_thresholds``...)."""
    standin = StandIn()
    overrides = getattr(request, "param", {})
    coop = PayCoop(make_kernel(plugins=("payments", "payments_xendit"),
                               extra_plugins=[("standin", standin)], **overrides), standin)
    coop.call("payments.settings-set", gateway="xendit", banks="BRI,BNI")
    # Xendit's Indonesian pricing: IDR 4,000 per VA payment, 0.7% MDR per QRIS, plus 11% VAT.
    coop.call("payments.fee-set", kind="va", fixed="4440")
    coop.call("payments.fee-set", kind="qris", rate_ppm=7770)
    with RunningServer(coop.kernel) as server:
        xendit.webhook_url = server.callback_url
        yield coop
