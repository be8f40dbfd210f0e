"""The generated web API: its OpenAPI document, problem+json errors and the offline docs page."""

from __future__ import annotations

import copy
import re
from datetime import datetime, timedelta
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

import jsonschema_rs
from schemathesis.specs.openapi.definitions import OPENAPI_31

from kopcore._db import tables as t
from kopcore.interfaces._convert import object_schema
from tests import interfaces_support as support
from tests.interfaces_support import (
    CASH,
    OTHER_ACCOUNT,
    OWN_ACCOUNT,
    OWN_MEMBER,
    Env,
    amount,
    assert_problem,
)

env, env_factory = support.env, support.env_factory

SPEC = "/docs/openapi.json"


def entry(debit: str, credit: str, value: Any, memo: str = "test") -> dict[str, Any]:
    return {"memo": memo, "lines": [{"account": debit, "side": "debit", "amount": value},
                                    {"account": credit, "side": "credit", "amount": value}]}


# --- the OpenAPI document --------------------------------------------------------------------


def test_openapi_document_is_valid_openapi_3_1(env: Env) -> None:
    response = env.client.get(SPEC)
    assert response.status_code == 200
    doc = response.json()
    assert doc["openapi"].startswith("3.1")
    validator = jsonschema_rs.validator_for(OPENAPI_31)
    errors = [f"{e.instance_path}: {e.message}" for e in validator.iter_errors(doc)]
    assert errors == []
    # The validator is not vacuous: a broken document is refused.
    broken = copy.deepcopy(doc)
    del broken["info"]
    broken["paths"]["/api/v1/members/get"]["get"]["responses"] = "none"
    assert len(list(validator.iter_errors(broken))) >= 2
    # Every schema in it is a valid JSON Schema (2020-12, the dialect of OpenAPI 3.1).
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            schemas = [p["schema"] for p in operation.get("parameters", [])]
            for content in [operation.get("requestBody", {}).get("content", {}),
                            *(r.get("content", {}) for r in operation["responses"].values())]:
                schemas += [media["schema"] for media in content.values()]
            for schema in schemas:
                assert jsonschema_rs.meta.is_valid(schema), (method, path, schema)


def test_openapi_lists_every_operation_with_its_schemas(env: Env) -> None:
    doc = env.client.get(SPEC).json()
    operations = {c.value.name: c.value for c in env.kernel.plugins.operations.values()}
    documented = {(method.upper(), path): spec for path, item in doc["paths"].items()
                  for method, spec in item.items()}
    assert len(documented) == len(operations)
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    for name, op in operations.items():
        spec = documented[(op.http_method, op.path)]
        assert spec["operationId"] == name
        assert spec["security"] == [{"bearer": []}]
        assert {"200", "401", "403", "422"} <= set(spec["responses"])
        for status, response in spec["responses"].items():
            if status.startswith(("4", "5")):
                assert list(response["content"]) == ["application/problem+json"], (name, status)
        params = {p["name"]: p for p in spec.get("parameters", [])}
        if op.mutates:
            assert spec["requestBody"]["content"]["application/json"]["schema"] == \
                object_schema(op.input)
            # Replaying a secret is refused, so the header is not offered where it is refused.
            assert ("Idempotency-Key" in params) == (not op.sensitive_output), name
        else:
            assert "requestBody" not in spec
            assert set(params) == {f.name for f in op.input.__attrs_attrs__}
        if op.approval_amount_field:
            assert "202" in spec["responses"]


# --- problem+json for every kind of refusal --------------------------------------------------


def test_validation_error_names_the_field(env: Env) -> None:
    problem = assert_problem(env.call("members.register", {"name": "Ni Luh"}), 422,
                             "validation-error")
    assert problem["field"] == "nik"
    problem = assert_problem(env.call("members.register", {"name": "X", "nik": "1", "age": 3}),
                             422, "validation-error")
    assert problem["field"] == "age"
    assert_problem(env.call("members.get", {}), 422, "validation-error")
    assert_problem(env.call("accounts.list", {"limit": "0"}), 422, "validation-error")
    assert_problem(env.call("accounts.list", {"limit": "many"}), 422, "validation-error")
    # Ids beyond the database's INTEGER are refused at the edge, on SQLite and PostgreSQL alike.
    for name, data in (("entries.get", {"entry_id": 2**31}),
                       ("members.list", {"after": 24500283992582}),
                       ("audit.list", {"after": 2**31}),
                       ("approvals.approve", {"approval_id": 3336924828}),
                       ("accounts.release-hold", {"account": CASH, "hold_id": 2**31})):
        problem = assert_problem(env.call(name, data), 422, "validation-error")
        assert problem["field"] == next(iter(k for k in data if k != "account"))
    assert_problem(env.call("entries.get", {"entry_id": 2**31 - 1}), 404, "not-found")


NOT_DECIMAL_STRINGS = [1000.5, 1000.0, 1e300, "1e3", "1,000", "Rp 1000", "NaN", "Infinity", True,
                       "0.0000001", "12345678901234567890", " ", "--1", "0x10"]


def test_amount_that_is_not_an_exact_decimal_string_is_refused(env: Env) -> None:
    before = env.snapshot()
    for value in NOT_DECIMAL_STRINGS:
        response = env.call("entries.post", entry(CASH, "GL-equity.grants", value))
        problem = assert_problem(response, 422, "invalid-amount")
        assert problem["field"] == "lines[0].amount", value
    after = env.snapshot()
    assert after["audit_log"] == before["audit_log"] + len(NOT_DECIMAL_STRINGS)
    assert {k: v for k, v in after.items() if k != "audit_log"} == \
        {k: v for k, v in before.items() if k != "audit_log"}


def test_a_json_float_is_refused_even_when_it_is_whole(env: Env) -> None:
    """``1000.0`` parses to a float: a client sending floats must learn it at once."""
    response = env.client.post("/api/v1/entries/post",
                               headers=env.headers(**{"Content-Type": "application/json"}),
                               content=b'{"memo": "x", "lines": [{"account": "CASH-01", '
                                       b'"side": "debit", "amount": 1000.0}, {"account": '
                                       b'"GL-equity.grants", "side": "credit", "amount": "1000"}]}')
    assert_problem(response, 422, "invalid-amount")


def test_not_found(env: Env) -> None:
    assert_problem(env.call("accounts.get", {"account": "NOPE-1"}), 404, "not-found")
    assert_problem(env.call("members.get", {"member": "ZZ-999"}), 404, "not-found")
    assert_problem(env.call("entries.get", {"entry_id": 999999}), 404, "not-found")


def test_unauthorized_and_forbidden(env: Env) -> None:
    response = env.client.get("/api/v1/system/business-date")
    assert_problem(response, 401, "unauthorized")
    assert_problem(env.call("users.create", {"username": "x1", "role": "teller"},
                            user="teller"), 403, "forbidden")


def test_insufficient_funds_posts_nothing(env: Env) -> None:
    before = env.count(t.journal_entries)
    problem = assert_problem(env.call("entries.post", entry(OWN_ACCOUNT, CASH, "1000000.01"),
                                      user="manajer"), 409, "insufficient-funds")
    assert "SAV-001" in problem["detail"]
    assert env.count(t.journal_entries) == before
    assert env.balance(OWN_ACCOUNT).to_str() == "1000000.00"


def test_account_closed(env: Env) -> None:
    opened = env.ok("accounts.open-internal", {"name": "Kas Tutup", "gl_key": "cash",
                                               "number": "CASH-99"})
    assert opened["balance"] == amount("0")
    env.ok("accounts.close", {"account": "CASH-99"})
    assert_problem(env.call("entries.post", entry("CASH-99", CASH, "10")), 409,
                   "account-closed")
    assert_problem(env.call("accounts.close", {"account": "CASH-99"}), 409, "account-closed")


def test_unbalanced_entry(env: Env) -> None:
    body = {"memo": "x", "lines": [{"account": CASH, "side": "debit", "amount": "100"},
                                   {"account": OTHER_ACCOUNT, "side": "credit", "amount": "90"}]}
    before = env.snapshot()
    assert_problem(env.call("entries.post", body), 422, "unbalanced-entry")
    assert env.count(t.journal_entries) == before["journal_entries"]


def test_idempotency_conflict(env: Env) -> None:
    env.ok("members.update-contact", {"member": OWN_MEMBER, "phone": "081234567890"}, key="k-1")
    response = env.call("members.update-contact", {"member": OWN_MEMBER, "phone": "081234567891"},
                        key="k-1")
    assert_problem(response, 422, "idempotency-conflict")


def test_unknown_route_and_wrong_method(env: Env) -> None:
    for path in ("/nope", "/api/v1/members", "/api/v1/members/nope", "/api/v2/members/get"):
        assert_problem(env.client.get(path, headers=env.headers()), 404, "not-found")
    assert_problem(env.client.get("/api/v1/members/register", headers=env.headers()), 405,
                   "method-not-allowed")
    assert_problem(env.client.post("/api/v1/members/get", headers=env.headers(), json={}), 405,
                   "method-not-allowed")


BAD_BODIES = [b"{", b"not json", b"[1, 2]", b'"text"', b"null", b"\xff\xfe", b"{}}",
              b'{"name": "a", "nik": "1"', b"{'name': 'x'}", b"1e999", b'{"name": NaN}']


def test_bad_json_body_is_a_problem_not_a_crash(env: Env) -> None:
    before = env.snapshot()
    for body in BAD_BODIES:
        response = env.client.post("/api/v1/members/register", content=body,
                                   headers=env.headers(**{"Content-Type": "application/json"}))
        assert response.status_code in (400, 422), (body, response.text)
        assert_problem(response, response.status_code, "validation-error")
    assert env.snapshot()["members"] == before["members"]


def test_oversized_body_is_refused_and_nothing_is_written(env: Env) -> None:
    limit = env.kernel.settings.max_request_bytes
    body = {"name": "Besar", "nik": "5171011508909999", "address": "x" * (limit + 1)}
    before = env.snapshot()
    assert_problem(env.call("members.register", body), 413, "request-too-large")
    assert env.snapshot() == before
    # Just under the limit goes through the normal validation (address too long: 422).
    body["address"] = "x" * (limit - 200)
    assert_problem(env.call("members.register", body), 422, "validation-error")


def test_smaller_limit_from_settings(env_factory: Any) -> None:
    small = env_factory(max_request_bytes=300)
    before = small.snapshot()
    response = small.call("entries.post", entry(CASH, "GL-equity.grants", "1", memo="m" * 400))
    assert_problem(response, 413, "request-too-large")
    assert small.snapshot() == before


BAD_INPUTS: list[tuple[str, str, Any]] = [
    ("POST", "/api/v1/entries/post", {"memo": "x", "lines": "CASH-01"}),
    ("POST", "/api/v1/entries/post", {"memo": "x", "lines": [1, 2]}),
    ("POST", "/api/v1/entries/post", {"memo": "x", "lines": [{"account": CASH}]}),
    ("POST", "/api/v1/entries/post", {"memo": "x", "lines": [{"account": CASH, "side": "up",
                                                               "amount": "1"}] * 2}),
    ("POST", "/api/v1/entries/post", {"memo": "x", "lines": []}),
    ("POST", "/api/v1/entries/post", {"memo": "x", "lines": [
        {"account": CASH, "side": "debit", "amount": "-5"},
        {"account": OWN_ACCOUNT, "side": "credit", "amount": "-5"}]}),
    ("POST", "/api/v1/entries/post", {"memo": "x", "lines": [
        {"account": CASH, "side": "debit", "amount": "0.001"},
        {"account": OWN_ACCOUNT, "side": "credit", "amount": "0.001"}]}),
    ("POST", "/api/v1/entries/post", {"memo": "x", "lines": [
        {"account": CASH, "side": "debit", "amount": "999999999999999999"},
        {"account": OWN_ACCOUNT, "side": "credit", "amount": "999999999999999999"}]}),
    ("POST", "/api/v1/entries/post", {"memo": "x", "lines": [
        {"account": CASH, "side": "debit", "amount": 10**30},
        {"account": OWN_ACCOUNT, "side": "credit", "amount": 10**30}]}),
    ("POST", "/api/v1/entries/post", {"memo": "x", "lines": [
        {"account": "", "side": "debit", "amount": "1"},
        {"account": "\x00", "side": "credit", "amount": "1"}]}),
    ("POST", "/api/v1/entries/reverse", {"entry_id": 2**63}),
    ("POST", "/api/v1/entries/reverse", {"entry_id": -1}),
    ("POST", "/api/v1/entries/reverse", {"entry_id": "1"}),
    ("POST", "/api/v1/entries/reverse", {"entry_id": 1.0}),
    ("POST", "/api/v1/members/register", {"name": None, "nik": None}),
    ("POST", "/api/v1/members/register", {"name": "A", "nik": "12345678901234567"}),
    ("POST", "/api/v1/members/register", {"name": ["A"], "nik": {"x": 1}}),
    ("POST", "/api/v1/members/register", {"name": "A", "nik": "5171011508900001",
                                          "member_number": "A 1"}),
    ("POST", "/api/v1/members/register", {"name": "A", "nik": "5171011508900001",
                                          "email": "not-an-email", "phone": "12"}),
    ("POST", "/api/v1/accounts/hold", {"account": OWN_ACCOUNT, "amount": "-1", "reason": "x"}),
    ("POST", "/api/v1/accounts/hold", {"account": OWN_ACCOUNT, "amount": "2000000",
                                       "reason": "x"}),
    ("POST", "/api/v1/accounts/open-internal", {"name": "x", "gl_key": "income.fees"}),
    ("POST", "/api/v1/accounts/open-internal", {"name": "x", "gl_key": "cash",
                                                "currency": "XXX"}),
    ("POST", "/api/v1/accounts/open-internal", {"name": "x", "gl_key": "cash", "floor": "-1e3"}),
    ("POST", "/api/v1/users/create", {"username": "Bad Name", "role": "teller"}),
    ("POST", "/api/v1/users/create", {"username": "root", "role": "superuser"}),
    ("POST", "/api/v1/users/create", {"username": "m1", "role": "member"}),
    ("POST", "/api/v1/eod/run", {"until": "2025-01-01"}),
    ("POST", "/api/v1/eod/run", {"until": "tomorrow"}),
    ("POST", "/api/v1/approvals/approve", {"approval_id": 0}),
    ("GET", "/api/v1/accounts/statement?account=SAV-001&from_date=2026-02-01&to_date=2026-01-01",
     None),
    ("GET", "/api/v1/accounts/statement?account=SAV-001&from_date=0001-01-01&to_date=9999-12-31",
     None),
    ("GET", "/api/v1/accounts/balance?account=SAV-001&as_of=2026-02-30", None),
    ("GET", "/api/v1/accounts/list?after=-1", None),
    ("GET", "/api/v1/accounts/list?after=99999999999999999999999", None),
    ("GET", "/api/v1/accounts/list?limit=1&limit=2&limit=x", None),
    ("GET", "/api/v1/members/list?status=gone", None),
    ("GET", "/api/v1/reports/operating-results?from_date=2026-02-01&to_date=2026-01-01", None),
    ("GET", "/api/v1/reports/trial-balance?currency=ZZZ", None),
    ("GET", "/api/v1/reports/chart?type=%00", None),
    ("GET", "/api/v1/audit/list?unknown=1", None),
    ("GET", "/api/v1/entries/get?entry_id=%F0%9F%92%B0", None),
]


def test_no_server_error_for_bad_input(env: Env) -> None:
    """Malformed, out-of-range and hostile inputs are refused as problems; nothing moves."""
    accounts = (CASH, OWN_ACCOUNT, OTHER_ACCOUNT)
    before = env.snapshot()
    balances = [env.balance(a) for a in accounts]
    for method, path, body in BAD_INPUTS:
        response = env.client.request(method, path, json=body, headers=env.headers())
        assert response.status_code < 500, (path, body, response.text)
        if method == "POST":
            assert response.status_code >= 400, (path, body, response.text)
        if response.status_code >= 400:
            problem = assert_problem(response, response.status_code, response.json()["code"])
            assert re.fullmatch(r"[a-z-]+", problem["code"])
    assert [env.balance(a) for a in accounts] == balances
    after = env.snapshot()
    assert {k: v for k, v in after.items() if k != "audit_log"} == \
        {k: v for k, v in before.items() if k != "audit_log"}
    # Every refused mutation is on the record.
    assert after["audit_log"] - before["audit_log"] == sum(m == "POST" for m, _, _ in BAD_INPUTS)


def test_no_server_error_for_bad_headers(env: Env) -> None:
    cases = [
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer kop_"},
        {"Authorization": "Bearer " + "a" * 5000},
        {"Authorization": "Basic YWRtaW46YWRtaW4="},
        {"Authorization": env.headers()["Authorization"], "Idempotency-Key": ""},
        {"Authorization": env.headers()["Authorization"], "Idempotency-Key": "k" * 201},
        {"Authorization": env.headers()["Authorization"], "Content-Type": "text/plain"},
        {"Authorization": env.headers()["Authorization"], "Content-Type": "application/xml"},
    ]
    for headers in cases:
        response = env.client.post("/api/v1/members/update-contact", headers=headers,
                                   json={"member": OWN_MEMBER, "phone": "08"})
        assert 400 <= response.status_code < 500, (headers, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")


def test_success_payload_shape(env: Env) -> None:
    body = env.ok("entries.post", entry(CASH, OTHER_ACCOUNT, "150000"), user="manajer")
    assert body["postings"] == [
        {"account": CASH, "side": "debit", "amount": amount("150000")},
        {"account": OTHER_ACCOUNT, "side": "credit", "amount": amount("150000")},
    ]
    assert body["actor"] == "manajer"
    assert body["operation"] == "entries.post"
    assert body["business_date"] == "2026-01-05"
    # Timestamps are RFC 3339 with their offset (UTC), on every database.
    assert datetime.fromisoformat(body["created_at"]).utcoffset() == timedelta(0)
    trail = env.ok("audit.list", {"operation": "entries.post"})["items"]
    assert datetime.fromisoformat(trail[-1]["at"]).utcoffset() == timedelta(0)
    balance = env.ok("accounts.balance", {"account": OTHER_ACCOUNT})
    assert balance["balance"] == amount("650000")
    assert Decimal(balance["available"]["amount"]) == Decimal("650000")


# --- the offline docs page -------------------------------------------------------------------


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


def test_docs_page_works_offline(env: Env) -> None:
    assert env.client.get("/", follow_redirects=False).status_code in (301, 302, 307, 308)
    page = env.client.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "SwaggerUIBundle" in page.text
    # No CDN: not a single absolute URL anywhere on the page.
    assert re.findall(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", page.text, re.I) == []
    parser = _Links()
    parser.feed(page.text)
    assets = [u for u in parser.urls if u.startswith("/static/swagger-ui/")]
    assert set(parser.urls) == set(assets)
    names = {a.rsplit("/", 1)[1] for a in assets}
    assert {"swagger-ui-bundle.js", "swagger-ui.css", "swagger-ui-standalone-preset.js"} <= names
    for asset in assets:
        response = env.client.get(asset)
        assert response.status_code == 200, asset
        assert len(response.content) > 100
    bundle = env.client.get("/static/swagger-ui/swagger-ui-bundle.js")
    assert "javascript" in bundle.headers["content-type"]
    assert env.client.get("/health").text == "ok"
