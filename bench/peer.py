"""Peer: the same posting workload through python-accounting (from the package index), on SQLite.

python-accounting is an open-source double-entry library on the SQLAlchemy ORM. It is not a
kopcore dependency: install it into the bench's environment only, without its hard
dependencies on mysqlclient and psycopg2 (C extensions that need MySQL/libpq headers and are
used only for those databases)::

    pip install --no-deps python-accounting==2.0.0 "python-dateutil>=2.9,<3" six

Mapping: a deposit is a ``JournalEntry`` crediting the member's account (main account) with
one debit line item on the cash account; a transfer credits member B with a debit line on
member A. Its SQLite engine gets the same pragmas as kopcore's (WAL, ``synchronous=FULL``).
Differences recorded with the figures: ``Transaction.post`` commits by itself, so there is no
way to put 100 entries in one transaction (no bulk figure); it keeps no balance column and so
has no floor check (balances are summed from its ledger rows); it writes more rows per entry
(transaction, line item, two ledger rows chained by a hash of the previous row).
The baseline is the same run's raw sqlite3 posting baseline for the same case.
"""

from __future__ import annotations

import random
import shutil
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from bench.report import Figure

PACKAGE = "python-accounting"


@attrs.frozen
class PeerSizes:
    accounts: int
    entries: int
    seconds: float


QUICK = PeerSizes(100, 40, 3.0)
FULL = PeerSizes(1_000, 500, 30.0)


def _import() -> Any:
    from python_accounting.database.session import get_session
    from python_accounting.models import Account, Base, Currency, Entity, LineItem
    from python_accounting.transactions import JournalEntry

    return get_session, Account, Base, Currency, Entity, LineItem, JournalEntry


def version() -> str | None:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version(PACKAGE)
    except PackageNotFoundError:
        return None


def run(sizes: PeerSizes, raw_rates: dict[str, float], log: Callable[[str], None]
        ) -> tuple[list[Figure], dict[str, Any]]:
    """Figures for deposit and transfer 1/tx, and the JSON ``peer`` section."""
    try:
        get_session, Account, Base, Currency, Entity, LineItem, JournalEntry = _import()
    except ImportError as exc:
        reason = (f"{PACKAGE} is not installed ({exc}); install it with pip install --no-deps "
                  "python-accounting 'python-dateutil>=2.9,<3' six (see bench/README.md)")
        return [], {"skipped": reason}
    from sqlalchemy import create_engine, event

    folder = Path(tempfile.mkdtemp(prefix="kopcore_bench_peer_"))
    engine = create_engine(f"sqlite:///{folder / 'peer.db'}")

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    figures: list[Figure] = []
    section: dict[str, Any] = {"package": PACKAGE, "version": version(), "database": "sqlite",
                               "accounts": sizes.accounts,
                               "not_comparable": [
                                   "no bulk path: Transaction.post commits each entry",
                                   "no balance column, so no conditional floor check",
                                   "4+ rows per entry (transaction, line item, 2 ledger rows)"]}
    try:
        Base.metadata.create_all(engine)
        with get_session(engine) as session:
            log(f"[peer] {PACKAGE}: creating {sizes.accounts:,} accounts")
            entity = Entity(name="Koperasi Bench")
            session.add(entity)
            session.commit()
            currency = Currency(name="Rupiah", code="IDR", entity_id=entity.id)
            session.add(currency)
            session.commit()
            t0 = time.perf_counter()
            cash = Account(name="Kas", account_type=Account.AccountType.BANK,
                           currency_id=currency.id, entity_id=entity.id)
            members = [Account(name=f"Titipan {i}", account_type=Account.AccountType.PAYABLE,
                               currency_id=currency.id, entity_id=entity.id)
                       for i in range(sizes.accounts)]
            session.add_all([cash, *members])
            session.commit()
            section["account_setup_seconds"] = round(time.perf_counter() - t0, 2)
            cash_id, ids, entity_id = cash.id, [m.id for m in members], entity.id

            def post(main_credit: int, debit: int, amount: Decimal, memo: str) -> None:
                entry = JournalEntry(narration=memo, transaction_date=datetime.now(),
                                     account_id=main_credit, entity_id=entity_id)
                session.add(entry)
                session.flush()
                line = LineItem(narration=memo, account_id=debit, amount=amount,
                                entity_id=entity_id, credited=False)
                session.add(line)
                session.flush()
                entry.line_items.add(line)
                session.add(entry)
                entry.post(session)  # commits

            rng = random.Random(1)
            for kind in ("deposit", "transfer"):
                start = time.perf_counter()
                deadline = start + sizes.seconds
                done = 0
                while done < sizes.entries and time.perf_counter() < deadline:
                    amount = Decimal(rng.randint(1, 1000))
                    if kind == "deposit":
                        post(rng.choice(ids), cash_id, amount, "Setoran tunai")
                    else:
                        a, b = rng.sample(ids, 2)
                        post(b, a, amount, "Pindah buku")
                    done += 1
                secs = time.perf_counter() - start
                rate = done / secs
                section[f"{kind}_1tx"] = {"entries": done, "seconds": round(secs, 3),
                                          "rate": round(rate, 2)}
                log(f"[peer] {PACKAGE} {kind} 1/tx: {rate:.1f} entries/s")
                figures.append(Figure(
                    "sqlite", "peer", f"{PACKAGE} {kind} 1/tx", "entries/s", rate,
                    raw_rates.get(f"{kind} 1/tx"),
                    details={"entries": done, "seconds": round(secs, 3),
                             "accounts": sizes.accounts},
                ))
        section["bulk_100_per_tx"] = {"skipped": "Transaction.post commits every entry"}
    except Exception as exc:  # a peer failure is a finding, not a bench failure
        section["skipped"] = f"{type(exc).__name__}: {exc}"
    finally:
        engine.dispose()
        shutil.rmtree(folder, ignore_errors=True)
    return figures, section
