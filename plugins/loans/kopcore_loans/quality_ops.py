"""Operations on loan quality: the kolektibilitas regime and loan policy, and an officer's
judgement of a loan (``loans regime``, ``loans set-regime``, ``loans judge``)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import attrs

from kopcore.context import Context
from kopcore.errors import Conflict, Forbidden, NotFound, ValidationError
from kopcore.operations import Operation
from kopcore_loans import policy_history
from kopcore_loans.kolektibilitas import (
    AllowancePosting,
    Policy,
    load_regime,
    policy,
    regime_codes,
    store_policy,
)
from kopcore_loans.loan import LoanStatus, get_loan, record_event, require_access, update_loan
from kopcore_loans.messages import _
from kopcore_loans.products import CollectibilityClass, collectibility, replace_classes
from kopcore_loans.tables import judgements
from kopcore_loans.views import ClassOut, LoanOut, loan_out

READ = "loans.read"
CONFIGURE = "loans.configure"
MANAGE = "loans.manage"


@attrs.frozen
class NoInput:
    """No parameters."""


@attrs.frozen
class SetRegimeIn:
    regime: str = attrs.field(metadata={
        "help": "bank-days or ksp-permenkukm-14-2009", "max_length": 64})
    deduct_collateral: bool = attrs.field(default=False, metadata={
        "help": "Deduct held collateral before a non-performing class's allowance rate"})
    allowance_posting: AllowancePosting = attrs.field(default=AllowancePosting.DAILY, metadata={
        "help": "Book the allowance daily or at month end"})
    keep_classes: bool = attrs.field(default=False, metadata={
        "help": "Keep the classes table (else it is reset to the regime's classes)"})


@attrs.frozen
class FrequencyRuleOut:
    name: str
    frequencies: list[str]
    principal_current_months: int
    principal_substandard_months: int
    interest_current_months: int
    interest_substandard_months: int


@attrs.frozen
class RegimeOut:
    """The kolektibilitas regime in force and the cooperative's loan policy."""

    regime: str
    name: str
    kind: str
    source: str
    deduct_collateral: bool
    allowance_posting: str
    non_accrual_roles: list[str]
    frequencies: list[FrequencyRuleOut]
    doubtful_cover_rescuable_percent: Decimal | None
    doubtful_cover_percent: Decimal | None
    macet_after_months: int | None
    classes: list[ClassOut]
    available: list[str]
    #: Every policy recorded, the oldest first: the regime and allowance policy in force from
    #: each date (a loan book or an assessment of a past date uses the one in force then).
    history: list[policy_history.PolicyChange]


@attrs.frozen
class JudgeIn:
    loan: str = attrs.field(metadata={"help": "Loan number, e.g. PJ00000001", "max_length": 32})
    rescuable: bool = attrs.field(metadata={
        "help": "Can the loan still be rescued (dapat diselamatkan)?"})
    note: str = attrs.field(metadata={"help": "Why: the officer's grounds", "max_length": 200})


def _percent(value: Fraction) -> Decimal:
    return Decimal(value.numerator) / Decimal(value.denominator)


def regime_out(ctx: Context) -> RegimeOut:
    chosen = policy(ctx)
    regime = load_regime(chosen.regime)
    ksp = regime.kind == "frequency"
    return RegimeOut(
        regime.code, regime.name, regime.kind, regime.source, chosen.deduct_collateral,
        chosen.allowance_posting.value, sorted(regime.non_accrual),
        [FrequencyRuleOut(r.name, list(r.frequencies), r.principal_current,
                          r.principal_substandard, r.interest_current, r.interest_substandard)
         for r in regime.frequencies],
        _percent(regime.doubtful_cover_rescuable) if ksp else None,
        _percent(regime.doubtful_cover) if ksp else None,
        regime.macet_after_months if ksp else None,
        [ClassOut.of(c) for c in collectibility(ctx)], regime_codes(),
        policy_history.changes(ctx))


def show_regime(ctx: Context, data: NoInput) -> RegimeOut:
    """The kolektibilitas regime in force, its rules and source, and the loan policy."""
    return regime_out(ctx)


def set_regime(ctx: Context, data: SetRegimeIn) -> RegimeOut:
    """Choose the kolektibilitas regime and the allowance policy; loans are reclassified at
    the next end of day."""
    regime = load_regime(data.regime)
    policy_history.before_change(ctx)
    if not data.keep_classes:
        replace_classes(ctx, [CollectibilityClass(c.code, c.name, c.min_days,
                                                  c.allowance_percent, c.non_performing,
                                                  c.role.value) for c in regime.classes])
    else:
        check_classes_fit(ctx, data.regime, collectibility(ctx))
    store_policy(ctx, Policy(regime.code, data.deduct_collateral, data.allowance_posting))
    policy_history.after_change(ctx)
    return regime_out(ctx)


def check_classes_fit(ctx: Context, regime_code: str,
                      classes: list[CollectibilityClass]) -> None:
    """Under a ``frequency`` regime the table must hold the regime's class codes (the regime
    names the class, the table gives its allowance and whether it is non-performing)."""
    regime = load_regime(regime_code)
    if regime.kind != "frequency":
        return
    missing = sorted({c.code for c in regime.classes} - {c.code for c in classes})
    if missing:
        raise ValidationError(_("the {regime} regime classes loans as {classes}; the table "
                                "lacks {missing}", regime=regime.code,
                                classes=', '.join(c.code for c in regime.classes),
                                missing=', '.join(missing)), field="classes")


def judge(ctx: Context, data: JudgeIn) -> LoanOut:
    """Record an officer's judgement of whether a loan can still be rescued (the KSP regime's
    Diragukan needs it for collateral under 100 % of the debt); applies from the next end of
    day."""
    loan = require_access(ctx, get_loan(ctx, data.loan, lock=True))
    if loan.status is not LoanStatus.ACTIVE:
        raise Conflict(_("loan {loan} is {status}", loan=loan.number,
                         status=loan.status.value))
    note = data.note.strip()
    if not note:
        raise ValidationError(_("record the grounds of the judgement"), field="note")
    loan = update_loan(ctx, loan, rescuable=data.rescuable, judged_by=ctx.actor,
                       judged_on=ctx.business_date, judgement_note=note[:200])
    ctx.conn.execute(judgements.insert().values(
        loan_id=loan.id, rescuable=data.rescuable, judged_by=ctx.actor,
        judged_on=ctx.business_date, note=note[:200]))
    record_event(ctx, loan, "judgement", 0,
                 note=f"{'dapat' if data.rescuable else 'tidak dapat'} diselamatkan: {note}")
    return loan_out(ctx, loan)


OPERATIONS: tuple[Operation, ...] = (
    Operation("loans.regime", NoInput, RegimeOut, show_regime, permission=READ, mutates=False,
              summary="Kolektibilitas regime and loan policy"),
    Operation("loans.set-regime", SetRegimeIn, RegimeOut, set_regime, permission=CONFIGURE,
              mutates=True, summary="Choose the kolektibilitas regime and allowance policy",
              errors=(ValidationError,)),
    Operation("loans.judge", JudgeIn, LoanOut, judge, permission=MANAGE, mutates=True,
              summary="Record whether a loan can be rescued",
              errors=(NotFound, Forbidden, Conflict, ValidationError)),
)
