"""API: deposits over HTTP through a real ``kopcore serve`` (uvicorn) subprocess.

The bench prepares the database (migrated, seeded, an admin user ``bench`` with a key from
:func:`kopcore._auth.issue_key`), starts ``kopcore serve --host 127.0.0.1 --port <free port>``
with ``KOPCORE_DATABASE_URL`` set, ``KOPCORE_PLUGINS=""`` and ``KOPCORE_SETTINGS`` unset, in an
empty working directory, and drives it with N concurrent keep-alive clients (httpx, asyncio).
Each client loop is bounded in request count and in time; only 127.0.0.1 is ever contacted; the
server is always terminated. The baseline is the same server answering ``GET /health``.
The clients share the machine's cores with the server, as a load balancer would not: the
figures are a floor.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

from bench.report import Figure
from bench.targets import CASH, Target, seed_members
from kopcore import _auth as auth

HOST = "127.0.0.1"


@attrs.frozen
class ApiSizes:
    accounts: int
    requests: int  # per concurrency level and route, at most
    seconds: float  # per concurrency level and route, at most
    clients: tuple[int, ...]


QUICK = ApiSizes(1_000, 150, 2.0, (1, 8))
FULL = ApiSizes(10_000, 3_000, 20.0, (1, 4, 16))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _kopcore_command() -> list[str]:
    script = Path(sys.executable).parent / "kopcore"
    if script.exists():
        return [str(script)]
    found = shutil.which("kopcore")
    if found:
        return [found]
    return [sys.executable, "-c", "from kopcore.cli import main; main()"]


class Server:
    """``kopcore serve`` in a subprocess; always terminated by :meth:`stop`."""

    def __init__(self, database_url: str, plugins: str = "") -> None:
        self.port = _free_port()
        self.workdir = tempfile.mkdtemp(prefix="kopcore_bench_serve_")
        self.log_path = Path(self.workdir) / "serve.log"
        env = {k: v for k, v in os.environ.items() if k != "KOPCORE_SETTINGS"}
        env["KOPCORE_DATABASE_URL"] = database_url
        env["KOPCORE_PLUGINS"] = plugins
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [*_kopcore_command(), "serve", "--host", HOST, "--port", str(self.port)],
            cwd=self.workdir, env=env, stdout=self._log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def wait_ready(self, timeout: float = 60.0) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"kopcore serve exited: {self.log_tail()}")
            try:
                if httpx.get(self.base + "/health", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"kopcore serve did not answer in {timeout} s: {self.log_tail()}")

    def log_tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._log.close()
        shutil.rmtree(self.workdir, ignore_errors=True)


async def _load(base: str, clients: int, requests: int, seconds: float,
                make_request: Callable[[int], tuple[str, str, dict[str, Any] | None]],
                headers: dict[str, str]) -> dict[str, Any]:
    import httpx

    latencies: list[float] = []
    failures: dict[str, int] = {}
    counter = iter(range(requests))
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits,
                                 timeout=30.0) as client:
        deadline = time.perf_counter() + seconds

        async def one_client() -> None:
            for n in counter:
                if time.perf_counter() >= deadline:
                    return
                method, path, body = make_request(n)
                t0 = time.perf_counter()
                response = await client.request(method, path, json=body)
                latencies.append(time.perf_counter() - t0)
                if response.status_code != 200:
                    key = str(response.status_code)
                    failures[key] = failures.get(key, 0) + 1

        start = time.perf_counter()
        await asyncio.gather(*(one_client() for _ in range(clients)))
        elapsed = time.perf_counter() - start
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    return {"requests": len(latencies), "seconds": round(elapsed, 3),
            "rate": len(latencies) / elapsed, "p50_ms": pct(0.50), "p99_ms": pct(0.99),
            "failures": failures, "clients": clients}


def run(target: Target, sizes: ApiSizes, log: Callable[[str], None]) -> list[Figure]:
    log(f"[{target.name}] api: seeding {sizes.accounts:,} accounts and an API key")
    seeded = seed_members(target, sizes.accounts, product="bench.api", prefix="AP")
    kernel = target.kernel()

    def make_key(ctx: Any) -> str:
        auth.create_user(ctx.conn, "bench", "admin")
        return auth.issue_key(ctx.conn, "bench", "benchmark")[1]

    key = kernel.write("bench", make_key)
    kernel.close()
    target.kernels.remove(kernel)
    rng = random.Random(7)
    numbers = seeded.numbers

    def deposit(_n: int) -> tuple[str, str, dict[str, Any] | None]:
        amount = f"{rng.randint(1, 1000)}.00"
        return ("POST", "/api/v1/entries/post", {
            "memo": "Setoran tunai",
            "lines": [{"account": CASH, "side": "debit", "amount": amount},
                      {"account": rng.choice(numbers), "side": "credit", "amount": amount}]})

    def health(_n: int) -> tuple[str, str, dict[str, Any] | None]:
        return ("GET", "/health", None)

    headers = {"Authorization": f"Bearer {key}"}
    figures: list[Figure] = []
    server = Server(target.url)
    try:
        server.wait_ready()
        # Warm up both routes (first requests build caches, open pooled connections).
        asyncio.run(_load(server.base, 2, 20, 5.0, deposit, headers))
        asyncio.run(_load(server.base, 2, 20, 5.0, health, headers))
        for clients in sizes.clients:
            log(f"[{target.name}] api: {clients} client(s)")
            posted = asyncio.run(_load(server.base, clients, sizes.requests, sizes.seconds,
                                       deposit, headers))
            trivial = asyncio.run(_load(server.base, clients, sizes.requests, sizes.seconds,
                                        health, headers))
            if posted["failures"]:
                raise RuntimeError(f"entries.post failed: {posted['failures']}: "
                                   f"{server.log_tail()}")
            figures.append(Figure(
                target.name, "api", f"entries.post, {clients} client(s)", "req/s",
                posted["rate"], trivial["rate"], baseline_name="same server GET /health",
                details={"p50_ms": posted["p50_ms"], "p99_ms": posted["p99_ms"],
                         "baseline_p50_ms": trivial["p50_ms"],
                         "baseline_p99_ms": trivial["p99_ms"],
                         "kopcore": posted, "health": trivial},
            ))
    finally:
        server.stop()
    return figures
