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


def _positive_int(_instance: object, attribute: attrs.Attribute[int], value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ConfigurationError(f"setting {attribute.name} must be a positive integer, "
                                 f"got {value!r}")


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
    eod_chunk_size: int = attrs.field(default=5000, validator=_positive_int)
    #: SQLite: milliseconds a writer waits for the write lock before giving up.
    sqlite_busy_timeout_ms: int = attrs.field(default=30000, validator=_positive_int)
    #: Bounded retries of a transaction after a serialization failure or deadlock.
    transaction_retries: int = attrs.field(default=8, validator=_positive_int)
    api_host: str = "127.0.0.1"
    api_port: int = attrs.field(default=8000, validator=_positive_int)
    #: Largest request body the API accepts, in bytes.
    max_request_bytes: int = attrs.field(default=65536, validator=_positive_int)
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
        try:
            settings = cls(**kwargs)
        except TypeError as exc:
            raise ConfigurationError(f"{source}: {exc}") from None
        if settings.currency not in CURRENCY_EXPONENTS:
            raise ConfigurationError(f"{source}: unknown currency {settings.currency!r}")
        return settings
