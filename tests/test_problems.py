"""Every problem document keeps RFC 9457's members to their meaning: ``type`` a URI, ``title``
and ``detail`` text, ``status`` the HTTP status as an integer. Checked for every KopcoreError
subclass of the kernel and of every installed plugin, and for every place one is raised."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType

import pytest

import kopcore
from kopcore.errors import PROBLEM_BASE, RESERVED_MEMBERS, Conflict, KopcoreError

ROOT = Path(__file__).resolve().parent.parent


def _packages() -> list[ModuleType]:
    """The kernel and every installed plugin distribution's package."""
    plugins = [importlib.import_module(ep.value.split(":")[0].split(".")[0])
               for ep in entry_points(group="kopcore")]
    return [kopcore, *{p.__name__: p for p in plugins}.values()]


def _modules(package: ModuleType) -> Iterator[ModuleType]:
    yield package
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if ".migrations" in info.name:
            continue  # Alembic scripts import their context at import time
        yield importlib.import_module(info.name)


def _error_classes() -> list[type[KopcoreError]]:
    for package in _packages():
        list(_modules(package))
    found: list[type[KopcoreError]] = []
    pending: list[type[KopcoreError]] = [KopcoreError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return sorted(set(found), key=lambda c: (c.__module__, c.__qualname__))


def _instance(cls: type[KopcoreError]) -> KopcoreError:
    """An instance with a detail and every required keyword filled in."""
    required = {name: "x" for name, param in inspect.signature(cls).parameters.items()
                if param.kind is param.KEYWORD_ONLY and param.default is param.empty}
    return cls("what went wrong", **required)


ERRORS = _error_classes()


def test_the_walk_finds_the_kernels_and_the_plugins_errors() -> None:
    modules = {cls.__module__.split(".")[0] for cls in ERRORS}
    assert {"kopcore", "kopcore_ppob"} <= modules
    assert len(ERRORS) > 20


@pytest.mark.parametrize("cls", ERRORS, ids=lambda c: c.__qualname__)
def test_every_error_renders_a_problem_with_its_reserved_members_typed(
        cls: type[KopcoreError]) -> None:
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", cls.code), cls.code
    assert isinstance(cls.title, str)
    assert cls.title
    assert isinstance(cls.status, int)
    assert not isinstance(cls.status, bool)
    assert 400 <= cls.status < 600 or cls.code == "approval-required"
    problem = _instance(cls).to_problem()
    assert problem["type"] == PROBLEM_BASE + cls.code
    assert problem["status"] == cls.status
    assert isinstance(problem["status"], int)
    assert (problem["title"], problem["detail"], problem["code"]) == (
        cls.title, "what went wrong", cls.code)
    assert "instance" not in problem


def test_an_extra_member_may_not_take_a_reserved_name() -> None:
    for name in sorted(RESERVED_MEMBERS - {"detail"}):  # Python itself refuses a second detail
        with pytest.raises(TypeError, match="reserved problem member"):
            Conflict("loan L1 is active", **{name: "active"})
    assert Conflict("loan L1 is active", loan_status="active").to_problem()["status"] == 409


def _python_files() -> Iterator[Path]:
    for package in _packages():
        for directory in package.__path__:
            yield from (p for p in Path(directory).rglob("*.py") if "migrations" not in p.parts)


def test_no_error_is_raised_anywhere_with_a_reserved_member() -> None:
    """Every call of a KopcoreError class in the kernel and the plugins, read from the source:
    none passes a reserved member as a keyword (which would fail only when it is raised)."""
    names = {cls.__name__ for cls in ERRORS}
    offending = []
    files = list(_python_files())
    assert any(p.name == "loan.py" and "kopcore_loans" in p.parts for p in files)
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            callee = node.func.attr if isinstance(node.func, ast.Attribute) else \
                getattr(node.func, "id", None)
            if callee not in names:
                continue
            reserved = [k.arg for k in node.keywords if k.arg in RESERVED_MEMBERS]
            if reserved:
                offending.append(f"{path.name}:{node.lineno} {callee}({', '.join(reserved)}=)")
    assert offending == []


def test_error_details_show_money_as_people_read_it() -> None:
    """A detail is for people: amounts in it are ``Rp1.500.000,00`` (``Money.format``), never
    the JSON form ``1500000.00`` (``Money.to_str``), which belongs in the problem's extra
    members for programs."""
    names = {cls.__name__ for cls in ERRORS}
    raw = []
    for path in _python_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            callee = node.func.attr if isinstance(node.func, ast.Attribute) else \
                getattr(node.func, "id", None)
            if callee not in names:
                continue
            for inner in ast.walk(node.args[0]):
                if isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute) \
                        and inner.func.attr == "to_str":
                    raw.append(f"{path.name}:{node.lineno} {callee}")
    assert raw == []
