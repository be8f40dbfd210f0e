"""The health assessment: ratios from the ledger as of a date, scored with a regime's table.

The ratios and what they are made of are in :mod:`kopcore._oversight.ratios` (each numerator
and denominator traced to GL accounts, the year's income and expenses and plugins' figures);
the tables in :mod:`kopcore._oversight.scoring`. A ratio whose figures no plugin reports, or
whose base is zero, is *not available* and left out of the score; the regime may say an
undefined ratio scores best instead (an allowance against no problem loans). The score is
``100 * sum(weight * score / max_score) / sum(weight)`` over the assessed indicators (an
indicator's weight is its aspect's weight shared within the aspect), the category the first
whose minimum the score reaches. The result says which indicators were left out (``complete``
is false then, unless the indicator is optional and its figure simply not reported) and which
pull the score down: those below the top score, largest loss of weighted points first.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import attrs

from kopcore._oversight.figures import Figures, figures_on
from kopcore._oversight.questionnaire import Answer, answers_as_of
from kopcore._oversight.ratios import (
    ALLOWANCE_FORMED,
    NON_PERFORMING,
    OUTSTANDING,
    PROBLEM_LOAN_RISK,
    Part,
    Ratio,
    compute_ratios,
    year_earlier,
)
from kopcore._oversight.scoring import Indicator, Regime, percent_text
from kopcore.context import Context

__all__ = [
    "ALLOWANCE_FORMED",
    "NON_PERFORMING",
    "OUTSTANDING",
    "PROBLEM_LOAN_RISK",
    "AspectResult",
    "Assessment",
    "IndicatorResult",
    "Ratio",
    "assess",
    "compute_ratios",
    "year_earlier",
]


@attrs.frozen
class IndicatorResult:
    key: str
    name: str
    aspect: str
    kind: str
    weight: Fraction
    #: Percent (ratios) or share of "yes" answers (questionnaires); None: not assessed.
    value: Fraction | None
    score: int | None
    max_score: int
    note: str
    numerator: int | None = None
    denominator: int | None = None
    numerator_parts: tuple[Part, ...] = ()
    denominator_parts: tuple[Part, ...] = ()
    #: The bounds of the band the value fell in, as printed on the worksheet.
    band: str = ""
    source: str = ""
    status: str = "verified"
    optional: bool = False
    #: The score before rounding to a whole one, when the regime counts it exactly.
    exact: Fraction | None = None

    @property
    def assessed(self) -> bool:
        return self.score is not None

    @property
    def points(self) -> Fraction | None:
        """Weighted points earned: weight x score / top score (the worksheet's *skor*)."""
        if self.score is None:
            return None
        return self.weight * (self.score if self.exact is None else self.exact) / self.max_score

    @property
    def lost_points(self) -> Fraction:
        """Weighted points below the top score (what the indicator costs the total)."""
        if self.points is None:
            return Fraction(0)
        return self.weight - self.points


@attrs.frozen
class AspectResult:
    """An aspect's total on the worksheet: the points its assessed indicators earned out of
    their weights, and the weight of those not assessed."""

    name: str
    weight: Fraction
    points: Fraction
    assessed_weight: Fraction

    @property
    def percent(self) -> Fraction | None:
        return None if not self.assessed_weight else self.points / self.assessed_weight * 100


@attrs.frozen
class Assessment:
    as_of: date
    currency: str
    regime: Regime
    figures: Figures
    indicators: list[IndicatorResult]
    answers: dict[str, Answer]
    score: Fraction | None
    category: str | None

    @property
    def complete(self) -> bool:
        return all(i.assessed or i.optional for i in self.indicators)

    @property
    def aspects(self) -> list[AspectResult]:
        order = [a.name for a in self.regime.aspects] or list(
            dict.fromkeys(i.aspect for i in self.indicators))
        out = []
        for name in order:
            members = [i for i in self.indicators if i.aspect == name]
            out.append(AspectResult(
                name, sum((i.weight for i in members), Fraction(0)),
                sum((i.points or Fraction(0) for i in members), Fraction(0)),
                sum((i.weight for i in members if i.assessed), Fraction(0))))
        return out

    @property
    def pulling_down(self) -> list[IndicatorResult]:
        return sorted((i for i in self.indicators if i.lost_points > 0),
                      key=lambda i: (-i.lost_points, i.key))

    @property
    def score_text(self) -> str | None:
        return None if self.score is None else percent_text(self.score)


def _score_questionnaire(indicator: Indicator, regime: Regime, answers: dict[str, Answer]
                         ) -> IndicatorResult:
    questions = [q for q in regime.questions if q.indicator == indicator.key]
    unanswered = [q.key for q in questions if q.key not in answers]
    if not questions or unanswered:
        note = ("questions not answered yet: " + ", ".join(unanswered)) if questions \
            else "the regime has no questions for it"
        return IndicatorResult(indicator.key, indicator.name, indicator.aspect, indicator.kind,
                               indicator.weight, None, None, regime.max_score, note,
                               source=indicator.source, status=indicator.status,
                               optional=indicator.optional)
    total = sum((q.weight for q in questions), Fraction(0))
    yes = sum((q.weight for q in questions if answers[q.key].answer), Fraction(0))
    share = yes / total
    band = ""
    exact_score = share * regime.max_score
    if indicator.bands:
        # Juknis 15/2021: the share met, in percent, through the indicator's bands.
        score = indicator.score(share * 100)
        band = indicator.band_text(share * 100)
    else:
        # Scores are whole numbers: the share of the top score, rounded half up.
        exact = share * regime.max_score
        score = int(exact) + (1 if exact - int(exact) >= Fraction(1, 2) else 0)
    return IndicatorResult(indicator.key, indicator.name, indicator.aspect, indicator.kind,
                           indicator.weight, share * 100, score, regime.max_score,
                           f"{sum(1 for q in questions if answers[q.key].answer)} of "
                           f"{len(questions)} answered yes", band=band,
                           source=indicator.source, status=indicator.status,
                           optional=indicator.optional,
                           exact=exact_score if indicator.exact else None)


def _score_ratio(indicator: Indicator, regime: Regime, ratio: Ratio) -> IndicatorResult:
    def result(value: Fraction | None, score: int | None, note: str) -> IndicatorResult:
        return IndicatorResult(indicator.key, indicator.name, indicator.aspect, indicator.kind,
                               indicator.weight, value, score, regime.max_score, note,
                               ratio.numerator, ratio.denominator, ratio.numerator_parts,
                               ratio.denominator_parts,
                               indicator.band_text(value) if value is not None else "",
                               indicator.source, indicator.status, indicator.optional)

    if ratio.value is None:
        if indicator.when_undefined == "best" and ratio.numerator is not None:
            best = max(b.score for b in indicator.bands)
            return result(None, best, f"{ratio.reason}: scored as the best band")
        return result(None, None, f"not available: {ratio.reason}")
    percent = ratio.value * 100
    return result(percent, indicator.score(percent), "")


def assess(ctx: Context, regime: Regime, as_of: date, currency: str,
           unit: str | None = None) -> Assessment:
    """The assessment of ``as_of`` under ``regime``: of the cooperative's books, or of one
    unit's (``unit``: a sharia unit under ``perdep-07-2016``)."""
    figures = figures_on(ctx, as_of, currency, unit=unit)
    ratios = compute_ratios(ctx, figures)
    answers = answers_as_of(ctx, regime, as_of)
    results = [
        _score_questionnaire(i, regime, answers) if i.kind == "questionnaire"
        else _score_ratio(i, regime, ratios[i.ratio or i.key])
        for i in regime.indicators
    ]
    assessed = [r for r in results if r.assessed]
    weight = sum((r.weight for r in assessed), Fraction(0))
    if weight == 0:
        score = None
        category = None
    else:
        points = sum((r.points or Fraction(0) for r in assessed), Fraction(0))
        score = points / weight * 100
        category = regime.category(score)
    return Assessment(as_of, currency, regime, figures, results, answers, score, category)
