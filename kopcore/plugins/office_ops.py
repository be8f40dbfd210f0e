"""Built-in plugin: the cooperative's offices (kantor pusat, cabang, kas) and who works where.

``offices create`` opens a branch or a cash office (and its RAK account), ``offices move`` makes
an office report to another, ``offices assign-user`` moves a user to an office. The head office
(``KP``) exists from the start. See docs/offices.md.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import attrs

from kopcore import _auth as auth
from kopcore import _office_days as days
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
        "help": "The cash counted in each cash and vault account of the office "
                "(an account not named counts zero)"})


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


@hookimpl
def kopcore_permissions() -> tuple[PermissionSpec, ...]:
    return (PermissionSpec(READ, "See the offices and their days", ("manager", "teller",
                                                                    "auditor")),
            PermissionSpec(MANAGE, "Open and move offices", ()),
            PermissionSpec(CLOSE_DAY, "Close an office's day with its cash counted",
                           ("manager",)))


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
        Operation("offices.days", DaysIn, OfficeDaysOut, list_days, permission=READ,
                  mutates=False, summary="Each office's day and the end of day's progress"),
        Operation("offices.assign-user", AssignUserIn, UserOfficeOut, assign_user,
                  permission=USERS_MANAGE, mutates=True, summary="Move a user to an office",
                  errors=(NotFound,)),
    ]
