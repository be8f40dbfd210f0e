"""Adapter for IAK's prepaid API, version 2 (api.iak.id/api/prepaid/core/v2/...).

Requests are JSON ``POST``s to ``<url>/api/<service>`` (default ``https://prepaid.iak.id``; IAK's
development server is ``https://prepaid.iak.dev``), signed with
``sign = md5(username + api_key + <suffix>)``:

==================  ===========================================================  ============
service             body                                                         suffix
==================  ===========================================================  ============
``pricelist``       ``username``, ``sign``, ``status``: ``all``                  ``"pl"``
``check-balance``   ``username``, ``sign``                                       ``"bl"``
``top-up``          ``username``, ``ref_id``, ``customer_id``, ``product_code``  the ref_id
``check-status``    ``username``, ``ref_id``, ``sign``                           the ref_id
==================  ===========================================================  ============

Answers are wrapped in ``data``. A transaction's ``status`` is 0 (process), 1 (success) or 2
(failed) and ``rc`` its response code, read through :mod:`kopcore_ppob_iak.codes`: only a code
about the purchase settles it. HTTP 400 refuses the request (nothing is created); any other
non-200 answer leaves the outcome unknown (pending), as IAK documents. A first top-up is always
answered "process"; IAK then calls back, or is asked with ``check-status``.

IAK's callback carries ``sign = md5(username + api_key + ref_id)`` in its body: it proves the
sender knows the key but does not cover the status, so a verified callback is confirmed by asking
``check-status`` before anything is settled. IAK sells no ``max_price`` limit: a price change is
booked at the ``price`` its answer reports.

This adapter sells IAK's prepaid products (pulsa, data, PLN tokens); IAK's postpaid API is not
wired.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation
from typing import Any

import httpx
from kopcore_ppob.errors import BadSignature, ProviderUnavailable
from kopcore_ppob.providers import Bill, Outcome, PriceItem, ProviderConfig, Reason, Result

from kopcore.errors import NotFound, ValidationError
from kopcore_ppob_iak.codes import RESPONSE_CODES
from kopcore_ppob_iak.messages import _

log = logging.getLogger(__name__)

DEFAULT_URL = "https://prepaid.iak.id"
STATUS = {"0": Outcome.PENDING, "1": Outcome.SUCCESS, "2": Outcome.FAILED}
REASONS = {"17": Reason.DEPOSIT_EXHAUSTED}
#: IAK product types -> kopcore-ppob categories.
CATEGORIES = {"pulsa": "pulsa", "data": "paket_data", "pln": "pln_token"}


class MalformedAnswer(Exception):
    """IAK answered something that is not its protocol."""


def _amount(value: Any, what: str, *, up: bool = True) -> int:
    """Whole rupiah from IAK's Double (a JSON number or a numeric string): a price is rounded
    up (a cost is never understated), a balance down."""
    if isinstance(value, bool):
        raise MalformedAnswer(f"{what}: not a number")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise MalformedAnswer(f"{what}: not a number") from None
    if not amount.is_finite() or amount < 0:
        raise MalformedAnswer(f"{what}: not a non-negative amount")
    return int(amount.to_integral_value(rounding=ROUND_CEILING if up else ROUND_FLOOR))


def _timeout_ms(text: str, variable: str) -> int:
    try:
        seconds = Decimal(text.strip())
    except InvalidOperation:
        seconds = Decimal(-1)
    if not seconds.is_finite() or not 0 < seconds <= 120 or (seconds * 1000) % 1:
        raise ProviderUnavailable(
            _("{variable} must be seconds, more than 0 and at most 120, in whole milliseconds",
              variable=variable))
    return int(seconds * 1000)


class IakProvider:
    name = "iak"

    def __init__(self, config: ProviderConfig) -> None:
        self.username = config.require("username")
        self._api_key = config.require("api_key")
        self.url = config.get("url", DEFAULT_URL).rstrip("/")
        self.timeout_ms = _timeout_ms(config.get("timeout", "20"), config.variable("timeout"))

    def __repr__(self) -> str:
        return f"IakProvider(username={self.username!r}, url={self.url!r})"

    # -- transport -------------------------------------------------------------------------------
    def _sign(self, suffix: str) -> str:
        return hashlib.md5((self.username + self._api_key + suffix).encode(),
                           usedforsecurity=False).hexdigest()

    def _post(self, service: str, payload: dict[str, Any]) -> tuple[int, Any]:
        timeout = httpx.Timeout(self.timeout_ms / 1000, connect=min(self.timeout_ms, 5000) / 1000)
        with httpx.Client(timeout=timeout, follow_redirects=False) as client:
            response = client.post(f"{self.url}/api/{service}", json=payload)
        if response.status_code not in (200, 400):
            raise MalformedAnswer(f"{service}: HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            raise MalformedAnswer(f"{service}: HTTP {response.status_code}, not JSON") from None
        if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
            raise MalformedAnswer(f"{service}: HTTP {response.status_code}, no 'data'")
        return response.status_code, body["data"]

    def _call(self, service: str, payload: dict[str, Any]) -> dict[str, Any]:
        """For the price list and the balance: any failure is a typed error."""
        try:
            status, data = self._post(service, payload)
        except httpx.TimeoutException:
            raise ProviderUnavailable(_("IAK did not answer {service} within {seconds} s; try "
                                        "again", service=service,
                                        seconds=f"{self.timeout_ms / 1000:g}")) from None
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(_("IAK {service}: {error}",
                                        service=service,
                                        error=type(exc).__name__)) from None
        except MalformedAnswer as exc:
            raise ProviderUnavailable(_("IAK answered {exc}", exc=exc)) from None
        rc = str(data.get("rc", ""))
        if status != 200 or rc not in ("", "00"):
            code = RESPONSE_CODES.get(rc)
            raise ProviderUnavailable(f"IAK refused {service}: rc {rc or status} "
                                      f"{code.description if code else ''}".rstrip())
        return data  # type: ignore[no-any-return]

    # -- catalogue and balance -------------------------------------------------------------------
    def price_list(self) -> Sequence[PriceItem]:
        data = self._call("pricelist", {"username": self.username, "sign": self._sign("pl"),
                                        "status": "all"})
        rows = data.get("pricelist")
        if not isinstance(rows, list):
            raise ProviderUnavailable(_("IAK price list is not a list"))
        items = []
        for row in rows:
            try:
                item = self._price_item(row)
            except (MalformedAnswer, KeyError, TypeError, AttributeError) as exc:
                raise ProviderUnavailable(_("IAK price list has a malformed item: {exc}",
                                            exc=exc)) from None
            if item is not None:
                items.append(item)
        return items

    def _price_item(self, row: dict[str, Any]) -> PriceItem | None:
        sku = str(row["product_code"])
        category = CATEGORIES.get(str(row.get("product_type", "")).strip().lower())
        if category is None or not 1 <= len(sku) <= 64:
            return None
        brand = str(row.get("product_description", ""))
        name = f"{brand} {row.get('product_nominal', '')}".strip()
        return PriceItem(sku, category, brand, name,
                         _amount(row.get("product_price"), f"{sku} product_price"),
                         available=str(row.get("status", "")).strip().lower() == "active")

    def balance(self) -> int:
        data = self._call("check-balance", {"username": self.username, "sign": self._sign("bl")})
        try:
            return _amount(data["balance"], "balance", up=False)
        except (KeyError, MalformedAnswer):
            raise ProviderUnavailable(_("IAK answered the balance without one")) from None

    def inquiry(self, ref_id: str, sku: str, customer_no: str) -> Bill:
        raise NotFound(_("the IAK adapter sells prepaid products only: no bill to inquire"))

    # -- transactions ----------------------------------------------------------------------------
    def _result(self, ref_id: str, http_status: int, data: dict[str, Any]) -> Result:
        rc = str(data.get("rc", ""))[:4]
        code = RESPONSE_CODES.get(rc)
        message = str(data.get("message", ""))[:150]
        if http_status == 400:  # the request was refused: nothing was created
            return Result(ref_id, Outcome.FAILED, "", message or "bad request", rc or "400",
                          Reason.NONE, settles=False)
        if str(data.get("ref_id", ref_id)) != ref_id:
            raise MalformedAnswer("the answer is about another ref_id")
        outcome = STATUS.get(str(data.get("status", "")).split(".")[0])
        if outcome is None:
            raise MalformedAnswer(f"unknown transaction status {str(data.get('status'))[:10]!r}")
        reason = REASONS.get(rc, Reason.NONE if code is not None else Reason.UNKNOWN_CODE)
        price = data.get("price")
        balance = data.get("balance")
        return Result(ref_id, outcome,
                      str(data.get("sn") or "")[:200] if outcome is Outcome.SUCCESS else "",
                      message, rc, reason,
                      _amount(balance, "balance", up=False) if balance is not None else None,
                      _amount(price, "price") if price not in (None, "") else None,
                      code is not None and code.settles)

    def transaction(self, ref_id: str, sku: str, customer_no: str, *,
                    postpaid: bool = False, max_price: int | None = None) -> Result:
        if postpaid:
            raise ValidationError(_("the IAK adapter sells prepaid products only"), field="sku")
        status, data = self._post("top-up", {
            "username": self.username, "ref_id": ref_id, "customer_id": customer_no,
            "product_code": sku, "sign": self._sign(ref_id)})
        return self._result(ref_id, status, data)

    def status(self, ref_id: str, sku: str, customer_no: str, *,
               postpaid: bool = False, max_price: int | None = None) -> Result:
        status, data = self._post("check-status", {"username": self.username, "ref_id": ref_id,
                                                   "sign": self._sign(ref_id)})
        return self._result(ref_id, status, data)

    def go_live_checks(self) -> list[tuple[str, bool, str]]:
        """IAK's own go-live item for ``ppob doctor``: the production server."""
        development = "iak.dev" in self.url
        return [("production-server", not development,
                 f"{self.url} is IAK's development server" if development else self.url)]

    # -- callback --------------------------------------------------------------------------------
    def parse_callback(self, body: str, signature: str) -> Result:
        """Verify the ``sign`` in the callback's body, then confirm its outcome with
        ``check-status``: the sign covers the ref_id only, not the status."""
        try:
            data = json.loads(body)["data"]
            ref_id = str(data["ref_id"])
            given = str(data["sign"])
        except (ValueError, KeyError, TypeError):
            raise BadSignature(_("not an IAK callback signed with its sign field")) from None
        if not 1 <= len(ref_id) <= 64 or not hmac.compare_digest(
                self._sign(ref_id).encode(), given.encode("utf-8", "surrogateescape")):
            raise BadSignature(_("the IAK callback's sign does not verify; ignored"))
        try:
            return self.status(ref_id, str(data.get("product_code", "")),
                               str(data.get("customer_id", "")))
        except (httpx.HTTPError, MalformedAnswer) as exc:
            log.warning("IAK callback %s: its status check failed: %s", ref_id,
                        type(exc).__name__)
            return Result(ref_id, Outcome.PENDING, "", "callback received; status unconfirmed")


def factory(config: ProviderConfig) -> IakProvider:
    return IakProvider(config)
