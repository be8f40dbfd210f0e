"""Security properties not covered elsewhere: object references across every plugin's
operations, constant-time key checks, secrets kept out of logs, bounded input.

Related tests elsewhere: tests/test_authorisation.py (the role matrix, members' own money, keys
stored hashed, revoked keys), tests/test_api.py (413 for an oversized body), tests/test_cli.py
(the CLI's identified operator).
"""

from __future__ import annotations

import hmac
import importlib.util
import logging
from types import SimpleNamespace
from typing import Any

import attrs
import pytest
from sqlalchemy import select

from kopcore import _auth as auth
from kopcore import ledger
from kopcore._auth import Principal, role_permissions
from kopcore._db import tables as t
from kopcore._invocation import authorise
from kopcore._plugin_manager import PluginHost
from kopcore.errors import Forbidden, Unauthorized
from kopcore.interfaces._convert import DEFAULT_MAX_LENGTH, fields_of, unwrap_optional
from kopcore.kernel import Kernel
from kopcore.money import Money
from kopcore.settings import Settings
from kopcore.testing import Cooperative, KernelFactory
from tests import interfaces_support as support
from tests.interfaces_support import (
    OTHER_ACCOUNT,
    OTHER_MEMBER,
    OWN_ACCOUNT,
    OWN_MEMBER,
    USER,
    Env,
    assert_problem,
    run_console,
    write_settings,
)

env = support.env

# --- direct object references ---------------------------------------------------------------


def test_every_operation_naming_an_account_or_member_refuses_someone_elses(env: Env) -> None:
    """For every operation of every installed plugin whose input names accounts or members: a
    member naming their own passes the ownership check; naming another member's, or a number
    that does not exist, is refused the same way (nothing learnt about which exist)."""
    plugins = PluginHost.load(None)
    member_id = env.kernel.read("system", lambda ctx: ledger.get_member(ctx, OWN_MEMBER).id)
    me = Principal(USER["member"], "member", member_id, role_permissions(plugins, "member"))
    checked = []
    for claimed in sorted(plugins.operations.values(), key=lambda c: c.value.name):
        op = claimed.value
        fields = [*op.account_fields, *op.member_fields]
        if not fields:
            continue

        def data(account: str, member: str, fields: Any = op) -> Any:
            return SimpleNamespace(**{f: account for f in fields.account_fields},
                                   **{f: member for f in fields.member_fields})

        def attempt(request: Any, op: Any = op) -> str:
            try:
                env.kernel.read(me.username, lambda ctx: authorise(ctx, op, request, me))
            except Forbidden as exc:
                return exc.detail
            return "allowed"

        own = attempt(data(OWN_ACCOUNT, OWN_MEMBER))
        if op.permission not in me.permissions:
            assert own.startswith("role member may not"), op.name
            continue
        assert own == "allowed", op.name
        others = {attempt(data(OTHER_ACCOUNT, OTHER_MEMBER)),
                  attempt(data("NO-SUCH-ACCOUNT", "NO-SUCH-MEMBER"))}
        assert len(others) == 1, (op.name, others)
        assert others != {"allowed"}, op.name
        for name in op.account_fields:  # one field at a time: each one is checked
            mixed = data(OWN_ACCOUNT, OWN_MEMBER)
            setattr(mixed, name, OTHER_ACCOUNT)
            assert attempt(mixed) != "allowed", (op.name, name)
        checked.append(op.name)
    expected = {"accounts.get", "accounts.statement", "members.get"}
    if "loans.apply" in plugins.operations:  # with the loans plugin installed
        expected |= {"loans.apply", "loans.member-history"}
    assert expected <= set(checked)
    assert len(checked) >= len(expected) + 2  # beside those, at least the example plugin's


@pytest.mark.skipif(importlib.util.find_spec("kopcore_loans") is None,
                    reason="needs the loans plugin installed")
def test_lookups_by_loan_number_refuse_other_members(make_kernel: KernelFactory) -> None:
    """Self-service operations scoped by the handler (a loan number, not an account) refuse
    another member's loan: get, schedule, history and the settlement quote."""
    coop = Cooperative(make_kernel(plugins=("loans",)))
    kernel = coop.kernel
    kernel.write("system", lambda ctx: auth.create_user(ctx.conn, "manajer", "manager"))
    coop.call("loans.product-create", as_user="manajer", code="PMU",
              name="Pinjaman Modal Usaha", method="flat", frequency="monthly", annual_rate="18",
              min_amount="100000", max_amount="100000000", min_term=1, max_term=60,
              provisi_percent="1", admin_fee="0", accounting="cash")
    borrower, other = coop.member("Siti Aminah"), coop.member("Budi Santoso")
    loan = coop.call("loans.apply", as_user="teller", member=borrower, product="PMU",
                     amount="1200000", term=12)["number"]
    coop.call("loans.approve", as_user="manajer", loan=loan)
    coop.call("loans.disburse", as_user="teller", loan=loan, cash_account=coop.CASH)
    siti, budi = coop.member_user(borrower), coop.member_user(other)
    lookups = {"loans.get": {"loan": loan}, "loans.schedule": {"loan": loan},
               "loans.history": {"loan": loan}, "loans.settlement-quote": {"loan": loan}}
    for name, raw in lookups.items():
        assert coop.call(name, as_user=siti, **raw) is not None
        with pytest.raises(Forbidden) as theirs:
            coop.call(name, as_user=budi, **raw)
        # a number that does not exist is refused the same way: nothing to probe
        with pytest.raises(Forbidden) as missing:
            coop.call(name, as_user=budi, loan="PJ-NOPE-999")
        assert str(missing.value) == str(theirs.value)
    for name, raw in (("loans.list", {"member": borrower}),
                      ("loans.member-history", {"member": borrower}),
                      ("loans.repay", {"loan": loan, "amount": "1000",
                                       "cash_account": coop.CASH}),
                      ("entries.get", {"entry_id": 1}),
                      ("accounts.statement", {"account": loan, "from_date": "2026-01-01",
                                              "to_date": "2026-01-31"})):
        with pytest.raises(Forbidden):
            coop.call(name, as_user=budi, **raw)


# --- keys ----------------------------------------------------------------------------------


def test_keys_are_compared_in_constant_time_even_for_unknown_key_ids(
        kernel: Kernel, monkeypatch: pytest.MonkeyPatch) -> None:
    kernel.write("system", lambda ctx: auth.create_user(ctx.conn, "teller", "teller"))
    key_id, key = kernel.write("system", lambda ctx: auth.issue_key(ctx.conn, "teller"))
    compared: list[tuple[str, str]] = []
    real = hmac.compare_digest

    def spy(a: str, b: str) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)

    def login(presented: str) -> Principal:
        return kernel.read("system", lambda ctx: auth.authenticate(
            ctx.conn, kernel.plugins, presented))

    assert login(key).username == "teller"
    secret = key.split("_", 2)[2]
    stored = kernel.db.read(lambda conn: conn.execute(
        select(t.api_keys.c.secret_hash).where(t.api_keys.c.key_id == key_id)).scalar_one())
    assert secret not in stored
    assert len(stored) == 64
    wrong_secret = f"kop_{key_id}_{'A' * 43}"
    unknown_id = f"kop_000000000000_{secret}"
    messages = set()
    for presented in (wrong_secret, unknown_id):
        with pytest.raises(Unauthorized) as refused:
            login(presented)
        messages.add(refused.value.detail)
    assert len(messages) == 1  # the same answer whatever was wrong
    assert len(compared) == 3  # every attempt, even an unknown key id, compares a hash


# --- secrets never logged ------------------------------------------------------------------

PASSWORD = "Rahasia-DB-7fQ2"
INTEGRITY = "integrity-key-Zk3q9-0123456789abcdefghij"
PPOB_SECRET = "ppob-secret-Vx81"
API_SECRET_GUESS = "G" * 43


def test_secrets_never_reach_logs_messages_or_the_database(
        env: Env, tmp_path: Any, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("KOPCORE_PPOB_DIGIFLAZZ_API_KEY", PPOB_SECRET)
    monkeypatch.setenv("KOPCORE_PPOB_DIGIFLAZZ_WEBHOOK_SECRET", PPOB_SECRET)
    outputs: list[str] = []
    # Settings with a database password and an integrity key: repr and errors hide both.
    url = f"postgresql://kopcore:{PASSWORD}@127.0.0.1:1/kopcore"
    settings = Settings.from_mapping({"database_url": url, "integrity_key": INTEGRITY})
    outputs += [repr(settings), str(settings)]
    logging.getLogger("kopcore").info("settings: %r", settings)
    path = write_settings(tmp_path / "unreachable.toml", url, integrity_key=INTEGRITY)
    unreachable = run_console(path, "--operator", "admin", "members", "list")
    assert unreachable.exit_code == 2
    outputs += [unreachable.stdout, unreachable.stderr]
    # A key issued, used, and a wrong one presented.
    issued = env.ok("keys.issue", {"username": "teller", "label": "loket"})["api_key"]
    assert env.call("members.list", headers={"Authorization": f"Bearer {issued}"}) \
        .status_code == 200
    key_id = issued.split("_")[1]
    refused = env.call("members.list",
                       headers={"Authorization": f"Bearer kop_{key_id}_{API_SECRET_GUESS}"})
    outputs.append(assert_problem(refused, 401, "unauthorized")["detail"])
    outputs.append(env.cli("keys", "list", "--username", "teller").stdout)
    stored = [str(row) for table in (t.audit_log, t.idempotency_records, t.api_keys, t.users)
              for row in env.rows(select(table))]
    everything = "\n".join([*outputs, caplog.text, *stored])
    secret = issued.split("_", 2)[2]
    for value in (PASSWORD, INTEGRITY, PPOB_SECRET, secret, API_SECRET_GUESS):
        assert value not in everything, value
    assert "kopcore:***@127.0.0.1" in repr(settings)


# --- bounded input -------------------------------------------------------------------------


def test_every_string_input_of_every_operation_is_bounded() -> None:
    """The converter caps every string field (its ``max_length`` or the default of
    DEFAULT_MAX_LENGTH characters). Only bulk text (a provider's CSV statement, a provider
    callback's raw body) may be longer, and on the API the request body cap
    (``max_request_bytes``) bounds it as well."""
    plugins = PluginHost.load(None)
    seen: set[type] = set()
    lengths: list[int] = []
    bulk: set[str] = set()

    def walk(cls: type) -> None:
        if cls in seen:
            return
        seen.add(cls)
        for field in fields_of(cls):
            tp, _optional = unwrap_optional(field.type)
            if tp is str:
                lengths.append(field.metadata.get("max_length", DEFAULT_MAX_LENGTH))
                if lengths[-1] > 5000:
                    bulk.add(field.name)
            for arg in (tp, *getattr(tp, "__args__", ())):
                if isinstance(arg, type) and attrs.has(arg):
                    walk(arg)

    for claimed in plugins.operations.values():
        walk(claimed.value.input)
    assert len(lengths) > 40  # the kernel alone has more; each plugin adds its own
    assert all(isinstance(n, int) and n > 0 for n in lengths)
    # Bulk on purpose: a CSV document, a provider's callback body, a cut-over file's content.
    assert bulk <= {"csv", "body", "content"}


def test_overlong_strings_are_refused_with_422_and_nothing_is_written(env: Env) -> None:
    before = env.snapshot()
    for name, data in (
        ("members.register", {"name": "x" * 201, "nik": "5171011508909999"}),
        ("members.register", {"name": "Wayan", "nik": "5171011508909999",
                              "address": "x" * (DEFAULT_MAX_LENGTH + 1)}),
        ("entries.post", {"memo": "m" * 501, "lines": [
            {"account": "CASH-01", "side": "debit", "amount": "1"},
            {"account": "GL-equity.grants", "side": "credit", "amount": "1"}]}),
        ("accounts.get", {"account": "A" * 65}),
    ):
        problem = assert_problem(env.call(name, data), 422, "validation-error")
        assert "x" * 100 not in problem["detail"]
    after = env.snapshot()
    assert after == {**before, "audit_log": after["audit_log"]}
    assert env.balance("CASH-01") == Money.parse("11500000")
