"""The teller's counter: find a member, see their accounts and loans on one page, deposit,
withdraw, take an installment or sell a PPOB product, confirm, post, print the slip.

Every step is an operation run for the teller through :func:`kopcore._service.invoke`
(``members.search``, ``members.get``, ``accounts.list``, ``loans.list``, ``savings.deposit``,
``savings.withdraw``, ``loans.repay``, ``ppob.pay``...): the screen composes operations and
never posts by another path. A transaction's form carries an idempotency key from the moment
it is opened, so a double submit or a reload posts once; the confirmation shows the member,
the account and the amount in figures and words before anything is posted.

The teller's cash position and the count of the drawer are in :mod:`._tills`.

The slip of each posted transaction is kept (``web_slips``) as it was when posted; every print
after the first is marked "CETAK ULANG".
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
from litestar import Response, get, post
from litestar.params import FromPath
from sqlalchemy import select, update

from kopcore import _logins as logins
from kopcore._db import tables as t
from kopcore._i18n import amount_in_words, format_money, gettext
from kopcore.errors import KopcoreError, ValidationError, message
from kopcore.interfaces.web._base import AnyRequest, Web
from kopcore.interfaces.web._pages import Form
from kopcore.interfaces.web._show import money_of, refusal
from kopcore.interfaces.web._tills import cash_accounts
from kopcore.money import Money, read_amount

SLIP_SIZES = ("58", "80", "a5")


@attrs.frozen
class Action:
    """A counter transaction: the operation it runs and the input field naming its target."""

    key: str
    operation: str
    title: str
    target_field: str


ACTIONS = {a.key: a for a in (
    Action("setor", "savings.deposit", "Deposit", "account"),
    Action("tarik", "savings.withdraw", "Withdraw", "account"),
    Action("angsuran", "loans.repay", "Installment", "loan"),
    Action("ppob", "ppob.pay", "PPOB payment", "customer_no"),
)}


def teller_handlers(web: Web) -> list[Any]:
    kernel = web.kernel
    currency = kernel.settings.currency

    @get("/teller", sync_to_thread=True)
    def counter(request: AnyRequest) -> Response[Any]:
        session = web.signed_in(request)
        if isinstance(session, Response):
            return session
        query = (request.query_params.get("q") or "").strip()
        members: list[Any] = []
        error = None
        if query:
            try:
                members = web.read("members.search", session.principal, q=query)["items"]
            except KopcoreError as exc:
                if exc.status == 403:
                    return web.refused(request, session, exc)
                error = refusal(exc, web.locale(request))
        template = "teller_results.html" if request.headers.get("hx-request") else "teller.html"
        return web.render(request, template, session=session, query=query, members=members,
                          error=error)

    @get("/teller/member/{number:str}", sync_to_thread=True)
    def member_page(request: AnyRequest, number: FromPath[str]) -> Response[Any]:
        session = web.signed_in(request)
        if isinstance(session, Response):
            return session
        principal = session.principal
        try:
            member = web.read("members.get", principal, member=number)
            accounts = web.read("accounts.list", principal, member=number,
                                limit=500)["items"]
            summaries = web.read("loans.list", principal, member=number, limit=100)["items"] \
                if web.has("loans.list", principal) else []
            # The summary has no arrears or next installment: read each running loan whole.
            loans = [web.read("loans.get", principal, loan=loan["number"])
                     for loan in summaries if loan["status"] == "active"]
        except KopcoreError as exc:
            return web.refused(request, session, exc)
        actions = {key: web.has(action.operation, principal) for key, action in ACTIONS.items()}
        today = web.business_date(session)
        # The statement link shows this month and the last one.
        since = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
        return web.render(request, "teller_member.html", session=session, member=member,
                          statement_from=since.isoformat(), statement_to=today.isoformat(),
                          statements=web.has("accounts.statement", principal),
                          accounts=accounts, loans=loans,
                          actions=actions, money=money_of)

    def products(session: logins.Session) -> list[Any]:
        try:
            found = web.read("ppob.products", session.principal)["products"]
        except KopcoreError:
            return []
        return [p for p in found if p["available"] and not p["postpaid"]]

    def form_page(request: AnyRequest, session: logins.Session, action: Action,
                  values: dict[str, str], *, error: str | None = None, status: int = 200
                  ) -> Response[Any]:
        locale = web.locale(request)
        member_number = values.get("member", "")
        try:
            member = web.read("members.get", session.principal, member=member_number)
        except KopcoreError as exc:
            return web.refused(request, session, exc)
        return web.render(
            request, "teller_form.html", session=session, status=status, action=action,
            title=gettext(action.title, locale), member=member, values=values,
            cash=cash_accounts(web, session),
            products=products(session) if action.key == "ppob" else [],
            key=values.get("idempotency_key") or web.new_key(), error=error)

    def action_of(request: AnyRequest, session: logins.Session | Response[Any], name: str
                  ) -> tuple[logins.Session, Action] | Response[Any]:
        """The counter's action ``name`` for the person, or the refusal to send."""
        if isinstance(session, Response):
            return session
        action = ACTIONS.get(name)
        if action is None or action.operation not in kernel.plugins.operations:
            return web.not_found(request, session)
        if not web.has(action.operation, session.principal):
            return web.not_allowed(request, session, action.title)
        return session, action

    @get("/teller/{name:str}", sync_to_thread=True)
    def transaction_form(request: AnyRequest, name: FromPath[str]) -> Response[Any]:
        begun = action_of(request, web.signed_in(request), name)
        if isinstance(begun, Response):
            return begun
        session, action = begun
        return form_page(request, session, action, dict(request.query_params))

    def amount_of(action: Action, session: logins.Session, values: dict[str, str]) -> Money:
        if action.key == "ppob":
            for product in products(session):
                if product["sku"] == values.get("sku"):
                    return money_of(product["selling_price"])
            raise ValidationError(message("choose a product"), field="sku")
        text = values.get("amount", "")
        if not text.strip():
            raise ValidationError(message("amount is required"), field="amount")
        amount = Money.parse(str(read_amount(text, field="amount")), currency)
        if amount.amount <= 0:
            raise ValidationError(message("the amount must be more than zero"), field="amount")
        return amount

    @post("/teller/{name:str}/confirm", sync_to_thread=True, status_code=200)
    def confirm(request: AnyRequest, name: FromPath[str], data: Form) -> Response[Any]:
        begun = action_of(request, web.form_sent(request, data), name)
        if isinstance(begun, Response):
            return begun
        session, action = begun
        locale = web.locale(request)
        try:
            amount = amount_of(action, session, data)
            member = web.read("members.get", session.principal, member=data.get("member", ""))
        except KopcoreError as exc:
            return form_page(request, session, action, data, error=refusal(exc, locale),
                             status=exc.status)
        return web.render(request, "teller_confirm.html", session=session, action=action,
                          title=gettext(action.title, locale), member=member, values=data,
                          amount=format_money(amount), words=amount_in_words(amount),
                          amount_text=amount.to_str())

    @post("/teller/{name:str}/post", sync_to_thread=True, status_code=200)
    def post_transaction(request: AnyRequest, name: FromPath[str], data: Form) -> Response[Any]:
        begun = action_of(request, web.form_sent(request, data), name)
        if isinstance(begun, Response):
            return begun
        session, action = begun
        locale = web.locale(request)
        key = data.get("idempotency_key", "")
        op = kernel.plugins.operations[action.operation].value
        raw = _raw_input(action, data, key)
        requested = None
        try:
            requested = amount_of(action, session, data)
            outcome = web.run(op, raw, session.principal, key=key)
        except KopcoreError as exc:
            return form_page(request, session, action, data,
                             error=refusal(exc, locale, requested=requested),
                             status=exc.status)
        if outcome.status == 202:
            return web.render(request, "message.html", session=session, status=202,
                              title=gettext("Waiting for approval", locale),
                              text=gettext("The transaction is above the limit a second "
                                           "person must approve; nothing is posted until a "
                                           "manager approves it (request {id}).", locale,
                                           id=outcome.payload.get("approval_id")))
        slip = _slip(web, session, action, data, requested, outcome.payload)
        _keep_slip(web, session.principal.username, key, slip)
        return web.redirect(request, f"/teller/done/{key}")

    @get("/teller/done/{key:str}", sync_to_thread=True)
    def done(request: AnyRequest, key: FromPath[str]) -> Response[Any]:
        session = web.signed_in(request)
        if isinstance(session, Response):
            return session
        slip = _load_slip(web, session.principal.username, key)
        if slip is None:
            return web.not_found(request, session)
        return web.render(request, "teller_done.html", session=session, slip=slip[0], key=key)

    @get("/teller/slip/{key:str}", sync_to_thread=True)
    def slip_page(request: AnyRequest, key: FromPath[str]) -> Response[Any]:
        session = web.signed_in(request)
        if isinstance(session, Response):
            return session
        found = _load_slip(web, session.principal.username, key, printing=True)
        if found is None:
            return web.not_found(request, session)
        size = request.query_params.get("size", "80")
        return web.render(request, "slip.html", session=session, slip=found[0],
                          reprint=found[1] > 0, size=size if size in SLIP_SIZES else "80",
                          key=key)

    return [counter, member_page, done, slip_page, transaction_form, confirm,
            post_transaction]


def _raw_input(action: Action, data: dict[str, str], key: FromPath[str]) -> dict[str, str]:
    """The operation's input from the counter's form."""
    if action.key == "ppob":
        raw = {"ref_id": key, "sku": data.get("sku", ""),
               "customer_no": data.get("customer_no", "").strip()}
        if data.get("cash_account"):
            raw["cash_account"] = data["cash_account"]
        return raw
    raw = {action.target_field: data.get("target", ""), "amount": data.get("amount", "")}
    if data.get("cash_account"):
        raw["cash_account"] = data["cash_account"]
    if action.key in ("setor", "tarik") and data.get("memo"):
        raw["memo"] = data["memo"]
    return raw


def _slip(web: Web, session: logins.Session, action: Action, data: dict[str, str],
          amount: Money | None, payload: Any) -> dict[str, Any]:
    """What the slip shows, read right after posting: the member, the account, the amount in
    figures and words, the entry number and the account's new balance."""
    principal = session.principal
    member = web.read("members.get", principal, member=data.get("member", ""))
    target = data.get("target", "") or data.get("customer_no", "")
    balance = None
    entry = None
    if action.key in ("setor", "tarik"):
        entry = payload.get("entry_id")
        balance = web.read("accounts.get", principal, account=target)["balance"]
    elif action.key == "angsuran":
        entry = (payload.get("entry") or {}).get("entry_id")
        balance = payload["loan"]["outstanding_principal"]
    else:
        entry = payload.get("entry_id")
    now = datetime.now(UTC)
    return {
        "action": action.key, "title": action.title, "member_number": member["member_number"],
        "member_name": member["name"], "target": target,
        "amount": amount.to_str() if amount else "0", "currency": web.kernel.settings.currency,
        "words": amount_in_words(amount) if amount else "",
        "balance": balance, "entry_id": entry, "teller": principal.username,
        "business_date": str(web.business_date()), "at": now.isoformat(),
        "reference": payload.get("ref_id") if isinstance(payload, dict) else None,
        "token": payload.get("token") if isinstance(payload, dict) else None,
        "status": payload.get("status") if isinstance(payload, dict) else None,
    }


def _keep_slip(web: Web, actor: str, key: str, slip: dict[str, Any]) -> None:
    s = t.web_slips.c

    def keep(conn: Any) -> None:
        if conn.execute(select(s.key).where(s.actor == actor, s.key == key)).first() is None:
            conn.execute(t.web_slips.insert().values(actor=actor, key=key,
                                                     content=json.dumps(slip), prints=0,
                                                     created_at=datetime.now(UTC)))

    web.kernel.db.write(keep)


def _load_slip(web: Web, actor: str, key: str, *, printing: bool = False
               ) -> tuple[dict[str, Any], int] | None:
    """A kept slip and how many times it was printed before (counting this print)."""
    s = t.web_slips.c

    def load(conn: Any) -> tuple[dict[str, Any], int] | None:
        row = conn.execute(select(s.content, s.prints).where(s.actor == actor, s.key == key)
                           ).first()
        if row is None:
            return None
        if printing:
            conn.execute(update(t.web_slips).where(s.actor == actor, s.key == key)
                         .values(prints=s.prints + 1))
        return json.loads(row.content), int(row.prints)

    return web.kernel.db.write(load)
