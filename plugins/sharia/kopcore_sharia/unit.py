"""The sharia unit's own books: the kernel's unit mechanism (``kopcore_units``, contract 1.1)
with the plugin's GL accounts, and its trial balance, financial position and operating results
(the kernel's reports of unit ``syariah``, also read with ``reports ... --unit syariah``).

A sharia unit (USPPS) beside a conventional business keeps separable books: its GL accounts are
the plugin's own (financing, wadiah, mudharabah, ZIS, the unit's cash ``sharia.cash`` and the
inter-office account ``sharia.unit_funds`` through which the head office funds it) plus any the
operator adds (``sharia.unit-include``). The head office's side of the inter-office account
(``sharia.head_office_investment``) stays in the conventional books. A KSPPS running sharia
products alone includes its whole chart (cash, equity...) and so reads its whole books here.
An entry funding the unit posts both sides::

    Dr Kas Unit Syariah (sharia.cash)               Cr RAK Kantor Pusat (sharia.unit_funds)
    Dr RAK Unit Syariah (sharia.head_office_investment)   Cr Kas (cash)

so each set of books balances on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import attrs
import sqlalchemy as sa

from kopcore import ledger, query
from kopcore.context import Context
from kopcore.errors import Conflict, NotFound, ValidationError
from kopcore.money import Money
from kopcore.operations import Operation
from kopcore.records import GLType, UnitSpec
from kopcore_sharia import chart
from kopcore_sharia.messages import _
from kopcore_sharia.tables import unit_gl

#: The sharia unit's key among the cooperative's units (``units list``).
UNIT = "syariah"
#: The inter-office account between the unit and the head office, on both sides.
INTER_UNIT = frozenset({chart.UNIT_FUNDS, chart.HEAD_OFFICE_INVESTMENT})


def unit_keys(ctx: Context) -> set[str]:
    own = {s.key for s in chart.GL_ACCOUNTS if s.key not in chart.HEAD_OFFICE_KEYS}
    return own | set(ctx.conn.execute(sa.select(unit_gl.c.gl_key)).scalars())


def unit_spec(ctx: Context) -> UnitSpec:
    """The sharia unit as the kernel's units know it (``kopcore_units``)."""
    return UnitSpec(UNIT, "Unit Syariah", frozenset(unit_keys(ctx)), INTER_UNIT)


@attrs.frozen
class UnitIncludeIn:
    gl_key: str = attrs.field(metadata={"help": "GL account key, e.g. cash or equity.pokok",
                                        "max_length": 64})
    include: bool = attrs.field(default=True, metadata={
        "help": "true adds it to the sharia unit's books, false removes it"})


@attrs.frozen
class UnitAccountsOut:
    gl_keys: list[str]


@attrs.frozen
class AsOfIn:
    as_of: date | None = attrs.field(default=None, metadata={
        "help": "Business date (default: the current one)"})


@attrs.frozen
class PeriodIn:
    from_date: date = attrs.field(metadata={"help": "First business date"})
    to_date: date = attrs.field(metadata={"help": "Last business date"})


@attrs.frozen
class LineOut:
    key: str
    code: str
    name: str
    type: str
    debit: Money
    credit: Money
    balance: Money


@attrs.frozen
class TrialBalanceOut:
    as_of: date
    lines: list[LineOut]
    total_debit: Money
    total_credit: Money
    balanced: bool


@attrs.frozen
class SectionOut:
    title: str
    lines: list[LineOut]
    total: Money


@attrs.frozen
class FinancialPositionOut:
    as_of: date
    assets: SectionOut
    liabilities: SectionOut
    equity: SectionOut
    current_surplus: Money
    liabilities_and_equity: Money
    #: Dana syirkah temporer (mudharabah savings and deposits), between liabilities and equity;
    #: in ``liabilities_and_equity``.
    temporary_syirkah: SectionOut


@attrs.frozen
class OperatingResultsOut:
    from_date: date
    to_date: date
    income: SectionOut
    expenses: SectionOut
    surplus: Money


def _lines(ctx: Context, balances: Sequence[Any]) -> list[LineOut]:
    """The unit's GL balances (the kernel's report of the unit), in the settings' currency."""
    currency = ctx.settings.currency
    return [LineOut(b.key, b.code, b.name, b.type.value, b.debit, b.credit, b.balance)
            for b in balances if b.currency == currency]


def _section(title: str, lines: list[LineOut], *types: GLType, currency: str) -> SectionOut:
    chosen = [x for x in lines if x.type in {t.value for t in types}]
    return SectionOut(title, chosen, Money(sum(x.balance.minor for x in chosen), currency))


def unit_include(ctx: Context, data: UnitIncludeIn) -> UnitAccountsOut:
    """Add a GL account to (or remove it from) the sharia unit's books."""
    if query.gl_account_type(ctx, data.gl_key) is None:
        raise NotFound(_("GL account '{gl_key}' not in the chart",
                         gl_key=data.gl_key), field="gl_key")
    present = ctx.conn.execute(sa.select(unit_gl.c.gl_key)
                               .where(unit_gl.c.gl_key == data.gl_key)).first()
    if data.gl_key in chart.SHARIA_GL_KEYS:
        raise Conflict(_("the plugin's own GL accounts are placed by the plugin"), field="gl_key")
    if data.include and not present:
        ctx.conn.execute(unit_gl.insert().values(gl_key=data.gl_key))
    elif not data.include and present:
        ctx.conn.execute(sa.delete(unit_gl).where(unit_gl.c.gl_key == data.gl_key))
    return unit_accounts(ctx, None)


def unit_accounts(ctx: Context, data: object) -> UnitAccountsOut:
    """The GL accounts making up the sharia unit's books."""
    return UnitAccountsOut(sorted(unit_keys(ctx)))


@attrs.frozen
class NoInput:
    pass


def trial_balance(ctx: Context, data: AsOfIn) -> TrialBalanceOut:
    """Trial balance of the sharia unit alone."""
    as_of = data.as_of or ctx.business_date
    lines = _lines(ctx, ledger.trial_balance(ctx, as_of, unit=UNIT)["lines"])
    currency = ctx.settings.currency
    debit = Money(sum(x.debit.minor for x in lines), currency)
    credit = Money(sum(x.credit.minor for x in lines), currency)
    return TrialBalanceOut(as_of, lines, debit, credit, debit == credit)


def financial_position(ctx: Context, data: AsOfIn) -> FinancialPositionOut:
    """Statement of financial position of the sharia unit alone: the kernel's, of unit
    ``syariah``, with mudharabah funds as dana syirkah temporer between liabilities and
    equity."""
    as_of = data.as_of or ctx.business_date
    currency = ctx.settings.currency
    r = ledger.financial_position(ctx, as_of, currency, unit=UNIT)

    def section(s: Any) -> SectionOut:
        return SectionOut(s.title, _lines(ctx, s.lines), s.total)

    between = {s.title: section(s) for s in r["between_liabilities_and_equity"]}
    return FinancialPositionOut(as_of, section(r["assets"]), section(r["liabilities"]),
                                section(r["equity"]), r["current_surplus"],
                                r["liabilities_and_equity"],
                                between.get(chart.TEMPORARY_SYIRKAH, SectionOut(
                                    chart.TEMPORARY_SYIRKAH, [], Money(0, currency))))


def operating_results(ctx: Context, data: PeriodIn) -> OperatingResultsOut:
    """Statement of operating results of the sharia unit alone, for a period."""
    if data.from_date > data.to_date:
        raise ValidationError(_("from_date is after to_date"), field="from_date")
    currency = ctx.settings.currency
    r = ledger.operating_results(ctx, data.from_date, data.to_date, currency, unit=UNIT)
    lines = _lines(ctx, [*r["income"].lines, *r["expenses"].lines])
    income = _section("Pendapatan", lines, GLType.INCOME, currency=currency)
    expenses = _section("Beban", lines, GLType.EXPENSE, currency=currency)
    return OperatingResultsOut(data.from_date, data.to_date, income, expenses,
                               income.total - expenses.total)


OPERATIONS: tuple[Operation, ...] = (
    Operation("sharia.unit-include", UnitIncludeIn, UnitAccountsOut, unit_include,
              permission=chart.MANAGE, mutates=True,
              summary="Add a GL account to the sharia unit's books, or remove it",
              errors=(NotFound, Conflict)),
    Operation("sharia.unit-accounts", NoInput, UnitAccountsOut, unit_accounts,
              permission=chart.REPORTS, mutates=False,
              summary="GL accounts of the sharia unit's books"),
    Operation("sharia.unit-trial-balance", AsOfIn, TrialBalanceOut, trial_balance,
              permission=chart.REPORTS, mutates=False,
              summary="Trial balance of the sharia unit"),
    Operation("sharia.unit-financial-position", AsOfIn, FinancialPositionOut,
              financial_position, permission=chart.REPORTS, mutates=False,
              summary="Statement of financial position of the sharia unit"),
    Operation("sharia.unit-operating-results", PeriodIn, OperatingResultsOut,
              operating_results, permission=chart.REPORTS, mutates=False,
              summary="Statement of operating results of the sharia unit",
              errors=(ValidationError,)),
)
