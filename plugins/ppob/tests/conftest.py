"""Fixtures for the PPOB plugin's tests: the kernel, ppob, and a stand-in for the savings plugin.

The kernel's fixtures (``make_kernel``...) come from the ``kopcore.testing`` pytest plugin.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from ppob_coop import Coop, SettlementStandIn

from kopcore.kernel import Kernel


@pytest.fixture
def coop(make_kernel: Callable[..., Kernel]) -> Coop:
    standin = SettlementStandIn()
    return Coop(make_kernel(plugins=("ppob",), extra_plugins=[("standin", standin)]), standin)
