"""The non-financial questionnaire: answers entered by an operator, kept with who and when."""

from __future__ import annotations

from datetime import UTC, date, datetime

import attrs
import sqlalchemy as sa

from kopcore._oversight.scoring import Regime
from kopcore._oversight.tables import answers
from kopcore.context import Context


@attrs.frozen
class Answer:
    question: str
    answer: bool
    note: str
    answered_by: str
    business_date: date
    recorded_at: datetime


def record_answer(ctx: Context, regime: Regime, question: str, answer: bool, note: str
                  ) -> Answer:
    """Record an answer on the current business date (an earlier answer stays on record)."""
    regime.question(question)
    now = datetime.now(UTC)
    ctx.conn.execute(answers.insert().values(
        regime=regime.code, question=question, answer=answer, note=note,
        answered_by=ctx.actor, business_date=ctx.business_date, recorded_at=now))
    return Answer(question, answer, note, ctx.actor, ctx.business_date, now)


def answers_as_of(ctx: Context, regime: Regime, as_of: date) -> dict[str, Answer]:
    """Each question's newest answer recorded on or before ``as_of``."""
    c = answers.c
    rows = ctx.conn.execute(
        sa.select(c.question, c.answer, c.note, c.answered_by, c.business_date, c.recorded_at)
        .where(c.regime == regime.code, c.business_date <= as_of)
        .order_by(c.business_date, c.id))
    latest: dict[str, Answer] = {}
    for r in rows:
        latest[r.question] = Answer(r.question, bool(r.answer), r.note, r.answered_by,
                                    r.business_date, r.recorded_at)
    return latest
