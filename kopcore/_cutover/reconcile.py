"""Reconciliation: after the sheets are written, kopcore's books must be the file's.

1. Every **control account** (the GL account of a product, or one with member or internal
   accounts) must already hold exactly the file's balance through its accounts, plus what a
   sheet reports for it (:attr:`~kopcore.records.SheetWritten.subledger`); a GL account a sheet
   reports on (a time deposit's accrued interest, a loan's allowance) likewise. Otherwise the
   import is refused with every difference listed.
2. What is left of the file's balance of each GL account (all of it for an account without
   member or internal accounts; what a sheet reports for it) goes to its GL posting account,
   in one entry per plugin owning them (as the year's closing), against the opening account.
3. Then kopcore's trial balance, computed from the postings as the reports compute it, must
   equal the file's line by line, and the opening account must be back at zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
from sqlalchemy import func, select

from kopcore import ledger
from kopcore._db import tables as t
from kopcore.errors import ImportRefused
from kopcore.ledger._accounts import GL_ACCOUNT_PREFIX
from kopcore.ledger._reports import gl_balances
from kopcore.money import Money
from kopcore.records import GLType, ImportRun, PostingLine, Side

#: The GL account opening balances are posted against; zero once the import is complete.
OPENING_GL = "cutover.opening"


@attrs.frozen
class Difference:
    """A GL account whose balance in kopcore differs from the file's (normal side)."""

    code: str
    name: str
    legacy: Money
    kopcore: Money

    @property
    def difference(self) -> Money:
        return self.kopcore - self.legacy

    def as_dict(self) -> dict[str, Any]:
        return {"kode_akun": self.code, "nama_akun": self.name,
                "neraca_saldo": self.legacy.to_str(), "kopcore": self.kopcore.to_str(),
                "selisih": self.difference.to_str()}

    def text(self) -> str:
        return (f"akun {self.code} {self.name}: neraca saldo {self.legacy.format()}, kopcore "
                f"{self.kopcore.format()}, selisih {self.difference.format()}")


def _gl_lines(run: ImportRun) -> dict[str, tuple[str, str, int]]:
    """key → (code, name, normal sign) of the chart in force."""
    g = t.gl_accounts.c
    lines = {}
    for key, code, name, type_, contra in run.ctx.conn.execute(
            select(g.key, g.code, g.name, g.type, g.contra)):
        debit = GLType(type_).debit_normal != bool(contra)
        lines[key] = (code, name, 1 if debit else -1)
    return lines


def control_accounts(run: ImportRun) -> set[str]:
    """GL accounts whose balance is the sum of their accounts: each product's, and each with
    a member or internal account."""
    a = t.accounts.c
    keys = set(run.ctx.conn.execute(
        select(a.gl_key).where(~a.number.startswith(GL_ACCOUNT_PREFIX)).distinct()).scalars())
    return keys | {claimed.value.gl_key for claimed in run.ctx.kernel.plugins.products.values()}


def posted_by_gl(run: ImportRun) -> dict[str, int]:
    """Debit-positive sum of all postings per GL account (the ledger held none before)."""
    p, a = t.postings.c, t.accounts.c
    return {key: int(total) for key, total in run.ctx.conn.execute(
        select(a.gl_key, func.sum(p.amount)).join(t.accounts, a.id == p.account_id)
        .group_by(a.gl_key))}


def _refuse(differences: list[Difference], why: str) -> None:
    raise ImportRefused(
        f"{why}:\n" + "\n".join(f"  {d.text()}" for d in differences),
        differences=[d.as_dict() for d in differences])


def reconcile(run: ImportRun, legacy: Mapping[str, int], subledger: Mapping[str, int]) -> None:
    """Check the control accounts, post the other GL balances, check the trial balance."""
    ctx = run.ctx
    currency = ctx.settings.currency
    chart = _gl_lines(run)
    controls = control_accounts(run)
    posted = posted_by_gl(run)

    def difference(key: str, kopcore: int) -> Difference:
        code, name, sign = chart[key]
        return Difference(code, name, Money(legacy.get(key, 0) * sign, currency),
                          Money(kopcore * sign, currency))

    differences = []
    plugs: list[tuple[str, int]] = []
    for key in sorted(set(legacy) | set(posted) | set(subledger)):
        if key == OPENING_GL:
            continue
        remainder = legacy.get(key, 0) - posted.get(key, 0)
        if (key in controls or key in subledger) and remainder != subledger.get(key, 0):
            differences.append(difference(key, posted.get(key, 0) + subledger.get(key, 0)))
        elif remainder:
            plugs.append((key, remainder))
    if differences:
        _refuse(differences, "rincian tidak sama dengan neraca saldo (akun induk harus sama "
                             "dengan jumlah rekening anggotanya)")
    # One entry per plugin owning the GL accounts, as the year's closing does: a plugin's rules
    # about which accounts may meet in one entry (sharia and interest accounts never do) hold.
    owners = dict(ctx.conn.execute(select(t.gl_accounts.c.key, t.gl_accounts.c.plugin)).all())
    by_plugin: dict[str, list[tuple[str, int]]] = {}
    for key, amount in plugs:
        by_plugin.setdefault(owners[key], []).append((key, amount))
    for plugin, amounts in sorted(by_plugin.items()):
        lines = [PostingLine(ledger.gl_account_number(key),
                             Side.DEBIT if amount > 0 else Side.CREDIT,
                             Money(abs(amount), currency)) for key, amount in amounts]
        net = sum(amount for _, amount in amounts)
        if net:
            lines.append(PostingLine(run.opening_account, Side.CREDIT if net > 0 else Side.DEBIT,
                                     Money(abs(net), currency)))
        if len(lines) >= 2:
            ledger.post_entry(ctx, lines, memo=f"Saldo awal buku besar per "
                                               f"{run.as_of.isoformat()} ({plugin})")
    check_trial_balance(run, legacy)


def check_trial_balance(run: ImportRun, legacy: Mapping[str, int]) -> None:
    """kopcore's trial balance as the reports compute it, against the file's, to the rupiah;
    the opening account must be back at zero."""
    currency = run.ctx.settings.currency
    books = {b.key: b.net for b in gl_balances(run.ctx, as_of=run.as_of)
             if b.currency == currency}
    chart = _gl_lines(run)
    keys = (set(books) | {k for k, v in legacy.items() if v}) - {OPENING_GL}
    wrong = [Difference(chart[k][0], chart[k][1], Money(legacy.get(k, 0) * chart[k][2], currency),
                        Money(books.get(k, 0) * chart[k][2], currency))
             for k in sorted(keys) if books.get(k, 0) != legacy.get(k, 0)]
    opening = books.get(OPENING_GL, 0)
    if opening:
        code, name, sign = chart[OPENING_GL]
        wrong.append(Difference(code, name, Money(0, currency), Money(opening * sign, currency)))
    if wrong:
        _refuse(wrong, "neraca saldo kopcore sesudah impor tidak sama dengan neraca saldo "
                       "berkas")


def opening_balance_left(run: ImportRun) -> int:
    """What is left on the opening account (non-zero: a balance without its trial balance)."""
    a, p = t.accounts.c, t.postings.c
    total = run.ctx.conn.execute(
        select(func.coalesce(func.sum(p.amount), 0)).join(t.accounts, a.id == p.account_id)
        .where(a.gl_key == OPENING_GL)).scalar_one()
    return int(total)


