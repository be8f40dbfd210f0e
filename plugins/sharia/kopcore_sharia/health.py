"""The sharia financing figures of the health assessment (KSPPS regime, Perdep 07/2016).

Reported through ``kopcore_health_figures`` as they stood at the end of a date:

- ``sharia.financing_outstanding``: pembiayaan yang diberikan = for each murabahah contract,
  the receivable (postings to the contract's account up to the date) net of its deferred margin
  (postings to the deferred-margin GL account in entries touching the contract up to the date:
  the margin not yet recognised), plus the qardh receivables; a cost-basis figure, as the
  allowance's base (see :mod:`kopcore_sharia.allowance`), plus each musyarakah contract's
  investment and each lease's unpaid ujrah (their accounts' balances: the leased asset stays
  the cooperative's, in its fixed assets);
- ``sharia.financing_non_performing``: the part of it in Kurang Lancar, Diragukan or Macet (NPF
  numerator); ``sharia.financing_substandard`` / ``_doubtful`` / ``_loss`` per class;
- ``sharia.financing_problem_risk``: 50 % Kurang Lancar + 75 % Diragukan + 100 % Macet, rounded
  half up to the rupiah on the total (the worksheet's risiko pembiayaan bermasalah);
- ``sharia.allowance_formed``: the balance of the financing allowance (PPAP) GL account.

The classes are the cooperative's kolektibilitas classes (``sharia.classes``) in order of their
first day past due: the last is Macet, the one before it Diragukan, the one before that Kurang
Lancar, any earlier ones performing. A contract's class is the one stored by the last end of day
(ageing), so a date before it uses today's class; qardh carries no class in this plugin and
counts as performing.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from fractions import Fraction
from typing import Any

import sqlalchemy as sa

from kopcore import query
from kopcore.context import Context
from kopcore.money import exponent
from kopcore.records import HealthFigure
from kopcore_sharia import chart, ijarah_tables, musyarakah_tables
from kopcore_sharia.murabahah import round_half_up
from kopcore_sharia.tables import collectibility_classes, murabahah

OUTSTANDING = "sharia.financing_outstanding"
NON_PERFORMING = "sharia.financing_non_performing"
PROBLEM_RISK = "sharia.financing_problem_risk"
ALLOWANCE_FORMED = "sharia.allowance_formed"
#: The worksheet's weights of the problem classes (Perdep 07/2016: 50 / 75 / 100 %).
ROLES = (("sharia.financing_substandard", "Pembiayaan kurang lancar", Fraction(1, 2)),
         ("sharia.financing_doubtful", "Pembiayaan diragukan", Fraction(3, 4)),
         ("sharia.financing_loss", "Pembiayaan macet", Fraction(1)))


def _pairs(rows: Any) -> dict[Any, Any]:
    return {row[0]: row[1] for row in rows}


def _gl_balance(ctx: Context, gl_key: str, as_of: date) -> int:
    """Debit-positive sum of the postings on ``gl_key``'s accounts up to ``as_of``."""
    p, e, a = query.postings.c, query.journal_entries.c, query.accounts.c
    return int(ctx.conn.execute(
        sa.select(sa.func.coalesce(sa.func.sum(p.amount), 0))
        .join(query.journal_entries, e.id == p.entry_id)
        .join(query.accounts, a.id == p.account_id)
        .where(a.gl_key == gl_key, e.business_date <= as_of)).scalar_one())


def murabahah_bases(ctx: Context, as_of: date) -> dict[int, int]:
    """Per contract account: receivable less deferred margin at the end of ``as_of``."""
    p, e = query.postings.c, query.journal_entries.c
    receivable = _pairs(ctx.conn.execute(
        sa.select(p.account_id, sa.func.sum(p.amount))
        .join(query.journal_entries, e.id == p.entry_id)
        .join(murabahah, murabahah.c.account_id == p.account_id)
        .where(e.business_date <= as_of).group_by(p.account_id)))
    contract = query.postings.alias("contract_postings")
    deferred_gl = query.accounts.alias("deferred_gl")
    deferred = _pairs(ctx.conn.execute(
        sa.select(contract.c.account_id, sa.func.sum(p.amount))
        .select_from(query.postings)
        .join(query.journal_entries, e.id == p.entry_id)
        .join(deferred_gl, deferred_gl.c.id == p.account_id)
        .join(contract, contract.c.entry_id == p.entry_id)
        .join(murabahah, murabahah.c.account_id == contract.c.account_id)
        .where(deferred_gl.c.gl_key == chart.MURABAHAH_DEFERRED_MARGIN,
               e.business_date <= as_of)
        .group_by(contract.c.account_id)))
    return {int(k): int(v) + int(deferred.get(k, 0)) for k, v in receivable.items()
            if int(v) + int(deferred.get(k, 0)) > 0}


def balance_bases(ctx: Context, contracts: sa.Table, as_of: date) -> dict[int, int]:
    """Per contract account of ``contracts`` (a table keyed by ``account_id``, such as
    musyarakah's investment): its balance at the end of ``as_of``, where positive."""
    p, e = query.postings.c, query.journal_entries.c
    return {int(k): int(v) for k, v in ctx.conn.execute(
        sa.select(p.account_id, sa.func.sum(p.amount))
        .join(query.journal_entries, e.id == p.entry_id)
        .join(contracts, contracts.c.account_id == p.account_id)
        .where(e.business_date <= as_of).group_by(p.account_id)) if int(v) > 0}


#: Financings whose outstanding is their contract account's balance, with a stored class.
BALANCE_FINANCINGS: tuple[sa.Table, ...] = (musyarakah_tables.musyarakah,
                                            ijarah_tables.ijarah_contracts)


def health_figures(ctx: Context, as_of: date) -> list[HealthFigure]:
    currency = ctx.settings.currency
    bases = murabahah_bases(ctx, as_of)
    for contracts in BALANCE_FINANCINGS:
        bases.update(balance_bases(ctx, contracts, as_of))
    c = collectibility_classes.c
    codes = [r.code for r in ctx.conn.execute(sa.select(c.code).order_by(c.min_days))]
    # The first class is always performing; the last ones take the roles from Macet back.
    problem = min(len(ROLES), max(len(codes) - 1, 0))
    role_of = dict(zip(codes[len(codes) - problem:], ROLES[len(ROLES) - problem:],
                       strict=True))
    stored: dict[Any, Any] = {}
    for contracts in (murabahah, *BALANCE_FINANCINGS):
        stored.update(_pairs(ctx.conn.execute(
            sa.select(contracts.c.account_id, contracts.c.collectibility)
            .where(contracts.c.account_id.in_(list(bases))))))
    by_role: dict[str, int] = defaultdict(int)
    for account_id, base in bases.items():
        role = role_of.get(stored.get(account_id) or "")
        if role is not None:
            by_role[role[0]] += base
    qardh = _gl_balance(ctx, chart.QARDH_RECEIVABLE, as_of)
    rupiah = int(10 ** exponent(currency))
    risk = round_half_up(sum((weight * by_role[key] for key, _label, weight in ROLES),
                             Fraction(0)), rupiah)
    return [
        HealthFigure(OUTSTANDING, sum(bases.values()) + qardh,
                     label="Pembiayaan yang diberikan (murabahah pokok, musyarakah, piutang "
                           "ijarah, qardh)",
                     currency=currency),
        HealthFigure(NON_PERFORMING, sum(by_role.values()),
                     label="Pembiayaan bermasalah (NPF)", currency=currency),
        *(HealthFigure(key, by_role[key], label=label, currency=currency)
          for key, label, _weight in ROLES),
        HealthFigure(PROBLEM_RISK, risk,
                     label="Risiko pembiayaan bermasalah (50% KL + 75% D + 100% M)",
                     currency=currency),
        HealthFigure(ALLOWANCE_FORMED, -_gl_balance(ctx, chart.FINANCING_ALLOWANCE, as_of),
                     label="PPAP pembiayaan telah dibentuk", currency=currency),
    ]
