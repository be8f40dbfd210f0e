"""Providers are plugins: a separate kopcore-ppob-<aggregator> offers one through the
``kopcore_ppob_providers`` hook that kopcore-ppob adds with ``kopcore_add_hookspecs``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal

import pytest
from kopcore_ppob.errors import ProviderUnavailable
from kopcore_ppob.providers import (
    PriceItem,
    Provider,
    ProviderConfig,
    ProviderSpec,
    SandboxProvider,
)
from ppob_coop import Coop, SettlementStandIn

import kopcore
from kopcore.errors import PluginError
from kopcore.kernel import Kernel


class AcmeProvider(SandboxProvider):
    """What a vendor writes: the Provider protocol (here borrowing the sandbox's answers)."""

    name = "acme"

    def __init__(self, config: ProviderConfig) -> None:
        self.token = config.require("token")
        self.broken = config.get("broken") == "1"

    def price_list(self) -> Sequence[PriceItem]:
        if self.broken:
            raise ConnectionResetError("peer went away")
        return super().price_list()


class AcmePlugin:
    """The whole of a kopcore-ppob-acme distribution's plugin object."""

    def __init__(self, name: str = "acme") -> None:
        self.name = name
        self.configs: list[ProviderConfig] = []

    def make(self, config: ProviderConfig) -> Provider:
        self.configs.append(config)
        return AcmeProvider(config)

    @kopcore.hookimpl
    def kopcore_ppob_providers(self) -> Sequence[ProviderSpec]:
        return [ProviderSpec(self.name, self.make, "Acme PPOB", networked=False)]


def test_a_vendor_provider_registers_through_the_hook_and_sells(
        make_kernel: Callable[..., Kernel], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOPCORE_PPOB_ACME_TOKEN", "acme-secret-token")
    standin, acme = SettlementStandIn(), AcmePlugin()
    coop = Coop(make_kernel(plugins=("ppob",), extra_plugins=[("standin", standin),
                                                               ("acme", acme)]), standin)
    listed = coop.call("ppob.providers")
    assert listed["chosen"] == "sandbox"
    assert [(p["name"], p["networked"]) for p in listed["providers"]] == [
        ("acme", False), ("digiflazz", True), ("sandbox", False)]
    coop.call("ppob.provider-set", name="acme")
    coop.call("ppob.sync")
    member = coop.member("100000")
    done = coop.call("ppob.pay", as_user="teller", ref_id="ACME-1", sku="TSEL10",
                     customer_no="081200000000", member=member)
    assert done["status"] == "success"
    assert coop.balance(coop.account_of(member)) == Decimal("89500.00")
    assert acme.configs[-1].get("token") == "acme-secret-token"
    assert "acme-secret-token" not in repr(acme.configs[-1])
    monkeypatch.setenv("KOPCORE_PPOB_ACME_BROKEN", "1")  # a vendor's raw network error
    refused = coop.refused(ProviderUnavailable, "ppob.sync")
    assert "ConnectionResetError" in refused.detail
    coop.books_ok()


def test_two_plugins_offering_one_provider_name_stop_start_up(
        make_kernel: Callable[..., Kernel]) -> None:
    with pytest.raises(PluginError, match=r"'sandbox' is offered by both plugin 'ppob' and "
                                          r"plugin 'impostor'"):
        make_kernel(plugins=("ppob",), extra_plugins=[("impostor", AcmePlugin("sandbox"))])


def test_without_kopcore_ppob_a_provider_plugin_implements_an_unknown_hook(
        make_kernel: Callable[..., Kernel]) -> None:
    with pytest.raises(PluginError, match="unknown hook"):
        make_kernel(extra_plugins=[("acme", AcmePlugin())])
