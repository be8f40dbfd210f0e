"""The hook contract cannot rot: every hook in kopcore/hookspecs.py is documented in its
docstring and in docs/hooks.md, implemented by the example plugin, and exercised by a test.

A test "exercises" a hook when its function is named ``test_hook_<hook without kopcore_>``
(optionally followed by ``_<what it shows>``), as datasette does for its plugin hooks. Each test
below fails listing every hook that is missing something, so adding a hook tells you all the
places it must appear.
"""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kopcore import hookspecs
from kopcore._plugin_manager import PluginHost

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
HOOKS_DOC = ROOT / "docs" / "hooks.md"


def hookspec_functions() -> dict[str, Callable[..., Any]]:
    return {name: fn for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
            if getattr(fn, "kopcore_spec", None) is not None}


HOOKS = sorted(hookspec_functions())


def test_the_hook_list_is_what_pluggy_knows() -> None:
    pm = PluginHost().pm
    known = sorted(name for name in vars(pm.hook) if getattr(pm.hook, name).has_spec())
    assert known == HOOKS
    assert all(name.startswith("kopcore_") for name in HOOKS)


def test_every_hook_has_a_docstring_describing_each_parameter() -> None:
    problems = []
    for name, fn in hookspec_functions().items():
        doc = inspect.getdoc(fn) or ""
        if not doc.strip():
            problems.append(f"{name}: no docstring")
            continue
        if not doc.splitlines()[0].rstrip().endswith("."):
            problems.append(f"{name}: the first line is not a one-sentence summary")
        for param in inspect.signature(fn).parameters:
            if f":param {param}:" not in doc:
                problems.append(f"{name}: parameter {param!r} has no ':param {param}:'")
        if fn.kopcore_spec.get("firstresult") and "first" not in doc:  # type: ignore[attr-defined]
            problems.append(f"{name}: firstresult, but the docstring does not say so")
    assert problems == [], "hookspec docstrings:\n  " + "\n  ".join(problems)


def test_every_hook_has_a_section_in_docs_hooks_md() -> None:
    assert HOOKS_DOC.exists(), f"{HOOKS_DOC.relative_to(ROOT)} is missing"
    headings = [line for line in HOOKS_DOC.read_text(encoding="utf-8").splitlines()
                if line.startswith("#")]
    missing = [name for name in HOOKS
               if not any(re.search(rf"\b{name}\b", heading) for heading in headings)]
    assert missing == [], f"docs/hooks.md has no heading for: {', '.join(missing)}"


def test_the_example_plugin_implements_every_hook() -> None:
    import kopcore_celengan as celengan  # installed by: pip install -e tests/example_plugin

    missing = [name for name in HOOKS
               if getattr(getattr(celengan, name, None), "kopcore_impl", None) is None]
    assert missing == [], f"kopcore-celengan does not implement: {', '.join(missing)}"


def names_of_tests() -> set[str]:
    """Names of every test function in tests/test_*.py except this file."""
    found: set[str] = set()
    for path in sorted(TESTS.glob("test_*.py")):
        if path.name == Path(__file__).name:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and \
                    node.name.startswith("test_"):
                found.add(node.name)
    return found


def test_every_hook_is_exercised_by_a_test() -> None:
    names = names_of_tests()
    missing = []
    for hook in HOOKS:
        stem = "test_hook_" + hook.removeprefix("kopcore_")
        if not any(name == stem or name.startswith(stem + "_") for name in names):
            missing.append(f"{hook} (write a test named {stem}_...)")
    assert missing == [], "hooks without a test:\n  " + "\n  ".join(missing)


def _documented_signatures() -> dict[str, tuple[str, bool]]:
    """Each hook's signature as docs/hooks.md shows it under its heading: the ``def`` line(s)
    of the first Python block, and whether the block marks it firstresult."""
    text = HOOKS_DOC.read_text(encoding="utf-8")
    found: dict[str, tuple[str, bool]] = {}
    for section in re.split(r"^## ", text, flags=re.MULTILINE)[1:]:
        name = section.split("\n", 1)[0].strip()
        block = re.search(r"```python\n(?P<code>.*?)```", section, re.DOTALL)
        if not name.startswith("kopcore_") or block is None:
            continue
        code = block["code"]
        signature = re.search(rf"def {name}\((?P<sig>.*?)\)\s*(->\s*(?P<ret>[^\n:]+))?\n",
                              code, re.DOTALL)
        if signature is not None:
            text_sig = f"({signature['sig']}) -> {(signature['ret'] or 'None').strip()}"
            found[name] = (" ".join(text_sig.split()), "firstresult=True" in code)
    return found


def _spec_signature(fn: Callable[..., Any]) -> str:
    signature = inspect.signature(fn)
    params = ", ".join(f"{p.name}: {p.annotation}" for p in signature.parameters.values())
    return f"({params}) -> {signature.return_annotation}"


def test_each_hooks_documented_signature_is_its_specification() -> None:
    documented = _documented_signatures()
    problems = []
    for name, fn in hookspec_functions().items():
        if name not in documented:
            problems.append(f"{name}: no `def {name}(...)` block under its heading")
            continue
        shown, first = documented[name]
        wanted = _spec_signature(fn)
        if shown.replace(", )", ")") != wanted:
            problems.append(f"{name}: docs/hooks.md shows {shown}, the spec is {wanted}")
        if first != bool(fn.kopcore_spec.get("firstresult")):  # type: ignore[attr-defined]
            problems.append(f"{name}: firstresult differs between docs/hooks.md and the spec")
    assert problems == [], "docs/hooks.md signatures:\n  " + "\n  ".join(problems)
