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
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Protocol, TypeVar

import attrs

from kopcore.context import Context
from kopcore.errors import KopcoreError, NotFound, PluginError
from kopcore_payments.errors import GatewayUnavailable
from kopcore_payments.messages import _

log = logging.getLogger(__name__)


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
class GatewayConfig:
    """A gateway's settings: environment variables ``KOPCORE_PAYMENTS_<NAME>_<KEY>``.

    Secrets (API keys, callback tokens) live only here; never stored, logged or shown
    (``repr`` hides the values)."""

    name: str
    values: Mapping[str, str] = attrs.field(factory=dict, repr=False)

    @classmethod
    def from_env(cls, name: str, environ: Mapping[str, str] | None = None) -> GatewayConfig:
        prefix = f"KOPCORE_PAYMENTS_{name.upper().replace('-', '_')}_"
        env = os.environ if environ is None else environ
        return cls(name, {k[len(prefix):].lower(): v for k, v in env.items()
                          if k.startswith(prefix)})

    def variable(self, key: str) -> str:
        return f"KOPCORE_PAYMENTS_{self.name.upper().replace('-', '_')}_{key.upper()}"

    def get(self, key: str, default: str = "") -> str:
        return self.values.get(key, default)

    def require(self, key: str) -> str:
        value = self.values.get(key, "")
        if not value:
            raise GatewayUnavailable(_("payment gateway {gateway} is not configured: set "
                                       "{variable}", gateway=self.name,
                                       variable=self.variable(key)))
        return value


@attrs.frozen
class GatewaySpec:
    """A gateway offered through ``kopcore_payments_gateways``."""

    name: str
    factory: Callable[[GatewayConfig], Gateway]
    description: str = ""


def registry(ctx: Context) -> dict[str, GatewaySpec]:
    """Every gateway offered by the enabled plugins, by name."""
    found: dict[str, tuple[str, GatewaySpec]] = {}
    for plugin, specs in ctx.kernel.plugins.call("kopcore_payments_gateways"):
        for spec in specs:
            if spec.name in found:
                raise PluginError(f"payment gateway {spec.name!r} is offered by both plugin "
                                  f"{found[spec.name][0]!r} and plugin {plugin!r}")
            found[spec.name] = (plugin, spec)
    return {name: spec for name, (_, spec) in found.items()}


def make_gateway(ctx: Context, name: str) -> Gateway:
    specs = registry(ctx)
    if name not in specs:
        raise NotFound(_("no payment gateway named {name!r}; known: {known}", name=name,
                         known=sorted(specs)))
    return specs[name].factory(GatewayConfig.from_env(name, ctx.environment))


T = TypeVar("T")


def calling(name: str, what: Callable[[], T]) -> T:
    """Call a gateway: a typed error stays as it is, anything else (a network error) becomes
    ``payments-gateway-unavailable``."""
    try:
        return what()
    except KopcoreError:
        raise
    except Exception as exc:
        log.warning("payment gateway %s failed: %s", name, type(exc).__name__)
        raise GatewayUnavailable(_("payment gateway {name} did not answer ({error}); try again",
                                   name=name, error=type(exc).__name__)) from None
