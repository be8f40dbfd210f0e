"""End of day of the savings plugin: jasa simpanan accrual and monthly posting, against raw SQL.

Seeding: the product (sukarela, 3 % a year, daily balance, 20 % withholding tax on a month's
interest above Rp20,000) and three reference accounts are created through the savings
operations, and the kernel's real end of day accrues them from 5 to 27 January. The other
accounts are then written set-based with the raw driver in the state those operations and end of
days leave behind: a member, a ``savings.sukarela`` ledger account, its ``savings_accounts``
row, one opening deposit (one entry for all of them, against the teller's cash), 23 rows of
``savings_interest_days`` and ``accrued_through`` = 27 January. Balances repeat every 1,000
accounts (Rp100,000 to about Rp10 million, so some pay tax), and the bench checks that each
reference account and its bulk twin (same balance) have the same rows, before and after the
month is posted.

The database is then copied: kopcore's end of day runs on one copy, the raw baseline on the
other, alternating, day by day: 28, 29 and 30 January (accrual only; the best of three is
reported) and 31 January (accrual, then the month's interest posted). Afterwards both copies
must hold the same balances, interest postings and accrual rows.

Raw baseline, per chunk of ``chunk_size`` account ids and one transaction per chunk, as the
plugin's tasks do: accrual is one ``INSERT … SELECT`` into ``savings_interest_days`` and one
``UPDATE`` of ``accrued_through``; posting computes each account's interest in SQL (integer
arithmetic, the same half-up rounding), inserts the ``savings_interest_postings`` rows, one
journal entry with a posting per account plus the expense and tax lines, applies the balances
with one ``UPDATE … FROM`` and deletes the paid accrual rows. It knows the product's figures and
the GL account ids up front.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import attrs

from bench.ops import CASH, Operator
from bench.report import Figure
from bench.targets import CURRENCY, DIGEST, ENTRY_DIGEST, START_DATE, Target, clone_target
from kopcore import eod
from kopcore.ledger._integrity import seal_journal

PLUGINS = ("savings",)
PRODUCT = "BENCH-SS"
RATE_PPM = 30_000  # 3 % a year
DAYS_IN_YEAR = 365
ROUNDING_UNIT = 100  # Rp1 in sen
TAX_RATE_PPM = 200_000
TAX_THRESHOLD = 20_000 * 100  # Rp20,000
PPM = 1_000_000
REFERENCE = 3
#: Balances repeat with this period; account ``i`` and ``i + TWIN`` have the same balance.
TWIN = 1000
FIRST_MEASURED = date(2026, 1, 28)
MONTH_END = date(2026, 1, 31)


@attrs.frozen
class SavingsSizes:
    accounts: int
    chunk_size: int


QUICK = SavingsSizes(2_000, 500)
FULL = SavingsSizes(100_000, 5_000)
MILLION = SavingsSizes(1_000_000, 5_000)


def balance_minor(i: int) -> int:
    """The balance of account ``i`` (0-based, reference accounts first), in sen."""
    return (100_000 + (i % TWIN) * 9_901) * 100


def _balance_sql(index: str) -> str:
    # i mod TWIN, spelled without '%' (a placeholder character for psycopg)
    return f"((100000 + (({index}) - (({index}) / {TWIN}) * {TWIN}) * 9901) * 100)"


def _series(target: Target, count: int) -> tuple[str, str]:
    """(WITH prefix, FROM item) numbering rows ``i`` from 0 to ``count - 1``."""
    if target.name == "sqlite":
        return (f"WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq "
                f"WHERE i < {count - 1}) ", "seq")
    return "", f"generate_series(0, {count - 1}) AS seq(i)"


def _pad(target: Target, expr: str) -> str:
    if target.name == "sqlite":
        return f"printf('%08d', {expr})"
    return f"lpad(({expr})::text, 8, '0')"


def _days_cte(target: Target, days: list[date]) -> str:
    cast = "" if target.name == "sqlite" else "::date"
    values = ", ".join(f"('{d.isoformat()}'{cast})" for d in days)
    return f"WITH days(day) AS (VALUES {values}) "


# --- seeding ----------------------------------------------------------------------------------


def _reference(kernel: Any) -> list[str]:
    """Product and reference accounts through the operations; end of day up to the 28th."""
    op = Operator(kernel)
    op.call("savings.product-create", code=PRODUCT, name="Simpanan sukarela bench",
            type="sukarela", interest_rate="3", interest_method="daily",
            tax_rate="20", tax_threshold="20000")
    numbers = []
    for i in range(REFERENCE):
        member = op.member(f"Referensi {i}")
        number = op.call("savings.open", member=member, product=PRODUCT)["account"]["number"]
        op.call("savings.deposit", account=number, amount=str(balance_minor(i) // 100),
                cash_account=CASH)
        numbers.append(str(number))
    eod.run_end_of_day(kernel, until=FIRST_MEASURED)
    return numbers


def _bulk_seed(target: Target, count: int, reference: list[str]) -> None:
    """Accounts ``REFERENCE .. count - 1``, set-based, in the state the reference ones are in."""
    n = count - REFERENCE
    if n <= 0:
        return
    q = target.sql
    conn = target.raw_connect()
    day = target.day(START_DATE)
    try:
        with target.raw_transaction(conn) as cur:
            cur.execute(q("SELECT gl_key, product_code, plugin, normal_sign, floor FROM accounts "
                          "WHERE number = %s"), (reference[0],))
            gl_key, product_code, plugin, sign, floor = cur.fetchone()
            cur.execute("SELECT COALESCE(MAX(id), 0) FROM members")
            first_member = int(cur.fetchone()[0]) + 1
            cur.execute("SELECT COALESCE(MAX(id), 0) FROM accounts")
            accounts_before = int(cur.fetchone()[0])
            with_, seq = _series(target, n)
            cur.execute(q(
                f"{with_}INSERT INTO members (member_number, name, nik, status, applied_on, "
                f"joined_on) SELECT 'SVM' || {_pad(target, 'i')}, 'Anggota ' || i, "
                f"'52' || {_pad(target, 'i')} || '000000', 'active', %s, %s FROM {seq}"),
                (day, day))
            idx = f"(m.id - {first_member} + {REFERENCE})"
            cur.execute(q(
                "INSERT INTO accounts (number, name, gl_key, member_id, product_code, plugin, "
                "currency, normal_sign, status, balance, held, floor, opened_on) "
                f"SELECT 'SSB' || {_pad(target, 'm.id')}, 'Simpanan ' || m.name, %s, m.id, %s, "
                f"%s, %s, %s, 'open', {int(sign)} * {_balance_sql(idx)}, 0, %s, %s "
                f"FROM members m WHERE m.id >= {first_member} ORDER BY m.id"),
                (gl_key, product_code, plugin, CURRENCY, sign, floor, day))
            cur.execute(q(
                "INSERT INTO savings_accounts (account_id, product_code, member_id, opened_on, "
                "last_activity_on, dormant_since, accrued_through) SELECT id, %s, member_id, "
                f"%s, %s, NULL, %s FROM accounts WHERE id > {accounts_before}"),
                (PRODUCT, day, day, target.day(FIRST_MEASURED - timedelta(days=1))))
            cur.execute(q(
                "INSERT INTO journal_entries (business_date, memo, actor, operation, "
                "request_digest, created_at) VALUES (%s, 'Setoran awal', 'bench-admin', "
                "'savings.deposit', %s, %s) RETURNING id"), (day, DIGEST, target.now()))
            entry_id = int(cur.fetchone()[0])
            cur.execute(q(
                "INSERT INTO postings (entry_id, account_id, amount, currency) "
                f"SELECT %s, id, balance, currency FROM accounts WHERE id > {accounts_before}"),
                (entry_id,))
            cur.execute(f"SELECT -SUM(balance) FROM accounts WHERE id > {accounts_before}")
            total = int(cur.fetchone()[0])
            cur.execute(q("SELECT id FROM accounts WHERE number = %s"), (CASH,))
            cash_id = int(cur.fetchone()[0])
            cur.execute(q("INSERT INTO postings (entry_id, account_id, amount, currency) "
                          "VALUES (%s, %s, %s, %s)"), (entry_id, cash_id, total, CURRENCY))
            cur.execute(q("UPDATE accounts SET balance = balance + %s WHERE id = %s"),
                        (total, cash_id))
            history = [START_DATE + timedelta(days=k)
                       for k in range((FIRST_MEASURED - START_DATE).days)]
            cur.execute(
                _days_cte(target, history)
                + "INSERT INTO savings_interest_days (account_id, business_date, balance, "
                f"rate_ppm) SELECT a.id, days.day, a.balance * a.normal_sign, {RATE_PPM} "
                f"FROM accounts a CROSS JOIN days WHERE a.id > {accounts_before}")
        if target.name == "postgres":
            conn.autocommit = True
            conn.execute("ANALYZE")
    finally:
        conn.close()


def _account_state(target: Target, number: str) -> dict[str, Any]:
    """Everything end of day reads or writes about one account, ids and names left out."""
    conn = target.raw_connect()
    q = target.sql
    try:
        cur = conn.cursor()
        cur.execute(q("SELECT a.id, a.gl_key, a.product_code, a.plugin, a.currency, "
                      "a.normal_sign, a.status, a.balance, a.held, a.floor, a.opened_on, "
                      "s.product_code, s.opened_on, s.last_activity_on, s.dormant_since, "
                      "s.accrued_through, m.status FROM accounts a JOIN savings_accounts s ON "
                      "s.account_id = a.id JOIN members m ON m.id = a.member_id "
                      "WHERE a.number = %s"), (number,))
        row = cur.fetchone()
        account_id, rest = row[0], [str(v) for v in row[1:]]
        cur.execute(q("SELECT business_date, balance, rate_ppm FROM savings_interest_days "
                      "WHERE account_id = %s ORDER BY business_date"), (account_id,))
        days = [tuple(str(v) for v in r) for r in cur.fetchall()]
        cur.execute(q("SELECT period_from, period_to, days, gross, tax FROM "
                      "savings_interest_postings WHERE account_id = %s ORDER BY period_to"),
                    (account_id,))
        posted = [tuple(str(v) for v in r) for r in cur.fetchall()]
        return {"account": rest, "interest_days": days, "interest_postings": posted}
    finally:
        conn.close()


def _twins(target: Target, reference: list[str], count: int) -> list[tuple[str, str]]:
    conn = target.raw_connect()
    try:
        cur = conn.cursor()
        cur.execute("SELECT number FROM accounts WHERE number LIKE 'SSB%' ORDER BY id")
        bulk = [str(r[0]) for r in cur.fetchall()]
    finally:
        conn.close()
    # bulk[k] is account REFERENCE + k; the twin of reference i is account i + TWIN.
    return [(ref, bulk[i + TWIN - REFERENCE]) for i, ref in enumerate(reference)
            if i + TWIN < count]


def check_twins(target: Target, reference: list[str], count: int) -> int:
    pairs = _twins(target, reference, count)
    for ref, twin in pairs:
        a, b = _account_state(target, ref), _account_state(target, twin)
        if a != b:
            raise RuntimeError(f"seeded account {twin} differs from {ref} made by the "
                               f"operations: {a} != {b}")
    return len(pairs)


# --- raw baseline -----------------------------------------------------------------------------


@attrs.frozen
class RawIds:
    expense_id: int
    tax_id: int


def _raw_ids(target: Target) -> RawIds:
    conn = target.raw_connect()
    q = target.sql
    try:
        cur = conn.cursor()
        cur.execute(q("SELECT expense_gl_key FROM savings_products WHERE code = %s"), (PRODUCT,))
        expense_key = cur.fetchone()[0]
        found = {}
        for key in (expense_key, "payable.tax"):
            cur.execute(q("SELECT id FROM accounts WHERE number = %s"), (f"GL-{key}",))
            found[key] = int(cur.fetchone()[0])
        return RawIds(found[expense_key], found["payable.tax"])
    finally:
        conn.close()


def _ranges(cur: Any, target: Target, chunk: int) -> list[tuple[int, int]]:
    cur.execute(target.sql(
        "SELECT MIN(s.account_id), MAX(s.account_id) FROM savings_accounts s JOIN "
        "savings_products p ON p.code = s.product_code WHERE p.type = 'sukarela' "
        "AND p.rate_ppm > 0"))
    low, high = cur.fetchone()
    if low is None:
        return []
    return [(lo, min(lo + chunk - 1, high)) for lo in range(low, high + 1, chunk)]


ACCRUE = (
    "INSERT INTO savings_interest_days (account_id, business_date, balance, rate_ppm) "
    "SELECT s.account_id, %s, a.balance * a.normal_sign, p.rate_ppm FROM savings_accounts s "
    "JOIN accounts a ON a.id = s.account_id JOIN savings_products p ON p.code = s.product_code "
    "WHERE s.account_id BETWEEN %s AND %s AND (s.accrued_through IS NULL OR "
    "s.accrued_through < %s) AND p.type = 'sukarela' AND p.rate_ppm > 0 "
    "AND a.status <> 'closed' AND s.opened_on <= %s"
)
MARK = ("UPDATE savings_accounts SET accrued_through = %s WHERE account_id BETWEEN %s AND %s "
        "AND (accrued_through IS NULL OR accrued_through < %s)")
_YEAR = DAYS_IN_YEAR * PPM
# SUM of BIGINT is NUMERIC on PostgreSQL: cast back so "/" is integer division.
_GROSS = (f"((2 * CAST(SUM(CASE WHEN d.balance > 0 THEN d.balance ELSE 0 END * d.rate_ppm) "
          "AS BIGINT) "
          f"+ {_YEAR * ROUNDING_UNIT}) / {2 * _YEAR * ROUNDING_UNIT}) * {ROUNDING_UNIT}")
_TAX = (f"CASE WHEN g.gross > {TAX_THRESHOLD} THEN ((2 * g.gross * {TAX_RATE_PPM} "
        f"+ {PPM * ROUNDING_UNIT}) / {2 * PPM * ROUNDING_UNIT}) * {ROUNDING_UNIT} ELSE 0 END")
INTEREST = (
    "INSERT INTO savings_interest_postings (account_id, period_from, period_to, days, gross, "
    f"tax, entry_id) SELECT g.account_id, g.first_day, %s, g.days, g.gross, {_TAX}, %s FROM "
    f"(SELECT d.account_id, MIN(d.business_date) AS first_day, COUNT(*) AS days, {_GROSS} "
    "AS gross FROM savings_interest_days d WHERE d.account_id BETWEEN %s AND %s "
    "AND d.business_date <= %s GROUP BY d.account_id) g"
)
ENTRY = (
    "INSERT INTO journal_entries (business_date, memo, actor, operation, idempotency_key, "
    "request_digest, reverses_entry_id, created_at, digest) VALUES (%s, %s, 'system', "
    f"'eod.savings.interest-posting', %s, %s, NULL, %s, '{ENTRY_DIGEST}') RETURNING id"
)
PAID = ("FROM savings_interest_postings WHERE period_to = %s AND account_id BETWEEN %s AND %s "
        "AND gross > tax")
MEMBER_POSTINGS = ("INSERT INTO postings (entry_id, account_id, amount, currency) "
                   f"SELECT %s, account_id, tax - gross, %s {PAID}")
TOTALS = f"SELECT SUM(gross), SUM(tax) {PAID}"
CREDIT_MEMBERS = (
    f"UPDATE accounts SET balance = balance + p.delta FROM (SELECT account_id, tax - gross AS "
    f"delta {PAID}) AS p WHERE accounts.id = p.account_id AND accounts.status <> 'closed'"
)
POSTING = "INSERT INTO postings (entry_id, account_id, amount, currency) VALUES (%s, %s, %s, %s)"
BALANCE = "UPDATE accounts SET balance = balance + %s WHERE id = %s AND status <> 'closed'"
PAY_DAYS = ("DELETE FROM savings_interest_days WHERE account_id BETWEEN %s AND %s "
            "AND business_date <= %s")


def raw_day(target: Target, day: date, chunk: int, ids: RawIds) -> tuple[int, int, float]:
    """The raw baseline's end of day: (accounts accrued, accounts posted, seconds)."""
    q, d = target.sql, target.day(day)
    conn = target.raw_connect()
    accrued = posted = 0
    try:
        start = time.perf_counter()
        with target.raw_transaction(conn) as cur:
            ranges = _ranges(cur, target, chunk)
        for lo, hi in ranges:
            with target.raw_transaction(conn) as cur:
                cur.execute(q(ACCRUE), (d, lo, hi, d, d))
                cur.execute(q(MARK), (d, lo, hi, d))
                accrued += cur.rowcount
        if day == MONTH_END:
            for lo, hi in ranges:
                with target.raw_transaction(conn) as cur:
                    cur.execute(q(ENTRY), (d, f"Jasa simpanan s.d. {day.isoformat()}",
                                           f"savings.interest:{day.isoformat()}:{lo}-{hi}",
                                           DIGEST, target.now()))
                    entry_id = int(cur.fetchone()[0])
                    cur.execute(q(INTEREST), (d, entry_id, lo, hi, d))
                    posted += cur.rowcount
                    cur.execute(q(MEMBER_POSTINGS), (entry_id, CURRENCY, d, lo, hi))
                    cur.execute(q(TOTALS), (d, lo, hi))
                    gross, tax = (int(v or 0) for v in cur.fetchone())
                    lines = [(ids.expense_id, gross)] + ([(ids.tax_id, -tax)] if tax else [])
                    cur.executemany(q(POSTING), [(entry_id, acc, amount, CURRENCY)
                                                 for acc, amount in lines])
                    cur.execute(q(CREDIT_MEMBERS), (d, lo, hi))
                    cur.executemany(q(BALANCE), [(amount, acc) for acc, amount in lines])
                    cur.execute(q(PAY_DAYS), (lo, hi, d))
        return accrued, posted, time.perf_counter() - start
    finally:
        conn.close()


def _state(target: Target) -> tuple[Any, ...]:
    """Balances, interest postings and accrual rows: what both copies must agree on."""
    conn = target.raw_connect()
    try:
        cur = conn.cursor()
        cur.execute("SELECT id, balance FROM accounts ORDER BY id")
        balances = cur.fetchall()
        cur.execute("SELECT account_id, period_from, period_to, days, gross, tax FROM "
                    "savings_interest_postings ORDER BY account_id, period_to")
        posted = cur.fetchall()
        cur.execute("SELECT COUNT(*), SUM(balance) FROM savings_interest_days")
        days = cur.fetchone()
        return (tuple(map(tuple, balances)), tuple(tuple(str(v) for v in r) for r in posted),
                tuple(days))
    finally:
        conn.close()


# --- the workload -----------------------------------------------------------------------------


def run(target: Target, sizes: SavingsSizes, log: Callable[[str], None]) -> list[Figure]:
    n = sizes.accounts
    log(f"[{target.name}] savings eod: product, {REFERENCE} reference accounts, end of day "
        f"{START_DATE} to {FIRST_MEASURED - timedelta(days=1)}")
    kernel = target.kernel(plugins=PLUGINS, migrate=True)
    reference = _reference(kernel)
    log(f"[{target.name}] savings eod: seeding {n - REFERENCE:,} accounts set-based")
    start = time.perf_counter()
    _bulk_seed(target, n, reference)
    kernel.write("system", seal_journal, operation="eod.seal")  # as an end of day would
    log(f"[{target.name}] savings eod: seeded in {time.perf_counter() - start:.1f} s")
    twins = check_twins(target, reference, n)
    ids = _raw_ids(target)
    with clone_target(target, "raw") as raw:
        kernel = target.kernel(plugins=PLUGINS, eod_chunk_size=sizes.chunk_size)
        accrual: dict[str, list[float]] = {"raw": [], "kopcore": []}
        rows: dict[str, int] = {}
        day = FIRST_MEASURED
        month_end: dict[str, float] = {}
        posted: dict[str, int] = {}
        for turn in range((MONTH_END - FIRST_MEASURED).days + 1):
            day = FIRST_MEASURED + timedelta(days=turn)
            sides = ["raw", "kopcore"] if turn % 2 == 0 else ["kopcore", "raw"]
            for side in sides:
                if side == "raw":
                    accrued, paid, secs = raw_day(raw, day, sizes.chunk_size, ids)
                    tasks = {"savings.interest-accrual": accrued,
                             "savings.interest-posting": paid}
                else:
                    started = time.perf_counter()
                    closed = eod.run_end_of_day(kernel)
                    secs = time.perf_counter() - started
                    tasks = closed[0].tasks
                rows[side] = tasks["savings.interest-accrual"]
                if day == MONTH_END:
                    month_end[side] = secs
                    posted[side] = tasks["savings.interest-posting"]
                else:
                    accrual[side].append(secs)
            shown = month_end if day == MONTH_END else {k: v[-1] for k, v in accrual.items()}
            log(f"[{target.name}] savings eod {day}: raw {shown['raw']:.2f} s, "
                f"kopcore {shown['kopcore']:.2f} s")
        for side in ("raw", "kopcore"):
            if rows[side] != n or posted[side] != n:
                raise RuntimeError(f"savings eod: {side} accrued {rows[side]} and posted "
                                   f"{posted.get(side)} of {n} accounts")
        target.close()
        if _state(target) != _state(raw):
            raise RuntimeError("savings eod: kopcore's and the raw baseline's books differ")
    check_twins(target, reference, n)
    details: dict[str, Any] = {
        "accounts": n, "chunk_size": sizes.chunk_size, "accrued_days_before": 23,
        "reference_twins_checked": twins,
        "accrual_seconds": {k: [round(v, 3) for v in vs] for k, vs in accrual.items()},
        "month_end_seconds": {k: round(v, 3) for k, v in month_end.items()},
        "same_books_as_raw": True,
    }
    best = {k: min(vs) for k, vs in accrual.items()}
    figures = [
        Figure(target.name, "eod", f"savings accrual, {n:,} accounts (kopcore "
               f"{best['kopcore']:.2f} s, raw {best['raw']:.2f} s)", "accounts/s",
               n / best["kopcore"], n / best["raw"], target=1 / 3,
               target_text="within 3x raw", details=details),
        Figure(target.name, "eod", f"savings month end: accrual + interest posting, {n:,} "
               f"accounts (kopcore {month_end['kopcore']:.2f} s, raw {month_end['raw']:.2f} s)",
               "accounts/s", n / month_end["kopcore"], n / month_end["raw"], target=1 / 3,
               target_text="within 3x raw", details=details),
    ]
    if n >= 1_000_000:
        figures.append(Figure(
            target.name, "eod", f"savings end of day (accrual), {n:,} accounts in "
            f"{best['kopcore']:.1f} s", "accounts/s", n / best["kopcore"], n / 60,
            baseline_name=f"{n:,} accounts in 60 s", target=1.0,
            target_text="under a minute", details=details))
        figures.append(Figure(
            target.name, "eod", f"savings month end, {n:,} accounts in "
            f"{month_end['kopcore']:.1f} s", "accounts/s", n / month_end["kopcore"], n / 60,
            baseline_name=f"{n:,} accounts in 60 s", target=1.0,
            target_text="under a minute", details=details))
    return figures
