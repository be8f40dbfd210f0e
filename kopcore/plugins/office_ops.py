"""Built-in plugin: the cooperative's offices (kantor pusat, cabang, kas) and who works where.

``offices create`` opens a branch or a cash office (and its RAK account), ``offices move`` makes
an office report to another, ``offices assign-user`` moves a user to an office. The head office
(``KP``) exists from the start. ``offices count-till`` records a teller's count of their drawer
at the close of the counter's day and ``offices till-counts`` shows a day's counts with their
differences to the supervisor. See docs/offices.md.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import attrs

from kopcore import _auth as auth
from kopcore import _office_days as days
from kopcore import _till_counts as tills
from kopcore import hookimpl, ledger
from kopcore.context import Context
from kopcore.errors import Conflict, NotFound, ValidationError, message
from kopcore.ledger import _offices as offices
from kopcore.ledger._records import Office
from kopcore.money import Money
from kopcore.operations import Operation
from kopcore.plugins.user_ops import MANAGE as USERS_MANAGE
from kopcore.records import PermissionSpec

READ = "offices.read"
MANAGE = "offices.manage"
CLOSE_DAY = "offices.close-day"
COUNT_TILL = "offices.count-till"
READ_TILL_COUNTS = "offices.till-counts"
OFFICE = {"help": "Office code (KP is the head office)", "max_length": 16}


@attrs.frozen
class NoInput:
    """No parameters."""


@attrs.frozen
class CreateOfficeIn:
    code: str = attrs.field(metadata={"help": "Office code, e.g. CAB01", "max_length": 16})
    name: str = attrs.field(metadata={"help": "Name, e.g. Kantor Cabang Sleman",
                                      "max_length": 200})
    kind: str = attrs.field(metadata={"help": "cabang (branch) or kas (cash office)",
                                      "max_length": 16})
    parent: str = attrs.field(default="KP", metadata={
        "help": "The office it reports to (default: the head office)", "max_length": 16})


@attrs.frozen
class MoveOfficeIn:
    office: str = attrs.field(metadata=OFFICE)
    parent: str = attrs.field(metadata={"help": "The office it reports to from now on",
                                        "max_length": 16})


@attrs.frozen
class AssignUserIn:
    username: str = attrs.field(metadata={"help": "Login name", "max_length": 64})
    office: str = attrs.field(metadata=OFFICE)


@attrs.frozen
class CashCountIn:
    account: str = attrs.field(metadata={"help": "Cash or vault account", "max_length": 64})
    amount: Decimal = attrs.field(metadata={"help": "Cash counted, in rupiah"})


@attrs.frozen
class CloseDayIn:
    office: str = attrs.field(metadata=OFFICE)
    counts: list[CashCountIn] = attrs.field(factory=list, metadata={
        "help": "The cash counted in each cash and vault account of the office (an account "
                "not named takes its last till count of the day, or zero)"})


def _pieces(denomination: int) -> Any:
    shown = f"{denomination:,}".replace(",", ".")
    return attrs.field(default=0, metadata={"help": f"Pieces of Rp{shown}", "minimum": 0,
                                            "maximum": tills.MAX_PIECES})


@attrs.frozen
class TillCountIn:
    """The count of a teller's drawer: the pieces of each note and coin."""

    account: str = attrs.field(metadata={"help": "The teller's cash account (drawer)",
                                         "max_length": 64})
    pieces_100000: int = _pieces(100000)
    pieces_50000: int = _pieces(50000)
    pieces_20000: int = _pieces(20000)
    pieces_10000: int = _pieces(10000)
    pieces_5000: int = _pieces(5000)
    pieces_2000: int = _pieces(2000)
    pieces_1000: int = _pieces(1000)
    pieces_500: int = _pieces(500)
    pieces_200: int = _pieces(200)
    pieces_100: int = _pieces(100)
    note: str | None = attrs.field(default=None, metadata={
        "help": "A note for the supervisor (why the count differs)", "max_length": 200})


@attrs.frozen
class TillCountsIn:
    business_date: date | None = attrs.field(default=None, metadata={
        "help": "Business date (default: the current one)"})
    office: str | None = attrs.field(default=None, metadata={
        "help": "Only this office's drawers (office code)", "max_length": 16})


@attrs.frozen
class DenominationOut:
    denomination: Money
    pieces: int
    value: Money


@attrs.frozen
class TillCountOut:
    id: int
    account: str
    office: str
    business_date: date
    counted_by: str
    counted_at: datetime
    denominations: list[DenominationOut]
    counted: Money
    book_balance: Money
    #: Counted minus the books: negative is a shortfall (kurang), positive a surplus (lebih).
    difference: Money
    note: str | None


@attrs.frozen
class TillCountsOut:
    business_date: date
    counts: list[TillCountOut]
    #: How many counts differ from the books, and the sum of their differences.
    differing: int
    total_difference: Money


@attrs.frozen
class DaysIn:
    business_date: date | None = attrs.field(default=None, metadata={
        "help": "Business date (default: the current one)"})


@attrs.frozen
class OfficeDayOut:
    office: str
    name: str
    business_date: date
    cash_accounts: int
    closed: bool
    closed_by: str | None
    closed_at: datetime | None
    counted: Money


@attrs.frozen
class OfficeDaysOut:
    """Each office's day: the end of day waits for every office holding cash."""

    business_date: date
    closed: int
    to_close: int
    offices: list[OfficeDayOut]


@attrs.frozen
class OfficeOut:
    code: str
    name: str
    kind: str
    parent: str | None
    rak_account: str | None


@attrs.frozen
class OfficesOut:
    offices: list[OfficeOut]


@attrs.frozen
class UserOfficeOut:
    username: str
    role: str
    office: str


def office_out(ctx: Context, office: Office) -> OfficeOut:
    parent = (offices.get_office_by_id(ctx.conn, office.parent_id).code
              if office.parent_id is not None else None)
    try:
        rak: str | None = ledger.get_account(ctx, offices.rak_account_number(office)).number
    except NotFound:  # the head office of a cooperative with no other office yet
        rak = None
    return OfficeOut(office.code, office.name, office.kind.value, parent, rak)


def create_office(ctx: Context, data: CreateOfficeIn) -> OfficeOut:
    """Open a branch (cabang) or a cash office (kas) under another office, with its RAK
    account."""
    return office_out(ctx, offices.create_office(ctx, code=data.code, name=data.name,
                                                 kind=data.kind, parent=data.parent))


def list_offices(ctx: Context, data: NoInput) -> OfficesOut:
    """Every office, the head office first, each after the office it reports to."""
    return OfficesOut([office_out(ctx, office) for office in offices.list_offices(ctx.conn)])


def move_office(ctx: Context, data: MoveOfficeIn) -> OfficeOut:
    """Make an office report to another (a cash office moving to a new branch)."""
    return office_out(ctx, offices.move_office(ctx, code=data.office, parent=data.parent))


def assign_user(ctx: Context, data: AssignUserIn) -> UserOfficeOut:
    """Move a user to an office: from their next call on, they work there."""
    office = offices.get_office(ctx.conn, data.office)
    user = auth.set_office(ctx.conn, data.username, office.id)
    return UserOfficeOut(user["username"], user["role"], office.code)


def _day_out(ctx: Context, day: days.OfficeDay) -> OfficeDayOut:
    return OfficeDayOut(day.office.code, day.office.name, day.business_date, day.cash_accounts,
                        day.closed_by is not None, day.closed_by, day.closed_at,
                        Money.stored(day.counted, ctx.settings.currency))


def close_day(ctx: Context, data: CloseDayIn) -> OfficeDayOut:
    """Close an office's business day with its cash counted (tutup kas): each count must
    equal the books. The cooperative's end of day waits for every office holding cash."""
    counts: dict[str, Money] = {}
    for count in data.counts:
        if count.account in counts:
            raise ValidationError(message("{account} is counted twice",
                                          account=count.account), field="counts")
        counts[count.account] = Money.parse(count.amount, ctx.settings.currency, field="counts")
    return _day_out(ctx, days.close_office_day(ctx, data.office, counts))


def list_days(ctx: Context, data: DaysIn) -> OfficeDaysOut:
    """Each office's day: closed or not, by whom, the cash counted; the end of day's progress
    through the offices."""
    day = data.business_date or ctx.business_date
    found = days.office_days(ctx, day)
    seen = ctx.principal.offices if ctx.principal is not None else None
    shown = [d for d in found if seen is None or d.office.id in seen]
    waiting = [d for d in found if d.cash_accounts]
    return OfficeDaysOut(day, sum(1 for d in waiting if d.closed_by is not None), len(waiting),
                         [_day_out(ctx, d) for d in shown])


def _till_out(count: tills.TillCount) -> TillCountOut:
    currency = count.counted.currency
    return TillCountOut(
        count.id, count.account, count.office, count.business_date, count.counted_by,
        count.counted_at,
        [DenominationOut(Money.parse(str(d), currency), count.pieces.get(d, 0),
                         Money.parse(str(d * count.pieces.get(d, 0)), currency))
         for d in tills.DENOMINATIONS],
        count.counted, count.balance, count.difference, count.note)


def count_till(ctx: Context, data: TillCountIn) -> TillCountOut:
    """Record the count of a teller's drawer (the pieces of each note and coin) against its
    book balance now; the difference is shown to the supervisor. Nothing is posted."""
    pieces = {d: getattr(data, f"pieces_{d}") for d in tills.DENOMINATIONS}
    return _till_out(tills.count_till(ctx, data.account, pieces, data.note))


def list_till_counts(ctx: Context, data: TillCountsIn) -> TillCountsOut:
    """The tellers' counts of a business day (of the offices the caller sees), in the order
    they were made, with the differences against the books."""
    day = data.business_date or ctx.business_date
    seen = ctx.principal.offices if ctx.principal is not None else None
    found = [_till_out(c) for c in tills.till_counts(ctx, day, office=data.office,
                                                     offices=seen)]
    total = Money.zero(ctx.settings.currency)
    for count in found:
        total = total + count.difference
    return TillCountsOut(day, found, sum(1 for c in found if c.difference.minor != 0), total)


@hookimpl
def kopcore_permissions() -> tuple[PermissionSpec, ...]:
    return (PermissionSpec(READ, "See the offices and their days", ("manager", "teller",
                                                                    "auditor")),
            PermissionSpec(MANAGE, "Open and move offices", ()),
            PermissionSpec(CLOSE_DAY, "Close an office's day with its cash counted",
                           ("manager",)),
            PermissionSpec(COUNT_TILL, "Record the count of a teller's drawer",
                           ("teller", "manager")),
            PermissionSpec(READ_TILL_COUNTS, "See the tellers' counts and their differences",
                           ("manager", "auditor")))


@hookimpl
def kopcore_operations() -> list[Operation]:
    return [
        Operation("offices.create", CreateOfficeIn, OfficeOut, create_office, permission=MANAGE,
                  mutates=True, summary="Open a branch or a cash office",
                  errors=(ValidationError, NotFound, Conflict)),
        Operation("offices.list", NoInput, OfficesOut, list_offices, permission=READ,
                  mutates=False, summary="List the offices"),
        Operation("offices.move", MoveOfficeIn, OfficeOut, move_office, permission=MANAGE,
                  mutates=True, summary="Make an office report to another",
                  errors=(ValidationError, NotFound)),
        Operation("offices.close-day", CloseDayIn, OfficeDayOut, close_day,
                  permission=CLOSE_DAY, mutates=True,
                  summary="Close an office's day with its cash counted",
                  errors=(ValidationError, NotFound, Conflict), office_fields=("office",)),
        Operation(COUNT_TILL, TillCountIn, TillCountOut, count_till, permission=COUNT_TILL,
                  mutates=True, summary="Record the count of a teller's drawer",
                  errors=(ValidationError, NotFound, Conflict)),
        Operation(READ_TILL_COUNTS, TillCountsIn, TillCountsOut, list_till_counts,
                  permission=READ_TILL_COUNTS, mutates=False,
                  summary="The tellers' counts of a day and their differences",
                  errors=(NotFound,), office_fields=()),
        Operation("offices.days", DaysIn, OfficeDaysOut, list_days, permission=READ,
                  mutates=False, summary="Each office's day and the end of day's progress"),
        Operation("offices.assign-user", AssignUserIn, UserOfficeOut, assign_user,
                  permission=USERS_MANAGE, mutates=True, summary="Move a user to an office",
                  errors=(NotFound,)),
    ]
