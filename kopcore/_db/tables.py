"""The kernel's tables (SQLAlchemy Core).

Money columns are BIGINT minor units, never NUMERIC (SQLite's NUMERIC affinity goes through
float). Signed posting amounts are debit-positive: an account's ``balance`` is the plain sum of its
postings, and ``normal_sign`` (+1 debit-normal, -1 credit-normal) turns it into the balance a
person reads. The migrations in ``kopcore/_db/migrations`` create exactly these tables.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python, on every database (SQLite keeps
    no zone, so values are stored as UTC and given the zone back when read)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

business_calendar = Table(
    "business_calendar",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("business_date", Date, nullable=False),
    CheckConstraint("id = 1", name="single_row"),
)

gl_accounts = Table(
    "gl_accounts",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("type", String(16), nullable=False),
    Column("contra", Boolean, nullable=False, default=False),
    Column("parent_key", String(64), nullable=True),
    Column("plugin", String(64), nullable=False),
    CheckConstraint(
        "type IN ('asset','liability','equity','income','expense')", name="type_known"
    ),
)

members = Table(
    "members",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("member_number", String(32), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    #: Required of a person (``kind`` ``person``); a legal entity has ``nib`` and ``npwp``.
    Column("nik", String(16), nullable=True, unique=True),
    Column("phone", String(32), nullable=True),
    Column("email", String(200), nullable=True),
    Column("address", Text, nullable=True),
    Column("status", String(16), nullable=False),
    Column("applied_on", Date, nullable=False),
    Column("joined_on", Date, nullable=True),
    Column("left_on", Date, nullable=True),
    Column("exit_reason", String(32), nullable=True),
    CheckConstraint("status IN ('applicant','active','left')", name="status_known"),
    # Revision k0010_counterparties: legal entities and non-member counterparties
    # (kopcore.ledger._members, docs/members.md).
    Column("kind", String(16), nullable=False, server_default="person"),
    Column("membership", String(16), nullable=False, server_default="member"),
    Column("nib", String(13), nullable=True, unique=True),
    Column("npwp", String(16), nullable=True, unique=True),
    Column("deed_number", String(64), nullable=True),
    Column("deed_date", Date, nullable=True),
    Column("legal_decree_number", String(64), nullable=True),
    Column("legal_decree_date", Date, nullable=True),
    Column("representative_name", String(200), nullable=True),
    Column("representative_nik", String(16), nullable=True),
    Column("representative_position", String(100), nullable=True),
    CheckConstraint("kind IN ('person','koperasi','pt','cv','firma','yayasan','perkumpulan',"
                    "'other')", name="kind_known"),
    CheckConstraint("membership IN ('member','non-member')", name="membership_known"),
    CheckConstraint("(kind = 'person' AND nik IS NOT NULL AND nib IS NULL AND npwp IS NULL) OR "
                    "(kind <> 'person' AND nik IS NULL AND nib IS NOT NULL "
                    "AND npwp IS NOT NULL)", name="identity_by_kind"),
)

#: The cooperative's offices as a tree (revision k0005): the head office (kantor pusat, id 1,
#: created by the migration, the root), branches (kantor cabang) and cash offices (kantor kas).
#: Accounts, postings and users carry an office; ``HEAD_OFFICE_ID`` is their default, so rows
#: written before offices existed belong to the head office (kopcore.ledger._offices).
offices = Table(
    "offices",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(16), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("parent_id", Integer, ForeignKey("offices.id"), nullable=True),
    CheckConstraint("kind IN ('pusat','cabang','kas')", name="kind_known"),
    CheckConstraint("(parent_id IS NULL) = (kind = 'pusat')", name="root_is_head"),
    Index("ix_offices_parent", "parent_id"),
)

#: An office's business day closed before the cooperative's end of day (revision k0005):
#: who closed it, when, and (``office_cash_counts``) the teller cash counted against the books.
office_days = Table(
    "office_days",
    metadata,
    Column("office_id", Integer, ForeignKey("offices.id"), primary_key=True),
    Column("business_date", Date, primary_key=True),
    Column("actor", String(64), nullable=False),
    Column("closed_at", UTCDateTime(), nullable=False),
)

office_cash_counts = Table(
    "office_cash_counts",
    metadata,
    Column("office_id", Integer, primary_key=True),
    Column("business_date", Date, primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), primary_key=True),
    Column("counted", BigInteger, nullable=False),
    Column("balance", BigInteger, nullable=False),
)

#: A teller's till count (revision k0009_apps): the drawer's cash account and office, the
#: business date, who counted and when, the pieces per denomination (JSON), their total and the
#: book balance at that moment, in minor units.
till_counts = Table(
    "till_counts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("office_id", Integer, ForeignKey("offices.id"), nullable=False),
    Column("business_date", Date, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("counted_at", UTCDateTime(), nullable=False),
    Column("pieces", Text, nullable=False),
    Column("counted", BigInteger, nullable=False),
    Column("balance", BigInteger, nullable=False),
    Column("note", String(200), nullable=True),
    Index("ix_till_counts_business_date", "business_date"),
)

#: The head office's id: the root of :data:`offices`, and the office of every account, posting
#: and user that names none.
HEAD_OFFICE_ID = 1
_HEAD = text(str(HEAD_OFFICE_ID))

accounts = Table(
    "accounts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("number", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("gl_key", String(64), ForeignKey("gl_accounts.key"), nullable=False),
    Column("member_id", Integer, ForeignKey("members.id"), nullable=True),
    Column("product_code", String(64), nullable=True),
    Column("plugin", String(64), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("normal_sign", SmallInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("balance", BigInteger, nullable=False, default=0),
    Column("held", BigInteger, nullable=False, default=0),
    Column("floor", BigInteger, nullable=True),
    Column("opened_on", Date, nullable=False),
    Column("closed_on", Date, nullable=True),
    #: The office the account belongs to (revision k0005).
    Column("office_id", Integer, ForeignKey("offices.id"), nullable=False,
           server_default=_HEAD),
    CheckConstraint("status IN ('open','frozen','closed')", name="status_known"),
    CheckConstraint("normal_sign IN (1,-1)", name="normal_sign_unit"),
    CheckConstraint("held >= 0", name="held_not_negative"),
    Index("ix_accounts_member", "member_id"),
    Index("ix_accounts_gl", "gl_key"),
)

journal_entries = Table(
    "journal_entries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("business_date", Date, nullable=False),
    Column("memo", String(500), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("operation", String(128), nullable=False),
    #: The plugin whose operation or end-of-day task posted the entry, or ``python-api``
    #: (kopcore.ledger._prepare.entry_source); NULL only for entries posted before k0003.
    Column("source", String(128), nullable=True),
    Column("idempotency_key", String(200), nullable=True, unique=True),
    Column("request_digest", String(64), nullable=False),
    Column("reverses_entry_id", Integer, ForeignKey("journal_entries.id"), nullable=True,
           unique=True),
    Column("created_at", UTCDateTime(), nullable=False),
    #: Tamper evidence (kopcore.ledger._integrity): ``<scheme>:<nonce>:<hex>`` over the entry
    #: and its postings; NULL only for entries posted before revision k0002.
    Column("digest", String(100), nullable=True),
    Index("ix_journal_entries_date", "business_date"),
)

#: Append-only chain over the journal in id order (kopcore.ledger._integrity.seal_journal).
journal_seals = Table(
    "journal_seals",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("first_entry_id", Integer, nullable=False),
    Column("last_entry_id", Integer, nullable=False),
    Column("entry_count", Integer, nullable=False),
    Column("chain_hash", String(64), nullable=False),
    Column("keyed", Boolean, nullable=False),
    Column("business_date", Date, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("sealed_at", UTCDateTime(), nullable=False),
    CheckConstraint("entry_count > 0", name="count_positive"),
)

#: The sealed head, kept apart from the journal's tables (revision k0004): one row that moves
#: forward by one seal at a time in the transaction that appends it, so a journal emptied or
#: shortened behind kopcore's back (TRUNCATE, DELETE with the triggers dropped) no longer
#: reaches the head it once had (kopcore.ledger._verify).
journal_head = Table(
    "journal_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seal_id", Integer, nullable=False),
    Column("last_entry_id", Integer, nullable=False),
    Column("chain_hash", String(64), nullable=False),
    CheckConstraint("id = 1", name="single_row"),
)

postings = Table(
    "postings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("entry_id", Integer, ForeignKey("journal_entries.id"), nullable=False),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    #: The office whose books the posting is in: its account's office when posted, or the
    #: office of a RAK account's leg (revision k0005; earlier postings: the head office).
    Column("office_id", Integer, ForeignKey("offices.id"), nullable=False,
           server_default=_HEAD),
    CheckConstraint("amount <> 0", name="amount_not_zero"),
    Index("ix_postings_account_entry", "account_id", "entry_id"),
    Index("ix_postings_entry", "entry_id"),
)

account_holds = Table(
    "account_holds",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("reason", String(200), nullable=False),
    Column("reference", String(200), nullable=True, unique=True),
    Column("status", String(16), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("released_at", UTCDateTime(), nullable=True),
    CheckConstraint("amount > 0", name="amount_positive"),
    CheckConstraint("status IN ('active','released')", name="status_known"),
    Index("ix_account_holds_account", "account_id"),
)

eod_runs = Table(
    "eod_runs",
    metadata,
    Column("business_date", Date, primary_key=True),
    Column("status", String(16), nullable=False),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime(), nullable=True),
    CheckConstraint("status IN ('running','done')", name="status_known"),
)

eod_chunks = Table(
    "eod_chunks",
    metadata,
    Column("business_date", Date, primary_key=True),
    Column("task", String(128), primary_key=True),
    Column("chunk_no", Integer, primary_key=True),
    Column("low_id", BigInteger, nullable=False),
    Column("high_id", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("rows", Integer, nullable=True),
    Column("finished_at", UTCDateTime(), nullable=True),
    CheckConstraint("status IN ('pending','done')", name="status_known"),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("role", String(32), nullable=False),
    Column("member_id", Integer, ForeignKey("members.id"), nullable=True),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime(), nullable=False),
    #: The user's office (revision k0005): unless the role spans offices, the user sees and
    #: moves the money of this office and the offices under it.
    Column("office_id", Integer, ForeignKey("offices.id"), nullable=False,
           server_default=_HEAD),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("key_id", String(32), nullable=False, unique=True),
    Column("secret_hash", String(64), nullable=False),
    Column("label", String(100), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime(), nullable=True),
)

web_logins = Table(
    "web_logins",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id"), primary_key=True),
    Column("password_hash", String(200), nullable=False),
    Column("must_change", Boolean, nullable=False),
    Column("failed_attempts", Integer, nullable=False),
    Column("locked_until", UTCDateTime(), nullable=True),
    Column("changed_at", UTCDateTime(), nullable=False),
    Column("totp_secret", String(64), nullable=True),
    Column("totp_last_step", BigInteger, nullable=True),
)

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("last_seen_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("needs_code", Boolean, nullable=False),
    Index("ix_web_sessions_user_id", "user_id"),
)

web_slips = Table(
    "web_slips",
    metadata,
    Column("actor", String(64), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("content", Text, nullable=False),
    Column("prints", Integer, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

member_logins = Table(
    "member_logins",
    metadata,
    Column("member_id", Integer, ForeignKey("members.id"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("code_hash", String(200), nullable=True),
    Column("code_expires_at", UTCDateTime(), nullable=True),
    Column("code_sent_at", UTCDateTime(), nullable=True),
    Column("code_failures", Integer, nullable=False),
    Column("pin_hash", String(200), nullable=True),
    Column("pin_failures", Integer, nullable=False),
    Column("pin_locked_at", UTCDateTime(), nullable=True),
    Column("pin_set_at", UTCDateTime(), nullable=True),
)

member_sessions = Table(
    "member_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("member_id", Integer, ForeignKey("members.id"), nullable=True),
    Column("csrf_token", String(64), nullable=False),
    Column("stage", String(16), nullable=False),
    Column("device", String(200), nullable=False),
    Column("code_failures", Integer, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("last_seen_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    # A fresh code confirming one large payment (revision k0009_apps): its hash (``passed``
    # once typed right), the digest of the payment it confirms, when it was sent and expires,
    # and the wrong codes typed.
    Column("step_up_hash", String(200), nullable=True),
    Column("step_up_for", String(64), nullable=True),
    Column("step_up_sent_at", UTCDateTime(), nullable=True),
    Column("step_up_expires_at", UTCDateTime(), nullable=True),
    Column("step_up_failures", Integer, nullable=False, server_default=text("0")),
    CheckConstraint("stage IN ('code','new-pin','pin','ready')", name="stage_known"),
    Index("ix_member_sessions_member_id", "member_id"),
)

#: Sign-in code requests of the member app in the last few minutes (revision k0009_apps): per
#: typed address (member number or phone, normalised), per client address and per member, each
#: as the SHA-256 of what it counts, so the limits hold across server processes.
login_code_requests = Table(
    "login_code_requests",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("scope", String(16), nullable=False),
    Column("key", String(64), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    CheckConstraint("scope IN ('address','client','member')", name="scope_known"),
    Index("ix_login_code_requests_scope_key", "scope", "key", "at"),
    Index("ix_login_code_requests_at", "at"),
)

notification_outbox = Table(
    "notification_outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("member_number", String(32), nullable=False),
    Column("recipient", String(200), nullable=False),
    Column("text", Text, nullable=False),
)

idempotency_records = Table(
    "idempotency_records",
    metadata,
    Column("actor", String(64), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("operation", String(128), nullable=False),
    Column("request_digest", String(64), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("response", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime(), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("interface", String(16), nullable=False),
    Column("operation", String(128), nullable=False),
    Column("input_digest", String(64), nullable=False),
    Column("outcome", String(64), nullable=False),
    Column("detail", String(500), nullable=True),
    Index("ix_audit_log_at", "at"),
)

approvals = Table(
    "approvals",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("operation", String(128), nullable=False),
    Column("input", Text, nullable=False),
    Column("maker", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("checker", String(64), nullable=True),
    Column("result", Text, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("decided_at", UTCDateTime(), nullable=True),
    CheckConstraint("status IN ('pending','approved','rejected')", name="status_known"),
)

__all__ = [
    "HEAD_OFFICE_ID",
    "account_holds",
    "accounts",
    "api_keys",
    "approvals",
    "audit_log",
    "business_calendar",
    "eod_chunks",
    "eod_runs",
    "gl_accounts",
    "idempotency_records",
    "journal_entries",
    "journal_seals",
    "login_code_requests",
    "member_logins",
    "member_sessions",
    "members",
    "metadata",
    "notification_outbox",
    "office_cash_counts",
    "office_days",
    "offices",
    "postings",
    "till_counts",
    "users",
    "web_logins",
    "web_sessions",
    "web_slips",
]

#: The event outbox (revision k0011_events): facts recorded in the transaction that caused them
#: (an entry posted to a member's account, an installment due, a PPOB token, a login code),
#: delivered after commit through the member's notification channel, at least once, each with
#: its ``event_id`` as the provider's idempotency key (kopcore/_events.py).
events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("type", String(64), nullable=False),
    Column("member_id", Integer, ForeignKey("members.id"), nullable=True),
    #: Set by an emitter that may run twice for one fact (an end-of-day chunk run again): the
    #: second event with the same key is not recorded.
    Column("dedup_key", String(200), nullable=True, unique=True),
    Column("payload", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("business_date", Date, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("state", String(8), nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_attempt_at", UTCDateTime(), nullable=False),
    Column("last_error", String(500), nullable=True),
    Column("channel", String(64), nullable=True),
    Column("sent_at", UTCDateTime(), nullable=True),
    CheckConstraint("state IN ('pending','sent','failed','dead','skipped')",
                    name="state_known"),
    Index("ix_events_state_next_attempt_at", "state", "next_attempt_at"),
    Index("ix_events_member_id", "member_id"),
)

#: The channel through which a member is reached, when not the setting
#: ``notification_channel`` (revision k0011_events): ``channel`` names a loaded channel or is
#: ``none`` (the member receives no messages but login codes); ``recipient`` overrides the
#: phone of the member register (an e-mail address for the e-mail channel).
member_notification_channels = Table(
    "member_notification_channels",
    metadata,
    Column("member_id", Integer, ForeignKey("members.id"), primary_key=True),
    Column("channel", String(64), nullable=False),
    Column("recipient", String(200), nullable=True),
    Column("updated_at", UTCDateTime(), nullable=False),
)

__all__ += ["events", "member_notification_channels"]

#: Integrators' webhook subscriptions (revision k0012_webhooks): ``url`` receives a signed POST
#: for each event whose type is among ``types`` (names separated by spaces, or ``*``);
#: ``secret`` signs the bodies (kept to sign them, shown once at creation, never again);
#: a paused subscription (``active`` false) is sent nothing (kopcore/_webhooks.py).
webhooks = Table(
    "webhooks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("url", String(500), nullable=False),
    Column("types", String(1000), nullable=False),
    Column("secret", String(100), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("description", String(200), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("created_by", String(64), nullable=False),
)

#: One delivery of one event to one subscription (revision k0012_webhooks), created with the
#: event, delivered after commit or by the worker like the event outbox, with its state,
#: attempts, the receiver's last HTTP status and when the next attempt is due.
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("event_row_id", Integer, ForeignKey("events.id"), nullable=False),
    Column("webhook_id", Integer, ForeignKey("webhooks.id"), nullable=False),
    Column("state", String(8), nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_attempt_at", UTCDateTime(), nullable=False),
    Column("http_status", Integer, nullable=True),
    Column("last_error", String(500), nullable=True),
    Column("sent_at", UTCDateTime(), nullable=True),
    UniqueConstraint("event_row_id", "webhook_id"),
    CheckConstraint("state IN ('pending','sent','failed','dead')", name="state_known"),
    Index("ix_webhook_deliveries_state_next_attempt_at", "state", "next_attempt_at"),
    Index("ix_webhook_deliveries_webhook_id", "webhook_id"),
)

__all__ += ["webhook_deliveries", "webhooks"]

#: The cooperative's own wording of an event type's message (``events.template-set``), in place
#: of the plugin's: ``{field}`` placeholders from the event's payload, ``{amount:rupiah}`` and
#: ``{date:tanggal}`` formatted (kopcore._event_templates).
event_templates = Table(
    "event_templates",
    metadata,
    Column("type", String(64), primary_key=True),
    Column("text", String(1000), nullable=False),
    Column("updated_by", String(64), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

__all__ += ["event_templates"]
