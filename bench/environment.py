"""What every run prints: machine, versions, durability settings, isolation level."""

from __future__ import annotations

import os
import platform
import sqlite3
import sys
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
        else:
            out["server_version"] = conn.exec_driver_sql("SHOW server_version").scalar()
            for name in ("synchronous_commit", "fsync", "full_page_writes", "wal_sync_method",
                         "default_transaction_isolation", "shared_buffers", "max_connections"):
                out[name] = conn.exec_driver_sql(f"SHOW {name}").scalar()
            out["isolation"] = conn.get_isolation_level()
    return out
