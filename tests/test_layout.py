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


def test_every_plugin_is_registered_where_the_repository_lists_plugins() -> None:
    """A plugin directory is installed by dev.py, by every tox env and type-checked: one left
    out of a list is silently never tested."""
    dev = (ROOT / "dev.py").read_text(encoding="utf-8")
    tox = (ROOT / "tox.ini").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for plugin in sorted(p for p in (ROOT / "plugins").iterdir() if p.is_dir()):
        assert f'"{plugin.name}"' in dev, f"dev.py PLUGINS lacks {plugin.name}"
        assert f"-e plugins/{plugin.name}\n" in tox, f"tox.ini deps lack {plugin.name}"
        assert f"mypy plugins/{plugin.name}/kopcore_{plugin.name}" in tox, plugin.name
        assert f"[testenv:plugin-{plugin.name}]" in tox, plugin.name
        assert f"(plugins/{plugin.name}/README.md)" in readme, plugin.name
