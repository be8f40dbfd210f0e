"""Test runs with one mutant loaded, each in a forked child of a process that imported the
heavy libraries once.

Starting pytest with kopcore's plugins costs seconds of imports (SQLAlchemy, Litestar,
hypothesis, the pytest plugins); a module's own tests often take less. :func:`preload` imports
all of it in the parent and then forgets the repository's own modules, so every child imports
kopcore and the plugins afresh, the mutated module included, from the loader that
:func:`install` puts first on ``sys.meta_path``. Nothing is written to the source tree: a run
stopped half-way leaves no mutant behind.
"""

from __future__ import annotations

import contextlib
import gc
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
import threading
import traceback
from collections.abc import Sequence
from importlib.metadata import entry_points
from pathlib import Path
from types import CodeType, FrameType
from typing import Any

import attrs

from mutation.mutants import mutate

ROOT = Path(__file__).resolve().parent.parent
#: Exit status of a child whose mutant was never imported by the tests (a wrong test list).
NOT_LOADED = 90
#: The database and hypothesis profile of every run: SQLite files, CI's bounded examples.
ENVIRONMENT = {"KOPCORE_TEST_DATABASE": "sqlite", "HYPOTHESIS_PROFILE": "ci"}
#: The server of the PostgreSQL runs (a target's ``postgresql_tests``); each run creates and
#: drops a database of its own there (kopcore.testing).
POSTGRESQL = os.environ.get("KOPCORE_MUTATION_POSTGRESQL",
                            "postgresql://postgres@127.0.0.1:5432/postgres")
#: Plain asserts: pytest's assertion rewriting would load the kopcore package itself (a pytest
#: plugin's distribution) ahead of the mutant's loader. No pytest-timeout: each run has its own.
PYTEST_OPTIONS = ("-x", "-q", "--no-header", "--assert=plain",
                  "-p", "no:cacheprovider", "-p", "no:timeout")


@attrs.frozen
class Job:
    """One pytest run: the module's tests with mutant ``number`` (None: the module as it is)."""

    module: str
    path: Path
    #: The module's source as the mutants were numbered from it (the file may change meanwhile).
    source: str
    number: int | None
    tests: tuple[str, ...]
    log: Path
    #: Where to write the first lines of the module's functions the tests called (a baseline).
    calls: Path | None = None
    #: ``sqlite``, or a PostgreSQL URL (KOPCORE_TEST_DATABASE of the run).
    database: str = "sqlite"


def module_name(path: Path) -> str:
    """The dotted name of the module at ``path``: its folder and the packages above it."""
    parts = [path.stem]
    folder = path.parent
    while (folder / "__init__.py").exists():
        parts.insert(0, folder.name)
        folder = folder.parent
    return ".".join(parts)


def preload() -> None:
    """Import what a test run imports, then drop the repository's own modules again."""
    os.environ.update(ENVIRONMENT)
    import pytest  # noqa: F401  (the point is the import)

    for group in ("pytest11", "kopcore"):
        for point in entry_points(group=group):
            try:
                point.load()
            except Exception:  # noqa: S112  (a plugin that fails here fails in its run)
                continue
    for name in ("kopcore.kernel", "kopcore.interfaces.api", "kopcore.cli"):
        importlib.import_module(name)
    installed = Path(sys.prefix).resolve()
    for name, module in list(sys.modules.items()):
        if name == "mutation" or name.startswith("mutation."):
            continue
        file = getattr(module, "__file__", None)
        if file and (where := Path(file).resolve()).is_relative_to(ROOT) and not (
                where.is_relative_to(installed)):
            del sys.modules[name]
    # What is left lives as long as the parent: keep the children's collections from
    # walking it (each test session ends with several gc.collect()).
    gc.collect()
    gc.freeze()


class _MutantLoader(importlib.machinery.SourceFileLoader):
    def __init__(self, fullname: str, path: str, code: CodeType) -> None:
        super().__init__(fullname, path)
        self.code = code
        self.loaded = False

    def get_code(self, fullname: str) -> CodeType:
        self.loaded = True
        return self.code


class _MutantFinder(importlib.abc.MetaPathFinder):
    def __init__(self, loader: _MutantLoader) -> None:
        self.loader = loader

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if fullname != self.loader.name:
            return None
        return importlib.util.spec_from_file_location(fullname, self.loader.path,
                                                      loader=self.loader)


def install(job: Job) -> _MutantLoader:
    """Make the next import of the job's module load its mutant (or its compiled source)."""
    tree: Any = job.source if job.number is None else mutate(job.source, job.number)
    code = compile(tree, str(job.path), "exec", dont_inherit=True)
    loader = _MutantLoader(job.module, str(job.path), code)
    sys.meta_path.insert(0, _MutantFinder(loader))
    return loader


def _record_calls(path: Path) -> set[int]:
    """Trace calls into the file ``path``: the first line of each function code called."""
    called: set[int] = set()
    filename = str(path)

    def tracer(frame: FrameType, event: str, arg: Any) -> None:
        if event == "call" and frame.f_code.co_filename == filename:
            called.add(frame.f_code.co_firstlineno)

    sys.settrace(tracer)
    threading.settrace(tracer)
    return called


def _child(job: Job) -> int:
    log = os.open(job.log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.chdir(ROOT)
    # Read by kopcore.testing, which the child imports afresh (preload forgets it).
    os.environ["KOPCORE_TEST_DATABASE"] = job.database
    import pytest

    loader = install(job)
    called = _record_calls(job.path) if job.calls is not None else None
    status = int(pytest.main([*PYTEST_OPTIONS, *job.tests]))
    sys.settrace(None)
    if called is not None and job.calls is not None:
        job.calls.write_text(json.dumps(sorted(called)), encoding="utf-8")
    if not loader.loaded:
        print(f"mutation: the tests never imported {job.module}", flush=True)
        status = NOT_LOADED
    return status


def start(job: Job) -> int:
    """Fork a child that runs the job; return its process id (also its process group)."""
    pid = os.fork()
    if pid:
        with contextlib.suppress(OSError):  # the child may have done it already
            os.setpgid(pid, pid)
        return pid
    status = 3
    try:
        os.setpgid(0, 0)
        status = _child(job)
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
