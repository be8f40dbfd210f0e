"""The provider (aggregator) interface, its registry and the offline sandbox provider.

Amounts crossing this interface are integer rupiah, as aggregators quote them. Providers are
offered by plugins through the ``kopcore_ppob_providers`` hook (:mod:`kopcore_ppob.hookspecs`) as
:class:`ProviderSpec` records and chosen by name (``ppob.provider-set``). A provider's settings
and credentials come from the environment (:class:`ProviderConfig`), never from the database.

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
from typing import ClassVar, Protocol, TypeVar

import attrs

from kopcore import providers
from kopcore.context import Context
from kopcore.errors import KopcoreError, NotFound, ValidationError
from kopcore.providers import ProviderSettings, by_name
from kopcore_ppob.errors import ProviderUnavailable
from kopcore_ppob.messages import _


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
    #: The provider's daily cut-off window, local WIB times ``"HH:MM"`` (``""``: none).
    cutoff_start: str = ""
    cutoff_end: str = ""


@attrs.frozen
class BillPeriod:
    """One period of a postpaid bill, as the provider details it (rupiah)."""

    period: str
    bill: int
    penalty: int = 0


@attrs.frozen
class Bill:
    """A postpaid inquiry's answer: what the member owes and the provider's admin fee (rupiah).

    ``amount`` is the bills plus penalties of every period, never the provider's price less the
    admin fee (that price has the cooperative's commission taken off). ``cost`` is what the
    provider will take from the deposit for bill and admin together, when it says."""

    customer_name: str
    amount: int
    admin_fee: int
    periods: tuple[BillPeriod, ...] = ()
    cost: int | None = None


class Reason(enum.StrEnum):
    """Why a provider refused, normalised from its own response codes."""

    NONE = ""
    DEPOSIT_EXHAUSTED = "deposit-exhausted"
    CUT_OFF = "cut-off"
    BAD_SIGNATURE = "bad-signature"
    BILL_NOT_AVAILABLE = "bill-not-available"
    REF_ID_NOT_UNIQUE = "ref-id-not-unique"
    PRICE_ABOVE_MAXIMUM = "price-above-maximum"
    #: A code the provider's documentation does not list: its meaning is not assumed.
    UNKNOWN_CODE = "unknown-code"


@attrs.frozen
class Result:
    ref_id: str
    outcome: Outcome
    sn: str = ""
    message: str = ""
    #: The provider's own response code (Digiflazz ``rc``), for the record.
    code: str = ""
    reason: Reason = Reason.NONE
    #: The provider's deposit after this transaction, in rupiah, when it says.
    balance: int | None = None
    #: What the provider actually took from the deposit for this purchase (rupiah), when it
    #: says; it can differ from the price list fetched earlier.
    price: int | None = None
    #: Whether the answer states the outcome of the purchase made under ``ref_id``. ``False``
    #: for an answer that only refuses *this request* (bad signature, unknown IP, rate limit…):
    #: on a status re-send it says nothing about the original purchase, which stays pending.
    settles: bool = True


class Provider(Protocol):
    """What kopcore-ppob needs from an aggregator.

    ``transaction`` is called once per ref_id; ``status`` asks again about the same ref_id (as
    aggregators do by re-sending the transaction) and never starts a second purchase.
    """

    name: str

    def price_list(self) -> Sequence[PriceItem]: ...

    def inquiry(self, ref_id: str, sku: str, customer_no: str) -> Bill: ...

    def transaction(self, ref_id: str, sku: str, customer_no: str, *,
                    postpaid: bool = False, max_price: int | None = None) -> Result:
        """Buy (prepaid) or pay the inquired bill (``postpaid``) under ``ref_id``.

        ``max_price`` (rupiah): the provider must refuse the sale rather than charge more, where
        it supports that."""
        ...

    def status(self, ref_id: str, sku: str, customer_no: str, *,
               postpaid: bool = False, max_price: int | None = None) -> Result:
        """Ask again about ``ref_id``; never a second purchase. ``max_price`` repeats the
        purchase's, for providers whose status check is the same request sent again."""
        ...

    def balance(self) -> int:
        """The deposit left with the provider, in rupiah."""
        ...

    def parse_callback(self, body: str, signature: str) -> Result:
        """Verify a callback's signature and read the outcome it reports.

        Raises :class:`~kopcore_ppob.errors.BadSignature` when the signature does not verify and
        :class:`~kopcore.errors.ValidationError` when the body is not a callback."""
        ...


@attrs.frozen
class ProviderConfig(ProviderSettings):
    """A provider's settings: environment variables ``KOPCORE_PPOB_<NAME>_<KEY>``.

    Secrets (API keys, webhook secrets) live only here; they are never stored, logged, or
    shown in receipts and error messages (``repr`` hides the values)."""

    PREFIX: ClassVar[str] = "KOPCORE_PPOB"

    def missing(self, variable: str) -> KopcoreError:
        return ProviderUnavailable(_("PPOB provider {provider} is not configured: set "
                                     "{variable}", provider=self.name, variable=variable))


@attrs.frozen
class ProviderSpec:
    """A provider offered through ``kopcore_ppob_providers``."""

    name: str
    factory: Callable[[ProviderConfig], Provider]
    description: str = ""
    #: Talks to a server. End of day asks only offline providers (the sandbox); networked ones
    #: are polled by ``ppob poll`` outside any database transaction, and by their callbacks.
    networked: bool = True
    #: How long the provider documents a purchase may stay pending; a networked purchase
    #: pending longer at end of day is flagged (``ppob.overdue-pending``).
    settlement_minutes: int = 60


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
        raise NotFound(_("provider sandbox has no product '{sku}'", sku=sku))

    def inquiry(self, ref_id: str, sku: str, customer_no: str) -> Bill:
        item = self._item(sku)
        if not item.postpaid:
            raise NotFound(_("{sku} is prepaid: it has no bill to inquire", sku=sku))
        if customer_no.endswith("9"):
            raise NotFound(_("no outstanding bill for {customer}", customer=customer_no))
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

    def transaction(self, ref_id: str, sku: str, customer_no: str, *,
                    postpaid: bool = False, max_price: int | None = None) -> Result:
        self._item(sku)
        last = customer_no[-1]
        if last in "15":
            return self._final(ref_id, sku, customer_no, False)
        if last in "234":
            return Result(ref_id, Outcome.PENDING, "", "Transaksi sedang diproses")
        return self._final(ref_id, sku, customer_no, True)

    def status(self, ref_id: str, sku: str, customer_no: str, *,
               postpaid: bool = False, max_price: int | None = None) -> Result:
        last = customer_no[-1]
        if last == "4":
            return Result(ref_id, Outcome.PENDING, "", "Transaksi sedang diproses")
        return self._final(ref_id, sku, customer_no, last not in "13")

    def balance(self) -> int:
        return 10_000_000

    def parse_callback(self, body: str, signature: str) -> Result:
        raise ValidationError(_("the sandbox provider sends no callbacks"), field="body")


DEFAULT_PROVIDER = "sandbox"


def sandbox_factory(config: ProviderConfig) -> Provider:
    return SandboxProvider()


def registry(ctx: Context) -> dict[str, ProviderSpec]:
    """Every provider offered by the enabled plugins, by name."""
    return by_name(ctx.kernel.plugins.call("kopcore_ppob_providers"), "PPOB provider")


T = TypeVar("T")


def _unavailable(name: str, error: str) -> KopcoreError:
    return ProviderUnavailable(_("PPOB provider {name} did not answer ({error}); try again",
                                 name=name, error=error))


def calling(name: str, what: Callable[[], T]) -> T:
    """Call a provider for the catalogue, an inquiry or the balance: a typed error stays as it
    is, anything else (a vendor's network error) becomes ``ppob-provider-unavailable``."""
    return providers.calling(name, what, _unavailable)


def make_provider(ctx: Context, name: str) -> Provider:
    specs = registry(ctx)
    if name not in specs:
        raise NotFound(_("no PPOB provider named '{name}'; known: {known}",
                         name=name, known=sorted(specs)))
    return specs[name].factory(ProviderConfig.from_env(name, ctx.environment))
