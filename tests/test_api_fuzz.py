"""Fuzzing the API from its own OpenAPI document (schemathesis, in-process over ASGI).

The kernel under test has every installed product plugin enabled (savings, loans, ppob and
sharia in the default environments; one of them in a per-plugin environment), so the document
holds every operation any plugin contributes, and every one of them is fuzzed: the test asserts
that the operations it ran are exactly the document's, and the document's exactly the kernel's.

For every operation, schema-conforming requests (and, separately, requests that break the
schema) are sent with a valid administrator key, and schema-conforming ones with a member's
key. Checks: never a server error; every status is one the document lists for the operation,
with the documented content type, and every response conforms to the documented schema for its
status (problem+json included). Bounded for CI: a few examples per operation, derandomised so a
failure reproduces; ``KOPCORE_FUZZ_EXAMPLES=20`` runs the longer sweep (about 2 minutes on
SQLite). It runs on
PostgreSQL too (about as fast as on SQLite): it found there that ids beyond INTEGER were 500s.
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from kopcore.interfaces.api import make_app
from kopcore.testing import ON_POSTGRES
from tests import interfaces_support as support
from tests.interfaces_support import Env
from tests.model_support import INSTALLED

env_factory = support.env_factory

#: Examples per operation and mode; KOPCORE_FUZZ_EXAMPLES raises it for a longer local run.
#: With all four plugins (over 150 operations) four keep the two modes within about a minute on
#: SQLite; a request costs about twice as much on PostgreSQL, hence two there.
EXAMPLES = int(os.environ.get("KOPCORE_FUZZ_EXAMPLES", "2" if ON_POSTGRES else "4"))
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance,
          content_type_conformance]
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


@pytest.fixture
def env(env_factory: Any) -> Env:
    """The seeded cooperative (see interfaces_support) with every installed product plugin
    (``INSTALLED``: savings, loans, ppob and sharia, those that are installed)."""
    made: Env = env_factory(plugins=INSTALLED)
    loaded = {plugin.name for plugin in made.kernel.plugins.loaded}
    assert set(INSTALLED) <= loaded, (INSTALLED, loaded)
    return made


def _fuzz(env: Env, mode: GenerationMode, user: str = "admin", examples: int = EXAMPLES
          ) -> tuple[list[str], Counter[int]]:
    app = make_app(env.kernel)
    schema = schemathesis.openapi.from_asgi("/docs/openapi.json", app)
    headers = env.headers(user)
    failures: list[str] = []
    statuses: Counter[int] = Counter()
    operations = [result.ok() for result in schema.get_all_operations()]
    fuzzed: set[tuple[str, str]] = set()

    # Every operation of the document is fuzzed, and the document is every operation the
    # kernel registered (kernel and plugins alike): nothing is left out on either side.
    document = env.client.get("/docs/openapi.json").json()
    documented = {(method.upper(), path) for path, item in document["paths"].items()
                  for method in item if method in HTTP_METHODS}
    registered = {("POST" if op.value.mutates else "GET", op.value.path)
                  for op in env.kernel.plugins.operations.values()}
    assert documented == registered, (documented ^ registered)
    for plugin in INSTALLED:
        assert any(path.startswith(f"/api/v1/{plugin}/") for _, path in documented), plugin

    for operation in operations:
        fuzzed.add((operation.method.upper(), operation.path))
        # End of day catching up a year per example would dominate the run; its input space
        # (one optional date) is covered by the API tests.
        if operation.path == "/api/v1/eod/run" and mode is GenerationMode.POSITIVE:
            continue

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        def run(case: Any) -> None:
            response = case.call(headers=headers)
            statuses[response.status_code] += 1
            case.validate_response(response, checks=CHECKS, headers=headers)

        try:
            run()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert fuzzed == documented, (fuzzed ^ documented)
    return failures, statuses


def test_schema_conforming_requests(env: Env) -> None:
    failures, statuses = _fuzz(env, GenerationMode.POSITIVE)
    assert not failures, "\n\n".join(failures)
    # The run reached the handlers, not only the validators: at least one request in six
    # succeeded.
    assert 6 * statuses[200] >= EXAMPLES * len(env.kernel.plugins.operations), statuses


def test_schema_breaking_requests(env: Env) -> None:
    failures, statuses = _fuzz(env, GenerationMode.NEGATIVE)
    assert not failures, "\n\n".join(failures)
    assert sum(n for status, n in statuses.items() if 400 <= status < 500) > 100, statuses


def test_a_members_requests(env: Env) -> None:
    # A member's key (the review reproduced its 500s with one): schema-conforming requests to
    # every operation, most refused for the role, none a server error or outside the document.
    failures, statuses = _fuzz(env, GenerationMode.POSITIVE, user=support.USER["member"],
                               examples=max(1, EXAMPLES // 2))
    assert not failures, "\n\n".join(failures)
    assert statuses[403] > statuses[200] > 0, statuses
