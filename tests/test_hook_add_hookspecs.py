"""kopcore_add_hookspecs: a plugin declares hooks of its own that other plugins implement."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

import kopcore
from kopcore._plugin_manager import PluginHost
from kopcore.errors import PluginError


class SchoolFees:
    """A plugin extending celengan through the hook celengan adds."""

    @kopcore.hookimpl
    def kopcore_celengan_goal_labels(self) -> Sequence[str]:
        return ["Biaya sekolah"]


def test_hook_add_hookspecs_lets_celengan_declare_a_hook_other_plugins_implement() -> None:
    host = PluginHost.load(("celengan",), extra=[("school", SchoolFees())])
    assert host.call("kopcore_celengan_goal_labels") == [("school", ["Biaya sekolah"])]
    assert host.pm.hook.kopcore_celengan_goal_labels.has_spec()


def test_hook_add_hookspecs_without_the_declaring_plugin_the_hook_is_unknown() -> None:
    with pytest.raises(PluginError, match=r"unknown hook.*kopcore_celengan_goal_labels"):
        PluginHost.load((), extra=[("school", SchoolFees())])


def test_hook_add_hookspecs_failing_stops_start_up_naming_the_plugin() -> None:
    class Broken:
        @kopcore.hookimpl
        def kopcore_add_hookspecs(self, pluginmanager: object) -> None:
            raise RuntimeError("no specs")

    with pytest.raises(PluginError, match=r"'broken' failed in kopcore_add_hookspecs"):
        PluginHost.load((), extra=[("broken", Broken())])
