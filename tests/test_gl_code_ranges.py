"""GL code ranges: each of kopcore's plugins declares its GL codes within the ranges published
for it (``kopcore.records.GL_CODE_RANGES``, the table in docs/plugin-guide.md); any other
plugin, within the free ranges."""

from __future__ import annotations

import re
from importlib.metadata import entry_points
from pathlib import Path

from kopcore._plugin_manager import PluginHost
from kopcore.records import GL_CODE_RANGES

ROOT = Path(__file__).resolve().parent.parent
FIRST, LAST = 1000, 5999

Ranges = list[tuple[int, int]]


def taken() -> list[tuple[int, int, str]]:
    return sorted((low, high, owner) for owner, ranges in GL_CODE_RANGES.items()
                  for low, high in ranges)


def free_ranges() -> Ranges:
    """What no range takes, from 1000 to 5999, split where the type (first digit) changes."""
    free = []
    for first in range(FIRST // 1000, LAST // 1000 + 1):
        start, end = first * 1000, first * 1000 + 999
        for low, high, _owner in taken():
            if low // 1000 != first:
                continue
            if low > start:
                free.append((start, low - 1))
            start = high + 1
        if start <= end:
            free.append((start, end))
    return free


def within(code: str, ranges: Ranges) -> bool:
    return code.isdigit() and any(low <= int(code) <= high for low, high in ranges)


def owner_of(plugin: str) -> str:
    """The kernel's built-in plugins (``kopcore.chart``, ``kopcore.yearend``) share its ranges."""
    return "kopcore" if plugin.startswith("kopcore.") else plugin


def test_the_published_ranges_are_ordered_within_one_type_and_never_overlap() -> None:
    previous_high = FIRST - 1
    for low, high, owner in taken():
        assert FIRST <= low <= high <= LAST, owner
        assert low // 1000 == high // 1000, f"{owner}: {low}-{high} spans two types"
        assert low > previous_high, f"{owner}: {low}-{high} overlaps the range before it"
        previous_high = high


def test_every_gl_code_an_installed_plugin_declares_is_in_its_published_range() -> None:
    installed = tuple(ep.name for ep in entry_points(group="kopcore"))
    host = PluginHost.load(installed)
    outside = []
    checked = set()
    for plugin, specs in host.call("kopcore_gl_accounts"):
        owner = owner_of(plugin)
        ranges = list(GL_CODE_RANGES.get(owner, ())) or free_ranges()
        checked.add(owner)
        outside += [f"{plugin}: {spec.key} {spec.code}" for spec in specs
                    if not within(spec.code, ranges)]
    assert outside == [], "GL codes outside the plugin's published ranges"
    assert "kopcore" in checked
    # Whichever of kopcore's plugins are installed here were checked against their own ranges.
    assert set(GL_CODE_RANGES) & set(installed) <= checked


def test_the_plugin_guide_publishes_the_ranges() -> None:
    guide = (ROOT / "docs" / "plugin-guide.md").read_text(encoding="utf-8")
    section = guide.split("### GL codes\n", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (\d{4})(?:-(\d{4}))? \| `?(\w+)`? \|", section, re.MULTILINE)
    published = [(int(low), int(high or low), owner) for low, high, owner in rows]
    assert [r for r in published if r[2] != "free"] == taken()
    assert [(low, high) for low, high, owner in published if owner == "free"] == free_ranges()
