"""The web app's own pages: login, password, logout, the home page, the generated form and
result of every operation, and the plugins' pages (``kopcore_web_pages``)."""

from __future__ import annotations

import secrets
from typing import Annotated, Any
from urllib.parse import quote

from litestar import Response, get, post
from litestar.datastructures import Cookie
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect

from kopcore import _logins as logins
from kopcore._i18n import gettext
from kopcore.errors import KopcoreError
from kopcore.interfaces._convert import dump
from kopcore.interfaces.web._base import (
    LANGUAGE_COOKIE,
    LOGIN_COOKIE,
    NO_STORE,
    PREFIX,
    SESSION_COOKIE,
    AnyRequest,
    Web,
    may_call,
)
from kopcore.interfaces.web._forms import form_fields, money_fields, raw_input
from kopcore.interfaces.web._show import amount_of, refusal, show

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]


def _next(target: str | None, base: str = PREFIX) -> str:
    """Where to go after logging in: a page of the web app at ``base`` only (never another
    site, nor another cooperative's path)."""
    if target and target.startswith(base + "/") and not target.startswith("//") \
            and "\\" not in target and not target.startswith(base + "/login"):
        return target
    return base + "/"


def _client(request: AnyRequest) -> str:
    """Where a request came from, for the audit trail."""
    return request.client.host if request.client else ""


def page_handlers(web: Web) -> list[Any]:
    """The route handlers of the login and the generated pages."""
    kernel = web.kernel

    def login_page(request: AnyRequest, *, status: int = 200, notice: str = "",
                   error: str = "", target: str | None = None, username: str = ""
                   ) -> Response[Any]:
        """The login form with a fresh token of its own (its CSRF token: the page has no
        session yet), kept in a cookie of the login form's path."""
        token = secrets.token_urlsafe(24)
        cookie = Cookie(key=LOGIN_COOKIE, value=token, path=web.base(request), httponly=True,
                        samesite="strict", secure=request.url.scheme == "https")
        return web.render(request, "login.html", session=None, status=status,
                          login_token=token, next=_next(target, web.base(request)),
                          notice=notice, error=error, username=username, cookies=[cookie])

    @get("/login", sync_to_thread=True)
    def login_form(request: AnyRequest) -> Response[Any]:
        locale = web.locale(request)
        notice = ""
        if request.query_params.get("expired"):
            notice = gettext("Your session has ended. Please log in again.", locale)
        elif request.query_params.get("bye"):
            notice = gettext("You have logged out.", locale)
        return login_page(request, notice=notice, target=request.query_params.get("next"))

    @post("/login", sync_to_thread=True, status_code=200)
    def login(request: AnyRequest, data: Form) -> Response[Any]:
        sent = data.get("login_token", "")
        expected = request.cookies.get(LOGIN_COOKIE, "")
        if not expected or not secrets.compare_digest(sent.encode(), expected.encode()):
            return web.csrf_refused(request, None)
        signed = kernel.db.write(lambda conn: logins.log_in(
            conn, kernel.plugins, data.get("username", ""), data.get("password", ""),
            _client(request)))
        if signed is None:
            return login_page(
                request, status=401, target=data.get("next"), username=data.get("username", ""),
                error=gettext("Wrong username or password, or the login is locked for a "
                              "while after repeated failures.", web.locale(request)))
        token, session = signed
        base = web.base(request)
        target = base + "/code" if session.needs_code else \
            base + "/password" if session.must_change else _next(data.get("next"), base)
        response = Redirect(path=target, status_code=303, headers=NO_STORE,
                            cookies=[web.session_cookie(request, token)])
        response.delete_cookie(LOGIN_COOKIE, path=base)
        return response

    @post("/logout", sync_to_thread=True, status_code=200)
    def logout(request: AnyRequest, data: Form) -> Response[Any]:
        session = web.session(request)
        if session is not None:
            if not logins.csrf_matches(session, data.get("csrf")):
                return web.csrf_refused(request, session)
            everywhere = data.get("everywhere") == "1"
            kernel.db.write(lambda conn: (logins.log_out_everywhere if everywhere
                                          else logins.log_out)(conn, session,
                                                               _client(request)))
        base = web.base(request)
        response = Redirect(path=f"{base}/login?bye=1", status_code=303, headers=NO_STORE)
        response.delete_cookie(SESSION_COOKIE, path=base)
        return response

    @get("/password", sync_to_thread=True)
    def password_form(request: AnyRequest) -> Response[Any]:
        session = web.signed_in(request, step="password")
        if isinstance(session, Response):
            return session
        return web.render(request, "password.html", session=session)

    @post("/password", sync_to_thread=True, status_code=200)
    def change_password(request: AnyRequest, data: Form) -> Response[Any]:
        session = web.form_sent(request, data, step="password")
        if isinstance(session, Response):
            return session
        locale = web.locale(request)
        new = data.get("new_password", "")
        if new != data.get("repeat_password", ""):
            error = gettext("The two new passwords differ.", locale)
        else:
            try:
                kernel.db.write(lambda conn: logins.change_password(
                    conn, session, data.get("current_password", ""), new))
            except KopcoreError as exc:
                error = gettext(exc.detail[:1].upper() + exc.detail[1:] + ".", locale,
                                minimum=logins.MIN_PASSWORD)
            else:
                return web.redirect(request, "/?changed=1")
        return web.render(request, "password.html", session=session, status=400, error=error)

    @get("/code", sync_to_thread=True)
    def code_form(request: AnyRequest) -> Response[Any]:
        session = web.signed_in(request, step="code")
        if isinstance(session, Response):
            return session
        if not session.needs_code:
            return web.redirect(request, "/")
        return web.render(request, "code.html", session=session)

    @post("/code", sync_to_thread=True, status_code=200)
    def code(request: AnyRequest, data: Form) -> Response[Any]:
        session = web.form_sent(request, data, step="code")
        if isinstance(session, Response):
            return session
        try:
            kernel.db.write(lambda conn: logins.complete_login(conn, session,
                                                               data.get("code", ""),
                                                               _client(request)))
        except KopcoreError:
            kernel.db.write(lambda conn: logins.code_refused(conn, session, _client(request)))
            if web.session(request) is None:  # locked: every session ended
                return web.to_login(request, expired=True)
            return web.render(request, "code.html", session=session, status=400,
                              error=gettext("Wrong or already used code.", web.locale(request)))
        return Redirect(path=web.base(request) + ("/password" if session.must_change else "/"),
                        status_code=303, headers=NO_STORE)

    @get("/two-step", sync_to_thread=True)
    def two_step_form(request: AnyRequest) -> Response[Any]:
        session = web.signed_in(request)
        if isinstance(session, Response):
            return session
        return _two_step_page(web, request, session, {})

    @post("/two-step", sync_to_thread=True, status_code=200)
    def two_step(request: AnyRequest, data: Form) -> Response[Any]:
        session = web.form_sent(request, data)
        if isinstance(session, Response):
            return session
        secret = data.get("secret", "")
        try:
            if secret:
                kernel.db.write(lambda conn: logins.enable_totp(conn, session, secret,
                                                                data.get("code", "")))
            else:
                kernel.db.write(lambda conn: logins.disable_totp(conn, session,
                                                                 data.get("code", "")))
        except KopcoreError:
            return _two_step_page(web, request, session, data, error=gettext(
                "Wrong or already used code.", web.locale(request)))
        return web.redirect(request, "/two-step")

    @get("/language/{code:str}", sync_to_thread=True)
    def language(request: AnyRequest, code: FromPath[str]) -> Response[Any]:
        base = web.base(request)
        response = Redirect(path=_next(request.query_params.get("next"), base),
                            status_code=303)
        response.set_cookie(LANGUAGE_COOKIE, code if code in ("id", "en") else "id",
                            path=base, httponly=True, samesite="lax")
        return response

    @get("/", sync_to_thread=True)
    def home(request: AnyRequest) -> Response[Any]:
        session = web.signed_in(request)
        if isinstance(session, Response):
            return session
        locale = web.locale(request)
        panels = []
        for name, page in web.pages.items():
            if page.dashboard and session.principal.can(page.permission) \
                    and not session.principal.member_scoped:
                panels.append((gettext(page.title, locale), f"{web.base(request)}/pages/{name}",
                               _render_page(web, page, session, {}, locale)))
        changed = bool(request.query_params.get("changed"))
        return web.render(request, "home.html", session=session, panels=panels,
                          changed=changed,
                          teller=web.has("members.search", session.principal))

    @get("/pages/{name:str}", sync_to_thread=True)
    def plugin_page(request: AnyRequest, name: FromPath[str]) -> Response[Any]:
        session = web.signed_in(request)
        if isinstance(session, Response):
            return session
        locale = web.locale(request)
        page = web.pages.get(name)
        if page is None:
            return web.not_found(request, session)
        if not session.principal.can(page.permission) or session.principal.member_scoped:
            return web.message(request, session, 403, gettext("Not allowed", locale), gettext(
                "Your role ({role}) may not open this page.", locale,
                role=session.principal.role))
        body = _render_page(web, page, session, dict(request.query_params), locale)
        return web.render(request, "page.html", session=session, title=gettext(page.title,
                                                                                locale),
                          body=body)

    @get("/op/{name:str}", sync_to_thread=True)
    def operation_form(request: AnyRequest, name: FromPath[str]) -> Response[Any]:
        session = web.signed_in(request)
        if isinstance(session, Response):
            return session
        return _operation(web, request, session, name, dict(request.query_params), None)

    @post("/op/{name:str}", sync_to_thread=True, status_code=200)
    def operation_post(request: AnyRequest, name: FromPath[str], data: Form) -> Response[Any]:
        session = web.form_sent(request, data)
        if isinstance(session, Response):
            return session
        return _operation(web, request, session, name, data, data.get("idempotency_key"))

    return [login_form, login, logout, password_form, change_password, code_form, code,
            two_step_form, two_step, language, home,
            plugin_page, operation_form, operation_post]


def _render_page(web: Web, page: Any, session: logins.Session, query: dict[str, str],
                 locale: str) -> Any:
    try:
        result = web.kernel.read(session.principal.username,
                                 lambda ctx: page.render(ctx, query),
                                 operation=f"web:{page.name}", principal=session.principal)
    except KopcoreError as exc:
        return refusal(exc, locale)
    return show(dump(result), locale)


def _operation(web: Web, request: AnyRequest, session: logins.Session, name: str,
               values: dict[str, str], key: str | None) -> Response[Any]:
    """The form of an operation, and its result or refusal when it was run."""
    locale = web.locale(request)
    op = web.operations.get(name)
    if op is None:
        return web.not_found(request, session)
    if not may_call(op, session.principal):
        return web.not_allowed(request, session, op.summary or op.name)
    submitted = key is not None or (not op.mutates and (
        values.get("run") == "1" or all(not f.required for f in form_fields(
            op.input, {}, locale))))
    result = error = document = None
    status = 200
    replayed = False
    if submitted:
        raw = raw_input(op.input, values)
        try:
            outcome = web.run(op, raw, session.principal, key=key)
        except KopcoreError as exc:
            amounts = money_fields(op.input)
            requested = amount_of(values.get(amounts[0]), web.kernel.settings.currency) \
                if amounts else None
            error = refusal(exc, locale, requested=requested)
            status = exc.status
        else:
            replayed = outcome.replayed
            status = outcome.status
            payload = outcome.payload
            if op.document_field and isinstance(payload, dict) and payload.get(op.document_field):
                payload = dict(payload)
                document = _document(op, payload, payload.pop(op.document_field))
            result = show(payload, locale)
            if op.mutates:
                key = None  # done: a new form gets a new key
    return web.render(
        request, "operation.html", session=session, status=status, op=op,
        title=gettext(op.summary or op.name, locale),
        description=gettext(op.description, locale) if op.description else "",
        fields=form_fields(op.input, values, locale), result=result, error=error,
        replayed=replayed, waiting=status == 202, document=document,
        key=key or web.new_key(), money=bool(money_fields(op.input)))


def _document(op: Any, payload: dict[str, Any], content: str) -> dict[str, str]:
    """A result's document: an HTML page shown in the page (and printed from there), text
    (CSV, beancount) shown and offered as a file, a binary file (XLSX, ZIP) offered as a file."""
    name = str(payload.get("filename") or op.name.replace(".", "-"))
    media = str(payload.get("media_type") or "")
    if op.document_base64:
        return {"kind": "file", "name": name,
                "href": f"data:{media or 'application/octet-stream'};base64,{content}"}
    if content.lstrip().startswith("<"):
        return {"kind": "html", "name": name, "html": content}
    return {"kind": "text", "name": name, "text": content,
            "href": "data:text/plain;charset=utf-8," + quote(content)}


def _two_step_page(web: Web, request: AnyRequest, session: logins.Session,
                   values: dict[str, str], *, error: str | None = None) -> Response[Any]:
    """Turning two-step login on (a new secret to put in the authenticator app, then its code)
    or off (the app's code)."""
    enabled = web.kernel.db.read(
        lambda conn: logins.totp_enabled(conn, session.principal.username))
    secret = "" if enabled else (values.get("secret") or logins.new_totp_secret())
    return web.render(
        request, "two_step.html", session=session, status=400 if error else 200,
        enabled=enabled, secret=secret, error=error,
        grouped=" ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
        uri=logins.totp_uri(secret, session.principal.username,
                            web.kernel.settings.cooperative_name) if secret else "")

