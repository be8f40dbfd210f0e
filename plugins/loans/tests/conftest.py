"""Fixtures for the loans plugin's tests. ``kernel``/``make_kernel`` come from
:mod:`kopcore.testing` (a pytest plugin installed with kopcore)."""

from __future__ import annotations

import pytest

from kopcore.kernel import Kernel
from kopcore.testing import KernelFactory, use_hypothesis_profile

use_hypothesis_profile()


@pytest.fixture
def loans_kernel(make_kernel: KernelFactory) -> Kernel:
    """A kernel with the loans plugin enabled (and nothing else)."""
    return make_kernel(plugins=("loans",))
