"""Scoring tables (regimes) for the health assessment, kept as data.

A regime is a TOML file in ``kopcore/_oversight/regimes/`` naming its ``source``, its score scale
(``max_score``), its categories, its aspects (each with a weight) and, per indicator, the ratio
it scores, a weight within its aspect and the bands that turn the ratio (in percent) into a
score. Thresholds are decimal strings compared exactly with the ratio (a
:class:`~fractions.Fraction`), never floats. Questionnaire indicators are scored from the
operator's answers: the share answered yes, through the indicator's bands when it has them
(the Juknis 15/2021 way: 76-100 % scores 4) or as that share of the top score.

Every indicator names its ``source`` (regulation, annex section, and where the table was read)
and a ``status``: ``verified`` (the table was read in the regulation's text or a faithful copy
of it), ``unverified`` (taken from a secondary summary, to be checked against the annex) or
``not-found`` (the annex table could not be read: the bands are placeholders, said so).
"""

from __future__ import annotations

import tomllib
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any

import attrs

from kopcore._i18n import format_decimal_text, gettext
from kopcore.errors import ConfigurationError, ValidationError, message

REGIMES_DIR = Path(__file__).parent / "regimes"
DEFAULT_REGIME = "permenkop-9-2020"

#: The ratios the assessment computes from the ledger and the plugins' figures
#: (definitions in :mod:`kopcore._oversight.ratios`).
RATIOS = ("equity_to_assets", "npl", "allowance_coverage", "problem_loan_risk",
          "allowance_to_risk", "liquidity", "operating_efficiency", "equity_growth",
          "equity_to_risky_loans", "capital_adequacy", "own_capital_adequacy",
          "member_loans", "risky_loans",
          "member_cost_to_participation", "business_cost_to_gross_shu", "service_efficiency",
          "loans_to_funds", "return_on_assets", "return_on_equity", "self_sufficiency",
          "operational_independence",
          "gross_participation", "member_economic_promotion", "productive_to_assets",
          "loans_to_productive_assets", "liquid_to_assets", "net_margin", "non_member_funding",
          "npf", "financing_allowance_to_risk", "financing_to_funds", "fixed_to_assets")
STATUSES = ("verified", "unverified", "not-found")


def percent_text(value: Fraction, places: int = 2) -> str:
    """An exact ratio in percent as text with ``places`` decimals, rounded half up
    (away from zero for negatives): ``Fraction(1, 8)`` → ``"12.50"``."""
    scaled = abs(value) * 10**places
    whole = int(scaled)
    if scaled - whole >= Fraction(1, 2):
        whole += 1
    sign = "-" if value < 0 and whole else ""
    digits = str(whole).rjust(places + 1, "0")
    return f"{sign}{digits[:-places]}.{digits[-places:]}" if places else f"{sign}{digits}"


@attrs.frozen
class Band:
    """A score for ratios within the bounds that are set (percent, inclusive unless named
    ``below``/``above``)."""

    score: int
    min: Fraction | None = None
    max: Fraction | None = None
    below: Fraction | None = None
    above: Fraction | None = None

    def matches(self, value: Fraction) -> bool:
        return ((self.min is None or value >= self.min)
                and (self.max is None or value <= self.max)
                and (self.below is None or value < self.below)
                and (self.above is None or value > self.above))


@attrs.frozen
class Question:
    indicator: str
    key: str
    text: str
    weight: Fraction


@attrs.frozen
class Indicator:
    key: str
    name: str
    aspect: str
    #: The weight in the whole assessment (the aspect's weight shared by the indicators'
    #: weights within it).
    weight: Fraction
    kind: str  # "ratio" or "questionnaire"
    bands: tuple[Band, ...] = ()
    #: What a ratio with a zero base scores: "not-assessed" (left out) or "best".
    when_undefined: str = "not-assessed"
    #: The ratio computed (default: the key).
    ratio: str = ""
    source: str = ""
    status: str = "verified"
    #: Left out without making the assessment provisional when its figure is not reported.
    optional: bool = False
    #: A questionnaire whose points are the exact share of yes times the weight (Perdep:
    #: each yes is worth bobot / number of questions), not a whole score's.
    exact: bool = False

    def band_text(self, percent: Fraction) -> str:
        """The matching band's bounds, as the worksheet prints them."""
        for band in self.bands:
            if band.matches(percent):
                return band_text(band)
        return ""

    def score(self, percent: Fraction) -> int:
        for band in self.bands:
            if band.matches(percent):
                return band.score
        raise ConfigurationError(
            f"indicator {self.key}: no band matches {percent_text(percent)} %")


def band_words(text: str, locale: str) -> str:
    """A band as :func:`band_text` writes it (``<= 70.00``, ``>= 20.00 and < 40.00``, ``any
    other value``), for a person reading ``locale``: the numbers in their format and the words
    in their language (``<= 70,00``, ``>= 20,00 dan < 40,00``, ``selain itu``)."""
    if text == "any other value":
        return gettext("any other value", locale)
    parts = []
    for part in text.split(" and "):
        sign, _, number = part.partition(" ")
        parts.append(f"{sign} {format_decimal_text(number, locale)}" if number else part)
    return f" {gettext('and', locale)} ".join(parts)


def band_text(band: Band) -> str:
    parts = []
    if band.above is not None:
        parts.append(f"> {percent_text(band.above)}")
    if band.min is not None:
        parts.append(f">= {percent_text(band.min)}")
    if band.below is not None:
        parts.append(f"< {percent_text(band.below)}")
    if band.max is not None:
        parts.append(f"<= {percent_text(band.max)}")
    return " and ".join(parts) or "any other value"


@attrs.frozen
class Aspect:
    name: str
    weight: Fraction
    source: str = ""


@attrs.frozen
class Category:
    name: str
    min: Fraction


@attrs.frozen
class Regime:
    code: str
    name: str
    source: str
    max_score: int
    categories: tuple[Category, ...]
    indicators: tuple[Indicator, ...]
    questions: tuple[Question, ...]
    aspects: tuple[Aspect, ...] = ()

    def category(self, score: Fraction) -> str:
        for category in self.categories:
            if score >= category.min:
                return category.name
        return self.categories[-1].name

    def question(self, key: str) -> Question:
        for question in self.questions:
            if question.key == key:
                return question
        known = ", ".join(q.key for q in self.questions)
        raise ValidationError(message("regime {code} has no question '{key}' (questions: "
                                      "{known})", code=self.code, key=key,
                                      known=known),
                              field="question")


def _fraction(value: Any, where: str) -> Fraction:
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise ConfigurationError(f"{where}: write numbers as decimal strings, like \"12.5\"")
    try:
        return Fraction(Decimal(value))
    except (InvalidOperation, ValueError):
        raise ConfigurationError(f"{where}: {value!r} is not a decimal number") from None


def _bands(item: dict[str, Any], where: str) -> tuple[Band, ...]:
    return tuple(
        Band(int(b["score"]), **{bound: _fraction(b[bound], where)
                                  for bound in ("min", "max", "below", "above") if bound in b})
        for b in item.get("bands", ()))


def parse_regime(data: dict[str, Any], origin: str) -> Regime:
    """Check and build a regime from TOML data (``origin`` names it in error messages).

    With ``[[aspects]]`` each indicator's ``weight`` (default 1) is its share within its aspect
    and the aspect's weight is spread over its indicators in proportion; without aspects the
    indicators' weights are used as they are."""
    try:
        max_score = int(data["max_score"])
        categories = tuple(
            Category(str(c["name"]), _fraction(c["min"], f"{origin}: category {c['name']}"))
            for c in data["categories"])
        aspects = tuple(Aspect(str(a["name"]), _fraction(a["weight"], f"{origin}: aspect"),
                               str(a.get("source", "")).strip())
                        for a in data.get("aspects", ()))
        raw = []
        for item in data["indicators"]:
            key = str(item["key"])
            where = f"{origin}: indicator {key}"
            kind = str(item.get("kind", "ratio"))
            ratio = str(item.get("ratio", key))
            if kind == "ratio" and ratio not in RATIOS:
                raise ConfigurationError(f"{where}: unknown ratio (known: {', '.join(RATIOS)})")
            if kind not in ("ratio", "questionnaire"):
                raise ConfigurationError(f"{where}: kind must be ratio or questionnaire")
            bands = _bands(item, where)
            if (kind == "ratio" and not bands) or any(
                    not 0 <= b.score <= max_score for b in bands):
                raise ConfigurationError(f"{where}: bands need scores from 0 to {max_score}")
            when_undefined = str(item.get("when_undefined", "not-assessed"))
            if when_undefined not in ("not-assessed", "best"):
                raise ConfigurationError(f"{where}: when_undefined is not-assessed or best")
            status = str(item.get("status", "verified"))
            if status not in STATUSES:
                raise ConfigurationError(f"{where}: status is one of {', '.join(STATUSES)}")
            raw.append(Indicator(key, str(item["name"]), str(item["aspect"]),
                                 _fraction(item.get("weight", "1"), where), kind, bands,
                                 when_undefined, ratio, str(item.get("source", "")).strip(),
                                 status, bool(item.get("optional", False)),
                                 bool(item.get("exact", False))))
        indicators = _spread(raw, aspects, origin)
        questions = tuple(
            Question(str(q["indicator"]), str(q["key"]), str(q["text"]),
                     _fraction(q.get("weight", "1"), f"{origin}: question {q['key']}"))
            for q in data.get("questions", ()))
        regime = Regime(str(data["code"]), str(data["name"]), str(data["source"]).strip(),
                        max_score, tuple(sorted(categories, key=lambda c: -c.min)),
                        tuple(indicators), questions, aspects)
    except (KeyError, TypeError) as exc:
        raise ConfigurationError(f"{origin}: malformed regime ({exc!r})") from None
    if len({i.key for i in regime.indicators}) != len(regime.indicators):
        raise ConfigurationError(f"{origin}: indicator keys must be unique")
    surveyed = {i.key for i in regime.indicators if i.kind == "questionnaire"}
    stray = sorted({q.indicator for q in regime.questions} - surveyed)
    if stray:
        raise ConfigurationError(f"{origin}: questions for unknown indicators {stray}")
    if len({q.key for q in regime.questions}) != len(regime.questions):
        raise ConfigurationError(f"{origin}: question keys must be unique")
    return regime


def _spread(raw: list[Indicator], aspects: tuple[Aspect, ...], origin: str
            ) -> list[Indicator]:
    """Each indicator's weight in the whole: its aspect's weight times its share within it."""
    if not aspects:
        return raw
    named = {a.name: a for a in aspects}
    unknown = sorted({i.aspect for i in raw} - set(named))
    if unknown:
        raise ConfigurationError(f"{origin}: indicators of undeclared aspects {unknown}")
    within: dict[str, Fraction] = {}
    for i in raw:
        within[i.aspect] = within.get(i.aspect, Fraction(0)) + i.weight
    return [attrs.evolve(i, weight=named[i.aspect].weight * i.weight / within[i.aspect])
            for i in raw]


def regime_codes() -> list[str]:
    return sorted(path.stem for path in REGIMES_DIR.glob("*.toml"))


@cache
def load_regime(code: str) -> Regime:
    """A shipped regime by code (``permenkop-9-2020``, ``perdep-06-2016``,
    ``perdep-07-2016``)."""
    if code not in regime_codes():
        raise ValidationError(message("unknown regime '{code}' (shipped: {shipped})",
                                      code=code,
                                      shipped=', '.join(regime_codes())),
                              field="regime")
    path = REGIMES_DIR / f"{code}.toml"
    return parse_regime(tomllib.loads(path.read_text(encoding="utf-8")), path.name)
