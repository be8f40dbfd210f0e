"""Group loans (kelompok, tanggung renteng) at the loan desk: the list of groups with their
arrears, the printable collection sheet of a meeting (lembar tagihan pertemuan kelompok) and the
meeting's result entered as one batch.

Every step is an operation of the loans plugin run for the person through
:func:`kopcore._service.invoke` (``loans.group-list``, ``loans.group-sheet``,
``loans.group-collect``, ``accounts.list`` for the cash drawers): the same permissions,
idempotency and audit trail as the API and the CLI. The result form is pre-filled with what each
member owes by today; the amounts typed are sent as the batch of ``loans.group-collect``, which
applies them under the group's joint liability (see the loans plugin's README).
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

import attrs
from litestar import Response, get, post
from litestar.params import FromPath

from kopcore import _logins as logins
from kopcore.errors import KopcoreError, ValidationError, message
from kopcore.interfaces.web._base import AnyRequest, Web
from kopcore.interfaces.web._pages import Form
from kopcore.interfaces.web._show import money_of, refusal
from kopcore.interfaces.web._tills import cash_accounts
from kopcore.money import Money, read_amount

LIST = "loans.group-list"
SHEET = "loans.group-sheet"
COLLECT = "loans.group-collect"
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@attrs.frozen
class SheetRow:
    """One loan on the collection sheet: the installment asked at this meeting, the arrears
    from before it and the total to collect (``due`` of ``loans.group-sheet``)."""

    loan: str
    member_number: str
    member_name: str
    installment: Money
    arrears: Money
    total: Money


@attrs.frozen
class Payer:
    """A member on the result form with what they owe today, pre-filled."""

    member_number: str
    member_name: str
    loans: tuple[str, ...]
    due: Money
    field: str


def next_meeting(today: date, weekday: str) -> date:
    """The group's meeting on or after ``today``."""
    if weekday not in DAYS:
        return today
    return today + timedelta(days=(DAYS.index(weekday) - today.weekday()) % 7)


def sheet_rows(sheet: dict[str, Any]) -> list[SheetRow]:
    rows = []
    for line in sheet["lines"]:
        due, overdue = money_of(line["due"]), money_of(line["overdue"])
        rows.append(SheetRow(line["loan"], line["member_number"], line["member_name"],
                             due - overdue, overdue, due))
    return rows


def payers(sheet: dict[str, Any]) -> list[Payer]:
    """The members with a running loan in the group, each with what they owe today."""
    loans: dict[str, list[str]] = defaultdict(list)
    due: dict[str, Money] = {}
    names: dict[str, str] = {}
    for line in sheet["lines"]:
        number = line["member_number"]
        loans[number].append(line["loan"])
        names[number] = line["member_name"]
        amount = money_of(line["due"])
        due[number] = due[number] + amount if number in due else amount
    return [Payer(m, names[m], tuple(loans[m]), due[m], f"paid_{m}") for m in loans]


def loan_group_handlers(web: Web) -> list[Any]:
    """The route handlers of the groups list, the collection sheet and the meeting's result."""
    kernel = web.kernel

    allowed = web.staff_may

    @get("/loans/groups", sync_to_thread=True)
    def group_list(request: AnyRequest) -> Response[Any]:
        session = allowed(request, web.signed_in(request), LIST, "Loan groups")
        if isinstance(session, Response):
            return session
        try:
            items = web.read(LIST, session.principal)["items"]
        except KopcoreError as exc:
            return web.refused(request, session, exc)
        return web.render(request, "loans_groups.html", session=session, items=items,
                          may_collect=web.has(COLLECT, session.principal), money=money_of)

    @get("/loans/groups/{code:str}/sheet", sync_to_thread=True)
    def collection_sheet(request: AnyRequest, code: FromPath[str]) -> Response[Any]:
        session = allowed(request, web.signed_in(request), SHEET, "Collection sheet")
        if isinstance(session, Response):
            return session
        day = request.query_params.get("day") or ""
        try:
            if not day:
                today = web.read(SHEET, session.principal, group=code)
                day = next_meeting(date.fromisoformat(str(today["day"])),
                                   str(today["meeting_day"])).isoformat()
            sheet = web.read(SHEET, session.principal, group=code, day=day)
        except KopcoreError as exc:
            return web.refused(request, session, exc)
        rows = sheet_rows(sheet)
        currency = kernel.settings.currency
        return web.render(
            request, "loans_group_sheet.html", session=session, sheet=sheet, rows=rows,
            day=date.fromisoformat(str(sheet["day"])),
            total_installment=sum((r.installment for r in rows), Money.zero(currency)),
            total_arrears=sum((r.arrears for r in rows), Money.zero(currency)),
            total=sum((r.total for r in rows), Money.zero(currency)))

    def collect_page(request: AnyRequest, session: logins.Session, code: str,
                     values: dict[str, str], *, error: str | None = None, status: int = 200,
                     result: Any = None) -> Response[Any]:
        try:
            sheet = web.read(SHEET, session.principal, group=code)
        except KopcoreError as exc:
            return web.refused(request, session, exc)
        members = payers(sheet)
        filled = dict(values)
        if not values:
            filled.update({p.field: p.due.to_str() for p in members})
        return web.render(
            request, "loans_group_collect.html", session=session, status=status,
            sheet=sheet, payers=members, values=filled, error=error, result=result,
            cash=cash_accounts(web, session), money=money_of,
            total_due=sum((p.due for p in members), Money.zero(kernel.settings.currency)),
            key=(values.get("idempotency_key") if result is None else None) or web.new_key())

    @get("/loans/groups/{code:str}/collect", sync_to_thread=True)
    def collect_form(request: AnyRequest, code: FromPath[str]) -> Response[Any]:
        session = allowed(request, web.signed_in(request), COLLECT,
                          "Enter a group meeting's collections as one batch")
        if isinstance(session, Response):
            return session
        return collect_page(request, session, code, {})

    @post("/loans/groups/{code:str}/collect", sync_to_thread=True, status_code=200)
    def collect(request: AnyRequest, code: FromPath[str], data: Form) -> Response[Any]:
        session = allowed(request, web.form_sent(request, data), COLLECT,
                          "Enter a group meeting's collections as one batch")
        if isinstance(session, Response):
            return session
        locale = web.locale(request)
        op = kernel.plugins.operations[COLLECT].value
        try:
            payments = []
            for name, text in sorted(data.items()):
                if name.startswith("paid_") and text.strip():
                    amount = read_amount(text.strip(), field="payments")
                    if amount:  # nothing paid: the member is not in the batch
                        payments.append({"member": name.removeprefix("paid_"),
                                         "amount": str(amount)})
            if not payments:
                raise ValidationError(message("enter what the members paid"), field="payments")
            outcome = web.run(op, {"group": code, "cash_account": data.get("cash_account", ""),
                                   "payments": json.dumps(payments)},
                              session.principal, key=data.get("idempotency_key"))
        except KopcoreError as exc:
            return collect_page(request, session, code, data, error=refusal(exc, locale),
                                status=exc.status)
        return collect_page(request, session, code, data, result=outcome.payload)

    return [group_list, collection_sheet, collect_form, collect]
