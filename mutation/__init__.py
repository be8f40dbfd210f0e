"""Mutation testing of kopcore's money-critical modules: do the tests catch a wrong rupiah?

``python -m mutation`` (``tox -e mutation``) makes small deliberate bugs in each module listed
in ``targets.toml`` — a flipped comparison, a constant off by one, a swapped rounding mode, a
deleted statement, ``and`` for ``or`` (:mod:`mutation.mutants`) — and runs that module's own
tests against each, one mutant at a time, on SQLite with the CI hypothesis profile
(:mod:`mutation.worker`). A mutant is *killed* when a test fails. The score of a module is
killed / mutants; every survivor must be explained as equivalent in ``equivalent.toml`` or
killed by a new test. See ``mutation/README.md``.
"""
