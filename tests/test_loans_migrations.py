"""The loans branch's later revisions upgrade books that already hold loans: collateral of loans
paid off is released as of the day they closed, guarantees end, classes get their roles; and
they downgrade again."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from alembic import command

from kopcore._db.database import Database, make_engine
from kopcore._db.migrate import alembic_config, upgrade
from kopcore._plugin_manager import PluginHost
from kopcore.kernel import Kernel
from kopcore.settings import Settings

LOAN = ("INSERT INTO loans_loans (id, number, member_id, product_id, status, currency, "
        "principal, term, method, frequency, annual_rate, rounding_unit, provisi_fee, "
        "admin_fee, purpose, auto_debit, applied_by, applied_on, closed_on, "
        "interest_recognized, penalty_due, days_past_due, allowance, schedule_version, "
        "written_off, recovered) VALUES (:id, :number, 1, 1, :status, 'IDR', 100000000, 12, "
        "'flat', 'monthly', '18', '1', 0, 0, '', false, 'teller', '2026-01-05', :closed, 0, 0, "
        "0, 0, 1, 0, 0)")


def test_the_loans_branch_upgrades_books_holding_loans_and_downgrades(
        database_url: str) -> None:
    settings = Settings(database_url=database_url, plugins=("loans",))
    kernel = Kernel(settings, Database(make_engine(database_url)),
                    PluginHost.load(settings.plugins))
    try:
        config = alembic_config(kernel)
        with kernel.db.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "loans0001")
            conn.execute(sa.text(
                "INSERT INTO loans_products (id, code, name, method, frequency, annual_rate, "
                "rounding_unit, currency, min_amount, max_amount, min_term, max_term, "
                "provisi_percent, admin_fee, fees_deducted, penalty_percent_per_day, "
                "penalty_base, grace_days, allocation_order, accounting, settlement_interest, "
                "exit_netting, active, created_on) VALUES (1, 'P', 'P', 'flat', 'monthly', "
                "'18', '1', 'IDR', 1, 1000000000, 1, 60, '0', 0, true, '0', 'installment', 0, "
                "'penalty,interest,principal', 'accrual', 'accrued', false, true, "
                "'2026-01-05')"))
            conn.execute(sa.text(LOAN), [
                {"id": 1, "number": "PJ00000001", "status": "closed", "closed": "2026-06-30"},
                {"id": 2, "number": "PJ00000002", "status": "active", "closed": None}])
            conn.execute(sa.text(
                "INSERT INTO loans_collateral (loan_id, kind, description, value, added_on, "
                "added_by) VALUES (1, 'BPKB', 'motor', 1500000000, '2026-01-05', 'teller'), "
                "(2, 'SHM', 'tanah', 9000000000, '2026-01-05', 'teller')"))
            conn.execute(sa.text(
                "INSERT INTO loans_guarantors (loan_id, member_id, relationship, added_on, "
                "added_by) VALUES (1, 2, 'adik', '2026-01-05', 'teller')"))
        upgrade(kernel)
        with kernel.db.engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT loan_id, status, released_on, binding FROM loans_collateral "
                "ORDER BY loan_id")).all()
            assert [(r[0], r[1], str(r[2]) if r[2] else None, r[3]) for r in rows] == [
                (1, "released", "2026-06-30", "none"), (2, "held", None, "none")]
            released = conn.execute(sa.text("SELECT released_on FROM loans_guarantors")
                                    ).scalar_one()
            assert str(released) == str(date(2026, 6, 30))
            roles = dict(conn.execute(sa.text(
                "SELECT code, role FROM loans_collectibility_classes")).all())
            assert roles == {"L": "current", "KL": "substandard", "D": "doubtful",
                             "M": "loss"}
            assert conn.execute(sa.text("SELECT count(*) FROM loans_groups")).scalar_one() == 0
            # loans0005: each collateral's value starts its history on the day it was added.
            values = conn.execute(sa.text(
                "SELECT collateral_id, value, valid_from FROM loans_collateral_values "
                "ORDER BY collateral_id")).all()
            assert [(r[1], str(r[2])) for r in values] == [(1500000000, "2026-01-05"),
                                                           (9000000000, "2026-01-05")]
        with kernel.db.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "loans0001")
        with kernel.db.engine.connect() as conn:
            columns = {c["name"] for c in sa.inspect(conn).get_columns("loans_collateral")}
            assert "status" not in columns
            assert "value" in columns
            assert conn.execute(sa.text("SELECT count(*) FROM loans_collateral")
                                ).scalar_one() == 2
    finally:
        kernel.close()
