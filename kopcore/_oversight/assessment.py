"""The health assessment: ratios from the ledger as of a date, scored with a regime's table.

Ratios (exact fractions, shown in percent with two decimals rounded half up):

- ``equity_to_assets`` = equity / total assets;
- ``npl`` = non-performing outstanding / outstanding loans (``loans.*`` figures);
- ``allowance_coverage`` = allowance formed / non-performing outstanding;
- ``problem_loan_risk`` = problem-loan risk (50 % Kurang Lancar + 75 % Diragukan + 100 % Macet
  outstanding, the KSP worksheet's) / outstanding loans;
- ``allowance_to_risk`` = allowance formed / problem-loan risk;
- ``liquidity`` = cash and bank / short-term liabilities;
- ``operating_efficiency`` = expenses / income, from 1 January of the year to the date;
- ``equity_growth`` = (equity now - equity a year earlier) / equity a year earlier.

A ratio whose figures no plugin reports (no loans plugin: NPL and coverage), or whose base is
zero, is *not available* and left out of the score; the regime may say an undefined ratio scores
best instead (coverage with no problem loans). The score is
``100 * sum(weight * score / max_score) / sum(weight)`` over the assessed indicators, the category
the first whose minimum the score reaches. The result says which indicators were left out
(``complete`` is false then) and which pull the score down: those below the top score, largest
loss of weighted points first.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import attrs

from kopcore._oversight.figures import Figures, equity_on, figures_on
from kopcore._oversight.questionnaire import Answer, answers_as_of
from kopcore._oversight.scoring import Indicator, Regime, percent_text
from kopcore.context import Context

OUTSTANDING = "loans.outstanding"
NON_PERFORMING = "loans.non_performing"
ALLOWANCE_FORMED = "loans.allowance_formed"
PROBLEM_LOAN_RISK = "loans.problem_loan_risk"


@attrs.frozen
class Ratio:
    """A ratio's parts; ``value`` is ``None`` when it cannot be computed, with the reason."""

    numerator: int | None
    denominator: int | None
    value: Fraction | None
    reason: str = ""


def _ratio(numerator: int | None, denominator: int | None, missing: str, zero: str) -> Ratio:
    if numerator is None or denominator is None:
        return Ratio(numerator, denominator, None, missing)
    if denominator <= 0:
        return Ratio(numerator, denominator, None, zero)
    return Ratio(numerator, denominator, Fraction(numerator, denominator))


def year_earlier(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def compute_ratios(ctx: Context, f: Figures) -> dict[str, Ratio]:
    no_loans = "no plugin reports loans (loans.outstanding)"
    previous = equity_on(ctx, year_earlier(f.as_of), f.currency)
    return {
        "equity_to_assets": _ratio(f.equity, f.total_assets, "", "no assets"),
        "npl": _ratio(f.value(NON_PERFORMING), f.value(OUTSTANDING), no_loans,
                      "no loans outstanding"),
        # With nothing lent there is nothing to cover: not assessed (rather than "best").
        "allowance_coverage": _ratio(f.value(ALLOWANCE_FORMED) if f.value(OUTSTANDING) else None,
                                     f.value(NON_PERFORMING),
                                     no_loans if f.value(OUTSTANDING) is None
                                     else "no loans outstanding", "no non-performing loans"),
        "problem_loan_risk": _ratio(f.value(PROBLEM_LOAN_RISK), f.value(OUTSTANDING), no_loans,
                                    "no loans outstanding"),
        "allowance_to_risk": _ratio(
            f.value(ALLOWANCE_FORMED) if f.value(OUTSTANDING) else None,
            f.value(PROBLEM_LOAN_RISK),
            no_loans if f.value(OUTSTANDING) is None else "no loans outstanding",
            "no problem-loan risk"),
        "liquidity": _ratio(f.cash_and_bank, f.total_liabilities, "", "no liabilities"),
        "operating_efficiency": _ratio(f.expenses_year_to_date, f.income_year_to_date, "",
                                       "no income this year"),
        "equity_growth": _ratio(f.equity - previous, previous, "",
                                "no equity a year earlier"),
    }


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

    @property
    def assessed(self) -> bool:
        return self.score is not None

    @property
    def lost_points(self) -> Fraction:
        """Weighted points below the top score (what the indicator costs the total)."""
        if self.score is None:
            return Fraction(0)
        return self.weight * (self.max_score - self.score) / self.max_score


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
        return all(i.assessed for i in self.indicators)

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
                               indicator.weight, None, None, regime.max_score, note)
    total = sum((q.weight for q in questions), Fraction(0))
    yes = sum((q.weight for q in questions if answers[q.key].answer), Fraction(0))
    share = yes / total
    # Scores are whole numbers: the share of the top score, rounded half up.
    exact = share * regime.max_score
    score = int(exact) + (1 if exact - int(exact) >= Fraction(1, 2) else 0)
    return IndicatorResult(indicator.key, indicator.name, indicator.aspect, indicator.kind,
                           indicator.weight, share * 100, score, regime.max_score,
                           f"{sum(1 for q in questions if answers[q.key].answer)} of "
                           f"{len(questions)} answered yes")


def _score_ratio(indicator: Indicator, regime: Regime, ratio: Ratio) -> IndicatorResult:
    def result(value: Fraction | None, score: int | None, note: str) -> IndicatorResult:
        return IndicatorResult(indicator.key, indicator.name, indicator.aspect, indicator.kind,
                               indicator.weight, value, score, regime.max_score, note,
                               ratio.numerator, ratio.denominator)

    if ratio.value is None:
        if indicator.when_undefined == "best" and ratio.numerator is not None:
            best = max(b.score for b in indicator.bands)
            return result(None, best, f"{ratio.reason}: scored as the best band")
        return result(None, None, f"not available: {ratio.reason}")
    percent = ratio.value * 100
    return result(percent, indicator.score(percent), "")


def assess(ctx: Context, regime: Regime, as_of: date, currency: str) -> Assessment:
    figures = figures_on(ctx, as_of, currency)
    ratios = compute_ratios(ctx, figures)
    answers = answers_as_of(ctx, regime, as_of)
    results = [
        _score_questionnaire(i, regime, answers) if i.kind == "questionnaire"
        else _score_ratio(i, regime, ratios[i.key])
        for i in regime.indicators
    ]
    assessed = [r for r in results if r.assessed]
    weight = sum((r.weight for r in assessed), Fraction(0))
    if weight == 0:
        score = None
        category = None
    else:
        points = sum((r.weight * (r.score or 0) / r.max_score for r in assessed), Fraction(0))
        score = points / weight * 100
        category = regime.category(score)
    return Assessment(as_of, currency, regime, figures, results, answers, score, category)
