"""Accounts: members' sub-ledger accounts, internal accounts, GL posting accounts; holds."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ARRAY, Connection, Row, Select, any_, bindparam, func, select, update

from kopcore._db import tables as t
from kopcore._db.driver import DriverStatement
from kopcore._facts import BUSINESS_DATE
from kopcore.context import Context
from kopcore.errors import (
    AccountClosed,
    Conflict,
    InsufficientFunds,
    NotFound,
    ValidationError,
    message,
)
from kopcore.ledger._members import require_active
from kopcore.ledger._offices import get_office
from kopcore.ledger._records import Account, AccountStatus
from kopcore.ledger._rules import shortfall
from kopcore.money import Money

GL_ACCOUNT_PREFIX = "GL-"
#: What an account number may be, as a refusal says it.
ACCOUNT_NUMBER_RULE = message("account number: 1-64 letters, digits, '.', '/', '_' or '-'")
#: A floor in another currency than its account's.
FLOOR_CURRENCY = message("floor currency differs from the account's")


#: The columns of ``accounts`` in table order: rows of ``select(t.accounts, ...)`` start with
#: them, which lets :func:`account_from_row` unpack a row by position.
_COLUMNS = ("id", "number", "name", "gl_key", "member_id", "product_code", "plugin", "currency",
            "normal_sign", "status", "balance", "held", "floor", "opened_on", "closed_on",
            "office_id")
if tuple(c.name for c in t.accounts.columns) != _COLUMNS:
    raise RuntimeError("kopcore.ledger._accounts: the accounts table's columns changed")
_STATUSES = {status.value: status for status in AccountStatus}


def account_from_row(row: Row[Any] | tuple[Any, ...]) -> Account:
    """The :class:`Account` of a row of ``select(t.accounts, ...)`` (its columns first)."""
    (account_id, number, name, gl_key, member_id, product_code, plugin, currency, sign, status,
     balance, held, floor, opened_on, closed_on, office_id) = tuple(row)[:16]
    return Account(
        id=account_id, number=number, name=name, gl_key=gl_key, member_id=member_id,
        product_code=product_code, plugin=plugin, currency=currency, normal_sign=sign,
        status=_STATUSES[status], balance=Money.stored(balance * sign, currency),
        held=Money.stored(held, currency),
        floor=Money.stored(floor, currency) if floor is not None else None,
        opened_on=opened_on, closed_on=closed_on, office_id=office_id,
    )


def gl_account_number(gl_key: str) -> str:
    """Number of the posting account that stands for a GL account itself (``GL-<key>``)."""
    return GL_ACCOUNT_PREFIX + gl_key


#: One account by number: read on nearly every call (a balance, a handler's currency), so
#: built once and run through the driver (kopcore._db.driver).
_BY_NUMBER = DriverStatement(select(t.accounts).where(t.accounts.c.number == bindparam("number")))


def get_account(ctx: Context, number: str) -> Account:
    rows = _BY_NUMBER.rows(ctx.conn, {"number": number})
    if not rows:
        raise NotFound(message("account {account} not found", account=number), field="account")
    row = rows[0]
    return account_from_row(row)


_SELECT_BY_NUMBERS = select(t.accounts).where(
    t.accounts.c.number.in_(bindparam("numbers", expanding=True)))
#: PostgreSQL: the numbers as one array parameter (``= ANY(…)``), so the statement is the same
#: whatever their count: compiled once, and preparable by the server, where an expanding
#: ``IN`` renders new SQL for every count.
_SELECT_BY_NUMBER_ARRAY = select(t.accounts).where(
    t.accounts.c.number == any_(bindparam("numbers", type_=ARRAY(t.accounts.c.number.type))))
#: A teller's entry names two to four accounts: for so few, a statement with that many plain
#: parameters (built once per count) spares rendering an expanding ``IN`` on every execution.
_FEW = 8
_SELECT_FEW = {
    count: select(t.accounts).where(
        t.accounts.c.number.in_([bindparam(f"n{i}") for i in range(count)]))
    for count in range(1, _FEW + 1)
}


def _by_numbers(conn: Connection, numbers: list[str]
                ) -> tuple[Select[Any], dict[str, Any], str]:
    """The statement reading accounts by number, its parameters and a key naming it."""
    if len(numbers) <= _FEW:
        return (_SELECT_FEW[len(numbers)], {f"n{i}": n for i, n in enumerate(numbers)},
                f"accounts.by-{len(numbers)}-numbers")
    if conn.dialect.name == "postgresql":
        return _SELECT_BY_NUMBER_ARRAY, {"numbers": numbers}, "accounts.by-number-array"
    return _SELECT_BY_NUMBERS, {"numbers": numbers}, "accounts.by-numbers"


def get_accounts(ctx: Context, numbers: set[str], *, with_facts: bool = False
                 ) -> dict[str, Account]:
    """The accounts with these numbers; :class:`NotFound` naming any that does not exist.

    ``with_facts``: read the transaction's facts (:mod:`kopcore._facts`) in the same statement,
    so that they are as current as the accounts (the posting pipeline needs both)."""
    query, params, key = _by_numbers(ctx.conn, sorted(numbers))
    rows: Sequence[Row[Any] | tuple[Any, ...]]
    if with_facts:
        facts = ctx.kernel.facts
        if len(numbers) <= _FEW:  # a teller's entry: through the driver (kopcore._db.driver)
            rows = facts.driver(key, query).rows(ctx.conn, params)
        else:  # an expanding IN is rendered by SQLAlchemy at execution; the array is bound
            rows = ctx.conn.execute(facts.statement(key, query), params).all()
        if rows:
            values = facts.take(ctx.conn, rows[0])
            if ctx._business_date is None:
                ctx._business_date = values[BUSINESS_DATE]
    else:
        rows = ctx.conn.execute(query, params).all()
    found = {account.number: account for account in map(account_from_row, rows)}
    missing = sorted(numbers - set(found))
    if missing:
        raise NotFound(message("account {account} not found", account=", ".join(missing)),
                       field="account")
    return found


def member_accounts(ctx: Context, member_id: int) -> list[Account]:
    rows = ctx.conn.execute(
        select(t.accounts).where(t.accounts.c.member_id == member_id).order_by(t.accounts.c.id)
    )
    return [account_from_row(r) for r in rows]


def list_accounts(
    ctx: Context, *, member_id: int | None = None, gl_key: str | None = None,
    after: int = 0, limit: int = 50, office_ids: frozenset[int] | None = None,
) -> list[Account]:
    """Accounts in id order after ``after``; only those in ``office_ids`` when given."""
    query = select(t.accounts).where(t.accounts.c.id > after).order_by(t.accounts.c.id)
    if office_ids is not None:
        query = query.where(t.accounts.c.office_id.in_(sorted(office_ids)))
    if member_id is not None:
        query = query.where(t.accounts.c.member_id == member_id)
    if gl_key is not None:
        query = query.where(t.accounts.c.gl_key == gl_key)
    return [account_from_row(r) for r in ctx.conn.execute(query.limit(limit))]


def open_account(
    ctx: Context, *, name: str, gl_key: str, plugin: str, member_id: int | None = None,
    product_code: str | None = None, number: str | None = None, currency: str | None = None,
    floor: Money | None = None, prefix: str = "AC", office: str | None = None,
) -> Account:
    """Open an account rolling up to GL account ``gl_key``, in ``office`` (an office code;
    ``None``: the office the call is made at, :attr:`kopcore.context.Context.office_id`).

    A member account needs an active member. ``floor`` is the lowest *available* balance (normal
    side, after holds) that postings may leave; ``None`` means no floor (GL accounts). Without a
    ``number`` one is made from ``prefix`` and the account id.
    """
    currency = currency or ctx.settings.currency
    office_id = get_office(ctx.conn, office).id if office is not None else ctx.office_id
    gl = ctx.conn.execute(select(t.gl_accounts).where(t.gl_accounts.c.key == gl_key)).first()
    if gl is None:
        raise NotFound(message("GL account '{gl_key}' not in the chart", gl_key=gl_key),
                       field="gl_key")
    if member_id is not None:
        require_active(ctx, member_id)
    if number is not None and not re.fullmatch(r"[A-Za-z0-9./_-]{1,64}", number):
        raise ValidationError(ACCOUNT_NUMBER_RULE, field="number")
    if number is not None and ctx.conn.execute(
        select(t.accounts.c.id).where(t.accounts.c.number == number)
    ).first():
        raise Conflict(message("account number {number} already exists", number=number),
                       field="number")
    if floor is not None and floor.currency != currency:
        raise ValidationError(FLOOR_CURRENCY, field="floor")
    from kopcore.records import GLType

    debit_normal = GLType(gl.type).debit_normal != bool(gl.contra)
    account_id = ctx.conn.execute(
        t.accounts.insert().values(
            number=number or "tmp-" + uuid.uuid4().hex[:24], name=name, gl_key=gl_key,
            member_id=member_id, product_code=product_code, plugin=plugin, currency=currency,
            normal_sign=1 if debit_normal else -1, status=AccountStatus.OPEN.value, balance=0,
            held=0, floor=floor.minor if floor is not None else None,
            opened_on=ctx.business_date, office_id=office_id,
        ).returning(t.accounts.c.id)
    ).scalar_one()
    if number is None:
        ctx.conn.execute(
            update(t.accounts).where(t.accounts.c.id == account_id)
            .values(number=f"{prefix}{account_id:08d}")
        )
    row = ctx.conn.execute(select(t.accounts).where(t.accounts.c.id == account_id)).one()
    return account_from_row(row)


def _set_status(ctx: Context, number: str, status: AccountStatus, *, allowed_from: set[str]
                ) -> Account:
    account = get_account(ctx, number)
    if account.status is AccountStatus.CLOSED:
        raise AccountClosed(message("account {account} is closed", account=number))
    if account.status.value not in allowed_from:
        raise Conflict(message("account {account} is {account_status}", account=number,
                               account_status=message(account.status.value)))
    ctx.conn.execute(update(t.accounts).where(t.accounts.c.id == account.id)
                     .values(status=status.value))
    return get_account(ctx, number)


def freeze_account(ctx: Context, number: str) -> Account:
    """Freeze: nothing may leave the account (its normal balance cannot go down)."""
    return _set_status(ctx, number, AccountStatus.FROZEN, allowed_from={"open"})


def unfreeze_account(ctx: Context, number: str) -> Account:
    return _set_status(ctx, number, AccountStatus.OPEN, allowed_from={"frozen"})


def close_account(ctx: Context, number: str) -> Account:
    """Close an account at zero balance with no active hold; closed accounts take no postings."""
    account = get_account(ctx, number)
    if account.status is AccountStatus.CLOSED:
        raise AccountClosed(message("account {account} is already closed", account=number))
    if account.balance.minor != 0 or account.held.minor != 0:
        raise Conflict(message(
            "account {account} cannot be closed: balance {balance}, held {held}",
            account=number, balance=account.balance, held=account.held))
    ctx.conn.execute(
        update(t.accounts).where(t.accounts.c.id == account.id)
        .values(status=AccountStatus.CLOSED.value, closed_on=ctx.business_date)
    )
    return get_account(ctx, number)


def set_floor(ctx: Context, number: str, floor: Money | None) -> Account:
    """Change the lowest available balance postings may leave (``None``: no floor).

    A product's minimum balance lives here. Raising the floor above the current available
    balance is allowed (nothing more may leave until it is back above); money coming in is
    never refused by a floor.
    """
    account = get_account(ctx, number)
    if account.status is AccountStatus.CLOSED:
        raise AccountClosed(message("account {account} is closed", account=number))
    if floor is not None and floor.currency != account.currency:
        raise ValidationError(FLOOR_CURRENCY, field="floor")
    ctx.conn.execute(update(t.accounts).where(t.accounts.c.id == account.id)
                     .values(floor=floor.minor if floor is not None else None))
    return get_account(ctx, number)


# --- holds ------------------------------------------------------------------------------------


def place_hold(
    ctx: Context, number: str, amount: Money, *, reason: str, reference: str | None = None
) -> int:
    """Set aside ``amount`` of the available balance (funds of a pending bill payment, say).

    Refused with InsufficientFunds when the available balance would fall below the floor.
    Returns the hold id. A ``reference`` is unique: holding twice for one reference is refused.
    """
    account = get_account(ctx, number)
    if not amount.is_positive():
        raise ValidationError(message("hold amount must be positive"), field="amount")
    if amount.currency != account.currency:
        raise ValidationError(message("hold currency differs from the account's"),
                              field="amount")
    if account.status is AccountStatus.CLOSED:
        raise AccountClosed(message("account {account} is closed", account=number))
    if reference is not None and ctx.conn.execute(
        select(t.account_holds.c.id).where(t.account_holds.c.reference == reference)
    ).first():
        raise Conflict(message("a hold with reference '{reference}' already exists",
                               reference=reference))
    a = t.accounts.c
    floor_ok = (a.floor.is_(None)) | (a.balance * a.normal_sign - a.held - amount.minor >= a.floor)
    updated = ctx.conn.execute(
        update(t.accounts).where(a.id == account.id, a.status != "closed", floor_ok)
        .values(held=a.held + amount.minor).returning(a.id)
    ).first()
    if updated is None:
        raise InsufficientFunds(shortfall(number, account.available, amount, account.floor),
                                account=number, available=account.available.to_str())
    return int(ctx.conn.execute(
        t.account_holds.insert().values(
            account_id=account.id, amount=amount.minor, reason=reason[:200], reference=reference,
            status="active", actor=ctx.actor, created_at=datetime.now(UTC),
        ).returning(t.account_holds.c.id)
    ).scalar_one())


def release_hold(ctx: Context, hold_id: int) -> None:
    """Release an active hold; its amount is available again."""
    h = t.account_holds.c
    row = ctx.conn.execute(
        update(t.account_holds).where(h.id == hold_id, h.status == "active")
        .values(status="released", released_at=datetime.now(UTC))
        .returning(h.account_id, h.amount)
    ).first()
    if row is None:
        raise NotFound(message("no active hold {hold}", hold=hold_id))
    a = t.accounts.c
    ctx.conn.execute(update(t.accounts).where(a.id == row.account_id)
                     .values(held=a.held - row.amount))


def active_holds(ctx: Context, number: str) -> list[dict[str, Any]]:
    account = get_account(ctx, number)
    h = t.account_holds.c
    rows = ctx.conn.execute(
        select(h.id, h.amount, h.reason, h.reference, h.created_at)
        .where(h.account_id == account.id, h.status == "active").order_by(h.id)
    )
    return [dict(r._mapping) for r in rows]


def count_accounts(ctx: Context) -> int:
    return int(ctx.conn.execute(select(func.count()).select_from(t.accounts)).scalar_one())
