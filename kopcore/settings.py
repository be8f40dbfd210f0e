"""Settings: one TOML file, with environment overrides.

Where the file is found, in order: the ``path`` argument, ``$KOPCORE_SETTINGS``, ``./kopcore.toml``.
No file means all defaults (an SQLite file ``kopcore.db`` in the working directory and every
installed plugin enabled). ``$KOPCORE_DATABASE_URL`` overrides ``database_url`` and
``$KOPCORE_PLUGINS`` (comma-separated) overrides ``plugins``.
See docs/settings.md for every key.
"""

from __future__ import annotations

import os
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from kopcore.errors import ConfigurationError
from kopcore.money import CURRENCY_EXPONENTS, DEFAULT_CURRENCY


@attrs.frozen
class ChartOverride:
    """Operator's renumbering/renaming of one GL account, addressed by its stable key."""

    code: str | None = None
    name: str | None = None


@attrs.frozen
class Settings:
    database_url: str = "sqlite:///kopcore.db"
    #: Entry-point names of the plugins to enable; ``None`` enables every installed plugin.
    plugins: tuple[str, ...] | None = None
    cooperative_name: str = "Koperasi"
    currency: str = DEFAULT_CURRENCY
    #: GL key -> override, from ``[chart.<key>]`` tables.
    chart: dict[str, ChartOverride] = attrs.field(factory=dict)
    #: Operation name -> amount (major units) at or above which a second person must approve.
    approval_thresholds: dict[str, Decimal] = attrs.field(factory=dict)
    #: Accounts processed per end-of-day chunk.
    eod_chunk_size: int = 5000
    #: SQLite: milliseconds a writer waits for the write lock before giving up.
    sqlite_busy_timeout_ms: int = 30000
    #: Bounded retries of a transaction after a serialization failure or deadlock.
    transaction_retries: int = 8
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    #: Largest request body the API accepts, in bytes.
    max_request_bytes: int = 65536
    #: Where the settings came from (for messages); not a setting.
    source: str = "defaults"

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> Settings:
        """Read the settings file (if any) and apply environment overrides."""
        chosen = path or os.environ.get("KOPCORE_SETTINGS")
        if chosen is None and Path("kopcore.toml").exists():
            chosen = "kopcore.toml"
        data: dict[str, Any] = {}
        source = "defaults"
        if chosen is not None:
            try:
                data = tomllib.loads(Path(chosen).read_text(encoding="utf-8"))
            except FileNotFoundError:
                raise ConfigurationError(f"settings file not found: {chosen}") from None
            except tomllib.TOMLDecodeError as exc:
                raise ConfigurationError(f"settings file {chosen} is not TOML: {exc}") from None
            source = str(chosen)
        if url := os.environ.get("KOPCORE_DATABASE_URL"):
            data["database_url"] = url
        if (enabled := os.environ.get("KOPCORE_PLUGINS")) is not None:
            data["plugins"] = [p for p in enabled.split(",") if p]
        return cls.from_mapping(data, source=source)

    @classmethod
    def from_mapping(cls, data: dict[str, Any], *, source: str = "mapping") -> Settings:
        """Build settings from a parsed TOML mapping, refusing unknown keys."""
        data = dict(data)
        known = {f.name for f in attrs.fields(cls)} - {"source"}
        unknown = set(data) - known
        if unknown:
            raise ConfigurationError(f"{source}: unknown settings {sorted(unknown)}")
        kwargs: dict[str, Any] = {"source": source}
        for key, value in data.items():
            kwargs[key] = value
        if "plugins" in kwargs and kwargs["plugins"] is not None:
            kwargs["plugins"] = tuple(kwargs["plugins"])
        if "chart" in kwargs:
            try:
                kwargs["chart"] = {k: ChartOverride(**v) for k, v in kwargs["chart"].items()}
            except TypeError as exc:
                raise ConfigurationError(f"{source}: bad [chart] entry: {exc}") from None
        if "approval_thresholds" in kwargs:
            thresholds = {}
            for name, value in kwargs["approval_thresholds"].items():
                if isinstance(value, float):
                    raise ConfigurationError(
                        f"{source}: approval_thresholds.{name} must be a string or integer"
                    )
                thresholds[name] = Decimal(str(value))
            kwargs["approval_thresholds"] = thresholds
        settings = cls(**kwargs)
        if settings.currency not in CURRENCY_EXPONENTS:
            raise ConfigurationError(f"{source}: unknown currency {settings.currency!r}")
        return settings
