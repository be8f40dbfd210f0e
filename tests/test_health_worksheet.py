"""The filled worksheet through the API and the CLI: the same figures both ways, the printable
page written to a file, an unknown regime refused, and the closed-loop slot of the current
regime (``members.non_member_funding``) left out until a plugin reports the figure."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

import kopcore
from kopcore._oversight.scoring import load_regime, parse_regime
from kopcore.context import Context
from kopcore.errors import ConfigurationError
from kopcore.records import HealthFigure
from kopcore.testing import Cooperative, KernelFactory
from tests import interfaces_support as support
from tests.interfaces_support import Env

env = support.env


def test_worksheet_through_the_api_and_the_cli(env: Env, tmp_path: Path) -> None:
    api = env.ok("health.assess", {"regime": "perdep-06-2016", "format": "html"},
                 user="auditor")
    cli = env.cli_op("health.assess", {"regime": "perdep-06-2016", "format": "html"},
                     operator="auditor").json()
    assert cli == api
    page = api["document"]
    assert page.startswith("<!DOCTYPE html>")
    for aspect in ("Permodalan", "Kualitas aktiva produktif", "Manajemen", "Efisiensi",
                   "Likuiditas", "Kemandirian dan pertumbuhan", "Jatidiri koperasi"):
        assert f"<h2>{aspect}</h2>" in page
    assert "GL 1101" in page  # the cash ratio's numerator traced to the cash GL account
    for fetched in ("<script", "src=", "href=", "@import"):
        assert fetched not in page
    target = tmp_path / "kertas-kerja.html"
    written = env.cli("health", "assess", "--regime", "perdep-06-2016", "--format", "html",
                      "--output", str(target), operator="auditor")
    assert written.exit_code == 0, written.stderr
    assert target.read_text(encoding="utf-8") == page
    as_json = env.ok("health.assess", {"regime": "perdep-07-2016"}, user="auditor")
    assert as_json["document"] is None
    assert [a["name"] for a in as_json["aspects"]][-1] == "Kepatuhan prinsip syariah"
    refused = env.call("health.assess", {"regime": "perdep-99"}, user="auditor")
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")


def test_the_closed_loop_indicator_reads_the_members_own_figure(env: Env) -> None:
    """The kernel reports funding from non-members (kopcore.members): none here, 0 % of the
    assets, within the 40 % of Permenkop 8/2023."""
    regime = load_regime("permenkop-9-2020")
    slot = next(i for i in regime.indicators if i.key == "non_member_funding")
    assert (slot.aspect, slot.optional, slot.status) == ("Profil risiko", True, "not-found")
    got = {i["key"]: i for i in env.ok("health.assess", {}, user="auditor")["indicators"]}
    assert (got["non_member_funding"]["value_percent"], got["non_member_funding"]["score"]) \
        == ("0.00", 4)
    assert got["non_member_funding"]["numerator_parts"][0]["source"] == \
        "figure members.non_member_funding (kopcore.members)"


def test_perdep_management_answers_count_exactly(env: Env) -> None:
    """Perdep 06/2016 manajemen umum: 12 questions, each yes worth 3/12 = 0.25 of the skor
    (the annex's table: 7 yes -> 1.75), not a rounded nilai (7/12 = 58.33 -> 58 -> 1.74)."""
    questions = [q for q in env.ok("health.questionnaire-show", {"regime": "perdep-06-2016"},
                                   user="auditor")["questions"]
                 if q["indicator"] == "management_general"]
    assert len(questions) == 12
    for n, q in enumerate(questions):
        env.ok("health.questionnaire-set", {"regime": "perdep-06-2016", "question": q["key"],
                                            "answer": "yes" if n < 7 else "no"},
               user="manajer")
    got = {i["key"]: i for i in env.ok("health.assess", {"regime": "perdep-06-2016"},
                                       user="auditor")["indicators"]}
    general = got["management_general"]
    assert (general["score"], general["points"], general["weight"]) == (58, "1.75", "3.00")
    assert general["value_percent"] == "58.33"


class ClosedLoop:
    """Stands in for the members side reporting funding from non-members."""

    def __init__(self, amount: int) -> None:
        self.amount = amount

    @kopcore.hookimpl
    def kopcore_health_figures(self, ctx: Context, as_of: date) -> list[HealthFigure]:
        return [HealthFigure("members.non_member_funding", self.amount,
                             label="Dana dari non-anggota", currency=ctx.settings.currency)]


def test_the_closed_loop_indicator_scores_once_its_figure_is_reported(
        make_kernel: KernelFactory) -> None:
    # Assets 10,000,000 (capital in cash); non-member funding 4,500,000.00 = 45 % > 40 % -> 1.
    coop = Cooperative(make_kernel(extra_plugins=(("closed", ClosedLoop(450_000_000)),)),
                       capital="10000000")
    got = {i["key"]: i for i in coop.call("health.assess")["indicators"]}
    slot = got["non_member_funding"]
    assert (slot["value_percent"], slot["score"]) == ("45.00", 1)
    # Figures of one key from several plugins add up: the kernel's own (0 here) and this one.
    assert slot["numerator_parts"][0]["source"] == \
        "figure members.non_member_funding (kopcore.members, closed)"


def test_regime_files_name_their_aspects_and_statuses() -> None:
    base = {"code": "x", "name": "x", "source": "x", "max_score": 4,
            "categories": [{"name": "Sehat", "min": "80"}],
            "aspects": [{"name": "Permodalan", "weight": "100"}],
            "indicators": [{"key": "equity_to_assets", "name": "E", "aspect": "Permodalan",
                            "bands": [{"score": 4}]}]}
    assert parse_regime(base, "ok.toml").indicators[0].weight == 100
    for change, match in (({"aspect": "Elsewhere"}, "undeclared aspects"),
                          ({"status": "guessed"}, "status is one of"),
                          ({"ratio": "made_up"}, "unknown ratio")):
        broken = {**base, "indicators": [{**base["indicators"][0], **change}]}
        with pytest.raises(ConfigurationError, match=match):
            parse_regime(broken, "broken.toml")
    for code in ("permenkop-9-2020", "perdep-06-2016", "perdep-07-2016"):
        regime = load_regime(code)
        assert sum(i.weight for i in regime.indicators) == 100, code
        assert all(i.source for i in regime.indicators), code
