"""The PPOB plugin's typed errors (problem+json ``code`` in parentheses)."""

from __future__ import annotations

from kopcore.errors import Conflict
from kopcore_ppob.messages import _


class CutOff(Conflict):
    """The product is in its cut-off window: the provider refuses now (``ppob-cut-off``)."""

    code = "ppob-cut-off"
    title = _("Product in its cut-off window")


class DepositExhausted(Conflict):
    """The provider's deposit cannot pay this purchase (``ppob-deposit-exhausted``)."""

    code = "ppob-deposit-exhausted"
    title = _("Provider deposit exhausted")


class ProviderUnavailable(Conflict):
    """The provider is not configured or did not answer usefully (``ppob-provider-unavailable``)."""

    code = "ppob-provider-unavailable"
    title = _("PPOB provider unavailable")
    status = 503


class BadSignature(Conflict):
    """A callback whose signature does not verify (``ppob-bad-signature``)."""

    code = "ppob-bad-signature"
    title = _("Callback signature does not verify")
    status = 401


class AnomalyResolved(Conflict):
    """The anomaly was already resolved: each is resolved once (``ppob-anomaly-resolved``)."""

    code = "ppob-anomaly-resolved"
    title = _("PPOB anomaly already resolved")
