"""Adapter for Digiflazz's buyer API (https://developer.digiflazz.com/api/buyer/).

Requests are JSON ``POST``s to ``<url>`` (default ``https://api.digiflazz.com/v1``), signed with
``sign = md5(username + api_key + <suffix>)``:

=================  ==========================================================  ==============
endpoint           body                                                        suffix
=================  ==========================================================  ==============
``/price-list``    ``cmd``: ``prepaid`` or ``pasca``                            ``"pricelist"``
``/cek-saldo``     ``cmd``: ``deposit``                                         ``"depo"``
``/transaction``   ``buyer_sku_code``, ``customer_no``, ``ref_id`` (prepaid)    the ref_id
``/transaction``   the same with ``commands``: ``inq-pasca``, ``pay-pasca``,    the ref_id
                   ``status-pasca`` (postpaid)
=================  ==========================================================  ==============

Answers are wrapped in ``data``; a transaction's ``status`` is ``Sukses``, ``Pending`` or
``Gagal`` and ``rc`` its response code, read through the documented table in
:mod:`kopcore_ppob.digiflazz_codes`: only a code that refers to a created transaction settles one
(a ``Gagal`` with 41 bad signature, 45 unknown IP or 85 rate limit refuses the request only).
The status of a prepaid transaction is asked by sending the same request again with the same
``ref_id``; Digiflazz then answers about the first one and never buys twice. A prepaid purchase
is sent with ``max_price`` (the member's price: never a sale at a loss); the answer's ``price``
is what Digiflazz actually took. A postpaid bill is read from ``selling_price``, ``admin`` and
the periods in ``desc.detail`` (``nilai_tagihan`` and ``denda``); ``price`` is the cooperative's
cost, its commission already off. Webhooks carry ``X-Hub-Signature:
sha1=<HMAC-SHA1(secret, body)>``.

Settings (environment): ``KOPCORE_PPOB_DIGIFLAZZ_USERNAME``, ``..._API_KEY``,
``..._WEBHOOK_SECRET``, and optionally ``..._URL``, ``..._TIMEOUT`` (seconds, default 20) and
``..._TESTING`` (``true``: Digiflazz's development mode). The key and secret never appear in
logs, errors or receipts.

Calls are synchronous ``httpx`` requests with a timeout on every one. Operations run in a worker
thread under the web API (``anyio.to_thread``), so they never block the event loop.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Sequence
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from typing import Any

import httpx

from kopcore.errors import NotFound, ValidationError
from kopcore_ppob.digiflazz_codes import RESPONSE_CODES
from kopcore_ppob.errors import BadSignature, CutOff, ProviderUnavailable
from kopcore_ppob.messages import _
from kopcore_ppob.providers import (
    Bill,
    BillPeriod,
    Outcome,
    PriceItem,
    ProviderConfig,
    Reason,
    Result,
)

log = logging.getLogger(__name__)

DEFAULT_URL = "https://api.digiflazz.com/v1"
STATUS = {"sukses": Outcome.SUCCESS, "success": Outcome.SUCCESS,
          "pending": Outcome.PENDING, "processing": Outcome.PENDING,
          "gagal": Outcome.FAILED, "failed": Outcome.FAILED}
REASONS = {"41": Reason.BAD_SIGNATURE, "44": Reason.DEPOSIT_EXHAUSTED,
           "49": Reason.REF_ID_NOT_UNIQUE, "58": Reason.CUT_OFF,
           "60": Reason.BILL_NOT_AVAILABLE, "69": Reason.PRICE_ABOVE_MAXIMUM}
#: Digiflazz prepaid categories and postpaid brands -> kopcore-ppob categories.
PREPAID_CATEGORIES = {"pulsa": "pulsa", "data": "paket_data", "pln": "pln_token"}
POSTPAID_BRANDS = {"pln pascabayar": "pln_postpaid", "bpjs kesehatan": "bpjs", "pdam": "pdam",
                   "telkom": "telkom", "indihome": "telkom", "telkom indihome": "telkom"}


class MalformedAnswer(Exception):
    """Digiflazz answered something that is not its protocol (never shown with secrets)."""


def _rupiah(value: Any, what: str) -> int:
    """A whole rupiah amount from a JSON number or numeric string; fractions are refused."""
    if isinstance(value, bool) or value is None:
        raise MalformedAnswer(f"{what}: not a number")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise MalformedAnswer(f"{what}: not a number") from None
    if amount != amount.to_integral_value() or amount < 0:
        raise MalformedAnswer(f"{what}: not a whole, non-negative rupiah amount")
    return int(amount)


def _charged(value: Any) -> int | None:
    """The answer's ``price`` in whole rupiah, rounded up (a cost is never understated);
    ``None`` when absent or not a number."""
    try:
        amount = Decimal(str(value)) if value is not None and value != "" else None
    except InvalidOperation:
        return None
    if amount is None or not amount.is_finite() or amount < 0:
        return None
    return int(amount.to_integral_value(rounding=ROUND_CEILING))


def _balance(value: Any) -> int | None:
    """``buyer_last_saldo`` rounded down to whole rupiah (it may carry decimals)."""
    try:
        return int(Decimal(str(value))) if value is not None else None
    except InvalidOperation:
        return None


def _timeout_ms(text: str, variable: str) -> int:
    """The HTTP timeout setting, given in seconds (``0.5`` allowed), more than 0 and at most 120,
    as whole milliseconds (kept as an integer, like ``sqlite_busy_timeout_ms``).

    Read as a Decimal, so ``nan``, ``inf``, ``-1`` and ``1e-9`` are refused."""
    try:
        seconds = Decimal(text.strip())
    except InvalidOperation:
        seconds = Decimal(-1)
    if not seconds.is_finite() or not 0 < seconds <= 120 or (seconds * 1000) % 1:
        raise ProviderUnavailable(
            _("{variable} must be seconds, more than 0 and at most 120, in whole milliseconds",
              variable=variable))
    return int(seconds * 1000)


class DigiflazzProvider:
    name = "digiflazz"

    def __init__(self, config: ProviderConfig) -> None:
        self.username = config.require("username")
        self._api_key = config.require("api_key")
        self._config = config
        self.url = config.get("url", DEFAULT_URL).rstrip("/")
        self.timeout_ms = _timeout_ms(config.get("timeout", "20"), config.variable("timeout"))
        self.testing = config.get("testing").lower() in ("1", "true", "yes")

    def __repr__(self) -> str:
        return f"DigiflazzProvider(username={self.username!r}, url={self.url!r})"

    # -- transport -------------------------------------------------------------------------------
    def _sign(self, suffix: str) -> str:
        return hashlib.md5((self.username + self._api_key + suffix).encode(),
                           usedforsecurity=False).hexdigest()

    def _post(self, path: str, payload: dict[str, Any]) -> Any:
        # httpx counts seconds; a timeout is a duration, never an amount of money.
        timeout = httpx.Timeout(self.timeout_ms / 1000, connect=min(self.timeout_ms, 5000) / 1000)
        with httpx.Client(timeout=timeout, follow_redirects=False) as client:
            response = client.post(self.url + path, json=payload)
        try:
            body = response.json()
        except ValueError:
            raise MalformedAnswer(f"{path}: HTTP {response.status_code}, not JSON") from None
        if not isinstance(body, dict) or "data" not in body:
            raise MalformedAnswer(f"{path}: HTTP {response.status_code}, no 'data'")
        return body["data"]

    @staticmethod
    def _refusal(path: str, data: Any) -> ProviderUnavailable | None:
        """The typed error of an answer refusing the request (its ``rc``), if it is one."""
        if not isinstance(data, dict) or not data.get("rc") or str(data["rc"]) == "00":
            return None
        rc = str(data["rc"])[:4]
        code = RESPONSE_CODES.get(rc)
        return ProviderUnavailable(f"Digiflazz refused {path}: rc {rc} "
                                   f"{code.message if code else ''}".rstrip())

    def _call(self, path: str, payload: dict[str, Any]) -> Any:
        """For catalogue, balance and inquiry: any failure is a typed error."""
        try:
            return self._post(path, payload)
        except httpx.TimeoutException:
            raise ProviderUnavailable(_("Digiflazz did not answer {path} within {seconds} s; "
                                        "try again", path=path,
                                        seconds=format(self.timeout_ms / 1000, "g"))) from None
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(_("Digiflazz {path}: {error}", path=path,
                                        error=type(exc).__name__)) from None
        except MalformedAnswer as exc:
            raise ProviderUnavailable(_("Digiflazz answered {exc}", exc=exc)) from None

    # -- catalogue and balance -------------------------------------------------------------------
    def price_list(self) -> Sequence[PriceItem]:
        items: list[PriceItem] = []
        for cmd in ("prepaid", "pasca"):
            rows = self._call("/price-list", {"cmd": cmd, "username": self.username,
                                              "sign": self._sign("pricelist")})
            if not isinstance(rows, list):
                raise self._refusal("/price-list", rows) or ProviderUnavailable(
                    _("Digiflazz price list ({cmd}) is not a list", cmd=cmd))
            for row in rows:
                try:
                    item = self._price_item(row, postpaid=cmd == "pasca")
                except (MalformedAnswer, KeyError, TypeError, AttributeError) as exc:
                    raise ProviderUnavailable(
                        _("Digiflazz price list ({cmd}) has a malformed item: {exc}",
                          cmd=cmd, exc=exc)) from None
                if item is not None:
                    items.append(item)
        return items

    def _price_item(self, row: dict[str, Any], *, postpaid: bool) -> PriceItem | None:
        sku = str(row["buyer_sku_code"])
        if postpaid:
            category = POSTPAID_BRANDS.get(str(row.get("brand", "")).strip().lower())
            price = _rupiah(row.get("admin"), f"{sku} admin")
        else:
            category = PREPAID_CATEGORIES.get(str(row.get("category", "")).strip().lower())
            price = _rupiah(row.get("price"), f"{sku} price")
        if category is None or not 1 <= len(sku) <= 64:
            return None
        available = bool(row.get("buyer_product_status", True)) and \
            bool(row.get("seller_product_status", True))
        name = str(row.get("product_name", sku))
        return PriceItem(sku, category, str(row.get("brand", "")), name, price,
                         postpaid=postpaid, available=available,
                         cutoff_start=str(row.get("start_cut_off") or ""),
                         cutoff_end=str(row.get("end_cut_off") or ""))

    def balance(self) -> int:
        data = self._call("/cek-saldo", {"cmd": "deposit", "username": self.username,
                                         "sign": self._sign("depo")})
        try:
            deposit = _balance(data["deposit"])
        except (KeyError, TypeError):
            deposit = None
        if deposit is None:
            raise self._refusal("/cek-saldo", data) or ProviderUnavailable(
                _("Digiflazz answered the balance without a deposit"))
        return deposit

    # -- transactions ----------------------------------------------------------------------------
    def _request(self, ref_id: str, sku: str, customer_no: str,
                 command: str | None) -> dict[str, Any]:
        payload: dict[str, Any] = {"username": self.username, "buyer_sku_code": sku,
                                   "customer_no": customer_no, "ref_id": ref_id,
                                   "sign": self._sign(ref_id)}
        if command is not None:
            payload["commands"] = command
        if self.testing:
            payload["testing"] = True
        return payload

    def inquiry(self, ref_id: str, sku: str, customer_no: str) -> Bill:
        data = self._call("/transaction", self._request(ref_id, sku, customer_no, "inq-pasca"))
        if not isinstance(data, dict):
            raise ProviderUnavailable(_("Digiflazz answered the inquiry without data"))
        rc = str(data.get("rc", ""))[:4]
        if rc != "00":
            raise self._inquiry_refused(rc, str(data.get("message", ""))[:100], customer_no)
        try:
            return _bill(data)
        except (MalformedAnswer, TypeError, AttributeError) as exc:
            raise ProviderUnavailable(_("Digiflazz inquiry answered {exc}",
                                        exc=exc)) from None

    @staticmethod
    def _inquiry_refused(rc: str, message: str, customer_no: str) -> Exception:
        """The typed error for an inquiry not answered 00: a refused *request* (bad signature,
        unknown IP, deposit…) is the provider's error, never "no bill to pay"."""
        code = RESPONSE_CODES.get(rc)
        if code is None or not code.created:
            return ProviderUnavailable(_("Digiflazz refused the inquiry: rc {rc} {reason}",
                                         rc=rc or "?", reason=code.message if code else message))
        if rc == "58":
            return CutOff(_("Digiflazz is in its cut-off window (rc 58): {message}",
                            message=message))
        return NotFound(_("no bill to pay for {customer_no}: {message} (rc {rc})",
                          customer_no=customer_no, message=message, rc=rc))

    def _result(self, ref_id: str, data: Any) -> Result:
        if not isinstance(data, dict):
            raise MalformedAnswer("transaction answer without data")
        if str(data.get("ref_id", ref_id)) != ref_id:
            raise MalformedAnswer("the answer is about another ref_id")
        outcome = STATUS.get(str(data.get("status", "")).strip().lower())
        if outcome is None:
            raise MalformedAnswer(f"unknown transaction status {str(data.get('status'))[:20]!r}")
        rc = str(data.get("rc", ""))[:4]
        code = RESPONSE_CODES.get(rc)
        reason = REASONS.get(rc, Reason.NONE if code is not None else Reason.UNKNOWN_CODE)
        settles = code is not None and code.settles
        if reason is Reason.REF_ID_NOT_UNIQUE:
            # Digiflazz already holds another transaction under this ref_id: its outcome is
            # not this answer's, so nothing is assumed.
            outcome = Outcome.PENDING
        sn = str(data.get("sn") or "")[:200] if outcome is Outcome.SUCCESS else ""
        return Result(ref_id, outcome, sn, str(data.get("message", ""))[:150], rc, reason,
                      _balance(data.get("buyer_last_saldo")), _charged(data.get("price")),
                      settles)

    def transaction(self, ref_id: str, sku: str, customer_no: str, *,
                    postpaid: bool = False, max_price: int | None = None) -> Result:
        command = "pay-pasca" if postpaid else None
        payload = self._request(ref_id, sku, customer_no, command)
        if max_price is not None and not postpaid:  # documented for the prepaid top-up only
            payload["max_price"] = max_price
        return self._result(ref_id, self._post("/transaction", payload))

    def status(self, ref_id: str, sku: str, customer_no: str, *,
               postpaid: bool = False, max_price: int | None = None) -> Result:
        if postpaid:
            return self._result(ref_id, self._post(
                "/transaction", self._request(ref_id, sku, customer_no, "status-pasca")))
        # Prepaid: "Cek Status" is the exact same top-up request sent again.
        return self.transaction(ref_id, sku, customer_no, max_price=max_price)

    def go_live_checks(self) -> list[tuple[str, bool, str]]:
        """Digiflazz's own go-live items for ``ppob doctor``."""
        secret = bool(self._config.get("webhook_secret"))
        return [
            ("testing-off", not self.testing,
             "development mode: purchases are not real; unset "
             f"{self._config.variable('testing')}" if self.testing else "production mode"),
            ("webhook-secret", secret,
             "set" if secret else f"set {self._config.variable('webhook_secret')} to the secret "
             "of the webhook in Digiflazz's dashboard"),
        ]

    # -- webhook ---------------------------------------------------------------------------------
    def parse_callback(self, body: str, signature: str) -> Result:
        secret = self._config.require("webhook_secret")
        expected = "sha1=" + hmac.new(secret.encode(), body.encode(), hashlib.sha1).hexdigest()
        # Bytes: compare_digest refuses str holding non-ASCII, and the header is the sender's.
        given = signature.strip().encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(expected.encode(), given):
            raise BadSignature(_("the callback's X-Hub-Signature does not verify; ignored"))
        try:
            data = json.loads(body)["data"]
            ref_id = str(data["ref_id"])
            return self._result(ref_id, data)
        except (ValueError, KeyError, TypeError, MalformedAnswer) as exc:
            raise ValidationError(_("not a Digiflazz transaction callback: {exc}",
                                    exc=exc),
                                  field="body") from None


def _bill(data: dict[str, Any]) -> Bill:
    """A postpaid bill from an inquiry answer: the periods of ``desc.detail`` (bill and
    penalty each), the admin fee, and ``price`` (the cooperative's cost). The member's bill is
    ``selling_price`` less ``admin``; where the periods carry amounts they must add up to it."""
    selling = _rupiah(data.get("selling_price"), "selling_price")
    admin = _rupiah(data.get("admin", 0), "admin")
    if admin > selling:
        raise MalformedAnswer("admin fee above the selling price")
    amount = selling - admin
    desc = data.get("desc")
    details = desc.get("detail") if isinstance(desc, dict) else None
    periods: list[BillPeriod] = []
    for line in details if isinstance(details, list) else ():
        if not isinstance(line, dict):
            raise MalformedAnswer("desc.detail holds a line that is not an object")
        bill = line.get("nilai_tagihan")
        periods.append(BillPeriod(
            str(line.get("periode", ""))[:32],
            _rupiah(bill, "nilai_tagihan") if bill not in (None, "") else 0,
            _rupiah(line.get("denda") or 0, "denda")))
    if periods and any(p.bill for p in periods) and \
            sum(p.bill + p.penalty for p in periods) != amount:
        raise MalformedAnswer("the bill periods do not add up to selling_price less admin")
    cost = _charged(data.get("price"))
    return Bill(str(data.get("customer_name", ""))[:200], amount, admin, tuple(periods), cost)


def factory(config: ProviderConfig) -> DigiflazzProvider:
    return DigiflazzProvider(config)
