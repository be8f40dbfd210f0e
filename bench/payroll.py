"""Payroll deduction: one employer's batch of N members listed, exported, imported and posted,
against the equivalent raw inserts.

    .venv/bin/python -m bench.payroll                       # 20,000 members, SQLite
    .venv/bin/python -m bench.payroll --members 2000 --database postgres

Seeding (not measured): the wajib product through the savings operations and the employer
through the payroll operations; then, set-based with the raw driver, N active members each with
a wajib account (``savings_accounts`` row included) and an employment with the employer, in the
state the operations would leave them.

Measured on kopcore, each in its own transaction as the operations run them: ``payroll.list``
for March (every member owes the month's wajib, Rp50,000), ``payroll.export`` as XLSX, and
``payroll.import`` of the list as sent (the posting: allocation, the entries — one per 2,400
dues —, the wajib months recorded, the result rows).

Baseline, on a copy of the database made before the import: the raw driver writes what the
import writes, knowing every id up front: one journal entry per 2,400 members (an entry holds
at most 10,000 postings) with a bank line and one line per member, the balance updates,
N ``savings_wajib_dues`` rows and N ``payroll_results`` rows, and the batch's update, in one
transaction. The ratio is baseline time / kopcore time (1.0 = no overhead).
"""

from __future__ import annotations

import argparse
import base64
import json
import time
from datetime import date

import sqlalchemy as sa

from bench.ops import Operator
from bench.targets import CURRENCY, DIGEST, Target, clone_target, open_target
from kopcore import _auth as auth
from kopcore import eod
from kopcore._service import invoke

PLUGINS = ("savings", "payroll")
BANK = "BENCH-BANK"
PERIOD = "2026-03"
WAJIB_MINOR = 50_000 * 100
#: Members per entry in the baseline: what the import posts (2,400 dues an entry, one each).
PER_ENTRY = 2400


def _seed(target: Target, members: int) -> None:
    kernel = target.kernel(plugins=PLUGINS, migrate=True)
    operator = Operator(kernel)
    operator.call("accounts.open-internal", name="Bank bench", gl_key="bank", number=BANK)
    operator.call("savings.product-create", code="WAJIB", name="Simpanan Wajib", type="wajib",
                  amount="50000")
    operator.call("payroll.employer-create", code="BENCH", name="Instansi Bench",
                  contact_name="Bendahara", bank_account=BANK, cut_off_day=20)
    eod.run_end_of_day(kernel, until=date(2026, 3, 2))
    target.close()
    conn = target.raw_connect()
    q = target.sql
    day = target.day(date(2026, 1, 5))
    try:
        with target.raw_transaction(conn) as cur:
            cur.execute("SELECT COALESCE(MAX(id), 0) FROM members")
            first = int(cur.fetchone()[0]) + 1
            cur.executemany(
                q("INSERT INTO members (member_number, name, nik, status, applied_on, joined_on)"
                  " VALUES (%s, %s, %s, 'active', %s, %s)"),
                [(f"PM{first + i:08d}", f"Pegawai {first + i}", f"52{first + i:014d}", day, day)
                 for i in range(members)])
            cur.executemany(
                q("INSERT INTO accounts (number, name, gl_key, member_id, product_code, plugin,"
                  " currency, normal_sign, status, balance, held, floor, opened_on) VALUES "
                  "(%s, %s, 'equity.wajib', %s, 'savings.wajib', 'savings', %s, -1, 'open', 0,"
                  " 0, 0, %s)"),
                [(f"SW{first + i:08d}", f"Simpanan wajib {first + i}", first + i, CURRENCY, day)
                 for i in range(members)])
            cur.execute(q("SELECT id, member_id FROM accounts WHERE product_code = %s "
                          "ORDER BY id"), ("savings.wajib",))
            accounts = cur.fetchall()
            cur.executemany(
                q("INSERT INTO savings_accounts (account_id, product_code, member_id, opened_on,"
                  " last_activity_on) VALUES (%s, 'WAJIB', %s, %s, %s)"),
                [(int(a), int(m), day, day) for a, m in accounts])
            cur.execute("SELECT id FROM payroll_employers WHERE code = 'BENCH'")
            employer = int(cur.fetchone()[0])
            cur.executemany(
                q("INSERT INTO payroll_employments (member_id, employer_id, employee_number, "
                  "start_on) VALUES (%s, %s, %s, %s)"),
                [(int(m), employer, f"NIP{int(m):010d}", day) for _, m in accounts])
    finally:
        conn.close()


def _timed(target: Target, operation: str, **raw: object) -> tuple[float, object]:
    """Run one operation as ``bench-admin`` on a fresh kernel; (seconds, payload)."""
    kernel = target.kernel(plugins=PLUGINS)
    principal = kernel.read("system", lambda ctx: auth.principal_for(ctx.conn, kernel.plugins,
                                                                     "bench-admin"))
    op = kernel.plugins.operations[operation].value
    started = time.perf_counter()
    payload = invoke(kernel, op, dict(raw), principal, interface="bench").payload
    return time.perf_counter() - started, payload


def _baseline(target: Target, members: int) -> float:
    """The import's writes with the raw driver, in one transaction; seconds."""
    conn = target.raw_connect()
    q = target.sql
    try:
        cur = conn.cursor()
        cur.execute(q("SELECT id FROM accounts WHERE number = %s"), (BANK,))
        bank = int(cur.fetchone()[0])
        cur.execute(q("SELECT id, member_id FROM accounts WHERE product_code = %s ORDER BY id"),
                    ("savings.wajib",))
        accounts = [(int(a), int(m)) for a, m in cur.fetchall()]
        cur.execute("SELECT id FROM payroll_batches")
        batch = int(cur.fetchone()[0])
        cur.close()
        day = target.day(date(2026, 3, 2))
        started = time.perf_counter()
        with target.raw_transaction(conn) as cur:
            for first in range(0, members, PER_ENTRY):
                chunk = accounts[first:first + PER_ENTRY]
                cur.execute(
                    q("INSERT INTO journal_entries (business_date, memo, actor, operation, "
                      "source, request_digest, created_at) VALUES (%s, 'Potongan gaji', "
                      "'bench', 'payroll.import', 'payroll', %s, %s) RETURNING id"),
                    (day, DIGEST, target.now()))
                entry = int(cur.fetchone()[0])
                cur.executemany(
                    q("INSERT INTO postings (entry_id, account_id, amount, currency) "
                      "VALUES (%s, %s, %s, %s)"),
                    [(entry, bank, WAJIB_MINOR * len(chunk), CURRENCY)]
                    + [(entry, a, -WAJIB_MINOR, CURRENCY) for a, _ in chunk])
                cur.executemany(q("UPDATE accounts SET balance = balance + %s WHERE id = %s"),
                                [(WAJIB_MINOR * len(chunk), bank)]
                                + [(-WAJIB_MINOR, a) for a, _ in chunk])
            cur.executemany(
                q("INSERT INTO savings_wajib_dues (account_id, period, amount, billed_on) "
                  "VALUES (%s, %s, %s, %s)"),
                [(a, PERIOD, WAJIB_MINOR, day) for a, _ in accounts])
            cur.executemany(
                q("INSERT INTO payroll_results (batch_id, employee_number, member_id, name, "
                  "listed, deducted, allocated, outcome) VALUES (%s, %s, %s, %s, %s, %s, %s, "
                  "'full')"),
                [(batch, f"NIP{m:010d}", m, f"Pegawai {m}", WAJIB_MINOR, WAJIB_MINOR,
                  WAJIB_MINOR) for _, m in accounts])
            cur.execute(q("UPDATE payroll_batches SET status = 'posted', entry_id = %s "
                          "WHERE id = %s"), (entry, batch))
        return time.perf_counter() - started
    finally:
        conn.close()


def run(database: str, members: int) -> dict[str, object]:
    with open_target(database, "payroll") as target:
        _seed(target, members)
        listed, batch = _timed(target, "payroll.list", employer="BENCH", period=PERIOD)
        assert isinstance(batch, dict)
        assert len(batch["members"]) == members
        exported, document = _timed(target, "payroll.export", employer="BENCH", period=PERIOD)
        assert isinstance(document, dict)
        size = len(base64.b64decode(document["document"]))
        with clone_target(target, "baseline") as copy:
            raw = _baseline(copy, members)
        posted, result = _timed(target, "payroll.import", employer="BENCH", period=PERIOD,
                                transfer=str(50_000 * members), as_sent=True)
        assert isinstance(result, dict)
        assert result["status"] == "posted"
        kernel = target.kernel(plugins=PLUGINS)
        entries = result["entry_ids"]
        lines = kernel.read("system", lambda ctx: ctx.conn.execute(
            sa.text("SELECT COUNT(*) FROM postings WHERE entry_id IN :e")
            .bindparams(sa.bindparam("e", expanding=True)), {"e": entries}).scalar_one())
        assert lines == members + len(entries)
        return {"database": database, "members": members, "list_s": round(listed, 3),
                "export_xlsx_s": round(exported, 3), "export_bytes": size,
                "import_and_post_s": round(posted, 3), "entries": len(entries),
                "raw_inserts_s": round(raw, 3),
                "ratio_raw_over_kopcore": round(raw / posted, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.payroll")
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="sqlite")
    args = parser.parse_args()
    names = ("sqlite", "postgres") if args.database == "both" else (args.database,)
    print(json.dumps([run(name, args.members) for name in names], indent=2))


if __name__ == "__main__":
    main()
