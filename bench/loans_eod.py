"""End of day of the loans plugin: interest accrual, days past due, penalties, kolektibilitas and
the loan-loss allowance (PPAP), against raw set-based SQL.

Seeding: a loan product (flat 18 % a year, monthly, accrual basis, denda 0.1 % a day of what is
overdue after 3 days of grace) and a classification (Lancar from 0 days past due at 0.5 %,
Kurang Lancar from 31 days at 10 %, Diragukan from 61 at 50 %, Macet from 91 at 100 %) are set
through the loans operations, and six reference loans (Rp5 and Rp12 million over 12 months) are
applied for, approved and disbursed on 5 January, then repaid in three patterns: every
installment on its due date, only February's, or never. The kernel's real end of day runs them
to 10 March. The other loans are then copied set-based with the raw driver from the reference
loan of their pattern: member, loan row, both ledger accounts with their balances, schedule and
events, plus one balancing entry (interest income, allowance and its expense, cash) so the books
still balance. The bench checks that every reference loan and its first copy hold the same rows,
before and after the measured days.

The database is then copied: kopcore's end of day runs on one copy and the raw baseline on the
other, alternating, for 10 and 11 March (the better of the two is reported). Afterwards both
copies must hold the same loan rows and the same balances.

Raw baseline, per chunk of ``chunk_size`` loan ids and one transaction per chunk (the plugin's
``loans.close-day`` task does the same per chunk): one ``INSERT … SELECT … GROUP BY`` computes
each loan's earned interest, days past due, the day's penalty, class and allowance from its
schedule in SQL (integer arithmetic, the same rounding) into a scratch table; then the accrual
entry (a posting per loan with new interest, one income line), its balance updates (one
``UPDATE … FROM``), one ``UPDATE … FROM`` of the loan rows, the allowance entry for the chunk's
net change, and the scratch rows deleted. It knows the product's and the classes' figures up
front. Loans are not on auto-debit (the auto-debit posts one entry per loan, like a repayment,
and is measured by the posting benches); kopcore still looks for them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs

from bench.ops import CASH, Operator
from bench.report import Figure, first_run_figure
from bench.targets import CURRENCY, DIGEST, ENTRY_DIGEST, START_DATE, Target, clone_target
from kopcore import eod
from kopcore.ledger._integrity import seal_journal

PLUGINS = ("loans",)
PRODUCT = "BENCH-PL"
GRACE_DAYS = 3
PENALTY_PERCENT = Decimal("0.1")
CLASSES = (("L", "Lancar", 0, "0.5", False), ("KL", "Kurang Lancar", 31, "10", True),
           ("D", "Diragukan", 61, "50", True), ("M", "Macet", 91, "100", True))
AMOUNTS = ("5000000", "12000000")
PATTERNS = ("paid", "february-only", "unpaid")
REFERENCE = len(AMOUNTS) * len(PATTERNS)
FIRST_MEASURED = date(2026, 3, 10)
MEASURED_DAYS = 2
RUPIAH = 100  # minor units of one rupiah: penalties and allowances are whole rupiah
SCRATCH = "bench_loans_calc"
REFS = "bench_loan_refs"


@attrs.frozen
class LoansSizes:
    loans: int
    chunk_size: int


QUICK = LoansSizes(2_000, 500)
FULL = LoansSizes(100_000, 4_000)


def _pad(target: Target, expr: str) -> str:
    if target.name == "sqlite":
        return f"printf('%08d', {expr})"
    return f"lpad(({expr})::text, 8, '0')"


def _mod(expr: str, n: int) -> str:
    return f"(({expr}) - (({expr}) / {n}) * {n})"


# --- seeding ----------------------------------------------------------------------------------


def _repay_due(op: Operator, number: str) -> None:
    """Pay what falls due today on loan ``number`` (principal and interest of the row)."""
    schedule = op.call("loans.schedule", loan=number)
    today = op.kernel.read("system", lambda ctx: ctx.business_date).isoformat()
    for row in schedule["installments"]:
        if str(row["due_date"]) == today:
            amount = Decimal(row["installment"]["amount"])
            op.call("loans.repay", loan=number, amount=str(amount), cash_account=CASH)


def _reference(kernel: Any) -> list[str]:
    op = Operator(kernel)
    op.call("loans.set-classes", classes=[
        {"code": c, "name": n, "min_days": d, "allowance_percent": p, "non_performing": npl}
        for c, n, d, p, npl in CLASSES])
    op.call("loans.product-create", code=PRODUCT, name="Pinjaman anggota bench",
            method="flat", frequency="monthly", annual_rate="18", min_amount="1000000",
            max_amount="100000000", min_term=1, max_term=60,
            penalty_percent_per_day=str(PENALTY_PERCENT), grace_days=GRACE_DAYS,
            accounting="accrual")
    numbers = []
    for k in range(REFERENCE):
        member = op.member(f"Peminjam {k}")
        number = op.call("loans.apply", member=member, product=PRODUCT,
                         amount=AMOUNTS[k // len(PATTERNS)], term=12,
                         purpose="modal usaha")["number"]
        op.call("loans.approve", loan=number, as_user="bench-approver")
        op.call("loans.disburse", loan=number, to_savings=False, cash_account=CASH)
        numbers.append(str(number))
    for due, payers in ((date(2026, 2, 5), ("paid", "february-only")),
                        (date(2026, 3, 5), ("paid",))):
        eod.run_end_of_day(kernel, until=due)
        for k, number in enumerate(numbers):
            if PATTERNS[k % len(PATTERNS)] in payers:
                _repay_due(op, number)
    eod.run_end_of_day(kernel, until=FIRST_MEASURED)
    return numbers


def _columns(table: Any) -> list[str]:
    return [c.name for c in table.columns if c.name != "id"]


def _bulk_seed(target: Target, count: int, reference: list[str]) -> None:
    """Loans ``REFERENCE .. count - 1``, each a copy of reference loan ``k mod REFERENCE``."""
    from kopcore_loans.tables import events, installments, loans

    n = count - REFERENCE
    if n <= 0:
        return
    q = target.sql
    conn = target.raw_connect()
    day = target.day(START_DATE)
    try:
        with target.raw_transaction(conn) as cur:
            cur.execute(f"CREATE TABLE {REFS} (k INTEGER PRIMARY KEY, loan_id INTEGER NOT NULL)")
            cur.executemany(q(f"INSERT INTO {REFS} (k, loan_id) SELECT %s, id FROM loans_loans "
                              "WHERE number = %s"), list(enumerate(reference)))
            cur.execute("SELECT COALESCE(MAX(id), 0) FROM members")
            first = int(cur.fetchone()[0]) + 1
            cur.execute("SELECT COALESCE(MAX(id), 0) FROM accounts")
            accounts_before = int(cur.fetchone()[0])
            cur.execute("SELECT COALESCE(MAX(id), 0) FROM loans_loans")
            loans_before = int(cur.fetchone()[0])
            if target.name == "sqlite":
                with_ = (f"WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq "
                         f"WHERE i < {n - 1}) ")
                seq = "seq"
            else:
                with_, seq = "", f"generate_series(0, {n - 1}) AS seq(i)"
            cur.execute(q(
                f"{with_}INSERT INTO members (member_number, name, nik, status, applied_on, "
                f"joined_on) SELECT 'PLM' || {_pad(target, 'i')}, 'Peminjam ' || i, "
                f"'53' || {_pad(target, 'i')} || '000000', 'active', %s, %s FROM {seq}"),
                (day, day))
            ref_of = f"{REFS} r ON r.k = {_mod('{member} - ' + str(first), REFERENCE)}"
            cols = _columns(loans)
            values = {"number": f"'PLB' || {_pad(target, 'm.id')}", "member_id": "m.id",
                      "account_id": "NULL", "interest_account_id": "NULL"}
            cur.execute(
                f"INSERT INTO loans_loans ({', '.join(cols)}) SELECT "
                + ", ".join(values.get(c, f"l.{c}") for c in cols)
                + f" FROM members m JOIN {ref_of.format(member='m.id')} "
                f"JOIN loans_loans l ON l.id = r.loan_id WHERE m.id >= {first} ORDER BY m.id")
            copies = (f"FROM loans_loans nl JOIN {ref_of.format(member='nl.member_id')} "
                      f"JOIN loans_loans rl ON rl.id = r.loan_id")
            for column, suffix, label in (("account_id", "", "Pinjaman "),
                                          ("interest_account_id", " || '-J'", "Piutang jasa ")):
                cur.execute(
                    "INSERT INTO accounts (number, name, gl_key, member_id, product_code, "
                    "plugin, currency, normal_sign, status, balance, held, floor, opened_on) "
                    f"SELECT nl.number{suffix}, '{label}' || nl.number, ra.gl_key, "
                    "nl.member_id, ra.product_code, ra.plugin, ra.currency, ra.normal_sign, "
                    "ra.status, ra.balance, ra.held, ra.floor, ra.opened_on "
                    f"{copies} JOIN accounts ra ON ra.id = rl.{column} "
                    f"WHERE nl.id > {loans_before} ORDER BY nl.id")
            cur.execute(
                "UPDATE loans_loans SET account_id = (SELECT a.id FROM accounts a WHERE "
                "a.number = loans_loans.number), interest_account_id = (SELECT a.id FROM "
                "accounts a WHERE a.number = loans_loans.number || '-J') "
                f"WHERE id > {loans_before}")
            for table, rename in ((installments, {}), (events, {"entry_id": "NULL"})):
                cols = [c for c in _columns(table) if c != "loan_id"]
                cur.execute(
                    f"INSERT INTO {table.name} (loan_id, {', '.join(cols)}) SELECT nl.id, "
                    + ", ".join(rename.get(c, f"x.{c}") for c in cols)
                    + f" {copies} JOIN {table.name} x ON x.loan_id = rl.id "
                    f"WHERE nl.id > {loans_before} ORDER BY nl.id, x.id")
            # One entry books the copies: their accounts at their balances, against interest
            # income (what they recognised), the allowance and its expense, and cash.
            cur.execute(q(
                "INSERT INTO journal_entries (business_date, memo, actor, operation, "
                "request_digest, created_at) VALUES (%s, 'Salinan pinjaman', "
                "'bench-admin', 'loans.disburse', %s, %s) RETURNING id"),
                (day, DIGEST, target.now()))
            entry_id = int(cur.fetchone()[0])
            cur.execute(q(
                "INSERT INTO postings (entry_id, account_id, amount, currency) SELECT %s, id, "
                f"balance, currency FROM accounts WHERE id > {accounts_before} "
                "AND balance <> 0"), (entry_id,))
            cur.execute(f"SELECT SUM(interest_recognized), SUM(allowance) FROM loans_loans "
                        f"WHERE id > {loans_before}")
            recognised, allowance = (int(v or 0) for v in cur.fetchone())
            cur.execute(f"SELECT SUM(balance) FROM accounts WHERE id > {accounts_before}")
            accounts_total = int(cur.fetchone()[0] or 0)
            lines = {"GL-loans.interest_income": -recognised, "GL-loans.allowance": -allowance,
                     "GL-loans.allowance_expense": allowance,
                     CASH: -(accounts_total - recognised)}
            for number, amount in lines.items():
                if not amount:
                    continue
                cur.execute(q("SELECT id FROM accounts WHERE number = %s"), (number,))
                account_id = int(cur.fetchone()[0])
                cur.execute(q("INSERT INTO postings (entry_id, account_id, amount, currency) "
                              "VALUES (%s, %s, %s, %s)"), (entry_id, account_id, amount,
                                                           CURRENCY))
                cur.execute(q("UPDATE accounts SET balance = balance + %s WHERE id = %s"),
                            (amount, account_id))
            cur.execute(f"DROP TABLE {REFS}")
        if target.name == "postgres":
            conn.autocommit = True
            conn.execute("ANALYZE")
    finally:
        conn.close()


LOAN_STATE = ("status", "principal", "interest_recognized", "penalty_due", "days_past_due",
              "collectibility", "allowance", "schedule_version", "disbursed_on", "product_id")


def _loan_state(target: Target, number: str) -> dict[str, Any]:
    q = target.sql
    conn = target.raw_connect()
    try:
        cur = conn.cursor()
        cur.execute(q(f"SELECT id, {', '.join(LOAN_STATE)} FROM loans_loans WHERE number = %s"),
                    (number,))
        row = cur.fetchone()
        loan_id = row[0]
        state: dict[str, Any] = {"loan": [str(v) for v in row[1:]]}
        cur.execute(q("SELECT version, seq, period_start, due_date, principal, interest, "
                      "principal_paid, interest_paid, interest_waived, status, paid_on FROM "
                      "loans_installments WHERE loan_id = %s ORDER BY id"), (loan_id,))
        state["schedule"] = [[str(v) for v in r] for r in cur.fetchall()]
        cur.execute(q("SELECT a.gl_key, a.product_code, a.normal_sign, a.status, a.balance, "
                      "a.held, a.floor FROM accounts a JOIN loans_loans l ON a.id IN "
                      "(l.account_id, l.interest_account_id) WHERE l.id = %s ORDER BY a.gl_key"),
                    (loan_id,))
        state["accounts"] = [[str(v) for v in r] for r in cur.fetchall()]
        cur.execute(q("SELECT business_date, kind, amount, penalty, interest, principal FROM "
                      "loans_events WHERE loan_id = %s ORDER BY id"), (loan_id,))
        state["events"] = [[str(v) for v in r] for r in cur.fetchall()]
        return state
    finally:
        conn.close()


def check_copies(target: Target, reference: list[str], count: int) -> int:
    conn = target.raw_connect()
    try:
        cur = conn.cursor()
        cur.execute("SELECT number FROM loans_loans WHERE number LIKE 'PLB%' ORDER BY id LIMIT "
                    f"{REFERENCE}")
        copies = [str(r[0]) for r in cur.fetchall()]
    finally:
        conn.close()
    pairs = list(zip(reference, copies, strict=False))
    for ref, copy in pairs:
        a, b = _loan_state(target, ref), _loan_state(target, copy)
        if a != b:
            raise RuntimeError(f"copied loan {copy} differs from {ref} made by the "
                               f"operations: {a} != {b}")
    return len(pairs)


# --- raw baseline -----------------------------------------------------------------------------


def _round_half_up(expr: str, fraction: Fraction) -> str:
    """SQL for ``round_half_up(expr * fraction / 100, RUPIAH)``, ``expr`` >= 0, integers."""
    p, d = fraction.numerator, fraction.denominator * 100
    if p == 0:
        return "0"
    return f"((2 * ({expr}) * {p} + {d * RUPIAH}) / {2 * d * RUPIAH}) * {RUPIAH}"


def _calc_sql(target: Target) -> str:
    if target.name == "sqlite":
        def since(column: str) -> str:
            return f"CAST(julianday(%s) - julianday({column}) AS INTEGER)"

        def between(later: str, earlier: str) -> str:
            return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"
        greatest = "MAX"
    else:
        def since(column: str) -> str:
            return f"(%s::date - {column})"

        def between(later: str, earlier: str) -> str:
            return f"({later} - {earlier})"
        greatest = "GREATEST"
    charged = "(i.interest - i.interest_waived)"
    accrued = (f"CASE WHEN %s >= i.due_date THEN {charged} WHEN %s <= i.period_start THEN 0 "
               f"ELSE {charged} * {since('i.period_start')} / "
               f"{between('i.due_date', 'i.period_start')} END")
    # SUM of BIGINT is NUMERIC on PostgreSQL: cast back so "/" stays integer division.
    earned = (f"CAST(SUM(CASE WHEN i.status = 'superseded' THEN i.interest_paid ELSE "
              f"{greatest}({accrued}, i.interest_paid) END) AS BIGINT)")
    unpaid = (f"CASE WHEN i.status = 'open' THEN (i.principal - i.principal_paid) + "
              f"({charged} - i.interest_paid) ELSE 0 END")
    dpd = (f"COALESCE(MAX(CASE WHEN ({unpaid}) > 0 AND i.due_date <= %s THEN "
           f"{since('i.due_date')} END), 0)")
    overdue = (f"CAST(SUM(CASE WHEN ({unpaid}) > 0 AND {since('i.due_date')} > {GRACE_DAYS} "
               f"THEN ({unpaid}) ELSE 0 END) AS BIGINT)")
    grouped = (
        f"SELECT l.id AS loan_id, l.interest_account_id AS interest_account_id, "
        f"l.interest_recognized AS old_recognized, {earned} AS earned, {dpd} AS dpd, "
        f"{overdue} AS overdue, COALESCE(a.balance * a.normal_sign, 0) AS outstanding, "
        f"l.allowance AS old_allowance FROM loans_loans l "
        f"JOIN loans_installments i ON i.loan_id = l.id "
        f"LEFT JOIN accounts a ON a.id = l.account_id "
        f"WHERE l.id BETWEEN %s AND %s AND l.status = 'active' "
        f"GROUP BY l.id, l.interest_account_id, l.interest_recognized, a.balance, "
        f"a.normal_sign, l.allowance"
    )
    classes = sorted(CLASSES, key=lambda c: -c[2])
    cls = "CASE " + " ".join(f"WHEN g.dpd >= {d} THEN '{c}'" for c, _, d, _, _ in classes) \
        + " END"
    allowance = "CASE " + " ".join(
        f"WHEN g.dpd >= {d} THEN {_round_half_up('g.outstanding', Fraction(Decimal(p)))}"
        for _, _, d, p, _ in classes) + " END"
    penalty = _round_half_up("g.overdue", Fraction(PENALTY_PERCENT))
    return (f"INSERT INTO {SCRATCH} (loan_id, interest_account_id, old_recognized, earned, dpd, "
            f"penalty, cls, allowance, old_allowance) SELECT g.loan_id, g.interest_account_id, "
            f"g.old_recognized, g.earned, g.dpd, {penalty}, {cls}, {allowance}, g.old_allowance "
            f"FROM ({grouped}) g")


CREATE_SCRATCH = (
    f"CREATE TABLE IF NOT EXISTS {SCRATCH} (loan_id INTEGER PRIMARY KEY, "
    "interest_account_id INTEGER, old_recognized BIGINT, earned BIGINT, dpd INTEGER, "
    "penalty BIGINT, cls VARCHAR(16), allowance BIGINT, old_allowance BIGINT)"
)
ENTRY = (
    "INSERT INTO journal_entries (business_date, memo, actor, operation, idempotency_key, "
    "request_digest, reverses_entry_id, created_at, digest) VALUES (%s, %s, 'system', "
    f"'eod.loans.close-day', %s, %s, NULL, %s, '{ENTRY_DIGEST}') RETURNING id"
)
NEW_INTEREST = f"FROM {SCRATCH} WHERE earned > old_recognized"
ACCRUAL_POSTINGS = ("INSERT INTO postings (entry_id, account_id, amount, currency) SELECT %s, "
                    f"interest_account_id, earned - old_recognized, %s {NEW_INTEREST}")
ACCRUAL_TOTAL = f"SELECT SUM(earned - old_recognized) {NEW_INTEREST}"
ACCRUAL_BALANCES = (
    "UPDATE accounts SET balance = balance + c.delta FROM (SELECT interest_account_id AS id, "
    f"earned - old_recognized AS delta {NEW_INTEREST}) AS c WHERE accounts.id = c.id "
    "AND accounts.status <> 'closed'"
)
UPDATE_LOANS = (
    "UPDATE loans_loans SET interest_recognized = CASE WHEN c.earned > c.old_recognized THEN "
    "c.earned ELSE loans_loans.interest_recognized END, days_past_due = c.dpd, "
    "penalty_due = loans_loans.penalty_due + c.penalty, collectibility = c.cls, "
    f"allowance = c.allowance FROM {SCRATCH} c WHERE loans_loans.id = c.loan_id"
)
ALLOWANCE_CHANGE = f"SELECT SUM(allowance - old_allowance) FROM {SCRATCH}"
POSTING = "INSERT INTO postings (entry_id, account_id, amount, currency) VALUES (%s, %s, %s, %s)"
BALANCE = "UPDATE accounts SET balance = balance + %s WHERE id = %s AND status <> 'closed'"


@attrs.frozen
class GLIds:
    income: int
    allowance: int
    expense: int


def _gl_ids(target: Target) -> GLIds:
    conn = target.raw_connect()
    q = target.sql
    try:
        cur = conn.cursor()
        found = []
        for key in ("interest_income", "allowance", "allowance_expense"):
            cur.execute(q("SELECT id FROM accounts WHERE number = %s"), (f"GL-loans.{key}",))
            found.append(int(cur.fetchone()[0]))
        return GLIds(*found)
    finally:
        conn.close()


def raw_day(target: Target, day: date, chunk: int, gl: GLIds) -> tuple[int, float]:
    """The raw baseline's day: (loans classified, seconds)."""
    q, d = target.sql, target.day(day)
    calc = q(_calc_sql(target))
    # Parameters in the order the placeholders appear in the statement.
    calc_params_per_range = calc.count("?" if target.name == "sqlite" else "%s") - 2
    conn = target.raw_connect()
    done = 0
    try:
        start = time.perf_counter()
        with target.raw_transaction(conn) as cur:
            cur.execute("SELECT MIN(id), MAX(id) FROM loans_loans WHERE status = 'active' "
                        "OR allowance <> 0")
            low, high = cur.fetchone()
        ranges = [] if low is None else [(lo, min(lo + chunk - 1, high))
                                         for lo in range(low, high + 1, chunk)]
        for lo, hi in ranges:
            with target.raw_transaction(conn) as cur:
                params: list[Any] = [d] * calc_params_per_range
                cur.execute(calc, (*params, lo, hi))
                done += cur.rowcount
                cur.execute(ACCRUAL_TOTAL)
                accrued = int(cur.fetchone()[0] or 0)
                if accrued:
                    cur.execute(q(ENTRY), (d, f"Akrual jasa pinjaman {day.isoformat()}",
                                           f"loans.accrual:{day.isoformat()}:{lo}-{hi}", DIGEST,
                                           target.now()))
                    entry_id = int(cur.fetchone()[0])
                    cur.execute(q(ACCRUAL_POSTINGS), (entry_id, CURRENCY))
                    cur.execute(q(POSTING), (entry_id, gl.income, -accrued, CURRENCY))
                    cur.execute(ACCRUAL_BALANCES)
                    cur.execute(q(BALANCE), (-accrued, gl.income))
                cur.execute(UPDATE_LOANS)
                cur.execute(ALLOWANCE_CHANGE)
                change = int(cur.fetchone()[0] or 0)
                if change:
                    cur.execute(q(ENTRY), (d, f"Penyesuaian PPAP pinjaman {day.isoformat()}",
                                           f"loans.allowance:{day.isoformat()}:{lo}-{hi}",
                                           DIGEST, target.now()))
                    entry_id = int(cur.fetchone()[0])
                    lines = [(gl.expense, change), (gl.allowance, -change)]
                    cur.executemany(q(POSTING), [(entry_id, a, m, CURRENCY) for a, m in lines])
                    cur.executemany(q(BALANCE), [(m, a) for a, m in lines])
                cur.execute(f"DELETE FROM {SCRATCH}")
        return done, time.perf_counter() - start
    finally:
        conn.close()


def _state(target: Target) -> tuple[Any, ...]:
    conn = target.raw_connect()
    try:
        cur = conn.cursor()
        cur.execute("SELECT id, interest_recognized, penalty_due, days_past_due, collectibility,"
                    " allowance FROM loans_loans ORDER BY id")
        loans = tuple(map(tuple, cur.fetchall()))
        cur.execute("SELECT id, balance FROM accounts ORDER BY id")
        return loans, tuple(map(tuple, cur.fetchall()))
    finally:
        conn.close()


# --- the workload -----------------------------------------------------------------------------


def run(target: Target, sizes: LoansSizes, log: Callable[[str], None]) -> list[Figure]:
    n = sizes.loans
    log(f"[{target.name}] loans eod: product, classes, {REFERENCE} reference loans, end of day "
        f"{START_DATE} to {FIRST_MEASURED - timedelta(days=1)}")
    kernel = target.kernel(plugins=PLUGINS, migrate=True)
    reference = _reference(kernel)
    log(f"[{target.name}] loans eod: seeding {n - REFERENCE:,} loans set-based")
    start = time.perf_counter()
    _bulk_seed(target, n, reference)
    kernel.write("system", seal_journal, operation="eod.seal")  # as an end of day would
    log(f"[{target.name}] loans eod: seeded in {time.perf_counter() - start:.1f} s")
    copies = check_copies(target, reference, n)
    gl = _gl_ids(target)
    with clone_target(target, "raw") as raw:
        conn = raw.raw_connect()
        with raw.raw_transaction(conn) as cur:
            cur.execute(CREATE_SCRATCH)
        conn.close()
        kernel = target.kernel(plugins=PLUGINS, eod_chunk_size=sizes.chunk_size)
        seconds: dict[str, list[float]] = {"raw": [], "kopcore": []}
        for turn in range(MEASURED_DAYS):
            day = FIRST_MEASURED + timedelta(days=turn)
            for side in (["raw", "kopcore"] if turn % 2 == 0 else ["kopcore", "raw"]):
                if side == "raw":
                    rows, secs = raw_day(raw, day, sizes.chunk_size, gl)
                else:
                    started = time.perf_counter()
                    closed = eod.run_end_of_day(kernel)
                    secs = time.perf_counter() - started
                    rows = closed[0].tasks["loans.close-day"]
                if rows != n:
                    raise RuntimeError(f"loans eod: {side} classified {rows} of {n} loans")
                seconds[side].append(secs)
            log(f"[{target.name}] loans eod {day}: raw {seconds['raw'][-1]:.2f} s, "
                f"kopcore {seconds['kopcore'][-1]:.2f} s")
        target.close()
        if _state(target) != _state(raw):
            raise RuntimeError("loans eod: kopcore's and the raw baseline's books differ")
    check_copies(target, reference, n)
    best = {k: min(v) for k, v in seconds.items()}
    details = {"loans": n, "chunk_size": sizes.chunk_size, "reference_copies_checked": copies,
               "rounds_seconds": {k: [round(s, 3) for s in v] for k, v in seconds.items()},
               "same_books_as_raw": True}
    figure = Figure(target.name, "eod", f"loans accrual + DPD, penalty, kolektibilitas, PPAP, "
                    f"{n:,} loans (kopcore {best['kopcore']:.2f} s, raw {best['raw']:.2f} s)",
                    "loans/s", n / best["kopcore"], n / best["raw"], target=1 / 3,
                    target_text="within 3x raw", details=details)
    return [figure, first_run_figure(figure, seconds["kopcore"][0], seconds["raw"][0], n,
                                     f"loans end of day, {n:,} loans")]
