"""The gateway interface, its records and its registry.

A gateway issues virtual accounts (VA) and QRIS codes, tells of payments into them by callback,
and lists its transactions (the report polling and reconciliation read). Amounts crossing this
interface are integer rupiah, as Indonesian gateways quote them. Gateways are offered through
the ``kopcore_payments_gateways`` hook (:mod:`kopcore_payments.hookspecs`) as
:class:`GatewaySpec` records and chosen by name (``payments.gateway-set``); settings and secrets
come from the environment (:class:`GatewayConfig`), never from the database.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import ClassVar, Protocol, TypeVar

import attrs

from kopcore import providers
from kopcore.context import Context
from kopcore.errors import KopcoreError, NotFound
from kopcore.providers import ProviderSettings, by_name
from kopcore_payments.errors import GatewayUnavailable
from kopcore_payments.messages import _


class Kind(enum.StrEnum):
    VA = "va"
    QRIS = "qris"


@attrs.frozen
class Channel:
    """A virtual account or a QRIS code as the gateway issued it."""

    kind: Kind
    #: The gateway's id of the VA or QR code: what its payments name.
    gateway_ref: str
    #: Our id for it, sent to the gateway (``external_id`` / ``reference_id``).
    external_id: str
    #: The VA number people transfer to, or the QRIS string to render.
    number: str
    bank_code: str = ""
    #: Closed amount (rupiah); ``None``: open amount.
    amount: int | None = None
    expires_at: datetime | None = None


@attrs.frozen
class GatewayPayment:
    """One payment into a channel, from a callback or the gateway's transaction report."""

    #: The gateway's unique id of the payment: each is credited once by it.
    payment_id: str
    kind: Kind
    #: The gateway's id of the VA or QR code paid into ("" when only ``external_id`` is known).
    channel_ref: str
    amount: int
    paid_at: datetime
    #: Our id of the channel (``external_id`` / ``reference_id``), as the gateway repeats it.
    external_id: str = ""
    #: The gateway's fee for it, rupiah, when it says (its report does; callbacks do not).
    fee: int | None = None
    #: Whether the gateway has settled it to the cooperative's bank, when it says.
    settled: bool | None = None
    currency: str = "IDR"


class Gateway(Protocol):
    """What kopcore-payments needs from a payment gateway."""

    name: str

    def create_va(self, external_id: str, bank_code: str, name: str, *,
                  amount: int | None = None, expires_at: datetime | None = None) -> Channel:
        """A fixed VA at ``bank_code``: open amount, or closed at ``amount`` and single use
        until ``expires_at``."""
        ...

    def create_qris(self, reference_id: str, amount: int, expires_at: datetime) -> Channel:
        """A dynamic QRIS code for ``amount`` rupiah, valid until ``expires_at``."""
        ...

    def parse_callback(self, body: str, token: str) -> GatewayPayment | None:
        """Verify a callback as the gateway documents it, then read the payment it reports;
        ``None`` for a verified callback about something else (a VA became active, a QR code
        expired), which is acknowledged and ignored.

        Raises :class:`~kopcore_payments.errors.BadCallbackToken` when it does not verify
        (nothing else is read) and :class:`~kopcore.errors.ValidationError` when a verified
        body is not a payment callback."""
        ...

    def payments(self, since: datetime, until: datetime) -> Sequence[GatewayPayment]:
        """Every payment the gateway received in ``[since, until)``: its transaction report."""
        ...


@attrs.frozen
class GatewayConfig(ProviderSettings):
    """A gateway's settings: environment variables ``KOPCORE_PAYMENTS_<NAME>_<KEY>``.

    Secrets (API keys, callback tokens) live only here; never stored, logged or shown
    (``repr`` hides the values)."""

    PREFIX: ClassVar[str] = "KOPCORE_PAYMENTS"

    def missing(self, variable: str) -> KopcoreError:
        return GatewayUnavailable(_("payment gateway {gateway} is not configured: set "
                                    "{variable}", gateway=self.name, variable=variable))


@attrs.frozen
class GatewaySpec:
    """A gateway offered through ``kopcore_payments_gateways``."""

    name: str
    factory: Callable[[GatewayConfig], Gateway]
    description: str = ""


def registry(ctx: Context) -> dict[str, GatewaySpec]:
    """Every gateway offered by the enabled plugins, by name."""
    return by_name(ctx.kernel.plugins.call("kopcore_payments_gateways"), "payment gateway")


def make_gateway(ctx: Context, name: str) -> Gateway:
    specs = registry(ctx)
    if name not in specs:
        raise NotFound(_("no payment gateway named {name!r}; known: {known}", name=name,
                         known=sorted(specs)))
    return specs[name].factory(GatewayConfig.from_env(name, ctx.environment))


T = TypeVar("T")


def _unavailable(name: str, error: str) -> KopcoreError:
    return GatewayUnavailable(_("payment gateway {name} did not answer ({error}); try again",
                                name=name, error=error))


def calling(name: str, what: Callable[[], T]) -> T:
    """Call a gateway: a typed error stays as it is, anything else (a network error) becomes
    ``payments-gateway-unavailable``."""
    return providers.calling(name, what, _unavailable)
