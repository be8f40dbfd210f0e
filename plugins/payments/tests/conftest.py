"""Fixtures for kopcore-payments' own tests: a cooperative with the offline sandbox gateway."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from kopcore_payments.testing import SANDBOX_TOKEN, PayCoop, StandIn

from kopcore.kernel import Kernel


@pytest.fixture
def sandbox(make_kernel: Callable[..., Kernel], monkeypatch: pytest.MonkeyPatch) -> PayCoop:
    monkeypatch.setenv("KOPCORE_PAYMENTS_SANDBOX_CALLBACK_TOKEN", SANDBOX_TOKEN)
    standin = StandIn()
    coop = PayCoop(make_kernel(plugins=("payments",), extra_plugins=[("standin", standin)]),
                   standin)
    coop.call("payments.settings-set", gateway="sandbox", banks="BRI")
    return coop
