"""Kolektibilitas regimes: how a loan's class is judged, kept as data (``regimes/*.toml``).

Two regimes ship, and a cooperative picks one (``loans set-regime``, stored in
``loans_settings``):

- ``bank-days`` (the default): the class is the last in the classes table whose ``min_days``
  the loan's days past due reach (BPR style; the table is the cooperative's, ``set-classes``).
- ``ksp-permenkukm-14-2009``: the KSP/USP criteria an examiner of the Dinas Koperasi applies.
  Arrears are judged against the installment frequency: the age in calendar months of the
  oldest unpaid principal and of the oldest unpaid interest, each against the bounds of the
  loan's frequency group (:class:`FrequencyRule`). Beyond Kurang Lancar a loan is Diragukan when
  its held collateral covers at least 75 % of its debt (principal outstanding and interest in
  arrears) and an officer has judged it rescuable, or at least 100 % whatever the judgement;
  otherwise Macet — and Macet too once it has been Diragukan for 21 months with no repayment
  and no rescue (a restructuring, ``loans.restructure``) in them.

Each class has a role (current, special-mention, substandard, doubtful, loss): the health
worksheet's problem-loan risk weighs substandard, doubtful and loss loans. The regime also names
the classes whose interest is not income until received (non-accrual, kept in memorandum).
"""

from __future__ import annotations

import enum
import tomllib
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any

import attrs
import sqlalchemy as sa

from kopcore.context import Context
from kopcore.errors import ConfigurationError, ValidationError
from kopcore_loans.loan import Loan, LoanStatus, earned_interest, schedule_rows
from kopcore_loans.messages import _
from kopcore_loans.schedule import add_months
from kopcore_loans.tables import settings

REGIMES_DIR = Path(__file__).parent / "regimes"
DEFAULT_REGIME = "bank-days"


class Role(enum.StrEnum):
    CURRENT = "current"
    SPECIAL_MENTION = "special-mention"
    SUBSTANDARD = "substandard"
    DOUBTFUL = "doubtful"
    LOSS = "loss"


#: The KSP health worksheet's problem-loan risk weighs the outstanding of each class by its role
#: (Perdep 06/Per/Dep.6/IV/2016 annex: 50 % Kurang Lancar + 75 % Diragukan + 100 % Macet).
PROBLEM_LOAN_WEIGHTS = {"substandard": Fraction(1, 2), "doubtful": Fraction(3, 4),
                        "loss": Fraction(1)}


def problem_loan_risk(outstanding_by_role: dict[str, int], unit: int) -> int:
    """50 % x substandard + 75 % x doubtful + 100 % x loss, rounded half up once to ``unit``."""
    exact = sum((outstanding_by_role.get(role, 0) * weight
                 for role, weight in PROBLEM_LOAN_WEIGHTS.items()), Fraction(0))
    return (2 * exact.numerator + exact.denominator * unit) // (2 * exact.denominator * unit) \
        * unit


class AllowancePosting(enum.StrEnum):
    """When end of day books the allowance (PPAP): every day, or at each month's end."""

    DAILY = "daily"
    MONTH_END = "month-end"


@attrs.frozen
class RegimeClass:
    code: str
    name: str
    role: Role
    min_days: int
    allowance_percent: Decimal
    non_performing: bool


@attrs.frozen
class FrequencyRule:
    """Arrears bounds (months) for a group of installment frequencies: up to ``*_current``
    Lancar, up to ``*_substandard`` Kurang Lancar, beyond it worse."""

    name: str
    frequencies: tuple[str, ...]
    principal_current: int
    principal_substandard: int
    interest_current: int
    interest_substandard: int


@attrs.frozen
class Regime:
    code: str
    name: str
    kind: str  # "days" or "frequency"
    source: str
    classes: tuple[RegimeClass, ...]
    #: Roles of the classes whose interest is not income until received.
    non_accrual: frozenset[str]
    frequencies: tuple[FrequencyRule, ...] = ()
    doubtful_cover_rescuable: Fraction = Fraction(75)
    doubtful_cover: Fraction = Fraction(100)
    macet_after_months: int = 21

    def code_of(self, role: Role) -> str:
        for cls in self.classes:
            if cls.role is role:
                return cls.code
        raise ConfigurationError(f"regime {self.code} has no {role.value} class")

    def rule(self, frequency: str) -> FrequencyRule:
        for rule in self.frequencies:
            if frequency in rule.frequencies:
                return rule
        raise ConfigurationError(f"regime {self.code} has no rule for {frequency} "
                                 "installments")


def _fraction(value: Any, where: str) -> Fraction:
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise ConfigurationError(f"{where}: write numbers as decimal strings, like \"75\"")
    try:
        return Fraction(Decimal(value))
    except (InvalidOperation, ValueError):
        raise ConfigurationError(f"{where}: {value!r} is not a decimal number") from None


def parse_regime(data: dict[str, Any], origin: str) -> Regime:
    """Check and build a regime from TOML data (``origin`` names it in error messages)."""
    try:
        classes = tuple(
            RegimeClass(str(c["code"]), str(c["name"]), Role(c["role"]), int(c["min_days"]),
                        Decimal(str(c["allowance_percent"])), bool(c["non_performing"]))
            for c in data["classes"])
        kind = str(data["kind"])
        frequencies = tuple(
            FrequencyRule(str(f["name"]), tuple(str(x) for x in f["frequencies"]),
                          int(f["principal_current"]), int(f["principal_substandard"]),
                          int(f["interest_current"]), int(f["interest_substandard"]))
            for f in data.get("frequencies", ()))
        regime = Regime(
            str(data["code"]), str(data["name"]), kind, str(data["source"]).strip(), classes,
            frozenset(Role(r).value for r in data.get("non_accrual", ())), frequencies,
            _fraction(data.get("doubtful_cover_rescuable", "75"), origin),
            _fraction(data.get("doubtful_cover", "100"), origin),
            int(data.get("macet_after_months", 21)))
    except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
        raise ConfigurationError(f"{origin}: malformed kolektibilitas regime ({exc!r})"
                                 ) from None
    if kind not in ("days", "frequency"):
        raise ConfigurationError(f"{origin}: kind is days or frequency")
    codes = [c.code for c in classes]
    if len(set(codes)) != len(codes):
        raise ConfigurationError(f"{origin}: class codes must be unique")
    if kind == "frequency":
        for role in (Role.CURRENT, Role.SUBSTANDARD, Role.DOUBTFUL, Role.LOSS):
            regime.code_of(role)
        for rule in frequencies:
            if not (0 <= rule.principal_current < rule.principal_substandard
                    and 0 <= rule.interest_current < rule.interest_substandard):
                raise ConfigurationError(f"{origin}: {rule.name}: bounds must rise")
    return regime


def regime_codes() -> list[str]:
    return sorted(path.stem for path in REGIMES_DIR.glob("*.toml"))


@cache
def load_regime(code: str) -> Regime:
    """A shipped regime by code (``bank-days``, ``ksp-permenkukm-14-2009``)."""
    if code not in regime_codes():
        raise ValidationError(_("unknown kolektibilitas regime {code!r} (shipped: "
                                "{regime_codes})", code=code,
                                regime_codes=', '.join(regime_codes())), field="regime")
    path = REGIMES_DIR / f"{code}.toml"
    return parse_regime(tomllib.loads(path.read_text(encoding="utf-8")), path.name)


# --- the cooperative's choice -------------------------------------------------------------------


@attrs.frozen
class Policy:
    """What the cooperative chose: the regime, whether held collateral is deducted before the
    allowance rate of a non-performing class applies, and when the allowance is booked."""

    regime: str = DEFAULT_REGIME
    deduct_collateral: bool = False
    allowance_posting: AllowancePosting = AllowancePosting.DAILY


def policy(ctx: Context) -> Policy:
    stored = dict(ctx.conn.execute(sa.select(settings.c.key, settings.c.value)).all())
    return Policy(stored.get("collectibility_regime", DEFAULT_REGIME),
                  stored.get("allowance_deducts_collateral", "false") == "true",
                  AllowancePosting(stored.get("allowance_posting", "daily")))


def store_policy(ctx: Context, chosen: Policy) -> None:
    values = {"collectibility_regime": chosen.regime,
              "allowance_deducts_collateral": "true" if chosen.deduct_collateral else "false",
              "allowance_posting": chosen.allowance_posting.value}
    ctx.conn.execute(sa.delete(settings).where(settings.c.key.in_(list(values))))
    ctx.conn.execute(settings.insert(), [{"key": k, "value": v} for k, v in values.items()])


def non_accrual_codes(ctx: Context) -> frozenset[str]:
    """Codes of the classes whose interest is not income until received: those whose role the
    regime in force names (Diragukan and Macet)."""
    from kopcore_loans.products import collectibility, role_of

    roles = load_regime(policy(ctx).regime).non_accrual
    return frozenset(c.code for c in collectibility(ctx) if role_of(c) in roles)


def interest_memorandum(ctx: Context, loan: Loan) -> int:
    """Interest a non-accrual loan (Diragukan, Macet) has earned and not been recognised as
    income: kept in memorandum until it is received. As far as end of day has gone (the day
    before the business date); 0 for a loan in an accruing class or not running."""
    if loan.status is not LoanStatus.ACTIVE or loan.collectibility not in non_accrual_codes(ctx):
        return 0
    earned = earned_interest(schedule_rows(ctx, loan.id, include_superseded=True),
                             ctx.business_date - timedelta(days=1))
    return max(0, earned - loan.interest_recognized)


# --- the KSP judgement -------------------------------------------------------------------------


def months_over(due: date | None, day: date, months: int) -> bool:
    """True when something due on ``due`` is, on ``day``, more than ``months`` calendar months
    in arrears (nothing due: never)."""
    return due is not None and day > add_months(due, months)


@attrs.frozen
class Arrears:
    """What the KSP regime judges a loan on, on ``day``."""

    frequency: str
    principal_since: date | None  # oldest due date with principal unpaid
    interest_since: date | None  # oldest due date with interest unpaid
    debt: int  # principal outstanding + interest in arrears
    cover: int  # held collateral's cover
    rescuable: bool | None  # an officer's recorded judgement
    doubtful_since: date | None  # when the loan became Diragukan
    last_paid: date | None  # the last repayment
    last_rescued: date | None = None  # the last rescue (restructuring)


def classify_ksp(regime: Regime, a: Arrears, day: date) -> str:
    """The class code of a loan under a ``frequency`` regime."""
    rule = regime.rule(a.frequency)
    if not months_over(a.principal_since, day, rule.principal_current) \
            and not months_over(a.interest_since, day, rule.interest_current):
        return regime.code_of(Role.CURRENT)
    if not months_over(a.principal_since, day, rule.principal_substandard) \
            and not months_over(a.interest_since, day, rule.interest_substandard):
        return regime.code_of(Role.SUBSTANDARD)
    cover = Fraction(a.cover * 100, a.debt) if a.debt else Fraction(10**9)
    doubtful = cover >= regime.doubtful_cover or (
        bool(a.rescuable) and cover >= regime.doubtful_cover_rescuable)
    if not doubtful:
        return regime.code_of(Role.LOSS)
    if a.doubtful_since is not None:
        # 21 months Diragukan with no repayment or rescue in them (either starts the count
        # again).
        since = max(day for day in (a.doubtful_since, a.last_paid, a.last_rescued)
                    if day is not None)
        if day >= add_months(since, regime.macet_after_months):
            return regime.code_of(Role.LOSS)
    return regime.code_of(Role.DOUBTFUL)
