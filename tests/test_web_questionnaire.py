"""The health questionnaire page of the staff web app: every question of a regime answered for a
position date in one form, sent to ``health.questionnaire-answer`` in one batch (all or none),
the answers in force pre-selected; linked from the health assessment report. The browser journey
is in test_web_browser.py."""

from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa

from kopcore._oversight.tables import answers
from kopcore.kernel import Kernel
from kopcore.testing import run_operation
from tests.web_support import client_for, demo_kernel, hidden, log_in

__all__ = ["demo_kernel"]

PAGE = "/app/reports/kesehatan/kuesioner"


def stored(kernel: Kernel, day: date | None = None) -> int:
    query = sa.select(sa.func.count()).select_from(answers)
    if day is not None:
        query = query.where(answers.c.applies_on == day)
    return int(kernel.db.read(lambda conn: conn.execute(query).scalar_one()))


def business_date(kernel: Kernel) -> date:
    return kernel.read("system", lambda ctx: ctx.business_date)  # type: ignore[no-any-return]


def keys_on(page: str) -> list[str]:
    return re.findall(r'data-testid="question" data-key="([^"]+)"', page)


def test_a_manager_answers_the_questionnaire_for_a_position_date(demo_kernel: Kernel) -> None:
    year_end = date(business_date(demo_kernel).year - 1, 12, 31)
    with client_for(demo_kernel) as client:
        log_in(client, "manager")
        report = client.get("/app/reports/kesehatan").text
        assert 'data-testid="questionnaire-link"' in report
        page = client.get(PAGE, params={"regime": "perdep-06-2016",
                                        "applies_on": year_end.isoformat()})
        assert page.status_code == 200
        keys = keys_on(page.text)
        assert len(keys) == 38  # Perdep 06/2016: 38 questions
        assert page.text.count('data-testid="indicator"') >= 2
        assert 'id="save"' in page.text
        assert "Kuesioner" in page.text
        assert "Simpan jawaban" in page.text
        form = {"csrf": hidden(page.text, "csrf"),
                "idempotency_key": hidden(page.text, "idempotency_key"),
                "regime": "perdep-06-2016", "applies_on": year_end.isoformat()}
        chosen = {f"a.{key}": "yes" if n % 3 else "no" for n, key in enumerate(keys)}
        before = stored(demo_kernel)
        sent = {**form, **chosen, f"n.{keys[0]}": "Notulen RAT"}
        done = client.post(PAGE, data=sent)
        assert done.status_code == 200, done.text
        assert 'data-testid="saved"' in done.text
        assert stored(demo_kernel, year_end) == len(keys)
        assert stored(demo_kernel) == before + len(keys)
        # The answers in force are pre-selected, with the note.
        assert f'id="a-{keys[0]}-no" value="no" ' in done.text
        assert re.search(rf'id="a-{keys[0]}-no"[^>]*checked', done.text)
        assert re.search(rf'id="a-{keys[1]}-yes"[^>]*checked', done.text)
        assert 'value="Notulen RAT"' in done.text
        assert "38 dari 38" in done.text
        # The same form sent again records nothing more.
        again = client.post(PAGE, data=sent)
        assert again.status_code == 200
        assert "sudah pernah dikirim" in again.text
        assert stored(demo_kernel) == before + len(keys)
        # The assessment of the year end scores management from them; the day before, not.
        got = {i["key"]: i for i in run_operation(demo_kernel, "health.assess", {
            "regime": "perdep-06-2016", "as_of": year_end.isoformat()},
            as_user="auditor")["indicators"]}
        assert got["management_general"]["score"] is not None
        earlier = {i["key"]: i for i in run_operation(demo_kernel, "health.assess", {
            "regime": "perdep-06-2016", "as_of": date(year_end.year, 12, 30).isoformat()},
            as_user="auditor")["indicators"]}
        assert earlier["management_general"]["score"] is None


def test_the_page_refuses_a_whole_batch_a_forged_form_and_a_reader(demo_kernel: Kernel
                                                                  ) -> None:
    with client_for(demo_kernel) as client:
        log_in(client, "manager")
        page = client.get(PAGE).text
        keys = keys_on(page)
        form = {"csrf": hidden(page, "csrf"),
                "idempotency_key": hidden(page, "idempotency_key"),
                "regime": "permenkop-9-2020",
                "applies_on": business_date(demo_kernel).isoformat()}
        before = stored(demo_kernel)
        invalid = client.post(PAGE, data={**form, f"a.{keys[0]}": "yes",
                                          f"a.{keys[1]}": "maybe"})
        assert invalid.status_code == 422
        assert 'data-testid="error"' in invalid.text
        assert re.search(rf'id="a-{keys[0]}-yes"[^>]*checked', invalid.text)
        empty = client.post(PAGE, data=form)
        assert 'data-testid="error"' in empty.text
        forged = client.post(PAGE, data={**form, "csrf": "not-the-token",
                                         f"a.{keys[0]}": "yes"})
        assert forged.status_code == 403
        later = client.get(PAGE, params={"applies_on": "2999-12-31"})
        assert 'data-testid="error"' in later.text
        assert stored(demo_kernel) == before
    with client_for(demo_kernel) as client:
        log_in(client, "auditor")
        page = client.get(PAGE).text
        assert 'id="save"' not in page
        assert "disabled" in page
        sent = client.post(PAGE, data={"csrf": hidden(page, "csrf"),
                                       "idempotency_key": hidden(page, "idempotency_key"),
                                       f"a.{keys[0]}": "yes"})
        assert sent.status_code == 403
        assert stored(demo_kernel) == before
