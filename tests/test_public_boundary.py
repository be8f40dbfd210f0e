"""The public boundary: plugins import only kopcore's public modules, and never one another.

``kopcore.PUBLIC_MODULES`` and ``kopcore.TESTING_MODULES`` are the one list. Every distribution
under plugins/ and the example plugin is held to it: a plugin's code imports only public
modules; its tests (and the plugin tests shown in docs/) public and testing modules; and no
plugin imports another plugin's package, in its code or its tests.
"""

from __future__ import annotations

import ast
import importlib
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

import kopcore

ROOT = Path(__file__).resolve().parent.parent
KERNEL = ROOT / "kopcore"
DISTRIBUTIONS = [*sorted(p.parent for p in (ROOT / "plugins").glob("*/pyproject.toml")),
                 ROOT / "tests" / "example_plugin"]
PLUGIN_GUIDES = [ROOT / "docs" / "plugin-guide.md", ROOT / "docs" / "testing.md"]
DOCTEST = re.compile(r"<!-- doctest: pytest -->\n```python\n(?P<code>.*?)^```",
                     re.DOTALL | re.MULTILINE)


def packages(distribution: Path) -> list[Path]:
    """The importable packages a distribution ships (its tests are not among them)."""
    return sorted(p.parent for p in distribution.glob("*/__init__.py")
                  if p.parent.name != "tests")


PLUGIN_PACKAGES = {package.name for d in DISTRIBUTIONS for package in packages(d)}


def required_plugins(distribution: Path) -> set[str]:
    """The plugin packages a distribution declares it requires: a provider plugin of a product
    plugin (a PPOB aggregator) requires that plugin and implements its provider contract."""
    project = tomllib.loads((distribution / "pyproject.toml").read_text(encoding="utf-8"))
    names = {re.split(r"[<>=!~ \[;]", requirement, maxsplit=1)[0].replace("-", "_")
             for requirement in project["project"].get("dependencies", [])}
    return names & PLUGIN_PACKAGES


REQUIRED = {package.name: required_plugins(d) for d in DISTRIBUTIONS for package in packages(d)}


def is_kernel_module(name: str) -> bool:
    path = KERNEL.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imports(source: str) -> Iterator[tuple[int, str]]:
    """(line, module) of every absolute import in ``source``. ``from kopcore import _db``
    imports the module ``kopcore._db``; ``from kopcore import hookimpl`` imports ``kopcore``."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                whole = f"{node.module}.{alias.name}"
                yield node.lineno, whole if is_kernel_module(whole) else node.module


def crossings(source: str, *, own: str | None, test: bool) -> list[str]:
    """What ``source``, code of the plugin package ``own`` (its tests when ``test``), imports
    across the boundary. A plugin may import a plugin its distribution requires (a provider
    plugin and the product plugin whose provider contract it implements)."""
    allowed = set(kopcore.PUBLIC_MODULES) | (set(kopcore.TESTING_MODULES) if test else set())
    found = []
    for line, module in imports(source):
        top = module.partition(".")[0]
        if top == "kopcore" and module not in allowed:
            found.append(f"{line}: {module} is not public"
                         + ("" if test else " (kopcore.PUBLIC_MODULES)"))
        elif top in PLUGIN_PACKAGES and top != own and top not in REQUIRED.get(own or "", ()):
            found.append(f"{line}: imports the plugin {top}")
    return found


def plugin_sources() -> Iterator[tuple[Path, str | None, bool]]:
    """(file, its distribution's package, whether it is test code) of every plugin file."""
    for distribution in DISTRIBUTIONS:
        [own] = packages(distribution)
        for path in sorted(distribution.rglob("*.py")):
            parts = path.relative_to(distribution).parts
            if any(part.endswith(".egg-info") or part == "build" for part in parts):
                continue
            # A plugin's testing kit (``<package>/testing.py``, like kopcore.testing) is test
            # code: the plugin's tests and its provider plugins' tests import it.
            yield path, own.name, parts[0] != own.name or parts[1:] == ("testing.py",)


def test_the_public_and_testing_modules_are_kernel_modules_listed_once() -> None:
    listed = [*kopcore.PUBLIC_MODULES, *kopcore.TESTING_MODULES]
    assert len(set(listed)) == len(listed)
    for name in listed:
        assert importlib.import_module(name).__doc__, f"{name} needs a module docstring"


def test_the_boundary_check_sees_each_way_of_importing_a_private_module() -> None:
    for source in ("from kopcore._db import tables", "from kopcore import _db",
                   "import kopcore._db.tables as kt", "from kopcore.ledger._posting import x",
                   "if TYPE_CHECKING:\n    from kopcore._auth import Principal"):
        assert crossings(source, own="kopcore_celengan", test=False), source
    assert crossings("from kopcore import _auth", own="kopcore_celengan", test=True)
    assert crossings("from kopcore.testing import Cooperative", own="kopcore_celengan",
                     test=False)
    assert crossings("from kopcore_savings.tables import accounts", own="kopcore_loans",
                     test=True)
    for source in ("import kopcore", "from kopcore import hookimpl, ledger, query",
                   "from kopcore.records import Side", "import sqlalchemy as sa",
                   "from kopcore_celengan.goals import goals", "from .goals import goals"):
        assert crossings(source, own="kopcore_celengan", test=False) == [], source


def test_every_plugin_distribution_is_scanned() -> None:
    scanned = {own for _path, own, _test in plugin_sources()}
    assert scanned == PLUGIN_PACKAGES
    assert {"kopcore_savings", "kopcore_loans", "kopcore_ppob", "kopcore_sharia",
            "kopcore_celengan"} <= scanned


@pytest.mark.parametrize("test_code", [False, True], ids=["code", "tests"])
def test_plugins_import_only_the_public_api_and_no_other_plugin(test_code: bool) -> None:
    found = []
    for path, own, test in plugin_sources():
        if test is test_code:
            found += [f"{path.relative_to(ROOT)}:{crossing}" for crossing in
                      crossings(path.read_text(encoding="utf-8"), own=own, test=test)]
    assert found == [], "\n".join(found)


def test_the_plugin_tests_shown_in_the_docs_import_only_the_public_api() -> None:
    blocks = [(page.name, match["code"]) for page in PLUGIN_GUIDES
              for match in DOCTEST.finditer(page.read_text(encoding="utf-8"))]
    assert blocks
    found = [f"{page}: {crossing}" for page, code in blocks
             for crossing in crossings(code, own="kopcore_celengan", test=True)]
    assert found == []


def test_the_plugin_guide_lists_exactly_the_public_and_testing_modules() -> None:
    section = (ROOT / "docs" / "plugin-guide.md").read_text(encoding="utf-8") \
        .split("## The public API\n", 1)[1].split("\n## ", 1)[0]
    public, testing = section.split("tests may also import", 1)
    assert set(re.findall(r"^\| `(kopcore[\w.]*)`", public, re.MULTILINE)) == \
        set(kopcore.PUBLIC_MODULES)
    assert set(re.findall(r"^\| `(kopcore[\w.]*)`", testing, re.MULTILINE)) == \
        set(kopcore.TESTING_MODULES)
