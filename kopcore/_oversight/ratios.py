"""The worksheet's ratios, each with its numerator and denominator traced to the books.

Every ratio is built from *parts*: a GL account's balance (``GL 3101 Simpanan Pokok``), a sum of
the year's income or expenses (member business apart from the rest, read from the postings as
the statement of operating results does), or a figure a plugin reports through
``kopcore_health_figures`` (``loans.outstanding``). A ratio whose figure no plugin reports, or
whose base is zero, is *not available* with the reason.

Definitions (the annex's words; ``YTD`` = 1 January to the date, the year-closing entry left
out):

- modal sendiri (equity) = equity GL accounts + SHU of the year not yet closed; dana syirkah
  temporer is neither equity nor a liability (it sits between them, PSAK 405);
- kewajiban lancar (short-term liabilities) = liability GL accounts, dana syirkah temporer left
  out (Perdep 07/2016: funds the cooperative manages, not obligations it owes whatever happens);
- dana yang diterima (funds received) = liabilities + dana syirkah temporer + equity, less the
  SHU accounts (undistributed and current-year) and the year's surplus not yet closed;
- partisipasi bruto (gross participation) = YTD income in entries that touch the account of a
  member (``membership`` ``member``: a non-member counterparty's business is not participation);
  beban operasi anggota = YTD expenses in such entries (savings interest, profit shares paid);
- SHU kotor (gross SHU) = YTD income less the member-business expenses (beban pokok);
  partisipasi netto = partisipasi bruto less those expenses;
  beban usaha = the other YTD expenses (staff, general, depreciation, allowance);
- pinjaman anggota (loans to members) = ``loans.outstanding`` less
  ``loans.outstanding_non_members`` (the loans plugin: the principal lent to non-member
  counterparties);
- aset produktif (productive assets) = loans outstanding + sharia financing outstanding + bank;
- modal tertimbang / ATMR = equity lines x bobot pengakuan / asset lines x bobot risiko
  (``weights/capital.toml``, see :mod:`kopcore._oversight.capital`);
- SHU bagian anggota = jasa modal + jasa usaha of the year's SHU (the draft's pools, else the
  year's surplus split by ``[shu]``); PEA = MEPPP (a plugin's ``members.loan_benefit``) + SHU
  bagian anggota;
- cadangan risiko (risk cover, of the ratio against the problem-loan risk) = the allowance
  formed (``loans.allowance_formed``) + cadangan tujuan risiko (GL ``equity.reserve_risk``, the
  reserve the RAT sets aside from SHU for the risk of loans);
- pinjaman diberikan yang berisiko = ``loans.risky`` (the loans plugin: every loan without a
  guarantor and without held collateral covering its outstanding principal).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from fractions import Fraction

import attrs

from kopcore._oversight import capital
from kopcore._oversight.figures import Figures, GLLine, equity_on, is_cash
from kopcore.context import Context
from kopcore.records import GLType

OUTSTANDING = "loans.outstanding"
NON_PERFORMING = "loans.non_performing"
ALLOWANCE_FORMED = "loans.allowance_formed"
PROBLEM_LOAN_RISK = "loans.problem_loan_risk"
RISKY_LOANS = "loans.risky"
NON_MEMBER_LOANS = "loans.outstanding_non_members"
WEIGHTED_CAPITAL = "capital.weighted"
RISK_WEIGHTED_ASSETS = "capital.risk_weighted_assets"
MEMBER_SHU = "shu.member_share"
ECONOMIC_PROMOTION = "members.economic_promotion"
NON_MEMBER_FUNDING = "members.non_member_funding"
FINANCING = "sharia.financing_outstanding"
FINANCING_NON_PERFORMING = "sharia.financing_non_performing"
FINANCING_PROBLEM_RISK = "sharia.financing_problem_risk"
FINANCING_ALLOWANCE = "sharia.allowance_formed"

STAFF_KEYS = ("expense.staff",)
#: Cadangan tujuan risiko: set aside from SHU for the risk of loans ([shu] risk_reserve).
RISK_RESERVE_KEYS = ("equity.reserve_risk",)
MEMBER_CAPITAL_KEYS = ("equity.pokok", "equity.wajib")
FIXED_KEYS = ("fixed_assets", "fixed_assets.depreciation")


@attrs.frozen
class Part:
    """One term of a numerator or denominator: what it is, where it comes from, how much."""

    label: str
    source: str
    amount: int


@attrs.frozen
class Ratio:
    """A ratio's parts; ``value`` is ``None`` when it cannot be computed, with the reason."""

    numerator: int | None
    denominator: int | None
    value: Fraction | None
    reason: str = ""
    numerator_parts: tuple[Part, ...] = ()
    denominator_parts: tuple[Part, ...] = ()
    #: The figure keys this ratio needed that no plugin reported.
    missing: tuple[str, ...] = ()


def year_earlier(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


class Terms:
    """Builds the parts of the ratios of one date's figures."""

    def __init__(self, ctx: Context, f: Figures) -> None:
        self.ctx, self.f = ctx, f
        self.missing: list[str] = []

    # --- ledger ---------------------------------------------------------------------------

    @staticmethod
    def gl(line: GLLine, sign: int = 1) -> Part:
        return Part(line.name, f"GL {line.code}", sign * line.amount)

    def lines(self, pick: Callable[[GLLine], bool]) -> tuple[Part, ...]:
        return tuple(self.gl(line) for line in self.f.lines if pick(line) and line.amount)

    def keys(self, keys: Iterable[str]) -> tuple[Part, ...]:
        wanted = tuple(keys)
        return self.lines(lambda line: line.key in wanted)

    def surplus(self) -> Part:
        return Part("SHU tahun berjalan (pendapatan - beban, belum ditutup)",
                    "ledger: income less expenses not yet closed",
                    sum(x.amount for x in self.f.lines if x.type is GLType.INCOME)
                    - sum(x.amount for x in self.f.lines if x.type is GLType.EXPENSE))

    def equity(self) -> tuple[Part, ...]:
        return (*self.lines(lambda x: x.type is GLType.EQUITY and not x.between),
                self.surplus())

    def assets(self) -> tuple[Part, ...]:
        return self.lines(lambda x: x.type is GLType.ASSET)

    def liabilities(self) -> tuple[Part, ...]:
        return self.lines(lambda x: x.type is GLType.LIABILITY and not x.between)

    def temporary_syirkah(self) -> tuple[Part, ...]:
        return self.lines(lambda x: x.between)

    def funds_received(self) -> tuple[Part, ...]:
        return (*self.liabilities(), *self.temporary_syirkah(),
                *self.lines(lambda x: x.type is GLType.EQUITY and not x.between
                            and "shu" not in x.key))

    def business(self, kind: GLType, member: bool | None, label: str,
                 only: tuple[str, ...] | None = None) -> tuple[Part, ...]:
        """The year's income or expenses per GL account, of member business (``True``), of
        the rest (``False``) or all (``None``); ``only`` those GL keys."""
        sums: dict[str, tuple[str, str, int]] = {}
        for flag in (True, False):
            if member is not None and flag is not member:
                continue
            for key, (code, name, amount) in self.f.business.get((kind, flag), {}).items():
                if only is not None and key not in only:
                    continue
                before = sums.get(key, (code, name, 0))
                sums[key] = (code, name, before[2] + amount)
        return tuple(Part(f"{name} ({label})", f"GL {code}, 1 Jan - {self.f.as_of}", amount)
                     for _key, (code, name, amount) in sorted(sums.items(),
                                                              key=lambda kv: kv[1][0])
                     if amount)

    # --- plugins' figures -----------------------------------------------------------------

    def figure(self, key: str, sign: int = 1) -> tuple[Part, ...] | None:
        found = self.f.plugin.get(key)
        if found is None:
            self.missing.append(key)
            return None
        return (Part(found.label, f"figure {key} ({', '.join(found.plugins)})",
                     sign * found.value),)

    def lending(self) -> tuple[Part, ...] | None:
        """Loans outstanding and sharia financing outstanding, whichever plugins report."""
        loans, financing = self.f.plugin.get(OUTSTANDING), self.f.plugin.get(FINANCING)
        if loans is None and financing is None:
            self.missing.append(OUTSTANDING)
            return None
        return (*self.optional_figure(OUTSTANDING), *self.optional_figure(FINANCING))

    # --- the ledger's own figures (kopcore/_oversight/capital.py) ---------------------------

    def weighted_capital(self) -> tuple[Part, ...]:
        """Modal tertimbang: equity lines and the surplus not yet closed, each weighted."""
        return tuple(Part(w.label, w.source, w.amount) for w in
                     capital.weighted_capital(self.f.lines, self.surplus().amount))

    def weighted_liabilities(self) -> tuple[Part, ...]:
        """The liabilities' part of Permen KUKM 14/2009's modal tertimbang, each weighted."""
        return tuple(Part(w.label, w.source, w.amount) for w in
                     capital.weighted_liabilities(self.f.lines))

    def risk_weighted_assets(self) -> tuple[Part, ...]:
        """ATMR: asset lines, contra accounts included, each weighted by its class."""
        return tuple(Part(w.label, w.source, w.amount) for w in
                     capital.risk_weighted_assets(self.f.lines))

    def member_shu(self, surplus: int) -> tuple[Part, ...]:
        """SHU bagian anggota: jasa modal and jasa usaha of the year's SHU."""
        share = capital.member_share(
            self.ctx, self.f.as_of, surplus, self.f.currency,
            whole=self.f.unit is None and self.ctx.books_office_id is None)
        return (Part(f"Jasa modal ({share.basis})", share.source, share.jasa_modal),
                Part(f"Jasa usaha ({share.basis})", share.source, share.jasa_usaha))

    def optional_figure(self, key: str, sign: int = 1) -> tuple[Part, ...]:
        found = self.f.plugin.get(key)
        return () if found is None else (Part(found.label, f"figure {key}", sign * found.value),)


def _total(parts: tuple[Part, ...] | None) -> int | None:
    return None if parts is None else sum(p.amount for p in parts)


def ratio(numerator: tuple[Part, ...] | None, denominator: tuple[Part, ...] | None,
          zero: str, missing: Iterable[str] = ()) -> Ratio:
    """The ratio of the parts' totals; not available when a figure is missing or the base is
    zero or less."""
    absent = tuple(dict.fromkeys(missing))
    n, d = _total(numerator), _total(denominator)
    nparts, dparts = numerator or (), denominator or ()
    if n is None or d is None:
        reason = "no plugin reports " + ", ".join(absent) if absent else "figure missing"
        return Ratio(n, d, None, reason, nparts, dparts, absent)
    if d <= 0:
        return Ratio(n, d, None, zero, nparts, dparts)
    return Ratio(n, d, Fraction(n, d), "", nparts, dparts)


def compute_ratios(ctx: Context, f: Figures) -> dict[str, Ratio]:
    """Every ratio the regimes may score, as of ``f.as_of``."""
    t = Terms(ctx, f)
    out: dict[str, Ratio] = {}

    def add(key: str, build: Callable[[], tuple[tuple[Part, ...] | None,
                                               tuple[Part, ...] | None, str]]) -> None:
        t.missing = []
        numerator, denominator, zero = build()
        out[key] = ratio(numerator, denominator, zero, t.missing)

    loans = t.optional_figure(OUTSTANDING) or None
    cash = t.lines(lambda x: is_cash(x.key))
    member_income = t.business(GLType.INCOME, True, "partisipasi anggota")
    member_cost = t.business(GLType.EXPENSE, True, "beban usaha dengan anggota")
    all_income = t.business(GLType.INCOME, None, "pendapatan")
    all_expenses = t.business(GLType.EXPENSE, None, "beban")
    other_cost = t.business(GLType.EXPENSE, False, "beban usaha")
    surplus_ytd = (*all_income, *(attrs.evolve(p, amount=-p.amount) for p in all_expenses))

    def risk_cover() -> tuple[Part, ...] | None:
        formed = t.figure(ALLOWANCE_FORMED)
        return None if formed is None else (*formed, *t.keys(RISK_RESERVE_KEYS))

    add("equity_to_assets", lambda: (t.equity(), t.assets(), "no assets"))
    add("npl", lambda: (t.figure(NON_PERFORMING), t.figure(OUTSTANDING),
                        "no loans outstanding"))
    # With nothing lent there is nothing to cover: not assessed (rather than "best").
    add("allowance_coverage", lambda: (
        t.figure(ALLOWANCE_FORMED) if f.value(OUTSTANDING) else t.figure(OUTSTANDING),
        t.figure(NON_PERFORMING),
        "no non-performing loans" if f.value(OUTSTANDING) else "no loans outstanding"))
    add("problem_loan_risk", lambda: (t.figure(PROBLEM_LOAN_RISK), t.figure(OUTSTANDING),
                                      "no loans outstanding"))
    add("allowance_to_risk", lambda: (
        risk_cover() if f.value(OUTSTANDING) else t.figure(OUTSTANDING),
        t.figure(PROBLEM_LOAN_RISK),
        "no problem-loan risk" if f.value(OUTSTANDING) else "no loans outstanding"))
    add("liquidity", lambda: (cash, t.liabilities(), "no liabilities"))
    add("operating_efficiency", lambda: (all_expenses, all_income, "no income this year"))
    previous = equity_on(ctx, year_earlier(f.as_of), f.currency, f.unit)
    add("equity_growth", lambda: (
        (Part("Modal sendiri pada tanggal", "ledger: equity", f.equity),
         Part("Modal sendiri setahun sebelumnya", f"ledger: equity on "
              f"{year_earlier(f.as_of)}", -previous)),
        (Part("Modal sendiri setahun sebelumnya", f"ledger: equity on "
              f"{year_earlier(f.as_of)}", previous),),
        "no equity a year earlier"))
    add("equity_to_risky_loans", lambda: (t.equity(), t.figure(RISKY_LOANS),
                                          "no risky loans"))
    # A plugin may report the weighted figures itself; otherwise the ledger's, line by line.
    def weighted_capital() -> tuple[Part, ...] | None:
        return t.figure(WEIGHTED_CAPITAL) if WEIGHTED_CAPITAL in f.plugin \
            else t.weighted_capital()

    def risk_weighted_assets() -> tuple[Part, ...] | None:
        return t.figure(RISK_WEIGHTED_ASSETS) if RISK_WEIGHTED_ASSETS in f.plugin \
            else t.risk_weighted_assets()

    add("capital_adequacy", lambda: (weighted_capital(), risk_weighted_assets(),
                                     "no risk-weighted assets"))
    # Permen KUKM 14/2009's table, carried by Perdep 06/2016: the liabilities count too.
    add("own_capital_adequacy", lambda: (
        (*(weighted_capital() or ()), *t.weighted_liabilities()), risk_weighted_assets(),
        "no risk-weighted assets"))
    # Loans to members: the outstanding less what non-member counterparties owe, which the
    # loans plugin reports as loans.outstanding_non_members (none reported: all to members).
    add("member_loans", lambda: (
        None if loans is None else (*loans, *t.optional_figure(NON_MEMBER_LOANS, -1)),
        t.figure(OUTSTANDING), "no loans outstanding"))
    add("risky_loans", lambda: (t.figure(RISKY_LOANS), t.figure(OUTSTANDING),
                                "no loans outstanding"))
    add("member_cost_to_participation", lambda: (member_cost, member_income,
                                                 "no member business this year"))
    add("business_cost_to_gross_shu", lambda: (
        other_cost, (*all_income, *(attrs.evolve(p, amount=-p.amount) for p in member_cost)),
        "no gross SHU this year"))
    add("service_efficiency", lambda: (
        t.business(GLType.EXPENSE, None, "biaya karyawan", STAFF_KEYS), t.lending(),
        "no loans outstanding"))
    add("loans_to_funds", lambda: (t.lending(), t.funds_received(), "no funds received"))
    add("return_on_assets", lambda: (surplus_ytd, t.assets(), "no assets"))
    surplus_total = f.income_year_to_date - f.expenses_year_to_date
    add("return_on_equity", lambda: (
        t.figure(MEMBER_SHU) if MEMBER_SHU in f.plugin else t.member_shu(surplus_total),
        t.equity(), "no equity"))
    add("self_sufficiency", lambda: (all_income, all_expenses, "no expenses this year"))
    # Kemandirian operasional pelayanan (Permen KUKM 14/2009's formula): partisipasi netto
    # (member income less the member-business expenses) / beban usaha + beban perkoperasian.
    add("operational_independence", lambda: (
        (*member_income, *(attrs.evolve(p, amount=-p.amount) for p in member_cost)),
        other_cost, "no operating expenses this year"))
    add("gross_participation", lambda: (member_income, all_income, "no income this year"))
    # PEA = MEPPP + SHU bagian anggota; a plugin reporting PEA whole overrides it.
    add("member_economic_promotion", lambda: (
        t.figure(ECONOMIC_PROMOTION) if ECONOMIC_PROMOTION in f.plugin
        else (*t.optional_figure(capital.LOAN_BENEFIT), *t.member_shu(surplus_total)),
        t.keys(MEMBER_CAPITAL_KEYS), "no simpanan pokok and wajib"))
    def productive() -> tuple[Part, ...] | None:
        lent = t.lending()
        return None if lent is None else (*lent, *t.keys(("bank",)))

    add("productive_to_assets", lambda: (productive(), t.assets(), "no assets"))
    add("loans_to_productive_assets", lambda: (t.lending(), productive(),
                                               "no productive assets"))
    add("liquid_to_assets", lambda: (cash, t.assets(), "no assets"))
    add("net_margin", lambda: (surplus_ytd, all_income, "no income this year"))
    add("non_member_funding", lambda: (t.figure(NON_MEMBER_FUNDING), t.assets(), "no assets"))
    add("npf", lambda: (t.figure(FINANCING_NON_PERFORMING), t.figure(FINANCING),
                        "no financing outstanding"))
    add("financing_allowance_to_risk", lambda: (
        t.figure(FINANCING_ALLOWANCE) if f.value(FINANCING) else t.figure(FINANCING),
        t.figure(FINANCING_PROBLEM_RISK),
        "no problem-financing risk" if f.value(FINANCING) else "no financing outstanding"))
    add("financing_to_funds", lambda: (t.figure(FINANCING), t.funds_received(),
                                       "no funds received"))
    add("fixed_to_assets", lambda: (t.keys(FIXED_KEYS), t.assets(), "no assets"))
    return out
