"""Test configuration: hypothesis profiles. The fixtures (``kernel``, ``make_kernel``,
``database_url``) come from :mod:`kopcore.testing`, a pytest plugin installed with kopcore."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

from kopcore.testing import START_DATE

settings.register_profile(
    "ci", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
settings.register_profile(
    "dev", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "heavy", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

__all__ = ["START_DATE"]
