"""What every run prints: machine, versions, durability settings, isolation level."""

from __future__ import annotations

import os
import platform
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

from bench.targets import Target


def _memory_gib() -> float | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def machine() -> dict[str, Any]:
    import psycopg
    import sqlalchemy

    return {
        "cores": os.cpu_count(),
        "cpu": _cpu_model(),
        "memory_gib": _memory_gib(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "sqlalchemy": sqlalchemy.__version__,
        "psycopg": psycopg.__version__,
        "sqlite": sqlite3.sqlite_version,
        "load_average_at_start": load_average(),
    }


def load_average() -> list[float] | None:
    """1/5/15-minute load: above the core count, other work shared the machine."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


#: What decides how current a PostgreSQL plan is: autovacuum's ANALYZE and the plan cache.
PLAN_SETTINGS = ("autovacuum", "autovacuum_naptime", "autovacuum_analyze_threshold",
                 "autovacuum_analyze_scale_factor", "autovacuum_vacuum_threshold",
                 "autovacuum_vacuum_scale_factor", "plan_cache_mode", "track_counts")


def fsync_rate(folder: Path, seconds: float = 1.0) -> int:
    """How many 4 KiB write + ``fdatasync`` pairs the disk under ``folder`` completes a second
    (SQLite in WAL mode with ``synchronous=FULL`` syncs the log at every commit, so this bounds
    its single-writer commits a second, for kopcore and the raw driver alike)."""
    path = folder / "fsync-probe"
    sync = getattr(os, "fdatasync", os.fsync)
    block = b"\0" * 4096
    done = 0
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        deadline = time.perf_counter() + seconds
        start = time.perf_counter()
        while time.perf_counter() < deadline or done < 10:
            os.pwrite(fd, block, 0)
            sync(fd)
            done += 1
        return round(done / (time.perf_counter() - start))
    finally:
        os.close(fd)
        path.unlink(missing_ok=True)


def durability(target: Target) -> dict[str, Any]:
    """The settings in force on a kopcore connection of this target."""
    kernel = target.kernels[0] if target.kernels else target.kernel()
    out: dict[str, Any] = {}
    with kernel.db.engine.connect() as conn:
        if target.name == "sqlite":
            for pragma in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout"):
                out[pragma] = conn.exec_driver_sql(f"PRAGMA {pragma}").scalar()
            out["synchronous"] = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}.get(
                out["synchronous"], out["synchronous"])
            out["write_transactions"] = "BEGIN IMMEDIATE"
            out["isolation"] = "SERIALIZABLE (SQLite: one writer at a time)"
            if target.path is not None:
                out["disk_fsyncs_per_s"] = fsync_rate(target.path.parent)
        else:
            out["server_version"] = conn.exec_driver_sql("SHOW server_version").scalar()
            for name in ("synchronous_commit", "fsync", "full_page_writes", "wal_sync_method",
                         "default_transaction_isolation", "shared_buffers", "max_connections",
                         *PLAN_SETTINGS):
                out[name] = conn.exec_driver_sql(f"SHOW {name}").scalar()
            out["isolation"] = conn.get_isolation_level()
            driver = conn.connection.driver_connection
            # psycopg prepares a statement on the server from its n-th execution on.
            out["psycopg_prepare_threshold"] = getattr(driver, "prepare_threshold", None)
            out["kopcore_pool_recycle_s"] = getattr(kernel.db.engine.pool, "_recycle", None)
    return out
