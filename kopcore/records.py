"""Records that plugins return from hooks.

Small frozen attrs classes, so the kernel can check them, sort them and name the two plugins
that collide when two claim the same thing.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from kopcore.money import Money

if TYPE_CHECKING:
    from kopcore.context import Context


class GLType(enum.StrEnum):
    ASSET = "asset"
    LIABILITY = "liability"
    EQUITY = "equity"
    INCOME = "income"
    EXPENSE = "expense"

    @property
    def debit_normal(self) -> bool:
        return self in (GLType.ASSET, GLType.EXPENSE)


@attrs.frozen
class GLAccountSpec:
    """A general-ledger account a plugin needs in the chart.

    ``key`` is stable and what code refers to; ``code`` and ``name`` are the defaults an operator
    may change in settings (``[chart.<key>]``). ``contra`` flips the normal side (allowance for
    loan losses is a contra-asset, credit-normal).
    """

    key: str
    code: str
    name: str
    type: GLType
    parent: str | None = None
    contra: bool = False

    @property
    def normal_sign(self) -> int:
        debit = self.type.debit_normal != self.contra
        return 1 if debit else -1


@attrs.frozen
class ProductType:
    """A kind of member account a plugin offers (``savings.sukarela``, ``loans.flat``...)."""

    code: str
    name: str
    gl_key: str
    description: str = ""


@attrs.frozen
class MigrationSource:
    """An Alembic version directory: one branch per plugin, labelled ``branch``."""

    branch: str
    path: Path


@attrs.frozen
class PermissionSpec:
    """A permission an operation can require, and the roles that hold it by default."""

    name: str
    description: str
    roles: tuple[str, ...]


@attrs.frozen
class Veto:
    """A plugin's refusal of a journal entry; ``reason`` is a stable code such as
    ``sharia.interest-account``."""

    reason: str
    message: str


class Side(enum.StrEnum):
    DEBIT = "debit"
    CREDIT = "credit"


@attrs.frozen
class PostingLine:
    """One line of a requested entry: an account number, a side and a positive amount."""

    account: str
    side: Side
    amount: Money

    @property
    def signed_minor(self) -> int:
        return self.amount.minor if self.side is Side.DEBIT else -self.amount.minor


@attrs.frozen
class ExitContribution:
    """What a plugin says about a leaving member.

    ``refusal`` set: the exit is refused with that message (an outstanding loan, say).
    Otherwise ``lines`` move the member's balances out of the plugin's accounts; the kernel adds
    the balancing line to the exit payout account and posts everything as one entry.
    """

    refusal: str | None = None
    lines: Sequence[PostingLine] = ()
    note: str = ""


@attrs.frozen
class SettlementAccount:
    """An account that can pay or receive money for a member (a voluntary savings account)."""

    account_number: str
    description: str = ""


@attrs.frozen
class EodTask:
    """Set-based end-of-day work, done in chunks of an id range.

    ``chunks(ctx, business_date, size)`` returns ``(low_id, high_id)`` ranges (inclusive);
    ``run(ctx, business_date, low_id, high_id)`` does one chunk's writes and returns the number
    of rows it touched. The kernel records each finished chunk in the same transaction as its
    writes, so a crashed run resumes after the last finished chunk and never applies one twice.
    Tasks run in ``order`` (then name) within a business date.
    """

    name: str
    chunks: Callable[[Context, date, int], list[tuple[int, int]]]
    run: Callable[[Context, date, int, int], int]
    order: int = 100
    description: str = ""


@attrs.frozen
class DemoSeed:
    """Callable that adds a plugin's demo data to a fresh demo cooperative."""

    name: str
    seed: Callable[[Context], Any]
    order: int = 100


class FigureUnit(enum.StrEnum):
    """What a :class:`HealthFigure`'s ``value`` counts."""

    MONEY = "money"  # minor units of the figure's currency
    COUNT = "count"  # people, loans, accounts


@attrs.frozen
class HealthFigure:
    """A figure only a product plugin knows, for the health assessment and the trends.

    Figures with the same ``key`` from several plugins are added together (loans and sharia
    financing both report ``loans.outstanding``). The keys the assessment reads:

    - ``loans.outstanding``: outstanding principal of loans and financing (money);
    - ``loans.non_performing``: the part of it in non-performing collectibility classes (money);
    - ``loans.allowance_required``: the loan-loss allowance (PPAP) the classes require (money);
    - ``loans.allowance_formed``: the allowance booked in the ledger (money);
    - ``loans.borrowers``: members with outstanding loans (count).

    Other keys are shown with the assessment as information.
    """

    key: str
    value: int
    unit: FigureUnit = FigureUnit.MONEY
    label: str = ""
    currency: str | None = None


class ShuBasisKind(enum.StrEnum):
    """The two bases members' SHU is shared by."""

    #: Jasa modal: what the member holds as capital (pokok + wajib).
    CAPITAL = "capital"
    #: Jasa usaha: what the member did with the cooperative (loan interest paid...).
    PATRONAGE = "patronage"


@attrs.frozen
class ShuBasis:
    """The basis SHU asks plugins for: its ``kind`` and the ``method`` chosen in settings.

    Capital methods: ``year-end`` (balance on the year's last day) and ``average`` (average
    daily balance over the year). Patronage methods: ``interest`` (loan interest paid in the
    year) and ``transactions`` (loan repayments in the year).
    """

    kind: ShuBasisKind
    method: str


@attrs.frozen
class MemberBasis:
    """One member's basis contributed by a plugin (``amount`` in the cooperative's currency).

    Several plugins may contribute to the same member and basis; the amounts are added.
    """

    member_id: int
    amount: Money
    source: str = ""


@attrs.frozen
class Period:
    """An accounting period being closed: a month or a financial year, first and last day."""

    kind: str
    start: date
    end: date



@attrs.frozen
class Finding:
    """Something a plugin's own records and the ledger disagree on (``kopcore_verify``).

    ``kind`` names the check in the plugin's words (``installment_paid_without_repayment``);
    ``verify`` reports it as ``<plugin>.<kind>``, an error. ``account_id`` and ``entry_id``
    point at the ledger account or journal entry concerned, when there is one.
    """

    kind: str
    detail: str
    account_id: int | None = None
    entry_id: int | None = None
