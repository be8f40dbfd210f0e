"""The payments plugin's typed errors (problem+json ``code`` in parentheses)."""

from __future__ import annotations

from kopcore.errors import Conflict, KopcoreError
from kopcore_payments.messages import _


class GatewayUnavailable(Conflict):
    """The gateway is not configured or did not answer usefully
    (``payments-gateway-unavailable``)."""

    code = "payments-gateway-unavailable"
    title = _("Payment gateway unavailable")
    status = 503


class GatewayRefused(Conflict):
    """The gateway refused the request; ``gateway_code`` is its own error code
    (``payments-gateway-refused``)."""

    code = "payments-gateway-refused"
    title = _("Payment gateway refused the request")


class BadCallbackToken(KopcoreError):
    """A callback whose token (or signature) does not verify (``payments-bad-callback-token``).
    Nothing of it is read or credited."""

    code = "payments-bad-callback-token"
    title = _("Callback token does not verify")
    status = 401


class AlreadyResolved(Conflict):
    """The payment is not waiting in suspense (``payments-not-in-suspense``)."""

    code = "payments-not-in-suspense"
    title = _("Payment not in suspense")
