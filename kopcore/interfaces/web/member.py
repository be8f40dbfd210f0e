"""The member app at ``/anggota``: a member's savings, loans and payments on their phone.

Indonesian only, made for a small phone (390x844) on a slow connection: server-rendered pages
from the staff app's template environment, one stylesheet, no script needed for any task, and
nothing from the internet. It installs as a PWA (``manifest.webmanifest``, ``sw.js``) whose
service worker keeps the app shell for offline use, never a page with balances.

A member signs in with their member number or phone, a one-time code sent through the
cooperative's notification channel and a PIN (:mod:`kopcore._member_logins`). Every page then
runs the kernel's operations as the member's ``member`` principal through
:func:`kopcore._service.invoke` (``accounts.list``, ``accounts.statement``, ``loans.list``,
``loans.get``, ``savings.recipient``, ``savings.transfer``, ``loans.repay-own``), so the app has
exactly the API's authorisation: a member sees and moves only their own money. Every money form
carries an idempotency key and is confirmed with the PIN.

docs/member-app.md describes it for members, operators and plugin vendors.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any, NamedTuple

from litestar import MediaType, Response, get, post
from litestar.datastructures import Cookie
from litestar.params import FromPath
from litestar.response import Redirect
from litestar.static_files import create_static_files_router

from kopcore import _member_logins as ml
from kopcore._i18n import amount_in_words, format_date, format_money
from kopcore._notify import channel
from kopcore.errors import KopcoreError, TooManyRequests, ValidationError, message
from kopcore.interfaces._shared import AppRouter
from kopcore.interfaces.web._base import NO_STORE, STATIC, AnyRequest, Web, grouped, mounted_at
from kopcore.interfaces.web._pages import Form
from kopcore.interfaces.web._show import money_of, refusal
from kopcore.interfaces.web._statement_pdf import statement_pdf as pdf_statement
from kopcore.kernel import Kernel
from kopcore.money import Money, read_amount

MEMBER_PREFIX = "/anggota"
MEMBER_COOKIE = "kopcore_anggota"
START_COOKIE = "kopcore_anggota_masuk"
LOCALE = "id"
#: Account plugins whose accounts the home page lists as the member's money.
LOAN_PLUGINS = ("loans",)
#: The product type of the accounts a member pays from (simpanan sukarela).
SUKARELA = "savings.sukarela"
HERE = Path(__file__).parent
#: What the service worker keeps for offline use (static/member-sw.js lists the same).
SHELL = (f"{MEMBER_PREFIX}/offline", f"{MEMBER_PREFIX}/static/member.css",
         f"{MEMBER_PREFIX}/static/member.js", f"{MEMBER_PREFIX}/static/icon.svg",
         f"{MEMBER_PREFIX}/manifest.webmanifest")


class MemberApp:
    """The member app of one kernel: the staff app's template environment and invocation
    helpers (:class:`~kopcore.interfaces.web._base.Web`), with the member's sessions."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self.web = Web(kernel)

    @staticmethod
    def base(request: AnyRequest) -> str:
        """The member app's path for this request (``/anggota``, or ``/t/<slug>/anggota``
        under a platform's path prefix)."""
        return mounted_at(request, MEMBER_PREFIX)

    def render(self, request: AnyRequest, template: str, *, session: ml.MemberSession | None,
               status: int = 200, cookies: list[Cookie] | None = None, **context: Any
               ) -> Response[Any]:
        html = self.web.env.get_template(f"anggota/{template}").render(
            prefix=self.base(request), session=session, path=request.url.path,
            cooperative=self.kernel.settings.cooperative_name, format_money=format_money,
            format_date=lambda d: format_date(d, LOCALE), money_of=money_of,
            amount_in_words=amount_in_words, grouped=grouped, **context)
        return Response(html, status_code=status, media_type=MediaType.HTML,
                        headers=NO_STORE, cookies=cookies)

    def session(self, request: AnyRequest) -> ml.MemberSession | None:
        token = request.cookies.get(MEMBER_COOKIE)
        if not token:
            return None
        return ml.live_session(self.kernel.db, self.kernel.plugins, token)

    def to_start(self, request: AnyRequest, notice: str = "") -> Response[Any]:
        base = self.base(request)
        response = Redirect(path=f"{base}/masuk" + (f"?info={notice}" if notice else ""),
                            status_code=303, headers=NO_STORE)
        response.delete_cookie(MEMBER_COOKIE, path=base)
        return response

    def at_stage(self, request: AnyRequest, stage: str) -> ml.MemberSession | Response[Any]:
        """The session when it is at ``stage``, else where it belongs."""
        session = self.session(request)
        if session is None:
            return self.to_start(request, "habis" if MEMBER_COOKIE in request.cookies else "")
        if session.stage != stage:
            return Redirect(path=_stage_path(self.base(request), session.stage),
                            status_code=303, headers=NO_STORE)
        return session

    def stage_page(self, request: AnyRequest, stage: str, template: str) -> Response[Any]:
        """The form of a login's stage (the code, a new PIN, the PIN)."""
        session = self.at_stage(request, stage)
        if isinstance(session, Response):
            return session
        return self.render(request, template, session=session)

    def form_at(self, request: AnyRequest, data: dict[str, str], stage: str
                ) -> ml.MemberSession | Response[Any]:
        session = self.at_stage(request, stage)
        if isinstance(session, ml.MemberSession) and not ml.csrf_matches(session,
                                                                         data.get("csrf")):
            return self.render(request, "pesan.html", session=session, status=403,
                               title="Formulir ditolak",
                               text="Formulir ini sudah kedaluwarsa. Muat ulang halaman dan "
                                    "coba lagi.")
        return session

    def read(self, name: str, session: ml.MemberSession, **raw: Any) -> Any:
        assert session.principal is not None
        return self.web.read(name, session.principal, **raw)

    def has(self, name: str, session: ml.MemberSession) -> bool:
        return session.principal is not None and self.web.has(name, session.principal)


#: What a member is told of a refusal whose detail the kernel writes in English: the sentence
#: in Indonesian, without the figures (the staff app shows those).
_SAID = {
    "not-found": "Data tidak ditemukan. Periksa nomor yang Anda ketik.",
    "forbidden": "Anda hanya dapat melihat dan memakai rekening dan pinjaman Anda sendiri.",
}


def said(exc: KopcoreError, *, requested: Money | None = None) -> str:
    """A refusal in Indonesian: the staff app's sentence where it has one (insufficient
    funds with the figures, a field missing or unclear), else the refusal's title and what to
    do, never an English detail."""
    sentence = refusal(exc, LOCALE, requested=requested)
    if exc.code in _SAID:
        return _SAID[exc.code]
    if exc.detail and exc.detail in sentence and not sentence.startswith(exc.detail):
        # The sentence ends with the kernel's English detail: say the title and what to do.
        title = sentence[:sentence.index(". ") + 1] if ". " in sentence else sentence
        return f"{title} Periksa isian Anda, atau hubungi kantor koperasi."
    return sentence


def _stage_path(base: str, stage: str) -> str:
    return base + {ml.CODE: "/kode", ml.NEW_PIN: "/pin-baru", ml.PIN: "/pin"}.get(
        stage, "/")


def _amount(text: str, currency: str) -> Money:
    if not (text or "").strip():
        raise ValidationError(message("amount is required"), field="amount")
    amount = Money.parse(str(read_amount(text, field="amount")), currency)
    if amount.amount <= 0:
        raise ValidationError(message("the amount must be more than zero"), field="amount")
    return amount


def member_router(kernel: Kernel) -> AppRouter:
    """The member app's routes for a started kernel, mounted at ``/anggota``."""
    app = MemberApp(kernel)
    # The channel the settings name must be loaded: refused at start-up, not at a login.
    channel(kernel.plugins, kernel.settings.notification_channel)
    static = create_static_files_router(path="/static", directories=[STATIC],
                                        include_in_schema=False, cache_control=None)
    # Imported here: the module builds on this one's MemberApp and helpers.
    from kopcore.interfaces.web._member_loans import loan_application_handlers

    return AppRouter(path=MEMBER_PREFIX, route_handlers=[
        *_login_handlers(app), *_home_handlers(app), *_pay_handlers(app),
        *loan_application_handlers(app),
        *_pwa_handlers(app), static], include_in_schema=False)


# --- signing in -------------------------------------------------------------------------------


def _login_handlers(app: MemberApp) -> list[Any]:
    kernel = app.kernel

    def start_page(request: AnyRequest, *, status: int = 200, error: str = "",
                   notice: str = "") -> Response[Any]:
        token = secrets.token_urlsafe(24)
        cookie = Cookie(key=START_COOKIE, value=token, path=app.base(request), httponly=True,
                        samesite="strict", secure=request.url.scheme == "https")
        return app.render(request, "masuk.html", session=None, status=status,
                          start_token=token, error=error, notice=notice, cookies=[cookie])

    @get("/masuk", sync_to_thread=True)
    def start_form(request: AnyRequest) -> Response[Any]:
        notice = {"habis": "Sesi Anda sudah berakhir. Silakan masuk lagi.",
                  "keluar": "Anda sudah keluar.",
                  "terkunci": "PIN Anda diblokir karena salah berulang kali. Masuk lagi "
                              "dengan kode baru, lalu buat PIN baru.",
                  "kode": "Kode tidak berlaku lagi. Minta kode baru."}.get(
            request.query_params.get("info", ""), "")
        return start_page(request, notice=notice)

    @post("/masuk", sync_to_thread=True, status_code=200)
    def start(request: AnyRequest, data: Form) -> Response[Any]:
        sent, expected = data.get("start_token", ""), request.cookies.get(START_COOKIE, "")
        if not expected or not secrets.compare_digest(sent.encode(), expected.encode()):
            return start_page(request, status=403,
                              error="Formulir sudah kedaluwarsa. Silakan coba lagi.")
        identifier = data.get("identitas", "").strip()
        if not identifier:
            return start_page(request, status=400,
                              error="Isi nomor anggota atau nomor HP Anda.")
        client = request.client.host if request.client else ""
        try:
            token, message = kernel.write("member-app", lambda ctx: ml.begin(
                ctx, identifier, request.headers.get("user-agent", ""), client),
                operation="member-app")
        except TooManyRequests as exc:
            said = exc.detail_in(LOCALE)
            response = start_page(request, status=429, error=said[:1].upper() + said[1:] + ".")
            response.headers["Retry-After"] = str(exc.extra.get("retry_after", 60))
            return response
        if message is not None and not ml.deliver(kernel, message):
            kernel.db.write(lambda conn: ml.withdraw_request(conn, identifier, client))
            return start_page(request, status=503, error="Kode belum dapat dikirim. Coba "
                              "lagi sebentar lagi atau hubungi kantor koperasi.")
        response = Redirect(path=f"{app.base(request)}/kode", status_code=303,
                            headers=NO_STORE, cookies=[_session_cookie(request, token)])
        response.delete_cookie(START_COOKIE, path=app.base(request))
        return response

    @get("/kode", sync_to_thread=True)
    def code_form(request: AnyRequest) -> Response[Any]:
        return app.stage_page(request, ml.CODE, "kode.html")

    @post("/kode", sync_to_thread=True, status_code=200)
    def code(request: AnyRequest, data: Form) -> Response[Any]:
        session = app.form_at(request, data, ml.CODE)
        if isinstance(session, Response):
            return session
        result = kernel.db.write(lambda conn: ml.check_code(conn, session,
                                                            data.get("kode", "")))
        if result == "void":
            return app.to_start(request, "kode")
        if result == "wrong":
            return app.render(request, "kode.html", session=session, status=400,
                              error="Kode salah. Periksa pesan terakhir dari koperasi.")
        after = app.session(request)
        return Redirect(path=_stage_path(app.base(request), after.stage if after else ml.CODE),
                        status_code=303, headers=NO_STORE)

    @get("/pin-baru", sync_to_thread=True)
    def new_pin_form(request: AnyRequest) -> Response[Any]:
        return app.stage_page(request, ml.NEW_PIN, "pin_baru.html")

    @post("/pin-baru", sync_to_thread=True, status_code=200)
    def new_pin(request: AnyRequest, data: Form) -> Response[Any]:
        session = app.form_at(request, data, ml.NEW_PIN)
        if isinstance(session, Response):
            return session
        pin = data.get("pin", "")
        error = ""
        if pin != data.get("ulang", ""):
            error = "Kedua PIN berbeda. Ketik PIN yang sama dua kali."
        else:
            try:
                kernel.db.write(lambda conn: ml.set_pin(conn, session, pin))
            except KopcoreError:
                error = (f"PIN harus {ml.PIN_DIGITS} angka, bukan satu angka berulang "
                         "(111111) atau berurutan (123456).")
        if error:
            return app.render(request, "pin_baru.html", session=session, status=400,
                              error=error)
        return Redirect(path=f"{app.base(request)}/?pin=1", status_code=303, headers=NO_STORE)

    @get("/pin", sync_to_thread=True)
    def pin_form(request: AnyRequest) -> Response[Any]:
        return app.stage_page(request, ml.PIN, "pin.html")

    @post("/pin", sync_to_thread=True, status_code=200)
    def pin(request: AnyRequest, data: Form) -> Response[Any]:
        session = app.form_at(request, data, ml.PIN)
        if isinstance(session, Response):
            return session
        result = kernel.db.write(lambda conn: ml.check_pin(conn, session, data.get("pin", "")))
        if result == "locked":
            return app.to_start(request, "terkunci")
        if result == "wrong":
            return app.render(request, "pin.html", session=session, status=400,
                              error=_wrong_pin(app, session))
        return Redirect(path=f"{app.base(request)}/", status_code=303, headers=NO_STORE)

    @post("/keluar", sync_to_thread=True, status_code=200)
    def sign_out(request: AnyRequest, data: Form) -> Response[Any]:
        session = app.session(request)
        if session is not None:
            if not ml.csrf_matches(session, data.get("csrf")):
                return app.render(request, "pesan.html", session=session, status=403,
                                  title="Formulir ditolak",
                                  text="Muat ulang halaman dan coba lagi.")
            member_id = session.member_id
            everywhere = data.get("semua") == "1" and member_id is not None
            kernel.db.write(lambda conn: ml.end_sessions(conn, member_id) if everywhere
                            and member_id is not None else ml.end_session(conn, session))
        return app.to_start(request, "keluar")

    return [start_form, start, code_form, code, new_pin_form, new_pin, pin_form, pin,
            sign_out]


def _session_cookie(request: AnyRequest, token: str) -> Cookie:
    return Cookie(key=MEMBER_COOKIE, value=token, path=MemberApp.base(request), httponly=True,
                  samesite="lax", secure=request.url.scheme == "https")


def _wrong_pin(app: MemberApp, session: ml.MemberSession) -> str:
    assert session.member_id is not None
    member_id = session.member_id
    left = ml.MAX_PIN_FAILURES - app.kernel.db.read(lambda conn: ml.pin_failures(conn,
                                                                                member_id))
    return f"PIN salah. Sisa {left} kali lagi sebelum PIN diblokir."


# --- home and statements ----------------------------------------------------------------------


def _home_handlers(app: MemberApp) -> list[Any]:

    def refused(request: AnyRequest, session: ml.MemberSession, exc: KopcoreError
                ) -> Response[Any]:
        return app.render(request, "pesan.html", session=session, status=exc.status,
                          title="Tidak dapat ditampilkan", text=said(exc))

    @get("/", sync_to_thread=True)
    def home(request: AnyRequest) -> Response[Any]:
        session = app.at_stage(request, ml.READY)
        if isinstance(session, Response):
            return session
        try:
            accounts = [a for a in app.read("accounts.list", session,
                                            member=session.member_number, limit=200)["items"]
                        if a["plugin"] not in LOAN_PLUGINS and a["status"] != "closed"]
            loans = _loans(app, session)
        except KopcoreError as exc:
            return refused(request, session, exc)
        return app.render(request, "beranda.html", session=session, accounts=accounts,
                          loans=loans, shu=_last_shu(app, session),
                          can_apply=app.has("loans.apply", session),
                          pin_set=bool(request.query_params.get("pin")))

    def period(request: AnyRequest) -> tuple[date, date, str]:
        """The statement's period from ``dari`` and ``sampai`` (the last 30 days by default),
        and what is wrong with them (``""`` when nothing)."""
        today = app.web.business_date()
        since, until = today - timedelta(days=30), today
        try:
            if request.query_params.get("dari"):
                since = date.fromisoformat(request.query_params["dari"])
            if request.query_params.get("sampai"):
                until = date.fromisoformat(request.query_params["sampai"])
        except ValueError:
            return since, until, "Tanggal tidak dikenali: pilih tanggal dari kalender."
        if since > until:
            return since, until, "Tanggal awal harus sebelum tanggal akhir."
        return since, until, ""

    @get("/rekening/{number:str}", sync_to_thread=True)
    def statement(request: AnyRequest, number: FromPath[str]) -> Response[Any]:
        session = app.at_stage(request, ml.READY)
        if isinstance(session, Response):
            return session
        since, until, error = period(request)
        try:
            account = app.read("accounts.get", session, account=number)
            lines = [] if error else app.read("accounts.statement", session, account=number,
                                              from_date=since.isoformat(),
                                              to_date=until.isoformat())
        except KopcoreError as exc:
            return refused(request, session, exc)
        text = " ".join((request.query_params.get("cari") or "").split())[:100]
        if text and isinstance(lines, dict):  # the lines whose description holds the words
            lines = {**lines, "lines": [line for line in lines["lines"]
                                        if text.casefold() in (line["memo"] or "").casefold()]}
        return app.render(request, "mutasi.html", session=session, account=account,
                          statement=lines, since=since, until=until, error=error, text=text)

    @get("/rekening/{number:str}/pdf", sync_to_thread=True)
    def statement_pdf(request: AnyRequest, number: FromPath[str]) -> Response[Any]:
        """The same statement as a PDF e-statement, to keep or to show a bank."""
        session = app.at_stage(request, ml.READY)
        if isinstance(session, Response):
            return session
        since, until, error = period(request)
        if error:
            return app.render(request, "pesan.html", session=session, status=400,
                              title="Tanggal tidak dapat dipakai", text=error)
        try:
            account = app.read("accounts.get", session, account=number)
            found = app.read("accounts.statement", session, account=number,
                             from_date=since.isoformat(), to_date=until.isoformat())
        except KopcoreError as exc:
            return refused(request, session, exc)
        document = pdf_statement(app.kernel.settings.cooperative_name,
                                 session.member_name or "", account, found,
                                 app.web.business_date())
        name = f"mutasi-{account['number']}-{since.isoformat()}-{until.isoformat()}.pdf"
        return Response(document, media_type="application/pdf", headers={
            **NO_STORE, "Content-Disposition": f'attachment; filename="{name}"'})

    @get("/pinjaman/{number:str}", sync_to_thread=True)
    def loan_page(request: AnyRequest, number: FromPath[str]) -> Response[Any]:
        """A loan of the member's: its installment schedule (what is paid, what is due) and
        what settles it today (the early-settlement quote)."""
        session = app.at_stage(request, ml.READY)
        if isinstance(session, Response):
            return session
        try:
            loan = app.read("loans.get", session, loan=number)
            schedule = app.read("loans.schedule", session, loan=number)
        except KopcoreError as exc:
            return refused(request, session, exc)
        quote = None
        if loan["status"] == "active":
            try:
                quote = app.read("loans.settlement-quote", session, loan=number)
            except KopcoreError:
                quote = None
        return app.render(request, "pinjaman.html", session=session, loan=loan,
                          schedule=schedule, quote=quote)

    @get("/perangkat", sync_to_thread=True)
    def device_list(request: AnyRequest) -> Response[Any]:
        session = app.at_stage(request, ml.READY)
        if isinstance(session, Response):
            return session
        found = app.kernel.db.read(lambda conn: ml.devices(conn, session))
        return app.render(request, "perangkat.html", session=session, devices=found,
                          done=bool(request.query_params.get("keluar")))

    @post("/perangkat", sync_to_thread=True, status_code=200)
    def device_sign_out(request: AnyRequest, data: Form) -> Response[Any]:
        session = app.form_at(request, data, ml.READY)
        if isinstance(session, Response):
            return session
        key = data.get("perangkat", "")
        app.kernel.db.write(lambda conn: ml.end_device(conn, session, key))
        if key == session.token_hash[:12]:
            return app.to_start(request, "keluar")
        return Redirect(path=f"{app.base(request)}/perangkat?keluar=1", status_code=303,
                        headers=NO_STORE)

    return [home, statement, statement_pdf, loan_page, device_list, device_sign_out]


def _last_shu(app: MemberApp, session: ml.MemberSession) -> dict[str, Any] | None:
    """The member's SHU of last year, once the RAT's allocation is approved or posted; ``None``
    before (a draft's figures may still change) or when the cooperative has none."""
    if not app.has("shu.member-statement", session):
        return None
    try:
        found: dict[str, Any] = app.read("shu.member-statement", session,
                                         year=app.web.business_date().year - 1,
                                         member=session.member_number)
    except KopcoreError:  # no allocation for last year (yet)
        return None
    return found if found["status"] in ("approved", "posted") else None


def _loans(app: MemberApp, session: ml.MemberSession) -> list[dict[str, Any]]:
    """The member's running loans, each with its next installment."""
    if not app.has("loans.list", session):
        return []
    summaries = app.read("loans.list", session, member=session.member_number,
                         limit=100)["items"]
    return [app.read("loans.get", session, loan=loan["number"]) for loan in summaries
            if loan["status"] == "active"]


# --- paying -----------------------------------------------------------------------------------


def _pay_handlers(app: MemberApp) -> list[Any]:
    kernel = app.kernel
    currency = kernel.settings.currency

    def sources(session: ml.MemberSession) -> list[dict[str, Any]]:
        """The member's savings accounts that can pay: open accounts of a sukarela product
        (simpanan pokok, wajib and time deposits are not withdrawn from)."""
        found = app.read("accounts.list", session, member=session.member_number,
                         limit=200)["items"]
        return [a for a in found if a["status"] == "open"
                and a["product_code"] == SUKARELA]

    def transfer_form(request: AnyRequest, session: ml.MemberSession, values: dict[str, str],
                      *, error: str = "", status: int = 200) -> Response[Any]:
        return app.render(request, "transfer.html", session=session, status=status,
                          sources=sources(session), values=values, error=error,
                          key=values.get("idempotency_key") or app.web.new_key())

    @get("/transfer", sync_to_thread=True)
    def transfer_page(request: AnyRequest) -> Response[Any]:
        session = app.at_stage(request, ml.READY)
        if isinstance(session, Response):
            return session
        return transfer_form(request, session, {})

    def checked(session: ml.MemberSession, data: dict[str, str]
                ) -> tuple[Money, dict[str, Any]]:
        amount = _amount(data.get("jumlah", ""), currency)
        to = "".join(data.get("tujuan", "").split())
        if not to:
            raise ValidationError(message("to_account is required"), field="to_account")
        recipient = app.read("savings.recipient", session, account=to)
        return amount, recipient

    def transfer_sent(request: AnyRequest, data: dict[str, str]
                      ) -> tuple[ml.MemberSession, Money, dict[str, Any]] | Response[Any]:
        """The session, the amount and ``recipient`` of a submitted transfer form, or the
        answer to send instead (the form again with the refusal)."""
        session = app.form_at(request, data, ml.READY)
        if isinstance(session, Response):
            return session
        try:
            amount, recipient = checked(session, data)
        except KopcoreError as exc:
            if exc.code == "not-found":
                return transfer_form(request, session, data, status=exc.status, error=(
                    "Rekening tujuan tidak ditemukan atau tidak dapat menerima transfer. "
                    "Periksa nomor rekening simpanan penerima."))
            return transfer_form(request, session, data, error=said(exc),
                                 status=exc.status)
        return session, amount, {"recipient": recipient}

    @get("/angsuran", sync_to_thread=True)
    def installment_page(request: AnyRequest) -> Response[Any]:
        session = app.at_stage(request, ml.READY)
        if isinstance(session, Response):
            return session
        loans = _loans(app, session)
        return app.render(request, "angsuran.html", session=session, loans=loans,
                          values=dict(request.query_params), key=app.web.new_key(), error="")

    def installment_sent(request: AnyRequest, data: dict[str, str]
                         ) -> tuple[ml.MemberSession, Money, dict[str, Any]] | Response[Any]:
        """The session, the amount and ``loan`` of a submitted installment form, or the
        answer to send instead (the form again with the refusal)."""
        session = app.form_at(request, data, ml.READY)
        if isinstance(session, Response):
            return session
        try:
            amount = _amount(data.get("jumlah", ""), currency)
            loan = app.read("loans.get", session, loan=data.get("pinjaman", ""))
        except KopcoreError as exc:
            return app.render(request, "angsuran.html", session=session,
                              loans=_loans(app, session), values=data,
                              key=data.get("idempotency_key") or app.web.new_key(),
                              error=said(exc), status=exc.status)
        return session, amount, {"loan": loan}

    def paying(kind: str, path: str, send: str, operation: str, sent: Any,
               raw_of: Callable[[dict[str, str], Money, dict[str, Any]], dict[str, str]]
               ) -> list[Any]:
        """The two steps of a payment: ``<path>/periksa`` shows what will happen (the
        confirmation page), ``<path>/<send>`` checks the PIN and runs ``operation``."""

        def payment(data: dict[str, str], amount: Money, shown: dict[str, Any]) -> str | None:
            """The digest a fresh code confirms, when the amount needs one."""
            if not ml.step_up_needed(kernel.settings, amount):
                return None
            return ml.payment_digest(kind, data.get("idempotency_key", ""),
                                     json.dumps(raw_of(data, amount, shown), sort_keys=True))

        @post(f"/{path}/periksa", sync_to_thread=True, status_code=200,
              name=f"anggota-{kind}-periksa")
        def check(request: AnyRequest, data: Form) -> Response[Any]:
            found = sent(request, data)
            if isinstance(found, Response):
                return found
            session, amount, shown = found
            digest = payment(data, amount, shown)
            error = ""
            if digest is not None:
                error = _send_step_up(app, session, digest, _described(kind, amount, shown))
            return app.render(request, "konfirmasi.html", session=session, kind=kind,
                              values=data, amount=amount, error=error,
                              step_up=digest is not None, **shown)

        @post(f"/{path}/{send}", sync_to_thread=True, status_code=200,
              name=f"anggota-{kind}-{send}")
        def pay(request: AnyRequest, data: Form) -> Response[Any]:
            found = sent(request, data)
            if isinstance(found, Response):
                return found
            session, amount, shown = found
            return _confirmed(app, request, session, data, operation,
                              raw_of(data, amount, shown), amount,
                              payment(data, amount, shown), kind=kind, **shown)

        return [check, pay]

    transfer = paying("transfer", "transfer", "kirim", "savings.transfer", transfer_sent,
                      lambda data, amount, shown: {
                          "from_account": data.get("sumber", ""),
                          "to_account": shown["recipient"]["account"],
                          "amount": amount.to_str(),
                          "memo": data.get("berita", "").strip()[:100]})
    installment = paying("angsuran", "angsuran", "bayar", "loans.repay-own", installment_sent,
                         lambda data, amount, shown: {"loan": shown["loan"]["number"],
                                                      "amount": amount.to_str()})
    def products(shop: _Shop, session: ml.MemberSession) -> list[dict[str, Any]]:
        """The products the member may buy (``shop.bills``: the bills they may pay)."""
        asked = {"bills": True} if shop.bills else {}
        found: list[dict[str, Any]] = app.read("ppob.own-products", session,
                                               **asked)["products"]
        return found

    def shop_form(shop: _Shop, request: AnyRequest, session: ml.MemberSession,
                  values: dict[str, str], *, error: str = "", status: int = 200
                  ) -> Response[Any]:
        offered = products(shop, session) if app.has(shop.offered_by, session) else []
        return app.render(request, shop.template, session=session, status=status,
                          products=offered, values=values, error=error,
                          key=values.get("idempotency_key") or app.web.new_key())

    def shop_page(shop: _Shop) -> Any:
        @get(f"/{shop.path}", sync_to_thread=True, name=f"anggota-{shop.path}")
        def page(request: AnyRequest) -> Response[Any]:
            session = app.at_stage(request, ml.READY)
            if isinstance(session, Response):
                return session
            return shop_form(shop, request, session, dict(request.query_params))

        return page

    def chosen(shop: _Shop, request: AnyRequest, data: dict[str, str]
               ) -> tuple[ml.MemberSession, dict[str, Any], str] | Response[Any]:
        """The session, the product and the customer number of a submitted form, or the
        answer to send instead (the form again with the refusal)."""
        session = app.form_at(request, data, ml.READY)
        if isinstance(session, Response):
            return session
        number = "".join(data.get("nomor", "").split())
        product = next((p for p in products(shop, session) if p["sku"] == data.get("produk")),
                       None)
        if product is None or not number.isdigit() or not 6 <= len(number) <= 32:
            return shop_form(shop, request, session, data, status=400, error=shop.refusal)
        return session, product, number

    @get("/ppob/riwayat", sync_to_thread=True)
    def ppob_history(request: AnyRequest) -> Response[Any]:
        """The member's PPOB purchases, the latest first, each with its status and token."""
        session = app.at_stage(request, ml.READY)
        if isinstance(session, Response):
            return session
        if not app.has("ppob.own-purchases", session):
            return app.render(request, "pesan.html", session=session, status=404,
                              title="Tidak tersedia",
                              text="Riwayat pembelian belum tersedia di koperasi ini.")
        try:
            purchases = app.read("ppob.own-purchases", session, limit=50)["purchases"]
        except KopcoreError as exc:
            return app.render(request, "pesan.html", session=session, status=exc.status,
                              title="Tidak dapat ditampilkan", text=said(exc))
        return app.render(request, "ppob_riwayat.html", session=session, purchases=purchases)

    def ppob_sent(request: AnyRequest, data: dict[str, str]
                  ) -> tuple[ml.MemberSession, Money, dict[str, Any]] | Response[Any]:
        """The session, the price and ``product`` of a submitted purchase form, or the
        answer to send instead (the form again with the refusal)."""
        found = chosen(PURCHASE, request, data)
        if isinstance(found, Response):
            return found
        session, product, number = found
        return session, money_of(product["price"]), {"product": product, "number": number}

    def own_purchase(data: dict[str, str], amount: Money, shown: dict[str, Any]
                     ) -> dict[str, str]:
        """``ppob.buy-own``'s input: the form's key is the purchase's (or bill's) reference."""
        return {"reference": data.get("idempotency_key", "")[:31],
                "sku": shown["product"]["sku"], "customer_no": shown["number"]}

    ppob = paying("ppob", "ppob", "beli", "ppob.buy-own", ppob_sent, own_purchase)

    def bill_sent(request: AnyRequest, data: dict[str, str]
                  ) -> tuple[ml.MemberSession, Money, dict[str, Any]] | Response[Any]:
        """The session, what the member pays and the ``bill`` the provider quoted (asked once
        per form: the form's key is the quote's reference), or the form again with the
        refusal."""
        found = chosen(BILL, request, data)
        if isinstance(found, Response):
            return found
        session, product, number = found
        assert session.principal is not None
        quote = kernel.plugins.operations["ppob.own-bill"].value
        try:
            bill = app.web.run(quote, {"reference": data.get("idempotency_key", "")[:31],
                                       "sku": product["sku"], "customer_no": number},
                               session.principal).payload
        except KopcoreError as exc:
            return shop_form(BILL, request, session, data, status=exc.status, error=(
                "Tidak ada tagihan untuk nomor ini. Periksa nomor pelanggan atau nomor "
                "peserta." if exc.code == "not-found" else said(exc)))
        return session, money_of(bill["amount"]), {"product": product, "number": number,
                                                   "bill": bill}

    bills = paying("tagihan", "tagihan", "bayar", "ppob.buy-own", bill_sent, own_purchase)

    return [transfer_page, installment_page, shop_page(PURCHASE), ppob_history,
            shop_page(BILL), *transfer, *installment, *ppob, *bills]


class _Shop(NamedTuple):
    """A form choosing a PPOB product and a customer number at ``/<path>``: a prepaid
    purchase (pulsa, token PLN) or a postpaid bill (PLN pascabayar, BPJS)."""

    path: str
    template: str
    #: The operation a member needs for the form to offer its products.
    offered_by: str
    #: The products are bills (quoted by the provider before they are paid).
    bills: bool
    #: What the member is told when no product is chosen or the number is not 6-32 digits.
    refusal: str


PURCHASE = _Shop("ppob", "ppob.html", "ppob.own-products", False,
                 "Pilih produk dan ketik nomor HP atau nomor meter (angka saja).")
BILL = _Shop("tagihan", "tagihan.html", "ppob.own-bill", True,
             "Pilih tagihan dan ketik nomor pelanggan atau nomor peserta (angka saja).")


def _described(kind: str, amount: Money, shown: dict[str, Any]) -> str:
    """The payment a fresh code confirms, as its message names it."""
    if kind == "transfer":
        return f"transfer {format_money(amount)} ke {shown['recipient']['name']}"
    if kind == "ppob":
        return f"pembelian {shown['product']['name']} {format_money(amount)}"
    if kind == "tagihan":
        return f"pembayaran {shown['product']['name']} {format_money(amount)}"
    return f"pembayaran angsuran {format_money(amount)}"


def _send_step_up(app: MemberApp, session: ml.MemberSession, payment: str, what: str) -> str:
    """Send the fresh code of a large payment (unless the one sent for it stands); the refusal
    to show, or ``""``."""
    kernel = app.kernel
    try:
        sent = kernel.write("member-app", lambda ctx: ml.begin_step_up(ctx, session, payment,
                                                                       what),
                            operation="member-app")
    except TooManyRequests as exc:
        said = exc.detail_in(LOCALE)
        return said[:1].upper() + said[1:] + "."
    if sent is not None and not ml.deliver_step_up(kernel, sent, session):
        return ("Kode konfirmasi belum dapat dikirim. Coba lagi sebentar lagi atau hubungi "
                "kantor koperasi.")
    return ""


def _confirmed(app: MemberApp, request: AnyRequest, session: ml.MemberSession,
               data: dict[str, str], operation: str, raw: dict[str, str], amount: Money,
               payment: str | None, **shown: Any) -> Response[Any]:
    """Check the PIN (and, for a large amount, the payment's fresh code: ``payment`` is its
    digest), then run the money operation with the form's idempotency key: a second submit of
    the same form posts nothing more and shows the first result."""
    kernel = app.kernel
    step_up = payment is not None
    result = kernel.db.write(lambda conn: ml.check_pin(conn, session, data.get("pin", "")))
    if result == "locked":
        return app.to_start(request, "terkunci")
    if result == "wrong":
        return app.render(request, "konfirmasi.html", session=session, status=400,
                          values=data, amount=amount, error=_wrong_pin(app, session),
                          step_up=step_up, **shown)
    if payment is not None:
        code = kernel.db.write(lambda conn: ml.check_step_up(conn, session, payment,
                                                             data.get("kode", "")))
        if code == "void":
            return app.render(request, "pesan.html", session=session, status=400,
                              title="Kode konfirmasi tidak berlaku",
                              text="Kode konfirmasi untuk pembayaran ini sudah tidak berlaku "
                                   "(salah berulang kali atau kedaluwarsa). Tidak ada uang "
                                   "yang berpindah. Ulangi pembayaran untuk menerima kode "
                                   "baru.")
        if code == "wrong":
            left = ml.MAX_STEP_UP_FAILURES - kernel.db.read(
                lambda conn: ml.step_up_failures(conn, session))
            return app.render(request, "konfirmasi.html", session=session, status=400,
                              values=data, amount=amount, step_up=True,
                              error=f"Kode konfirmasi salah. Sisa {left} kali lagi.", **shown)
    assert session.principal is not None
    op = kernel.plugins.operations[operation].value
    try:
        outcome = app.web.run(op, raw, session.principal, key=data.get("idempotency_key"))
    except KopcoreError as exc:
        return app.render(request, "konfirmasi.html", session=session, status=exc.status,
                          values=data, amount=amount, step_up=step_up,
                          error=said(exc, requested=amount), **shown)
    if outcome.status == 202:
        return app.render(request, "pesan.html", session=session, status=202,
                          title="Menunggu persetujuan",
                          text="Jumlah ini perlu disetujui pengurus koperasi; belum ada uang "
                               "yang berpindah.")
    payload = outcome.payload
    entry = payload.get("entry_id") if "entry_id" in payload else \
        (payload.get("entry") or {}).get("entry_id")
    source = raw.get("from_account")
    balance = None
    try:
        if source:
            balance = app.read("accounts.get", session, account=source)["balance"]
    except KopcoreError:
        balance = None
    return app.render(request, "selesai.html", session=session, amount=amount, entry=entry,
                      balance=balance, replayed=outcome.replayed, payload=payload,
                      at=format_date(app.web.business_date(), LOCALE), **shown)


# --- the installable app ----------------------------------------------------------------------


def _pwa_handlers(app: MemberApp) -> list[Any]:
    name = app.kernel.settings.cooperative_name

    @get("/manifest.webmanifest", sync_to_thread=False,
         media_type="application/manifest+json")
    def manifest(request: AnyRequest) -> dict[str, Any]:
        base = app.base(request)
        return {"name": f"{name} — Anggota", "short_name": "Anggota", "lang": "id",
                "start_url": f"{base}/", "scope": f"{base}/",
                "display": "standalone", "background_color": "#f5f7fa",
                "theme_color": "#0b5d3b",
                "icons": [{"src": f"{base}/static/icon.svg", "sizes": "any",
                           "type": "image/svg+xml", "purpose": "any"}]}

    @get("/sw.js", sync_to_thread=False, media_type="text/javascript")
    def service_worker(request: AnyRequest) -> Response[str]:
        script = (STATIC / "member-sw.js").read_text(encoding="utf-8")
        return Response(script, media_type="text/javascript",
                        headers={"Cache-Control": "no-cache",
                                 "Service-Worker-Allowed": f"{app.base(request)}/"})

    @get("/offline", sync_to_thread=True)
    def offline(request: AnyRequest) -> Response[Any]:
        response = app.render(request, "offline.html", session=None)
        response.headers["Cache-Control"] = "no-cache"
        return response

    return [manifest, service_worker, offline]


__all__ = ["MEMBER_PREFIX", "SHELL", "member_router"]
