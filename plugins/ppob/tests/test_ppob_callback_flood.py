"""The public callback route under a flood: junk is refused before anything is written, and a
client address past its rate gets 429 with nothing written, not even an audit row."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from kopcore_ppob import tables
from litestar.testing import TestClient
from ppob_coop import Coop, SettlementStandIn

from kopcore.interfaces.api import make_app
from kopcore.kernel import Kernel

JUNK = ["not json", "[1, 2]", '"text"', "<xml/>", "{" * 5000, ""]


def counts(coop: Coop) -> tuple[int, int]:
    """(callback rows recorded, audit rows of the callback route)."""
    def read(conn: sa.Connection) -> int:
        return int(conn.execute(sa.select(sa.func.count()).select_from(tables.callbacks))
                   .scalar_one())
    audited = coop.call("audit.list", operation="ppob.callback", limit=100)["items"]
    return coop.kernel.db.read(read), len(audited)


def test_junk_is_refused_before_anything_is_recorded_and_a_flood_is_rate_limited(
        make_kernel: Callable[..., Kernel]) -> None:
    standin = SettlementStandIn()
    coop = Coop(make_kernel(plugins=("ppob",), extra_plugins=[("standin", standin)],
                            callback_requests_per_minute=len(JUNK) + 1), standin)
    callbacks, audited = counts(coop)
    with TestClient(app=make_app(coop.kernel)) as client:
        def deliver(body: str) -> int:
            return client.post("/api/v1/ppob/callback", content=body.encode(),
                               headers={"X-Hub-Signature": "sha1=" + "0" * 40}).status_code

        assert [deliver(body) for body in JUNK] == [422] * len(JUNK)
        assert counts(coop) == (callbacks, audited + len(JUNK))  # the refusals are audited
        # A JSON object is a plausible delivery: recorded (the sandbox provider sends no
        # callbacks, so it is malformed) with the rate's last request...
        assert deliver('{"data": {"ref_id": "X"}}') == 422
        assert counts(coop) == (callbacks + 1, audited + len(JUNK) + 1)
        verdicts = coop.call("ppob.callbacks")["callbacks"]
        assert [v["verdict"] for v in verdicts] == ["malformed"]
        # ...and past the rate nothing is read or written.
        flood = client.post("/api/v1/ppob/callback", content=b'{"data": {}}',
                            headers={"X-Hub-Signature": "sha1=" + "0" * 40})
        assert flood.status_code == 429
        assert flood.json()["code"] == "too-many-requests"
        assert int(flood.headers["retry-after"]) >= 1
        assert counts(coop) == (callbacks + 1, audited + len(JUNK) + 1)
