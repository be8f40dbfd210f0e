"""Maker-checker: large requests wait for a second person, and run once, as their maker."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
from sqlalchemy import update

from kopcore import hookimpl, ledger
from kopcore._auth import principal_for
from kopcore._db import tables as t
from kopcore._invocation import input_digest
from kopcore._service import Outcome, invoke
from kopcore.context import Context
from kopcore.errors import InsufficientFunds, KopcoreError, NotFound
from kopcore.interfaces._convert import load
from kopcore.money import Money
from kopcore.operations import Operation
from kopcore.records import PostingLine, Side
from kopcore.views import EntryOut
from tests import interfaces_support as support
from tests.interfaces_support import (
    CASH,
    OTHER_ACCOUNT,
    OWN_ACCOUNT,
    SECOND_MANAGER,
    Env,
    assert_problem,
    cli_args,
    write_settings,
)

env_factory = support.env_factory

THRESHOLD = Decimal("1000000")


@attrs.frozen
class TransferIn:
    """Move money between two accounts."""

    source: str = attrs.field(metadata={"help": "Account debited", "max_length": 64})
    target: str = attrs.field(metadata={"help": "Account credited", "max_length": 64})
    amount: Decimal = attrs.field(metadata={"help": "Amount"})


def _transfer(ctx: Context, data: TransferIn) -> EntryOut:
    """Transfer (test plugin)."""
    amount = Money.parse(data.amount)
    return EntryOut.of(ledger.post_entry(ctx, [PostingLine(data.source, Side.DEBIT, amount),
                                               PostingLine(data.target, Side.CREDIT, amount)],
                                         memo="transfer"))


class ApprovalTestPlugin:
    @hookimpl
    def kopcore_operations(self) -> list[Operation]:
        return [Operation("approvaltest.transfer", TransferIn, EntryOut, _transfer,
                          permission="ledger.post", mutates=True, summary="Transfer",
                          approval_amount_field="amount",
                          errors=(NotFound, InsufficientFunds))]


@pytest.fixture
def env(env_factory: Any, tmp_path: Path) -> Env:
    made: Env = env_factory(
        extra_plugins=[("approvaltest", ApprovalTestPlugin())],
        approval_thresholds={"approvaltest.transfer": THRESHOLD,
                             "entries.post": Decimal("5000000")})
    # The CLI runs with the built-in plugins only (a threshold naming an operation no enabled
    # plugin offers stops start-up), so its settings keep the kernel's threshold alone.
    made.settings_path = write_settings(tmp_path / "cli.toml", made.kernel.settings.database_url,
                                        approval_thresholds={"entries.post": "5000000"})
    return made


def move(source: str, target: str, value: str) -> dict[str, Any]:
    return {"source": source, "target": target, "amount": value}


def pending(env: Env, value: str = "1000000", source: str = CASH,
            target: str = OWN_ACCOUNT) -> int:
    response = env.call("approvaltest.transfer", move(source, target, value), user="manajer")
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["status"] == "approval-required"
    return body["approval_id"]  # type: ignore[no-any-return]


def test_below_the_threshold_runs_at_once(env: Env) -> None:
    entries = env.count(t.journal_entries)
    response = env.call("approvaltest.transfer", move(CASH, OWN_ACCOUNT, "999999.99"),
                        user="manajer")
    assert response.status_code == 200, response.text
    assert response.json()["actor"] == "manajer"
    assert env.count(t.journal_entries) == entries + 1
    assert env.count(t.approvals) == 0
    assert env.balance(OWN_ACCOUNT).to_str() == "1999999.99"


def test_at_or_above_the_threshold_waits_and_posts_nothing(env: Env) -> None:
    before = env.snapshot()
    for value in ("1000000", "1000000.00", "250000000"):
        response = env.call("approvaltest.transfer", move(CASH, OWN_ACCOUNT, value),
                            user="manajer")
        assert response.status_code == 202, response.text
        assert response.json()["approval_id"] > 0
        assert "approvals approve --approval-id" in response.json()["detail"]
    after = env.snapshot()
    assert after["journal_entries"] == before["journal_entries"]
    assert after["postings"] == before["postings"]
    assert after["approvals"] == before["approvals"] + 3
    assert env.balance(OWN_ACCOUNT).to_str() == "1000000.00"
    listed = env.ok("approvals.list", {}, user=SECOND_MANAGER)["approvals"]
    assert [(a["status"], a["maker"], a["checker"], a["result"]) for a in listed] == \
        [("pending", "manajer", None, None)] * 3
    assert listed[0]["input"] == {"source": CASH, "target": OWN_ACCOUNT, "amount": "1000000"}
    trail = env.ok("audit.list", {"operation": "approvaltest.transfer"})["items"]
    assert [i["outcome"] for i in trail] == ["approval-required"] * 3


def test_the_maker_cannot_approve_their_own(env: Env) -> None:
    approval = pending(env)
    entries = env.count(t.journal_entries)
    problem = assert_problem(env.call("approvals.approve", {"approval_id": approval},
                                      user="manajer"), 403, "forbidden")
    assert "maker" in problem["detail"]
    assert_problem(env.call("approvals.reject", {"approval_id": approval}, user="manajer"),
                   403, "forbidden")
    # Nor may someone without the permission.
    for user in ("teller", "auditor", "anggota"):
        assert_problem(env.call("approvals.approve", {"approval_id": approval}, user=user), 403,
                       "forbidden")
    assert env.count(t.journal_entries) == entries
    assert env.ok("approvals.list", {}, user=SECOND_MANAGER)["approvals"][0]["status"] == \
        "pending"


def test_another_manager_approves_and_it_runs_once_as_the_maker(env: Env) -> None:
    approval = pending(env, "1500000")
    entries = env.count(t.journal_entries)
    decided = env.ok("approvals.approve", {"approval_id": approval}, user=SECOND_MANAGER)
    assert (decided["status"], decided["maker"], decided["checker"]) == \
        ("approved", "manajer", SECOND_MANAGER)
    entry = decided["result"]
    assert entry["actor"] == "manajer"  # it runs as the maker...
    assert entry["operation"] == "approvaltest.transfer"
    assert [p["amount"]["amount"] for p in entry["postings"]] == ["1500000.00", "1500000.00"]
    assert env.count(t.journal_entries) == entries + 1  # ...once
    assert env.balance(OWN_ACCOUNT).to_str() == "2500000.00"
    # On the record: the request, the execution (as the maker, naming the checker, with the
    # request's digest) and the checker's decision.
    rows = env.ok("audit.list", {}, user="auditor")["items"]
    mine = [(r["actor"], r["operation"], r["interface"], r["outcome"]) for r in rows]
    assert mine == [
        ("manajer", "approvaltest.transfer", "api", "approval-required"),
        ("manajer", "approvaltest.transfer", "approval", "ok"),
        (SECOND_MANAGER, "approvals.approve", "api", "ok"),
    ]
    assert f"by {SECOND_MANAGER}" in rows[1]["detail"]
    assert rows[1]["input_digest"] == rows[0]["input_digest"]
    # Approving twice is a conflict; so is rejecting what was approved. Nothing more posts.
    assert_problem(env.call("approvals.approve", {"approval_id": approval}, user="admin"), 409,
                   "conflict")
    assert_problem(env.call("approvals.reject", {"approval_id": approval}, user="admin"), 409,
                   "conflict")
    assert env.count(t.journal_entries) == entries + 1
    assert env.ok("approvals.list", {"status": "approved"})["approvals"][0]["result"] == entry


def test_an_approved_requests_audit_rows_share_the_digest_of_its_loaded_input(env: Env) -> None:
    """The maker's "approval-required" row and the approval's "ok" row carry one digest: that
    of the loaded input, computed by the same step, however the amount was written."""
    op = env.op("approvaltest.transfer")
    approval = pending(env, "1500000.00")
    env.ok("approvals.approve", {"approval_id": approval}, user=SECOND_MANAGER)
    rows = env.ok("audit.list", {"operation": op.name}, user="auditor")["items"]
    assert [(r["interface"], r["outcome"]) for r in rows] == \
        [("api", "approval-required"), ("approval", "ok")]
    assert rows[0]["input_digest"] == rows[1]["input_digest"] == \
        input_digest(op, load(op.input, move(CASH, OWN_ACCOUNT, "1500000")))
    # The same request sent again (amount written another way) is recorded with that digest.
    env.call(op.name, move(CASH, OWN_ACCOUNT, "1500000"), user="manajer")
    again = env.ok("audit.list", {"operation": op.name}, user="auditor")["items"][-1]
    assert again["input_digest"] == rows[0]["input_digest"]


def test_approving_authorises_the_maker_again_with_the_same_step(env: Env) -> None:
    """The maker's role lost the permission after the request was queued: the approval is
    refused by the authorise step every call runs, nothing posts, and it stays pending."""
    approval = pending(env, "1500000")
    before = env.snapshot()
    env.kernel.db.write(lambda conn: conn.execute(
        update(t.users).where(t.users.c.username == "manajer").values(role="teller")))
    problem = assert_problem(env.call("approvals.approve", {"approval_id": approval},
                                      user=SECOND_MANAGER), 403, "forbidden")
    assert problem["detail"] == "role teller may not approvaltest.transfer (needs ledger.post)"
    after = env.snapshot()
    assert after["journal_entries"] == before["journal_entries"]
    assert after["audit_log"] == before["audit_log"] + 1  # the refused approval, on record
    assert env.ok("approvals.list", {}, user=SECOND_MANAGER)["approvals"][0]["status"] == \
        "pending"
    # The approver needs approvals.decide for approvals.approve; the four-eyes rule holds too.
    env.kernel.db.write(lambda conn: conn.execute(
        update(t.users).where(t.users.c.username == "manajer").values(role="manager")))
    assert_problem(env.call("approvals.approve", {"approval_id": approval}, user="teller"),
                   403, "forbidden")
    assert_problem(env.call("approvals.approve", {"approval_id": approval}, user="manajer"),
                   403, "forbidden")
    assert env.ok("approvals.approve", {"approval_id": approval},
                  user=SECOND_MANAGER)["status"] == "approved"


def test_reject_posts_nothing(env: Env) -> None:
    approval = pending(env)
    before = env.snapshot()
    decided = env.ok("approvals.reject", {"approval_id": approval}, user=SECOND_MANAGER)
    assert (decided["status"], decided["checker"], decided["result"]) == \
        ("rejected", SECOND_MANAGER, None)
    assert_problem(env.call("approvals.approve", {"approval_id": approval}, user="admin"), 409,
                   "conflict")
    after = env.snapshot()
    assert after["journal_entries"] == before["journal_entries"]
    assert env.balance(OWN_ACCOUNT).to_str() == "1000000.00"
    assert env.ok("approvals.list", {})["approvals"] == []
    assert_problem(env.call("approvals.approve", {"approval_id": 424242}, user="admin"), 404,
                   "not-found")


def test_an_approval_that_can_no_longer_run_is_refused_and_stays_pending(env: Env) -> None:
    approval = pending(env, "1000000", source=OTHER_ACCOUNT, target=CASH)  # holds 500,000
    entries = env.count(t.journal_entries)
    assert_problem(env.call("approvals.approve", {"approval_id": approval},
                            user=SECOND_MANAGER), 409, "insufficient-funds")
    assert env.count(t.journal_entries) == entries
    assert env.ok("approvals.list", {})["approvals"][0]["status"] == "pending"
    # The maker lost the right meanwhile: the request does not run with rights they lack.
    env.ok("users.deactivate", {"username": "manajer"})
    approval2 = env.ok("approvals.list", {})["approvals"][0]["approval_id"]
    response = env.call("approvals.approve", {"approval_id": approval2}, user=SECOND_MANAGER)
    assert_problem(response, 409, "conflict")
    assert env.count(t.journal_entries) == entries
    # It can still be rejected.
    assert env.ok("approvals.reject", {"approval_id": approval}, user="admin")["status"] == \
        "rejected"


def test_a_replayed_request_does_not_queue_twice(env: Env) -> None:
    body = move(CASH, OWN_ACCOUNT, "2000000")
    first = env.call("approvaltest.transfer", body, user="manajer", key="besar-1")
    again = env.call("approvaltest.transfer", body, user="manajer", key="besar-1")
    assert first.status_code == again.status_code == 202
    assert again.headers["Idempotency-Replayed"] == "true"
    assert again.json() == first.json()
    assert env.count(t.approvals) == 1


def test_concurrent_approvals_run_it_once(env: Env) -> None:
    approval = pending(env, "3000000")
    entries = env.count(t.journal_entries)
    op = env.op("approvals.approve")
    checkers = [env.kernel.db.read(lambda conn, u=u: principal_for(conn, env.kernel.plugins, u))
                for u in (SECOND_MANAGER, "admin") * 3]
    barrier = threading.Barrier(len(checkers))

    def approve(principal: Any) -> Any:
        barrier.wait()
        try:
            return invoke(env.kernel, op, {"approval_id": approval}, principal, interface="api")
        except KopcoreError as exc:
            return exc

    with ThreadPoolExecutor(len(checkers)) as pool:
        results = list(pool.map(approve, checkers))
    done = [r for r in results if isinstance(r, Outcome)]
    assert len(done) == 1, results
    assert all(getattr(r, "code", None) == "conflict" for r in results if r not in done)
    assert env.count(t.journal_entries) == entries + 1
    assert env.balance(OWN_ACCOUNT).to_str() == "4000000.00"


def test_manual_entries_need_a_checker_above_their_threshold(env: Env) -> None:
    small = {"memo": "kecil", "lines": [
        {"account": CASH, "side": "debit", "amount": "4999999.99"},
        {"account": "GL-equity.grants", "side": "credit", "amount": "4999999.99"}]}
    large = {"memo": "besar", "lines": [
        {"account": "GL-equity.grants", "side": "debit", "amount": "5000000"},
        {"account": CASH, "side": "credit", "amount": "5000000"}]}
    entries = env.count(t.journal_entries)
    assert env.call("entries.post", small, user="manajer").status_code == 200
    waiting = env.call("entries.post", large, user="manajer")
    assert waiting.status_code == 202
    assert env.count(t.journal_entries) == entries + 1
    # Through the CLI: the maker sees the approval id, the checker approves.
    result = env.cli("entries", "post", *cli_args(large), operator="manajer")
    assert result.exit_code == 0, result.stderr
    assert "approvals approve --approval-id" in result.stdout
    assert env.count(t.journal_entries) == entries + 1
    approval = waiting.json()["approval_id"]
    decided = env.cli("approvals", "approve", "--approval-id", str(approval), "--json",
                      operator=SECOND_MANAGER).json()
    assert decided["status"] == "approved"
    assert decided["result"]["memo"] == "besar"
    assert env.count(t.journal_entries) == entries + 2
    again = env.cli("approvals", "approve", "--approval-id", str(approval), operator="admin")
    assert (again.exit_code, again.error_code) == (1, "conflict")
    assert env.balance(CASH).to_str() == "11499999.99"


def test_approving_a_request_of_a_disabled_plugin_is_refused_not_a_crash(env: Env) -> None:
    """The CLI here runs without the test plugin (settings enable only the built-ins)."""
    approval = pending(env)
    result = env.cli("approvals", "approve", "--approval-id", str(approval),
                     operator=SECOND_MANAGER)
    assert (result.exit_code, result.error_code) == (1, "conflict"), result.stderr
    assert env.ok("approvals.list", {})["approvals"][0]["status"] == "pending"
