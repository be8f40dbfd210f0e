"""The quick mutation run CI affords: a fixed sample of mutants of the money, savings interest
and loan schedule rules, every one of which the tests must kill (``python -m mutation
--quick``; the full run, ``tox -e mutation``, is on demand: see mutation/README.md)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kopcore.testing import ON_POSTGRES

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.mutation,
    pytest.mark.skipif(ON_POSTGRES, reason="mutants run on SQLite; once per CI run is enough"),
    pytest.mark.skipif(
        any(importlib.util.find_spec(name) is None
            for name in ("kopcore_savings", "kopcore_loans")),
        reason="samples the savings and loans plugins too"),
]


def test_the_tests_kill_every_sampled_mutant_of_the_money_rules() -> None:
    environment = {k: v for k, v in os.environ.items() if k != "KOPCORE_TEST_DATABASE"}
    run = subprocess.run([sys.executable, "-m", "mutation", "--quick", "--jobs", "2"],
                         cwd=ROOT, env=environment, capture_output=True, text=True,
                         timeout=600, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "unexplained" in run.stdout  # the table was printed: the run measured something
