"""The teller's cash position, the count of the drawer at the close of the counter's day, and
the supervisor's view of the day's counts.

``/app/cash`` shows the cash accounts' balances and a worksheet of the pieces of each note and
coin: **Hitung** adds them up against the book balance (nothing is kept), **Simpan hitungan**
records the count through ``offices.count-till`` (with the form's idempotency key, so a double
submit records once). ``/app/cash/counts`` runs ``offices.till-counts``: each count of a
business day with who counted, when, the pieces, the total, the books and the difference.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Response, get, post

from kopcore import _logins as logins
from kopcore._i18n import format_money, gettext
from kopcore._till_counts import DENOMINATIONS
from kopcore.errors import KopcoreError
from kopcore.interfaces.web._base import AnyRequest, Web
from kopcore.interfaces.web._pages import Form
from kopcore.interfaces.web._show import money_of, refusal
from kopcore.money import Money

COUNT = "offices.count-till"
COUNTS = "offices.till-counts"


def cash_accounts(web: Web, session: logins.Session) -> list[Any]:
    """The tellers' cash drawers: internal accounts under the cash GL account (not the GL
    account's own ledger account)."""
    try:
        found = web.read("accounts.list", session.principal, gl_key="cash",
                         limit=100)["items"]
    except KopcoreError:
        return []
    return [a for a in found if a["member_number"] is None
            and not a["number"].startswith("GL-") and a["status"] == "open"]


def till_handlers(web: Web) -> list[Any]:
    @get("/cash", sync_to_thread=True)
    def cash_position(request: AnyRequest) -> Response[Any]:
        session = web.signed_in(request)
        if isinstance(session, Response):
            return session
        return _cash_page(web, request, session, cash_accounts(web, session), {})

    @post("/cash", sync_to_thread=True, status_code=200)
    def cash_count(request: AnyRequest, data: Form) -> Response[Any]:
        session = web.form_sent(request, data)
        if isinstance(session, Response):
            return session
        return _cash_page(web, request, session, cash_accounts(web, session), data)

    @get("/cash/counts", sync_to_thread=True)
    def counts_page(request: AnyRequest) -> Response[Any]:
        session = web.signed_in(request)
        if isinstance(session, Response):
            return session
        locale = web.locale(request)
        title = gettext("Tellers' cash counts", locale)
        if not web.has(COUNTS, session.principal):
            return web.not_allowed(request, session, "Tellers' cash counts")
        chosen = request.query_params.get("business_date") or ""
        error = None
        found: dict[str, Any] = {"counts": [], "business_date": None}
        try:
            if chosen:
                date.fromisoformat(chosen)
            found = web.read(COUNTS, session.principal, business_date=chosen or None)
        except ValueError:
            error = gettext("Choose a date from the calendar.", locale)
        except KopcoreError as exc:
            error = refusal(exc, locale)
        day = date.fromisoformat(found["business_date"]) if found["business_date"] else None
        return web.render(request, "till_counts.html", session=session, title=title,
                          found=found, day=day, chosen=chosen, error=error, money=money_of)

    return [cash_position, cash_count, counts_page]


def _note_format(web: Web) -> Any:
    currency = web.kernel.settings.currency
    return lambda n: format_money(Money.parse(str(n), currency), cents=False)


def _cash_page(web: Web, request: AnyRequest, session: logins.Session, accounts: list[Any],
               counted: dict[str, str]) -> Response[Any]:
    """The teller's cash position (the cash accounts' balances) and, when counted, the closing
    count by denomination against the book balance; recorded when **Simpan hitungan** was
    pressed."""
    locale = web.locale(request)
    currency = web.kernel.settings.currency
    lines = []
    total = 0
    error = None
    for note in DENOMINATIONS:
        text = (counted.get(f"n{note}") or "").strip()
        pieces = 0
        if text:
            if not text.isdigit() or len(text) > 7:
                error = gettext("Count whole pieces (0, 1, 2...) for each denomination.",
                                locale)
            else:
                pieces = int(text)
        lines.append((note, text, Money.parse(str(note * pieces), currency)))
        total += note * pieces
    chosen = counted.get("account") or (accounts[0]["number"] if accounts else "")
    book = next((money_of(a["balance"]) for a in accounts if a["number"] == chosen), None)
    counted_total = Money.parse(str(total), currency)
    saved = None
    replayed = False
    if counted.get("save") and error is None:
        op = web.kernel.plugins.operations[COUNT].value
        raw = {"account": chosen, **{f"pieces_{note}": (counted.get(f"n{note}") or "0").strip()
                                     for note in DENOMINATIONS}}
        if (counted.get("note") or "").strip():
            raw["note"] = counted["note"].strip()
        try:
            outcome = web.run(op, raw, session.principal, key=counted.get("idempotency_key"))
        except KopcoreError as exc:
            error = refusal(exc, locale)
        else:
            saved, replayed = outcome.payload, outcome.replayed
            book = money_of(saved["book_balance"])
    difference = counted_total - book if (counted and book is not None and error is None) \
        else None
    return web.render(request, "cash.html", session=session, accounts=accounts, lines=lines,
                      chosen=chosen, counted=bool(counted), total=counted_total, book=book,
                      difference=difference, error=error, money=money_of, saved=saved,
                      replayed=replayed, note=counted.get("note", ""),
                      may_save=web.has(COUNT, session.principal),
                      may_read=web.has(COUNTS, session.principal),
                      key=web.new_key() if saved or not counted.get("idempotency_key")
                      else counted["idempotency_key"],
                      format_note=_note_format(web))
