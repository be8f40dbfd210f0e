"""The dependency audit's decisions (.ci/audit.py), on canned pip-audit output and the package
index's JSON."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / ".ci" / "audit.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("kopcore_ci_audit", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses look the module up by name while the class bodies run.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


audit = _load()

ADVISORY = {
    "id": "GHSA-aaaa-bbbb-cccc",
    "aliases": ["CVE-2026-0001"],
    "summary": "request smuggling",
    "fixed_in": ["2.4.1", "2.5.0"],
    "withdrawn": None,
}
WITHDRAWN = {**ADVISORY, "id": "PYSEC-2026-7", "withdrawn": "2026-03-01T00:00:00Z"}


def project(latest: str, *vulns: dict[str, Any]) -> dict[str, Any]:
    return {"info": {"name": "x", "version": latest}, "vulnerabilities": list(vulns)}


def fetcher(projects: Mapping[str, Any]) -> Callable[[str, float], Mapping[str, Any]]:
    """The package index's stand-in: a dict per project, NotOnIndex for missing ones, or an
    exception."""

    def fetch(name: str, timeout: float) -> Mapping[str, Any]:
        answer = projects.get(name)
        if answer is None:
            raise audit.NotOnIndex(name)
        if isinstance(answer, BaseException):
            raise answer
        return answer  # type: ignore[no-any-return]

    return fetch


def unavailable(timeout: float) -> Any:
    return audit.PipAuditResult("unavailable", reason="Could not connect to the package index")


def run(
    capsys: pytest.CaptureFixture[str],
    installed: dict[str, str],
    projects: Mapping[str, Any],
    *,
    ci: bool,
    pip_audit: Callable[[float], Any] = unavailable,
) -> tuple[int, str]:
    code = audit.main(
        [],
        environ={"CI": "true"} if ci else {},
        pip_audit=pip_audit,
        dists=lambda: [audit.Installed(n, v) for n, v in installed.items()],
        fetch=fetcher(projects),
    )
    return code, capsys.readouterr().out


@pytest.mark.parametrize("ci", [True, False])
def test_vulnerable_latest_release_fails(capsys: pytest.CaptureFixture[str], ci: bool) -> None:
    code, out = run(
        capsys,
        {"httpx": "2.4.0", "click": "8.3.0"},
        {"httpx": project("2.4.0", ADVISORY), "click": project("8.3.0")},
        ci=ci,
    )
    assert code == 1
    assert "VULNERABLE httpx 2.4.0: GHSA-aaaa-bbbb-cccc (fixed in 2.4.1, 2.5.0)" in out
    assert "click" not in out
    assert "2 of 2 distributions checked" in out


def test_clean_latest_releases_pass(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, {"click": "8.3.0"}, {"click": project("8.3.0")}, ci=True)
    assert code == 0
    assert "1 of 1 distributions checked against their latest release's advisories" in out


def test_withdrawn_advisory_is_ignored(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, {"httpx": "2.4.0"}, {"httpx": project("2.4.0", WITHDRAWN)}, ci=True)
    assert code == 0
    assert "PYSEC-2026-7" not in out
    # The same answer with a live advisory beside the withdrawn one fails, listing only that one.
    code, out = run(
        capsys, {"httpx": "2.4.0"}, {"httpx": project("2.4.0", WITHDRAWN, ADVISORY)}, ci=True
    )
    assert code == 1
    assert "GHSA-aaaa-bbbb-cccc" in out
    assert "PYSEC-2026-7" not in out


def test_older_release_is_reported_not_failed(capsys: pytest.CaptureFixture[str]) -> None:
    # The latest release's advisory says nothing about 2.3.9, so no verdict on it either way.
    code, out = run(capsys, {"httpx": "2.3.9"}, {"httpx": project("2.10.0", ADVISORY)}, ci=True)
    assert code == 0
    assert (
        "not checked: httpx 2.3.9 (older than the latest release 2.10.0, whose advisories "
        "the package index gives here only for the latest)"
    ) in out
    assert "GHSA" not in out
    assert "0 of 1 distributions checked" in out


def test_project_unknown_to_the_package_index_is_reported(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, {"in-house": "1.0"}, {}, ci=True)
    assert code == 0
    assert "not checked: in-house 1.0 (not on the package index)" in out


def test_unreachable_package_index_fails_in_ci(capsys: pytest.CaptureFixture[str]) -> None:
    down = TimeoutError("timed out")
    code, out = run(capsys, {"httpx": "2.4.0", "click": "8.3.0"}, {"httpx": down, "click": down},
                    ci=True)  # fmt: skip
    assert code == 1
    assert "not checked: any of them (the package index: timed out)" in out
    assert "FAILED: the package index could not be reached, nothing was audited (CI=true)" in out


def test_unreachable_package_index_is_skipped_outside_ci(
        capsys: pytest.CaptureFixture[str]) -> None:
    down = OSError("Name or service not known")
    code, out = run(capsys, {"httpx": "2.4.0"}, {"httpx": down}, ci=False)
    assert code == 0
    assert "skipped: the package index could not be reached, nothing was audited (not in CI)" in out
    # One project unreachable among reachable ones still fails CI: it was not audited.
    code, out = run(
        capsys, {"httpx": "2.4.0", "click": "8.3.0"}, {"httpx": down, "click": project("8.3.0")},
        ci=True,
    )  # fmt: skip
    assert code == 1
    assert "not checked: httpx 2.4.0 (the package index: Name or service not known)" in out
    assert "not everything was audited" in out


def test_vulnerabilities_outside_ci_still_fail(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(
        capsys,
        {"httpx": "2.4.0", "click": "8.3.0"},
        {"httpx": project("2.4.0", ADVISORY), "click": OSError("reset")},
        ci=False,
    )
    assert code == 1
    assert "VULNERABLE httpx 2.4.0" in out


# --- pip-audit comes first and its verdict stands -----------------------------------------------

PIP_AUDIT_VULNERABLE = {
    "dependencies": [
        {"name": "httpx", "version": "2.3.9", "vulns": [
            {"id": "GHSA-aaaa-bbbb-cccc", "fix_versions": ["2.4.1"]},
        ]},
        {"name": "click", "version": "8.3.0", "vulns": []},
    ],
    "fixes": [],
}  # fmt: skip
NOT_FOUND = "Dependency not found on the package index and could not be audited"
PIP_AUDIT_SKIPPED_ALL = {
    "dependencies": [
        {"name": "httpx", "skip_reason": NOT_FOUND},
        {"name": "click", "skip_reason": NOT_FOUND},
    ],
    "fixes": [],
}


def test_pip_audit_output_is_read() -> None:
    interpret = audit.interpret_pip_audit
    assert interpret(0, "", "No known vulnerabilities found").status == "clean"
    found = interpret(1, json.dumps(PIP_AUDIT_VULNERABLE), "Found 1 known vulnerability")
    assert found.status == "vulnerable"
    assert found.lines == ("httpx 2.3.9: GHSA-aaaa-bbbb-cccc (fixed in 2.4.1)",)
    skipped = interpret(0, json.dumps(PIP_AUDIT_SKIPPED_ALL), "")
    assert skipped.status == "incomplete"
    assert skipped.skipped == {"httpx", "click"}
    # Exit code 1 without a report: it stopped before auditing (e.g. its service unreachable).
    stopped = interpret(1, "", "ERROR:pip_audit._cli:Tip: your network may be blocking this")
    assert stopped.status == "unavailable"
    assert "blocking" in stopped.reason


def test_pip_audit_verdict_stands(capsys: pytest.CaptureFixture[str]) -> None:
    def vulnerable(timeout: float) -> Any:
        return audit.interpret_pip_audit(1, json.dumps(PIP_AUDIT_VULNERABLE), "")

    def clean(timeout: float) -> Any:
        return audit.interpret_pip_audit(0, "", "")

    # The project JSON (no advisory for the latest release) is not asked: pip-audit decided.
    answers = {"httpx": project("2.4.1"), "click": project("8.3.0")}
    code, out = run(capsys, {"httpx": "2.3.9", "click": "8.3.0"}, answers, ci=True,
                    pip_audit=vulnerable)  # fmt: skip
    assert code == 1
    assert "VULNERABLE httpx 2.3.9: GHSA-aaaa-bbbb-cccc (fixed in 2.4.1)" in out
    code, out = run(capsys, {"httpx": "2.3.9"}, {}, ci=True, pip_audit=clean)
    assert code == 0
    assert "pip-audit: no known vulnerabilities" in out


def test_dependencies_pip_audit_skipped_go_to_the_fallback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def skipped_httpx(timeout: float) -> Any:
        return audit.PipAuditResult("incomplete", skipped=frozenset({"httpx"}))

    # click was audited by pip-audit; only httpx is asked of the project JSON (click's answer
    # would fail the run if it were asked).
    code, out = run(
        capsys,
        {"httpx": "2.4.0", "click": "8.3.0"},
        {"httpx": project("2.4.0", ADVISORY), "click": project("8.3.0", ADVISORY)},
        ci=True,
        pip_audit=skipped_httpx,
    )
    assert code == 1
    assert "VULNERABLE httpx 2.4.0" in out
    assert "click" not in out


def test_only_this_checkouts_projects_skipped_is_a_complete_audit(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def skipped_plugin(timeout: float) -> Any:
        return audit.PipAuditResult("incomplete", skipped=frozenset({"kopcore-savings"}))

    # kopcore-savings is editable, so not among the installed third-party distributions.
    code, out = run(capsys, {"click": "8.3.0"}, {}, ci=True, pip_audit=skipped_plugin)
    assert code == 0
    assert "pip-audit: no known vulnerabilities in 1 distributions" in out


def test_the_package_index_host_is_written_nowhere() -> None:
    """Prose, comments and docs say "the package index"; the audit spells its host from parts."""
    root = Path(__file__).resolve().parent.parent
    host = ".".join(("pypi", "org"))
    skipped = {".venv", ".tox", ".git", "__pycache__", ".mypy_cache", ".ruff_cache",
               ".pytest_cache", ".hypothesis", "test-artifacts"}
    found = []
    for path in root.rglob("*"):
        if not path.is_file() or skipped & set(path.relative_to(root).parts) or \
                path.suffix not in {".py", ".md", ".toml", ".ini", ".txt", ".cfg", ".po", ""}:
            continue
        for number, line in enumerate(path.read_text("utf-8", errors="replace").splitlines(), 1):
            if host in line.lower():
                found.append(f"{path.relative_to(root)}:{number}")
    assert found == []
