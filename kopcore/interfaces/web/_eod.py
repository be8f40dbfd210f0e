"""End of day (tutup hari) from the web: start it, watch each task's progress, see the result.

``eod.run`` takes minutes on a large cooperative, longer than a browser waits for an answer: the
page starts it in a worker thread of the server (through :func:`kopcore._service.invoke`, for
the manager, with the form's idempotency key, as any operation) and answers at once with a page
that asks every second (htmx) for ``eod.status``, the operation reading the run's own records:
each task's chunks done and planned, whichever worker did them. When the run ends the page shows
its result (the days closed, the rows each task touched, the new business date) or its refusal.

A run started on another server process, or before a restart, still shows its progress and,
once done, the last closed day: both come from ``eod.status``, not from this process.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import attrs
from litestar import Response, get, post
from litestar.params import FromPath

from kopcore import _logins as logins
from kopcore._auth import Principal
from kopcore._i18n import gettext
from kopcore.errors import KopcoreError
from kopcore.interfaces.web._base import AnyRequest, Web
from kopcore.interfaces.web._forms import form_fields, raw_input
from kopcore.interfaces.web._pages import Form
from kopcore.interfaces.web._show import refusal

log = logging.getLogger(__name__)
RUN = "eod.run"
STATUS = "eod.status"


@attrs.define
class Job:
    """One end of day started from this server process."""

    thread: threading.Thread | None = None
    payload: Any = None
    error: KopcoreError | None = None
    failed: bool = False

    @property
    def finished(self) -> bool:
        return self.thread is not None and not self.thread.is_alive()


#: Finished runs whose result this process keeps to show.
KEEP = 20
#: The runs started here, by (user, idempotency key).
_jobs: dict[tuple[str, str], Job] = {}
_jobs_lock = threading.Lock()


def job_of(username: str, key: str) -> Job | None:
    return _jobs.get((username, key))


def _start(web: Web, principal: Principal, raw: dict[str, str], key: str) -> None:
    """Run ``eod.run`` in a thread, once per (user, key)."""
    with _jobs_lock:
        if (principal.username, key) in _jobs:
            return
        for done in [k for k, j in _jobs.items() if j.finished][:-KEEP]:
            del _jobs[done]  # the oldest results; eod.status still tells the last run
        job = _jobs[(principal.username, key)] = Job()
    op = web.kernel.plugins.operations[RUN].value

    def work() -> None:
        try:
            job.payload = web.run(op, raw, principal, key=key).payload
        except KopcoreError as exc:
            job.error = exc
        except Exception:  # the person is told it stopped; the log has the reason
            log.exception("end of day started from the web app stopped")
            job.failed = True

    job.thread = threading.Thread(target=work, name=f"eod-{principal.username}", daemon=True)
    job.thread.start()


def eod_handlers(web: Web) -> list[Any]:
    kernel = web.kernel

    def allowed(request: AnyRequest, session: logins.Session) -> Response[Any] | None:
        if RUN not in kernel.plugins.operations or not web.has(RUN, session.principal):
            return web.not_allowed(request, session, "Run end of day")
        return None

    def status_of(session: logins.Session) -> dict[str, Any] | None:
        try:
            found: dict[str, Any] = web.read(STATUS, session.principal)
        except KopcoreError:
            return None
        return found

    def progress(request: AnyRequest, session: logins.Session, key: str | None, *,
                 fragment: bool) -> Response[Any]:
        locale = web.locale(request)
        job = job_of(session.principal.username, key) if key else None
        status = status_of(session)
        running = (job is not None and not job.finished) or bool(status and status["running"])
        error = None
        if job is not None and job.error is not None:
            error = refusal(job.error, locale)
        elif job is not None and job.failed:
            error = gettext("End of day stopped before it finished. Nothing is applied twice: "
                            "run it again to resume; the server's log says why it stopped.",
                            locale)
        template = "eod_progress.html" if fragment else "eod.html"
        return web.render(request, template, session=session,
                          title=gettext("End of day", locale), eod=status,
                          running=running, key=key, error=error,
                          result=job.payload if job is not None and job.finished else None,
                          fields=form_fields(kernel.plugins.operations[RUN].value.input, {},
                                             locale),
                          new_key=web.new_key())

    @get("/eod", sync_to_thread=True)
    def eod_page(request: AnyRequest) -> Response[Any]:
        session = web.signed_in(request)
        if isinstance(session, Response):
            return session
        return allowed(request, session) or progress(request, session, None, fragment=False)

    @post("/eod", sync_to_thread=True, status_code=200)
    def eod_start(request: AnyRequest, data: Form) -> Response[Any]:
        session = web.form_sent(request, data)
        if isinstance(session, Response):
            return session
        refused = allowed(request, session)
        if refused is not None:
            return refused
        key = data.get("idempotency_key") or web.new_key()
        op = kernel.plugins.operations[RUN].value
        _start(web, session.principal, raw_input(op.input, data), key)
        return web.redirect(request, f"/eod/run/{key}")

    @get("/eod/run/{key:str}", sync_to_thread=True)
    def eod_run_page(request: AnyRequest, key: FromPath[str]) -> Response[Any]:
        session = web.signed_in(request)
        if isinstance(session, Response):
            return session
        return allowed(request, session) or progress(request, session, key,
                                                     fragment=bool(request.headers.get(
                                                         "hx-request")))

    return [eod_page, eod_start, eod_run_page]
