"""Signed outbound webhooks: a savings deposit's ``savings.entry-posted`` event reaches an
integrator's receiver once, after commit, signed with the secret shown at creation; another
type's subscriber, a paused subscription and a rolled-back operation get nothing; a refusal is
retried after the outbox's backoff; a 410 pauses the subscription; the secret is never shown
again. The receiver is a real HTTP server on 127.0.0.1 that checks the signature itself. On
SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select

from kopcore import _events
from kopcore._db import tables as t
from kopcore.errors import Conflict, KopcoreError, ValidationError
from kopcore.kernel import Kernel
from kopcore.testing import Cooperative

pytest.importorskip("kopcore_savings")

POSTED = "savings.entry-posted"


class Receiver:
    """An integrator's endpoint: answers with the statuses queued (then 200) and keeps every
    request's headers and raw body."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.answers: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append(({k.lower(): v for k, v in self.headers.items()},
                                          raw))
                self.send_response(receiver.answers.pop(0) if receiver.answers else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/kopcore"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def verified(self, secret: str) -> list[dict[str, Any]]:
        """The bodies received, each after checking its signature as an integrator would."""
        bodies = []
        for headers, raw in self.received:
            timestamp = headers["kopcore-timestamp"]
            expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + raw,
                                hashlib.sha256).hexdigest()
            assert hmac.compare_digest(headers["kopcore-signature"], f"v1={expected}")
            assert headers["content-type"] == "application/json"
            body: dict[str, Any] = json.loads(raw)
            assert headers["kopcore-event-id"] == body["id"]
            bodies.append(body)
        return bodies


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.close()


@pytest.fixture
def coop(make_kernel: Callable[..., Kernel]) -> Cooperative:
    coop = Cooperative(make_kernel(plugins=("savings",)))
    coop.call("savings.product-create", code="SUKARELA", name="Sukarela", type="sukarela")
    return coop


def savings_account(coop: Cooperative) -> str:
    member = coop.member()
    number: str = coop.call("savings.open", member=member, product="SUKARELA")["account"][
        "number"]
    return number


def deposit(coop: Cooperative, number: str, amount: str = "1250000") -> None:
    coop.call("savings.deposit", account=number, amount=amount, cash_account=coop.CASH)


def posted_event_ids(coop: Cooperative) -> list[str]:
    return list(coop.kernel.db.read(lambda conn: conn.execute(
        select(t.events.c.event_id).where(t.events.c.type == POSTED)
        .order_by(t.events.c.id)).scalars().all()))


def delivery_rows(coop: Cooperative) -> list[Any]:
    return list(coop.kernel.db.read(lambda conn: conn.execute(
        select(t.webhook_deliveries).order_by(t.webhook_deliveries.c.id)).all()))


def test_a_deposit_reaches_its_subscriber_once_signed(coop: Cooperative,
                                                      receiver: Receiver) -> None:
    other = Receiver()
    try:
        created = coop.call("webhooks.create", url=receiver.url, types=POSTED,
                            description="Sistem akuntansi")
        coop.call("webhooks.create", url=other.url, types="yearend.shu-credited")
        number = savings_account(coop)
        before = datetime.now(UTC)
        deposit(coop, number)
        [event_id] = posted_event_ids(coop)
        [body] = receiver.verified(created["secret"])
        # 1.250.000 into a new account: the balance is 1.250.000.
        assert (body["id"], body["type"]) == (event_id, POSTED)
        assert {k: body["data"][k] for k in ("account", "amount", "direction", "balance")} == {
            "account": number, "amount": "1250000.00", "direction": "in",
            "balance": "1250000.00"}
        assert body["data"]["date"] == "2026-01-05"
        timestamp = int(receiver.received[0][0]["kopcore-timestamp"])
        assert before.timestamp() - 1 <= timestamp <= datetime.now(UTC).timestamp() + 1
        assert other.received == []
        log = coop.call("webhooks.deliveries", webhook=created["webhook"]["webhook"])
        [sent] = log["deliveries"]
        assert (sent["event_id"], sent["type"], sent["state"], sent["attempts"],
                sent["http_status"], sent["next_attempt_at"]) == (
            event_id, POSTED, "sent", 1, 200, None)
        # Replayed: the same event id again, which the integrator dedupes by.
        coop.call("webhooks.replay", delivery=sent["delivery"])
        assert [b["id"] for b in receiver.verified(created["secret"])] == [event_id] * 2
    finally:
        other.close()


def test_a_refusal_is_retried_after_the_backoff(coop: Cooperative, receiver: Receiver) -> None:
    created = coop.call("webhooks.create", url=receiver.url, types="*")
    number = savings_account(coop)
    receiver.answers = [500]
    before = datetime.now(UTC)
    deposit(coop, number)
    [first] = delivery_rows(coop)
    assert (first.state, first.attempts, first.http_status, first.last_error) == (
        "failed", 1, 500, "HTTP 500")
    # The first wait is 30 s, as for a member's message.
    assert timedelta(seconds=30) <= first.next_attempt_at - before < timedelta(seconds=40)
    at = first.next_attempt_at
    assert _events.deliver_due(coop.kernel, now=at - timedelta(seconds=1)) == {}
    assert _events.deliver_due(coop.kernel, now=at) == {"sent": 1}
    [again] = delivery_rows(coop)
    assert (again.state, again.attempts, again.http_status) == ("sent", 2, 200)
    bodies = receiver.verified(created["secret"])
    assert [b["id"] for b in bodies] == posted_event_ids(coop) * 2


def test_dead_after_the_attempts_allowed(make_kernel: Callable[..., Kernel],
                                         receiver: Receiver) -> None:
    coop = Cooperative(make_kernel(plugins=("savings",), event_max_attempts=2))
    coop.call("savings.product-create", code="SUKARELA", name="Sukarela", type="sukarela")
    coop.call("webhooks.create", url=receiver.url, types=POSTED)
    number = savings_account(coop)
    receiver.answers = [503, 503]
    deposit(coop, number)
    [first] = delivery_rows(coop)
    assert _events.deliver_due(coop.kernel, now=first.next_attempt_at) == {"dead": 1}
    [dead] = delivery_rows(coop)
    assert (dead.state, dead.attempts, dead.http_status) == ("dead", 2, 503)
    assert _events.deliver_due(coop.kernel, now=dead.next_attempt_at + timedelta(days=1)) == {}
    assert len(receiver.received) == 2


def test_a_rolled_back_operation_creates_no_delivery(coop: Cooperative,
                                                     receiver: Receiver) -> None:
    coop.call("webhooks.create", url=receiver.url, types=POSTED)
    number = savings_account(coop)
    with pytest.raises(KopcoreError):  # more than the balance: refused
        coop.call("savings.withdraw", account=number, amount="5000000",
                  cash_account=coop.CASH)
    assert delivery_rows(coop) == []
    assert receiver.received == []


def test_a_paused_subscription_gets_nothing_until_resumed(coop: Cooperative,
                                                          receiver: Receiver) -> None:
    created = coop.call("webhooks.create", url=receiver.url, types=POSTED)
    webhook = created["webhook"]["webhook"]
    number = savings_account(coop)
    assert coop.call("webhooks.pause", webhook=webhook)["active"] is False
    deposit(coop, number)
    assert receiver.received == []
    assert delivery_rows(coop) == []
    coop.call("webhooks.resume", webhook=webhook)
    deposit(coop, number, "75000")
    [body] = receiver.verified(created["secret"])
    assert body["data"]["amount"] == "75000.00"
    assert body["data"]["balance"] == "1325000.00"  # 1.250.000 + 75.000


def test_gone_pauses_the_subscription(coop: Cooperative, receiver: Receiver) -> None:
    created = coop.call("webhooks.create", url=receiver.url, types=POSTED)
    number = savings_account(coop)
    receiver.answers = [410]
    deposit(coop, number)
    [listed] = coop.call("webhooks.list")["webhooks"]
    assert listed["active"] is False
    [gone] = delivery_rows(coop)
    assert (gone.state, gone.http_status) == ("dead", 410)
    deposit(coop, number)
    assert len(receiver.received) == 1
    with pytest.raises(Conflict):
        coop.call("webhooks.replay", delivery=gone.id)
    coop.call("webhooks.delete", webhook=created["webhook"]["webhook"])
    assert coop.call("webhooks.list")["webhooks"] == []
    assert delivery_rows(coop) == []


def test_the_secret_is_shown_once_never_listed(coop: Cooperative, receiver: Receiver) -> None:
    created = coop.call("webhooks.create", url=receiver.url, types=f"{POSTED}, {POSTED}")
    secret = created["secret"]
    assert len(secret) == len("whsec_") + 64
    listed = coop.call("webhooks.list")
    assert secret not in json.dumps(listed)
    [webhook] = listed["webhooks"]
    assert (webhook["url"], webhook["types"], webhook["active"], webhook["created_by"]) == (
        receiver.url, POSTED, True, "admin")
    audit = json.dumps(coop.call("audit.list", limit=50))
    assert secret not in audit


@pytest.mark.parametrize("url", ["http://akuntansi.example/kopcore", "ftp://127.0.0.1/x",
                                 "https://", "akuntansi.example", "http://[",
                                 "https://akuntansi.example:port/k",
                                 "https://akuntansi example/k"])
def test_a_non_https_non_local_url_is_refused(coop: Cooperative, url: str) -> None:
    with pytest.raises(ValidationError) as refused:
        coop.call("webhooks.create", url=url, types=POSTED)
    assert refused.value.status == 422
    assert coop.call("webhooks.list")["webhooks"] == []


def test_unknown_and_secret_event_types_are_refused(coop: Cooperative) -> None:
    for types in ("savings.nothing", "member.login-code", " "):
        with pytest.raises(ValidationError):
            coop.call("webhooks.create", url="https://akuntansi.example/k", types=types)
    made = coop.call("webhooks.create", url="https://akuntansi.example/k", types="*")
    assert made["webhook"]["types"] == "*"


def test_tellers_may_not_manage_webhooks(coop: Cooperative) -> None:
    from kopcore.errors import Forbidden

    with pytest.raises(Forbidden):
        coop.call("webhooks.create", as_user="teller", url="https://a.example/k", types="*")
    with pytest.raises(Forbidden):
        coop.call("webhooks.list", as_user="teller")


def test_cli_creates_and_lists(coop: Cooperative, receiver: Receiver) -> None:
    from click.testing import CliRunner

    from kopcore.cli import make_cli

    cli = make_cli(coop.kernel.settings, coop.kernel.plugins)
    runner = CliRunner()
    created = runner.invoke(cli, ["--operator", "admin", "webhooks", "create", "--url",
                                  receiver.url, "--types", POSTED, "--json"])
    assert created.exit_code == 0, created.output
    secret = json.loads(created.output)["secret"]
    listed = runner.invoke(cli, ["--operator", "admin", "webhooks", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    assert secret not in listed.output
    assert json.loads(listed.output)["webhooks"][0]["url"] == receiver.url
    refused = runner.invoke(cli, ["--operator", "admin", "webhooks", "create", "--url",
                                  "http://akuntansi.example/k", "--types", POSTED])
    assert refused.exit_code != 0
    assert isinstance(refused.exception, ValidationError)
    assert "https" in str(refused.exception)
    deposit(coop, savings_account(coop))
    assert len(receiver.verified(secret)) == 1


def test_a_one_time_code_is_never_sent_to_a_webhook(coop: Cooperative,
                                                    receiver: Receiver) -> None:
    from kopcore import _member_logins as ml

    coop.call("webhooks.create", url=receiver.url, types="*")
    member = coop.member()
    coop.call("members.update-contact", member=member, phone="081234567890")
    _token, event_id = coop.kernel.write("member-app", lambda ctx: ml.begin(
        ctx, member, "test", "127.0.0.1"))
    assert event_id is not None
    assert delivery_rows(coop) == []
    assert receiver.received == []
    deposit(coop, savings_account(coop))  # while "*" still receives the deposit
    assert [json.loads(raw)["type"] for _headers, raw in receiver.received] == [POSTED]
