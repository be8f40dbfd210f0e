"""A stand-in for Xendit's money-in APIs, written from Xendit's public API reference.

It serves real HTTP on 127.0.0.1 (an ephemeral port) and sends its callbacks over real HTTP to
the URL it is given, with the ``x-callback-token`` header. Each field comes from Xendit's
documentation, section by section:

- **Authentication** (developers.xendit.co/api-reference/#authentication): HTTP Basic, the
  secret API key as the user name, the password empty; a wrong key is refused with 401
  ``{"error_code": "INVALID_API_KEY", "message": ...}``. Every error is JSON with
  ``error_code`` and ``message``.
- **Fixed Virtual Accounts > Create Fixed Virtual Account**
  (developers.xendit.co/api-reference/#create-fixed-virtual-account and the example in
  docs.xendit.co/xenpayments/virtual-account/testing): ``POST /callback_virtual_accounts``,
  request ``external_id`` (required), ``bank_code`` (required: BCA, BNI, BRI, BJB, BSI, CIMB,
  MANDIRI, PERMATA, SAHABAT_SAMPOERNA), ``name`` (required; letters and spaces),
  ``virtual_account_number``, ``suggested_amount``, ``is_closed``, ``expected_amount``
  (required when ``is_closed``), ``expiration_date``, ``is_single_use``, ``description``;
  answer ``id``, ``owner_id``, ``external_id``, ``bank_code``, ``merchant_code``, ``name``,
  ``account_number`` (merchant code + number), ``is_closed``, ``expected_amount``,
  ``expiration_date``, ``is_single_use``, ``status`` (``PENDING``, then ``ACTIVE``;
  ``INACTIVE`` once a single-use VA is paid or it expired), ``currency``, ``country``. Errors
  400 ``API_VALIDATION_ERROR``, ``BANK_NOT_SUPPORTED_ERROR``,
  ``EXPECTED_AMOUNT_REQUIRED_ERROR``, ``DUPLICATE_CALLBACK_VIRTUAL_ACCOUNT_ERROR`` (the same
  ``external_id`` at the same bank).
- **Fixed Virtual Accounts > Fixed Virtual Account Payment callback**
  (developers.xendit.co/api-reference/#fixed-virtual-account-callbacks): ``POST`` to the FVA
  paid callback URL with header ``x-callback-token``; body ``id``, ``payment_id``,
  ``callback_virtual_account_id``, ``owner_id``, ``external_id``, ``account_number``,
  ``bank_code``, ``amount``, ``merchant_code``, ``transaction_timestamp``, ``sender_name``,
  ``currency``, ``country``, ``created``, ``updated``. Xendit retries a delivery that is not
  answered 2xx. A closed VA takes only ``expected_amount``; a single-use VA one payment; an
  expired VA none (the bank refuses them).
- **Fixed Virtual Accounts > Fixed Virtual Account created / updated callback** (same page):
  sent to the FVA created callback URL when a VA becomes ``ACTIVE``, with the VA's fields
  (``id``, ``owner_id``, ``external_id``, ``bank_code``, ``merchant_code``, ``name``,
  ``account_number``, ``is_closed``, ``expected_amount``, ``expiration_date``,
  ``is_single_use``, ``status``, ``currency``, ``country``, ``created``, ``updated``) and
  ``x-callback-token``.
- **QR Codes (api-version 2022-07-31) > Create QR Code**
  (developers.xendit.co/api-reference/#create-qr-code, docs.xendit.co/qr-codes/test-guideline):
  ``POST /qr_codes`` with headers ``api-version: 2022-07-31`` and Basic auth; request
  ``reference_id`` (required), ``type`` (``DYNAMIC`` / ``STATIC``), ``currency`` (``IDR``),
  ``amount`` (required for ``DYNAMIC``), ``expires_at``, ``channel_code`` (default
  ``ID_DANA``), ``metadata``; answer ``id`` (``qr_...``), ``reference_id``, ``business_id``,
  ``type``, ``currency``, ``amount``, ``channel_code``, ``status`` (``ACTIVE``), ``qr_string``,
  ``expires_at``, ``created``, ``updated``, ``metadata``. Errors 400
  ``API_VALIDATION_ERROR``, 409 ``DUPLICATE_ERROR`` (``reference_id`` already used).
- **QR Codes > QR Code payment callback** (developers.xendit.co/api-reference/#qr-code-callback):
  header ``x-callback-token``; body ``event`` ``qr.payment``, ``api_version`` ``2022-07-31``,
  ``business_id``, ``created``, ``data``: ``id`` (``qrpy_...``), ``business_id``,
  ``currency``, ``amount``, ``status`` ``SUCCEEDED``, ``created``, ``qr_id``, ``qr_string``,
  ``reference_id``, ``type``, ``channel_code``, ``expires_at``, ``metadata``,
  ``payment_detail`` (``receipt_id``, ``source``, ``name``, ``account_details``).
- **Transactions API > List transactions**
  (developers.xendit.co/api-reference/#list-transactions): ``GET /transactions`` with
  ``types``, ``channel_categories`` (repeatable), ``created[gte]``, ``created[lt]``,
  ``limit``, ``after_id``; answer ``has_more``, ``data`` (``id`` ``txn_...``, ``product_id``,
  ``type`` ``PAYMENT``, ``status`` ``SUCCESS``, ``channel_category`` ``VIRTUAL_ACCOUNT`` /
  ``QR_CODE``, ``channel_code``, ``reference_id``, ``account_identifier``, ``currency``,
  ``amount``, ``cashflow`` ``MONEY_IN``, ``settlement_status`` ``PENDING`` / ``SETTLED``,
  ``estimated_settlement_time``, ``business_id``, ``created``, ``updated``, ``fee``:
  ``xendit_fee``, ``value_added_tax``, ``xendit_withholding_tax``,
  ``third_party_withholding_tax``, ``status``) and ``links``.

Fees follow Xendit's published Indonesian pricing: IDR 4,000 per VA payment and 0.7% MDR per
QRIS payment, each with 11% VAT. The test controls (``pay_va``, ``pay_qr``, ``deliver``,
``settle``...) are the double's own; it records every request.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import threading
import uuid
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

SECRET_KEY = "xnd_development_kopcore0123456789"  # noqa: S105 (a test credential)
CALLBACK_TOKEN = "kopcore-callback-verification-token"  # noqa: S105
BUSINESS_ID = "5f27a14a9bf05c73dd040bc8"
MERCHANT_CODES = {"BCA": "10766", "BNI": "8808", "BRI": "26215", "BJB": "12345",
                  "BSI": "9347", "CIMB": "5919", "MANDIRI": "88608", "PERMATA": "8214",
                  "SAHABAT_SAMPOERNA": "5044"}
QR_API_VERSION = "2022-07-31"
VAT = Decimal("0.11")


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def whole(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


class XenditDouble:
    """Xendit on 127.0.0.1. ``webhook_url`` is where callbacks go."""

    def __init__(self) -> None:
        self.vas: dict[str, dict[str, Any]] = {}
        self.qrs: dict[str, dict[str, Any]] = {}
        self.transactions: list[dict[str, Any]] = []
        self.requests: list[tuple[str, str]] = []
        self.webhook_url = ""
        self.fail_next: int | None = None  # answer the next request with this HTTP status
        self._serial = itertools.count(1)
        self._lock = threading.Lock()
        double = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _handle(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                url = urlsplit(self.path)
                double.requests.append((method, url.path))
                if double.fail_next is not None:
                    status, double.fail_next = double.fail_next, None
                    self._answer(status, {"error_code": "SERVER_ERROR", "message": "down"})
                    return
                if not double.authorised(self.headers.get("Authorization", "")):
                    self._answer(401, {"error_code": "INVALID_API_KEY",
                                       "message": "API key is not authorized for this API "
                                                  "service"})
                    return
                try:
                    body = json.loads(raw) if raw else {}
                except ValueError:
                    self._answer(400, {"error_code": "INVALID_JSON_FORMAT",
                                       "message": "The request body is not a valid JSON"})
                    return
                with double._lock:
                    status, answer = double.route(method, url.path, body,
                                                  parse_qsl(url.query), dict(self.headers))
                self._answer(status, answer)

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> XenditDouble:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @staticmethod
    def authorised(header: str) -> bool:
        if not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
        return user == SECRET_KEY and password == ""

    # -- the API ---------------------------------------------------------------------------------
    def route(self, method: str, path: str, body: dict[str, Any], query: list[tuple[str, str]],
              headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if (method, path) == ("POST", "/callback_virtual_accounts"):
            return self.create_va(body)
        if (method, path) == ("POST", "/qr_codes"):
            version = {k.lower(): v for k, v in headers.items()}.get("api-version")
            if version != QR_API_VERSION:
                return 400, {"error_code": "API_VALIDATION_ERROR",
                             "message": "api-version header must be 2022-07-31"}
            return self.create_qr(body)
        if (method, path) == ("GET", "/transactions"):
            return self.list_transactions(query)
        return 404, {"error_code": "NOT_FOUND", "message": "The requested resource was not "
                                                           "found"}

    @staticmethod
    def invalid(message: str) -> tuple[int, dict[str, Any]]:
        return 400, {"error_code": "API_VALIDATION_ERROR", "message": message}

    def create_va(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        for field in ("external_id", "bank_code", "name"):
            if not isinstance(body.get(field), str) or not body[field]:
                return self.invalid(f'"{field}" is required')
        if body["bank_code"] not in MERCHANT_CODES:
            return 400, {"error_code": "BANK_NOT_SUPPORTED_ERROR",
                         "message": "That bank code is not currently supported"}
        if not re.fullmatch(r"[A-Za-z ]+", body["name"]):
            return self.invalid('"name" must only contain letters and spaces')
        closed = bool(body.get("is_closed", False))
        if closed and not isinstance(body.get("expected_amount"), int):
            return 400, {"error_code": "EXPECTED_AMOUNT_REQUIRED_ERROR",
                         "message": "Expected amount is required when is_closed is true"}
        for va in self.vas.values():
            if (va["external_id"], va["bank_code"]) == (body["external_id"], body["bank_code"]):
                return 400, {"error_code": "DUPLICATE_CALLBACK_VIRTUAL_ACCOUNT_ERROR",
                             "message": "The virtual account with that external_id and bank "
                                        "code already exists"}
        serial = next(self._serial)
        merchant = MERCHANT_CODES[body["bank_code"]]
        expires = body.get("expiration_date") or iso(datetime.now(UTC) + timedelta(days=365 * 31))
        va = {"id": uuid.uuid4().hex[:24], "owner_id": BUSINESS_ID,
              "external_id": body["external_id"], "bank_code": body["bank_code"],
              "merchant_code": merchant, "name": body["name"],
              "account_number": merchant + f"9999{serial:06d}",
              "is_closed": closed, "is_single_use": bool(body.get("is_single_use", False)),
              "expiration_date": expires, "status": "PENDING", "currency": "IDR",
              "country": "ID"}
        if closed:
            va["expected_amount"] = body["expected_amount"]
        self.vas[va["id"]] = dict(va, paid=0)
        return 200, va

    def create_qr(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if not isinstance(body.get("reference_id"), str) or not body["reference_id"]:
            return self.invalid('"reference_id" is required')
        if body.get("type") not in ("DYNAMIC", "STATIC"):
            return self.invalid('"type" must be one of DYNAMIC, STATIC')
        if body.get("currency") != "IDR":
            return self.invalid('"currency" must be IDR')
        if body["type"] == "DYNAMIC" and (not isinstance(body.get("amount"), int)
                                          or not 1 <= body["amount"] <= 10_000_000):
            return self.invalid('"amount" is required for DYNAMIC QR codes (1 - 10000000)')
        if any(qr["reference_id"] == body["reference_id"] for qr in self.qrs.values()):
            return 409, {"error_code": "DUPLICATE_ERROR",
                         "message": "reference_id has been used before"}
        now = iso(datetime.now(UTC))
        qr = {"id": "qr_" + str(uuid.uuid4()), "reference_id": body["reference_id"],
              "business_id": BUSINESS_ID, "type": body["type"], "currency": "IDR",
              "amount": body.get("amount"), "channel_code": body.get("channel_code", "ID_DANA"),
              "status": "ACTIVE",
              "qr_string": "00020101021226660014ID.LINKAJA.WWW011893600911002411480002152003"
                           + f"{next(self._serial):010d}5204481253033605802ID6304ABCD",
              "expires_at": body.get("expires_at") or iso(datetime.now(UTC) + timedelta(2)),
              "created": now, "updated": now, "metadata": body.get("metadata")}
        self.qrs[qr["id"]] = dict(qr, paid=0)
        return 200, qr

    def list_transactions(self, query: list[tuple[str, str]]) -> tuple[int, dict[str, Any]]:
        types = {v for k, v in query if k == "types"}
        categories = {v for k, v in query if k == "channel_categories"}
        params = dict(query)
        try:
            since = parse_iso(params["created[gte]"]) if "created[gte]" in params else None
            until = parse_iso(params["created[lt]"]) if "created[lt]" in params else None
            limit = int(params.get("limit", "10"))
        except ValueError:
            return self.invalid("invalid filter")
        rows = [t for t in self.transactions
                if (not types or t["type"] in types)
                and (not categories or t["channel_category"] in categories)
                and (since is None or parse_iso(t["created"]) >= since)
                and (until is None or parse_iso(t["created"]) < until)]
        if "after_id" in params:
            ids = [t["id"] for t in rows]
            rows = rows[ids.index(params["after_id"]) + 1:] if params["after_id"] in ids else []
        page = rows[:limit]
        return 200, {"has_more": len(rows) > limit, "data": page, "links": []}

    # -- test controls ---------------------------------------------------------------------------
    def va_by_external_id(self, external_id: str) -> dict[str, Any]:
        return next(va for va in self.vas.values() if va["external_id"] == external_id)

    def _transaction(self, product_id: str, category: str, channel_code: str,
                     reference_id: str, amount: int, fee: int, at: datetime) -> None:
        self.transactions.append({
            "id": f"txn_{uuid.uuid4()}", "product_id": product_id, "type": "PAYMENT",
            "status": "SUCCESS", "channel_category": category, "channel_code": channel_code,
            "reference_id": reference_id, "account_identifier": None, "currency": "IDR",
            "amount": amount, "cashflow": "MONEY_IN", "settlement_status": "PENDING",
            "estimated_settlement_time": iso(at + timedelta(days=2)),
            "business_id": BUSINESS_ID, "created": iso(at), "updated": iso(at),
            "fee": {"xendit_fee": fee, "value_added_tax": whole(fee * VAT),
                    "xendit_withholding_tax": 0, "third_party_withholding_tax": 0,
                    "status": "COMPLETED"}})

    def pay_va(self, external_id: str, amount: int, *, at: datetime | None = None,
               enforce_bank_rules: bool = True) -> dict[str, Any]:
        """A transfer into the VA: the bank applies the VA's rules (closed amount, single use,
        expiry) unless told not to (a defensive test); records the transaction and returns
        the callback body (not yet delivered)."""
        va = self.va_by_external_id(external_id)
        at = at or datetime.now(UTC)
        if enforce_bank_rules:
            if va["is_closed"] and amount != va["expected_amount"]:
                raise ValueError("the bank refuses: a closed VA takes only its expected amount")
            if va["is_single_use"] and va["paid"]:
                raise ValueError("the bank refuses: the single-use VA is inactive")
            if parse_iso(va["expiration_date"]) < at:
                raise ValueError("the bank refuses: the VA expired")
        va["paid"] += 1
        payment_id = f"{int(at.timestamp() * 1000)}{next(self._serial):04d}"
        body = {"updated": iso(at), "created": iso(at), "payment_id": payment_id,
                "callback_virtual_account_id": va["id"], "owner_id": BUSINESS_ID,
                "external_id": va["external_id"], "account_number": va["account_number"],
                "bank_code": va["bank_code"], "amount": amount,
                "transaction_timestamp": iso(at), "merchant_code": va["merchant_code"],
                "id": uuid.uuid4().hex[:24], "sender_name": "PEMBAYAR", "currency": "IDR",
                "country": "ID"}
        self._transaction(payment_id, "VIRTUAL_ACCOUNT", va["bank_code"], va["external_id"],
                          amount, 4000, at)
        return body

    def va_activated(self, external_id: str) -> dict[str, Any]:
        """The FVA created / updated callback body once the bank activated the VA."""
        va = self.va_by_external_id(external_id)
        va["status"] = "ACTIVE"
        now = iso(datetime.now(UTC))
        return {key: value for key, value in va.items() if key != "paid"} | {
            "created": now, "updated": now}

    def pay_qr(self, qr_id: str, *, at: datetime | None = None) -> dict[str, Any]:
        qr = self.qrs[qr_id]
        at = at or datetime.now(UTC)
        if qr["type"] == "DYNAMIC" and qr["paid"]:
            raise ValueError("a dynamic QR code is paid once")
        qr["paid"] += 1
        payment = {"id": "qrpy_" + str(uuid.uuid4()), "business_id": BUSINESS_ID,
                   "currency": "IDR", "amount": qr["amount"], "status": "SUCCEEDED",
                   "created": iso(at), "qr_id": qr["id"], "qr_string": qr["qr_string"],
                   "reference_id": qr["reference_id"], "type": qr["type"],
                   "channel_code": qr["channel_code"], "expires_at": qr["expires_at"],
                   "metadata": qr["metadata"],
                   "payment_detail": {"receipt_id": f"{next(self._serial):012d}",
                                      "source": "DANA", "name": "PEMBAYAR",
                                      "account_details": None}}
        body = {"event": "qr.payment", "api_version": QR_API_VERSION,
                "business_id": BUSINESS_ID, "created": iso(at), "data": payment}
        self._transaction(payment["id"], "QR_CODE", qr["channel_code"], qr["reference_id"],
                          qr["amount"], whole(Decimal(qr["amount"]) * Decimal("0.007")), at)
        return body

    def deliver(self, body: dict[str, Any], *, token: str = CALLBACK_TOKEN) -> httpx.Response:
        """Send a callback over HTTP, as Xendit does."""
        return httpx.post(self.webhook_url, content=json.dumps(body),
                          headers={"Content-Type": "application/json",
                                   "x-callback-token": token}, timeout=30)

    def settle_all(self) -> int:
        """Xendit settles every pending transaction; returns the net amount sent to the bank."""
        total = 0
        for t in self.transactions:
            if t["settlement_status"] == "PENDING":
                t["settlement_status"] = "SETTLED"
                total += t["amount"] - t["fee"]["xendit_fee"] - t["fee"]["value_added_tax"]
        return total
