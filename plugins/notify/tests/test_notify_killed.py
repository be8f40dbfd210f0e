"""A server process killed with SIGKILL between the commit and the after-commit delivery: the
deposit's event was committed, the SMS request was on its way to Infobip when the process died.
The worker sends it again with the same ``messageId``; Infobip (its stand-in, written from its
documentation) refuses the repeat as a duplicate, so the member's phone gets the message
exactly once. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from kopcore_notify.testing import InfobipDouble
from test_notify_channels import Teller

from kopcore.kernel import Kernel
from kopcore.testing import run_operation

#: The server: one write that records the event of a deposit for member A1 and, after its
#: commit, delivers it (setting ``event_delivery = "after-commit"``, the default).
SERVER = textwrap.dedent('''
    import json, sys
    import kopcore
    from kopcore import events, query
    from kopcore.kernel import Kernel
    from kopcore.records import EventType
    from kopcore.settings import Settings

    class Teller:
        @kopcore.hookimpl
        def kopcore_event_types(self):
            return [EventType("teller.told", "A deposit", lambda p: "Setoran diterima.")]

    given = json.loads(sys.argv[1])
    kernel = Kernel.start(Settings(**given), extra_plugins=[("teller", Teller())])

    def work(ctx):
        member = ctx.conn.execute(query.members.select().where(
            query.members.c.member_number == "A1")).one()
        event_id = events.emit(ctx, "teller.told", {"account": "S-A1-01", "amount": "1250000"},
                               member_id=member.id)
        print(event_id, flush=True)
        return event_id

    kernel.write("kasir", work)
    print("delivered", flush=True)
''')


class HeldInfobip(InfobipDouble):
    """Infobip that takes the first request in, and answers it only when released: the
    sender is then waiting for the answer, past its commit."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived = threading.Event()
        self.release = threading.Event()

    def answer(self, path: str, headers: Any, body: Any) -> tuple[int, Any]:
        if not self.arrived.is_set():
            self.arrived.set()
            self.release.wait(30)
        return super().answer(path, headers, body)


@pytest.fixture
def infobip() -> Iterator[HeldInfobip]:
    server = HeldInfobip().start()
    yield server
    server.release.set()
    server.stop()


def test_a_server_killed_after_commit_still_reaches_the_member_exactly_once(
        coop: Callable[..., Kernel], infobip: HeldInfobip, environment: dict[str, str]
) -> None:
    kernel = coop("notify.sms", extra_plugins=[("teller", Teller())])
    settings = kernel.settings
    given = {"database_url": settings.database_url, "plugins": list(settings.plugins),
             "notification_channel": "notify.sms", "environment": environment,
             "cooperative_name": settings.cooperative_name}
    server = subprocess.Popen([sys.executable, "-c", SERVER, json.dumps(given)],  # noqa: S603
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env={**os.environ})
    try:
        assert infobip.arrived.wait(60), server.stderr.read() if server.poll() else "no request"
        # Committed, the request with Infobip, the answer not yet back: kill the server.
        server.send_signal(signal.SIGKILL)
        server.wait(10)
    finally:
        if server.poll() is None:
            server.kill()
    out = server.stdout.read() if server.stdout else ""
    assert server.returncode == -signal.SIGKILL
    assert "delivered" not in out
    event_id = out.split()[0]
    infobip.release.set()  # Infobip goes on with what it accepted: the phone gets the SMS

    shown = run_operation(kernel, "events.show", {"event": event_id}, as_user="manajer")
    assert shown["event"]["state"] == "pending"  # nobody recorded how the delivery went
    assert run_operation(kernel, "events.deliver", {}, as_user="manajer")["sent"] == 1
    assert run_operation(kernel, "events.deliver", {}, as_user="manajer")["sent"] == 0
    assert [m["messageId"] for m in infobip.delivered] == [event_id]  # once on the handset
    assert infobip.reports == [(event_id, "DELIVERED_TO_HANDSET"),
                               (event_id, "REJECTED_DUPLICATE_MESSAGE_ID")]
