"""The plugins installed in this Python environment, and which of them are test fixtures.

A distribution marks itself as a test fixture — installed for a test suite, never to be
enabled in a cooperative's books — with the classifier :data:`FIXTURE_CLASSIFIER` in its
``pyproject.toml``. The ``Private ::`` prefix also makes the package index refuse to publish it.
kopcore's example plugin ``kopcore-celengan`` is one::

    [project]
    classifiers = ["Private :: kopcore :: test fixture"]

``kopcore init``, ``kopcore demo`` and settings that leave ``plugins`` unset enable the
installed plugins that are not fixtures: the product plugins.
"""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points

from kopcore._plugin_manager import ENTRY_POINT_GROUP

#: The classifier a test fixture's distribution carries.
FIXTURE_CLASSIFIER = "Private :: kopcore :: test fixture"


def is_fixture(entry_point: EntryPoint) -> bool:
    """Whether the plugin's distribution says it is a test fixture."""
    dist = entry_point.dist
    return dist is not None and FIXTURE_CLASSIFIER in (dist.metadata.get_all("Classifier") or [])


def product_plugins() -> tuple[str, ...]:
    """Entry-point names of the installed plugins that are not test fixtures, sorted."""
    return tuple(sorted(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)
                        if not is_fixture(ep)))


__all__ = ["FIXTURE_CLASSIFIER", "is_fixture", "product_plugins"]
