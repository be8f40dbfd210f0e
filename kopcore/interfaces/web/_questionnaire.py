"""The health assessment's non-financial questionnaire on one page.

``/app/reports/kesehatan/kuesioner`` shows every question of a regime grouped by indicator, with
the answer in force for the chosen position date pre-selected (``health.questionnaire-show``),
and a manager answers them all at once: **Simpan jawaban** sends the chosen answers for that
position date to ``health.questionnaire-answer`` in one batch, all or none, with the form's
idempotency key (a double submit records once). The position date defaults to the business
date; an examiner answering in March for the year end picks 31 December. Linked from the health
assessment report.
"""

from __future__ import annotations

import json
from datetime import date
from itertools import groupby
from typing import Any

from litestar import Response, get, post

from kopcore import _logins as logins
from kopcore._i18n import format_date, gettext
from kopcore.errors import KopcoreError
from kopcore.interfaces._convert import fields_of, unwrap_optional
from kopcore.interfaces.web._base import AnyRequest, Web
from kopcore.interfaces.web._pages import Form
from kopcore.interfaces.web._show import refusal

SHOW = "health.questionnaire-show"
ANSWER = "health.questionnaire-answer"
PATH = "/reports/kesehatan/kuesioner"


def _regimes(web: Web) -> tuple[list[str], str]:
    """The regimes the answer operation takes and its default."""
    op = web.kernel.plugins.operations[ANSWER].value
    field = next(f for f in fields_of(op.input) if f.name == "regime")
    choices = [str(m.value) for m in unwrap_optional(field.type)[0]]
    return choices, str(field.default)


def questionnaire_handlers(web: Web) -> list[Any]:
    @get(PATH, sync_to_thread=True)
    def questionnaire_page(request: AnyRequest) -> Response[Any]:
        session = web.signed_in(request)
        if isinstance(session, Response):
            return session
        return _page(web, request, session, dict(request.query_params), None)

    @post(PATH, sync_to_thread=True, status_code=200)
    def questionnaire_post(request: AnyRequest, data: Form) -> Response[Any]:
        session = web.form_sent(request, data)
        if isinstance(session, Response):
            return session
        return _page(web, request, session, data, data)

    return [questionnaire_page, questionnaire_post]


def _page(web: Web, request: AnyRequest, session: logins.Session, values: dict[str, str],
          sent: dict[str, str] | None) -> Response[Any]:
    locale = web.locale(request)
    title = gettext("Health questionnaire", locale)
    ops = web.kernel.plugins.operations
    if SHOW not in ops or ANSWER not in ops:
        return web.not_found(request, session)
    if not web.has(SHOW, session.principal):
        return web.not_allowed(request, session, "Health questionnaire")
    may_answer = web.has(ANSWER, session.principal)
    regimes, default = _regimes(web)
    regime = values.get("regime") or default
    if regime not in regimes:
        regime = default
    today = web.business_date(session)
    chosen = (values.get("applies_on") or "").strip() or today.isoformat()
    error = None
    status = 200
    saved: dict[str, Any] | None = None
    replayed = waiting = False
    key = (sent or {}).get("idempotency_key") or web.new_key()
    try:
        date.fromisoformat(chosen)
    except ValueError:
        error = gettext("Choose a date from the calendar.", locale)
        chosen = today.isoformat()
    if sent is not None and error is None and not may_answer:
        return web.not_allowed(request, session, "Answer the questionnaire for a position date")
    try:
        shown = web.read(SHOW, session.principal, regime=regime, as_of=chosen)
    except KopcoreError as exc:
        error, status = refusal(exc, locale), exc.status
        shown = web.read(SHOW, session.principal, regime=regime)
        chosen = shown["as_of"]
    questions = shown["questions"]
    picked = {q["key"]: ("yes" if q["answer"] else "no") if q["answer"] is not None else ""
              for q in questions}
    notes = {q["key"]: q["note"] or "" for q in questions}
    if sent is not None and error is None:
        given = [{"question": q["key"], "answer": sent[f"a.{q['key']}"],
                  "note": (sent.get(f"n.{q['key']}") or "").strip()}
                 for q in questions if sent.get(f"a.{q['key']}")]
        picked.update({g["question"]: g["answer"] for g in given})
        notes.update({g["question"]: g["note"] for g in given})
        if not given:
            error = gettext("Choose yes or no for at least one question.", locale)
        else:
            try:
                outcome = web.run(ops[ANSWER].value, {
                    "regime": regime, "applies_on": chosen,
                    "answers": json.dumps(given, ensure_ascii=False)},
                    session.principal, key=key)
            except KopcoreError as exc:
                error, status = refusal(exc, locale), exc.status
            else:
                saved, replayed = outcome.payload, outcome.replayed
                waiting = outcome.status == 202
                key = web.new_key()
                if not waiting:
                    questions = web.read(SHOW, session.principal, regime=regime,
                                         as_of=chosen)["questions"]
    answered = sum(1 for q in questions if q["answer"] is not None)
    groups = [(name, list(items)) for name, items in
              groupby(questions, key=lambda q: q["indicator_name"] or q["indicator"])]
    return web.render(
        request, "questionnaire.html", session=session, status=status, title=title,
        regimes=regimes, regime=regime, chosen=chosen,
        position=format_date(date.fromisoformat(chosen), locale), groups=groups,
        picked=picked, notes=notes, answered=answered, total=len(questions),
        may_answer=may_answer, error=error, saved=saved, replayed=replayed, waiting=waiting,
        key=key)
