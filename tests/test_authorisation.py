"""Who may do what: the full matrix of operations and roles, members' own money, and API keys."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from sqlalchemy import select, update

from kopcore import hookimpl, ledger
from kopcore._auth import Principal, declared_roles, role_permissions
from kopcore._db import tables as t
from kopcore._invocation import check_permission
from kopcore._plugin_manager import PluginHost
from kopcore.context import Context
from kopcore.errors import Forbidden, KopcoreError, PluginError, ValidationError
from kopcore.interfaces._convert import load
from kopcore.money import Money
from kopcore.operations import Operation
from kopcore.records import Access, RoleSpec
from kopcore.testing import Cooperative, KernelFactory
from tests import interfaces_support as support
from tests.authorisation_support import (
    AUDIT,
    DatabaseState,
    changed,
    generic_input,
    probes,
    with_subject,
)
from tests.interfaces_support import (
    CASH,
    OTHER_ACCOUNT,
    OTHER_MEMBER,
    OWN_ACCOUNT,
    OWN_MEMBER,
    PROBLEM_JSON,
    ROLES,
    USER,
    Env,
    assert_problem,
)

env = support.env
env_factory = support.env_factory

MATRIX_ACCOUNT = "MATRIX-01"

#: A valid input for each kernel operation that is harmless to run repeatedly: it either does
#: something small or is refused *after* authorisation (not found, conflict). Members name
#: their own account and membership, so only the permission decides.
MATRIX_INPUTS: dict[str, dict[str, Any]] = {
    "accounts.balance": {"account": OWN_ACCOUNT},
    "accounts.close": {"account": CASH},  # not at zero: conflict
    "accounts.freeze": {"account": MATRIX_ACCOUNT},
    "accounts.get": {"account": OWN_ACCOUNT},
    "accounts.hold": {"account": CASH, "amount": "1", "reason": "matrix"},
    "accounts.list": {"member": OWN_MEMBER},
    "accounts.open-internal": {"name": "Kas Matrix", "gl_key": "cash"},
    "accounts.release-hold": {"account": CASH, "hold_id": 999999},
    "accounts.statement": {"account": OWN_ACCOUNT, "from_date": "2026-01-01",
                           "to_date": "2026-01-31"},
    "accounts.unfreeze": {"account": MATRIX_ACCOUNT},
    "approvals.approve": {"approval_id": 999999},
    "approvals.list": {},
    "approvals.reject": {"approval_id": 999999},
    "audit.list": {},
    "entries.get": {"entry_id": 1},
    "entries.post": {"memo": "matrix", "lines": [
        {"account": CASH, "side": "debit", "amount": "1"},
        {"account": "GL-equity.grants", "side": "credit", "amount": "1"}]},
    "entries.reverse": {"entry_id": 999999},
    "eod.run": {},
    "keys.issue": {"username": "nobody"},
    "keys.list": {"username": "admin"},
    "keys.revoke": {"key_id": "nokey"},
    "keys.rotate": {"key_id": "nokey"},
    "members.activate": {"member": OWN_MEMBER},  # already active: refused after the check
    "members.exit": {"member": "NOPE", "reason": "resigned", "payout_account": CASH},
    "members.get": {"member": OWN_MEMBER},
    "members.list": {},
    "members.register": {"name": "Matrix", "nik": "5171011508907777"},
    "members.update-contact": {"member": OWN_MEMBER, "phone": "081234567890"},
    "reports.chart": {},
    "reports.financial-position": {},
    "reports.operating-results": {"from_date": "2026-01-01", "to_date": "2026-01-31"},
    "reports.trial-balance": {},
    "system.business-date": {},
    "system.plugins": {},
    "users.create": {"username": "matrix-user", "role": "teller"},
    "users.deactivate": {"username": "nobody"},
    "users.list": {},
    "books.seal": {},
    "books.verify": {},
    "charts.trends": {"months": 1},
    "health.assess": {},
    "health.questionnaire-set": {"question": "rat-held", "answer": "yes"},
    "health.questionnaire-show": {},
    "periods.close": {"year": 2026, "month": 1},  # not over yet: refused after the check
    "periods.list": {},
    "periods.verify": {"kind": "month", "year": 2026, "month": 1},
    "shu.approve": {"draft_id": 999999},
    "shu.draft": {"year": 2026},
    "shu.member-statement": {"year": 2026, "member": OWN_MEMBER},
    "shu.post": {"draft_id": 999999},
    "shu.show": {"year": 2026},
    "statements.rat": {"year": 2026},
    "years.close": {"year": 2026},
}

#: Hand-written expectations for the sensitive operations (independent of the declarations).
SENSITIVE: dict[str, set[str]] = {
    "users.create": {"admin"},
    "users.deactivate": {"admin"},
    "keys.issue": {"admin"},
    "keys.rotate": {"admin"},
    "keys.revoke": {"admin"},
    "entries.post": {"admin", "manager"},
    "entries.reverse": {"admin", "manager"},
    "eod.run": {"admin", "manager"},
    "approvals.approve": {"admin", "manager"},
    "approvals.reject": {"admin", "manager"},
    "audit.list": {"admin", "manager", "auditor"},
    "members.list": {"admin", "manager", "teller"},
    "members.exit": {"admin", "manager"},
    "accounts.freeze": {"admin", "manager", "teller"},
    "accounts.close": {"admin", "manager", "teller"},
    "accounts.get": {"admin", "manager", "teller", "auditor", "member"},
    "reports.trial-balance": {"admin", "manager", "auditor"},
}


def declared_allowed(plugins: Any, op: Operation, role: str) -> bool:
    """What the plugins' permission declarations say (admin holds every permission); a member
    may only call operations about their own accounts or membership, or self-service ones."""
    if role == "admin":
        return True
    if role not in plugins.permissions[op.permission].value.roles:
        return False
    if role == "member":
        return op.self_service or bool(op.account_fields or op.member_fields)
    return True


def test_declarations_agree_with_the_hand_written_table() -> None:
    plugins = PluginHost.load(())
    for name, roles in SENSITIVE.items():
        op = plugins.operations[name].value
        assert {r for r in ROLES if declared_allowed(plugins, op, r)} == roles, name


def test_every_operation_of_every_installed_plugin_by_role() -> None:
    """The permission check itself, for every operation known to the registry (including
    plugins' operations this file knows nothing about)."""
    plugins = PluginHost.load(None)
    for claimed in plugins.operations.values():
        op = claimed.value
        for role in ROLES:
            principal = Principal(USER[role], role, 7 if role == "member" else None,
                                  role_permissions(plugins, role))
            subject = bool(op.account_fields or op.member_fields)
            if role == "member" and subject:
                continue  # depends on whose account it is: covered over HTTP below
            try:
                check_permission(op, principal)
                allowed = True
            except Forbidden:
                allowed = False
            assert allowed == declared_allowed(plugins, op, role), (op.name, role)


def matrix_input(op: Operation) -> dict[str, Any]:
    """The hand-written input, or a generic one; a member's own account and membership."""
    if op.name in MATRIX_INPUTS:
        return with_subject(op, MATRIX_INPUTS[op.name], account=OWN_ACCOUNT, member=OWN_MEMBER)
    return generic_input(op, account=OWN_ACCOUNT, member=OWN_MEMBER, cash=CASH,
                         other_member=OTHER_MEMBER)


def assert_loads(op: Operation, data: dict[str, Any]) -> None:
    """The input passes the loading step, so the permission check decides the answer."""
    raw = data if op.mutates else support.query_params(data)
    try:
        load(op.input, raw, from_text=not op.mutates)
    except KopcoreError as exc:
        raise AssertionError(f"{op.name}: add a MATRIX_INPUTS entry, {data} does not load: "
                             f"{exc.detail}") from None


def assert_refused_unchanged(state: DatabaseState, op: Operation, before: dict[str, Any],
                             response: Any, where: Any) -> dict[str, Any]:
    """403 problem+json and nothing changed but the audit row of a refused mutation."""
    assert response.status_code == 403, where
    assert_problem(response, 403, "forbidden")
    after = state()
    assert after[AUDIT] == before[AUDIT] + op.mutates, where
    assert changed(before, after) in ([], [AUDIT]), (where, changed(before, after))
    return after


def assert_signed_callback_refuses_forgeries(env: Env, state: DatabaseState, op: Operation
                                             ) -> int:
    """A signed callback's route is public: for every role's key and for none, an unsigned or
    forged body is refused with a typed 4xx and moves nothing (only the refusal is recorded,
    in the audit log and the plugin's own log of deliveries, the table ``<plugin>_callbacks``)."""
    forged = '{"data": {"ref_id": "MATRIX-1", "status": "Sukses", "sn": "1"}}'
    header = str(op.signature_header)
    tried = 0
    for user in [*(USER[role] for role in ROLES), None]:
        for signature in (None, "sha1=" + "0" * 40):
            sent = {} if user is None else env.headers(user)
            if signature is not None:
                sent[header] = signature
            before = state()
            response = env.client.post(op.path, content=forged, headers=sent)
            where = (op.name, user, signature, response.status_code, response.text[:300])
            assert 400 <= response.status_code < 500, where
            assert response.status_code not in (404, 405), where
            assert response.headers["content-type"].startswith(PROBLEM_JSON), where
            after = state()
            assert after[AUDIT] == before[AUDIT] + 1, where
            moved = [name for name in changed(before, after)
                     if name != AUDIT and name != f"{op.plugin}_callbacks"]
            assert moved == [], (where, moved)
        tried += user is not None
    return tried


def test_the_full_matrix_over_http(env_factory: Any) -> None:
    """Every operation of every installed plugin, by every role, through the web API."""
    env = env_factory(plugins=None)
    env.kernel.write("system", lambda ctx: ledger.open_account(
        ctx, name="Matrix", gl_key="cash", plugin="kopcore", number=MATRIX_ACCOUNT,
        floor=Money(0)))
    plugins = env.kernel.plugins
    state = DatabaseState(env.kernel)
    # The state before the next call; None once an allowed mutation may have changed it (read
    # again only when a refusal needs it: one snapshot per refusal keeps this fast).
    before: dict[str, Any] | None = None
    tried = probed = 0
    for name in sorted(plugins.operations):
        op = plugins.operations[name].value
        if op.signature_header is not None:
            tried += assert_signed_callback_refuses_forgeries(env, state, op)
            before = None
            continue
        data = matrix_input(op)
        assert_loads(op, data)
        for role in ROLES:
            allowed = declared_allowed(plugins, op, role)
            if not allowed and before is None:
                before = state()
            response = env.call(name, data, user=USER[role])
            where = (name, role, data, response.status_code, response.text[:300])
            assert response.status_code < 500, where
            if allowed and role == "member" and op.self_service \
                    and response.status_code == 403:
                # A self-service operation scoped by its handler (a loan number) refuses a
                # number that is not the member's own, existing or not; the role itself passed.
                assert "may not" not in response.json()["detail"], where
            elif allowed:
                assert response.status_code not in (401, 403), where
                if name in MATRIX_INPUTS:
                    assert response.status_code != 422 or response.json()["code"] not in (
                        "validation-error", "invalid-amount") or name == "members.register", \
                        where
                if op.mutates:
                    before = None
            else:
                assert before is not None
                before = assert_refused_unchanged(state, op, before, response, where)
            if name in SENSITIVE:
                assert (response.status_code != 403) == (role in SENSITIVE[name]), where
            tried += 1
        # A member naming someone else's account or membership: refused, nothing changes.
        for probe in probes(op, data, other_account=OTHER_ACCOUNT, other_member=OTHER_MEMBER):
            assert_loads(op, probe)
            if before is None:
                before = state()
            response = env.call(name, probe, user=USER["member"])
            where = (name, "member", probe, response.status_code, response.text[:300])
            before = assert_refused_unchanged(state, op, before, response, where)
            probed += 1
    assert tried == 5 * len(plugins.operations)
    assert tried >= 5 * 35
    assert probed == sum(len(c.value.account_fields) + len(c.value.member_fields)
                         for c in plugins.operations.values()) > 0


def test_the_cli_applies_the_same_roles(env: Env) -> None:
    cases = [("users", "create", "--username", "x9", "--role", "teller")]
    for role in ("manager", "teller", "auditor", "member"):
        result = env.cli(*cases[0], operator=USER[role])
        assert (result.exit_code, result.error_code) == (1, "forbidden"), (role, result.stderr)
    lines = '[{"account": "CASH-01", "side": "debit", "amount": "5"}, ' \
            '{"account": "GL-equity.grants", "side": "credit", "amount": "5"}]'
    for role, allowed in (("teller", False), ("auditor", False), ("member", False),
                          ("manager", True)):
        result = env.cli("entries", "post", "--memo", "cli", "--lines", lines,
                         operator=USER[role])
        assert (result.exit_code == 0) == allowed, (role, result.stderr)
    listing = env.cli("members", "list", operator=USER["member"])
    assert (listing.exit_code, listing.error_code) == (1, "forbidden")
    audit = env.cli("audit", "list", "--json", operator=USER["auditor"])
    assert audit.exit_code == 0


# --- a member sees and moves only their own money ---------------------------------------------


def test_a_member_reads_only_their_own(env: Env) -> None:
    me = USER["member"]
    assert env.ok("accounts.get", {"account": OWN_ACCOUNT}, user=me)["member_number"] == \
        OWN_MEMBER
    assert env.ok("accounts.balance", {"account": OWN_ACCOUNT}, user=me)["balance"]["amount"] \
        == "1000000.00"
    statement = env.ok("accounts.statement", {"account": OWN_ACCOUNT, "from_date": "2026-01-05",
                                              "to_date": "2026-01-05"}, user=me)
    assert statement["closing_balance"]["amount"] == "1000000.00"
    assert env.ok("members.get", {"member": OWN_MEMBER}, user=me)["name"] == "Made Wirawan"
    mine = env.ok("accounts.list", {"member": OWN_MEMBER}, user=me)["items"]
    assert [a["number"] for a in mine] == [OWN_ACCOUNT]
    # Someone else's: refused, and nothing about it leaks into the problem.
    for name, data in (
        ("accounts.get", {"account": OTHER_ACCOUNT}),
        ("accounts.balance", {"account": OTHER_ACCOUNT}),
        ("accounts.balance", {"account": OTHER_ACCOUNT, "as_of": "2026-01-05"}),
        ("accounts.statement", {"account": OTHER_ACCOUNT, "from_date": "2026-01-05",
                                "to_date": "2026-01-05"}),
        ("accounts.get", {"account": CASH}),
        ("members.get", {"member": OTHER_MEMBER}),
        ("accounts.list", {"member": OTHER_MEMBER}),
        ("accounts.list", {}),
        ("members.list", {}),
        ("entries.get", {"entry_id": 1}),
        ("reports.trial-balance", {}),
    ):
        problem = assert_problem(env.call(name, data, user=me), 403, "forbidden")
        assert "500000" not in problem["detail"]
        assert "Komang" not in problem["detail"]


def test_a_member_cannot_move_money_even_from_their_own_account(env: Env) -> None:
    me = USER["member"]
    before = env.snapshot()
    for name, data in (
        ("entries.post", {"memo": "ambil", "lines": [
            {"account": OWN_ACCOUNT, "side": "debit", "amount": "100"},
            {"account": OTHER_ACCOUNT, "side": "credit", "amount": "100"}]}),
        ("entries.post", {"memo": "ambil", "lines": [
            {"account": OTHER_ACCOUNT, "side": "debit", "amount": "100"},
            {"account": OWN_ACCOUNT, "side": "credit", "amount": "100"}]}),
        ("accounts.hold", {"account": OTHER_ACCOUNT, "amount": "1", "reason": "x"}),
        ("accounts.freeze", {"account": OTHER_ACCOUNT}),
        ("accounts.close", {"account": OWN_ACCOUNT}),
        ("members.update-contact", {"member": OTHER_MEMBER, "phone": "081234567890"}),
        ("members.exit", {"member": OTHER_MEMBER, "reason": "x", "payout_account": CASH}),
        ("users.create", {"username": "evil", "role": "admin"}),
        ("keys.issue", {"username": "admin"}),
    ):
        assert_problem(env.call(name, data, user=me), 403, "forbidden")
    after = env.snapshot()
    assert after["audit_log"] == before["audit_log"] + 9
    after["audit_log"] = before["audit_log"]
    assert after == before
    assert env.balance(OTHER_ACCOUNT).to_str() == "500000.00"


# --- the permission before the input -----------------------------------------------------------

#: Inputs that do not load, sent by a user whose role lacks the permission: (operation, input,
#: user, the refusal). The permission is checked first, so none of the field rules show.
REFUSED_BEFORE_LOADING: list[tuple[str, dict[str, Any], str, str]] = [
    ("users.create", {"username": "Bukan Nama!", "role": "raja", "gelar": "x"}, "teller",
     "role teller may not users.create (needs users.manage)"),
    ("users.create", {}, "auditor", "role auditor may not users.create (needs users.manage)"),
    ("entries.post", {"memo": "x", "lines": "bukan daftar"}, "teller",
     "role teller may not entries.post (needs ledger.post)"),
    ("audit.list", {"limit": "0"}, "teller", "role teller may not audit.list (needs audit.read)"),
    ("members.list", {"limit": "banyak"}, "anggota",
     "role member may not members.list (needs members.manage)"),
]


def test_a_call_without_the_permission_is_refused_before_its_input_is_read(env: Env) -> None:
    for name, data, user, refusal in REFUSED_BEFORE_LOADING:
        audited = env.count(t.audit_log)
        problem = assert_problem(env.call(name, data, user=user), 403, "forbidden")
        assert (problem["detail"], "field" in problem) == (refusal, False), name
        # A refused mutation is still on the record.
        assert env.count(t.audit_log) == audited + env.op(name).mutates
    # Whoever holds the permission is told what is wrong with the input.
    for name, data, _, _ in REFUSED_BEFORE_LOADING:
        problem = assert_problem(env.call(name, data), 422, "validation-error")
        assert problem["field"] in (*data, "username"), (name, problem)


def test_the_cli_refuses_a_call_without_the_permission_before_reading_its_options(env: Env
                                                                                  ) -> None:
    for args, operator in (
        (("users", "create", "--username", "Bukan Nama!", "--role", "raja"), "teller"),
        (("entries", "post", "--memo", "x", "--lines", "bukan json"), "auditor"),
        (("audit", "list", "--limit", "0"), "teller"),
    ):
        refused = env.cli(*args, operator=operator)
        assert (refused.exit_code, refused.error_code) == (1, "forbidden"), refused.stderr
        assert "must" not in refused.stderr, refused.stderr
        invalid = env.cli(*args, operator="admin")
        assert (invalid.exit_code, invalid.error_code) == (1, "validation-error"), args


# --- roles and record checks declared by plugins ------------------------------------------------

COLLECTOR = "celengan.collector"


@pytest.fixture
def collectors(make_kernel: KernelFactory) -> tuple[Cooperative, str]:
    """A cooperative with celengan where the user ``kader`` (its member number returned too)
    collects deposits for the neighbours."""
    coop = Cooperative(make_kernel(plugins=("celengan",)))
    kader = coop.member("Wayan Kader")
    coop.call("users.create", username="kader", role=COLLECTOR, member=kader)
    return coop, kader


def test_hook_roles_declares_a_role_users_are_given_with_its_permissions(
        collectors: tuple[Cooperative, str]) -> None:
    coop, _ = collectors
    plugins = coop.kernel.plugins
    assert set(declared_roles(plugins)) == {"admin", "manager", "teller", "auditor", "member",
                                            COLLECTOR}
    assert (plugins.roles[COLLECTOR].plugin, plugins.roles["teller"].plugin) == \
        ("celengan", "kopcore.users")
    kader = coop.principal("kader")
    assert (kader.role, kader.member_scoped) == (COLLECTOR, True)
    assert kader.permissions == {"celengan.read", "celengan.manage"}
    # A member-scoped role's user is linked to a member; an undeclared role is no role.
    coop.refused(ValidationError, "users.create", username="kader2", role=COLLECTOR)
    coop.refused(ValidationError, "users.create", username="pak-rt", role="ketua-rt")
    assert COLLECTOR not in PluginHost.load(()).roles


def test_a_role_claimed_twice_misnamed_or_holding_an_unknown_permission_stops_start_up() -> None:
    for role, message in (
        (lambda: RoleSpec("manager", "Another manager"),
         "plugin 'arisan': role 'manager' is outside its namespace"),
        (lambda: RoleSpec("arisan.leader", "Group leader", permissions=("arisan.lead",)),
         "plugin 'arisan': role 'arisan.leader' holds unknown permission(s) arisan.lead"),
        (lambda: RoleSpec("Ketua Arisan", "Group leader"),
         "plugin 'arisan' failed in kopcore_roles: ValueError: role name 'Ketua Arisan'"),
    ):
        class Declares:
            @hookimpl
            def kopcore_roles(self, role: Any = role) -> list[RoleSpec]:
                return [role()]

        with pytest.raises(PluginError) as refused:
            PluginHost.load((), extra=[("arisan", Declares())])
        assert message in str(refused.value)


def test_hook_check_access_lets_a_collector_serve_the_neighbours_celengan_but_not_their_own(
        collectors: tuple[Cooperative, str]) -> None:
    coop, kader = collectors
    saver = coop.member("Ni Luh Ayu")
    coop.call("users.create", username="ayu", role="member", member=saver)
    own = coop.call("celengan.open", member=kader, target="500000")["account"]
    theirs = coop.call("celengan.open", member=saver, target="500000")["account"]
    cash = {"amount": "25000", "cash_account": coop.CASH}
    # Celengan allows what the kernel's rule alone refuses a member-scoped user: another's.
    assert coop.call("celengan.deposit", as_user="kader", account=theirs, **cash)["balance"] \
        == "25000.00"
    assert coop.call("celengan.balance", as_user="kader", account=theirs)["balance"] == \
        "25000.00"
    # Celengan refuses; nothing moves.
    deposits_only = "a collector only takes celengan deposits and shows balances"
    for operation, raw, reason in (
        ("celengan.deposit", {"account": own, **cash},
         "a collector's own deposits go through a teller"),
        ("celengan.withdraw", {"account": theirs, **cash}, deposits_only),
        ("celengan.open", {"member": saver, "target": "100000"}, deposits_only),
        ("celengan.deposit", {"account": coop.CASH, **cash},
         "a collector serves celengan accounts only"),
        ("celengan.deposit", {"account": "TIDAK-ADA", **cash},
         "a collector serves celengan accounts only"),
    ):
        assert coop.refused(Forbidden, operation, as_user="kader", **raw).detail == reason
    # Where celengan says nothing, the kernel's rule decides: the collector's own celengan, and
    # a plain member, who still sees only their own.
    assert coop.call("celengan.balance", as_user="kader", account=own)["balance"] == "0.00"
    assert coop.call("celengan.balance", as_user="ayu", account=theirs)["balance"] == "25000.00"
    assert coop.refused(Forbidden, "celengan.balance", as_user="ayu", account=own).detail == \
        "members may only use their own accounts"


class HiddenMember:
    """A plugin that refuses any look at member AG-002 and would let anyone read any account."""

    @hookimpl
    def kopcore_check_access(self, ctx: Context, operation: Operation, data: Any
                             ) -> Access | None:
        if operation.name == "members.get" and data.member == OTHER_MEMBER:
            return Access.refuse("member AG-002 is hidden")
        if operation.name == "accounts.get":
            return Access.allow("every account is public")
        return None


def test_a_refusal_counts_from_any_plugin_an_allowance_only_from_the_operations_own(
        env_factory: Any) -> None:
    env = env_factory(extra_plugins=[("hidden", HiddenMember())])
    for user in ("admin", USER["member"]):
        problem = assert_problem(env.call("members.get", {"member": OTHER_MEMBER}, user=user),
                                 403, "forbidden")
        assert problem["detail"] == "member AG-002 is hidden"
    assert env.ok("members.get", {"member": OWN_MEMBER}, user=USER["member"])["name"] == \
        "Made Wirawan"
    # accounts.get is the kernel's: another plugin's allowance does not widen it.
    assert_problem(env.call("accounts.get", {"account": OTHER_ACCOUNT}, user=USER["member"]),
                   403, "forbidden")
    assert env.ok("accounts.get", {"account": OWN_ACCOUNT}, user=USER["member"])


# --- API keys --------------------------------------------------------------------------------


def test_keys_are_stored_hashed(env: Env) -> None:
    issued = env.ok("keys.issue", {"username": "teller", "label": "loket"})
    key = issued["api_key"]
    secret = key.split("_", 2)[2]
    rows = env.rows(select(t.api_keys))
    assert len(rows) == len(env.keys) + 1
    for row in rows:
        for value in row._mapping.values():
            assert secret not in str(value)
            assert key not in str(value)
    mine = next(r for r in rows if r.key_id == issued["key_id"])
    assert mine.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    # Listing shows ids and labels, never secrets.
    listed = env.ok("keys.list", {"username": "teller"})
    assert secret not in str(listed)
    assert {k["key_id"] for k in listed["keys"]} == {r.key_id for r in rows
                                                     if r.user_id == mine.user_id}
    # And the new key works.
    headers = {"Authorization": f"Bearer {key}"}
    assert env.client.get("/api/v1/members/list", headers=headers).status_code == 200


def test_revoked_and_rotated_keys_are_refused(env: Env) -> None:
    issued = env.ok("keys.issue", {"username": "teller"})
    headers = {"Authorization": f"Bearer {issued['api_key']}"}
    assert env.client.get("/api/v1/members/list", headers=headers).status_code == 200
    env.ok("keys.revoke", {"key_id": issued["key_id"]})
    assert_problem(env.client.get("/api/v1/members/list", headers=headers), 401,
                   "unauthorized")
    # Rotation: the old key stops working at once, the new one works.
    old = env.keys["teller"]
    rotated = env.ok("keys.rotate", {"key_id": old.split("_")[1]})
    assert_problem(env.call("members.list", user="teller"), 401, "unauthorized")
    new = {"Authorization": f"Bearer {rotated['api_key']}"}
    assert env.client.get("/api/v1/members/list", headers=new).status_code == 200
    assert rotated["api_key"] != old


def test_deactivated_user_is_refused(env: Env) -> None:
    env.ok("users.deactivate", {"username": "teller"})
    assert_problem(env.call("members.list", user="teller"), 401, "unauthorized")
    # Even if a key were somehow left active, an inactive user does not authenticate.
    env.kernel.db.write(lambda conn: conn.execute(
        update(t.api_keys).values(revoked_at=None)))
    assert_problem(env.call("members.list", user="teller"), 401, "unauthorized")
    # Deactivating yourself is refused (an admin could lock everyone out).
    assert_problem(env.call("users.deactivate", {"username": "admin"}), 409, "conflict")
    # A deactivated user gets no new key.
    assert_problem(env.call("keys.issue", {"username": "teller"}), 409, "conflict")


MALFORMED = [
    None,
    "",
    "Bearer",
    "Bearer ",
    "Basic YWRtaW46YWRtaW4=",
    "Token kop_abcdefabcdef_" + "a" * 43,
    "Bearer kop_abcdefabcdef_" + "a" * 43,
    "Bearer kop_" + "a" * 12,
    "Bearer not-a-key",
    "Bearer kop_ABCDEFABCDEF_" + "a" * 43,
    "Bearer " + "kop_abcdefabcdef_" + "a" * 5000,
    "Bearer kop_abcdefabcdef_" + "\u00e9" * 43,
    "bearer " + "kop_abcdefabcdef_" + "a" * 42 + "\t",
]


def test_malformed_or_unknown_bearer_is_401(env: Env) -> None:
    before = env.snapshot()
    for header in MALFORMED:
        headers = {} if header is None else {"Authorization": header.encode()}
        for response in (env.client.get("/api/v1/system/business-date", headers=headers),
                         env.client.post("/api/v1/members/register", headers=headers,
                                         json={"name": "X", "nik": "5171011508906666"})):
            assert_problem(response, 401, "unauthorized")
    # Nothing was written, not even an audit row: nobody was identified.
    assert env.snapshot() == before


def test_a_wrong_secret_for_a_real_key_id_is_401_with_the_same_message(env: Env) -> None:
    key_id = env.keys["admin"].split("_")[1]
    forged = f"kop_{key_id}_" + "A" * 43
    wrong = env.client.get("/api/v1/users/list", headers={"Authorization": f"Bearer {forged}"})
    unknown = env.client.get("/api/v1/users/list",
                             headers={"Authorization": "Bearer kop_000000000000_" + "A" * 43})
    assert assert_problem(wrong, 401, "unauthorized")["detail"] == \
        assert_problem(unknown, 401, "unauthorized")["detail"]
    # The admin's real key still works (a failed attempt does not lock it).
    assert env.call("users.list").status_code == 200


def test_members_cannot_probe_which_account_numbers_exist(env: Env) -> None:
    """Someone else's account and an account that does not exist get the same answer."""
    for number in (OTHER_ACCOUNT, "NO-SUCH-ACCOUNT"):
        response = env.call("accounts.get", {"account": number}, user=USER["member"])
        assert_problem(response, 403, "forbidden")
    for member in (OTHER_MEMBER, "NO-SUCH-MEMBER"):
        response = env.call("members.get", {"member": member}, user=USER["member"])
        assert_problem(response, 403, "forbidden")
