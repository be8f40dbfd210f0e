"""Fixtures for the loans plugin's tests. ``kernel``/``make_kernel`` come from
:mod:`kopcore.testing` (a pytest plugin installed with kopcore)."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from kopcore.kernel import Kernel
from kopcore.testing import KernelFactory

settings.register_profile(
    "loans", max_examples=15, deadline=None, derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "loans-heavy", max_examples=200, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "loans"))


@pytest.fixture
def loans_kernel(make_kernel: KernelFactory) -> Kernel:
    """A kernel with the loans plugin enabled (and nothing else)."""
    return make_kernel(plugins=("loans",))
