"""Scoring tables (regimes) for the health assessment, kept as data.

A regime is a TOML file in ``kopcore/_oversight/regimes/`` naming its ``source``, its score scale
(``max_score``), its categories and, per indicator, a weight and the bands that turn a ratio
(in percent) into a score. Thresholds are decimal strings compared exactly with the ratio (a
:class:`~fractions.Fraction`), never floats. Questionnaire indicators are scored from the
operator's answers instead of bands.
"""

from __future__ import annotations

import tomllib
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any

import attrs

from kopcore.errors import ConfigurationError, ValidationError, message

REGIMES_DIR = Path(__file__).parent / "regimes"
DEFAULT_REGIME = "permenkop-9-2020"

#: The ratios the assessment computes from the ledger and the plugins' figures.
RATIOS = ("equity_to_assets", "npl", "allowance_coverage", "problem_loan_risk",
          "allowance_to_risk", "liquidity", "operating_efficiency", "equity_growth")


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
    weight: Fraction
    kind: str  # "ratio" or "questionnaire"
    bands: tuple[Band, ...] = ()
    #: What a ratio with a zero base scores: "not-assessed" (left out) or "best".
    when_undefined: str = "not-assessed"

    def score(self, percent: Fraction) -> int:
        for band in self.bands:
            if band.matches(percent):
                return band.score
        raise ConfigurationError(
            f"indicator {self.key}: no band matches {percent_text(percent)} %")


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


def parse_regime(data: dict[str, Any], origin: str) -> Regime:
    """Check and build a regime from TOML data (``origin`` names it in error messages)."""
    try:
        max_score = int(data["max_score"])
        categories = tuple(
            Category(str(c["name"]), _fraction(c["min"], f"{origin}: category {c['name']}"))
            for c in data["categories"])
        indicators = []
        for item in data["indicators"]:
            key = str(item["key"])
            where = f"{origin}: indicator {key}"
            kind = str(item.get("kind", "ratio"))
            if kind == "ratio" and key not in RATIOS:
                raise ConfigurationError(f"{where}: unknown ratio (known: {', '.join(RATIOS)})")
            if kind not in ("ratio", "questionnaire"):
                raise ConfigurationError(f"{where}: kind must be ratio or questionnaire")
            bands = tuple(
                Band(int(b["score"]), **{bound: _fraction(b[bound], where)
                                          for bound in ("min", "max", "below", "above")
                                          if bound in b})
                for b in item.get("bands", ()))
            if kind == "ratio" and (not bands or any(
                    not 0 <= b.score <= max_score for b in bands)):
                raise ConfigurationError(f"{where}: bands need scores from 0 to {max_score}")
            when_undefined = str(item.get("when_undefined", "not-assessed"))
            if when_undefined not in ("not-assessed", "best"):
                raise ConfigurationError(f"{where}: when_undefined is not-assessed or best")
            indicators.append(Indicator(key, str(item["name"]), str(item["aspect"]),
                                        _fraction(item["weight"], where), kind, bands,
                                        when_undefined))
        questions = tuple(
            Question(str(q["indicator"]), str(q["key"]), str(q["text"]),
                     _fraction(q.get("weight", "1"), f"{origin}: question {q['key']}"))
            for q in data.get("questions", ()))
        regime = Regime(str(data["code"]), str(data["name"]), str(data["source"]).strip(),
                        max_score, tuple(sorted(categories, key=lambda c: -c.min)),
                        tuple(indicators), questions)
    except (KeyError, TypeError) as exc:
        raise ConfigurationError(f"{origin}: malformed regime ({exc!r})") from None
    surveyed = {i.key for i in regime.indicators if i.kind == "questionnaire"}
    stray = sorted({q.indicator for q in regime.questions} - surveyed)
    if stray:
        raise ConfigurationError(f"{origin}: questions for unknown indicators {stray}")
    if len({q.key for q in regime.questions}) != len(regime.questions):
        raise ConfigurationError(f"{origin}: question keys must be unique")
    return regime


def regime_codes() -> list[str]:
    return sorted(path.stem for path in REGIMES_DIR.glob("*.toml"))


@cache
def load_regime(code: str) -> Regime:
    """A shipped regime by code (``permenkop-9-2020``, ``perdep-06-2016``)."""
    if code not in regime_codes():
        raise ValidationError(message("unknown regime '{code}' (shipped: {shipped})",
                                      code=code,
                                      shipped=', '.join(regime_codes())),
                              field="regime")
    path = REGIMES_DIR / f"{code}.toml"
    return parse_regime(tomllib.loads(path.read_text(encoding="utf-8")), path.name)
