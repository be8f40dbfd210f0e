"""Fixtures for the savings plugin's tests: a cooperative with only the kernel and savings.

The kernel's fixtures (``make_kernel``...) come from the ``kopcore.testing`` pytest plugin.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from savings_coop import Coop

from kopcore.kernel import Kernel
from kopcore.testing import use_hypothesis_profile

use_hypothesis_profile()


@pytest.fixture
def coop(make_kernel: Callable[..., Kernel]) -> Coop:
    return Coop(make_kernel(plugins=("savings",)))
