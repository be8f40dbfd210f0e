"""A stand-in for IAK's prepaid API, version 2, written from its public documentation.

It serves real HTTP on 127.0.0.1 (an ephemeral port) and sends its callbacks over real HTTP to a
URL it is given. Each field comes from IAK's API documentation (api.iak.id), section by section:

- **Prepaid > Price List** (``POST api/pricelist``): request ``username``, ``sign`` =
  md5(username + api_key + 'pl'), ``status`` (all / active / non active); answer ``data``
  holding ``pricelist`` (``product_code``, ``product_description``, ``product_details``,
  ``product_nominal``, ``product_price``, ``product_type``, ``active_period``, ``status``
  active / non active, ``icon_url``, ``product_category``), ``message`` and ``rc``.
- **Prepaid > Check Balance** (``POST api/check-balance``): ``username``, ``sign`` =
  md5(username + api_key + 'bl') (the suffix as IAK's own server SDK sends it); answer
  ``data.balance`` with ``message`` and ``rc``.
- **Prepaid > Top Up** (``POST api/top-up``): request ``username``, ``ref_id``,
  ``customer_id``, ``product_code``, ``sign`` = md5(username + api_key + ref_id). "For the first
  time, top up will always response PROCESSING"; a top-up again with the same ref_id is a status
  check, never a second purchase. Answer ``data``: ``ref_id``, ``status`` (0 process, 1 success,
  2 failed), ``product_code``, ``customer_id``, ``price`` (what was charged: it may differ from
  the price list), ``message``, ``balance``, ``tr_id``, ``rc``.
- **Prepaid > Check Status** (``POST api/check-status``): ``username``, ``ref_id``, ``sign`` =
  md5(username + api_key + ref_id); answer as the top-up's plus ``sn`` when successful.
- **Prepaid > Response Code**: 00 SUCCESS, 06 TRANSACTION NOT FOUND, 07 FAILED, 17 INSUFFICIENT
  DEPOSIT, 20 CODE NOT FOUND, 39 PROCESS; 204 WRONG AUTHENTICATION as the SDK names it. HTTP
  400 for a request missing a required parameter.
- **Prepaid > Callback** (``POST`` to the callback URL): ``data`` with ``ref_id``, ``status``
  ("1" / "2"), ``product_code``, ``customer_id``, ``price``, ``message``, ``sn``, ``balance``,
  ``tr_id``, ``rc`` and ``sign`` = md5(username + api_key + ref_id), all strings.

Wrong credentials are refused on every request, status checks included. The test controls
(``behave``, :meth:`settle`, :meth:`reprice`...) are the double's own.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

USERNAME = "081234567890"
API_KEY = "iak-dev-key-0123"

PRICELIST: list[dict[str, Any]] = [
    {"product_code": "htelkomsel10000", "product_description": "Telkomsel",
     "product_nominal": "10000", "product_details": "-", "product_price": 10350,
     "product_type": "pulsa", "active_period": "30", "status": "active", "icon_url": "-",
     "product_category": "pulsa"},
    {"product_code": "hindosat10000", "product_description": "Indosat",
     "product_nominal": "10000", "product_details": "-", "product_price": 10600,
     "product_type": "pulsa", "active_period": "30", "status": "non active", "icon_url": "-",
     "product_category": "pulsa"},
    {"product_code": "pln20000", "product_description": "PLN", "product_nominal": "20000",
     "product_details": "-", "product_price": 20250, "product_type": "pln",
     "active_period": "0", "status": "active", "icon_url": "-", "product_category": "pln"},
    {"product_code": "alfamart100", "product_description": "Alfamart Voucher",
     "product_nominal": "Voucher Alfamart Rp 100.000", "product_details": "-",
     "product_price": 100000, "product_type": "voucher", "active_period": "0",
     "status": "active", "icon_url": "-", "product_category": "voucher"},
]
DESCRIPTIONS = {"00": "SUCCESS", "06": "TRANSACTION NOT FOUND", "07": "FAILED",
                "17": "INSUFFICIENT DEPOSIT", "20": "CODE NOT FOUND", "39": "PROCESS",
                "204": "WRONG AUTHENTICATION"}


def md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


class IakDouble:
    """IAK's prepaid API on 127.0.0.1. ``behave(customer, ...)`` picks what a new top-up does:
    ``success`` (default: decided at once, answered "process" first), ``failed``, ``pending``
    (until :meth:`settle`), ``timeout`` (made and decided, answered after ``delay`` seconds)."""

    def __init__(self) -> None:
        self.script: dict[str, str] = {}
        self.deposit = Decimal(1_000_000)
        self.delay = 1.0
        self.api_key = API_KEY
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.txns: dict[str, dict[str, Any]] = {}
        self.price_now = {str(p["product_code"]): int(p["product_price"]) for p in PRICELIST}
        self.webhook_url = ""
        self._tr_ids = itertools.count(3482)
        self.lock = threading.Lock()
        double = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                try:
                    payload = json.loads(raw)
                except ValueError:
                    payload = {}
                with double.lock:
                    double.requests.append((self.path, payload))
                    code, answer, delay = double.answer(self.path, payload)
                if delay:
                    time.sleep(delay)
                body = json.dumps(answer).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(OSError):  # the client gave up (timeout)
                    self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> IakDouble:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- the scenario suite's controls (kopcore_ppob.testing.ProviderDouble) ----------------------
    def behave(self, customer_no: str, behaviour: str) -> None:
        self.script[customer_no] = behaviour

    def settle(self, ref_id: str, success: bool) -> None:
        with self.lock:
            self._decide(self.txns[ref_id], success)

    def callback_body(self, ref_id: str, api_key: str | None = None, **changes: str) -> bytes:
        """The callback IAK sends about ``ref_id`` (version 2 fields, strings)."""
        txn = self.txns[ref_id]
        data = {"ref_id": ref_id, "status": str(txn["status"]),
                "product_code": txn["product_code"], "customer_id": txn["customer_id"],
                "price": str(txn["price"]), "message": txn["message"], "sn": txn.get("sn", ""),
                "balance": str(txn["balance"]), "tr_id": str(txn["tr_id"]), "rc": txn["rc"],
                "sign": md5(USERNAME + (api_key or API_KEY) + ref_id), **changes}
        return json.dumps({"data": data}).encode()

    def send_webhook(self, ref_id: str, body: bytes | None = None) -> httpx.Response:
        return httpx.post(self.webhook_url, timeout=30,
                          content=self.callback_body(ref_id) if body is None else body,
                          headers={"Content-Type": "application/json"})

    def send_forged_webhook(self, ref_id: str) -> httpx.Response:
        return self.send_webhook(ref_id, self.callback_body(
            ref_id, api_key="guessed-key", status="1", rc="00", sn="FORGED"))

    def reprice(self, sku: str, price: int) -> None:
        self.price_now[sku] = price

    def break_credentials(self) -> None:
        self.api_key = "rotated-key"

    def restore_credentials(self) -> None:
        self.api_key = API_KEY

    def purchases(self, ref_id: str) -> int:
        return int(ref_id in self.txns)

    # -- the protocol -----------------------------------------------------------------------------
    def _decide(self, txn: dict[str, Any], success: bool) -> None:
        if success:
            txn.update(status=1, rc="00", message=DESCRIPTIONS["00"],
                       sn=str(int(md5(txn["ref_id"]), 16))[:20])
        else:
            self.deposit += txn["price"]
            txn.update(status=2, rc="07", message=DESCRIPTIONS["07"], sn="")
        txn["balance"] = int(self.deposit)

    @staticmethod
    def _public(txn: dict[str, Any]) -> dict[str, Any]:
        shown = {k: v for k, v in txn.items() if k != "sn"}
        if txn["status"] == 1:
            shown["sn"] = txn["sn"]
        return shown

    def _refused(self, rc: str, p: dict[str, Any]) -> tuple[int, Any, float]:
        return 200, {"data": {"ref_id": p.get("ref_id"), "status": 2, "rc": rc,
                              "message": DESCRIPTIONS[rc], "balance": int(self.deposit)}}, 0

    def answer(self, path: str, p: dict[str, Any]) -> tuple[int, Any, float]:
        service = path.removeprefix("/api/")
        user, sign = p.get("username"), p.get("sign")
        if user is None or sign is None:
            return 400, {"data": {"rc": "", "message": "BAD REQUEST",
                                  "error_details": "username and sign are required"}}, 0
        if service == "pricelist":
            if user != USERNAME or sign != md5(USERNAME + self.api_key + "pl"):
                return self._refused("204", p)
            return 200, {"data": {"pricelist": PRICELIST, "message": "SUCCESS",
                                  "rc": "00"}}, 0
        if service == "check-balance":
            if user != USERNAME or sign != md5(USERNAME + self.api_key + "bl"):
                return self._refused("204", p)
            return 200, {"data": {"balance": int(self.deposit), "message": "SUCCESS",
                                  "rc": "00"}}, 0
        ref_id = str(p.get("ref_id"))
        if user != USERNAME or sign != md5(USERNAME + self.api_key + ref_id):
            return self._refused("204", p)
        known = self.txns.get(ref_id)
        if service == "check-status" or (service == "top-up" and known is not None):
            return (200, {"data": self._public(known)}, 0) if known else self._refused("06", p)
        if service != "top-up":
            return 400, {"data": {"rc": "", "message": "NOT FOUND"}}, 0
        code, customer = str(p.get("product_code")), str(p.get("customer_id"))
        if code not in self.price_now:
            return self._refused("20", p)
        price = self.price_now[code]
        if price > self.deposit:
            return self._refused("17", p)
        self.deposit -= price
        txn = {"ref_id": ref_id, "status": 0, "product_code": code, "customer_id": customer,
               "price": price, "message": DESCRIPTIONS["39"], "balance": int(self.deposit),
               "tr_id": next(self._tr_ids), "rc": "39", "sn": ""}
        self.txns[ref_id] = txn
        first = self._public(txn)  # always "process" first
        behaviour = self.script.get(customer, "success")
        if behaviour in ("success", "timeout"):
            self._decide(txn, True)
        elif behaviour == "failed":
            self._decide(txn, False)
        return 200, {"data": first}, self.delay if behaviour == "timeout" else 0
