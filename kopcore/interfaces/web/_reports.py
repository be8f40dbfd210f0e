"""The reports as pages that print well: trial balance, financial position, operating results,
an account's statement (mutasi), the RAT statements and the health assessment.

Each page is one read operation run for the person through :func:`kopcore._service.invoke`
(``reports.trial-balance``, ``reports.financial-position``, ``reports.operating-results``,
``accounts.statement``, ``statements.rat``, ``health.assess``) with the filters of its input
class as a form (the office as a choice from ``offices.list`` where the operation takes one),
and its result laid out as the document it is. Printed, a report is A4 portrait: the
cooperative's name, the report and its period at the top of every page (a table header the
browser repeats), page numbers at the foot, and the signatures of the ketua, the bendahara and
the pengawas at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

import attrs
from litestar import Response, get
from litestar.params import FromPath

from kopcore import _logins as logins
from kopcore._i18n import format_date, format_money, gettext
from kopcore.errors import KopcoreError
from kopcore.interfaces.web._base import AnyRequest, Web
from kopcore.interfaces.web._forms import FormField, form_fields, raw_input
from kopcore.interfaces.web._show import is_money, money_of, refusal


@attrs.frozen
class Report:
    """A report page: the operation it shows and how its period is said."""

    key: str
    operation: str
    title: str
    #: Input the page always sends (the RAT statements as data, not as a document).
    fixed: Mapping[str, str] = attrs.field(factory=dict)
    #: Fields the form leaves out (the settings' currency is the books').
    hidden: frozenset[str] = frozenset({"currency"})
    signed: bool = True


REPORTS = {r.key: r for r in (
    Report("neraca-saldo", "reports.trial-balance", "Trial balance"),
    Report("posisi-keuangan", "reports.financial-position", "Financial position"),
    Report("hasil-usaha", "reports.operating-results", "Operating results"),
    Report("mutasi", "accounts.statement", "Account statement", signed=False),
    Report("rat", "statements.rat", "Financial statements for the RAT",
           fixed={"format": "json"}, hidden=frozenset({"format"})),
    Report("shu", "shu.show", "SHU per member", fixed={"limit": "500"},
           hidden=frozenset({"after", "limit", "currency"})),
    Report("kesehatan", "health.assess", "Health assessment",
           fixed={"format": "json"}, hidden=frozenset({"format", "currency"})),
)}


def figure(value: Any) -> str:
    """An amount as a report prints it: ``Rp1.500.000,00``, a negative one in parentheses."""
    if not is_money(value):
        return "" if value is None else str(value)
    amount = money_of(value)
    if amount.amount < 0:
        return f"({format_money(-amount)})"
    return format_money(amount)


def _defaults(report: Report, today: date) -> dict[str, str]:
    """What a report's form holds when first opened: a period the report can show at once."""
    if report.operation == "reports.operating-results":
        return {"from_date": today.replace(month=1, day=1).isoformat(),
                "to_date": today.isoformat()}
    if report.operation == "accounts.statement":
        return {"from_date": today.replace(day=1).isoformat(), "to_date": today.isoformat()}
    if report.operation in ("statements.rat", "shu.show"):
        return {"year": str(today.year - 1 if today.month < 4 else today.year)}
    return {}


def _period(report: Report, payload: dict[str, Any], locale: str) -> str:
    def day(text: Any) -> str:
        return format_date(date.fromisoformat(str(text)), locale)

    if "as_of" in payload:
        return gettext("As of {day}", locale, day=day(payload["as_of"]))
    if "from_date" in payload:
        return gettext("{start} to {end}", locale, start=day(payload["from_date"]),
                       end=day(payload["to_date"]))
    if report.operation == "shu.show":
        return gettext("Financial year {year}", locale, year=payload["year"])
    if "year" in payload:
        return gettext("Financial year {year} (compared with {previous})", locale,
                       year=payload["year"], previous=int(payload["year"]) - 1)
    return ""


def reports_handlers(web: Web) -> list[Any]:
    kernel = web.kernel
    web.env.filters["figure"] = figure

    def offices(session: logins.Session) -> tuple[tuple[str, str], ...]:
        if not web.has("offices.list", session.principal):
            return ()
        try:
            found = web.read("offices.list", session.principal)["offices"]
        except KopcoreError:
            return ()
        return tuple((o["code"], f"{o['code']} · {o['name']}") for o in found)

    def fields(report: Report, session: logins.Session, values: dict[str, str], locale: str
               ) -> list[FormField]:
        op = kernel.plugins.operations[report.operation].value
        shown = form_fields(op.input, values, locale, hidden=report.hidden)
        choices = offices(session)
        return [attrs.evolve(f, widget="select", choices=choices)
                if f.name == "office" and choices else f for f in shown]

    def available(session: logins.Session) -> list[Report]:
        return [r for r in REPORTS.values() if r.operation in kernel.plugins.operations
                and web.has(r.operation, session.principal)]

    @get("/reports", sync_to_thread=True)
    def reports_index(request: AnyRequest) -> Response[Any]:
        session = web.signed_in(request)
        if isinstance(session, Response):
            return session
        locale = web.locale(request)
        found = available(session)
        if not found:
            return web.not_allowed(request, session, "Reports")
        return web.render(request, "reports.html", session=session,
                          title=gettext("Reports", locale), reports=found)

    @get("/reports/{key:str}", sync_to_thread=True)
    def report_page(request: AnyRequest, key: FromPath[str]) -> Response[Any]:
        session = web.signed_in(request)
        if isinstance(session, Response):
            return session
        locale = web.locale(request)
        report = REPORTS.get(key)
        if report is None or report.operation not in kernel.plugins.operations:
            return web.not_found(request, session)
        if not web.has(report.operation, session.principal):
            return web.not_allowed(request, session, report.title)
        op = kernel.plugins.operations[report.operation].value
        values = {**_defaults(report, web.business_date(session)),
                  **dict(request.query_params)}
        form = fields(report, session, values, locale)
        payload: dict[str, Any] | None = None
        error = None
        status = 200
        extra: dict[str, Any] = {}
        if all(f.value or not f.required for f in form):
            raw = {**raw_input(op.input, values), **report.fixed}
            try:
                payload = web.read(report.operation, session.principal, **raw)
                extra = _about(web, report, session, payload)
            except KopcoreError as exc:
                error = refusal(exc, locale)
                status = exc.status
        title = gettext(report.title, locale)
        return web.render(
            request, "report.html", session=session, status=status, title=title,
            report=report, fields=form, payload=payload, error=error,
            period=_period(report, payload, locale) if payload else "",
            office=values.get("office") or "",
            today=format_date(web.business_date(session), locale),
            **extra)

    return [reports_index, report_page]


def _about(web: Web, report: Report, session: logins.Session, payload: dict[str, Any]
           ) -> dict[str, Any]:
    """What a report says beside its figures: an account statement names its holder."""
    if report.operation != "accounts.statement":
        return {}
    read: Callable[..., Any] = web.read
    try:
        account = read("accounts.get", session.principal, account=payload["account"])
        member = read("members.get", session.principal, member=account["member_number"]) \
            if account.get("member_number") else None
    except KopcoreError:
        return {}
    return {"account": account, "member": member}
