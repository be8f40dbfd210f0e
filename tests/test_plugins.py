"""Plugins: discovery, every hook end to end through the example plugin, and failing closed.

``kopcore-celengan`` (tests/example_plugin) is a real distribution installed into the test
environment (``pip install -e tests/example_plugin``) and found through its entry point, exactly
as a cooperative's third-party plugin would be. Test functions named ``test_hook_<hook>_...``
are what tests/test_hook_contract.py counts as the test of each hook.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import attrs
import pytest
from sqlalchemy import func, inspect, select

import kopcore
from kopcore import eod, ledger
from kopcore._db import tables as t
from kopcore._db.migrate import current_heads, upgrade
from kopcore._plugin_manager import LoadedPlugin
from kopcore.context import Context
from kopcore.errors import (
    Conflict,
    ExitRefused,
    PluginError,
    PostingVetoed,
)
from kopcore.kernel import Kernel
from kopcore.ledger import Member, MemberStatus
from kopcore.money import Money
from kopcore.operations import Operation
from kopcore.records import (
    ExitContribution,
    GLAccountSpec,
    GLType,
    PermissionSpec,
    ProductType,
)
from kopcore.settings import ChartOverride
from kopcore.testing import START_DATE, KernelFactory
from tests.builders import active_member, capitalise, cash_account, rp, transfer

if importlib.util.find_spec("kopcore_celengan") is None:  # pragma: no cover - set-up problem
    pytest.fail("the example plugin is not installed: pip install -e tests/example_plugin",
                pytrace=False)

import kopcore_celengan
from kopcore_celengan import goals
from kopcore_celengan.operations import (
    BalanceInput,
    MoveInput,
    MoveOutput,
    OpenCelenganInput,
    balance,
    deposit,
    open_celengan,
    withdraw,
)

CELENGAN = ("celengan",)
CASH = "CASH-01"
BONUS_GL = ledger.gl_account_number("celengan.bonus")


# --- helpers ------------------------------------------------------------------------------------


@pytest.fixture
def celengan_kernel(make_kernel: KernelFactory) -> Kernel:
    """A kernel with the celengan plugin enabled and a funded teller cash drawer."""
    kernel = make_kernel(plugins=CELENGAN)
    kernel.write("teller", lambda ctx: capitalise(ctx, cash_account(ctx).number,
                                                  rp("10000000")))
    return kernel


def new_celengan(kernel: Kernel, target: str, *, name: str = "Ni Luh Ayu",
                 deposit_amount: str | None = None) -> tuple[Member, str]:
    """An active member with a celengan of goal ``target`` (and a first deposit)."""

    def work(ctx: Context) -> tuple[Member, str]:
        member = active_member(ctx, name=name)
        opened = open_celengan(ctx, OpenCelenganInput(member.member_number, Decimal(target),
                                                      "Lebaran"))
        if deposit_amount is not None:
            deposit(ctx, MoveInput(opened.account, Decimal(deposit_amount), CASH))
        return member, opened.account

    return kernel.write("teller", work)


def put_in(kernel: Kernel, account: str, amount: str) -> MoveOutput:
    return kernel.write("teller", lambda ctx: deposit(ctx, MoveInput(account, Decimal(amount),
                                                                     CASH)))


def take_out(kernel: Kernel, account: str, amount: str) -> MoveOutput:
    return kernel.write("teller", lambda ctx: withdraw(ctx, MoveInput(account, Decimal(amount),
                                                                      CASH)))


def balance_of(kernel: Kernel, number: str) -> Money:
    return kernel.read("auditor", lambda ctx: ledger.get_account(ctx, number).balance)


def goal_of(kernel: Kernel, number: str) -> Any:
    return kernel.read("auditor", lambda ctx: goals.get_celengan(ctx, number)[1])


def entry_count(kernel: Kernel) -> int:
    return kernel.read("auditor", lambda ctx: int(ctx.conn.execute(
        select(func.count()).select_from(t.journal_entries)).scalar_one()))


def books_consistent(kernel: Kernel) -> bool:
    return kernel.read("auditor", ledger.ledger_invariants) == []


# --- discovery ----------------------------------------------------------------------------------


def test_celengan_is_discovered_through_its_entry_point(make_kernel: KernelFactory) -> None:
    [ep] = [ep for ep in entry_points(group="kopcore") if ep.name == "celengan"]
    assert ep.value == "kopcore_celengan"
    assert ep.dist is not None
    assert ep.dist.name == "kopcore-celengan"

    kernel = make_kernel(plugins=CELENGAN)

    assert LoadedPlugin("celengan", ep.dist.version, False, "kopcore_celengan") in \
        kernel.plugins.loaded
    assert kernel.plugins.pm.get_plugin("celengan") is kopcore_celengan


def test_enabling_a_subset_leaves_other_installed_plugins_out(
    make_kernel: KernelFactory, broken_distribution: str
) -> None:
    """A broken plugin that is installed but not enabled is never imported."""
    kernel = make_kernel(plugins=CELENGAN)

    assert [p.name for p in kernel.plugins.loaded if not p.builtin] == ["celengan"]
    assert "celengan" in kernel.plugins.gl_accounts


def test_enabling_no_plugin_leaves_celengan_out_tables_and_all(
    make_kernel: KernelFactory,
) -> None:
    kernel = make_kernel(plugins=())

    assert [p.name for p in kernel.plugins.loaded if not p.builtin] == []
    assert "celengan" not in kernel.plugins.gl_accounts
    assert not inspect(kernel.db.engine).has_table("celengan_goals")


def test_a_plugin_enabled_in_settings_but_not_installed_is_refused(
    make_kernel: KernelFactory,
) -> None:
    with pytest.raises(PluginError, match=r"not installed: tabungan-emas \(installed: .*celengan"):
        make_kernel(plugins=("celengan", "tabungan-emas"))


# --- a plugin that cannot be imported --------------------------------------------------------


@pytest.fixture
def broken_distribution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Install (on sys.path, for this test) a distribution whose plugin module raises on import."""
    site = tmp_path / "site-packages"
    info = site / "kopcore_broken_example-1.2.3.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: kopcore-broken-example\nVersion: 1.2.3\n")
    (info / "entry_points.txt").write_text("[kopcore]\nbroken = kopcore_broken_example\n")
    (site / "kopcore_broken_example.py").write_text(
        'raise RuntimeError("licence server unreachable")\n')
    monkeypatch.syspath_prepend(str(site))
    return "broken"


def test_a_plugin_that_fails_to_import_stops_start_up_naming_plugin_version_and_error(
    make_kernel: KernelFactory, broken_distribution: str,
) -> None:
    with pytest.raises(PluginError) as refused:
        make_kernel(plugins=(broken_distribution,))

    message = str(refused.value)
    assert "'broken'" in message
    assert "kopcore-broken-example 1.2.3" in message
    assert "RuntimeError: licence server unreachable" in message


def test_with_no_plugins_setting_every_installed_plugin_loads_so_a_broken_one_stops_start_up(
    make_kernel: KernelFactory, broken_distribution: str,
) -> None:
    with pytest.raises(PluginError, match=r"'broken'.*licence server unreachable"):
        make_kernel(plugins=None)


# --- refusing plugins that collide or do not fit -----------------------------------------------


class Copycat:
    """A test plugin that claims one thing celengan (or the kernel) already claims."""

    def __init__(self, *, gl: Sequence[GLAccountSpec] = (), products: Sequence[ProductType] = (),
                 operations: Sequence[Operation] = (),
                 permissions: Sequence[PermissionSpec] = ()) -> None:
        self.gl, self.products = gl, products
        self.operations, self.permissions = operations, permissions

    @kopcore.hookimpl
    def kopcore_gl_accounts(self) -> Sequence[GLAccountSpec]:
        return self.gl

    @kopcore.hookimpl
    def kopcore_product_types(self) -> Sequence[ProductType]:
        return self.products

    @kopcore.hookimpl
    def kopcore_operations(self) -> Sequence[Operation]:
        return self.operations

    @kopcore.hookimpl
    def kopcore_permissions(self) -> Sequence[PermissionSpec]:
        return self.permissions


COLLISIONS = {
    "GL code": (Copycat(gl=[GLAccountSpec("copycat", "2150", "Tiruan", GLType.LIABILITY)]),
                "GL code '2150'", "celengan"),
    "GL code of the kernel's chart": (
        Copycat(gl=[GLAccountSpec("copycat", "1101", "Kas Tiruan", GLType.ASSET)]),
        "GL code '1101'", "kopcore.chart"),
    "command": (
        Copycat(operations=[Operation("copycat.make_deposit", MoveInput, MoveOutput, deposit,
                                      permission="copycat.manage", mutates=True),
                            Operation("copycat.make-deposit", MoveInput, MoveOutput, deposit,
                                      permission="copycat.manage", mutates=True)],
                permissions=[PermissionSpec("copycat.manage", "Tiruan", ())]),
        "command 'copycat make-deposit'", "copycat"),
}


@pytest.mark.parametrize("what", sorted(COLLISIONS))
def test_two_plugins_claiming_the_same_thing_are_refused_naming_both(
    make_kernel: KernelFactory, what: str,
) -> None:
    plugin, claimed, first = COLLISIONS[what]

    with pytest.raises(PluginError) as refused:
        make_kernel(plugins=CELENGAN, extra_plugins=[("copycat", plugin)])

    message = str(refused.value)
    assert claimed in message
    assert f"plugin {first!r}" in message
    assert "plugin 'copycat'" in message


#: A name another plugin owns cannot even be claimed: it is outside the claimant's namespace.
SQUATTING = {
    "GL key": Copycat(gl=[GLAccountSpec("celengan", "2999", "Tiruan", GLType.LIABILITY)]),
    "product code": Copycat(products=[ProductType("celengan", "Tiruan", gl_key="celengan")]),
    "operation name": Copycat(
        operations=[Operation("celengan.deposit", MoveInput, MoveOutput, deposit,
                              permission="celengan.manage", mutates=True)]),
    "permission": Copycat(permissions=[PermissionSpec("celengan.manage", "Tiruan", ())]),
}


@pytest.mark.parametrize("what", sorted(SQUATTING))
def test_a_plugin_claiming_another_plugins_name_is_refused_as_outside_its_namespace(
    make_kernel: KernelFactory, what: str,
) -> None:
    with pytest.raises(PluginError) as refused:
        make_kernel(plugins=CELENGAN, extra_plugins=[("copycat", SQUATTING[what])])

    message = str(refused.value)
    assert "plugin 'copycat'" in message
    assert "'celengan" in message
    assert "outside its namespace" in message


def test_a_product_rolling_up_to_an_unknown_gl_account_is_refused(
    make_kernel: KernelFactory,
) -> None:
    plugin = Copycat(products=[ProductType("copycat", "Arisan", gl_key="copycat.arisan")])

    with pytest.raises(PluginError, match=r"'copycat'.*'copycat'.*unknown GL account"):
        make_kernel(extra_plugins=[("copycat", plugin)])


class FutureHook:
    """Implements a hook this kernel does not have (written for a newer kernel, or a typo)."""

    @kopcore.hookimpl
    def kopcore_tutup_buku_harian(self) -> None:
        return None


def test_a_plugin_implementing_an_unknown_hook_is_refused(make_kernel: KernelFactory) -> None:
    with pytest.raises(PluginError) as refused:
        make_kernel(extra_plugins=[("tutup-buku", FutureHook())])

    message = str(refused.value)
    assert "'tutup-buku'" in message
    assert "kopcore_tutup_buku_harian" in message


class WrongArguments:
    @kopcore.hookimpl
    def kopcore_veto_entry(self, ctx: Context, entry: Any, teller: str) -> None:
        return None


def test_a_hook_implementation_asking_for_unknown_arguments_is_refused(
    make_kernel: KernelFactory,
) -> None:
    with pytest.raises(PluginError, match=r"(?s)'strict'.*kopcore_veto_entry.*teller"):
        make_kernel(extra_plugins=[("strict", WrongArguments())])


# --- declarations ----------------------------------------------------------------------------


def test_hook_gl_accounts_adds_celengan_to_the_chart_with_posting_accounts(
    make_kernel: KernelFactory,
) -> None:
    kernel = make_kernel(plugins=CELENGAN)

    g = t.gl_accounts.c
    rows = kernel.read("auditor", lambda ctx: ctx.conn.execute(
        select(g.key, g.code, g.name, g.type, g.plugin).where(g.plugin == "celengan")
        .order_by(g.code)).all())
    assert [tuple(r) for r in rows] == [
        ("celengan", "2150", "Simpanan Celengan", "liability", "celengan"),
        ("celengan.bonus", "5150", "Beban Bonus Celengan", "expense", "celengan"),
    ]
    posting_account = kernel.read("auditor", lambda ctx: ledger.get_account(
        ctx, ledger.gl_account_number("celengan")))
    assert posting_account.normal_sign == -1  # a liability is credit-normal


def test_hook_gl_accounts_can_be_renumbered_by_the_operator(make_kernel: KernelFactory) -> None:
    kernel = make_kernel(plugins=CELENGAN, chart={
        "celengan": ChartOverride(code="2160", name="Tabungan Celengan")})

    g = t.gl_accounts.c
    row = kernel.read("auditor", lambda ctx: ctx.conn.execute(
        select(g.code, g.name).where(g.key == "celengan")).one())
    assert tuple(row) == ("2160", "Tabungan Celengan")


def test_hook_product_types_registers_the_celengan_product(make_kernel: KernelFactory) -> None:
    kernel = make_kernel(plugins=CELENGAN)

    claimed = kernel.plugins.products["celengan"]
    assert claimed.plugin == "celengan"
    assert claimed.value.gl_key == "celengan"


def test_hook_migrations_runs_the_celengan_branch_after_the_kernels(
    make_kernel: KernelFactory,
) -> None:
    kernel = make_kernel(plugins=CELENGAN)

    columns = {c["name"] for c in inspect(kernel.db.engine).get_columns("celengan_goals")}
    assert {"account_id", "target_minor", "reached_on", "released_on"} <= columns
    heads = current_heads(kernel)
    assert "celengan0001" in heads  # it depends on the kernel's branch, which ran first
    upgrade(kernel)  # running it again changes nothing
    assert current_heads(kernel) == heads


def test_hook_permissions_declares_what_the_operations_require(
    make_kernel: KernelFactory,
) -> None:
    kernel = make_kernel(plugins=CELENGAN)

    permissions = kernel.plugins.permissions
    assert permissions["celengan.read"].plugin == "celengan"
    assert "member" in permissions["celengan.read"].value.roles
    assert "member" not in permissions["celengan.manage"].value.roles
    celengan_ops = [c.value for c in kernel.plugins.operations.values()
                    if c.plugin == "celengan"]
    assert {op.permission for op in celengan_ops} == {"celengan.read", "celengan.manage"}


def test_hook_operations_declares_typed_documented_operations(
    make_kernel: KernelFactory,
) -> None:
    kernel = make_kernel(plugins=CELENGAN)

    ops = {name: c.value for name, c in kernel.plugins.operations.items()
           if c.plugin == "celengan"}
    assert sorted(ops) == ["celengan.balance", "celengan.deposit", "celengan.open",
                           "celengan.withdraw"]
    assert {name for name, op in ops.items() if op.mutates} == {
        "celengan.open", "celengan.deposit", "celengan.withdraw"}
    for op in ops.values():
        assert op.plugin == "celengan"
        assert op.description
        for cls in (op.input, op.output):
            undocumented = [f.name for f in attrs.fields(cls) if not f.metadata.get("help")]
            assert undocumented == [], f"{op.name}: {cls.__name__} fields without help"
    assert attrs.fields_dict(ops["celengan.deposit"].input)["amount"].type is Decimal
    assert attrs.fields_dict(ops["celengan.open"].input)["target"].type is Decimal


def test_hook_operations_handlers_open_deposit_and_show_a_celengan(
    celengan_kernel: Kernel,
) -> None:
    member, account = new_celengan(celengan_kernel, "250000")

    moved = put_in(celengan_kernel, account, "100000")
    shown = celengan_kernel.read("member", lambda ctx: balance(ctx, BalanceInput(account)))

    assert moved.balance == "100000.00"
    assert moved.reached_on is None
    assert shown.member == member.member_number
    assert (shown.target, shown.balance, shown.purpose) == ("250000.00", "100000.00", "Lebaran")
    assert shown.locked is True
    assert balance_of(celengan_kernel, CASH) == rp("10100000")
    assert books_consistent(celengan_kernel)


def test_hook_demo_seed_opens_a_celengan_for_the_first_demo_member(
    make_kernel: KernelFactory,
) -> None:
    kernel = make_kernel(plugins=CELENGAN)
    seeds = dict(kernel.plugins.call("kopcore_demo_seed"))["celengan"]
    [seed] = seeds
    assert kernel.write("admin", seed.seed) is None  # no member yet: nothing to do
    first = kernel.write("admin", lambda ctx: active_member(ctx, name="Komang Sari"))
    kernel.write("admin", lambda ctx: active_member(ctx, name="Wayan Putra"))

    number = kernel.write("admin", seed.seed)

    account = kernel.read("auditor", lambda ctx: ledger.get_account(ctx, number))
    assert account.member_id == first.id
    assert account.product_code == "celengan"
    assert goal_of(kernel, number).target_minor == rp("1000000").minor


# --- posting hooks ------------------------------------------------------------------------------


def test_hook_veto_entry_locks_a_celengan_until_its_goal_and_nothing_is_written(
    celengan_kernel: Kernel,
) -> None:
    _member, account = new_celengan(celengan_kernel, "500000", deposit_amount="300000")
    entries_before = entry_count(celengan_kernel)

    with pytest.raises(PostingVetoed) as vetoed:
        take_out(celengan_kernel, account, "50000")

    assert vetoed.value.reason == "celengan.locked"
    assert vetoed.value.plugin == "celengan"
    assert vetoed.value.to_problem()["reason"] == "celengan.locked"
    assert account in vetoed.value.detail
    assert entry_count(celengan_kernel) == entries_before
    assert balance_of(celengan_kernel, account) == rp("300000")
    assert balance_of(celengan_kernel, CASH) == rp("10300000")
    # Any entry taking money out is refused, not just the plugin's own withdraw operation.
    with pytest.raises(PostingVetoed):
        celengan_kernel.write("manager", lambda ctx: transfer(ctx, account, "GL-payable.other",
                                                              rp("1")))
    assert entry_count(celengan_kernel) == entries_before
    assert books_consistent(celengan_kernel)


def test_hook_veto_entry_lets_a_mistaken_deposit_be_reversed(celengan_kernel: Kernel) -> None:
    _member, account = new_celengan(celengan_kernel, "500000")
    mistaken = put_in(celengan_kernel, account, "300000")

    celengan_kernel.write("manager", lambda ctx: ledger.reverse_entry(ctx, mistaken.entry_id))

    assert balance_of(celengan_kernel, account) == rp("0")
    assert books_consistent(celengan_kernel)


def test_hook_after_posting_records_the_day_the_goal_is_reached_which_unlocks_it(
    celengan_kernel: Kernel,
) -> None:
    _member, account = new_celengan(celengan_kernel, "500000", deposit_amount="300000")
    assert goal_of(celengan_kernel, account).reached_on is None

    eod.run_end_of_day(celengan_kernel)
    reached = put_in(celengan_kernel, account, "200000")

    next_day = START_DATE + timedelta(days=1)
    assert reached.reached_on == next_day
    assert goal_of(celengan_kernel, account).reached_on == next_day
    taken = take_out(celengan_kernel, account, "450000")
    assert taken.balance == "50000.00"
    # Once reached, a goal stays reached even below the target.
    assert goal_of(celengan_kernel, account).reached_on == next_day
    assert take_out(celengan_kernel, account, "50000").balance == "0.00"
    assert books_consistent(celengan_kernel)


class RefusesLargeEntries:
    """Raises in after-posting: the kernel must roll the whole posting back."""

    @kopcore.hookimpl
    def kopcore_after_posting(self, ctx: Context, entry: ledger.JournalEntry) -> None:
        if any(abs(p.amount.minor) > rp("1000000").minor for p in entry.postings):
            raise Conflict("entries above Rp1.000.000 need the manager's key")


def test_hook_after_posting_raising_rolls_the_posting_back(make_kernel: KernelFactory) -> None:
    kernel = make_kernel(plugins=CELENGAN, extra_plugins=[("limit", RefusesLargeEntries())])
    kernel.write("teller", lambda ctx: capitalise(ctx, cash_account(ctx).number, rp("900000")))
    _member, account = new_celengan(kernel, "2000000", deposit_amount="800000")
    before = entry_count(kernel)

    with pytest.raises(Conflict, match="manager's key"):
        kernel.write("teller", lambda ctx: transfer(ctx, CASH, account, rp("1000001")))

    assert entry_count(kernel) == before
    assert balance_of(kernel, account) == rp("800000")
    assert books_consistent(kernel)


def test_hook_settlement_account_offers_the_celengan_for_shu_credit_only(
    celengan_kernel: Kernel,
) -> None:
    member, account = new_celengan(celengan_kernel, "500000")
    saver_without = celengan_kernel.write("teller", lambda ctx: active_member(ctx, "Gede Arta"))

    def ask(who: Member, purpose: str) -> str | None:
        found = celengan_kernel.read("teller", lambda ctx: ledger.settlement_account(
            ctx, who, purpose))
        return found.number if found else None

    assert ask(member, "shu-credit") == account
    assert ask(member, "disbursement") is None
    assert ask(member, "payment") is None
    assert ask(saver_without, "shu-credit") is None


def test_settlement_account_without_any_plugin_answering_is_none(kernel: Kernel) -> None:
    member = kernel.write("teller", active_member)

    assert kernel.read("teller", lambda ctx: ledger.settlement_account(
        ctx, member, "shu-credit")) is None


# --- member exit --------------------------------------------------------------------------------


def exit_member(kernel: Kernel, member: Member) -> tuple[Member, ledger.JournalEntry | None]:
    return kernel.write("manager", lambda ctx: ledger.exit_member(
        ctx, member.member_number, reason="pindah domisili", payout_account=CASH))


def test_hook_member_exit_refunds_locked_celengan_closes_it_and_the_member_leaves(
    celengan_kernel: Kernel,
) -> None:
    member, account = new_celengan(celengan_kernel, "500000", deposit_amount="300000")

    left, entry = exit_member(celengan_kernel, member)

    assert left.status is MemberStatus.LEFT
    assert left.left_on == START_DATE
    assert entry is not None
    assert sorted((p.account_number, p.amount.minor) for p in entry.postings) == [
        (CASH, -rp("300000").minor), (account, rp("300000").minor)]
    closed = celengan_kernel.read("auditor", lambda ctx: ledger.get_account(ctx, account))
    assert closed.status is ledger.AccountStatus.CLOSED
    assert closed.balance == rp("0")
    assert goal_of(celengan_kernel, account).released_on == START_DATE
    assert balance_of(celengan_kernel, CASH) == rp("10000000")
    assert books_consistent(celengan_kernel)


class RefusesExit:
    """Another plugin (loans, say) refuses the exit: an outstanding loan."""

    @kopcore.hookimpl
    def kopcore_member_exit(self, ctx: Context, member: Member) -> ExitContribution:
        return ExitContribution(refusal="pinjaman masih berjalan: Rp2.000.000")


def test_hook_member_exit_refused_by_another_plugin_writes_nothing(
    make_kernel: KernelFactory,
) -> None:
    kernel = make_kernel(plugins=CELENGAN, extra_plugins=[("pinjaman", RefusesExit())])
    kernel.write("teller", lambda ctx: capitalise(ctx, cash_account(ctx).number, rp("1000000")))
    member, account = new_celengan(kernel, "500000", deposit_amount="300000")
    before = entry_count(kernel)

    with pytest.raises(ExitRefused) as refused:
        exit_member(kernel, member)

    assert refused.value.extra["refusals"] == [
        {"plugin": "pinjaman", "reason": "pinjaman masih berjalan: Rp2.000.000"}]
    assert entry_count(kernel) == before
    assert kernel.read("auditor", lambda ctx: ledger.get_member(
        ctx, member.member_number)).status is MemberStatus.ACTIVE
    still = kernel.read("auditor", lambda ctx: ledger.get_account(ctx, account))
    assert still.status is ledger.AccountStatus.OPEN
    assert still.balance == rp("300000")
    assert goal_of(kernel, account).released_on is None  # still locked
    with pytest.raises(PostingVetoed):
        take_out(kernel, account, "1")


def test_hook_member_exit_refused_by_celengan_while_a_celengan_is_frozen(
    celengan_kernel: Kernel,
) -> None:
    member, account = new_celengan(celengan_kernel, "500000", deposit_amount="300000")
    celengan_kernel.write("manager", lambda ctx: ledger.freeze_account(ctx, account))

    with pytest.raises(ExitRefused, match=f"celengan: celengan {account} is frozen"):
        exit_member(celengan_kernel, member)

    assert balance_of(celengan_kernel, account) == rp("300000")


# --- end of day ---------------------------------------------------------------------------------


def test_hook_eod_tasks_pays_the_daily_bonus_with_one_entry_per_chunk(
    make_kernel: KernelFactory,
) -> None:
    kernel = make_kernel(plugins=CELENGAN, eod_chunk_size=2)
    kernel.write("teller", lambda ctx: capitalise(ctx, cash_account(ctx).number, rp("1000000")))
    deposits = ["100", "50", "100", "150", None]  # goal Rp100 each: 0, 2 and 3 reach it
    accounts = [new_celengan(kernel, "100", name=f"Penabung {i}", deposit_amount=amount)[1]
                for i, amount in enumerate(deposits)]

    [day] = eod.run_end_of_day(kernel)

    assert day.tasks == {"celengan.daily-bonus": 3}
    assert [balance_of(kernel, a) for a in accounts] == [
        rp("101"), rp("50"), rp("101"), rp("151"), rp("0")]
    assert balance_of(kernel, BONUS_GL) == rp("3")

    def bonus_entries(ctx: Context) -> list[tuple[str | None, int]]:
        e, p = t.journal_entries.c, t.postings.c
        return [tuple(r) for r in ctx.conn.execute(
            select(e.idempotency_key, func.count(p.id))
            .join(t.postings, p.entry_id == e.id)
            .where(e.operation == "eod.celengan.daily-bonus")
            .group_by(e.id, e.idempotency_key).order_by(e.id))]

    # Chunks [0, 1], [2, 3], [4]: the first pays one account, the second two, the third none.
    entries = kernel.read("auditor", bonus_entries)
    assert [count for _key, count in entries] == [2, 3]
    assert all(key and key.startswith("celengan.bonus:2026-01-05:") for key, _ in entries)

    eod.run_end_of_day(kernel, until=START_DATE + timedelta(days=3))

    assert [balance_of(kernel, a) for a in accounts] == [
        rp("103"), rp("50"), rp("103"), rp("153"), rp("0")]
    assert balance_of(kernel, BONUS_GL) == rp("9")
    assert books_consistent(kernel)


def test_celengan_accounts_are_ordinary_accounts_to_the_rest_of_the_ledger(
    celengan_kernel: Kernel,
) -> None:
    """The plugin's goal table and the kernel's account agree after every kind of entry."""
    _member, account = new_celengan(celengan_kernel, "100", deposit_amount="100")
    eod.run_end_of_day(celengan_kernel)
    take_out(celengan_kernel, account, "101")

    statement = celengan_kernel.read("auditor", lambda ctx: ledger.statement(
        ctx, account, START_DATE, START_DATE + timedelta(days=1)))
    assert [(line.credit.minor, line.debit.minor) for line in statement.lines] == [
        (rp("100").minor, 0), (rp("1").minor, 0), (0, rp("101").minor)]
    assert statement.closing_balance == rp("0")
    assert books_consistent(celengan_kernel)
