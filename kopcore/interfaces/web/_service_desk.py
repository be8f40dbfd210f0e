"""The customer-service desk (layanan anggota): register an applicant with the NIK checked as it
is typed, activate the member once the simpanan pokok is received, open accounts, change contact
details and settle a member's exit after seeing what it would pay or why it would be refused.

Every step is an operation run for the person through :func:`kopcore._service.invoke`
(``members.search``, ``members.register``, ``members.activate``, ``members.update-contact``,
``members.exit``, ``savings.open``, ``accounts.list``, ``loans.list``...): the same permission
checks, idempotency and audit trail as the API and the CLI. The registration and contact forms
are generated from the operations' input classes (:func:`~._forms.form_fields`), so a field a
later version adds to ``members.register`` appears on the page without a change here. The NIK
is checked as it is typed by ``/app/cs/nik`` with the kernel's own rule
(:func:`kopcore.ledger.validate_nik`); the registration itself checks it again and stays the
authority.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import attrs
from litestar import Response, get, post
from litestar.params import FromPath

from kopcore import _logins as logins
from kopcore._i18n import gettext
from kopcore.errors import KopcoreError
from kopcore.interfaces.web._base import AnyRequest, Web
from kopcore.interfaces.web._forms import form_fields, raw_input
from kopcore.interfaces.web._pages import Form
from kopcore.interfaces.web._show import money_of, refusal
from kopcore.interfaces.web._tills import cash_accounts
from kopcore.ledger import validate_nik
from kopcore.money import Money

#: The operation that opens the desk: finding members is where every visit starts.
DESK = "members.search"
#: The savings plugin's figures of an exit, read when it is installed: the wajib arrears it
#: deducts and the pokok and wajib its policy defers, part by part, by the code the exit runs.
SAVINGS_PREVIEW = "savings.exit-preview"


@attrs.frozen
class Opener:
    """An operation opening an account for a member and the operation listing its products:
    ``product_list`` answers ``{list_key: [{code, name, type...}]}``; ``None``: no product
    choice (one kind of account)."""

    operation: str
    title: str
    product_list: str | None = None
    list_key: str = "products"
    #: Products of these types are not opened here (a time deposit is placed with money).
    skip_types: tuple[str, ...] = ()


OPENERS = (
    Opener("savings.open", "Savings", "savings.product-list", "products", ("berjangka",)),
    Opener("sharia.wadiah-open", "Wadiah savings"),
)


@attrs.frozen
class Product:
    """One choice of the account-opening form: ``<operation>|<product code>``."""

    value: str
    title: str


def service_desk_handlers(web: Web) -> list[Any]:
    """The route handlers of the customer-service desk."""
    kernel = web.kernel

    def desk_session(request: AnyRequest, session: logins.Session | Response[Any]
                     ) -> logins.Session | Response[Any]:
        """The person's session if their role may use the desk, else the refusal."""
        if isinstance(session, Response):
            return session
        if not web.has(DESK, session.principal) or session.principal.member_scoped:
            return web.not_allowed(request, session, "Customer service")
        return session

    def products(session: logins.Session) -> list[Product]:
        """What the person may open: each installed opener's products."""
        found: list[Product] = []
        for opener in OPENERS:
            if not web.has(opener.operation, session.principal):
                continue
            if opener.product_list is None:
                found.append(Product(f"{opener.operation}|", opener.title))
                continue
            try:
                listed = web.read(opener.product_list, session.principal)[opener.list_key]
            except KopcoreError:
                continue
            found += [Product(f"{opener.operation}|{p['code']}", f"{p['name']} ({p['code']})")
                      for p in listed if p.get("type") not in opener.skip_types]
        return found

    @get("/cs", sync_to_thread=True)
    def desk(request: AnyRequest) -> Response[Any]:
        session = desk_session(request, web.signed_in(request))
        if isinstance(session, Response):
            return session
        query = (request.query_params.get("q") or "").strip()
        members: list[Any] = []
        error = None
        if query:
            try:
                members = web.read("members.search", session.principal, q=query)["items"]
            except KopcoreError as exc:
                error = refusal(exc, web.locale(request))
        template = "cs_results.html" if request.headers.get("hx-request") else "cs.html"
        return web.render(request, template, session=session, query=query, members=members,
                          error=error,
                          may_register=web.has("members.register", session.principal))

    @get("/cs/nik", sync_to_thread=True)
    def nik_check(request: AnyRequest) -> Response[Any]:
        """The NIK as typed, checked by the kernel's rule: a fragment under the field."""
        session = desk_session(request, web.signed_in(request))
        if isinstance(session, Response):
            return session
        nik = (request.query_params.get("nik") or "").strip()
        locale = web.locale(request)
        problem = None
        if nik:
            try:
                validate_nik(nik)
            except KopcoreError as exc:
                problem = exc.detail_in(locale)
        return web.render(request, "cs_nik.html", session=session, nik=nik, problem=problem)

    def register_page(request: AnyRequest, session: logins.Session, values: dict[str, str],
                      *, error: str | None = None, status: int = 200) -> Response[Any]:
        locale = web.locale(request)
        op = kernel.plugins.operations["members.register"].value
        return web.render(request, "cs_register.html", session=session, status=status,
                          title=gettext("Register an applicant", locale),
                          fields=form_fields(op.input, values, locale), error=error,
                          key=values.get("idempotency_key") or web.new_key())

    @get("/cs/register", sync_to_thread=True)
    def register_form(request: AnyRequest) -> Response[Any]:
        session = desk_session(request, web.signed_in(request))
        if isinstance(session, Response):
            return session
        if not web.has("members.register", session.principal):
            return web.not_allowed(request, session, "Register an applicant")
        return register_page(request, session, dict(request.query_params))

    @post("/cs/register", sync_to_thread=True, status_code=200)
    def register(request: AnyRequest, data: Form) -> Response[Any]:
        session = desk_session(request, web.form_sent(request, data))
        if isinstance(session, Response):
            return session
        op = kernel.plugins.operations["members.register"].value
        try:
            outcome = web.run(op, raw_input(op.input, data), session.principal,
                              key=data.get("idempotency_key"))
        except KopcoreError as exc:
            return register_page(request, session, data, status=exc.status,
                                 error=refusal(exc, web.locale(request)))
        number = outcome.payload["member_number"]
        return web.redirect(request, f"/cs/member/{number}?done=registered")

    def member_page(request: AnyRequest, session: logins.Session, number: str, *,
                    error: str | None = None, status: int = 200,
                    contact: dict[str, str] | None = None) -> Response[Any]:
        principal = session.principal
        locale = web.locale(request)
        try:
            member = web.read("members.get", principal, member=number)
            accounts = web.read("accounts.list", principal, member=number,
                                limit=500)["items"] if web.has("accounts.list", principal) \
                else []
        except KopcoreError as exc:
            return web.refused(request, session, exc)
        update = kernel.plugins.operations.get("members.update-contact")
        contact_fields = form_fields(update.value.input, contact or {
            "phone": member.get("phone") or "", "email": member.get("email") or "",
            "address": member.get("address") or ""}, locale, hidden=frozenset({"member"})) \
            if update is not None and web.has("members.update-contact", principal) else []
        return web.render(
            request, "cs_member.html", session=session, status=status, member=member,
            accounts=accounts, error=error, done=request.query_params.get("done", ""),
            products=products(session) if member["status"] == "active" else [],
            may_activate=web.has("members.activate", principal),
            may_exit=web.has("members.exit", principal),
            contact_fields=contact_fields, key=web.new_key(), money=money_of,
            teller=web.has("savings.deposit", principal),
            statements=web.has("accounts.statement", principal))

    @get("/cs/member/{number:str}", sync_to_thread=True)
    def member(request: AnyRequest, number: FromPath[str]) -> Response[Any]:
        session = desk_session(request, web.signed_in(request))
        if isinstance(session, Response):
            return session
        return member_page(request, session, number)

    def act(request: AnyRequest, data: dict[str, str], number: str, operation: str,
            raw: dict[str, str], done: str) -> Response[Any]:
        """Run one of the member page's tasks; back to the page with its result or refusal."""
        session = desk_session(request, web.form_sent(request, data))
        if isinstance(session, Response):
            return session
        claimed = kernel.plugins.operations.get(operation)
        if claimed is None:
            return web.not_found(request, session)
        if not web.has(operation, session.principal):
            return web.not_allowed(request, session, claimed.value.summary or operation)
        try:
            web.run(claimed.value, raw, session.principal, key=data.get("idempotency_key"))
        except KopcoreError as exc:
            return member_page(request, session, number, status=exc.status,
                               error=refusal(exc, web.locale(request)),
                               contact=data if operation == "members.update-contact" else None)
        return web.redirect(request, f"/cs/member/{number}?done={done}")

    @post("/cs/member/{number:str}/activate", sync_to_thread=True, status_code=200)
    def activate(request: AnyRequest, number: FromPath[str], data: Form) -> Response[Any]:
        return act(request, data, number, "members.activate", {"member": number}, "activated")

    @post("/cs/member/{number:str}/contact", sync_to_thread=True, status_code=200)
    def contact(request: AnyRequest, number: FromPath[str], data: Form) -> Response[Any]:
        op = kernel.plugins.operations["members.update-contact"].value
        raw = raw_input(op.input, {**data, "member": number})
        return act(request, data, number, "members.update-contact", raw, "contact")

    @post("/cs/member/{number:str}/open", sync_to_thread=True, status_code=200)
    def open_account(request: AnyRequest, number: FromPath[str], data: Form) -> Response[Any]:
        operation, _bar, product = data.get("product", "").partition("|")
        if operation not in {o.operation for o in OPENERS}:
            operation = ""  # not an account-opening operation: refused as not found
        raw = {"member": number}
        if product:
            raw["product"] = product
        return act(request, data, number, operation, raw, "opened")

    def exit_page(request: AnyRequest, session: logins.Session, number: str, *,
                  values: dict[str, str], error: str | None = None, status: int = 200
                  ) -> Response[Any]:
        principal = session.principal
        try:
            member = web.read("members.get", principal, member=number)
            accounts = web.read("accounts.list", principal, member=number,
                                limit=500)["items"]
            loans = web.read("loans.list", principal, member=number, limit=100)["items"] \
                if web.has("loans.list", principal) else []
        except KopcoreError as exc:
            return web.refused(request, session, exc)
        savings = None
        if web.has(SAVINGS_PREVIEW, principal):
            try:
                savings = web.read(SAVINGS_PREVIEW, principal, member=number)
            except KopcoreError:
                savings = None
        preview = exit_preview(accounts, loans, kernel.settings.currency, savings)
        return web.render(request, "cs_exit.html", session=session, status=status,
                          member=member, preview=preview, values=values, error=error,
                          cash=cash_accounts(web, session),
                          key=values.get("idempotency_key") or web.new_key())

    @get("/cs/member/{number:str}/exit", sync_to_thread=True)
    def exit_form(request: AnyRequest, number: FromPath[str]) -> Response[Any]:
        session = desk_session(request, web.signed_in(request))
        if isinstance(session, Response):
            return session
        if not web.has("members.exit", session.principal):
            return web.not_allowed(request, session, "Settle a member's exit")
        return exit_page(request, session, number, values=dict(request.query_params))

    @post("/cs/member/{number:str}/exit", sync_to_thread=True, status_code=200)
    def exit_member(request: AnyRequest, number: FromPath[str], data: Form) -> Response[Any]:
        session = desk_session(request, web.form_sent(request, data))
        if isinstance(session, Response):
            return session
        op = kernel.plugins.operations["members.exit"].value
        if not web.has(op.name, session.principal):
            return web.not_allowed(request, session, op.summary or op.name)
        raw = raw_input(op.input, {**data, "member": number})
        try:
            web.run(op, raw, session.principal, key=data.get("idempotency_key"))
        except KopcoreError as exc:
            return exit_page(request, session, number, values=data, status=exc.status,
                             error=refusal(exc, web.locale(request)))
        return web.redirect(request, f"/cs/member/{number}?done=left")

    return [desk, nik_check, register_form, register, member, activate, contact,
            open_account, exit_form, exit_member]


@attrs.frozen
class DeferredPart:
    """A part of the refund the savings policy defers: due on ``due_on``, or once the RAT
    approving the accounts of ``after_rat_of`` has been held."""

    installment: int
    installments: int
    due_on: date | None
    after_rat_of: int | None
    amount: Money


@attrs.frozen
class ExitPreview:
    """What an exit would do, read before it is asked for: the balances the plugins would
    refund (every open account of the member with money in it), the loans still running
    (they refuse the exit, unless their product nets them against the refund) and the
    applications the exit would cancel. The exit itself (``members.exit``) is the authority:
    a plugin may refuse (a loan the member guarantees) or net what this shows."""

    refunds: list[dict[str, Any]]
    total: Money
    blockers: list[dict[str, Any]]
    cancelled: list[dict[str, Any]]
    #: Simpanan wajib in arrears, deducted from the refund (as far as it goes).
    deducted: Money
    #: What the member receives with the exit: the balances less the arrears deducted and the
    #: refund deferred.
    paid: Money
    #: The pokok and wajib the savings policy defers (installments, or after the RAT).
    deferred: Money
    parts: list[DeferredPart]


def exit_preview(accounts: list[dict[str, Any]], loans: list[dict[str, Any]],
                 currency: str, savings: dict[str, Any] | None = None) -> ExitPreview:
    """The balances an exit would pay out, less what the savings plugin's own preview
    (``savings.exit-preview``: ``deducted``, ``deferred`` and its ``parts``) deducts and defers,
    never below nothing; and the loans that would refuse it."""
    total = Money.zero(currency)
    refunds = []
    for account in accounts:
        if account["status"] == "closed" or account.get("plugin") == "loans":
            continue
        balance = money_of(account["balance"])
        if balance.amount != 0:
            refunds.append(account)
            total = total + balance
    blockers = [loan for loan in loans if loan["status"] == "active"]
    cancelled = [loan for loan in loans if loan["status"] in ("applied", "approved")]
    deducted = deferred = Money.zero(currency)
    parts: list[DeferredPart] = []
    if savings is not None:
        deducted = _at_most(money_of(savings["deducted"]), total)
        deferred = _at_most(money_of(savings["deferred"]), total - deducted)
        parts = [DeferredPart(int(p["installment"]), int(p["installments"]),
                              date.fromisoformat(p["due_on"]) if p["due_on"] else None,
                              p["after_rat_of"], money_of(p["amount"]))
                 for p in savings["parts"]]
    return ExitPreview(refunds, total, blockers, cancelled, deducted,
                       total - deducted - deferred, deferred, parts)


def _at_most(amount: Money, most: Money) -> Money:
    """``amount``, neither below nothing nor above ``most``."""
    if amount.amount <= 0:
        return Money.zero(most.currency)
    return amount if amount.amount <= most.amount else most
