"""Fixtures for the payroll plugin's tests: a KPRI with savings and loans, or without loans.

The kernel's fixtures (``make_kernel``...) come from the ``kopcore.testing`` pytest plugin.
"""

from __future__ import annotations

import pytest
from payroll_coop import Kpri

from kopcore.testing import KernelFactory, use_hypothesis_profile

use_hypothesis_profile()


@pytest.fixture
def kpri(make_kernel: KernelFactory) -> Kpri:
    return Kpri(make_kernel(plugins=("savings", "loans", "payroll")), loans=True)


@pytest.fixture
def kpri_without_loans(make_kernel: KernelFactory) -> Kpri:
    return Kpri(make_kernel(plugins=("savings", "payroll")), loans=False)


@pytest.fixture
def kpri_without_savings(make_kernel: KernelFactory) -> Kpri:
    return Kpri(make_kernel(plugins=("loans", "payroll")), loans=True, savings=False)
