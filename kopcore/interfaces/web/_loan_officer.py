"""The loan officer's desk (bagian kredit): an application with its schedule simulated before it
is saved, collateral (agunan) and guarantors (penjamin) recorded on it, the managers' queue of
applications to decide with what each would do, the disbursement into the member's savings and
a printable agreement summary with the schedule.

Every step is an operation of the loans plugin run for the person through
:func:`kopcore._service.invoke` (``loans.simulate``, ``loans.apply``, ``loans.add-collateral``,
``loans.add-guarantor``, ``loans.approve``, ``loans.reject``, ``loans.disburse``, ``loans.get``,
``loans.schedule``, ``loans.list``, ``loans.product-list``): the same permissions (a teller
enters and disburses, a manager decides; the person who entered an application never decides
it — the operation's own rule), idempotency and audit trail as the API and the CLI. The forms
are generated from the operations' input classes.
"""

from __future__ import annotations

from typing import Any

import attrs
from litestar import Response, get, post
from litestar.params import FromPath

from kopcore import _logins as logins
from kopcore._i18n import gettext
from kopcore.errors import KopcoreError
from kopcore.interfaces.web._base import AnyRequest, Web
from kopcore.interfaces.web._forms import FormField, form_fields, raw_input
from kopcore.interfaces.web._pages import Form
from kopcore.interfaces.web._show import money_of, refusal
from kopcore.money import Money

#: The operation that opens the desk.
DESK = "loans.apply"
#: The tasks on a loan's page: the operation each runs and where it leads.
TASKS = {
    "collateral": "loans.add-collateral",
    "guarantor": "loans.add-guarantor",
    "disburse": "loans.disburse",
    "approve": "loans.approve",
    "reject": "loans.reject",
}
#: What the loan page links to on the operations' own forms: the officer's judgement (KSP
#: kolektibilitas) and a held collateral's reappraisal, release and the documents' return.
QUALITY_TASKS = {
    "judge": "loans.judge",
    "revalue": "loans.revalue-collateral",
    "release": "loans.release-collateral",
    "return": "loans.return-collateral",
}
#: A loan's statuses in which collateral and guarantors may still be recorded.
RECORDABLE = ("applied", "approved", "active")


@attrs.frozen
class Application:
    """An application in the managers' queue with what approving it would do."""

    loan: dict[str, Any]
    schedule: dict[str, Any] | None
    fees: Money
    net: Money
    fees_deducted: bool
    cover: Money


def loan_officer_handlers(web: Web) -> list[Any]:
    """The route handlers of the loan officer's desk and the managers' queue."""
    kernel = web.kernel

    allowed = web.staff_may

    def products(session: logins.Session) -> list[dict[str, Any]]:
        try:
            found = web.read("loans.product-list", session.principal)["items"]
        except KopcoreError:
            return []
        return [p for p in found if p["active"]]

    def loans_of(session: logins.Session, status: str) -> list[dict[str, Any]]:
        return list(web.read("loans.list", session.principal, status=status,
                             limit=200)["items"])

    @get("/loans", sync_to_thread=True)
    def desk(request: AnyRequest) -> Response[Any]:
        session = allowed(request, web.signed_in(request), DESK, "Loan desk")
        if isinstance(session, Response):
            return session
        query = (request.query_params.get("q") or "").strip()
        members: list[Any] = []
        error = None
        try:
            if query:
                members = web.read("members.search", session.principal, q=query)["items"]
            applied = loans_of(session, "applied")
            approved = loans_of(session, "approved")
        except KopcoreError as exc:
            error = refusal(exc, web.locale(request))
            applied = approved = []
        return web.render(request, "loans_desk.html", session=session, query=query,
                          members=members, error=error, applied=applied, approved=approved,
                          may_decide=web.has("loans.approve", session.principal),
                          money=money_of)

    def application_page(request: AnyRequest, session: logins.Session,
                         values: dict[str, str], *, schedule: Any = None,
                         error: str | None = None, status: int = 200) -> Response[Any]:
        locale = web.locale(request)
        member = None
        if values.get("member"):
            try:
                member = web.read("members.get", session.principal, member=values["member"])
            except KopcoreError as exc:
                error, status = refusal(exc, locale), exc.status
        op = kernel.plugins.operations["loans.apply"].value
        offered = products(session)
        fields = [_product_choice(f, offered) if f.name == "product" else f
                  for f in form_fields(op.input, values, locale,
                                       hidden=frozenset({"member"}) if member else frozenset())]
        return web.render(request, "loans_apply.html", session=session, status=status,
                          title=gettext("Loan application", locale), member=member,
                          fields=fields, values=values, schedule=schedule, error=error,
                          products={p["code"]: p for p in offered},
                          key=values.get("idempotency_key") or web.new_key(), money=money_of)

    @get("/loans/apply", sync_to_thread=True)
    def application_form(request: AnyRequest) -> Response[Any]:
        session = allowed(request, web.signed_in(request), DESK, "Loan application")
        if isinstance(session, Response):
            return session
        return application_page(request, session, dict(request.query_params))

    @post("/loans/apply", sync_to_thread=True, status_code=200)
    def application(request: AnyRequest, data: Form) -> Response[Any]:
        session = allowed(request, web.form_sent(request, data), DESK, "Loan application")
        if isinstance(session, Response):
            return session
        locale = web.locale(request)
        simulate = kernel.plugins.operations["loans.simulate"].value
        try:
            # The schedule is shown before anything is saved, and again with the application.
            schedule = web.run(simulate, raw_input(simulate.input, data),
                               session.principal).payload
        except KopcoreError as exc:
            return application_page(request, session, data, status=exc.status,
                                    error=refusal(exc, locale))
        if data.get("step") != "apply":
            return application_page(request, session, data, schedule=schedule)
        op = kernel.plugins.operations["loans.apply"].value
        try:
            loan = web.run(op, raw_input(op.input, data), session.principal,
                           key=data.get("idempotency_key")).payload
        except KopcoreError as exc:
            return application_page(request, session, data, schedule=schedule,
                                    status=exc.status, error=refusal(exc, locale))
        return web.redirect(request, f"/loans/loan/{loan['number']}?done=applied")

    def schedule_of(session: logins.Session, loan: dict[str, Any]) -> dict[str, Any] | None:
        """The loan's schedule: its own once disbursed, else simulated on its product."""
        if loan["status"] in ("active", "closed", "written_off"):
            return dict(web.read("loans.schedule", session.principal, loan=loan["number"]))
        try:
            return dict(web.read("loans.simulate", session.principal, product=loan["product"],
                                 amount=money_of(loan["principal"]).to_str(),
                                 term=loan["term"]))
        except KopcoreError:
            return None

    def loan_page(request: AnyRequest, session: logins.Session, number: str, *,
                  error: str | None = None, status: int = 200,
                  values: dict[str, str] | None = None, failed: str = "") -> Response[Any]:
        principal = session.principal
        locale = web.locale(request)
        try:
            loan = web.read("loans.get", principal, loan=number)
        except KopcoreError as exc:
            return web.refused(request, session, exc)
        schedule = schedule_of(session, loan)
        hidden = frozenset({"loan"})
        forms: dict[str, list[FormField]] = {}
        for task, operation in TASKS.items():
            claimed = kernel.plugins.operations.get(operation)
            if claimed is None or not web.has(operation, principal):
                continue
            if task in ("collateral", "guarantor") and loan["status"] not in RECORDABLE:
                continue
            if task in ("approve", "reject") and loan["status"] != "applied":
                continue
            if task == "disburse" and loan["status"] != "approved":
                continue
            forms[task] = form_fields(claimed.value.input,
                                      values if values is not None and failed == task else {},
                                      locale, hidden=hidden)
        actions = {task: operation in kernel.plugins.operations and web.has(operation, principal)
                   for task, operation in QUALITY_TASKS.items()}
        return web.render(request, "loans_loan.html", session=session, status=status,
                          loan=loan, schedule=schedule, forms=forms, error=error, actions=actions,
                          failed=failed, done=request.query_params.get("done", ""),
                          own=loan["applied_by"] == principal.username,
                          key=web.new_key(), money=money_of)

    @get("/loans/loan/{number:str}", sync_to_thread=True)
    def loan(request: AnyRequest, number: FromPath[str]) -> Response[Any]:
        session = allowed(request, web.signed_in(request), "loans.get", "Show a loan")
        if isinstance(session, Response):
            return session
        return loan_page(request, session, number)

    @post("/loans/loan/{number:str}/{task:str}", sync_to_thread=True, status_code=200)
    def loan_task(request: AnyRequest, number: FromPath[str], task: FromPath[str],
                  data: Form) -> Response[Any]:
        operation = TASKS.get(task, "")
        session = allowed(request, web.form_sent(request, data), operation,
                          kernel.plugins.operations[operation].value.summary
                          if operation in kernel.plugins.operations else task)
        if isinstance(session, Response):
            return session
        op = kernel.plugins.operations[operation].value
        try:
            web.run(op, raw_input(op.input, {**data, "loan": number}), session.principal,
                    key=data.get("idempotency_key"))
        except KopcoreError as exc:
            error = refusal(exc, web.locale(request))
            if data.get("back") == "queue":
                return queue_page(request, session, error=error, status=exc.status)
            return loan_page(request, session, number, error=error, status=exc.status,
                             values=data, failed=task)
        if data.get("back") == "queue":
            return web.redirect(request, f"/loans/queue?done={task}&loan={number}")
        return web.redirect(request, f"/loans/loan/{number}?done={task}")

    def queue_page(request: AnyRequest, session: logins.Session, *, error: str | None = None,
                   status: int = 200) -> Response[Any]:
        principal = session.principal
        try:
            waiting = [web.read("loans.get", principal, loan=x["number"])
                       for x in loans_of(session, "applied")]
        except KopcoreError as exc:
            return web.refused(request, session, exc)
        terms = {p["code"]: p for p in products(session)}
        items = [_application(x, schedule_of(session, x), terms.get(x["product"]))
                 for x in waiting]
        return web.render(request, "loans_queue.html", session=session, status=status,
                          items=items, error=error, key=web.new_key(),
                          done=request.query_params.get("done", ""),
                          decided=request.query_params.get("loan", ""), money=money_of)

    @get("/loans/queue", sync_to_thread=True)
    def queue(request: AnyRequest) -> Response[Any]:
        session = allowed(request, web.signed_in(request), "loans.approve",
                          "Approve an application")
        if isinstance(session, Response):
            return session
        return queue_page(request, session)

    @get("/loans/loan/{number:str}/print", sync_to_thread=True)
    def agreement(request: AnyRequest, number: FromPath[str]) -> Response[Any]:
        session = allowed(request, web.signed_in(request), "loans.get", "Show a loan")
        if isinstance(session, Response):
            return session
        try:
            loan = web.read("loans.get", session.principal, loan=number)
        except KopcoreError as exc:
            return web.refused(request, session, exc)
        terms = {p["code"]: p for p in products(session)}
        return web.render(request, "loans_print.html", session=session, loan=loan,
                          schedule=schedule_of(session, loan),
                          application=_application(loan, None, terms.get(loan["product"])),
                          money=money_of)

    return [desk, application_form, application, queue, loan, agreement, loan_task]


def _product_choice(field: FormField, offered: list[dict[str, Any]]) -> FormField:
    """The product field as a choice of the products on offer, with their terms."""
    choices = tuple((p["code"], f"{p['name']} ({p['code']})") for p in offered)
    return attrs.evolve(field, widget="select", choices=choices)


def _application(loan: dict[str, Any], schedule: dict[str, Any] | None,
                 product: dict[str, Any] | None) -> Application:
    """What approving and disbursing ``loan`` would do: the fees, what the member receives and
    the collateral's cover."""
    principal = money_of(loan["principal"])
    fees = money_of(loan["provisi_fee"]) + money_of(loan["admin_fee"])
    deducted = bool(product and product.get("fees_deducted"))
    cover = Money.zero(principal.currency)
    for held in loan["collateral"]:
        if held["status"] == "held":
            cover = cover + money_of(held["cover"])
    return Application(loan, schedule, fees, principal - fees if deducted else principal,
                       deducted, cover)
