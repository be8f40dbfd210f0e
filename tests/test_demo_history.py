"""The demo's history: ``kopcore demo --months N`` plays N months of business through end of
day, with each plugin's month of activity (``DemoSeed.each_month``) on the 7th."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import func, select

from kopcore import ledger
from kopcore._db import tables as t
from kopcore._demo import DEMO_START, create_demo, month_day
from kopcore.kernel import Kernel
from kopcore.testing import verify_books

pytest.importorskip("kopcore_savings", reason="the demo's activity needs the savings plugin")
pytest.importorskip("kopcore_loans", reason="the demo's activity needs the loans plugin")
pytest.importorskip("kopcore_sharia", reason="the demo's activity needs the sharia plugin")


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kernel]:
    folder = tmp_path_factory.mktemp("demo")
    settings, _keys = create_demo(f"sqlite:///{folder / 'demo.db'}", ("savings", "loans", "sharia"),
                                  months=2)
    kernel = Kernel.start(settings)
    yield kernel
    kernel.close()


def _entries(kernel: Kernel, memo: str) -> int:
    e = t.journal_entries.c
    return int(kernel.read("auditor", lambda ctx: ctx.conn.execute(
        select(func.count()).where(e.memo.like(memo))).scalar_one()))


def test_the_demo_ends_on_the_7th_of_its_last_month(played: Kernel) -> None:
    assert month_day(DEMO_START, 2) == date(2026, 3, 7)
    assert played.read("auditor", lambda ctx: ctx.business_date) == date(2026, 3, 7)


def test_members_paid_in_every_month_and_borrowers_paid_their_installments(
        played: Kernel) -> None:
    members = played.read("auditor", lambda ctx: ledger.list_members(ctx, limit=50))
    assert _entries(played, "Setoran bulanan%") == 2 * len(members)
    # The two demo loans (disbursed on 5 January, due on the 5th): February's and March's
    # installments, each paid on the 7th.
    for number in ("PJ00000001", "PJ00000002"):
        assert _entries(played, f"Angsuran pinjaman {number}%") == 2
    # The sharia unit's murabahah: the first installment at signing, then one a month.
    assert _entries(played, "Angsuran murabahah % ke-3/10") == 1
    assert _entries(played, "Angsuran murabahah %") == 3


def test_end_of_day_ran_every_day_and_the_books_verify(played: Kernel) -> None:
    closed = played.read("auditor", lambda ctx: ctx.conn.execute(
        select(func.count()).select_from(t.eod_runs)).scalar_one())
    assert closed >= (date(2026, 3, 7) - DEMO_START).days
    report = played.read("auditor", verify_books)
    assert report.errors == [], report.errors
