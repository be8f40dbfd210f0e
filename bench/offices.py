"""Offices: what the RAK lines of an entry between offices cost (docs/offices.md).

The seed is the posting group's (member accounts at the head office, funded from its cash), plus
a branch ``CAB01`` with its own funded cash account and half the member accounts moved to it.
Deposits are posted by kopcore on both sides of each figure, interleaved as the posting group
does, so the ratio is the cost of offices alone:

- *within one office*: the head office's cash → a member account of the head office (two lines,
  the shape of every entry before offices existed);
- *within a branch*: the branch's cash → a member account of the branch (two lines; only the
  office ids differ from the above);
- *between offices*: the branch's cash → a member account of the head office (two lines
  requested, four posted: the pipeline reads the two RAK accounts and adds their lines).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from bench.posting import BULK, KopcorePoster, PostingSizes, _measure_sides, make_entries
from bench.report import Figure
from bench.targets import CURRENCY, Seeded, Target, seed_members
from kopcore import ledger
from kopcore._db import tables as t
from kopcore.context import Context
from kopcore.ledger import _offices as offices
from kopcore.money import Money

QUICK = PostingSizes(1_000, 200, 1_000, 4.0, 0, 0.0, 1)
FULL = PostingSizes(10_000, 3_000, 20_000, 30.0, 0, 0.0, 1)
BRANCH = "CAB01"
BRANCH_CASH = "KAS-CAB01"


def _branch(target: Target, seeded: Seeded) -> tuple[Seeded, Seeded, Seeded]:
    """Open the branch and its cash, move the second half of the member accounts to it; the
    three posters' views: head office only, branch only, branch cash to head office members."""
    kernel = target.kernel()

    def work(ctx: Context) -> int:
        office = offices.create_office(ctx, code=BRANCH, name="Kantor Cabang Bench",
                                       kind="cabang", parent="KP")
        cash = ledger.open_account(ctx, name="Kas Cabang", gl_key="cash", plugin="kopcore",
                                   number=BRANCH_CASH, floor=Money(0, CURRENCY), office=BRANCH)
        half = seeded.ids[len(seeded.ids) // 2:]
        ctx.conn.execute(t.accounts.update().where(t.accounts.c.id.in_(half))
                         .values(office_id=office.id))
        return cash.id

    cash_id = kernel.write("bench", work)
    middle = len(seeded.ids) // 2
    head = attrs.evolve(seeded, numbers=seeded.numbers[:middle], ids=seeded.ids[:middle])
    branch = attrs.evolve(seeded, cash_number=BRANCH_CASH, cash_id=cash_id,
                          numbers=seeded.numbers[middle:], ids=seeded.ids[middle:])
    between = attrs.evolve(head, cash_number=BRANCH_CASH, cash_id=cash_id)
    return head, branch, between


def run(target: Target, sizes: PostingSizes, log: Callable[[str], None]) -> list[Figure]:
    log(f"[{target.name}] offices: seeding {sizes.accounts:,} member accounts and a branch")
    seeded = seed_members(target, sizes.accounts)
    head, branch, between = _branch(target, seeded)
    kernel = target.kernel()
    sides: dict[str, Any] = {
        "one": KopcorePoster(kernel, head).post,
        "branch": KopcorePoster(kernel, branch).post,
        "between": KopcorePoster(kernel, between).post,
    }
    figures = []
    for per_tx in (1, BULK):
        count = sizes.single_entries if per_tx == 1 else sizes.bulk_entries
        entries = make_entries("deposit", len(head.ids), count, seed=per_tx)
        res = _measure_sides(sides, entries, per_tx, sizes, "Setoran tunai")
        log(f"[{target.name}] offices deposit {per_tx}/tx: within one office "
            f"{res['one']['rate']:.1f}, within a branch {res['branch']['rate']:.1f}, "
            f"between offices {res['between']['rate']:.1f} entries/s")
        details = {"accounts": sizes.accounts, "entries_per_tx": per_tx,
                   "within_one_office": res["one"], "within_a_branch": res["branch"],
                   "between_offices": res["between"]}
        for side, case in (("between", "between offices"), ("branch", "within a branch")):
            figures.append(Figure(
                target.name, "offices", f"deposit {per_tx}/tx, {case}", "entries/s",
                res[side]["rate"], res["one"]["rate"],
                baseline_name="kopcore, within the head office", details=details))
    return figures
