"""What every page of the staff web app shares: templates, the person's session, the language,
the navigation, and running an operation for the person.

A page establishes the :class:`~kopcore._auth.Principal` from the session cookie
(:mod:`kopcore._logins`) and runs operations through :func:`kopcore._service.invoke` with
``interface="web"``: the permission, the records, idempotency, maker-checker approval and the
audit trail are the same steps as on the API and the CLI. The navigation lists the operations
:func:`kopcore._invocation.check_permission` lets the person call — the same check, not a
second list of rules.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

import attrs
from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import MediaType, Request, Response
from litestar.datastructures import Cookie
from litestar.response import Redirect
from sqlalchemy import select

from kopcore import _logins as logins
from kopcore._auth import Principal
from kopcore._db import tables as t
from kopcore._i18n import (
    LOCALES,
    amount_in_words,
    format_date,
    format_decimal_text,
    format_money,
    gettext,
)
from kopcore._invocation import Outcome, check_permission
from kopcore._oversight.scoring import band_words
from kopcore._service import invoke
from kopcore.errors import KopcoreError
from kopcore.interfaces.web._show import money_of, refusal
from kopcore.kernel import Kernel
from kopcore.operations import Operation
from kopcore.records import WebPage

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
PREFIX = "/app"
SESSION_COOKIE = "kopcore_session"
LOGIN_COOKIE = "kopcore_login"
LANGUAGE_COOKIE = "kopcore_lang"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}

AnyRequest = Request[Any, Any, Any]
#: Slips and pages show the time of day in Western Indonesian Time.
WIB = timezone(timedelta(hours=7), "WIB")


def mounted_at(request: AnyRequest, prefix: str) -> str:
    """Where an app mounted at ``prefix`` is for this request: ``prefix`` itself, or behind
    the ASGI ``root_path`` the request came through (``/t/<slug>/app`` when a platform names
    the cooperative by a path prefix). Every link, redirect and cookie path of the web apps is
    made from it."""
    return str(request.scope.get("root_path", "")).rstrip("/") + prefix


def grouped(number: str | None) -> str:
    """A long number grouped by four for reading aloud: ``3201 0161 0792 0003``."""
    text = str(number or "")
    if len(text) < 10 or not text.isdigit():
        return text
    return " ".join(text[i:i + 4] for i in range(0, len(text), 4))


def _wall_clock(moment: str) -> str:
    """``2026-12-07T02:05:00+00:00`` → ``09.05 WIB``."""
    return datetime.fromisoformat(moment).astimezone(WIB).strftime("%H.%M WIB")


@attrs.frozen
class NavItem:
    title: str
    href: str
    mutates: bool


@attrs.frozen
class NavGroup:
    plugin: str
    items: tuple[NavItem, ...]


def on_web(op: Operation) -> bool:
    """An operation a person runs from a form: not a provider's signed callback, and not a
    file upload (``import.run`` takes its file on the CLI)."""
    return op.signature_header is None and op.upload_field is None


def may_call(op: Operation, principal: Principal) -> bool:
    try:
        check_permission(op, principal)
    except KopcoreError:
        return False
    return True


class Web:
    """The web app of one kernel: templates and the helpers its pages share."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        # The templates ship with kopcore: loaded once, not checked on disk for every page.
        self.env = Environment(loader=FileSystemLoader(TEMPLATES),
                               autoescape=select_autoescape(["html"]),
                               trim_blocks=True, lstrip_blocks=True, auto_reload=False)
        self.env.filters["todate"] = lambda text: date.fromisoformat(str(text)[:10])
        self.env.filters["wib"] = _wall_clock
        self.env.filters["grouped"] = grouped
        self.env.globals["money_of"] = money_of
        self.operations: dict[str, Operation] = {
            name: claimed.value for name, claimed in sorted(kernel.plugins.operations.items())
            if on_web(claimed.value)}
        self.pages: dict[str, WebPage] = {
            name: claimed.value for name, claimed in sorted(kernel.plugins.web_pages.items())}
        self.page_plugin = {name: claimed.plugin
                            for name, claimed in kernel.plugins.web_pages.items()}

    # --- language -------------------------------------------------------------------------
    def locale(self, request: AnyRequest) -> str:
        """Indonesian unless the person chose English (the link at the foot of each page)."""
        chosen = request.cookies.get(LANGUAGE_COOKIE)
        return chosen if chosen in LOCALES else "id"

    @staticmethod
    def base(request: AnyRequest) -> str:
        """The staff app's path for this request (see :func:`mounted_at`)."""
        return mounted_at(request, PREFIX)

    def redirect(self, request: AnyRequest, path: str) -> Response[Any]:
        """``303 See Other`` to ``path`` of the staff app (``/teller``...) for this request."""
        return Redirect(path=self.base(request) + path, status_code=303, headers=NO_STORE)

    # --- sessions -------------------------------------------------------------------------
    def session(self, request: AnyRequest) -> logins.Session | None:
        token = request.cookies.get(SESSION_COOKIE)
        if not token:
            return None
        return logins.live_session(self.kernel.db, self.kernel.plugins, token)

    def to_login(self, request: AnyRequest, *, expired: bool) -> Response[Any]:
        target = request.url.path
        if request.url.query:
            target += "?" + request.url.query
        base = self.base(request)
        path = f"{base}/login?next={quote(target)}" + ("&expired=1" if expired else "")
        if request.headers.get("hx-request"):
            return Response("", status_code=200, headers={"HX-Redirect": path, **NO_STORE})
        response = Redirect(path=path, status_code=303, headers=NO_STORE)
        if expired:
            response.delete_cookie(SESSION_COOKIE, path=base)
        return response

    def signed_in(self, request: AnyRequest, *, step: str = "") -> logins.Session | Response[Any]:
        """The person's live session, or the answer to send instead: the login page (the
        session is missing or expired), the authenticator code page (two-step login) or the
        password page (a temporary password). ``step`` names the page asking (``code`` or
        ``password``), which the session may reach before the others."""
        session = self.session(request)
        if session is None:
            return self.to_login(request, expired=SESSION_COOKIE in request.cookies)
        if session.needs_code and step != "code":
            return self.redirect(request, "/code")
        if session.must_change and not session.needs_code and step != "password":
            return self.redirect(request, "/password")
        return session

    def form_sent(self, request: AnyRequest, form: Mapping[str, str], *, step: str = ""
                  ) -> logins.Session | Response[Any]:
        """The session of a submitted form, or the answer to send instead (see
        :meth:`signed_in`), or a refusal when the form's CSRF token is not the session's."""
        session = self.signed_in(request, step=step)
        if isinstance(session, Response) or logins.csrf_matches(session, form.get("csrf")):
            return session
        return self.csrf_refused(request, session)

    def csrf_refused(self, request: AnyRequest, session: logins.Session | None
                     ) -> Response[Any]:
        locale = self.locale(request)
        return self.message(request, session, 403, gettext("Form refused", locale), gettext(
            "This form has expired or did not come from this page. Reload the page and try "
            "again.", locale))

    def not_found(self, request: AnyRequest, session: logins.Session | None) -> Response[Any]:
        locale = self.locale(request)
        return self.message(request, session, 404, gettext("Not found", locale),
                            gettext("There is no such page.", locale))

    def not_allowed(self, request: AnyRequest, session: logins.Session, what: str
                    ) -> Response[Any]:
        """The refusal of a task the person's role may not do (``what``: its title)."""
        locale = self.locale(request)
        return self.message(request, session, 403, gettext("Not allowed", locale), gettext(
            "Your role ({role}) may not do this: {operation}.", locale,
            role=session.principal.role, operation=gettext(what, locale)))

    def staff_may(self, request: AnyRequest, session: logins.Session | Response[Any],
                  operation: str, title: str) -> logins.Session | Response[Any]:
        """The session of a staff member whose role may call ``operation``, else the page to
        show instead: the sign-in or refusal already made, not found when no plugin enabled
        declares the operation, not allowed (``title``) for another role or a member."""
        if isinstance(session, Response):
            return session
        if operation not in self.kernel.plugins.operations:
            return self.not_found(request, session)
        if not self.has(operation, session.principal) or session.principal.member_scoped:
            return self.not_allowed(request, session, title)
        return session

    def session_cookie(self, request: AnyRequest, token: str) -> Cookie:
        return Cookie(key=SESSION_COOKIE, value=token, path=self.base(request), httponly=True,
                      samesite="lax", secure=request.url.scheme == "https")

    @staticmethod
    def new_key() -> str:
        """A form's idempotency key: submitting the same form twice posts once."""
        return "web-" + secrets.token_urlsafe(18)

    # --- running operations ---------------------------------------------------------------
    def run(self, op: Operation, raw: Mapping[str, Any], principal: Principal, *,
            key: str | None = None) -> Outcome:
        """Run ``op`` for the person on the form's text, through the one invocation path."""
        return invoke(self.kernel, op, raw, principal, interface="web",
                      idempotency_key=key if op.mutates and not op.sensitive_output else None,
                      from_text=True)

    def read(self, name: str, principal: Principal, **raw: Any) -> Any:
        """The payload of a read operation (raises KopcoreError when refused)."""
        return self.run(self.kernel.plugins.operations[name].value,
                        {k: str(v) for k, v in raw.items() if v is not None}, principal).payload

    def has(self, name: str, principal: Principal) -> bool:
        claimed = self.kernel.plugins.operations.get(name)
        return claimed is not None and may_call(claimed.value, principal)

    # --- navigation -----------------------------------------------------------------------
    def navigation(self, principal: Principal, locale: str, base: str = PREFIX
                   ) -> list[NavGroup]:
        by_plugin: dict[str, list[NavItem]] = defaultdict(list)
        for name, op in self.operations.items():
            if may_call(op, principal):
                by_plugin[op.plugin].append(NavItem(
                    gettext(op.summary or name, locale), f"{base}/op/{name}", op.mutates))
        for name, page in self.pages.items():
            if principal.can(page.permission) and not principal.member_scoped:
                by_plugin[self.page_plugin[name]].append(
                    NavItem(gettext(page.title, locale), f"{base}/pages/{name}", False))
        return [NavGroup(plugin, tuple(sorted(items, key=lambda i: i.title)))
                for plugin, items in sorted(by_plugin.items())]

    def business_date(self, session: logins.Session | None = None) -> Any:
        """The business date: as read with the request's session, else read now."""
        if session is not None and session.business_date is not None:
            return session.business_date
        return self.kernel.db.read(lambda conn: conn.execute(
            select(t.business_calendar.c.business_date)).scalar())

    # --- pages ----------------------------------------------------------------------------
    def render(self, request: AnyRequest, template: str, *, session: logins.Session | None,
               status: int = 200, cookies: list[Cookie] | None = None, **context: Any
               ) -> Response[Any]:
        locale = self.locale(request)
        base = self.base(request)

        def translate(message: str, **params: Any) -> str:
            return gettext(message, locale, **params)

        principal = session.principal if session is not None else None
        # A page that only reads shows the date read with its session; after a form was sent
        # (which may have closed the day), the date as it is now.
        dated = session if request.method == "GET" else None
        html = self.env.get_template(template).render(
            _=translate, locale=locale, prefix=base, session=session, principal=principal,
            cooperative=self.kernel.settings.cooperative_name,
            nav=self.navigation(session.principal, locale, base) if session is not None
            and not (session.must_change or session.needs_code) else [],
            business_date=format_date(self.business_date(dated), locale)
            if principal is not None else "",
            format_money=format_money, format_date=lambda d: format_date(d, locale),
            number=lambda text: format_decimal_text(str(text), locale),
            band=lambda text: band_words(str(text), locale),
            amount_in_words=amount_in_words, path=request.url.path, **context)
        return Response(html, status_code=status, media_type=MediaType.HTML,
                        headers=NO_STORE, cookies=cookies)

    def message(self, request: AnyRequest, session: logins.Session | None, status: int,
                title: str, text: str) -> Response[Any]:
        """A page that only says something: a refusal, a page not found."""
        return self.render(request, "message.html", session=session, status=status,
                           title=title, text=text)

    def refused(self, request: AnyRequest, session: logins.Session, exc: KopcoreError
                ) -> Response[Any]:
        """The page of an operation's refusal, in the person's language."""
        locale = self.locale(request)
        return self.message(request, session, exc.status, exc.title_in(locale),
                            refusal(exc, locale))
