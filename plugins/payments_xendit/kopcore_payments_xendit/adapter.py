"""Adapter for Xendit's money-in APIs, as its API reference documents them.

======================  ===================================================================
what                    request
======================  ===================================================================
fixed VA                ``POST /callback_virtual_accounts``: ``external_id``, ``bank_code``,
                        ``name``, ``is_closed``, ``expected_amount``, ``is_single_use``,
                        ``expiration_date``; answer ``id``, ``account_number``, ``status``...
QRIS                    ``POST /qr_codes`` with header ``api-version: 2022-07-31``:
                        ``reference_id``, ``type`` ``DYNAMIC``, ``currency``, ``amount``,
                        ``expires_at``; answer ``id`` (``qr_...``), ``qr_string``...
report                  ``GET /transactions`` (Transactions API): ``types=PAYMENT``,
                        ``channel_categories`` ``VIRTUAL_ACCOUNT`` and ``QR_CODE``,
                        ``created[gte]``/``created[lt]``, ``limit``, paged by ``after_id``
======================  ===================================================================

Every request authenticates with HTTP Basic, the secret API key as the user name and an empty
password. A refusal is JSON ``{"error_code", "message"}`` with a 4xx status; it becomes
``payments-gateway-refused`` carrying ``gateway_code``. Anything else (a timeout, a 5xx, a
body that is not Xendit's) becomes ``payments-gateway-unavailable``.

Callbacks carry the ``x-callback-token`` header: the callback verification token of the
Xendit account, compared in constant time with ``KOPCORE_PAYMENTS_XENDIT_CALLBACK_TOKEN``
before the body is read. The fixed VA payment callback's ``payment_id`` is the payment's id;
the QR payment callback (``event: qr.payment``) carries it as ``data.id`` (``qrpy_...``). In the
Transactions API a payment is named by ``product_id`` and its channel by ``reference_id`` (our
``external_id`` / ``reference_id``); its ``fee`` is ``xendit_fee`` plus ``value_added_tax``.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx
from kopcore_payments.errors import BadCallbackToken, GatewayRefused, GatewayUnavailable
from kopcore_payments.gateways import Channel, GatewayConfig, GatewayPayment, Kind

from kopcore.errors import ValidationError
from kopcore_payments_xendit.messages import _

log = logging.getLogger(__name__)

DEFAULT_URL = "https://api.xendit.co"
QR_API_VERSION = "2022-07-31"
PAGE = 50


class Malformed(Exception):
    """Xendit answered something that is not its protocol."""


def _rupiah(value: Any, what: str) -> int:
    """Whole rupiah from a JSON number; IDR amounts at Xendit are whole."""
    if isinstance(value, bool):
        raise Malformed(f"{what}: not a number")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise Malformed(f"{what}: not a number") from None
    if not amount.is_finite() or amount < 0 or amount != amount.to_integral_value():
        raise Malformed(f"{what}: not whole rupiah")
    return int(amount)


def _moment(value: Any, what: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise Malformed(f"{what}: not a timestamp") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class XenditGateway:
    name = "xendit"

    def __init__(self, config: GatewayConfig) -> None:
        self._secret = config.require("secret_key")
        self._token = config.require("callback_token")
        self.url = config.get("url", DEFAULT_URL).rstrip("/")
        try:
            self.timeout = float(Decimal(config.get("timeout", "20")))
        except InvalidOperation:
            raise GatewayUnavailable(_("{variable} must be seconds",
                                       variable=config.variable('timeout'))) from None

    def __repr__(self) -> str:
        return f"XenditGateway(url={self.url!r})"

    # -- transport -------------------------------------------------------------------------------
    def _request(self, method: str, path: str, *, body: dict[str, Any] | None = None,
                 params: list[tuple[str, str | int | float | bool | None]] | None = None,
                 headers: dict[str, str] | None = None) -> Any:
        try:
            with httpx.Client(timeout=httpx.Timeout(self.timeout, connect=5.0),
                              auth=(self._secret, ""), follow_redirects=False) as client:
                response = client.request(method, self.url + path, json=body, params=params,
                                          headers=headers)
        except httpx.HTTPError as exc:
            raise GatewayUnavailable(_("Xendit {path}: {error}; try again", path=path,
                                       error=type(exc).__name__)) \
                from None
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if 400 <= response.status_code < 500 and isinstance(answer, dict) \
                and "error_code" in answer:
            code = str(answer["error_code"])[:64]
            raise GatewayRefused(_("Xendit refused {path}: {code}: {reason}", path=path,
                                   code=code,
                                   reason=str(answer.get('message', ''))[:200]), gateway_code=code)
        if response.status_code != 200 or not isinstance(answer, dict):
            raise GatewayUnavailable(_("Xendit {path}: HTTP {status}", path=path,
                                       status=response.status_code))
        return answer

    # -- channels --------------------------------------------------------------------------------
    def create_va(self, external_id: str, bank_code: str, name: str, *,
                  amount: int | None = None, expires_at: datetime | None = None) -> Channel:
        body: dict[str, Any] = {"external_id": external_id, "bank_code": bank_code,
                                "name": name, "is_closed": amount is not None}
        if amount is not None:
            body.update(expected_amount=amount, is_single_use=True)
        if expires_at is not None:
            body["expiration_date"] = _iso(expires_at)
        answer = self._request("POST", "/callback_virtual_accounts", body=body)
        try:
            return Channel(Kind.VA, str(answer["id"]), str(answer["external_id"]),
                           str(answer["account_number"]), str(answer["bank_code"]),
                           _rupiah(answer["expected_amount"], "expected_amount")
                           if answer.get("is_closed") else None,
                           _moment(answer["expiration_date"], "expiration_date")
                           if answer.get("expiration_date") else None)
        except (KeyError, Malformed) as exc:
            raise GatewayUnavailable(_("Xendit answered a VA without {problem}",
                                       problem=str(exc))) from None

    def create_qris(self, reference_id: str, amount: int, expires_at: datetime) -> Channel:
        answer = self._request("POST", "/qr_codes", headers={"api-version": QR_API_VERSION},
                               body={"reference_id": reference_id, "type": "DYNAMIC",
                                     "currency": "IDR", "amount": amount,
                                     "expires_at": _iso(expires_at)})
        try:
            return Channel(Kind.QRIS, str(answer["id"]), str(answer["reference_id"]),
                           str(answer["qr_string"]), str(answer.get("channel_code", "")),
                           _rupiah(answer["amount"], "amount"),
                           _moment(answer["expires_at"], "expires_at"))
        except (KeyError, Malformed) as exc:
            raise GatewayUnavailable(_("Xendit answered a QR code without {problem}",
                                       problem=str(exc))) from None

    # -- callbacks -------------------------------------------------------------------------------
    def parse_callback(self, body: str, token: str) -> GatewayPayment | None:
        if not hmac.compare_digest(self._token.encode(),
                                   token.encode("utf-8", "surrogateescape")):
            raise BadCallbackToken(_("the x-callback-token does not match the Xendit callback "
                                     "verification token; ignored"))
        try:
            data = json.loads(body)
            if data.get("event") == "qr.payment":
                return self._qr_payment(data["data"])
            if str(data.get("event", "")).startswith("qr."):
                return None  # another QR event (an expired code): nothing paid
            if "callback_virtual_account_id" not in data and "account_number" in data \
                    and "status" in data:
                return None  # the FVA created / updated callback: a VA became active
            if "callback_virtual_account_id" in data:
                return GatewayPayment(
                    str(data["payment_id"])[:128], Kind.VA,
                    str(data["callback_virtual_account_id"])[:64],
                    _rupiah(data["amount"], "amount"),
                    _moment(data["transaction_timestamp"], "transaction_timestamp"),
                    str(data.get("external_id", ""))[:64], currency=str(
                        data.get("currency", "IDR")))
        except (ValueError, KeyError, TypeError, AttributeError, Malformed) as exc:
            raise ValidationError(_("not a Xendit payment callback: {problem}",
                                    problem=str(exc)), field="body") \
                from None
        raise ValidationError(_("not a Xendit payment callback (neither a fixed VA payment nor "
                                "qr.payment)"), field="body")

    def _qr_payment(self, data: dict[str, Any]) -> GatewayPayment | None:
        if data.get("status") != "SUCCEEDED":
            return None  # a payment that did not complete credits nothing
        return GatewayPayment(str(data["id"])[:128], Kind.QRIS, str(data["qr_id"])[:64],
                              _rupiah(data["amount"], "amount"),
                              _moment(data["created"], "created"),
                              str(data.get("reference_id", ""))[:64],
                              currency=str(data.get("currency", "IDR")))

    # -- report ----------------------------------------------------------------------------------
    def payments(self, since: datetime, until: datetime) -> Sequence[GatewayPayment]:
        found: list[GatewayPayment] = []
        after: str | None = None
        for _page in range(1000):
            params: list[tuple[str, str | int | float | bool | None]] = [
                ("types", "PAYMENT"), ("channel_categories", "VIRTUAL_ACCOUNT"),
                ("channel_categories", "QR_CODE"), ("created[gte]", _iso(since)),
                ("created[lt]", _iso(until)), ("limit", str(PAGE))]
            if after:
                params.append(("after_id", after))
            answer = self._request("GET", "/transactions", params=params)
            rows = answer.get("data")
            if not isinstance(rows, list):
                raise GatewayUnavailable(_("Xendit transactions: no data list"))
            for row in rows:
                try:
                    paid = self._transaction(row)
                except (KeyError, TypeError, Malformed) as exc:
                    raise GatewayUnavailable(_("Xendit transactions: malformed row: {problem}",
                                               problem=str(exc))) \
                        from None
                if paid is not None:
                    found.append(paid)
            if not answer.get("has_more") or not rows:
                return found
            after = str(rows[-1]["id"])
        raise GatewayUnavailable(_("Xendit transactions: too many pages"))

    def _transaction(self, row: dict[str, Any]) -> GatewayPayment | None:
        if row.get("type") != "PAYMENT" or row.get("status") != "SUCCESS":
            return None
        kind = {"VIRTUAL_ACCOUNT": Kind.VA, "QR_CODE": Kind.QRIS}.get(row["channel_category"])
        if kind is None:
            return None
        fee = row.get("fee") or {}
        total_fee = _rupiah(fee.get("xendit_fee", 0), "xendit_fee") + \
            _rupiah(fee.get("value_added_tax", 0), "value_added_tax")
        settled = row.get("settlement_status")
        return GatewayPayment(str(row["product_id"])[:128], kind, "",
                              _rupiah(row["amount"], "amount"),
                              _moment(row["created"], "created"),
                              str(row.get("reference_id", ""))[:64], fee=total_fee,
                              settled=settled in ("SETTLED", "EARLY_SETTLED")
                              if settled else None, currency=str(row.get("currency", "IDR")))


def factory(config: GatewayConfig) -> XenditGateway:
    return XenditGateway(config)
