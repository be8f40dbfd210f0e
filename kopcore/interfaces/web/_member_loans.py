"""The member app's loan application (pengajuan pinjaman): a simulation first, then the
application confirmed with the PIN, which lands in the staff app's queue of applications for
the loan officer and the manager (``loans.apply`` run as the member: the same operation,
permission and member check as the API's).

Three steps, one page: ``GET /anggota/pinjaman-baru`` the form (product, amount, term,
purpose); ``POST …/simulasi`` the schedule of those figures (``loans.simulate``) with the PIN
field; ``POST …/ajukan`` simulates again (what is applied for is what was shown), checks the PIN
and applies with the form's idempotency key, so a second tap applies once.
"""

from __future__ import annotations

from typing import Any

from litestar import Response, get, post

from kopcore import _member_logins as ml
from kopcore._i18n import format_money
from kopcore.errors import KopcoreError
from kopcore.interfaces.web._base import AnyRequest
from kopcore.interfaces.web._pages import Form
from kopcore.interfaces.web._show import money_of
from kopcore.interfaces.web.member import MemberApp, _amount, _wrong_pin, said

TEMPLATE = "pinjaman_baru.html"
SIMULATE, APPLY, PRODUCTS = "loans.simulate", "loans.apply", "loans.product-list"


class Outside(Exception):
    """Figures outside the product's limits: the sentence to show."""


def loan_application_handlers(app: MemberApp) -> list[Any]:
    currency = app.kernel.settings.currency

    def offered(session: ml.MemberSession) -> list[dict[str, Any]]:
        if not app.has(PRODUCTS, session):
            return []
        return [p for p in app.read(PRODUCTS, session)["items"] if p.get("active", True)]

    def page(request: AnyRequest, session: ml.MemberSession, values: dict[str, str], *,
             schedule: dict[str, Any] | None = None, error: str = "", status: int = 200
             ) -> Response[Any]:
        return app.render(request, TEMPLATE, session=session, status=status,
                          products=offered(session), values=values, schedule=schedule,
                          error=error, key=values.get("idempotency_key") or app.web.new_key())

    def simulated(session: ml.MemberSession, data: dict[str, str]) -> dict[str, Any]:
        """The schedule of the form's figures; figures outside the product's limits are
        refused here, before a schedule the application would be refused for is shown."""
        amount = _amount(data.get("jumlah", ""), currency)
        product = next((p for p in offered(session) if p["code"] == data.get("produk")), None)
        if product is None:
            raise Outside("Pilih jenis pinjaman yang tersedia.")
        low, high = money_of(product["min_amount"]), money_of(product["max_amount"])
        if not low <= amount <= high:
            raise Outside(f"Jumlah pinjaman {product['name']} antara {format_money(low)} dan "
                          f"{format_money(high)}.")
        term = data.get("tenor", "").strip()
        if term.isdigit() and not product["min_term"] <= int(term) <= product["max_term"]:
            raise Outside(f"Lama angsuran {product['name']} antara {product['min_term']} dan "
                          f"{product['max_term']} kali.")
        found: dict[str, Any] = app.read(SIMULATE, session, product=product["code"],
                                         amount=amount.to_str(), term=term)
        return found

    @get("/pinjaman-baru", sync_to_thread=True)
    def application_form(request: AnyRequest) -> Response[Any]:
        session = app.at_stage(request, ml.READY)
        if isinstance(session, Response):
            return session
        if not app.has(APPLY, session):
            return app.render(request, "pesan.html", session=session, status=404,
                              title="Tidak tersedia",
                              text="Pengajuan pinjaman lewat aplikasi belum tersedia di "
                                   "koperasi ini. Silakan datang ke kantor koperasi.")
        return page(request, session, dict(request.query_params))

    @post("/pinjaman-baru/simulasi", sync_to_thread=True, status_code=200)
    def simulate(request: AnyRequest, data: Form) -> Response[Any]:
        session = app.form_at(request, data, ml.READY)
        if isinstance(session, Response):
            return session
        try:
            schedule = simulated(session, data)
        except Outside as exc:
            return page(request, session, data, error=str(exc), status=422)
        except KopcoreError as exc:
            return page(request, session, data, error=said(exc), status=exc.status)
        return page(request, session, data, schedule=schedule)

    @post("/pinjaman-baru/ajukan", sync_to_thread=True, status_code=200)
    def apply(request: AnyRequest, data: Form) -> Response[Any]:
        session = app.form_at(request, data, ml.READY)
        if isinstance(session, Response):
            return session
        try:
            schedule = simulated(session, data)
        except Outside as exc:
            return page(request, session, data, error=str(exc), status=422)
        except KopcoreError as exc:
            return page(request, session, data, error=said(exc), status=exc.status)
        checked = app.kernel.db.write(lambda conn: ml.check_pin(conn, session,
                                                                data.get("pin", "")))
        if checked == "locked":
            return app.to_start(request, "terkunci")
        if checked == "wrong":
            return page(request, session, data, schedule=schedule, status=400,
                        error=_wrong_pin(app, session))
        assert session.principal is not None
        op = app.kernel.plugins.operations[APPLY].value
        raw = {"member": session.member_number, "product": data.get("produk", ""),
               "amount": schedule["principal"]["amount"], "term": str(schedule["term"]),
               "purpose": data.get("keperluan", "").strip()[:200]}
        try:
            outcome = app.web.run(op, raw, session.principal,
                                  key=data.get("idempotency_key"))
        except KopcoreError as exc:
            return page(request, session, data, schedule=schedule, error=said(exc),
                        status=exc.status)
        return app.render(request, "pinjaman_diajukan.html", session=session,
                          loan=outcome.payload, schedule=schedule,
                          replayed=outcome.replayed)

    return [application_form, simulate, apply]
