"""The server's logs never hold a credential, wherever it was sent, nor a control character."""

from __future__ import annotations

import io
import logging
import socket
import sys
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from kopcore.interfaces._logs import RedactCredentials, redact, server_log_config
from kopcore.interfaces.api import make_app
from tests import interfaces_support as support
from tests.interfaces_support import OWN_MEMBER, Env

env = support.env

UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


@pytest.fixture
def restore_uvicorn_logging() -> Iterator[None]:
    """The test configures uvicorn's loggers as ``kopcore serve`` does; undo it afterwards."""
    saved = {name: (logging.getLogger(name).handlers[:], logging.getLogger(name).level,
                    logging.getLogger(name).propagate) for name in UVICORN_LOGGERS}
    yield
    for name, (handlers, level, propagate) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate


def test_the_access_log_never_holds_a_credential_from_the_query_string_or_a_header(
        env: Env, restore_uvicorn_logging: None) -> None:
    key = env.keys["anggota"]
    config = uvicorn.Config(make_app(env.kernel), log_config=server_log_config(),
                            access_log=True, lifespan="off")
    written = io.StringIO()
    for name in UVICORN_LOGGERS:  # configured by uvicorn.Config, as uvicorn.run does
        for handler in logging.getLogger(name).handlers:
            assert isinstance(handler, logging.StreamHandler)
            handler.setStream(written)
    server = uvicorn.Server(config)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        base = f"http://127.0.0.1:{sock.getsockname()[1]}"
        with httpx.Client(base_url=base) as client:
            refused = client.get("/api/v1/members/get",
                                 params={"member": OWN_MEMBER, "api_key": key})
            assert refused.status_code == 401
            fine = client.get("/api/v1/members/get", params={"member": OWN_MEMBER},
                              headers={"Authorization": f"Bearer {key}"})
            assert fine.status_code == 200
            client.post("/api/v1/members/update-contact?token=s3cr3t-t0ken", json={},
                        headers={"Authorization": f"Bearer {key}", "X-Api-Key": key})
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    log = written.getvalue()
    assert '"GET /api/v1/members/get?member=*&api_key=* HTTP/1.1" 401' in log
    assert '"GET /api/v1/members/get?member=* HTTP/1.1" 200' in log
    assert '"POST /api/v1/members/update-contact?token=* HTTP/1.1"' in log
    secret = key.split("_", 2)[2]
    for leaked in (key, secret, "s3cr3t-t0ken", OWN_MEMBER):
        assert leaked not in log


def test_the_web_apps_log_handlers_redact(env: Env) -> None:
    # The seeded client started the app: Litestar configured its handlers on the root logger.
    filtered = [h for h in logging.getLogger().handlers
                if any(isinstance(f, RedactCredentials) for f in h.filters)]
    assert filtered


def _record(msg: str, *args: object, exc_info: bool = False) -> logging.LogRecord:
    return logging.LogRecord("kopcore.test", logging.ERROR, __file__, 1, msg, args,
                             sys.exc_info() if exc_info else None)


def test_credentials_are_replaced_wherever_a_record_holds_them() -> None:
    key = "kop_abcdefghijkl_" + "S" * 43
    record = _record("refused %s from %s: %s", key, "Bearer " + "t" * 20,
                     ValueError("postgresql://kopcore:hunter2@db/koperasi"))
    assert RedactCredentials().filter(record)
    message = record.getMessage()
    assert message == ("refused kop_*** from Bearer ***: "
                       "postgresql://kopcore:***@db/koperasi")
    try:
        raise RuntimeError(f"with {key}\x1b[31m")
    except RuntimeError:
        failure = _record("failed", exc_info=True)
    RedactCredentials().filter(failure)
    text = logging.Formatter().format(failure)
    assert key not in text
    assert "\x1b" not in text
    assert "kop_***\\x1b[31m" in text
    assert text.count("\n") >= 3  # the traceback keeps its lines


def test_control_characters_are_escaped_so_input_cannot_forge_a_log_line() -> None:
    forged = "x\nINFO kopcore: all good\r\x00\x1b[2J"
    assert redact(forged) == "x\\nINFO kopcore: all good\\r\\x00\\x1b[2J"
    record = _record("unknown field %s (%d)", forged, 3)
    RedactCredentials().filter(record)
    assert record.getMessage() == "unknown field x\\nINFO kopcore: all good\\r\\x00\\x1b[2J (3)"
    assert "\n" not in record.getMessage()


def test_query_values_go_but_names_stay() -> None:
    assert redact("GET /api/v1/accounts/statement?account=SAV-001&from_date=2026-01-01") == \
        "GET /api/v1/accounts/statement?account=*&from_date=*"
    assert redact("who is acting? pass --operator") == "who is acting? pass --operator"
