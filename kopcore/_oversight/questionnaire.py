"""The non-financial questionnaire: answers entered by an operator, kept with who and when.

Every answer is a new row (the history is append-only). It states the position date it applies
to (``applies_on``: the assessed date, which may be earlier than the business date it is recorded
on, never later), beside the business date it was recorded on, the time and the operator. The
assessment as of D takes, per question, the answer for the latest position date on or before D,
and among the answers for that position date the one recorded last.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

import attrs
import sqlalchemy as sa

from kopcore._oversight.scoring import Regime
from kopcore._oversight.tables import answers
from kopcore.context import Context
from kopcore.errors import ValidationError, message


@attrs.frozen
class Answer:
    question: str
    answer: bool
    note: str
    answered_by: str
    business_date: date
    recorded_at: datetime
    #: The position date the answer applies to.
    applies_on: date


@attrs.frozen
class Given:
    """One answer of a batch, before it is recorded."""

    question: str
    answer: bool
    note: str = ""


def position_date(ctx: Context, applies_on: date | None, field: str = "applies_on") -> date:
    """The position date an answer applies to: the business date unless given, never after it."""
    day = applies_on or ctx.business_date
    if day > ctx.business_date:
        raise ValidationError(message("{field} {day} is after the current business date "
                                      "{business_date}", field=field, day=day,
                                      business_date=ctx.business_date), field=field)
    return day


def record_answers(ctx: Context, regime: Regime, applies_on: date | None,
                   given: Sequence[Given], field: str = "answers") -> list[Answer]:
    """Record a batch of answers for one position date (default: the business date), all or
    none: an unknown question or a question given twice refuses the whole batch, naming it.
    Earlier answers stay on record."""
    day = position_date(ctx, applies_on)
    if not given:
        raise ValidationError(message("{field} is empty: give at least one answer",
                                      field=field), field=field)
    seen: set[str] = set()
    for index, item in enumerate(given):
        where = f"{field}[{index}].question"
        try:
            regime.question(item.question)
        except ValidationError as exc:
            raise ValidationError(message("{where}: {detail}", where=where, detail=exc.detail),
                                  field=where, question=item.question) from None
        if item.question in seen:
            raise ValidationError(message("{where}: question '{key}' is answered twice in "
                                          "this batch", where=where, key=item.question),
                                  field=where, question=item.question)
        seen.add(item.question)
    now = datetime.now(UTC)
    ctx.conn.execute(answers.insert(), [
        {"regime": regime.code, "question": item.question, "answer": item.answer,
         "note": item.note, "answered_by": ctx.actor, "business_date": ctx.business_date,
         "recorded_at": now, "applies_on": day} for item in given])
    return [Answer(item.question, item.answer, item.note, ctx.actor, ctx.business_date, now, day)
            for item in given]


def record_answer(ctx: Context, regime: Regime, question: str, answer: bool, note: str,
                  applies_on: date | None = None) -> Answer:
    """Record one answer for a position date (default: the current business date)."""
    regime.question(question)
    return record_answers(ctx, regime, applies_on, [Given(question, answer, note)])[0]


def answers_as_of(ctx: Context, regime: Regime, as_of: date) -> dict[str, Answer]:
    """Each question's answer in force for the position ``as_of``: the one for the latest
    position date on or before it, the last recorded among those."""
    c = answers.c
    rows = ctx.conn.execute(
        sa.select(c.question, c.answer, c.note, c.answered_by, c.business_date, c.recorded_at,
                  c.applies_on)
        .where(c.regime == regime.code, c.applies_on <= as_of)
        .order_by(c.applies_on, c.recorded_at, c.id))
    latest: dict[str, Answer] = {}
    for r in rows:
        latest[r.question] = Answer(r.question, bool(r.answer), r.note, r.answered_by,
                                    r.business_date, r.recorded_at, r.applies_on)
    return latest
