"""The plugin contract the kernel enforces at start-up: one way to call hooks and in which order,
the contract version a plugin is written for, and each plugin's namespace."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pytest

import kopcore
from kopcore import contract
from kopcore._plugin_manager import PluginHost, in_namespace
from kopcore.context import Context
from kopcore.errors import PluginError, PostingVetoed
from kopcore.ledger import ProposedEntry
from kopcore.records import (
    EodTask,
    GLAccountSpec,
    GLType,
    MigrationSource,
    PermissionSpec,
    Veto,
)
from kopcore.testing import KernelFactory
from tests.builders import capitalise, cash_account, rp


class Recorder:
    """Answers every runtime hook it is asked, recording the order of the calls."""

    def __init__(self, name: str, calls: list[str], *, veto: bool = False) -> None:
        self.name, self.calls, self.veto = name, calls, veto

    @kopcore.hookimpl
    def kopcore_veto_entry(self, ctx: Context, entry: ProposedEntry) -> Veto | None:
        self.calls.append(self.name)
        return Veto(f"{self.name}.no", f"{self.name} says no") if self.veto else None


def test_hooks_are_called_in_registration_order_kernel_first() -> None:
    host = PluginHost.load(enabled=["celengan", "savings"])
    names = [plugin for plugin, _ in host.call("kopcore_gl_accounts")]

    assert names[0] == "kopcore.chart"
    assert names.index("celengan") < names.index("savings")
    assert [loaded.name for loaded in host.loaded if loaded.name in names] == names


def test_every_veto_is_asked_in_registration_order_and_the_first_refusal_is_reported(
    make_kernel: KernelFactory,
) -> None:
    calls: list[str] = []
    kernel = make_kernel(plugins=(), extra_plugins=[
        ("zeta", Recorder("zeta", calls)), ("alpha", Recorder("alpha", calls, veto=True)),
        ("omega", Recorder("omega", calls, veto=True))])

    with pytest.raises(PostingVetoed) as refused:
        kernel.write("teller", lambda ctx: capitalise(ctx, cash_account(ctx).number,
                                                      rp("1000")))

    assert calls == ["zeta", "alpha", "omega"]
    assert (refused.value.plugin, refused.value.reason) == ("alpha", "alpha.no")


class SettlementAnswer:
    def __init__(self, number: str) -> None:
        self.number = number

    @kopcore.hookimpl
    def kopcore_settlement_account(self, ctx: Context, member: Any, purpose: str,
                                   currency: str) -> Any:
        from kopcore.records import SettlementAccount

        return SettlementAccount(self.number, self.number)


def test_a_firstresult_hook_stops_at_the_first_answer_in_registration_order() -> None:
    host = PluginHost.load(enabled=[], extra=[("first", SettlementAnswer("A-1")),
                                              ("second", SettlementAnswer("A-2"))])

    answers = host.call("kopcore_settlement_account", ctx=None, member=None,
                        purpose="payment", currency="IDR")

    assert [(plugin, answer.account_number) for plugin, answer in answers] == [("first", "A-1")]


class Broken:
    @kopcore.hookimpl
    def kopcore_verify(self, ctx: Context) -> None:
        raise ZeroDivisionError("rasio tanpa penyebut")


def test_an_exception_in_a_runtime_hook_propagates_naming_the_plugin() -> None:
    # A hook no built-in plugin answers: they would need a real context before this one.
    host = PluginHost.load(enabled=[], extra=[("rusak", Broken())])

    with pytest.raises(ZeroDivisionError) as raised:
        host.call("kopcore_verify", ctx=None)

    assert "raised by plugin 'rusak' in kopcore_verify" in raised.value.__notes__


class FailingDeclaration:
    @kopcore.hookimpl
    def kopcore_permissions(self) -> Sequence[PermissionSpec]:
        raise KeyError("roles")


def test_a_declaration_hook_that_raises_stops_start_up_naming_plugin_and_hook() -> None:
    with pytest.raises(PluginError, match=r"plugin 'gagal' failed in kopcore_permissions: "
                                          r"KeyError"):
        PluginHost.load(enabled=[], extra=[("gagal", FailingDeclaration())])


class Wrapper:
    @kopcore.hookimpl(wrapper=True)
    def kopcore_veto_entry(self, ctx: Context, entry: ProposedEntry) -> Any:
        return (yield)


class First:
    @kopcore.hookimpl(tryfirst=True)
    def kopcore_veto_entry(self, ctx: Context, entry: ProposedEntry) -> Veto | None:
        return None


@pytest.mark.parametrize(("plugin", "option"), [(Wrapper(), "wrapper"), (First(), "tryfirst")])
def test_hook_wrappers_and_ordering_options_are_refused(plugin: object, option: str) -> None:
    with pytest.raises(PluginError, match=rf"'urutan' marks kopcore_veto_entry with {option}"):
        PluginHost.load(enabled=[], extra=[("urutan", plugin)])


# --- end-of-day tasks ----------------------------------------------------------------------------


def _noop_chunks(ctx: Context, day: date, size: int) -> list[tuple[int, int]]:
    return []


def _noop_run(ctx: Context, day: date, low: int, high: int) -> int:
    return 0


class Tasks:
    def __init__(self, *names: str) -> None:
        self.names = names

    @kopcore.hookimpl
    def kopcore_eod_tasks(self) -> Sequence[EodTask]:
        return [EodTask(name, _noop_chunks, _noop_run) for name in self.names]


def test_two_plugins_declaring_one_end_of_day_task_stop_start_up_not_end_of_day() -> None:
    # "arisan-pro.draw" is in both plugins' namespaces: "arisan" owns what starts "arisan-".
    with pytest.raises(PluginError, match=r"end-of-day task 'arisan-pro.draw' is claimed by "
                                          r"both plugin 'arisan' and plugin 'arisan-pro'"):
        PluginHost.load(enabled=[], extra=[("arisan", Tasks("arisan-pro.draw")),
                                           ("arisan-pro", Tasks("arisan-pro.draw"))])


def test_end_of_day_tasks_are_known_once_loaded() -> None:
    host = PluginHost.load(enabled=["celengan"])

    assert host.eod_tasks["celengan.daily-bonus"].plugin == "celengan"


# --- namespaces ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "owned"), [
    ("arisan", True), ("arisan.status", True), ("arisan-status", True), ("arisan_fees", True),
    ("savings.arisan-status", False), ("arisanx", False), ("arisa", False), ("", False),
])
def test_a_plugin_owns_its_name_and_what_starts_with_it(name: str, owned: bool) -> None:
    assert in_namespace("arisan", name) is owned


class Squatter:
    """A rotating-savings plugin naming things in the savings plugin's namespace."""

    def __init__(self, **declared: Any) -> None:
        self.declared = declared

    @kopcore.hookimpl
    def kopcore_gl_accounts(self) -> Sequence[GLAccountSpec]:
        return self.declared.get("gl", ())

    @kopcore.hookimpl
    def kopcore_permissions(self) -> Sequence[PermissionSpec]:
        return self.declared.get("permissions", ())

    @kopcore.hookimpl
    def kopcore_eod_tasks(self) -> Sequence[EodTask]:
        return self.declared.get("tasks", ())


@pytest.mark.parametrize(("declared", "what"), [
    ({"gl": [GLAccountSpec("savings.arisan_fees", "2190", "Arisan", GLType.LIABILITY)]},
     "GL account 'savings.arisan_fees'"),
    ({"permissions": [PermissionSpec("savings.arisan", "Arisan", ("teller",))]},
     "permission 'savings.arisan'"),
    ({"tasks": [EodTask("savings.arisan-draw", _noop_chunks, _noop_run)]},
     "end-of-day task 'savings.arisan-draw'"),
])
def test_a_name_outside_the_plugins_namespace_stops_start_up(declared: dict[str, Any],
                                                             what: str) -> None:
    with pytest.raises(PluginError) as refused:
        PluginHost.load(enabled=[], extra=[("arisan", Squatter(**declared))])

    assert f"plugin 'arisan': {what} is outside its namespace" in str(refused.value)


def test_the_kernels_built_in_plugins_own_the_names_without_a_prefix() -> None:
    host = PluginHost.load(enabled=[])

    assert host.operations["members.register"].plugin == "kopcore.members"


MIGRATION = '''
revision = "{revision}"
down_revision = None
branch_labels = ("{branch}",)
depends_on = "kopcore"


def upgrade() -> None:
    from alembic import op
    import sqlalchemy as sa

    op.create_table("{table}", sa.Column("id", sa.Integer, primary_key=True))


def downgrade() -> None:
    pass
'''


class Migrations:
    def __init__(self, path: Path, branch: str) -> None:
        self.path, self.branch = path, branch

    @kopcore.hookimpl
    def kopcore_migrations(self) -> MigrationSource:
        return MigrationSource(branch=self.branch, path=self.path)


def _migrations(tmp_path: Path, *, revision: str, branch: str, table: str) -> Migrations:
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "a0001.py").write_text(MIGRATION.format(revision=revision, branch=branch,
                                                        table=table))
    return Migrations(versions, branch)


@pytest.mark.parametrize(("revision", "branch", "table", "refusal"), [
    ("arisan0001", "arisan", "arisan_groups", None),
    ("savings9001", "arisan", "arisan_groups", "migration revision 'savings9001'"),
    ("arisan0001", "tabungan", "arisan_groups", "migration branch 'tabungan'"),
    ("arisan0001", "arisan", "groups", "create table(s) groups outside its namespace"),
])
def test_a_plugins_migrations_stay_in_its_namespace_or_nothing_is_migrated(
    make_kernel: KernelFactory, tmp_path: Path, revision: str, branch: str, table: str,
    refusal: str | None,
) -> None:
    plugin = _migrations(tmp_path, revision=revision, branch=branch, table=table)

    if refusal is None:
        kernel = make_kernel(plugins=(), extra_plugins=[("arisan", plugin)])
        assert kernel.read("auditor", lambda ctx: ctx.conn.dialect.has_table(
            ctx.conn, "arisan_groups"))
        return
    with pytest.raises(PluginError) as refused:
        make_kernel(plugins=(), extra_plugins=[("arisan", plugin)])
    assert f"plugin 'arisan': {refusal}" in str(refused.value) or refusal in str(refused.value)


# --- contract version ----------------------------------------------------------------------------


class Declared:
    def __init__(self, version: str) -> None:
        self.KOPCORE_CONTRACT = version


def test_the_kernel_implements_contract_1_4_and_every_plugin_here_is_written_for_1_x() -> None:
    assert contract.CONTRACT == "1.4"
    host = PluginHost.load()
    external = [loaded for loaded in host.loaded if not loaded.builtin]
    assert external, "no product plugin installed"
    declared = set()
    for loaded in external:
        module = __import__(loaded.module)
        wanted = contract.parse(module.KOPCORE_CONTRACT)
        assert wanted is not None
        assert wanted[0] == contract.CONTRACT_VERSION[0]
        assert wanted <= contract.CONTRACT_VERSION
        declared.add(wanted)
    # Plugins written for 1.0 keep loading next to those written for 1.1.
    assert {(1, 0), (1, 1)} <= declared


@pytest.mark.parametrize(("declared", "advice"), [
    ("2.0", "upgrade kopcore"),
    (f"{contract.CONTRACT_VERSION[0]}.{contract.CONTRACT_VERSION[1] + 1}", "upgrade kopcore"),
    ("0.9", "written for this contract"),
])
def test_a_plugin_written_for_another_contract_is_refused_naming_it(declared: str,
                                                                    advice: str) -> None:
    with pytest.raises(PluginError) as refused:
        PluginHost.load(enabled=[], extra=[("arisan", Declared(declared))])

    message = str(refused.value)
    assert f"plugin 'arisan' (local) was written for kernel contract {declared}" in message
    assert f"this kernel implements contract {contract.CONTRACT}" in message
    assert advice in message


@pytest.mark.parametrize("declared", [None, "1", "satu", "1.0.0", 1.0])
def test_an_installed_plugin_must_declare_its_contract(declared: object) -> None:
    with pytest.raises(PluginError, match=r"'arisan' \(0\.1\.0\) does not declare the kernel "
                                          r"contract.*KOPCORE_CONTRACT = \"1\.4\""):
        contract.check("arisan", "0.1.0", declared)


def test_a_plugin_written_for_an_older_minor_contract_loads() -> None:
    contract.check("arisan", "0.1.0", "1.0")
    contract.check("arisan", "0.1.0", "1.1")


def test_every_plugins_kopcore_requirement_matches_the_contract_it_declares() -> None:
    """A plugin requires ``kopcore>=<the contract it declares>,<next major>``: written for 1.1,
    it cannot be installed beside a 1.0 kernel that lacks the hooks it implements."""
    root = Path(__file__).resolve().parent.parent
    major = contract.CONTRACT_VERSION[0]
    projects = [*sorted((root / "plugins").glob("*/pyproject.toml")),
                root / "tests" / "example_plugin" / "pyproject.toml"]
    unbounded = []
    for path in projects:
        text = path.read_text(encoding="utf-8")
        module = re.search(r'^\w+ = "(\w+)"$', text.split("[project.entry-points.kopcore]")[1],
                           re.MULTILINE)
        assert module is not None, path
        init = path.parent / module[1] / "__init__.py"
        declared = re.search(r'^KOPCORE_CONTRACT = "(\d+\.\d+)"$',
                             init.read_text(encoding="utf-8"), re.MULTILINE)
        assert declared is not None, init
        if f'"kopcore>={declared[1]},<{major + 1}"' not in text:
            unbounded.append(str(path.relative_to(root)))
    assert unbounded == []
