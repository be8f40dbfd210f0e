"""Built-in plugin: health assessment, statements for the RAT and trend charts.

Operations ``health.assess``, ``health.questionnaire-set``, ``health.questionnaire-answer``
(a batch for one position date), ``health.questionnaire-show``,
``statements.rat`` and ``charts.trends``; the questionnaire answers live in the plugin's own
Alembic branch ``kopcore_oversight``. The work is done in :mod:`kopcore.oversight`.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from fractions import Fraction
from pathlib import Path

import attrs

from kopcore import hookimpl
from kopcore._oversight import charts, documents, statements, worksheet
from kopcore._oversight.assessment import Assessment, IndicatorResult, assess
from kopcore._oversight.questionnaire import (
    Answer,
    Given,
    answers_as_of,
    record_answer,
    record_answers,
)
from kopcore._oversight.scoring import (
    DEFAULT_REGIME,
    Question,
    Regime,
    load_regime,
    percent_text,
)
from kopcore.context import Context
from kopcore.errors import NotFound, ValidationError, message
from kopcore.ledger._offices import REPORT_OFFICE, REPORT_OFFICE_FIELDS, books_of
from kopcore.money import Money
from kopcore.operations import Operation
from kopcore.records import FigureUnit, MigrationSource, PermissionSpec
from kopcore.settings import Settings

#: Who may answer the non-financial questionnaire.
ANSWER = "health.answer"
#: Everything else here reads reports.
READ = "reports.read"


class RegimeCode(enum.StrEnum):
    """The scoring tables shipped in ``kopcore/_oversight/regimes``."""

    PERMENKOP_9_2020 = "permenkop-9-2020"
    PERDEP_06_2016 = "perdep-06-2016"
    PERDEP_07_2016 = "perdep-07-2016"


class YesNo(enum.StrEnum):
    YES = "yes"
    NO = "no"


class WorksheetFormat(enum.StrEnum):
    JSON = "json"
    HTML = "html"


class DocumentFormat(enum.StrEnum):
    JSON = "json"
    CSV = "csv"
    HTML = "html"


REGIME_HELP = {"help": f"Scoring table (default: {DEFAULT_REGIME})"}


def _as_of(ctx: Context, as_of: date | None) -> date:
    day = as_of or ctx.business_date
    if day > ctx.business_date:
        raise ValidationError(message("as_of {day} is after the current business date "
                                      "{business_date}", day=day,
                                      business_date=ctx.business_date), field="as_of")
    return day


def _pct(value: Fraction | None) -> str | None:
    return None if value is None else percent_text(value)


# --- health.assess ----------------------------------------------------------------------------


@attrs.frozen
class AssessIn:
    as_of: date | None = attrs.field(default=None,
                                     metadata={"help": "Business date (default: current)"})
    regime: RegimeCode = attrs.field(default=RegimeCode(DEFAULT_REGIME), metadata=REGIME_HELP)
    office: str | None = attrs.field(default=None, metadata=REPORT_OFFICE)
    format: WorksheetFormat = attrs.field(
        default=WorksheetFormat.JSON,
        metadata={"help": "json (the worksheet as data) or html (also the printable worksheet "
                          "in 'document')"})
    unit: str | None = attrs.field(default=None, metadata={
        "help": "One unit's books (units list), e.g. syariah for a sharia unit assessed under "
                "perdep-07-2016; default: the cooperative's", "max_length": 32})


@attrs.frozen
class PartOut:
    """One term of a ratio's numerator or denominator and where it comes from (a GL account,
    the year's income or expenses of a GL account, or a plugin's figure)."""

    label: str
    source: str
    amount: Money


@attrs.frozen
class AspectOut:
    """An aspect's total on the worksheet."""

    name: str
    weight: str
    #: Weighted points earned by its assessed indicators.
    points: str
    #: Points earned out of the weight assessed, in percent; None: nothing assessed.
    percent: str | None


@attrs.frozen
class IndicatorOut:
    key: str
    name: str
    aspect: str
    kind: str
    weight: str
    #: The ratio in percent (two decimals, half up); questionnaires: the share answered yes.
    value_percent: str | None
    numerator: Money | None
    denominator: Money | None
    score: int | None
    max_score: int
    #: Weighted points below the top score, out of 100 for all weights together.
    points_lost: str
    note: str
    #: The worksheet's columns: what the numerator and denominator are made of, the band the
    #: value fell in, the weighted points earned (weight x score / top score).
    numerator_parts: list[PartOut] = attrs.field(factory=list)
    denominator_parts: list[PartOut] = attrs.field(factory=list)
    band: str = ""
    points: str | None = None
    #: Where the indicator's table comes from, and whether it was read in the regulation
    #: (verified), taken from a summary (unverified) or not found (placeholder bands).
    source: str = ""
    status: str = "verified"


@attrs.frozen
class PluginFigureOut:
    key: str
    label: str
    amount: Money | None
    count: int | None
    plugins: list[str]


@attrs.frozen
class LedgerFiguresOut:
    total_assets: Money
    total_liabilities: Money
    equity: Money
    cash_and_bank: Money
    income_year_to_date: Money
    expenses_year_to_date: Money
    member_savings: Money
    active_members: int


@attrs.frozen
class AssessmentOut:
    """Health assessment (penilaian kesehatan) as of a date."""

    as_of: date
    regime: str
    regime_name: str
    source: str
    #: 0-100 with two decimals; None when nothing could be assessed.
    score: str | None
    category: str | None
    #: False when an indicator could not be assessed (see its note): the score is provisional.
    complete: bool
    #: Indicators below their top score, the costliest first.
    pulling_down: list[str]
    indicators: list[IndicatorOut]
    ledger_figures: LedgerFiguresOut
    plugin_figures: list[PluginFigureOut]
    aspects: list[AspectOut] = attrs.field(factory=list)
    #: The printable worksheet (format html); None for json.
    document: str | None = None


def _indicator_out(i: IndicatorResult, currency: str, total_weight: Fraction) -> IndicatorOut:
    def money(v: int | None) -> Money | None:
        return None if v is None or i.kind != "ratio" else Money(v, currency)

    lost = i.lost_points * 100 / total_weight if total_weight else Fraction(0)
    return IndicatorOut(i.key, i.name, i.aspect, i.kind, percent_text(i.weight),
                        _pct(i.value), money(i.numerator), money(i.denominator), i.score,
                        i.max_score, percent_text(lost), i.note,
                        [PartOut(p.label, p.source, Money(p.amount, currency))
                         for p in i.numerator_parts],
                        [PartOut(p.label, p.source, Money(p.amount, currency))
                         for p in i.denominator_parts],
                        i.band, _pct(i.points), i.source, i.status)


def assessment_out(a: Assessment, fmt: WorksheetFormat = WorksheetFormat.JSON,
                   settings: Settings | None = None) -> AssessmentOut:
    """The assessment as the operation answers it; with ``fmt`` html also the printable
    worksheet, headed by the identity of the cooperative ``settings`` describe."""
    cur, f = a.currency, a.figures
    weight = sum((i.weight for i in a.indicators if i.assessed), Fraction(0))
    return AssessmentOut(
        a.as_of, a.regime.code, a.regime.name, a.regime.source, a.score_text, a.category,
        a.complete, [i.key for i in a.pulling_down],
        [_indicator_out(i, cur, weight) for i in a.indicators],
        LedgerFiguresOut(Money(f.total_assets, cur), Money(f.total_liabilities, cur),
                         Money(f.equity, cur), Money(f.cash_and_bank, cur),
                         Money(f.income_year_to_date, cur), Money(f.expenses_year_to_date, cur),
                         Money(f.savings, cur), f.members),
        [PluginFigureOut(p.key, p.label,
                         Money(p.value, cur) if p.unit is FigureUnit.MONEY else None,
                         p.value if p.unit is FigureUnit.COUNT else None, list(p.plugins))
         for p in f.plugin.values()],
        [AspectOut(x.name, percent_text(x.weight), percent_text(x.points), _pct(x.percent))
         for x in a.aspects],
        worksheet.to_html(a, settings or Settings()) if fmt is WorksheetFormat.HTML else None,
    )


def health_assess(ctx: Context, data: AssessIn) -> AssessmentOut:
    """Score the cooperative's health as of a date and fill the examiner's worksheet: per
    aspect each ratio's numerator and denominator traced to GL accounts and plugins' figures,
    its value, band, score and weighted points, the aspect totals, the category and what pulls
    it down. On the CLI: ``kopcore health assess --regime perdep-06-2016 --format html
    --output worksheet.html``."""
    regime = load_regime(data.regime.value)
    ctx = ctx.for_books_of(books_of(ctx.conn, data.office))
    return assessment_out(assess(ctx, regime, _as_of(ctx, data.as_of), ctx.settings.currency,
                                 data.unit), data.format, ctx.settings)


# --- questionnaire ----------------------------------------------------------------------------

APPLIES_ON_HELP = {"help": "Position date the answers apply to, e.g. the year end being "
                           "examined (default: the business date; not after it)"}


@attrs.frozen
class AnswerIn:
    question: str = attrs.field(metadata={"help": "Question key (see questionnaire-show)",
                                          "max_length": 64})
    answer: YesNo = attrs.field(metadata={"help": "yes (met) or no"})
    note: str = attrs.field(default="", metadata={"help": "Evidence or remark",
                                                  "max_length": 500})
    regime: RegimeCode = attrs.field(default=RegimeCode(DEFAULT_REGIME), metadata=REGIME_HELP)
    applies_on: date | None = attrs.field(default=None, metadata=APPLIES_ON_HELP)


@attrs.frozen
class QuestionOut:
    indicator: str
    key: str
    text: str
    answer: bool | None
    note: str
    answered_by: str | None
    #: The business date the answer was recorded on.
    business_date: date | None
    recorded_at: datetime | None
    #: The position date the answer applies to.
    applies_on: date | None = None
    #: The indicator's name in the regime.
    indicator_name: str = ""


@attrs.frozen
class QuestionnaireIn:
    as_of: date | None = attrs.field(default=None,
                                     metadata={"help": "Answers in force for this position "
                                                       "date (default: the business date)"})
    regime: RegimeCode = attrs.field(default=RegimeCode(DEFAULT_REGIME), metadata=REGIME_HELP)


@attrs.frozen
class QuestionnaireOut:
    """The non-financial questionnaire with the answers in force on a date."""

    regime: str
    as_of: date
    questions: list[QuestionOut]


def _question_out(regime: Regime, q: Question, a: Answer | None) -> QuestionOut:
    name = next((i.name for i in regime.indicators if i.key == q.indicator), q.indicator)
    if a is None:
        return QuestionOut(q.indicator, q.key, q.text, None, "", None, None, None, None, name)
    return QuestionOut(q.indicator, q.key, q.text, a.answer, a.note, a.answered_by,
                       a.business_date, a.recorded_at, a.applies_on, name)


def questionnaire_show(ctx: Context, data: QuestionnaireIn) -> QuestionnaireOut:
    """The questionnaire of a regime and each question's answer in force for a position date:
    the answer for the latest position on or before it, the last recorded (who, when)."""
    regime = load_regime(data.regime.value)
    day = _as_of(ctx, data.as_of)
    given = answers_as_of(ctx, regime, day)
    return QuestionnaireOut(regime.code, day,
                            [_question_out(regime, q, given.get(q.key))
                             for q in regime.questions])


def questionnaire_set(ctx: Context, data: AnswerIn) -> QuestionOut:
    """Answer one question of the non-financial questionnaire for a position date (stored with
    who and when; earlier answers stay on record). To answer many at once:
    ``health.questionnaire-answer``."""
    regime = load_regime(data.regime.value)
    question = regime.question(data.question)
    a = record_answer(ctx, regime, data.question, data.answer is YesNo.YES, data.note,
                      data.applies_on)
    return _question_out(regime, question, a)


@attrs.frozen
class GivenAnswerIn:
    """One answer of a batch."""

    question: str = attrs.field(metadata={"help": "Question key (see questionnaire-show)",
                                          "max_length": 64})
    answer: YesNo = attrs.field(metadata={"help": "yes (met) or no"})
    note: str = attrs.field(default="", metadata={"help": "Evidence or remark",
                                                  "max_length": 500})


@attrs.frozen
class AnswersIn:
    answers: list[GivenAnswerIn] = attrs.field(metadata={
        "help": "The answers: a JSON array of {question, answer, note}; on the CLI also "
                "@answers.json or @answers.csv (columns question,answer,note)"})
    regime: RegimeCode = attrs.field(default=RegimeCode(DEFAULT_REGIME), metadata=REGIME_HELP)
    applies_on: date | None = attrs.field(default=None, metadata=APPLIES_ON_HELP)


@attrs.frozen
class AnswersOut:
    """The answers recorded, for one regime and one position date."""

    regime: str
    applies_on: date
    recorded: int
    answers: list[QuestionOut]


def questionnaire_answer(ctx: Context, data: AnswersIn) -> AnswersOut:
    """Answer many questions of one regime for one position date in one go, all or none: a
    question unknown in the regime, given twice or an invalid answer refuses the whole batch,
    naming it. Stored with who and when; earlier answers stay on record. On the CLI: ``kopcore
    health questionnaire-answer --regime permenkop-9-2020 --applies-on 2026-12-31 --answers
    @answers.csv``."""
    regime = load_regime(data.regime.value)
    recorded = record_answers(ctx, regime, data.applies_on,
                              [Given(a.question, a.answer is YesNo.YES, a.note)
                               for a in data.answers])
    day = recorded[0].applies_on
    return AnswersOut(regime.code, day, len(recorded),
                      [_question_out(regime, regime.question(a.question), a)
                       for a in recorded])


# --- statements.rat ---------------------------------------------------------------------------


@attrs.frozen
class RatIn:
    year: int = attrs.field(metadata={"help": "Financial year", "minimum": 1901,
                                      "maximum": 9999})
    format: DocumentFormat = attrs.field(
        default=DocumentFormat.JSON,
        metadata={"help": "json (the statements as data), csv or html (the document text in "
                          "'document')"})
    office: str | None = attrs.field(default=None, metadata=REPORT_OFFICE)


@attrs.frozen
class LineOut:
    code: str
    name: str
    current: Money
    previous: Money


@attrs.frozen
class StatementSectionOut:
    title: str
    lines: list[LineOut]
    total_current: Money
    total_previous: Money


@attrs.frozen
class FinancialPositionOut:
    assets: StatementSectionOut
    liabilities: StatementSectionOut
    equity: StatementSectionOut
    current_surplus: LineOut
    liabilities_and_equity_current: Money
    liabilities_and_equity_previous: Money
    #: Sections presented between liabilities and equity (dana syirkah temporer), included in
    #: the totals of liabilities and equity (contract 1.1).
    between_liabilities_and_equity: list[StatementSectionOut] = attrs.field(factory=list)


@attrs.frozen
class OperatingResultsOut:
    member_income: StatementSectionOut
    non_member_income: StatementSectionOut
    member_expenses: StatementSectionOut
    other_expenses: StatementSectionOut
    member_surplus_current: Money
    member_surplus_previous: Money
    surplus_current: Money
    surplus_previous: Money


@attrs.frozen
class EquityMovementOut:
    code: str
    name: str
    opening: Money
    increases: Money
    decreases: Money
    closing: Money


@attrs.frozen
class ChangesInEquityOut:
    current: list[EquityMovementOut]
    previous: list[EquityMovementOut]


@attrs.frozen
class CashFlowsOut:
    operating: StatementSectionOut
    investing: StatementSectionOut
    financing: StatementSectionOut
    net_change_current: Money
    net_change_previous: Money
    opening_cash: LineOut
    closing_cash: LineOut


@attrs.frozen
class RatOut:
    """Financial statements for the RAT, with the previous year's figures beside them."""

    year: int
    currency: str
    format: str
    financial_position: FinancialPositionOut
    operating_results: OperatingResultsOut
    changes_in_equity: ChangesInEquityOut
    cash_flows: CashFlowsOut
    #: The CSV or HTML document (format csv or html); None for json.
    document: str | None


def _line(line: statements.Line, cur: str) -> LineOut:
    return LineOut(line.code, line.name, Money(line.current, cur), Money(line.previous, cur))


def _section(s: statements.Section, cur: str) -> StatementSectionOut:
    return StatementSectionOut(s.title, [_line(x, cur) for x in s.lines],
                               Money(s.current, cur), Money(s.previous, cur))


def _movement(m: statements.EquityMovement, cur: str) -> EquityMovementOut:
    return EquityMovementOut(m.code, m.name, Money(m.opening, cur), Money(m.increases, cur),
                             Money(m.decreases, cur), Money(m.closing, cur))


def rat_out(s: statements.RatStatements, fmt: DocumentFormat) -> RatOut:
    cur = s.currency
    fp, op, ce, cf = (s.financial_position, s.operating_results, s.changes_in_equity,
                      s.cash_flows)
    operating, investing, financing = cf.activities
    document = {DocumentFormat.CSV: documents.to_csv, DocumentFormat.HTML: documents.to_html
                }.get(fmt)
    return RatOut(
        s.year, cur, fmt.value,
        FinancialPositionOut(_section(fp.assets, cur), _section(fp.liabilities, cur),
                             _section(fp.equity, cur), _line(fp.current_surplus, cur),
                             Money(fp.liabilities_and_equity[0], cur),
                             Money(fp.liabilities_and_equity[1], cur),
                             [_section(x, cur) for x in fp.between]),
        OperatingResultsOut(_section(op.member_income, cur), _section(op.non_member_income, cur),
                            _section(op.member_expenses, cur), _section(op.other_expenses, cur),
                            *(Money(v, cur) for v in op.member_surplus),
                            *(Money(v, cur) for v in op.surplus)),
        ChangesInEquityOut([_movement(m, cur) for m in [*ce.current, ce.surplus_current]],
                           [_movement(m, cur) for m in [*ce.previous, ce.surplus_previous]]),
        CashFlowsOut(operating=_section(operating, cur), investing=_section(investing, cur),
                     financing=_section(financing, cur),
                     net_change_current=Money(cf.net_change[0], cur),
                     net_change_previous=Money(cf.net_change[1], cur),
                     opening_cash=_line(cf.opening_cash, cur),
                     closing_cash=_line(cf.closing_cash, cur)),
        None if document is None else document(s),
    )


def statements_rat(ctx: Context, data: RatIn) -> RatOut:
    """Statements for the RAT for a financial year, with the previous year beside it:
    financial position, operating results (member and non-member business), changes in equity
    and cash flows; as data (json) or as a CSV or printable HTML document. On the CLI:
    ``kopcore statements rat --year 2026 --format html --output rat.html``."""
    if data.year > ctx.business_date.year:
        raise ValidationError(message("financial year {year} has not started (business date "
                                      "{business_date})", year=data.year,
                                      business_date=ctx.business_date), field="year")
    ctx = ctx.for_books_of(books_of(ctx.conn, data.office))
    return rat_out(statements.rat_statements(ctx, data.year, ctx.settings.currency),
                   data.format)


# --- charts.trends ----------------------------------------------------------------------------


@attrs.frozen
class TrendsIn:
    months: int = attrs.field(default=12, metadata={"help": "Month ends to show",
                                                    "minimum": 1, "maximum": 60})
    until: date | None = attrs.field(default=None,
                                     metadata={"help": "Last date (default: current business "
                                                       "date)"})
    regime: RegimeCode = attrs.field(default=RegimeCode(DEFAULT_REGIME), metadata=REGIME_HELP)
    office: str | None = attrs.field(default=None, metadata=REPORT_OFFICE)


@attrs.frozen
class TrendPointOut:
    date: date
    member_savings: Money
    loans_outstanding: Money | None
    active_members: int
    npl_percent: str | None
    health_score: str | None
    category: str | None


@attrs.frozen
class TrendsOut:
    """Month-end figures and a self-contained HTML page of SVG charts of them."""

    points: list[TrendPointOut]
    document: str


def charts_trends(ctx: Context, data: TrendsIn) -> TrendsOut:
    """Savings, loans, members, NPL and the health score at each month end, as figures and as
    an HTML page with SVG charts (no script, nothing fetched). On the CLI:
    ``kopcore charts trends --output trends.html``."""
    regime = load_regime(data.regime.value)
    ctx = ctx.for_books_of(books_of(ctx.conn, data.office))
    cur = ctx.settings.currency
    days = charts.month_ends(_as_of(ctx, data.until), data.months)
    points = charts.trend_points(ctx, regime, days, cur)
    page = charts.trends_page(ctx.settings.cooperative_name, cur, regime, points)
    return TrendsOut([
        TrendPointOut(p.day, Money(p.savings, cur),
                      None if p.loans is None else Money(p.loans, cur), p.members,
                      _pct(p.npl), _pct(p.score), p.category)
        for p in points], page)


# --- hooks ------------------------------------------------------------------------------------


@hookimpl
def kopcore_migrations() -> MigrationSource:
    return MigrationSource(branch="kopcore_oversight",
                           path=Path(__file__).resolve().parent.parent / "_oversight"
                           / "migrations")


@hookimpl
def kopcore_permissions() -> list[PermissionSpec]:
    return [PermissionSpec(ANSWER, "Answer the health assessment's questionnaire",
                           ("manager",))]


@hookimpl
def kopcore_operations() -> list[Operation]:
    return [
        Operation("health.assess", AssessIn, AssessmentOut, health_assess, permission=READ,
                  mutates=False, summary="Health assessment worksheet as of a date",
                  errors=(ValidationError, NotFound), office_fields=REPORT_OFFICE_FIELDS,
                  document_field="document"),
        Operation("health.questionnaire-show", QuestionnaireIn, QuestionnaireOut,
                  questionnaire_show, permission=READ, mutates=False,
                  summary="Questionnaire and its answers", errors=(ValidationError,)),
        Operation("health.questionnaire-set", AnswerIn, QuestionOut, questionnaire_set,
                  permission=ANSWER, mutates=True, summary="Answer a questionnaire question",
                  errors=(ValidationError,)),
        Operation("health.questionnaire-answer", AnswersIn, AnswersOut, questionnaire_answer,
                  permission=ANSWER, mutates=True,
                  summary="Answer the questionnaire for a position date",
                  errors=(ValidationError,)),
        Operation("statements.rat", RatIn, RatOut, statements_rat, permission=READ,
                  mutates=False, summary="Financial statements for the RAT",
                  errors=(ValidationError, NotFound), document_field="document",
                  office_fields=REPORT_OFFICE_FIELDS),
        Operation("charts.trends", TrendsIn, TrendsOut, charts_trends, permission=READ,
                  mutates=False, summary="Trend charts (HTML with SVG)",
                  errors=(ValidationError, NotFound), document_field="document",
                  office_fields=REPORT_OFFICE_FIELDS),
    ]
