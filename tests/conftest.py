"""Test configuration. The fixtures (``kernel``, ``make_kernel``, ``database_url``) come from
:mod:`kopcore.testing`, a pytest plugin installed with kopcore; so do the hypothesis profiles."""

from __future__ import annotations

from kopcore.testing import START_DATE, use_hypothesis_profile

use_hypothesis_profile()

__all__ = ["START_DATE"]
