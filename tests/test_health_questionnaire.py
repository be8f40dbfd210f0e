"""The non-financial questionnaire dated to the position it applies to, and answered in batches.

An examiner who in March 2027 assesses the 31-12-2026 position records the management and
governance answers for 31 December 2026: they count in the year-end assessment and not in an
earlier one; a later correction for the same position wins; a batch is recorded all or none, on
the API (problem+json) and the CLI (a JSON or CSV file of answers); answers recorded before the
position date existed apply to the business date they were recorded on (oversight0002).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command

from kopcore._db import tables as t
from kopcore._db.migrate import alembic_config
from kopcore._oversight.tables import answers as answers_table
from tests import interfaces_support as support
from tests.interfaces_support import Env, assert_problem

env = support.env

REGIME = "permenkop-9-2020"
YEAR_END = date(2026, 12, 31)
HALF_YEAR = date(2026, 6, 30)
MARCH = date(2027, 3, 15)


def move_to(env: Env, day: date) -> None:
    """Set the business date forward, as end of day would after closing each day."""
    env.kernel.write("system", lambda ctx: ctx.conn.execute(
        sa.update(t.business_calendar).values(business_date=day)))


def questions(env: Env, indicator: str, regime: str = REGIME) -> list[str]:
    shown = env.ok("health.questionnaire-show", {"regime": regime}, user="auditor")
    return [q["key"] for q in shown["questions"] if q["indicator"] == indicator]


def indicators(env: Env, as_of: date, regime: str = REGIME) -> dict[str, Any]:
    result = env.ok("health.assess", {"as_of": as_of.isoformat(), "regime": regime},
                    user="auditor")
    return {i["key"]: i for i in result["indicators"]}


def stored(env: Env) -> int:
    return env.count(answers_table)


def test_an_answer_recorded_in_march_for_the_year_end_counts_for_the_year_end(env: Env
                                                                             ) -> None:
    membership = questions(env, "principle_membership")
    assert len(membership) == 4
    move_to(env, MARCH)
    batch = [{"question": key, "answer": "no" if n == 3 else "yes", "note": f"RAT 2026 #{n}"}
             for n, key in enumerate(membership)]
    saved = env.ok("health.questionnaire-answer", {
        "regime": REGIME, "applies_on": YEAR_END.isoformat(), "answers": batch},
        user="manajer")
    assert (saved["regime"], saved["applies_on"], saved["recorded"]) == (
        REGIME, "2026-12-31", 4)
    first = saved["answers"][0]
    assert (first["key"], first["answer"], first["applies_on"], first["business_date"],
            first["answered_by"]) == (membership[0], True, "2026-12-31", "2027-03-15",
                                      "manajer")
    assert first["indicator_name"]

    year_end = indicators(env, YEAR_END)["principle_membership"]
    assert (year_end["value_percent"], year_end["score"]) == ("75.00", 3)
    half_year = indicators(env, HALF_YEAR)["principle_membership"]
    assert half_year["score"] is None
    assert "not answered" in half_year["note"]
    # The position in force later still is the year end's (the latest on or before it).
    assert indicators(env, MARCH)["principle_membership"]["score"] == 3

    # A correction for the same position date, recorded later, wins.
    env.ok("health.questionnaire-answer", {
        "regime": REGIME, "applies_on": YEAR_END.isoformat(),
        "answers": [{"question": membership[3], "answer": "yes", "note": "koreksi"}]},
        user="manajer")
    assert indicators(env, YEAR_END)["principle_membership"]["score"] == 4
    shown = {q["key"]: q for q in env.ok("health.questionnaire-show", {
        "regime": REGIME, "as_of": YEAR_END.isoformat()}, user="auditor")["questions"]}
    assert (shown[membership[3]]["answer"], shown[membership[3]]["note"]) == (True, "koreksi")

    # An answer for an earlier position, recorded after, does not replace the year end's.
    env.ok("health.questionnaire-answer", {
        "regime": REGIME, "applies_on": HALF_YEAR.isoformat(),
        "answers": [{"question": key, "answer": "no"} for key in membership]},
        user="manajer")
    assert indicators(env, YEAR_END)["principle_membership"]["score"] == 4
    assert indicators(env, HALF_YEAR)["principle_membership"]["score"] == 1
    # Append-only: every answer given stays on record.
    assert stored(env) == 4 + 1 + 4


def test_the_single_answer_takes_a_position_date_too(env: Env) -> None:
    key = questions(env, "principle_membership")[0]
    move_to(env, MARCH)
    saved = env.ok("health.questionnaire-set", {
        "question": key, "answer": "yes", "applies_on": YEAR_END.isoformat()}, user="manajer")
    assert (saved["applies_on"], saved["business_date"]) == ("2026-12-31", "2027-03-15")
    default = env.ok("health.questionnaire-set", {"question": key, "answer": "no"},
                     user="manajer")
    assert default["applies_on"] == "2027-03-15"
    shown = {q["key"]: q for q in env.ok("health.questionnaire-show", {
        "as_of": YEAR_END.isoformat()}, user="auditor")["questions"]}
    assert shown[key]["answer"] is True


def test_a_batch_with_an_unknown_question_is_refused_whole(env: Env) -> None:
    membership = questions(env, "principle_membership")
    before = stored(env)
    batch = [{"question": membership[0], "answer": "yes"},
             {"question": "no-such-question", "answer": "yes"},
             {"question": membership[1], "answer": "no"}]
    problem = assert_problem(env.call("health.questionnaire-answer",
                                      {"regime": REGIME, "answers": batch}, user="manajer"),
                             422, "validation-error")
    assert problem["field"] == "answers[1].question"
    assert problem["question"] == "no-such-question"
    assert "no-such-question" in problem["detail"]
    assert stored(env) == before

    # A question answered twice, an invalid answer, a date after the business date, an empty
    # batch, a question of another regime: all refused, nothing written.
    sharia = questions(env, "sharia_compliance", "perdep-07-2016") or ["sharia-1"]
    for data, field in (
            ({"answers": [{"question": membership[0], "answer": "yes"},
                          {"question": membership[0], "answer": "no"}]},
             "answers[1].question"),
            ({"answers": [{"question": membership[0], "answer": "maybe"}]},
             "answers[0].answer"),
            ({"answers": [{"question": membership[0], "answer": "yes"}],
              "applies_on": "2026-01-06"}, "applies_on"),
            ({"answers": []}, "answers"),
            ({"answers": [{"question": sharia[0], "answer": "yes"}]}, "answers[0].question")):
        problem = assert_problem(env.call("health.questionnaire-answer",
                                          {"regime": REGIME, **data}, user="manajer"),
                                 422, "validation-error")
        assert problem["field"] == field, problem
    assert stored(env) == before
    # Who may answer: managers (health.answer), not an auditor.
    assert_problem(env.call("health.questionnaire-answer", {
        "answers": [{"question": membership[0], "answer": "yes"}]}, user="auditor"),
        403, "forbidden")
    assert stored(env) == before


def test_the_cli_answers_from_a_csv_or_json_file(env: Env, tmp_path: Path) -> None:
    membership = questions(env, "principle_membership")
    move_to(env, MARCH)
    sheet = tmp_path / "jawaban.csv"
    sheet.write_text("question,answer,note\n" + "".join(
        f"{key},{'yes' if n else 'no'},\"Notulen RAT, hal. {n}\"\n"
        for n, key in enumerate(membership)), encoding="utf-8")
    done = env.cli("health", "questionnaire-answer", "--regime", REGIME, "--applies-on",
                   "2026-12-31", "--answers", f"@{sheet}", "--json", operator="manajer")
    payload = done.json()
    assert (payload["recorded"], payload["applies_on"]) == (4, "2026-12-31")
    assert payload["answers"][1]["note"] == "Notulen RAT, hal. 1"
    assert indicators(env, YEAR_END)["principle_membership"]["score"] == 3

    listed = tmp_path / "jawaban.json"
    listed.write_text(json.dumps([{"question": membership[0], "answer": "yes"}]),
                      encoding="utf-8")
    done = env.cli("health", "questionnaire-answer", "--applies-on", "2026-12-31",
                   "--answers", f"@{listed}", "--json", operator="manajer")
    assert done.json()["recorded"] == 1
    assert indicators(env, YEAR_END)["principle_membership"]["score"] == 4
    inline = env.cli_op("health.questionnaire-answer", {
        "answers": [{"question": membership[0], "answer": "no"}]}, operator="manajer")
    assert inline.json()["applies_on"] == "2027-03-15"

    before = stored(env)
    sheet.write_text(f"question,answer\n{membership[0]},yes\nno-such-question,no\n",
                     encoding="utf-8")
    refused = env.cli("health", "questionnaire-answer", "--answers", f"@{sheet}",
                      operator="manajer")
    assert refused.exit_code != 0
    assert refused.error_code == "validation-error"
    assert "no-such-question" in refused.stderr
    missing = env.cli("health", "questionnaire-answer", "--answers",
                      f"@{tmp_path / 'none.csv'}", operator="manajer")
    assert missing.exit_code != 0
    assert "cannot read" in missing.stderr
    assert stored(env) == before


def test_answers_recorded_before_the_migration_apply_to_their_business_date(env: Env
                                                                           ) -> None:
    config = alembic_config(env.kernel)
    with env.kernel.db.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "oversight0001")
    with env.kernel.db.engine.begin() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("oversight_answers")}
        assert "applies_on" not in columns
        conn.execute(sa.text(
            "INSERT INTO oversight_answers (regime, question, answer, note, answered_by, "
            "business_date, recorded_at) VALUES (:regime, :question, :answer, '', 'manajer', "
            ":day, :at)"), [
                {"regime": REGIME, "question": key, "answer": True, "day": "2026-01-05",
                 "at": "2026-01-05 02:00:00"}
                for key in questions_before_migration()])
        config.attributes["connection"] = conn
        command.upgrade(config, "heads")
    rows = env.rows(sa.select(answers_table.c.business_date, answers_table.c.applies_on))
    assert len(rows) == 3
    assert all(r.applies_on == r.business_date == date(2026, 1, 5) for r in rows)
    assert indicators(env, date(2026, 1, 5))["principle_shu"]["score"] == 4


def questions_before_migration() -> list[str]:
    """The Juknis' pembagian SHU questions (read from the regime, not the database)."""
    from kopcore._oversight.scoring import load_regime

    return [q.key for q in load_regime(REGIME).questions if q.indicator == "principle_shu"]
