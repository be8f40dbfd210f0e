"""Fixtures for the sharia plugin's tests; the kernel's come from ``kopcore.testing``."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sharia_coop import Coop

from kopcore.kernel import Kernel


@pytest.fixture
def coop(make_kernel: Callable[..., Kernel]) -> Coop:
    return Coop(make_kernel(plugins=("sharia",)))
