"""A stand-in for Digiflazz's buyer API, written from its public documentation.

It serves real HTTP on 127.0.0.1 (an ephemeral port) under ``/v1`` and sends its webhooks over
real HTTP to a URL it is given. Every field comes from Digiflazz's buyer API documentation
(developer.digiflazz.com/api/buyer/), section by section:

- **Cek Saldo** (``/v1/cek-saldo``): request ``cmd`` = ``deposit``, ``username``, ``sign`` =
  md5(username + apiKey + "depo"); answer ``data.deposit`` (Float).
- **Daftar Harga** (``/v1/price-list``): request ``cmd`` = ``prepaid`` or ``pasca``,
  ``username``, ``sign`` = md5(username + apiKey + "pricelist"). Prepaid rows: ``product_name``,
  ``category``, ``brand``, ``type``, ``seller_name``, ``price``, ``buyer_sku_code``,
  ``buyer_product_status``, ``seller_product_status``, ``unlimited_stock``, ``stock``,
  ``multi``, ``start_cut_off``, ``end_cut_off``, ``desc``. Postpaid rows: ``product_name``,
  ``category``, ``brand``, ``seller_name``, ``admin``, ``commission``, ``buyer_sku_code``,
  ``buyer_product_status``, ``seller_product_status``, ``desc``.
- **Topup** (``/v1/transaction``): request ``username``, ``buyer_sku_code``, ``customer_no``,
  ``ref_id``, ``sign`` = md5(username + apiKey + ref_id), optional ``testing``, ``max_price``,
  ``cb_url``, ``allow_dot``. Answer in ``data``: ``ref_id``, ``customer_no``,
  ``buyer_sku_code``, ``message``, ``status`` (Sukses / Pending / Gagal), ``rc``, ``sn``,
  ``buyer_last_saldo`` (Float), ``price`` (what the seller charged now, not the price list's),
  ``tele``, ``wa``. A pending one is asked again by re-sending the top-up with the same
  ``ref_id`` ("Cek Status": never a new purchase).
- **Cek Tagihan** (``commands`` = ``inq-pasca``): answer ``customer_name``, ``admin`` (total),
  ``price`` ("harga yang dipotong dari deposit": the bill and admin less the buyer's
  commission), ``selling_price`` ("harga yang ditagihkan ke client": bills, penalties and
  admin), ``periode``, ``buyer_last_saldo``, ``desc`` with ``tarif``, ``daya``,
  ``lembar_tagihan`` and ``detail[]`` of ``periode``, ``nilai_tagihan``, ``admin``, ``denda``.
- **Bayar Tagihan** (``pay-pasca``, the inquiry's ref_id, the same day): the inquiry's fields
  plus ``sn``. **Cek Status** postpaid: ``status-pasca``.
- **Response Code**: the codes sent here and their *Terbentuk transaksi* column — 00, 02, 03
  (created); 41 bad signature, 42 username, 43 SKU unknown, 44 deposit short, 45 IP unknown,
  49 ref_id not unique, 69 seller price above ``max_price`` (none created); 50 not found, 58
  cut-off, 60 bill not available, 85 rate limit (created, per the table).
- **Webhooks**: ``POST`` with headers ``X-Digiflazz-Event`` (``create`` / ``update``),
  ``X-Hub-Signature`` (``sha1=`` + HMAC-SHA1 hex of the body with the webhook secret) and
  ``User-Agent`` (``Digiflazz-Hookshot`` prepaid, ``Digiflazz-Pasca-Hookshot`` postpaid); the
  body is the transaction answer wrapped in ``data``.

The refusals a live account meets apply to *every* request, status re-sends included: a wrong
key (41), an address not whitelisted (45), the rate limit (85, :meth:`throttle`). The test
controls (``script``, :meth:`settle`, :meth:`reprice`...) are the double's own.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

USERNAME = "koperasi"
API_KEY = "dev-key-0123456789"
SECRET = "webhook-secret-xyz"  # noqa: S105 (the double's own)

PREPAID: list[dict[str, Any]] = [
    {"product_name": "PLN 20.000", "category": "PLN", "brand": "PLN", "type": "Umum",
     "seller_name": "PT. Listrik", "price": 20300, "buyer_sku_code": "DF-PLN20",
     "buyer_product_status": True, "seller_product_status": True, "unlimited_stock": True,
     "stock": 0, "multi": True, "start_cut_off": "23:00", "end_cut_off": "0:30",
     "desc": "Token PLN 20.000"},
    {"product_name": "Telkomsel 10.000", "category": "Pulsa", "brand": "TELKOMSEL",
     "type": "Umum", "seller_name": "PT. Pulsa", "price": 10125,
     "buyer_sku_code": "DF-TSEL10", "buyer_product_status": True,
     "seller_product_status": True, "unlimited_stock": False, "stock": 1200, "multi": True,
     "start_cut_off": "0:0", "end_cut_off": "0:0", "desc": "Pulsa Telkomsel Rp 10.000"},
    {"product_name": "XL Data 5 GB", "category": "Data", "brand": "XL", "type": "Umum",
     "seller_name": "PT. Data", "price": 47000, "buyer_sku_code": "DF-XL5GB",
     "buyer_product_status": True, "seller_product_status": False, "unlimited_stock": True,
     "stock": 0, "multi": False, "start_cut_off": "0:0", "end_cut_off": "0:0",
     "desc": "XL 5 GB"},
    {"product_name": "Voucher game", "category": "Games", "brand": "X", "type": "Umum",
     "seller_name": "PT. Game", "price": 9000, "buyer_sku_code": "DF-GAME",
     "buyer_product_status": True, "seller_product_status": True, "unlimited_stock": True,
     "stock": 0, "multi": True, "start_cut_off": "0:0", "end_cut_off": "0:0", "desc": "-"},
]
POSTPAID: list[dict[str, Any]] = [
    {"product_name": "PLN Pascabayar", "category": "Pascabayar", "brand": "PLN PASCABAYAR",
     "seller_name": "PT. Listrik", "admin": 2500, "commission": 1000,
     "buyer_sku_code": "DF-PLNPOST", "buyer_product_status": True,
     "seller_product_status": True, "desc": "-"},
    {"product_name": "BPJS Kesehatan", "category": "Pascabayar", "brand": "BPJS KESEHATAN",
     "seller_name": "PT. Asuransi", "admin": 2500, "commission": 1000,
     "buyer_sku_code": "DF-BPJS", "buyer_product_status": True,
     "seller_product_status": True, "desc": "-"},
]
#: Response messages of the documentation's "Response Code" table, for the codes sent here.
MESSAGES = {"00": "Transaksi Sukses", "02": "Transaksi Gagal", "03": "Transaksi Pending",
            "41": "Signature tidak valid", "42": "Gagal memproses API Buyer",
            "43": "SKU tidak di temukan atau Non-Aktif", "44": "Saldo tidak cukup",
            "45": "IP Anda tidak kami kenali", "49": "Ref ID tidak unik",
            "50": "Transaksi Tidak Ditemukan", "58": "Sedang Cut Off",
            "60": "Tagihan belum tersedia",
            "69": "Harga seller lebih besar dari ketentuan harga buyer",
            "85": "Limitasi transaksi tercapai"}


def md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def hub_signature(body: bytes, secret: str = SECRET) -> str:
    return "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()


class DigiflazzDouble:
    """The buyer API on 127.0.0.1. ``script[customer_no]`` picks what a new purchase does:
    ``success`` (default), ``failed`` (rc 02), ``pending`` (rc 03 until :meth:`settle`),
    ``cutoff`` (58), ``timeout`` (bought, answered after ``delay`` seconds) or ``malformed``
    (bought, answered with an HTML error page)."""

    def __init__(self) -> None:
        self.script: dict[str, str] = {}
        self.deposit = Decimal(1_000_000)
        self.delay = 4.0
        self.api_key = API_KEY
        self.whitelisted = True
        self._throttled = 0
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.txns: dict[str, dict[str, Any]] = {}
        self.inquiries: dict[str, dict[str, Any]] = {}
        #: What the seller charges now, by SKU; the price list keeps showing ``price``.
        self.price_now: dict[str, int] = {str(p["buyer_sku_code"]): int(p["price"])
                                          for p in PREPAID}
        #: Periods of a customer's postpaid bill: (periode, nilai_tagihan, denda).
        self.bills: dict[str, list[tuple[str, int, int]]] = {}
        self.webhook_url = ""
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
                path = self.path.removeprefix("/v1")
                with double.lock:
                    double.requests.append((path, payload))
                    answer, delay = double.answer(path, payload)
                if delay:
                    time.sleep(delay)
                if isinstance(answer, str):
                    body, kind = answer.encode(), "text/html"
                else:
                    body, kind = json.dumps(answer).encode(), "application/json"
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(OSError):  # the client gave up (timeout)
                    self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def start(self) -> DigiflazzDouble:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- test controls ----------------------------------------------------------------------------
    def transactions_sent(self) -> list[dict[str, Any]]:
        return [p for path, p in self.requests if path == "/transaction"]

    def throttle(self, requests: int) -> None:
        """Answer the next ``requests`` transaction requests with rc 85 (rate limit)."""
        self._throttled = requests

    def reprice(self, sku: str, price: int) -> None:
        """The seller changes its price; the price list fetched earlier does not show it."""
        self.price_now[sku] = price

    def settle(self, ref_id: str, success: bool, sn: str = "SN-LATE-1") -> None:
        """A pending purchase is decided at the seller."""
        with self.lock:
            txn = self.txns[ref_id]
            if success:
                txn.update(status="Sukses", rc="00", sn=sn, message=MESSAGES["00"])
            else:
                self.deposit += txn["price"]  # the held price goes back
                txn.update(status="Gagal", rc="02", sn="", message=MESSAGES["02"])
            txn["buyer_last_saldo"] = float(self.deposit)

    # -- the scenario suite's controls (kopcore_ppob.testing.ProviderDouble) --------------------
    def behave(self, customer_no: str, behaviour: str) -> None:
        self.script[customer_no] = behaviour

    def send_forged_webhook(self, ref_id: str) -> httpx.Response:
        with self.lock:
            forged = {**self.txns[ref_id], "status": "Sukses", "rc": "00", "sn": "FORGED"}
        return self.send_webhook(ref_id, secret="guessed-secret",  # noqa: S106 (a forger's)
                                 body=json.dumps({"data": forged}).encode())

    def break_credentials(self) -> None:
        self.api_key = "rotated-key"

    def restore_credentials(self) -> None:
        self.api_key = API_KEY

    def purchases(self, ref_id: str) -> int:
        return int(ref_id in self.txns)

    def webhook(self, ref_id: str, secret: str = SECRET) -> tuple[str, str]:
        """(body, X-Hub-Signature) of the webhook about ``ref_id`` now, to deliver by hand."""
        body = self.webhook_body(ref_id)
        return body.decode(), hub_signature(body, secret)

    def webhook_body(self, ref_id: str) -> bytes:
        return json.dumps({"data": dict(self.txns[ref_id])}).encode()

    def send_webhook(self, ref_id: str, event: str = "update", secret: str = SECRET,
                     body: bytes | None = None) -> httpx.Response:
        """Deliver the webhook about ``ref_id`` over HTTP to ``webhook_url``, as documented."""
        body = self.webhook_body(ref_id) if body is None else body
        postpaid = ref_id in self.inquiries
        response = httpx.post(self.webhook_url, content=body, timeout=30, headers={
            "X-Digiflazz-Event": event, "X-Hub-Signature": hub_signature(body, secret),
            "User-Agent": "Digiflazz-Pasca-Hookshot" if postpaid else "Digiflazz-Hookshot",
            "Content-Type": "application/json"})
        return response

    # -- the protocol -----------------------------------------------------------------------------
    def _refused(self, rc: str, base: dict[str, Any]) -> dict[str, Any]:
        return {"data": {**base, "status": "Gagal", "rc": rc, "message": MESSAGES[rc],
                         "sn": "", "price": 0}}

    def answer(self, path: str, p: dict[str, Any]) -> tuple[Any, float]:
        user, sign = p.get("username"), p.get("sign")
        if path == "/price-list":
            if not self.whitelisted:
                return self._refused("45", {}), 0
            if user != USERNAME or sign != md5(USERNAME + self.api_key + "pricelist"):
                return self._refused("41", {}), 0
            return {"data": PREPAID if p.get("cmd") == "prepaid" else POSTPAID}, 0
        if path == "/cek-saldo":
            if not self.whitelisted:
                return self._refused("45", {}), 0
            if p.get("cmd") != "deposit" or sign != md5(USERNAME + self.api_key + "depo"):
                return self._refused("41", {}), 0
            return {"data": {"deposit": float(self.deposit)}}, 0
        if path != "/transaction":
            return {"data": {"rc": "40", "message": "Payload Error"}}, 0
        ref_id = str(p.get("ref_id"))
        sku, customer = str(p.get("buyer_sku_code")), str(p.get("customer_no"))
        base = {"ref_id": ref_id, "customer_no": customer, "buyer_sku_code": sku}
        if not self.whitelisted:
            return self._refused("45", base), 0
        if user != USERNAME:
            return self._refused("42", base), 0
        if sign != md5(USERNAME + self.api_key + ref_id):
            return self._refused("41", base), 0
        if self._throttled:
            self._throttled -= 1
            return self._refused("85", base), 0
        command = p.get("commands")
        if command == "inq-pasca":
            return self._inquiry(ref_id, sku, customer, base), 0
        if command == "pay-pasca":
            return self._pay_bill(ref_id, sku, customer, base), 0
        if command == "status-pasca":
            known = self.txns.get(ref_id)
            return ({"data": dict(known)} if known else self._refused("50", base)), 0
        return self._top_up(ref_id, sku, customer, base, p.get("max_price"))

    def _top_up(self, ref_id: str, sku: str, customer: str, base: dict[str, Any],
                max_price: Any) -> tuple[Any, float]:
        known = self.txns.get(ref_id)
        if known is not None:  # Cek Status: the same top-up again answers about the first
            if (known["buyer_sku_code"], known["customer_no"]) != (sku, customer):
                return self._refused("49", base), 0
            return {"data": dict(known)}, 0
        if sku not in self.price_now:
            return self._refused("43", base), 0
        price = self.price_now[sku]
        if max_price is not None and price > int(max_price):
            return self._refused("69", base), 0
        behaviour = self.script.get(customer, "success")
        if behaviour == "cutoff":
            return {"data": {**self._refused("58", base)["data"], "price": price}}, 0
        if price > self.deposit:
            return self._refused("44", base), 0
        self.deposit -= price  # taken when the transaction is created
        txn = {**base, "price": price, "sn": "", "buyer_last_saldo": float(self.deposit),
               "tele": "@seller", "wa": "081234512345"}
        self.txns[ref_id] = txn
        if behaviour == "failed":
            self.deposit += price
            txn.update(status="Gagal", rc="02", message="Nomor tujuan salah",
                       buyer_last_saldo=float(self.deposit))
            return {"data": dict(txn)}, 0
        if behaviour == "pending":
            txn.update(status="Pending", rc="03", message=MESSAGES["03"])
            return {"data": dict(txn)}, 0
        sn = ("5123-4567-8901-2345-6789" if sku == "DF-PLN20"
              else "SN" + str(int(md5(ref_id), 16))[:12])
        txn.update(status="Sukses", rc="00", sn=sn, message=MESSAGES["00"])
        if behaviour == "timeout":
            return {"data": dict(txn)}, self.delay
        if behaviour == "malformed":
            return "<html><body>502 Bad Gateway</body></html>", 0
        return {"data": dict(txn)}, 0

    def _postpaid_product(self, sku: str) -> dict[str, Any] | None:
        return next((p for p in POSTPAID if p["buyer_sku_code"] == sku), None)

    def _inquiry(self, ref_id: str, sku: str, customer: str,
                 base: dict[str, Any]) -> dict[str, Any]:
        product = self._postpaid_product(sku)
        if product is None:
            return self._refused("43", base)
        if customer.endswith("9"):
            return self._refused("60", base)
        periods = self.bills.get(customer) or [
            ("202601", 150_000 + int(customer[-2:]) * 100, 0)]
        admin = int(product["admin"]) * len(periods)
        owed = sum(bill + fine for _, bill, fine in periods)
        selling = owed + admin
        answer = {**base, "customer_name": "BUDI SANTOSO", "admin": admin,
                  "message": MESSAGES["00"], "status": "Sukses", "rc": "00",
                  "periode": periods[-1][0], "buyer_last_saldo": float(self.deposit),
                  "price": selling - int(product["commission"]) * len(periods),
                  "selling_price": selling,
                  "desc": {"tarif": "R1", "daya": 1300, "lembar_tagihan": len(periods),
                           "detail": [{"periode": period, "nilai_tagihan": str(bill),
                                       "admin": str(product["admin"]), "denda": str(fine)}
                                      for period, bill, fine in periods]}}
        self.inquiries[ref_id] = answer
        return {"data": answer}

    def _pay_bill(self, ref_id: str, sku: str, customer: str,
                  base: dict[str, Any]) -> dict[str, Any]:
        known = self.txns.get(ref_id)
        if known is not None:
            return {"data": dict(known)}
        quote = self.inquiries.get(ref_id)
        if quote is None or (quote["buyer_sku_code"], quote["customer_no"]) != (sku, customer):
            return self._refused("50", base)
        if quote["price"] > self.deposit:
            return self._refused("44", base)
        self.deposit -= quote["price"]
        txn = {**quote, "sn": "S" + str(int(md5(ref_id), 16))[:11] + "N",
               "buyer_last_saldo": float(self.deposit)}
        self.txns[ref_id] = txn
        return {"data": dict(txn)}
