"""The approvals inbox (persetujuan) for managers: the requests waiting for a second person,
what each would do, and the decision.

Every step is an operation run for the manager through :func:`kopcore._service.invoke`:
``approvals.list`` for the inbox, ``accounts.get``, ``loans.get`` and ``members.get`` to say
whose money a request moves, ``approvals.approve`` and ``approvals.reject`` to decide. The
maker-checker rule is the operation's (the maker of a request cannot decide it); the page only
says so before anyone tries.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs
from litestar import Response, get, post
from litestar.params import FromPath

from kopcore import _logins as logins
from kopcore._i18n import amount_in_words, gettext
from kopcore.errors import KopcoreError
from kopcore.interfaces._convert import load
from kopcore.interfaces.web._base import AnyRequest, Web
from kopcore.interfaces.web._pages import Form
from kopcore.interfaces.web._show import refusal, show
from kopcore.money import Money

STATUSES = ("pending", "approved", "rejected")
DECISIONS = {"approve": "approvals.approve", "reject": "approvals.reject"}


@attrs.frozen
class Request:
    """A waiting (or decided) request as the inbox shows it."""

    approval_id: int
    operation: str
    title: str
    maker: str
    checker: str | None
    status: str
    member: str | None
    account: str | None
    amount: Money | None
    words: str
    details: Any
    result: Any
    own: bool


def inbox_handlers(web: Web) -> list[Any]:
    kernel = web.kernel

    def describe(session: logins.Session, found: dict[str, Any], locale: str) -> Request:
        """What a request would do: its operation, the member and account it touches, the
        amount in figures and words, and the rest of its input."""
        principal = session.principal
        name = str(found["operation"])
        given: dict[str, Any] = dict(found["input"])
        claimed = kernel.plugins.operations.get(name)
        op = claimed.value if claimed is not None else None
        amount = None
        if op is not None and op.approval_amount_field:
            try:
                value = getattr(load(op.input, given), op.approval_amount_field)
            except (KopcoreError, TypeError, ValueError):
                value = None
            if isinstance(value, Decimal):
                amount = Money.parse(str(value), kernel.settings.currency)
        account = given.get("account") or given.get("loan")
        member = given.get("member")
        try:
            if given.get("account") and web.has("accounts.get", principal):
                member = web.read("accounts.get", principal,
                                  account=given["account"])["member_number"] or member
            elif given.get("loan") and web.has("loans.get", principal):
                member = web.read("loans.get", principal, loan=given["loan"])["member_number"]
            if member and web.has("members.get", principal):
                person = web.read("members.get", principal, member=member)
                member = f"{person['member_number']} · {person['name']}"
        except KopcoreError:
            pass  # the request still shows its own input
        title = gettext(op.summary or name, locale) if op is not None else name
        return Request(
            approval_id=int(found["approval_id"]), operation=name, title=title,
            maker=str(found["maker"]), checker=found.get("checker"),
            status=str(found["status"]), member=member, account=account, amount=amount,
            words=amount_in_words(amount) if amount is not None else "",
            details=show({k: v for k, v in given.items() if v is not None}, locale),
            result=show(found["result"], locale) if found.get("result") is not None else None,
            own=found["maker"] == principal.username)

    def inbox(request: AnyRequest, session: logins.Session, *, status: str = "pending",
              done: Request | None = None, error: str | None = None, code: int = 200
              ) -> Response[Any]:
        locale = web.locale(request)
        if not web.has("approvals.list", session.principal):
            return web.not_allowed(request, session, "Approvals")
        try:
            found = web.read("approvals.list", session.principal, status=status)["approvals"]
        except KopcoreError as exc:
            return web.message(request, session, exc.status, gettext(exc.title, locale),
                               refusal(exc, locale))
        requests = [describe(session, item, locale) for item in reversed(found)]
        return web.render(request, "approvals.html", session=session, status=code,
                          title=gettext("Approvals", locale), requests=requests,
                          shown=status, statuses=STATUSES, done=done, error=error,
                          may_decide=web.has("approvals.approve", session.principal),
                          new_key=web.new_key)

    @get("/approvals", sync_to_thread=True)
    def approvals_page(request: AnyRequest) -> Response[Any]:
        session = web.signed_in(request)
        if isinstance(session, Response):
            return session
        status = request.query_params.get("status", "pending")
        return inbox(request, session, status=status if status in STATUSES else "pending")

    @post("/approvals/{approval_id:int}/{decision:str}", sync_to_thread=True, status_code=200)
    def decide(request: AnyRequest, approval_id: FromPath[int], decision: FromPath[str],
               data: Form) -> Response[Any]:
        session = web.form_sent(request, data)
        if isinstance(session, Response):
            return session
        name = DECISIONS.get(decision)
        if name is None:
            return web.not_found(request, session)
        locale = web.locale(request)
        op = kernel.plugins.operations[name].value
        if not web.has(name, session.principal):
            return web.not_allowed(request, session, op.summary or name)
        try:
            outcome = web.run(op, {"approval_id": str(approval_id)}, session.principal,
                              key=data.get("idempotency_key") or None)
        except KopcoreError as exc:
            return inbox(request, session, error=refusal(exc, locale), code=exc.status)
        return inbox(request, session, done=describe(session, outcome.payload, locale))

    return [approvals_page, decide]
