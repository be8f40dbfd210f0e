"""The ledger's own figures of the capital and cooperative-identity ratios, traced to the books.

- **Modal tertimbang and ATMR** (capital adequacy, Perdep 06/2016 aspect capital c; Juknis
  15/2021 bab IV b): each equity GL account (and the year's surplus not yet closed) times its
  *bobot pengakuan*, and each asset GL account (net of its contra accounts, which match the
  same rule) times its *bobot risiko*, from ``weights/capital.toml``. The Perdep 06/2016
  worksheet's *rasio kecukupan modal sendiri* also counts each liability GL account at its
  weight (the table of Permen KUKM 14/2009 the Perdep carries: tabungan, simpanan berjangka
  and the other liabilities at 50 %); the Juknis' modal yang diakui does not. Each weighted
  line is rounded half up to the minor unit; the ratio is their sums'.
- **SHU bagian anggota** (the members' share of the year's surplus: the jasa modal and jasa
  usaha pools of the ``[shu]`` settings, decided by the AD/ART and the RAT): the pools of the
  year's SHU draft when one (not superseded) exists and the whole cooperative is assessed,
  else the year's surplus to the date (of the books assessed: one office's, one unit's)
  (income less expenses from 1 January, the year-closing entry left out) split by the
  ``[shu]`` percentages exactly as the draft would (largest remainder); nothing when the year
  runs at a deficit.
- **PEA** (promosi ekonomi anggota, Perdep 06/2016 aspect cooperative identity b):
  MEPPP + SHU bagian anggota. MEPPP (the members' economic benefit on loans against a market
  rate) is a plugin's figure ``members.loan_benefit`` when one reports it; kopcore keeps no
  market rate, so without it PEA is the SHU bagian anggota alone and the worksheet says so.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from fractions import Fraction
from functools import cache
from pathlib import Path

import attrs
import sqlalchemy as sa

from kopcore._oversight.figures import GLLine
from kopcore._yearend.tables import shu_drafts, shu_pools
from kopcore.context import Context
from kopcore.errors import ConfigurationError
from kopcore.money import Money, allocate
from kopcore.records import GLType
from kopcore.settings import SHU_POOLS

WEIGHTS_FILE = Path(__file__).parent / "weights" / "capital.toml"
SURPLUS = "surplus"
STATUSES = ("verified", "unverified")
MEMBER_POOLS = ("jasa_modal", "jasa_usaha")
#: A plugin's figure of the members' economic benefit on loans (MEPPP), added to PEA.
LOAN_BENEFIT = "members.loan_benefit"


@attrs.frozen
class WeightRule:
    gl: str
    label: str
    weight: Decimal
    status: str

    def matches(self, key: str) -> bool:
        if self.gl == "*":
            return True
        if self.gl.startswith("*."):
            return key.endswith(self.gl[1:])
        return key == self.gl or key.startswith(self.gl + ".")


@attrs.frozen
class CapitalWeights:
    source: str
    capital: tuple[WeightRule, ...]
    assets: tuple[WeightRule, ...]
    #: The liabilities' weights of the *modal tertimbang* of Permen KUKM 14/2009's table
    #: (rasio kecukupan modal sendiri of Perdep 06/2016), not of the Juknis' modal yang diakui.
    liabilities: tuple[WeightRule, ...]


def _rules(raw: object, side: str) -> tuple[WeightRule, ...]:
    if not isinstance(raw, list) or not raw:
        raise ConfigurationError(f"{WEIGHTS_FILE.name}: [[{side}]] rules are missing")
    out = []
    for item in raw:
        try:
            rule = WeightRule(str(item["gl"]), str(item["label"]), Decimal(str(item["weight"])),
                              str(item["status"]))
        except (KeyError, TypeError, ArithmeticError) as exc:
            raise ConfigurationError(f"{WEIGHTS_FILE.name}: bad [[{side}]] rule {item!r}") \
                from exc
        if not Decimal(0) <= rule.weight <= Decimal(100) or rule.status not in STATUSES:
            raise ConfigurationError(f"{WEIGHTS_FILE.name}: bad [[{side}]] rule {item!r}")
        out.append(rule)
    if out[-1].gl != "*":
        raise ConfigurationError(f"{WEIGHTS_FILE.name}: the last [[{side}]] rule must be '*'")
    return tuple(out)


@cache
def load_weights() -> CapitalWeights:
    data = tomllib.loads(WEIGHTS_FILE.read_text(encoding="utf-8"))
    return CapitalWeights(str(data.get("source", "")), _rules(data.get("capital"), "capital"),
                          _rules(data.get("assets"), "assets"),
                          _rules(data.get("liabilities"), "liabilities"))


def rule_for(rules: Iterable[WeightRule], key: str) -> WeightRule:
    return next(r for r in rules if r.matches(key))


def weighted(amount: int, weight: Decimal) -> int:
    """``amount`` times ``weight`` percent, rounded half up to the minor unit (away from zero
    for a negative contra amount's half)."""
    exact = Fraction(amount) * Fraction(weight) / 100
    sign = -1 if exact < 0 else 1
    return sign * int(abs(exact) + Fraction(1, 2))


@attrs.frozen
class WeightedLine:
    label: str
    source: str
    amount: int


def _line(line_label: str, where: str, amount: int, rule: WeightRule) -> WeightedLine:
    mark = "" if rule.status == "verified" else ", unverified"
    return WeightedLine(f"{line_label} x {rule.weight.normalize():f} % ({rule.label}{mark})",
                        f"{where} x bobot {rule.weight.normalize():f} %",
                        weighted(amount, rule.weight))


def weighted_capital(lines: Iterable[GLLine], surplus: int) -> tuple[WeightedLine, ...]:
    """Modal tertimbang: each equity line and the surplus not yet closed, weighted."""
    rules = load_weights().capital
    out = [_line(x.name, f"GL {x.code}", x.amount, rule_for(rules, x.key)) for x in lines
           if x.type is GLType.EQUITY and not x.between and x.amount]
    if surplus:
        out.append(_line("SHU tahun berjalan (belum ditutup)", "ledger: income less expenses",
                         surplus, rule_for(rules, SURPLUS)))
    return tuple(out)


def weighted_liabilities(lines: Iterable[GLLine]) -> tuple[WeightedLine, ...]:
    """The liabilities' part of the modal tertimbang of Permen KUKM 14/2009's table: each
    liability line (dana syirkah temporer, presented between, left out) weighted."""
    rules = load_weights().liabilities
    return tuple(_line(x.name, f"GL {x.code}", x.amount, rule_for(rules, x.key))
                 for x in lines if x.type is GLType.LIABILITY and not x.between and x.amount)


def risk_weighted_assets(lines: Iterable[GLLine]) -> tuple[WeightedLine, ...]:
    """ATMR: each asset line (contra accounts negative) weighted by its class."""
    rules = load_weights().assets
    return tuple(_line(x.name, f"GL {x.code}", x.amount, rule_for(rules, x.key))
                 for x in lines if x.type is GLType.ASSET and x.amount)


@attrs.frozen
class MemberShare:
    """The members' share of a year's SHU: jasa modal and jasa usaha, and where they come
    from (a draft, or the surplus to the date split by the settings)."""

    jasa_modal: int
    jasa_usaha: int
    source: str
    basis: str


def member_share(ctx: Context, as_of: date, surplus: int, currency: str, *,
                 whole: bool = True) -> MemberShare:
    """SHU bagian anggota of ``as_of``'s year: the year's live SHU draft's member pools (only
    for the ``whole`` cooperative's books: a draft shares the consolidated surplus), else
    ``surplus`` (the year's to the date, of the books assessed) split by the ``[shu]``
    percentages."""
    d, p = shu_drafts.c, shu_pools.c
    draft = ctx.conn.execute(
        sa.select(d.id, d.status, d.surplus)
        .where(d.year == as_of.year, d.status != "superseded", d.currency == currency)
    ).first() if whole else None
    if draft is not None:
        pools = {r.pool: int(r.amount) for r in ctx.conn.execute(
            sa.select(p.pool, p.amount).where(p.draft_id == draft.id))}
        return MemberShare(pools.get("jasa_modal", 0), pools.get("jasa_usaha", 0),
                           f"SHU {as_of.year} draft #{draft.id} ({draft.status})",
                           f"SHU {as_of.year}")
    settings = ctx.settings.shu
    weights = settings.weights()
    parts = dict(zip(SHU_POOLS, allocate(Money(max(surplus, 0), currency), weights),
                     strict=True)) if surplus > 0 else {}
    zero = Money(0, currency)
    percent = " + ".join(f"{pool.replace('_', ' ')} {settings.percent(pool).normalize():f} %"
                         for pool in MEMBER_POOLS)
    return MemberShare(parts.get("jasa_modal", zero).minor, parts.get("jasa_usaha", zero).minor,
                       f"ledger: SHU 1 Jan - {as_of} x [shu] ({percent})",
                       "SHU tahun berjalan")
