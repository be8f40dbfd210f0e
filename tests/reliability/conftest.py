"""Fixtures of the reliability tests: subprocesses that are always killed at the end.

The tests run a cooperative with the savings and loans plugins; where either is not installed
(the per-plugin tox envs) they are skipped with that reason.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.support import Processes

HERE = Path(__file__).parent
MISSING = [name for name in ("kopcore_savings", "kopcore_loans")
           if importlib.util.find_spec(name) is None]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not MISSING:
        return
    skip = pytest.mark.skip(reason=f"needs the savings and loans plugins ({', '.join(MISSING)} "
                                   "not installed)")
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(skip)


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    """Start subprocesses through this; every process group it started is SIGKILLed at the end,
    whatever the test's outcome. Their output is in ``tmp_path/logs``."""
    logs = tmp_path / "logs"
    logs.mkdir()
    started = Processes(logs)
    try:
        yield started
    finally:
        started.close()
