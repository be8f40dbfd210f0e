"""A fake Digiflazz buyer API on 127.0.0.1 for the adapter's tests.

It speaks the protocol kopcore_ppob.digiflazz implements (md5-signed JSON requests, answers
wrapped in ``data``, status by re-sending the ref_id, HMAC-SHA1 signed webhooks) and records every
request. Its behaviour for a new transaction is scripted per customer number (``script``):

- ``success`` (default), ``failed``, ``pending`` (until :meth:`settle`), ``cutoff`` (rc 58);
- ``timeout``: the purchase is made, but the answer comes after ``delay`` seconds;
- ``malformed``: the purchase is made, but the answer is an HTML error page.

A purchase costing more than ``deposit`` fails with rc 44, and successes are paid from it.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

USERNAME = "koperasi"
API_KEY = "dev-key-0123456789"
SECRET = "webhook-secret-xyz"  # noqa: S105 (the fake server's own)

PREPAID = [
    {"buyer_sku_code": "DF-PLN20", "product_name": "PLN 20.000", "category": "PLN",
     "brand": "PLN", "type": "Umum", "price": 20300, "buyer_product_status": True,
     "seller_product_status": True, "start_cut_off": "23:00", "end_cut_off": "0:30"},
    {"buyer_sku_code": "DF-TSEL10", "product_name": "Telkomsel 10.000", "category": "Pulsa",
     "brand": "TELKOMSEL", "type": "Umum", "price": 10125, "buyer_product_status": True,
     "seller_product_status": True, "start_cut_off": "0:0", "end_cut_off": "0:0"},
    {"buyer_sku_code": "DF-XL5GB", "product_name": "XL Data 5 GB", "category": "Data",
     "brand": "XL", "type": "Umum", "price": 47000, "buyer_product_status": True,
     "seller_product_status": False, "start_cut_off": "0:0", "end_cut_off": "0:0"},
    {"buyer_sku_code": "DF-GAME", "product_name": "Voucher game", "category": "Games",
     "brand": "X", "price": 9000, "buyer_product_status": True, "seller_product_status": True},
]
POSTPAID = [
    {"buyer_sku_code": "DF-PLNPOST", "product_name": "PLN Pascabayar", "category": "Pascabayar",
     "brand": "PLN PASCABAYAR", "admin": 2500, "commission": 1000,
     "buyer_product_status": True, "seller_product_status": True},
    {"buyer_sku_code": "DF-BPJS", "product_name": "BPJS Kesehatan", "category": "Pascabayar",
     "brand": "BPJS KESEHATAN", "admin": 2500, "commission": 1000,
     "buyer_product_status": True, "seller_product_status": True},
]
PRICES = {p["buyer_sku_code"]: int(p["price"]) for p in PREPAID}


def md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def sign_webhook(body: str, secret: str = SECRET) -> str:
    return "sha1=" + hmac.new(secret.encode(), body.encode(), hashlib.sha1).hexdigest()


class FakeDigiflazz:
    def __init__(self) -> None:
        self.script: dict[str, str] = {}
        self.deposit = 1_000_000
        self.delay = 1.0
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.txns: dict[str, dict[str, Any]] = {}
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                try:
                    payload = json.loads(raw)
                except ValueError:
                    payload = {}
                with fake.lock:
                    fake.requests.append((self.path, payload))
                    answer, delay = fake.answer(self.path, payload)
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
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FakeDigiflazz:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- what tests look at -----------------------------------------------------------------------
    def transactions_sent(self) -> list[dict[str, Any]]:
        return [p for path, p in self.requests if path == "/transaction"]

    def settle(self, ref_id: str, success: bool, sn: str = "SN-LATE-1") -> None:
        with self.lock:
            txn = self.txns[ref_id]
            if success:
                self.deposit -= txn["price"]
                txn.update(status="Sukses", rc="00", sn=sn, message="Transaksi Sukses")
            else:
                txn.update(status="Gagal", rc="02", sn="", message="Transaksi Gagal")
            txn["buyer_last_saldo"] = self.deposit

    def webhook(self, ref_id: str, secret: str = SECRET) -> tuple[str, str]:
        """(body, X-Hub-Signature) of the webhook Digiflazz sends about ``ref_id`` now."""
        body = json.dumps({"data": dict(self.txns[ref_id])})
        return body, sign_webhook(body, secret)

    # -- the protocol -----------------------------------------------------------------------------
    def answer(self, path: str, p: dict[str, Any]) -> tuple[Any, float]:
        user = p.get("username")
        if path == "/price-list":
            if user != USERNAME or p.get("sign") != md5(USERNAME + API_KEY + "pricelist"):
                return {"data": {"rc": "41", "message": "Signature Anda salah"}}, 0
            return {"data": PREPAID if p.get("cmd") == "prepaid" else POSTPAID}, 0
        if path == "/cek-saldo":
            if p.get("cmd") != "deposit" or p.get("sign") != md5(USERNAME + API_KEY + "depo"):
                return {"data": {"rc": "41", "message": "Signature Anda salah"}}, 0
            return {"data": {"deposit": self.deposit}}, 0
        if path != "/transaction":
            return {"data": {"rc": "40", "message": "not found"}}, 0
        ref_id, sku, customer = p.get("ref_id"), p.get("buyer_sku_code"), p.get("customer_no")
        base = {"ref_id": ref_id, "customer_no": customer, "buyer_sku_code": sku}
        if user != USERNAME or p.get("sign") != md5(USERNAME + API_KEY + str(ref_id)):
            return {"data": {**base, "status": "Gagal", "rc": "41",
                             "message": "Signature Anda salah"}}, 0
        command = p.get("commands")
        if command == "inq-pasca":
            if str(customer).endswith("9"):
                return {"data": {**base, "status": "Gagal", "rc": "60",
                                 "message": "Tagihan belum tersedia"}}, 0
            bill = 150_000 + int(str(customer)[-2:]) * 100
            return {"data": {**base, "customer_name": "BUDI SANTOSO", "admin": 2500,
                             "price": bill + 2500, "selling_price": bill + 3000,
                             "status": "Sukses", "rc": "00", "message": "Inquiry sukses"}}, 0
        if ref_id in self.txns:  # status: the same request again (or status-pasca)
            return {"data": dict(self.txns[ref_id])}, 0
        if command == "status-pasca":
            return {"data": {**base, "status": "Gagal", "rc": "02",
                             "message": "Data belum ada"}}, 0
        price = PRICES.get(str(sku), 150_000 + int(str(customer)[-2:]) * 100 + 2500)
        behaviour = self.script.get(str(customer), "success")
        txn = {**base, "price": price, "sn": "", "buyer_last_saldo": self.deposit}
        if behaviour == "cutoff":
            return {"data": {**txn, "status": "Gagal", "rc": "58",
                             "message": "Sedang cut off"}}, 0
        if price > self.deposit:
            return {"data": {**txn, "status": "Gagal", "rc": "44",
                             "message": "Saldo tidak cukup"}}, 0
        self.txns[str(ref_id)] = txn
        if behaviour == "failed":
            txn.update(status="Gagal", rc="02", message="Nomor tujuan salah")
            return {"data": dict(txn)}, 0
        if behaviour == "pending":
            txn.update(status="Pending", rc="03", message="Transaksi Pending")
            return {"data": dict(txn)}, 0
        self.deposit -= price
        sn = ("5123-4567-8901-2345-6789" if str(sku) == "DF-PLN20"
              else "SN" + str(int(md5(str(ref_id)), 16))[:12])
        txn.update(status="Sukses", rc="00", sn=sn, message="Transaksi Sukses",
                   buyer_last_saldo=self.deposit)
        if behaviour == "timeout":
            return {"data": dict(txn)}, self.delay
        if behaviour == "malformed":
            return "<html><body>502 Bad Gateway</body></html>", 0
        return {"data": dict(txn)}, 0
