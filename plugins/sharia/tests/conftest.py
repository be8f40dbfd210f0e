"""Fixtures for the sharia plugin's tests; the kernel's come from ``kopcore.testing``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date

import pytest
from sharia_coop import Coop

from kopcore.kernel import Kernel
from kopcore.settings import Settings
from kopcore.testing import use_hypothesis_profile

use_hypothesis_profile()


@pytest.fixture
def coop(make_kernel: Callable[..., Kernel]) -> Coop:
    return Coop(make_kernel(plugins=("sharia",)))


@pytest.fixture
def coop_from(database_url: str) -> Iterator[Callable[[date], Coop]]:
    """A cooperative whose first business date is chosen by the test (a month end, so a whole
    month closes without a month of end-of-day runs first)."""
    kernels: list[Kernel] = []

    def start(day: date) -> Coop:
        kernels.append(Kernel.start(Settings(database_url=database_url, plugins=("sharia",)),
                                    migrate=True, initial_date=day))
        return Coop(kernels[-1])

    yield start
    for kernel in kernels:
        kernel.close()
