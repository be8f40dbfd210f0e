"""The audit trail search for auditors: who did what, through which interface, and how it
ended, by user, operation and days.

The trail holds the staff's logins too (``web.login``, ``web.login-code``, ``web.logout``:
:mod:`kopcore._logins`), searchable as operations.

The page runs ``audit.list`` for the person through :func:`kopcore._service.invoke` with the
search form's values (the operation a choice of the operations there are), and pages on with the
operation's own ``next_after``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import attrs
from litestar import Response, get

from kopcore import _logins as logins
from kopcore._i18n import gettext
from kopcore.errors import KopcoreError
from kopcore.interfaces.web._base import AnyRequest, Web
from kopcore.interfaces.web._forms import form_fields, raw_input
from kopcore.interfaces.web._show import refusal

AUDIT = "audit.list"


def audit_handlers(web: Web) -> list[Any]:
    kernel = web.kernel

    @get("/audit", sync_to_thread=True)
    def audit_page(request: AnyRequest) -> Response[Any]:
        session = web.signed_in(request)
        if isinstance(session, Response):
            return session
        locale = web.locale(request)
        if AUDIT not in kernel.plugins.operations or not web.has(AUDIT, session.principal):
            return web.not_allowed(request, session, "Audit trail")
        op = kernel.plugins.operations[AUDIT].value
        values = dict(request.query_params)
        operations = tuple((name, name) for name in sorted([*kernel.plugins.operations,
                                                            *logins.EVENTS]))
        fields = [attrs.evolve(f, widget="select", choices=operations)
                  if f.name == "operation" else f
                  for f in form_fields(op.input, values, locale, hidden=frozenset({"after"}))]
        items: list[Any] = []
        more = None
        error = None
        status = 200
        try:
            found = web.read(AUDIT, session.principal, **raw_input(op.input, values))
        except KopcoreError as exc:
            error = refusal(exc, locale)
            status = exc.status
        else:
            items = found["items"]
            if found["next_after"] is not None:
                more = urlencode({**{k: v for k, v in values.items() if v}, "after":
                                  found["next_after"]})
        titles = {name: gettext(claimed.value.summary or name, locale)
                  for name, claimed in kernel.plugins.operations.items()}
        titles.update({name: gettext(title, locale) for name, title in logins.EVENTS.items()})
        return web.render(request, "audit.html", session=session, status=status,
                          title=gettext("Audit trail", locale), fields=fields, items=items,
                          more=more, error=error, titles=titles, outcomes=logins.OUTCOMES,
                          searched=bool(values))

    return [audit_page]
