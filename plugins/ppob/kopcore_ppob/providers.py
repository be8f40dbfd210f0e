"""The provider (aggregator) interface and the offline sandbox provider.

Amounts crossing this interface are integer rupiah, as aggregators quote them. A provider is
chosen by name (``ppob.provider-set``); :data:`PROVIDERS` maps names to factories. Registering
third-party providers (``kopcore-ppob-<aggregator>`` packages) through a hook is not there yet.

Sandbox outcomes, by the **last digit** of the customer number (6-20 digits):

====== ==================================================================
digit  outcome
====== ==================================================================
1      ``transaction`` fails
2      ``transaction`` is pending; ``status`` then says success
3      ``transaction`` is pending; ``status`` then says failed
4      ``transaction`` is pending; ``status`` stays pending
5      ``transaction`` fails; ``status`` later says success (an anomaly)
9      postpaid ``inquiry``: no bill outstanding (nothing to pay)
other  ``transaction`` succeeds at once
====== ==================================================================

The serial number is derived from the ref_id (a 20-digit token for PLN prepaid), and a postpaid
bill from the customer number, so every run gives the same answers.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Callable, Sequence
from typing import Protocol

import attrs

from kopcore.errors import NotFound


class Outcome(enum.StrEnum):
    SUCCESS = "success"
    FAILED = "failed"
    PENDING = "pending"


@attrs.frozen
class PriceItem:
    """One line of a provider's price list. Postpaid: ``price`` is the provider's admin fee."""

    sku: str
    category: str
    brand: str
    name: str
    price: int
    postpaid: bool = False
    available: bool = True


@attrs.frozen
class Bill:
    """A postpaid inquiry's answer: what is owed and the provider's admin fee."""

    customer_name: str
    amount: int
    admin_fee: int


@attrs.frozen
class Result:
    ref_id: str
    outcome: Outcome
    sn: str = ""
    message: str = ""


class Provider(Protocol):
    """What kopcore-ppob needs from an aggregator.

    ``transaction`` is called once per ref_id; ``status`` asks again about the same ref_id (as
    aggregators do by re-sending the transaction) and never starts a second purchase.
    """

    name: str

    def price_list(self) -> Sequence[PriceItem]: ...

    def inquiry(self, ref_id: str, sku: str, customer_no: str) -> Bill: ...

    def transaction(self, ref_id: str, sku: str, customer_no: str) -> Result: ...

    def status(self, ref_id: str, sku: str, customer_no: str) -> Result: ...


SANDBOX_PRICES: tuple[PriceItem, ...] = (
    PriceItem("PLN20", "pln_token", "PLN", "Token PLN 20.000", 20_150),
    PriceItem("PLN50", "pln_token", "PLN", "Token PLN 50.000", 50_150),
    PriceItem("PLN100", "pln_token", "PLN", "Token PLN 100.000", 100_150),
    PriceItem("TSEL10", "pulsa", "TELKOMSEL", "Pulsa Telkomsel 10.000", 10_125),
    PriceItem("TSEL25", "pulsa", "TELKOMSEL", "Pulsa Telkomsel 25.000", 24_900),
    PriceItem("XL10", "pulsa", "XL", "Pulsa XL 10.000", 10_300, available=False),
    PriceItem("TSELDATA5", "paket_data", "TELKOMSEL", "Paket Data Telkomsel 5 GB", 48_500),
    PriceItem("PLNPOST", "pln_postpaid", "PLN", "Tagihan PLN Pascabayar", 1_500, postpaid=True),
    PriceItem("BPJSKS", "bpjs", "BPJS", "BPJS Kesehatan", 1_000, postpaid=True),
    PriceItem("PDAM", "pdam", "PDAM", "Tagihan PDAM", 1_500, postpaid=True),
    PriceItem("TELKOM", "telkom", "TELKOM", "Telkom / Indihome", 1_500, postpaid=True),
)


class SandboxProvider:
    """Offline, deterministic provider for training and tests (see the module's table)."""

    name = "sandbox"

    def price_list(self) -> Sequence[PriceItem]:
        return SANDBOX_PRICES

    def _item(self, sku: str) -> PriceItem:
        for item in SANDBOX_PRICES:
            if item.sku == sku:
                return item
        raise NotFound(f"provider sandbox has no product {sku!r}")

    def inquiry(self, ref_id: str, sku: str, customer_no: str) -> Bill:
        item = self._item(sku)
        if not item.postpaid:
            raise NotFound(f"{sku} is prepaid: it has no bill to inquire")
        if customer_no.endswith("9"):
            raise NotFound(f"no outstanding bill for {customer_no}")
        amount = 50_000 + int(customer_no[-4:]) * 25
        return Bill(f"PELANGGAN {customer_no[-4:]}", amount, item.price)

    def _serial(self, ref_id: str, sku: str) -> str:
        digits = str(int(hashlib.sha256(ref_id.encode()).hexdigest(), 16))[:20].rjust(20, "0")
        if self._item(sku).category == "pln_token":
            return "-".join(digits[i:i + 4] for i in range(0, 20, 4))
        return "SN" + digits[:12]

    def _final(self, ref_id: str, sku: str, customer_no: str, success: bool) -> Result:
        if success:
            return Result(ref_id, Outcome.SUCCESS, self._serial(ref_id, sku), "Transaksi sukses")
        return Result(ref_id, Outcome.FAILED, "", "Transaksi gagal")

    def transaction(self, ref_id: str, sku: str, customer_no: str) -> Result:
        self._item(sku)
        last = customer_no[-1]
        if last in "15":
            return self._final(ref_id, sku, customer_no, False)
        if last in "234":
            return Result(ref_id, Outcome.PENDING, "", "Transaksi sedang diproses")
        return self._final(ref_id, sku, customer_no, True)

    def status(self, ref_id: str, sku: str, customer_no: str) -> Result:
        last = customer_no[-1]
        if last == "4":
            return Result(ref_id, Outcome.PENDING, "", "Transaksi sedang diproses")
        return self._final(ref_id, sku, customer_no, last not in "13")


#: Providers by name. The sandbox is the default until an operator chooses another.
PROVIDERS: dict[str, Callable[[], Provider]] = {"sandbox": SandboxProvider}
DEFAULT_PROVIDER = "sandbox"


def make_provider(name: str) -> Provider:
    try:
        return PROVIDERS[name]()
    except KeyError:
        raise NotFound(f"no PPOB provider named {name!r}; known: {sorted(PROVIDERS)}") from None
