"""Records that plugins return from hooks.

Small frozen attrs classes, so the kernel can check them, sort them and name the two plugins
that collide when two claim the same thing.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import attrs

from kopcore.money import Money

if TYPE_CHECKING:
    from kopcore.context import Context
    from kopcore.ledger._records import Account, JournalEntry


class GLType(enum.StrEnum):
    ASSET = "asset"
    LIABILITY = "liability"
    EQUITY = "equity"
    INCOME = "income"
    EXPENSE = "expense"

    @property
    def debit_normal(self) -> bool:
        return self in (GLType.ASSET, GLType.EXPENSE)


@attrs.frozen
class GLAccountSpec:
    """A general-ledger account a plugin needs in the chart.

    ``key`` is stable and what code refers to; ``code`` and ``name`` are the defaults an operator
    may change in settings (``[chart.<key>]``). ``contra`` flips the normal side (allowance for
    loan losses is a contra-asset, credit-normal).

    ``position_section`` (contract 1.1): the title of a section of the statement of financial
    position, presented between liabilities and equity, where this account shows instead of in
    its type's section; accounts naming the same title share the section. Only for liability and
    equity accounts (credit-normal): a sharia plugin presents mudharabah savings and deposits as
    *dana syirkah temporer* (PSAK 405) this way. The account keeps its type everywhere else.
    """

    key: str
    code: str
    name: str
    type: GLType
    parent: str | None = None
    contra: bool = False
    position_section: str | None = None

    @property
    def normal_sign(self) -> int:
        debit = self.type.debit_normal != self.contra
        return 1 if debit else -1


#: The default GL codes (``GLAccountSpec.code``) kopcore's own plugins declare, as inclusive
#: ranges: ``kopcore`` is the kernel's chart and its built-in plugins, the others kopcore's
#: product plugins. Codes run 1000-5999, the first digit the type (1 asset ... 5 expense); every
#: code of that span outside these ranges is free for other plugins. docs/plugin-guide.md
#: publishes the table, and the tests hold each plugin to its ranges.
GL_CODE_RANGES: Mapping[str, tuple[tuple[int, int], ...]] = MappingProxyType({
    "kopcore": ((1100, 1104), (1190, 1194), (1300, 1399), (2190, 2194), (2199, 2199),
                (2400, 2499), (3100, 3399), (3900, 3999), (4100, 4109), (4900, 4999), (5100, 5109),
                (5900, 5999)),
    "savings": ((2110, 2119), (4180, 4189), (5180, 5189)),
    "loans": ((1140, 1149), (4140, 4149), (5140, 5149)),
    "sharia": ((1105, 1109), (1150, 1159), (1160, 1169), (1180, 1189), (1195, 1199),
               (2120, 2139), (2195, 2198), (4150, 4159), (4170, 4179), (4190, 4199),
               (5151, 5159), (5190, 5199)),
    "ppob": ((2160, 2169), (4160, 4169), (5160, 5169)),
})


@attrs.frozen
class ProductType:
    """A kind of member account a plugin offers (``savings.sukarela``, ``loans.flat``...)."""

    code: str
    name: str
    gl_key: str
    description: str = ""


@attrs.frozen
class MigrationSource:
    """An Alembic version directory: one branch per plugin, labelled ``branch``."""

    branch: str
    path: Path


@attrs.frozen
class PermissionSpec:
    """A permission an operation can require, and the roles that hold it by default."""

    name: str
    description: str
    roles: tuple[str, ...]


@attrs.frozen
class Veto:
    """A plugin's refusal of a journal entry; ``reason`` is a stable code such as
    ``sharia.interest-account``."""

    reason: str
    message: str


class Side(enum.StrEnum):
    DEBIT = "debit"
    CREDIT = "credit"


@attrs.frozen
class PostingLine:
    """One line of a requested entry: an account number, a side and a positive amount."""

    account: str
    side: Side
    amount: Money

    @property
    def signed_minor(self) -> int:
        return self.amount.minor if self.side is Side.DEBIT else -self.amount.minor


@attrs.frozen
class ExitContribution:
    """What a plugin says about a leaving member.

    ``refusal`` set: the exit is refused with that message (an outstanding loan, say).
    Otherwise ``lines`` move the member's balances out of the plugin's accounts; the kernel adds
    the balancing line to the exit payout account and posts everything as one entry.
    """

    refusal: str | None = None
    lines: Sequence[PostingLine] = ()
    note: str = ""


class SettlementPurpose(enum.StrEnum):
    """Why a plugin asks ``kopcore_settlement_account`` for a member's account.

    The purposes are strings: a plugin may ask for a purpose of its own (``"<plugin>.<what>"``)
    that plugins it knows answer. Money moves between the member's account and the cooperative:

    ========================  ================================  ==========  ====================
    purpose                   money moves                       asked by    answered by
    ========================  ================================  ==========  ====================
    ``disbursement``          cooperative → member's account    loans; SHU  savings (sukarela)
    ``collection``            member's account → cooperative    loans       savings (sukarela)
    ``payment``               member's account → a biller       PPOB        savings (sukarela)
    ``shu-credit``            SHU share → member's account      year end   celengan (example)
    ========================  ================================  ==========  ====================

    The year end asks ``shu-credit`` first, then ``disbursement``. A plugin answers only the
    purposes it serves and returns ``None`` for the rest; the first answer wins (registration
    order), and ``None`` from every plugin means the caller falls back to cash.
    """

    DISBURSEMENT = "disbursement"
    COLLECTION = "collection"
    PAYMENT = "payment"
    SHU_CREDIT = "shu-credit"


@attrs.frozen
class SettlementAccount:
    """An account that can pay or receive money for a member (a voluntary savings account)."""

    account_number: str
    description: str = ""


@attrs.frozen
class EodTask:
    """Set-based end-of-day work, done in chunks of an id range.

    ``chunks(ctx, business_date, size)`` returns ``(low_id, high_id)`` ranges (inclusive);
    ``run(ctx, business_date, low_id, high_id)`` does one chunk's writes and returns the number
    of rows it touched. The kernel records each finished chunk in the same transaction as its
    writes, so a crashed run resumes after the last finished chunk and never applies one twice.
    Tasks run in ``order`` (then name) within a business date.
    """

    name: str
    chunks: Callable[[Context, date, int], list[tuple[int, int]]]
    run: Callable[[Context, date, int, int], int]
    order: int = 100
    description: str = ""

    @property
    def operation(self) -> str:
        """The operation name its chunks run under: ``eod.<name>``."""
        return f"eod.{self.name}"


@attrs.frozen
class DemoSeed:
    """Callable that adds a plugin's demo data to a fresh demo cooperative."""

    name: str
    seed: Callable[[Context], Any]
    order: int = 100
    #: Optional: a month of the demo's history, called on the 7th of each month the demo
    #: plays through (``kopcore demo --months``), after end of day reached it:
    #: the plugin posts what its members would do in a month (deposits, installments...).
    each_month: Callable[[Context, date], Any] | None = None

    @property
    def operation(self) -> str:
        """The operation name it runs under: ``demo.<name>``."""
        return f"demo.{self.name}"


class FigureUnit(enum.StrEnum):
    """What a :class:`HealthFigure`'s ``value`` counts."""

    MONEY = "money"  # minor units of the figure's currency
    COUNT = "count"  # people, loans, accounts


@attrs.frozen
class HealthFigure:
    """A figure only a product plugin knows, for the health assessment and the trends.

    Figures with the same ``key`` from several plugins are added together (loans and sharia
    financing both report ``loans.outstanding``). The keys the assessment reads:

    - ``loans.outstanding``: outstanding principal of loans and financing (money);
    - ``loans.non_performing``: the part of it in non-performing collectibility classes (money);
    - ``loans.allowance_required``: the loan-loss allowance (PPAP) the classes require (money);
    - ``loans.allowance_formed``: the allowance booked in the ledger (money);
    - ``loans.borrowers``: members with outstanding loans (count).

    Other keys are shown with the assessment as information.

    An assessment of one office's books (``ctx.books_office_id`` set) takes only the figures
    narrowed to that office, saying so with ``office_id`` (contract 1.1); the cooperative's
    figures of a plugin that does not are left out of it, not mixed in.
    """

    key: str
    value: int
    unit: FigureUnit = FigureUnit.MONEY
    label: str = ""
    currency: str | None = None
    office_id: int | None = None


@attrs.frozen
class UnitSpec:
    """A unit with books of its own inside the cooperative (``kopcore_units``; contract 1.1):
    a KSU's savings-and-loan unit (USP), a sharia unit (USPPS) beside a conventional business.

    ``gl_keys`` are the GL accounts of the unit's books; every GL account of no unit is in the
    cooperative's main books. ``inter_unit_gl_keys`` are the inter-unit accounts, on both
    sides (the unit's account of what it owes the main books, and the main books' account of
    what the unit owes them): an entry between a unit and the main books posts a balanced half
    in each, through these accounts, which then net to zero in the consolidated books.
    """

    key: str
    name: str
    gl_keys: frozenset[str]
    inter_unit_gl_keys: frozenset[str] = frozenset()

    def __attrs_post_init__(self) -> None:
        if not ROLE_NAME.fullmatch(self.key):
            raise ValueError(f"unit key {self.key!r}: 2-32 lowercase letters, digits, '.', "
                             "'_' or '-', starting with a letter")


class ShuBasisKind(enum.StrEnum):
    """The two bases members' SHU is shared by."""

    #: Jasa modal: what the member holds as capital (pokok + wajib).
    CAPITAL = "capital"
    #: Jasa usaha: what the member did with the cooperative (loan interest paid...).
    PATRONAGE = "patronage"


@attrs.frozen
class ShuBasis:
    """The basis SHU asks plugins for: its ``kind`` and the ``method`` chosen in settings.

    Capital methods: ``year-end`` (balance on the year's last day) and ``average`` (average
    daily balance over the year). Patronage methods: ``interest`` (loan interest paid in the
    year) and ``transactions`` (loan repayments in the year).
    """

    kind: ShuBasisKind
    method: str


@attrs.frozen
class MemberBasis:
    """One member's basis contributed by a plugin (``amount`` in the cooperative's currency).

    Several plugins may contribute to the same member and basis; the amounts are added.
    """

    member_id: int
    amount: Money
    source: str = ""


@attrs.frozen
class Period:
    """An accounting period being closed: a month or a financial year, first and last day."""

    kind: str
    start: date
    end: date


class DuePriority(enum.StrEnum):
    """The class of a member's due, for a collector allocating an amount too small for all.

    A collector (payroll deduction, a payment gateway) settles the classes in the order its
    operator chose; the usual order is the members' duties first and penalties last.
    """

    #: compulsory savings (simpanan wajib) and other membership duties
    WAJIB = "wajib"
    #: an installment whose due date is before the period asked about (a tunggakan)
    OVERDUE = "overdue"
    #: an installment falling due within the period asked about
    CURRENT = "current"
    #: anything else a plugin collects: late penalties, fees, bills
    OTHER = "other"


@attrs.frozen
class MemberDue:
    """Something a member owes a plugin, declared through ``kopcore_member_dues``.

    ``owner`` is the declaring plugin's name and ``kind`` a name in its namespace
    (``loans.installment``). ``reference`` is opaque to everyone but the owner: a collector
    hands it back unchanged in a :class:`DueSettlement`. ``account`` is the member account the
    due belongs to (a loan, a wajib account, a financing contract), for display and for the
    ordering rule: dues of one account are settled in due-date order. ``partial`` says whether
    the owner accepts less than ``amount`` (a murabahah installment is collected whole).
    """

    member_id: int
    owner: str
    kind: str
    priority: DuePriority
    amount: Money
    due_date: date
    reference: str
    account: str = ""
    description: str = ""
    partial: bool = True


@attrs.frozen
class DueSettlement:
    """An amount a collector settles against one declared due (``kopcore_settle_dues``).

    ``amount`` may be zero: the due was presented for collection and nothing came, which the
    owner records as it would an unpaid due (a wajib month billed, say).
    """

    due: MemberDue
    amount: Money


@attrs.frozen
class DueLines:
    """A plugin's answer to ``kopcore_settle_dues``: the lines settling its dues and what to
    record once they are posted.

    ``lines`` (usually credits to the plugin's accounts) go unchanged into the one entry the
    collector posts; ``references`` are the settled dues' references, so the collector knows
    every settlement found its owner; ``apply(ctx, entry)`` is called once that entry is
    posted, in the same transaction, to record the settlement in the plugin's own tables
    (installments marked paid, a wajib month recorded) with the entry's id; ``entry`` is
    ``None`` when nothing was posted (every amount of the collection was zero).
    """

    lines: Sequence[PostingLine]
    references: Sequence[str]
    apply: Callable[[Context, JournalEntry | None], None]



#: A role's name: lowercase letters, digits, '.', '_' or '-', at most 32 characters (a plugin's
#: own roles are best named ``<plugin>.<what>``).
ROLE_NAME = re.compile(r"[a-z][a-z0-9._-]{1,31}")


@attrs.frozen
class RoleSpec:
    """A role users can be given (``kopcore_roles``).

    ``permissions`` are held besides those whose :class:`PermissionSpec` lists the role, so a
    plugin's role may hold the kernel's or another plugin's permissions. A ``member_scoped``
    role's users are linked to one member and, like the ``member`` role, may call only
    operations about that member's own accounts and membership (or self-service ones).
    A ``spans_offices`` role's users see and move the money of every office (an auditor, an
    internal control unit); any other role's users, that of their own office and the offices
    under it (contract 1.1).
    """

    name: str
    description: str
    permissions: tuple[str, ...] = ()
    member_scoped: bool = False
    spans_offices: bool = False

    def __attrs_post_init__(self) -> None:
        if not ROLE_NAME.fullmatch(self.name):
            raise ValueError(f"role name {self.name!r}: 2-32 lowercase letters, digits, '.', "
                             "'_' or '-', starting with a letter")


@attrs.frozen
class WebPage:
    """A page a plugin adds to the staff web app (``kopcore_web_pages``).

    It is served at ``/app/pages/<name>`` to signed-in people whose role holds ``permission``,
    listed in the navigation under the plugin with ``title`` (a message the kernel's catalogue
    translates, else shown as written), and, with ``dashboard``, also shown as a panel on the
    home page. ``render(ctx, query)`` runs in a read-only transaction with ``ctx.principal``
    the person; ``query`` holds the page's query parameters. It returns an attrs instance,
    shown the way the web app shows an operation's result (amounts as ``Rp1.500.000,00``,
    dates as ``7 Desember 2026``, lists as tables), so a plugin writes no HTML.
    """

    name: str
    title: str
    permission: str
    render: Callable[[Context, Mapping[str, str]], Any]
    dashboard: bool = False

    def __attrs_post_init__(self) -> None:
        if not re.fullmatch(r"[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)+", self.name):
            raise ValueError(f"web page name {self.name!r} must be '<plugin>.<page>' in "
                             "lowercase letters, digits, '-' and '_'")


@attrs.frozen
class Access:
    """A plugin's answer to ``kopcore_check_access`` about one call: allow or refuse, and why.

    Build it with :meth:`allow` or :meth:`refuse`; ``reason`` is shown to the caller when the
    call is refused, so say what is refused without revealing what the caller may not see.
    """

    allowed: bool
    reason: str

    @classmethod
    def allow(cls, reason: str) -> Access:
        return cls(True, reason)

    @classmethod
    def refuse(cls, reason: str) -> Access:
        return cls(False, reason)
# -------------------------------------------------------------------------------------------
# Cut-over import (kopcore_import_sheets): the sheets a legacy cooperative's file carries
# -------------------------------------------------------------------------------------------


class ColumnType(enum.StrEnum):
    """How a column of an import sheet is read (the template names each in Indonesian)."""

    TEXT = "text"  # any text; numbers typed in the spreadsheet are read as their digits
    INTEGER = "integer"
    AMOUNT = "amount"  # rupiah with at most two decimals → Money in the cooperative's currency
    PERCENT = "percent"  # a rate in percent → Decimal
    DATE = "date"  # a date cell, or YYYY-MM-DD / DD/MM/YYYY text
    CHOICE = "choice"  # one of the column's ``choices``
    FLAG = "flag"  # ya / tidak → bool


@attrs.frozen
class ImportColumn:
    """One column of an import sheet: its header (``nomor_anggota``), type and help text."""

    name: str
    type: ColumnType
    help: str
    required: bool = True
    choices: tuple[str, ...] = ()
    example: str = ""


@attrs.frozen
class ImportRow:
    """One data row of a sheet: its spreadsheet row number and its values by column name,
    already read by type (``None`` for an empty optional cell)."""

    sheet: str
    number: int
    values: dict[str, Any]

    def __getitem__(self, column: str) -> Any:
        return self.values.get(column)


@attrs.frozen
class ImportProblem:
    """Something to fix in the file, in Indonesian: where (sheet, row, column) and what."""

    sheet: str
    row: int | None
    column: str | None
    message: str


@attrs.frozen
class SheetWritten:
    """What a sheet's writer did: how many rows it wrote, and the balances it stands for in
    GL accounts without member accounts (``{"savings.interest_payable": -1500000}``,
    debit-positive minor units): the reconciliation expects the opening trial balance to
    show exactly these there."""

    rows: int
    subledger: Mapping[str, int] = attrs.field(factory=dict)


#: Opening lines per entry (an entry takes at most 10,000 lines).
OPENING_BATCH = 5000
#: ``ImportRun.shared`` key: account numbers claimed by the file or existing in kopcore.
ACCOUNT_NUMBERS = "kopcore.account_numbers"


@attrs.define
class ImportRun:
    """One import (or dry run) of a file, as the sheets' checks and writers see it.

    - ``ctx``: the context; while writing, its business date is the cut-over date, so what
      writers post and open is dated ``as_of``;
    - ``as_of``: the cut-over date: the file gives the books at the end of that day;
    - ``opening_account``: the GL posting account opening balances are posted against;
    - ``members``: member numbers known to the import (the file's and the database's), each
      with its member id once written (``None`` before);
    - ``shared``: a dict for the plugins' own state across rows and sheets (keys seen,
      products read once), named ``<plugin>.<what>``.
    """

    ctx: Context
    as_of: date
    opening_account: str
    members: dict[str, int | None] = attrs.field(factory=dict)
    shared: dict[str, Any] = attrs.field(factory=dict)
    problems: list[ImportProblem] = attrs.field(factory=list)
    #: Set by the kernel while writing: posts opening lines, balanced on the opening account.
    poster: Callable[[list[PostingLine]], None] | None = None
    pending: list[PostingLine] = attrs.field(factory=list)

    def problem(self, row: ImportRow, column: str | None, message: str) -> None:
        """Report a problem with ``row`` (``column`` names the cell; ``None``: the row)."""
        self.problems.append(ImportProblem(row.sheet, row.number, column, message))

    def open_balance(self, account: Account, balance: Money) -> None:
        """Post ``balance`` (on the account's normal side, as people read it; negative for an
        overdrawn one) as ``account``'s opening balance against the opening account.

        Buffered: the lines go in entries of up to 5,000 lines, each balanced by one line on
        the opening account; the kernel posts what is left when the sheet is written."""
        if balance.minor == 0:
            return
        debit = (balance.minor > 0) == (account.normal_sign > 0)
        self.pending.append(PostingLine(account.number, Side.DEBIT if debit else Side.CREDIT,
                                        Money(abs(balance.minor), balance.currency)))
        if len(self.pending) >= OPENING_BATCH:
            self.flush()

    def flush(self) -> None:
        """Post the buffered opening lines now."""
        if not self.pending:
            return
        if self.poster is None:
            raise RuntimeError("opening balances are posted only while an import writes")
        lines, self.pending = self.pending, []
        self.poster(lines)

    def has_member(self, row: ImportRow, column: str, number: str) -> bool:
        """Whether the file or kopcore has member ``number``; reported on ``row`` when not."""
        if number in self.members:
            return True
        self.problem(row, column, f"anggota {number} tidak ada di lembar anggota maupun di "
                                  "kopcore")
        return False

    def claim_account(self, row: ImportRow, column: str, number: str) -> bool:
        """Claim an account number for ``row``; reported when it is not a valid number or
        another row of the file, or an account in kopcore, has it already."""
        if not re.fullmatch(r"[A-Za-z0-9./_-]{1,64}", number) or number.startswith("GL-"):
            self.problem(row, column, "nomor rekening: 1-64 huruf, angka, '.', '/', '_' atau "
                                      "'-', tidak diawali 'GL-'")
            return False
        taken: dict[str, tuple[str, int] | None] = self.shared.setdefault(ACCOUNT_NUMBERS, {})
        if number in taken:
            where = taken[number]
            self.problem(row, column, f"nomor rekening {number} sudah dipakai " + (
                f"di lembar {where[0]} baris {where[1]}" if where else "di kopcore"))
            return False
        taken[number] = (row.sheet, row.number)
        return True

    def member_id(self, number: str) -> int:
        """The id of a member the file or the database holds (the writers' side)."""
        member_id = self.members.get(number)
        if member_id is None:
            raise KeyError(f"member {number} is not written yet")
        return member_id


@attrs.frozen
class ImportSheet:
    """A kind of record a legacy cooperative's file carries, one sheet of the template.

    ``check(run, row)`` validates one row and reports every problem through
    ``run.problem(row, column, message)`` (in Indonesian: the staff fix the spreadsheet), and
    writes nothing. ``write(run, rows)`` writes the sheet's rows, all checked already, in the
    import's transaction; it posts balances only through ``kopcore.ledger`` against
    ``run.opening_account`` and raises a ``KopcoreError`` to refuse (the whole import rolls
    back). Sheets are checked and written in ``(order, name)`` order: the kernel's members
    (10) and internal accounts (20) before the plugins' accounts (100 and up), the opening
    trial balance last. ``finish(run)``, when given, is called once every row of the sheet is
    checked, for what only the whole sheet shows (totals, rows of another sheet left over).
    """

    name: str
    title: str
    columns: tuple[ImportColumn, ...]
    check: Callable[[ImportRun, ImportRow], None]
    write: Callable[[ImportRun, Iterable[ImportRow]], SheetWritten]
    order: int = 100
    finish: Callable[[ImportRun], None] | None = None
@attrs.frozen
class Finding:
    """Something a plugin's own records and the ledger disagree on (``kopcore_verify``).

    ``kind`` names the check in the plugin's words (``installment_paid_without_repayment``);
    ``verify`` reports it as ``<plugin>.<kind>``, an error. ``account_id`` and ``entry_id``
    point at the ledger account or journal entry concerned, when there is one.
    """

    kind: str
    detail: str
    account_id: int | None = None
    entry_id: int | None = None


@attrs.frozen
class Notification:
    """A message to one member through a notification channel (``kopcore_notification_channels``).

    ``kind`` says what it is about (``member.login-code``: the one-time code of the member
    app's login); ``recipient`` is the member's phone number (or e-mail address, for a channel
    that sends mail) as the member register holds it; ``text`` is the message in Indonesian,
    ready to send as it is. ``member_number`` names the member, for the channel's own records.
    """

    kind: str
    member_number: str
    recipient: str
    text: str
    #: The event this message tells (``kopcore events show``): the same on every attempt and
    #: every replay, so a channel hands it to its provider as the idempotency key and a
    #: message is never sent twice by a provider that honours it. Empty for a message that
    #: comes from no event.
    event_id: str = ""
    #: A short subject, for a channel that sends mail.
    subject: str = ""


@attrs.frozen
class NotificationChannel:
    """A way to reach members: WhatsApp, SMS, e-mail, or the kernel's ``development`` outbox.

    The setting ``notification_channel`` names the one the cooperative uses. ``deliver(ctx,
    notification)`` is called after the transaction that created the message committed, in a
    write transaction of its own (``ctx.conn`` lets a channel keep its own records in its own
    tables; a retried transaction delivers the same message again: at least once). It returns
    once the message is handed over, or raises a :class:`~kopcore.errors.KopcoreError` (a
    provider refusing, a timeout): the member is told the message could not be sent.
    """

    name: str
    description: str
    deliver: Callable[[Context, Notification], None]
    #: What the recipient is: ``phone`` (the member register's phone; WhatsApp, SMS) or
    #: ``email`` (the member register's e-mail address).
    address: str = attrs.field(default="phone", validator=attrs.validators.in_(("phone",
                                                                                  "email")))

    def __attrs_post_init__(self) -> None:
        if not re.fullmatch(r"[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)*", self.name):
            raise ValueError(f"notification channel name {self.name!r}: lowercase letters, "
                             "digits, '-', '_' and '.'")


@attrs.frozen
class EventType:
    """A kind of fact a plugin records in the kernel's event outbox (``kopcore_event_types``).

    ``name`` is in the plugin's namespace (``savings.entry-posted``). ``render(payload)``
    returns the message to the member, in the cooperative's language (Indonesian), or ``None``
    when the event is for no member; ``subject(payload)`` the subject of an e-mail.
    ``secret``: the payload holds a secret (a one-time code), erased once the event is sent or
    dead and never shown by ``kopcore events show``. ``max_attempts``: deliveries tried before
    the event is dead (``None``: the setting ``event_max_attempts``); a one-time code is tried
    once, since the member asks for a new one.
    """

    name: str
    description: str
    render: Callable[[Mapping[str, Any]], str | None]
    subject: Callable[[Mapping[str, Any]], str] | None = None
    secret: bool = False
    max_attempts: int | None = None

    def __attrs_post_init__(self) -> None:
        if not re.fullmatch(r"[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)+", self.name):
            raise ValueError(f"event type name {self.name!r}: '<plugin>.<what>', lowercase "
                             "letters, digits, '-' and '_'")
        if self.max_attempts is not None and self.max_attempts < 1:
            raise ValueError(f"event type {self.name!r}: max_attempts must be at least 1")
