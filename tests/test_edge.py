"""The edge: input no operation could use is refused as a typed problem (400), never a 500,
on the API and the CLI alike, before anything is written or logged as an error."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import select

from kopcore._db import tables as t
from kopcore.errors import BadRequest, NotFound, ValidationError
from kopcore.interfaces import _edge as edge
from tests import interfaces_support as support
from tests.interfaces_support import CASH, OWN_ACCOUNT, Env, assert_problem

env = support.env

JSON = {"Content-Type": "application/json"}
#: A JSON body whose strings spell half a UTF-16 surrogate pair, in a value and in a key.
SURROGATE_BODIES = [
    b'{"name": "Made \\ud800", "nik": "5171011508909001"}',
    b'{"name": "Made", "nik": "5171011508909001", "address": "\\udfff"}',
    b'{"name": "Made", "nik": "5171011508909001", "\\ud800": "x"}',
]
DEEP_BODIES = [b"[" * 30_000, b'{"a":' * 10_000, b'{"lines": ' + b"[" * 40 + b"]" * 40 + b"}"]


def _no_errors_logged(caplog: pytest.LogCaptureFixture) -> None:
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


@pytest.mark.parametrize("user", ["anggota", "teller"])
def test_lone_surrogate_in_a_json_string_is_a_bad_request(
        env: Env, user: str, caplog: pytest.LogCaptureFixture) -> None:
    before = env.snapshot()
    for body in SURROGATE_BODIES:
        response = env.client.post("/api/v1/members/register", content=body,
                                   headers=env.headers(user) | JSON)
        problem = assert_problem(response, 400, "bad-request")
        assert "surrogate" in problem["detail"]
    assert env.snapshot()["members"] == before["members"]
    _no_errors_logged(caplog)


@pytest.mark.parametrize("user", ["anggota", "teller"])
def test_deeply_nested_json_is_a_bad_request(env: Env, user: str,
                                             caplog: pytest.LogCaptureFixture) -> None:
    before = env.snapshot()
    for body in DEEP_BODIES:
        assert len(body) < env.kernel.settings.max_request_bytes
        response = env.client.post("/api/v1/entries/post", content=body,
                                   headers=env.headers(user) | JSON)
        problem = assert_problem(response, 400, "bad-request")
        assert "nests deeper" in problem["detail"]
    assert env.snapshot()["journal_entries"] == before["journal_entries"]
    _no_errors_logged(caplog)


def test_nesting_an_operation_takes_is_accepted(env: Env) -> None:
    body = {"memo": "kas", "lines": [
        {"account": CASH, "side": "debit", "amount": "1000"},
        {"account": OWN_ACCOUNT, "side": "credit", "amount": "1000"}]}
    response = env.client.post("/api/v1/entries/post", content=json.dumps(body).encode(),
                               headers=env.headers("manajer") | JSON)
    assert response.status_code == 200, response.text


def test_cli_refuses_an_argument_that_is_not_utf8_with_a_message(env: Env) -> None:
    # Python hands undecodable argument bytes (here 0xFF) over as a lone surrogate.
    result = env.cli("members", "register", "--name", "Made\udcff", "--nik",
                     "5171011508909001", operator="teller")
    assert result.exit_code == 1
    assert result.error_code == "bad-request"
    assert r"argument 'Made\udcff' is not valid UTF-8" in result.stderr
    assert result.exception is None
    assert env.count(t.members) == 2


def test_cli_refuses_a_json_option_with_a_surrogate_escape_or_deep_nesting(env: Env) -> None:
    lines = json.dumps([{"account": CASH, "side": "debit", "amount": "1"},
                        {"account": OWN_ACCOUNT, "side": "credit", "amount": "1"}])
    for bad in (lines.replace("CASH-01", "\\ud800"), "[" * 30_000):
        result = env.cli("entries", "post", "--memo", "x", "--lines", bad, operator="manajer")
        assert result.exit_code == 1, result.stderr
        assert result.error_code == "bad-request", result.stderr
        assert result.exception is None


def test_cli_refuses_an_operator_name_that_is_not_utf8(env: Env) -> None:
    result = env.cli("system", "business-date", operator=None,
                     env={"KOPCORE_OPERATOR": "admin\udcff"})
    assert result.exit_code == 1
    assert result.error_code == "bad-request"


def test_parse_json_bounds_depth_without_recursing() -> None:
    deep = "[" * edge.MAX_DEPTH + "]" * edge.MAX_DEPTH
    assert edge.parse_json(deep) is not None
    with pytest.raises(BadRequest):
        edge.parse_json("[" + deep + "]")
    with pytest.raises(BadRequest):
        edge.parse_json("[" * 100_000)


def test_json_must_be_utf8_even_where_the_parser_could_guess() -> None:
    utf16 = json.dumps({"name": "Made"}).encode("utf-16")
    assert json.loads(utf16) == {"name": "Made"}  # what the standard library would accept
    with pytest.raises(ValidationError):
        edge.parse_json(utf16)


NOT_JSON = [
    ("text/plain", b'{"name": "Made", "nik": "5171011508909001"}'),
    ("application/xml", b"<member><name>Made</name></member>"),
    ("application/x-www-form-urlencoded", b"name=Made&nik=5171011508909001"),
    ("multipart/form-data; boundary=x",
     b'--x\r\nContent-Disposition: form-data; name="name"\r\n\r\nMade\r\n--x--\r\n'),
    ("application/json; charset=utf-16",
     '{"name": "Made", "nik": "5171011508909001"}'.encode("utf-16")),
    (None, b'{"name": "Made", "nik": "5171011508909001"}'),
]


def test_a_body_not_sent_as_json_is_refused_with_415(env: Env) -> None:
    before = env.snapshot()
    for content_type, body in NOT_JSON:
        headers = env.headers("teller")
        if content_type is not None:
            headers["Content-Type"] = content_type
        response = env.client.post("/api/v1/members/register", content=body, headers=headers)
        problem = assert_problem(response, 415, "unsupported-media-type")
        assert "application/json" in problem["detail"], content_type
    assert env.snapshot()["members"] == before["members"]
    # JSON with its charset spelt out is JSON.
    sent = env.client.post(
        "/api/v1/members/register", content=b'{"name": "Made", "nik": "5171011508909101"}',
        headers=env.headers("teller") | {"Content-Type": "application/json; charset=UTF-8"})
    assert sent.status_code == 200, sent.text
    spec = env.client.get("/docs/openapi.json").json()
    responses = spec["paths"]["/api/v1/members/register"]["post"]["responses"]
    assert "unsupported-media-type" in responses["415"]["description"]


def test_a_refusal_quoting_control_characters_is_audited_with_them_escaped(
        env: Env, caplog: pytest.LogCaptureFixture) -> None:
    before = env.count(t.audit_log)
    response = env.client.post("/api/v1/members/update-contact",
                               content=b'{"member": "AG-001", "a\\u0000b\\u001b[2J": "x"}',
                               headers=env.headers("teller") | JSON)
    problem = assert_problem(response, 422, "validation-error")
    assert problem["detail"] == "unknown field(s): a\\x00b\\x1b[2J"
    assert problem["field"] == "a\\x00b\\x1b[2J"
    rows = env.rows(select(t.audit_log.c.outcome, t.audit_log.c.detail)
                    .order_by(t.audit_log.c.id.desc()).limit(1))
    assert env.count(t.audit_log) == before + 1
    assert tuple(rows[0]) == ("validation-error", "unknown field(s): a\\x00b\\x1b[2J")
    assert "could not audit" not in caplog.text


def test_the_cli_prints_a_refusal_without_raw_control_characters(env: Env) -> None:
    result = env.cli("accounts", "get", "--account", "SAV\x1b[2J", operator="teller")
    assert result.exit_code == 1
    assert "\x1b" not in result.stderr
    # Whatever quotes its input, the error escapes it: the detail and every text member.
    refused = NotFound("account SAV\x1b[2J not found", field="acc\x00ount", count=2)
    assert refused.detail == "account SAV\\x1b[2J not found"
    assert refused.extra == {"field": "acc\\x00ount", "count": 2}
