"""HTTP: kopcore's request path against a raw ceiling route served by the same server.

One server process (uvicorn, one worker, the settings of ``kopcore serve``: the same host, log
level, access log and redacting log configuration) serves kopcore's app and, registered on that
same app, three **raw ceiling routes** that do the equivalent driver statements with no kopcore:

- ``POST /bench/raw/deposit`` — a sync handler run on a worker thread (one hop), on a raw
  connection of that thread: the API key looked up by its id with its user (one ``SELECT``,
  the secret's SHA-256 compared in constant time, revoked and inactive refused), then in one
  write transaction (``BEGIN IMMEDIATE`` behind an in-process lock on SQLite, a psycopg
  transaction on PostgreSQL) the audit row ``INSERT``, the accounts read by number with the
  business date (as kopcore does), the entry ``INSERT``, the balance ``UPDATE``\\ s in ascending
  id order (status checked) and the postings ``INSERT``;
- ``GET /bench/raw/balance`` — the same key lookup and the account's balance ``SELECT``;
- ``GET /bench/raw/page`` — the web page's ceiling: the session by its token's SHA-256 with
  its user and login, the balance ``SELECT``, a small HTML page formatted.

kopcore's side is ``POST /api/v1/entries/post`` (a 2-line deposit) and ``GET
/api/v1/accounts/balance`` with the same bearer key, and the staff web app's page of the
balance operation (``GET /app/op/accounts.balance?account=…&run=1``) with a session cookie.
The client opens N keep-alive connections over loopback (plain HTTP/1.1 on asyncio streams: a
few microseconds per request, so it costs the server's two cores far less than an HTTP library
would) and alternates rounds of kopcore
and raw (the side going first rotates), so both see the same machine load. ``GET /health`` (a
bare Litestar route) is measured in the same rounds as a reference. Reported per case:
requests/s, p50 and p99 of each side, the server's CPU time per request of each side, the
ratio kopcore / raw and whether kopcore's p99 is within the target.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import html
import json
import os
import random
import secrets
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import attrs
from litestar import MediaType, Request, Response, get, post

from bench.api import HOST, Server
from bench.report import Figure
from bench.targets import CASH, CURRENCY, ENTRY_DIGEST, Target, raw_transaction, seed_members
from kopcore import _auth as auth
from kopcore import _logins as logins

RAW_DEPOSIT = "/bench/raw/deposit"
RAW_BALANCE = "/bench/raw/balance"
RAW_PAGE = "/bench/raw/page"
KOPCORE_DEPOSIT = "/api/v1/entries/post"
KOPCORE_BALANCE = "/api/v1/accounts/balance"
#: The staff web app's page of the balance operation, run (``run=1``) for one account.
KOPCORE_PAGE = "/app/op/accounts.balance"
#: The issue's targets: kopcore at least half its raw ceiling; p99 within 50 ms at 8 connections.
RATIO_TARGET = 0.5
P99_TARGET_MS = 50.0


@attrs.frozen
class HttpSizes:
    accounts: int
    requests: int  # per round and side, at most
    seconds: float  # per round and side, at most
    rounds: int  # per side; kopcore and raw alternate
    clients: int = 8


QUICK = HttpSizes(1_000, 200, 2.0, 3)
#: Many short rounds: on a shared machine the load changes from second to second, and each
#: side must see the same share of it.
FULL = HttpSizes(10_000, 600, 4.0, 10)


# --- the server side (run in the server subprocess) -------------------------------------------

KEY_LOOKUP = ("SELECT k.secret_hash, k.revoked_at, u.username, u.active, u.role "
              "FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.key_id = %s")
INSERT_AUDIT = ("INSERT INTO audit_log (at, actor, interface, operation, input_digest, outcome,"
                " detail) VALUES (%s, %s, 'api', 'entries.post', %s, 'ok', NULL)")
ACCOUNTS = ("SELECT id, number, normal_sign, status, floor, currency, "
            "(SELECT business_date FROM business_calendar) FROM accounts "
            "WHERE number IN (%s, %s)")
INSERT_ENTRY = (
    "INSERT INTO journal_entries (business_date, memo, actor, operation, idempotency_key, "
    "request_digest, reverses_entry_id, created_at, digest) VALUES (%s, %s, %s, 'entries.post',"
    f" NULL, %s, NULL, %s, '{ENTRY_DIGEST}') RETURNING id")
UPDATE_BALANCE = ("UPDATE accounts SET balance = balance + %s WHERE id = %s "
                  "AND status <> 'closed' RETURNING id")
INSERT_POSTING = ("INSERT INTO postings (entry_id, account_id, amount, currency) "
                  "VALUES (%s, %s, %s, %s)")
BALANCE = "SELECT number, balance, held, currency FROM accounts WHERE number = %s"
SESSION = ("SELECT s.expires_at, s.last_seen_at, s.needs_code, u.username, u.active, "
           "l.must_change FROM web_sessions s JOIN users u ON u.id = s.user_id "
           "JOIN web_logins l ON l.user_id = s.user_id WHERE s.token_hash = %s")
PAGE = ("<!doctype html><html lang=id><title>Saldo</title><main><h1>Saldo {account}</h1>"
        "<p>{balance} {currency} (ditahan {held})</p><p>{user}</p></main></html>")
DIGEST = "0" * 64


class Refused(Exception):
    """The raw route's 401."""


class RawRoutes:
    """The ceiling: the driver's statements on one connection per server thread."""

    def __init__(self, url: str) -> None:
        self.sqlite = url.startswith("sqlite")
        self.url = url
        self._local = threading.local()
        self._writer = threading.Lock()  # SQLite: one writer at a time, queued in-process

    def sql(self, text: str) -> str:
        return text.replace("%s", "?") if self.sqlite else text

    def _conn(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if self.sqlite:
                conn = sqlite3.connect(self.url.split("///", 1)[1], isolation_level=None,
                                       check_same_thread=False, timeout=30)
                for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=FULL",
                               "busy_timeout=30000"):
                    conn.execute(f"PRAGMA {pragma}")
            else:
                import psycopg

                conn = psycopg.connect("postgresql://" + self.url.split("://", 1)[1],
                                       autocommit=True)
            self._local.conn = conn
        return conn

    def _user(self, cur: Any, authorization: str) -> str:
        scheme, _, token = authorization.partition(" ")
        match = auth.KEY_PATTERN.fullmatch(token.strip()) if scheme.lower() == "bearer" else None
        if match is None:
            raise Refused
        key_id, secret = match.groups()
        cur.execute(self.sql(KEY_LOOKUP), (key_id,))
        row = cur.fetchone()
        given = hashlib.sha256(secret.encode()).hexdigest()
        if row is None or not hmac.compare_digest(given, row[0]) or row[1] is not None \
                or not row[3]:
            raise Refused
        return str(row[2])

    @contextmanager
    def _write(self) -> Iterator[Any]:
        conn = self._conn()
        if self.sqlite:
            with self._writer, raw_transaction(conn, sqlite=True) as cur:
                yield cur
            return
        with raw_transaction(conn, sqlite=False) as cur:
            yield cur

    def deposit(self, authorization: str, body: bytes) -> dict[str, Any]:
        data = json.loads(body)
        (debit, credit) = data["lines"]
        amount = int(Decimal(debit["amount"]) * 100)
        now: Any = datetime.now(UTC)
        if self.sqlite:
            now = now.isoformat(sep=" ")
        with self._write() as cur:
            user = self._user(cur, authorization)
            cur.execute(self.sql(INSERT_AUDIT), (now, user, DIGEST))
            cur.execute(self.sql(ACCOUNTS), (debit["account"], credit["account"]))
            found = {r[1]: r for r in cur.fetchall()}
            if len(found) != 2 or any(r[3] == "closed" or r[5] != CURRENCY
                                      for r in found.values()):
                raise Refused
            day = found[debit["account"]][6]
            cur.execute(self.sql(INSERT_ENTRY), (day, data["memo"], user, DIGEST, now))
            entry_id = cur.fetchone()[0]
            legs = sorted([(found[debit["account"]][0], amount),
                           (found[credit["account"]][0], -amount)])
            for account_id, delta in legs:
                cur.execute(self.sql(UPDATE_BALANCE), (delta, account_id))
                if cur.fetchone() is None:
                    raise Refused
            cur.executemany(self.sql(INSERT_POSTING), [(entry_id, a, d, CURRENCY)
                                                       for a, d in legs])
        return {"id": entry_id}

    def page(self, cookie: str | None, number: str) -> str:
        """The web page's ceiling: the session read by its token's SHA-256 with its user and
        login (live, not expired, active, no code or password change pending), the balance
        read, and a small HTML page formatted."""
        cur = self._conn().cursor()
        token_hash = hashlib.sha256((cookie or "").encode()).hexdigest()
        cur.execute(self.sql(SESSION), (token_hash,))
        session = cur.fetchone()
        if session is None or not session[4] or session[2] or session[5]:
            raise Refused
        cur.execute(self.sql(BALANCE), (number,))
        row = cur.fetchone()
        if row is None:
            raise Refused
        return PAGE.format(account=html.escape(row[0]), balance=row[1], currency=row[3],
                           held=row[2], user=html.escape(session[3]))

    def balance(self, authorization: str, number: str) -> dict[str, Any]:
        cur = self._conn().cursor()
        user = self._user(cur, authorization)
        cur.execute(self.sql(BALANCE), (number,))
        row = cur.fetchone()
        if row is None:
            raise Refused
        return {"account": row[0], "balance": row[1], "held": row[2], "currency": row[3],
                "user": user}


def build_app() -> Any:
    """kopcore's app for the settings in the environment, as ``kopcore serve`` builds it,
    with the raw ceiling routes registered on it."""
    from kopcore.interfaces.api import make_app
    from kopcore.kernel import Kernel
    from kopcore.settings import Settings

    settings = Settings.load()
    app = make_app(Kernel.start(settings))
    raw = RawRoutes(settings.database_url)

    def answer(work: Callable[[], dict[str, Any]]) -> Response[Any]:
        try:
            return Response(work(), media_type=MediaType.JSON)
        except Refused:
            return Response({"status": 401}, status_code=401, media_type=MediaType.JSON)

    @post(RAW_DEPOSIT, sync_to_thread=True, include_in_schema=False, status_code=200)
    def raw_deposit(request: Request[Any, Any, Any], body: bytes) -> Response[Any]:
        header = request.headers.get("authorization", "")
        return answer(lambda: raw.deposit(header, body))

    @get(RAW_BALANCE, sync_to_thread=True, include_in_schema=False)
    def raw_balance(request: Request[Any, Any, Any], account: str) -> Response[Any]:
        header = request.headers.get("authorization", "")
        return answer(lambda: raw.balance(header, account))

    @get(RAW_PAGE, sync_to_thread=True, include_in_schema=False)
    def raw_page(request: Request[Any, Any, Any], account: str) -> Response[Any]:
        cookie = request.cookies.get("kopcore_session")
        try:
            return Response(raw.page(cookie, account), media_type=MediaType.HTML)
        except Refused:
            return Response("refused", status_code=401, media_type=MediaType.TEXT)

    app.register(raw_deposit)
    app.register(raw_balance)
    app.register(raw_page)
    return app


def serve(port: int) -> None:
    """What ``kopcore serve --workers 1`` runs, on the app of :func:`build_app`."""
    import uvicorn

    from kopcore.interfaces._logs import server_log_config

    uvicorn.run(build_app(), host=HOST, port=port, log_level="info", proxy_headers=True,
                log_config=server_log_config())


class CeilingServer(Server):
    """:class:`bench.api.Server`, started on :func:`serve` instead of ``kopcore serve``."""

    def __init__(self, database_url: str) -> None:
        import tempfile
        from pathlib import Path

        from bench.api import _free_port

        self.port = _free_port()
        self.workdir = tempfile.mkdtemp(prefix="kopcore_bench_http_")
        self.log_path = Path(self.workdir) / "serve.log"
        env = {k: v for k, v in os.environ.items() if k != "KOPCORE_SETTINGS"}
        env["KOPCORE_DATABASE_URL"] = database_url
        env["KOPCORE_PLUGINS"] = ""
        root = str(Path(__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.http_path", str(self.port)],
            cwd=self.workdir, env=env, stdout=self._log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )


# --- the client side --------------------------------------------------------------------------

MakeRequest = Callable[[int], bytes]


def _request_bytes(method: str, path: str, key: str, body: dict[str, Any] | None, *,
                   cookie: str | None = None) -> bytes:
    """An HTTP/1.1 request with the API key, or with a web session's cookie."""
    payload = b"" if body is None else json.dumps(body).encode()
    head = [f"{method} {path} HTTP/1.1", f"Host: {HOST}"]
    head += ([f"Cookie: kopcore_session={cookie}", "Accept: text/html"] if cookie else
             [f"Authorization: Bearer {key}", "Accept: application/json"])
    if body is not None:
        head += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + payload


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    request: bytes) -> tuple[int, bytes]:
    writer.write(request)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = None
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length is None:
        raise RuntimeError(f"response without Content-Length: {head!r}")
    return status, await reader.readexactly(length)


async def _round(port: int, clients: int, requests: int, seconds: float,
                 make: MakeRequest) -> dict[str, Any]:
    latencies: list[float] = []
    failures: dict[str, int] = {}
    counter = iter(range(requests))
    streams = [await asyncio.open_connection(HOST, port) for _ in range(clients)]

    async def one(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                  deadline: float) -> None:
        for n in counter:
            if time.perf_counter() >= deadline:
                return
            request = make(n)
            t0 = time.perf_counter()
            status, body = await _exchange(reader, writer, request)
            latencies.append(time.perf_counter() - t0)
            if status != 200:
                key = f"{status} {body[:200].decode(errors='replace')}"
                failures[key] = failures.get(key, 0) + 1

    start = time.perf_counter()
    try:
        await asyncio.gather(*(one(r, w, start + seconds) for r, w in streams))
    finally:
        for _, writer in streams:
            writer.close()
    return {"latencies": latencies, "seconds": time.perf_counter() - start,
            "failures": failures}


def server_cpu_seconds(pid: int) -> float:
    """CPU time (user + system, all threads) the server process has used so far."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _summary(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    latencies = sorted(x for r in rounds for x in r["latencies"])
    seconds = sum(r["seconds"] for r in rounds)
    cpu = sum(r["server_cpu"] for r in rounds)

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    return {"requests": len(latencies), "seconds": round(seconds, 3),
            "rate": len(latencies) / seconds, "p50_ms": round(pct(0.50), 2),
            "p99_ms": round(pct(0.99), 2), "max_ms": round(latencies[-1] * 1000, 2),
            "round_rates": [round(len(r["latencies"]) / r["seconds"], 1) for r in rounds],
            "server_cpu_ms_per_request": round(1000 * cpu / len(latencies), 3)}


def measure(port: int, pid: int, sizes: HttpSizes,
            sides: dict[str, MakeRequest]) -> dict[str, dict[str, Any]]:
    """Rounds of every side in turn, the side going first rotating; each side's summary, with
    the server's CPU time per request (what the machine's other work does not change much)."""
    names = list(sides)
    done: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for n in range(sizes.rounds):
        order = names[n % len(names):] + names[:n % len(names)]
        for name in order:
            cpu = server_cpu_seconds(pid)
            result = asyncio.run(_round(port, sizes.clients, sizes.requests, sizes.seconds,
                                        sides[name]))
            result["server_cpu"] = server_cpu_seconds(pid) - cpu
            if result["failures"]:
                raise RuntimeError(f"{name} failed: {result['failures']}")
            done[name].append(result)
    return {name: _summary(rounds) for name, rounds in done.items()}


def _figure(target: Target, case: str, kopcore: dict[str, Any], raw: dict[str, Any],
            health: dict[str, Any], clients: int) -> Figure:
    return Figure(
        target.name, "http", f"{case}, {clients} connections", "req/s", kopcore["rate"],
        raw["rate"], baseline_name="raw ceiling route, same server", target=RATIO_TARGET,
        target_text=f">= {RATIO_TARGET:g}x raw ceiling",
        details={"p50_ms": kopcore["p50_ms"], "p99_ms": kopcore["p99_ms"],
                 "baseline_p50_ms": raw["p50_ms"], "baseline_p99_ms": raw["p99_ms"],
                 "p99_target_ms": P99_TARGET_MS,
                 "server_cpu_ms": kopcore["server_cpu_ms_per_request"],
                 "baseline_server_cpu_ms": raw["server_cpu_ms_per_request"],
                 "kopcore": kopcore, "raw": raw,
                 "health": health},
    )


def run(target: Target, sizes: HttpSizes, log: Callable[[str], None]) -> list[Figure]:
    log(f"[{target.name}] http: seeding {sizes.accounts:,} accounts and an API key")
    seeded = seed_members(target, sizes.accounts, product="bench.http", prefix="HT")
    kernel = target.kernel()

    def make_key(ctx: Any) -> tuple[str, str]:
        auth.create_user(ctx.conn, "bench", "admin")
        password = secrets.token_urlsafe(18)
        logins.set_password(ctx.conn, "bench", password, temporary=False)
        signed_in = logins.log_in(ctx.conn, ctx.kernel.plugins, "bench", password)
        assert signed_in is not None
        return auth.issue_key(ctx.conn, "bench", "benchmark")[1], signed_in[0]

    key, cookie = kernel.write("bench", make_key)
    kernel.close()
    target.kernels.remove(kernel)
    rng = random.Random(11)
    numbers = seeded.numbers

    def deposit(path: str) -> MakeRequest:
        def make(_n: int) -> bytes:
            amount = f"{rng.randint(1, 1000)}.00"
            return _request_bytes("POST", path, key, {
                "memo": "Setoran tunai",
                "lines": [{"account": CASH, "side": "debit", "amount": amount},
                          {"account": rng.choice(numbers), "side": "credit",
                           "amount": amount}]})
        return make

    def balance(path: str) -> MakeRequest:
        return lambda _n: _request_bytes("GET", f"{path}?account={rng.choice(numbers)}", key,
                                         None)

    def page(path: str) -> MakeRequest:
        return lambda _n: _request_bytes(
            "GET", f"{path}?account={rng.choice(numbers)}&run=1", key, None, cookie=cookie)

    health = _request_bytes("GET", "/health", key, None)
    figures: list[Figure] = []
    server = CeilingServer(target.url)
    try:
        server.wait_ready()
        warm = attrs.evolve(sizes, requests=40, rounds=1)
        measure(server.port, server.proc.pid, warm, {
            "k": deposit(KOPCORE_DEPOSIT), "r": deposit(RAW_DEPOSIT),
            "kb": balance(KOPCORE_BALANCE), "rb": balance(RAW_BALANCE),
            "kp": page(KOPCORE_PAGE), "rp": page(RAW_PAGE)})
        cases: tuple[tuple[str, Callable[[str], MakeRequest], str, str], ...] = (
            ("deposit", deposit, KOPCORE_DEPOSIT, RAW_DEPOSIT),
            ("balance read", balance, KOPCORE_BALANCE, RAW_BALANCE),
            ("web page: balance", page, KOPCORE_PAGE, RAW_PAGE))
        for case, make, kopcore_path, raw_path in cases:
            log(f"[{target.name}] http: {case}, {sizes.clients} connections")
            result = measure(server.port, server.proc.pid, sizes, {
                "kopcore": make(kopcore_path), "raw": make(raw_path),
                "health": lambda _n: health})
            figures.append(_figure(target, case, result["kopcore"], result["raw"],
                                   result["health"], sizes.clients))
    finally:
        server.stop()
    return figures


if __name__ == "__main__":
    serve(int(sys.argv[1]))
