"""The repository's layout rules that a new plugin could break without noticing."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_plugin_test_modules_have_unique_names() -> None:
    """Plugins' test folders are not packages, so pytest imports their modules by file name:
    two plugins with the same test or helper module name break collection of the whole suite."""
    seen: dict[str, list[str]] = defaultdict(list)
    for path in sorted(ROOT.glob("plugins/*/tests/*.py")):
        if path.name != "conftest.py":
            seen[path.name].append(str(path.relative_to(ROOT)))
    clashes = {name: paths for name, paths in seen.items() if len(paths) > 1}
    assert clashes == {}, f"rename these so each name is unique (prefix the plugin): {clashes}"


def test_every_plugin_is_its_own_distribution_with_an_entry_point() -> None:
    for plugin in sorted((ROOT / "plugins").iterdir()):
        if not plugin.is_dir():
            continue
        text = (plugin / "pyproject.toml").read_text(encoding="utf-8")
        assert '[project.entry-points.kopcore]' in text, plugin.name
        assert f'{plugin.name} = "kopcore_{plugin.name}"' in text, plugin.name
