"""The documentation cannot drift from the code.

- docs/reference/operations.md is what ``python -m kopcore.docsgen`` writes today;
- every hook, error code, setting, built-in CLI command, kernel permission and default GL
  account is documented where a reader looks for it;
- every code excerpt marked ``<!-- excerpt: PATH -->`` in docs/ is still in that file, verbatim;
- the examples marked ``<!-- doctest: script -->`` run, and those marked
  ``<!-- doctest: pytest -->`` pass as tests, with the kernel's fixtures;
- links between the pages resolve.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import attrs
import click
import pytest

from kopcore import docsgen, errors, hookspecs
from kopcore._plugin_manager import PluginHost
from kopcore.cli import make_cli
from kopcore.plugins.chart import DEFAULT_CHART, KERNEL_PERMISSIONS
from kopcore.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
EXCERPT = re.compile(r"<!-- excerpt: (?P<path>\S+) -->\n```[a-z]*\n(?P<code>.*?)^```",
                     re.DOTALL | re.MULTILINE)
DOCTEST = re.compile(r"<!-- doctest: (?P<kind>script|pytest) -->\n```python\n(?P<code>.*?)^```",
                     re.DOTALL | re.MULTILINE)


def read(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def builtins() -> PluginHost:
    return PluginHost.load(())


def test_operation_reference_is_up_to_date(builtins: PluginHost) -> None:
    assert (DOCS / "reference" / "operations.md").read_text(encoding="utf-8") == \
        docsgen.render(builtins), "run: python -m kopcore.docsgen"


def test_every_kernel_operation_has_a_section_in_the_reference(builtins: PluginHost) -> None:
    text = (DOCS / "reference" / "operations.md").read_text(encoding="utf-8")
    missing = [name for name in builtins.operations if f"\n## {name}\n" not in text]
    assert not missing


def test_docsgen_check_mode_fails_on_a_stale_file(tmp_path: Path) -> None:
    stale = tmp_path / "operations.md"
    stale.write_text("# Operation reference\n", encoding="utf-8")
    assert docsgen.main(["--check", "--output", str(stale)]) == 1
    assert docsgen.main(["--output", str(stale)]) == 0
    assert docsgen.main(["--check", "--output", str(stale)]) == 0


def test_every_hook_has_a_section() -> None:
    text = read("hooks.md")
    hooks = [name for name in dir(hookspecs) if name.startswith("kopcore_")]
    assert hooks
    missing = [name for name in hooks if f"\n## {name}\n" not in text]
    assert not missing


def _error_classes() -> list[type[errors.KopcoreError]]:
    found, stack = [], [errors.KopcoreError]
    while stack:
        cls = stack.pop()
        found.append(cls)
        stack.extend(cls.__subclasses__())
    return [cls for cls in found if cls.__module__ == errors.__name__]


def test_every_error_code_is_in_the_api_guide() -> None:
    text = read("api.md")
    missing = [cls.code for cls in _error_classes()
               if not re.search(rf"\| `{re.escape(cls.code)}` \| {cls.status} \|", text)]
    assert not missing, "add a row `| `code` | status | meaning |` to docs/api.md"


def test_every_kernel_permission_is_in_the_api_guide() -> None:
    text = read("api.md")
    assert not [p.name for p in KERNEL_PERMISSIONS if f"`{p.name}`" not in text]


def test_every_setting_is_in_the_settings_guide() -> None:
    text = read("settings.md")
    missing = [f.name for f in attrs.fields(Settings) if f"`{f.name}`" not in text]
    assert not missing


def test_every_built_in_command_and_option_is_in_the_cli_guide(builtins: PluginHost) -> None:
    root = make_cli(Settings(), builtins)
    generated = {op.value.command_path[0] for op in builtins.operations.values()}
    text = read("cli.md")
    missing = []

    def visit(command: click.Command, path: str) -> None:
        if f"`{path}" not in text:
            missing.append(path)
        for param in command.params:
            if isinstance(param, click.Option) and param.opts[0] != "--help" \
                    and param.opts[0] not in text:
                missing.append(f"{path} {param.opts[0]}")
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                if path != "kopcore" or name not in generated:
                    visit(sub, f"{path} {name}")

    visit(root, "kopcore")
    assert not missing


def test_the_default_chart_is_listed_in_concepts() -> None:
    text = read("concepts.md")
    missing = [spec.key for spec in DEFAULT_CHART
               if not re.search(rf"\| {spec.code} \| `{re.escape(spec.key)}` \|", text)]
    assert not missing


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_excerpts_are_verbatim_from_their_files(page: Path) -> None:
    for match in EXCERPT.finditer(page.read_text(encoding="utf-8")):
        source = (ROOT / match["path"]).read_text(encoding="utf-8")
        for part in re.split(r"^\s*(?:# )?\.\.\.\n", match["code"], flags=re.MULTILINE):
            assert part in source, f"{page.name}: excerpt of {match['path']} is stale:\n{part}"


def _doctests(kind: str) -> list[tuple[str, str]]:
    """(id, code) of every example of ``kind`` in the README and docs/."""
    found = []
    for page in PAGES:
        blocks = [m["code"] for m in DOCTEST.finditer(page.read_text(encoding="utf-8"))
                  if m["kind"] == kind]
        found += [(f"{page.name}:{n}", code) for n, code in enumerate(blocks)]
    return found


def _tests_in(code: str) -> list[str]:
    return [node.name for node in ast.parse(code).body
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")]


def _run(code: str, where: str) -> dict[str, object]:
    namespace: dict[str, object] = {"__name__": f"doctest_{where}"}
    try:
        exec(compile(code, where, "exec"), namespace)
    except ModuleNotFoundError as exc:
        pytest.skip(f"{where} needs {exc.name}, which is not installed")
    return namespace


@pytest.mark.parametrize(("where", "code"), _doctests("script"))
def test_script_examples_run(where: str, code: str, tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _run(code, where)


@pytest.mark.parametrize(("where", "name", "code"), [
    (where, name, code) for where, code in _doctests("pytest") for name in _tests_in(code)
])
def test_pytest_examples_pass(where: str, name: str, code: str,
                              request: pytest.FixtureRequest) -> None:
    test = _run(code, where)[name]
    assert callable(test)
    fixtures = {arg: request.getfixturevalue(arg) for arg in inspect.signature(test).parameters}
    test(**fixtures)


def test_every_doctest_block_was_found() -> None:
    marked = sum(page.read_text(encoding="utf-8").count("<!-- doctest:") for page in PAGES)
    assert marked == len(_doctests("script")) + len(_doctests("pytest"))


def test_relative_links_between_docs_resolve() -> None:
    broken = []
    for page in PAGES:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if not (page.parent / target).exists():
                broken.append(f"{page.relative_to(ROOT)} -> {target}")
    assert not broken


#: ``path::test_name`` in a cell, or ``::test_name`` continuing the cell's last path.
PROOF = re.compile(r"`(?P<path>[\w./-]+\.py)?::(?P<name>test_\w+)`")
PROOF_FILE = re.compile(r"`(?P<path>(?:tests|plugins)/[\w./-]+\.py)`")


def test_every_test_named_in_the_guarantees_exists() -> None:
    """docs/guarantees.md lists only guarantees with a test: every test it names is there."""
    page = read("guarantees.md")
    named = 0
    for line in page.splitlines():
        if not line.startswith("|"):
            continue
        for whole in PROOF_FILE.finditer(line):
            assert (ROOT / whole["path"]).is_file(), whole["path"]
        current: str | None = None
        for proof in PROOF.finditer(line):
            current = proof["path"] or current
            assert current is not None, f"{proof['name']} names no file: {line[:80]}"
            source = (ROOT / current).read_text(encoding="utf-8")
            assert re.search(rf"^\s*(?:async )?def {proof['name']}\(", source, re.MULTILINE), \
                f"{current}::{proof['name']} named in docs/guarantees.md does not exist"
            named += 1
    assert named >= 40
