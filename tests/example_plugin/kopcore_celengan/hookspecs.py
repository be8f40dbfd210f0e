"""Celengan's own hook, added to kopcore through ``kopcore_add_hookspecs``.

Another plugin (a school-fees plugin, a hajj-savings plugin...) may suggest names for goals::

    @kopcore.hookimpl
    def kopcore_celengan_goal_labels():
        return ["Biaya sekolah", "Tabungan haji"]
"""

from __future__ import annotations

from collections.abc import Sequence

import pluggy

hookspec = pluggy.HookspecMarker("kopcore")


@hookspec
def kopcore_celengan_goal_labels() -> Sequence[str]:  # type: ignore[empty-body]
    """Return goal names to suggest when a member opens a celengan."""
