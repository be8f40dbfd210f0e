"""Settings: one TOML file, with environment overrides.

Where the file is found, in order: the ``path`` argument, ``$KOPCORE_SETTINGS``, ``./kopcore.toml``.
No file means all defaults (an SQLite file ``kopcore.db`` in the working directory and every
installed plugin enabled that is not a test fixture, see :mod:`kopcore._installed`).
``$KOPCORE_DATABASE_URL`` overrides ``database_url``, ``$KOPCORE_PLUGINS`` (comma-separated)
overrides ``plugins`` and ``$KOPCORE_TENANT_REGISTRY_URL`` overrides ``tenant_registry_url``.
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


def _language(_instance: object, _attribute: attrs.Attribute[str], value: object) -> None:
    from kopcore._i18n import LOCALES

    if value not in LOCALES:
        raise ConfigurationError(f"setting language must be one of {', '.join(LOCALES)}, "
                                 f"got {value!r}")


def _quiet_hours(_instance: object, _attribute: attrs.Attribute[str], value: str) -> None:
    from kopcore._event_templates import quiet_window

    quiet_window(value)


def _timezone(_instance: object, _attribute: attrs.Attribute[str], value: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigurationError(f"setting timezone must name a time zone such as "
                                 f"Asia/Jakarta, Asia/Makassar or Asia/Jayapura, got {value!r}"
                                 ) from None


def _npwp(value: object) -> str | None:
    """The cooperative's NPWP in the 16-digit form (PMK 112/PMK.03/2022): 16 digits, or the old
    15 (``01.234.567.8-901.000``) with a leading 0; spaces, dots and dashes are dropped."""
    if value is None:
        return None
    digits = "".join(ch for ch in value if ch not in " .-") if isinstance(value, str) else ""
    if not (digits.isascii() and digits.isdigit() and len(digits) in (15, 16)) or \
            not digits.strip("0"):
        raise ConfigurationError(f"setting cooperative_npwp must be the cooperative's NPWP, 16 "
                                 f"digits (or the old 15), got {value!r}")
    return digits.rjust(16, "0")


def _identity_text(instance: object, attribute: attrs.Attribute[str | None],
                   value: object) -> None:
    """An optional line of the cooperative's identity, as printed on its documents."""
    if value is None:
        return
    if not isinstance(value, str) or not value.strip() or len(value) > 300:
        raise ConfigurationError(f"setting {attribute.name} must be text of 1 to 300 "
                                 f"characters, got {value!r}")


def _event_delivery(_instance: object, _attribute: attrs.Attribute[str], value: object) -> None:
    if value not in ("after-commit", "worker"):
        raise ConfigurationError(f"setting event_delivery must be after-commit or worker, "
                                 f"got {value!r}")


@attrs.frozen
class ChartOverride:
    """Operator's renumbering/renaming of one GL account, addressed by its stable key."""

    code: str | None = None
    name: str | None = None


@attrs.frozen
class UnitSettings:
    """A unit with books of its own declared by the operator (``[units.<key>]``): a KSU's
    savings-and-loan unit, say (docs/offices.md#units-with-books-of-their-own)."""

    name: str
    gl_keys: tuple[str, ...]
    inter_unit_gl_keys: tuple[str, ...] = ()

    @classmethod
    def from_mapping(cls, key: str, data: object, source: str) -> UnitSettings:
        if not isinstance(data, dict) or not isinstance(data.get("name"), str) or \
                not _strings(data.get("gl_keys")) or \
                not _strings(data.get("inter_unit_gl_keys", []), empty=True) or \
                set(data) - {"name", "gl_keys", "inter_unit_gl_keys"}:
            raise ConfigurationError(
                f"{source}: [units.{key}] takes name (text), gl_keys (a list of GL keys) and "
                "inter_unit_gl_keys (a list of GL keys)")
        return cls(data["name"], tuple(data["gl_keys"]),
                   tuple(data.get("inter_unit_gl_keys", ())))


def _strings(value: object, *, empty: bool = False) -> bool:
    return isinstance(value, list) and (empty or bool(value)) and \
        all(isinstance(item, str) for item in value)


#: SHU pools, in the order allocations list them: setting name -> what it funds.
SHU_POOLS: tuple[str, ...] = ("reserve", "jasa_modal", "jasa_usaha", "management", "staff",
                              "education", "social", "other", "risk_reserve")
SHU_CAPITAL_BASES = ("year-end", "average")
SHU_PATRONAGE_BASES = ("interest", "transactions")
SHU_PAYOUTS = ("savings", "payable")


def _percent(source: str, name: str, value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ConfigurationError(f"{source}: shu.{name} must be a string or an integer "
                                 f"(a percentage such as \"2.5\"), got {value!r}")
    try:
        percent = Decimal(str(value))
    except ArithmeticError:
        raise ConfigurationError(f"{source}: shu.{name} is not a number: {value!r}") from None
    if not percent.is_finite() or percent < 0 or percent > 100 or \
            percent != percent.quantize(Decimal("0.01")):
        raise ConfigurationError(f"{source}: shu.{name} must be a percentage from 0 to 100 "
                                 f"with at most two decimals, got {value!r}")
    return percent


@attrs.frozen
class ShuSettings:
    """How the year's surplus (SHU) is shared, per the statutes (AD/ART): ``[shu]``.

    Percentages of the SHU for each pool must sum to exactly 100. ``jasa_modal`` is shared among
    members by their capital basis, ``jasa_usaha`` by their patronage basis; the other pools go
    to GL accounts. See docs/yearend.md.
    """

    reserve: Decimal = Decimal(40)
    jasa_modal: Decimal = Decimal(20)
    jasa_usaha: Decimal = Decimal(20)
    management: Decimal = Decimal(5)
    staff: Decimal = Decimal(5)
    education: Decimal = Decimal(5)
    social: Decimal = Decimal(5)
    other: Decimal = Decimal(0)
    #: Cadangan tujuan risiko: a reserve set aside for the risk of the loans, which the health
    #: worksheet counts with the allowance against the problem-loan risk.
    risk_reserve: Decimal = Decimal(0)
    #: ``year-end`` (pokok + wajib at the year's last day) or ``average`` (average daily balance).
    capital_basis: str = "year-end"
    #: ``interest`` (loan interest paid in the year) or ``transactions`` (loan repayments).
    patronage_basis: str = "interest"
    #: ``savings``: members' shares credited through the settlement hook (payable when no plugin
    #: offers an account); ``payable``: every share recorded as SHU payable to members.
    member_payout: str = "savings"

    @classmethod
    def from_mapping(cls, data: object, source: str) -> ShuSettings:
        if not isinstance(data, dict):
            raise ConfigurationError(f"{source}: [shu] must be a table")
        unknown = sorted(set(data) - {f.name for f in attrs.fields(cls)})
        if unknown:
            raise ConfigurationError(f"{source}: unknown [shu] settings {unknown}")
        values: dict[str, Any] = {}
        for key, value in data.items():
            values[key] = _percent(source, key, value) if key in SHU_POOLS else value
        choices = {"capital_basis": SHU_CAPITAL_BASES, "patronage_basis": SHU_PATRONAGE_BASES,
                   "member_payout": SHU_PAYOUTS}
        for key, allowed in choices.items():
            if key in values and values[key] not in allowed:
                raise ConfigurationError(f"{source}: shu.{key} must be one of "
                                         f"{', '.join(allowed)}, got {values[key]!r}")
        try:
            return cls(**values)
        except ConfigurationError as exc:
            raise ConfigurationError(f"{source}: {exc}") from None

    def __attrs_post_init__(self) -> None:
        total = sum((self.percent(pool) for pool in SHU_POOLS), Decimal(0))
        if total != 100:
            detail = ", ".join(f"{pool} {self.percent(pool)}" for pool in SHU_POOLS)
            raise ConfigurationError(f"the [shu] percentages must sum to 100, they sum to "
                                     f"{total} ({detail})")

    def percent(self, pool: str) -> Decimal:
        value: Decimal = getattr(self, pool)
        return value

    def weights(self) -> list[int]:
        """Each pool's percentage in hundredths of a percent (exact integers summing to
        10000), in :data:`SHU_POOLS` order."""
        return [int(self.percent(pool) * 100) for pool in SHU_POOLS]


def _integrity_key(_instance: object, _attribute: object, value: str | None) -> None:
    if value is not None and (not isinstance(value, str) or len(value) < 32):
        raise ConfigurationError("setting integrity_key must be a string of at least 32 "
                                 "characters (for example: python -c 'import secrets; "
                                 "print(secrets.token_urlsafe(32))')")


def _without_password(url: str | None) -> str:
    """The database URL for a repr or a message: any password replaced by ``***``."""
    if url is None:
        return repr(url)
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not sep or not at or ":" not in credentials:
        return repr(url)
    return repr(f"{scheme}://{credentials.split(':', 1)[0]}:***@{host}")


@attrs.frozen
class Settings:
    database_url: str = attrs.field(default="sqlite:///kopcore.db", repr=_without_password)
    #: Entry-point names of the plugins to enable; ``None`` enables every installed plugin.
    #: :meth:`load` never leaves it ``None``: unset, it names the installed plugins that are
    #: not test fixtures.
    plugins: tuple[str, ...] | None = None
    cooperative_name: str = "Koperasi"
    #: The cooperative's own NPWP, printed as the withholder's on the withholding slips it
    #: issues (bukti potong); ``None``: not set (the slips then leave it blank).
    cooperative_npwp: str | None = attrs.field(default=None, converter=_npwp)
    #: The legal entity's number (nomor badan hukum) and its address, printed on the documents
    #: an examiner reads (the health worksheet's identity block).
    cooperative_legal_number: str | None = attrs.field(default=None, validator=_identity_text)
    cooperative_address: str | None = attrs.field(default=None, validator=_identity_text)
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
    #: Requests per minute one client address may send to a public signed route (provider
    #: callbacks), per worker process.
    callback_requests_per_minute: int = attrs.field(default=60, validator=_positive_int)
    #: How the year's surplus is shared (``[shu]``).
    shu: ShuSettings = attrs.field(factory=ShuSettings)
    #: Units with books of their own, by key (``[units.<key>]``).
    units: dict[str, UnitSettings] = attrs.field(factory=dict)
    #: Secret for the journal's tamper evidence (HMAC-SHA256); ``None``: plain SHA-256, which
    #: detects accidents but not a database insider (docs/integrity.md). Never shown in a repr.
    integrity_key: str | None = attrs.field(default=None, repr=False,
                                            validator=_integrity_key)
    #: The language of messages, problems and documents when the person asks for none
    #: (``id`` Indonesian, ``en`` English); ``$KOPCORE_LANGUAGE`` overrides it (docs/i18n.md).
    language: str = attrs.field(default="id", validator=_language)
    #: The notification channel that reaches members (the member app's login codes): a name
    #: from ``kopcore_notification_channels``. ``development`` sends nothing and keeps each
    #: message in the outbox (``kopcore notify outbox``): for a demo and tests only.
    notification_channel: str = "development"
    #: When the event outbox delivers (docs/notifications.md): ``after-commit`` (at once, in
    #: the process that recorded the event, and by the worker for retries) or ``worker`` (only
    #: by ``kopcore events deliver`` and end of day).
    event_delivery: str = attrs.field(default="after-commit", validator=_event_delivery)
    #: Deliveries tried before an event is ``dead`` (unless its type says otherwise).
    event_max_attempts: int = attrs.field(default=8, validator=_positive_int)
    #: Members' messages (not one-time codes) wait in the outbox during these local hours,
    #: ``"21:00-07:00"``; ``""``: none. The worker sends them when the hours end.
    notification_quiet_hours: str = attrs.field(default="", validator=_quiet_hours)
    #: The cooperative's local time zone (WIB ``Asia/Jakarta``, WITA ``Asia/Makassar``, WIT
    #: ``Asia/Jayapura``): quiet hours are in it.
    timezone: str = attrs.field(default="Asia/Jakarta", validator=_timezone)
    #: Amount (major units) at or above which a money movement in the member app (a transfer,
    #: an installment, a PPOB purchase) needs a fresh one-time code besides the PIN.
    member_step_up_amount: Decimal = Decimal(1_000_000)
    #: The variables this cooperative's plugins read for their providers and gateways
    #: (``KOPCORE_PAYMENTS_<NAME>_<KEY>``, ``KOPCORE_PPOB_<NAME>_<KEY>``); unset, the process
    #: environment. A platform sets it for every cooperative from the registry, so each uses
    #: its own credentials and none another's (``kopcore.context.Context.environment``).
    environment: dict[str, str] | None = attrs.field(default=None, repr=False)
    #: The tenant registry's database (docs/deployment.md#many-cooperatives-on-one-platform):
    #: set, ``kopcore serve`` serves every cooperative of the registry and ``kopcore tenants``
    #: manages them; ``$KOPCORE_TENANT_REGISTRY_URL`` overrides it.
    tenant_registry_url: str | None = attrs.field(default=None, repr=_without_password)
    #: The domain under which each cooperative has its host name, ``<slug>.<domain>``; unset,
    #: cooperatives are found by the path prefix ``/t/<slug>/`` only.
    tenant_base_domain: str | None = None
    #: Cooperatives whose app one serving process keeps built (least recently used closed
    #: first).
    tenant_apps_cached: int = attrs.field(default=200, validator=_positive_int)
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
        if registry := os.environ.get("KOPCORE_TENANT_REGISTRY_URL"):
            data["tenant_registry_url"] = registry
        if key := os.environ.get("KOPCORE_INTEGRITY_KEY"):
            data["integrity_key"] = key
        if language := os.environ.get("KOPCORE_LANGUAGE"):
            data["language"] = language
        if (enabled := os.environ.get("KOPCORE_PLUGINS")) is not None:
            data["plugins"] = [p for p in enabled.split(",") if p]
        if "plugins" not in data:
            from kopcore._installed import product_plugins

            data["plugins"] = list(product_plugins())  # never a test fixture
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
        if "member_step_up_amount" in kwargs:
            value = kwargs["member_step_up_amount"]
            if isinstance(value, float | bool) or not isinstance(value, int | str | Decimal):
                raise ConfigurationError(
                    f"{source}: member_step_up_amount must be a string or integer")
            try:
                amount = Decimal(str(value))
            except ArithmeticError:
                raise ConfigurationError(
                    f"{source}: member_step_up_amount is not an amount: {value!r}") from None
            if not amount.is_finite() or amount < 0:
                raise ConfigurationError(
                    f"{source}: member_step_up_amount must be zero or more")
            kwargs["member_step_up_amount"] = amount
        if "shu" in kwargs:
            kwargs["shu"] = ShuSettings.from_mapping(kwargs["shu"], source)
        if "environment" in kwargs:
            environment = kwargs["environment"]
            if not isinstance(environment, dict) or not all(
                    isinstance(k, str) and isinstance(v, str) for k, v in environment.items()):
                raise ConfigurationError(f"{source}: [environment] must be a table of text "
                                         "values")
            kwargs["environment"] = dict(environment)
        if "units" in kwargs:
            if not isinstance(kwargs["units"], dict):
                raise ConfigurationError(f"{source}: units must be [units.<key>] tables")
            kwargs["units"] = {key: UnitSettings.from_mapping(key, value, source)
                               for key, value in kwargs["units"].items()}
        try:
            settings = cls(**kwargs)
        except TypeError as exc:
            raise ConfigurationError(f"{source}: {exc}") from None
        if settings.currency not in CURRENCY_EXPONENTS:
            raise ConfigurationError(f"{source}: unknown currency {settings.currency!r}")
        return settings
