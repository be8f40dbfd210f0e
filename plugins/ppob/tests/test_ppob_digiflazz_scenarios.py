"""The provider scenario suite (:class:`kopcore_ppob.testing.ProviderScenarios`) with Digiflazz,
against the stand-in written from its documentation."""

from __future__ import annotations

import itertools

import pytest
from digiflazz_double import DigiflazzDouble
from kopcore_ppob.testing import Coop, ProviderScenarios, Scenario


@pytest.fixture
def scenario(digiflazz: Coop, fake: DigiflazzDouble) -> Scenario:
    return Scenario(digiflazz, fake, "DF-TSEL10", 10_125,
                    (f"0812111{n:05d}" for n in itertools.count(100)))


class TestDigiflazzScenarios(ProviderScenarios):
    pass
