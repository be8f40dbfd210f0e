"""Offices: the head office (kantor pusat), branches (kantor cabang) and cash offices (kantor kas)
as a tree, and the inter-office accounts (RAK, rekening antar kantor) that keep each office's books
balanced.

Every account belongs to one office and every posting is in its account's office. When one
entry touches accounts of several offices (a member of branch A pays in at branch B's counter:
B's cash is debited, A's savings credited), :func:`inter_office_lines` adds a line on each
office's RAK account for that office's net, so each office's postings balance on their own; the
RAK lines sum to zero, which is why RAK nets to zero in the consolidated books. ``verify`` checks
both (kopcore.ledger._verify).

Each office has one RAK account (``RAK-<code>``, GL ``rak``), opened with the office (and the
head office's with the first other office). One account per office rather than per pair of
offices: an entry may touch any number of offices, and each still gets exactly one RAK line.
The counterpart of a RAK posting is the other RAK line of the same entry.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, select, update

from kopcore._db import tables as t
from kopcore._db.tables import HEAD_OFFICE_ID
from kopcore.context import Context
from kopcore.errors import Conflict, NotFound, ValidationError, message
from kopcore.ledger._records import Account, Office, OfficeKind
from kopcore.money import Money
from kopcore.records import PostingLine, Side

#: The GL account of the inter-office accounts (kopcore.plugins.chart).
RAK_GL = "rak"
RAK_PREFIX = "RAK-"
#: The plugin that owns the RAK accounts (the kernel's built-in offices plugin).
OFFICES_PLUGIN = "kopcore.offices"
CODE = re.compile(r"[A-Z0-9][A-Z0-9_-]{1,15}")
#: Which kind of office may report to which.
PARENT_KINDS: Mapping[OfficeKind, tuple[OfficeKind, ...]] = {
    OfficeKind.CABANG: (OfficeKind.PUSAT,),
    OfficeKind.KAS: (OfficeKind.PUSAT, OfficeKind.CABANG),
}
_KINDS = {kind.value: kind for kind in OfficeKind}


def office_from_row(row: object) -> Office:
    m = row._mapping  # type: ignore[attr-defined]
    return Office(id=m["id"], code=m["code"], name=m["name"], kind=_KINDS[m["kind"]],
                  parent_id=m["parent_id"])


def list_offices(conn: Connection) -> list[Office]:
    """Every office, the head office first, each after the office it reports to."""
    rows = [office_from_row(r) for r in conn.execute(select(t.offices).order_by(t.offices.c.id))]
    children: dict[int | None, list[Office]] = defaultdict(list)
    for office in rows:
        children[office.parent_id].append(office)
    ordered: list[Office] = []
    stack = list(reversed(children[None]))
    while stack:
        office = stack.pop()
        ordered.append(office)
        stack.extend(reversed(children[office.id]))
    return ordered


def get_office(conn: Connection, code: str) -> Office:
    row = conn.execute(select(t.offices).where(t.offices.c.code == code)).first()
    if row is None:
        raise NotFound(message("office {code} not found", code=code), field="office")
    return office_from_row(row)


def get_office_by_id(conn: Connection, office_id: int) -> Office:
    row = conn.execute(select(t.offices).where(t.offices.c.id == office_id)).first()
    if row is None:
        raise NotFound(message("office {office_id} not found", office_id=office_id), field="office")
    return office_from_row(row)


#: The input field of a report operation naming the office whose books it reads
#: (``Operation.office_fields``).
REPORT_OFFICE_FIELDS = ("office",)
#: Its metadata (help and length), the same on every report.
REPORT_OFFICE = {"help": "One office's books (office code); default: consolidated",
                 "max_length": 16}


def books_of(conn: Connection, code: str | None) -> int | None:
    """The id of the office whose books a report is asked for; ``None``: consolidated."""
    return get_office(conn, code).id if code is not None else None


def subtree(conn: Connection, office_id: int) -> frozenset[int]:
    """The office and every office under it, at any depth."""
    children: dict[int | None, list[int]] = defaultdict(list)
    for row in conn.execute(select(t.offices.c.id, t.offices.c.parent_id)):
        children[row.parent_id].append(row.id)
    found, stack = set(), [office_id]
    while stack:
        current = stack.pop()
        found.add(current)
        stack.extend(children[current])
    return frozenset(found)


def rak_account_number(office: Office) -> str:
    return RAK_PREFIX + office.code


def _check_parent(kind: OfficeKind, parent: Office) -> None:
    allowed = PARENT_KINDS[kind]
    if parent.kind not in allowed:
        raise ValidationError(
            message("a kantor {kind} reports to a kantor {allowed}, not to {parent} "
                    "({parent_kind})", kind=kind.value,
                    allowed=' or '.join(k.value for k in allowed), parent=parent.code,
                    parent_kind=parent.kind.value),
            field="parent")


def create_office(ctx: Context, *, code: str, name: str, kind: str, parent: str) -> Office:
    """Open a branch or a cash office under ``parent``; its RAK account (and the head office's,
    with the first office after it) is opened with it."""
    if not CODE.fullmatch(code or ""):
        raise ValidationError(message("office code: 2-16 capital letters, digits, '_' or '-'"),
                              field="code")
    name = (name or "").strip()
    if not 1 <= len(name) <= 200:
        raise ValidationError(message("office name: 1-200 characters"), field="name")
    chosen = _KINDS.get(kind)
    if chosen is None or chosen is OfficeKind.PUSAT:
        raise ValidationError(message("kind must be cabang or kas (the head office is the only "
                                      "pusat)"),
                              field="kind")
    above = get_office(ctx.conn, parent)
    _check_parent(chosen, above)
    if ctx.conn.execute(select(t.offices.c.id).where(t.offices.c.code == code)).first():
        raise Conflict(message("office {code} already exists", code=code), field="code")
    office_id = ctx.conn.execute(t.offices.insert().values(
        code=code, name=name, kind=chosen.value, parent_id=above.id,
    ).returning(t.offices.c.id)).scalar_one()
    office = get_office_by_id(ctx.conn, office_id)
    for needs_rak in (get_office_by_id(ctx.conn, HEAD_OFFICE_ID), office):
        _ensure_rak_account(ctx, needs_rak)
    return office


def move_office(ctx: Context, *, code: str, parent: str) -> Office:
    """Make ``code`` report to ``parent``. The head office stays the root; an office cannot
    report to itself or to an office under it."""
    office = get_office(ctx.conn, code)
    if office.kind is OfficeKind.PUSAT:
        raise ValidationError(message("the head office is the root of the tree"), field="office")
    above = get_office(ctx.conn, parent)
    if above.id in subtree(ctx.conn, office.id):
        raise ValidationError(message("{parent} is {code} or under it", parent=parent,
                                      code=code), field="parent")
    _check_parent(office.kind, above)
    ctx.conn.execute(update(t.offices).where(t.offices.c.id == office.id)
                     .values(parent_id=above.id))
    return get_office_by_id(ctx.conn, office.id)


def _ensure_rak_account(ctx: Context, office: Office) -> None:
    from kopcore.ledger._accounts import open_account

    number = rak_account_number(office)
    if ctx.conn.execute(select(t.accounts.c.id).where(t.accounts.c.number == number)).first():
        return
    open_account(ctx, name=f"RAK {office.name}", gl_key=RAK_GL, plugin=OFFICES_PLUGIN,
                 number=number, office=office.code)


#: Office id → its RAK account's number, per running kernel: office codes never change, so the
#: number is read once. A number that no longer fits (an office created in a transaction that
#: rolled back, its id then given to another) is found out below and read again.
_RAK_NUMBERS: WeakKeyDictionary[Any, dict[int, str]] = WeakKeyDictionary()


def _rak_accounts(ctx: Context, office_ids: Sequence[int], known: Mapping[str, Account]
                  ) -> dict[int, Account]:
    """The RAK account of each office: from ``known`` (the accounts a batch already holds) or
    read by number, without a query for the numbers once they are known."""
    from kopcore.ledger._accounts import get_accounts

    numbers = _RAK_NUMBERS.setdefault(ctx.kernel, {})
    missing = [office_id for office_id in office_ids if office_id not in numbers]
    if missing:
        o = t.offices.c
        numbers.update((row.id, RAK_PREFIX + row.code) for row in ctx.conn.execute(
            select(o.id, o.code).where(o.id.in_(missing))))
    wanted = {numbers[office_id] for office_id in office_ids if office_id in numbers}
    found = {number: known[number] for number in wanted if number in known}
    try:
        found.update(get_accounts(ctx, wanted - set(found)) if wanted - set(found) else {})
    except NotFound:
        found = {}
    raks = {account.office_id: account for account in found.values()
            if account.gl_key == RAK_GL}
    if any(raks.get(office_id) is None or raks[office_id].number != numbers.get(office_id)
           for office_id in office_ids):
        if missing == list(office_ids):
            return raks  # read just now: an office without a RAK account
        for office_id in office_ids:
            numbers.pop(office_id, None)
        return _rak_accounts(ctx, office_ids, known)
    return raks


def inter_office_lines(ctx: Context, lines: Sequence[PostingLine],
                       accounts: Mapping[str, Account], *,
                       known: Mapping[str, Account] | None = None
                       ) -> tuple[list[PostingLine], dict[str, Account]]:
    """The entry's lines with one RAK line per office whose own lines do not balance, and the
    accounts with those RAK accounts. Called by the posting pipeline only for an entry whose
    accounts are in more than one office; ``known``: accounts a batch already read."""
    nets: dict[tuple[int, str], int] = defaultdict(int)
    for line in lines:
        nets[(accounts[line.account].office_id, line.amount.currency)] += line.signed_minor
    owing = sorted(key for key, net in nets.items() if net)
    raks = _rak_accounts(ctx, sorted({office_id for office_id, _ in owing}), known or {})
    added, found = list(lines), dict(accounts)
    for office_id, currency in owing:
        rak = raks.get(office_id)
        if rak is None:
            office = get_office_by_id(ctx.conn, office_id)
            raise NotFound(message("office {office} has no RAK account {rak_account_number}",
                                   office=office.code,
                                   rak_account_number=rak_account_number(office)),
                           field="account")
        if rak.currency != currency:
            raise ValidationError(message("an entry between offices is in {rak_currency} only "
                                          "(RAK accounts), not {currency}",
                                          rak_currency=rak.currency, currency=currency),
                                  field="lines")
        net = nets[(office_id, currency)]
        side = Side.CREDIT if net > 0 else Side.DEBIT
        added.append(PostingLine(rak.number, side, Money.stored(abs(net), currency)))
        found[rak.number] = rak
    return added, found
