"""The offline sandbox gateway: for training, the demo and tests without a network.

It issues VA numbers and QRIS strings derived from our ``external_id`` (so the same request
gives the same channel) and sends no callbacks: an operator replays one with
``kopcore payments callback --body ... --signature <token>``, the token being
``KOPCORE_PAYMENTS_SANDBOX_CALLBACK_TOKEN`` (unset: every callback is refused). Its body is a
JSON object ``{"payment_id", "channel", "amount", "paid_at"}``: ``channel`` is the VA number or
the bill number, ``amount`` whole rupiah, ``paid_at`` ISO 8601. It has no transaction report,
so a poll finds nothing. Fees: none (set a schedule with ``payments fee-set`` to practise).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from datetime import UTC, datetime

from kopcore.errors import ValidationError
from kopcore_payments.errors import BadCallbackToken
from kopcore_payments.gateways import Channel, GatewayConfig, GatewayPayment, Kind
from kopcore_payments.messages import _

MERCHANT = {"BRI": "26215", "BNI": "8808", "MANDIRI": "88608", "BCA": "10766",
            "PERMATA": "8214", "BSI": "9347"}


def _digits(text: str, count: int) -> str:
    return str(int(hashlib.sha256(text.encode()).hexdigest(), 16))[:count]


class SandboxGateway:
    name = "sandbox"

    def __init__(self, config: GatewayConfig) -> None:
        self._token = config.get("callback_token")

    def create_va(self, external_id: str, bank_code: str, name: str, *,
                  amount: int | None = None, expires_at: datetime | None = None) -> Channel:
        number = MERCHANT.get(bank_code, "99999") + _digits(external_id + bank_code, 10)
        return Channel(Kind.VA, "sbx-va-" + number, external_id, number, bank_code, amount,
                       expires_at)

    def create_qris(self, reference_id: str, amount: int, expires_at: datetime) -> Channel:
        qr = "00020101021226610016ID.CO.SANDBOX" + _digits(reference_id, 20) + "6304SBOX"
        return Channel(Kind.QRIS, "sbx-qr-" + reference_id, reference_id, qr, "", amount,
                       expires_at)

    def parse_callback(self, body: str, token: str) -> GatewayPayment | None:
        if not self._token or not hmac.compare_digest(
                self._token.encode(), token.encode("utf-8", "surrogateescape")):
            raise BadCallbackToken(_("the sandbox callback token does not match; ignored"))
        try:
            data = json.loads(body)
            channel = str(data["channel"])
            kind = Kind.VA if channel.isdigit() else Kind.QRIS
            paid_at = datetime.fromisoformat(str(data.get("paid_at") or
                                                 datetime.now(UTC).isoformat()))
            amount = data["amount"]
            if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
                raise ValueError("amount: positive whole rupiah")
            return GatewayPayment(
                str(data["payment_id"])[:128], kind,
                ("sbx-va-" if kind is Kind.VA else "sbx-qr-") + channel, amount,
                paid_at if paid_at.tzinfo else paid_at.replace(tzinfo=UTC))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValidationError(_("not a sandbox callback: {problem}", problem=str(exc)),
                                  field="body") from None

    def payments(self, since: datetime, until: datetime) -> Sequence[GatewayPayment]:
        return ()


def factory(config: GatewayConfig) -> SandboxGateway:
    return SandboxGateway(config)
