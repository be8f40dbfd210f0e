"""Audit the installed third-party distributions for known vulnerabilities (tox env ``audit``).

    python .ci/audit.py [--environment VENV] [--timeout SECONDS] [--fallback-only]

It audits the virtual environment VENV (by default the one running it): tox's ``audit`` env
passes ``.venv``, the environment ``dev.py`` builds from the same pyproject files as the test
envs (the kernel and the plugins with their runtime requirements and the test, lint and types
extras), so the audit needs no installation of its own beyond pip-audit.

pip-audit does the audit and its verdict stands: advisories found fail the run. It is asked to use
the package index's per-release JSON API (:data:`INDEX_SERVICE`). Some networks do not let that
API through (a package mirror or proxy that answers 404 for it) and OSV, pip-audit's other
service, is not always reachable either; pip-audit then skips every dependency and would report
success having checked nothing. The distributions it could not check are audited here instead,
against the package index's project JSON (:data:`PROJECT_URL`), which carries the advisories of
the project's LATEST release only:

- installed version is the latest release: its advisories (withdrawn ones ignored) are checked,
  and any advisory fails the run, listing package, version, advisory id and fixed versions;
- installed version is not the latest (a pin, or a mirror lagging behind the package index):
  reported as not checked, not a failure. The project JSON cannot tell whether that release is
  affected; pinning an older release is a decision made elsewhere, and failing on every pin
  would make the audit fail for reasons unrelated to security;
- a project the package index does not know: reported as not checked;
- the package index cannot be reached (for any distribution): a failure when ``CI=true``, since
  an audit that silently checks nothing is worse than a red build; elsewhere the reason is
  printed and the exit code is 0, so that working offline stays possible.

Exit code 0 when nothing known is found (or, outside CI, when the audit could not be done),
1 otherwise. Standard library only.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import subprocess
import sys
import sysconfig
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path
from typing import Any

#: The package index's host, spelled from its parts so that the project names no registry.
INDEX_HOST = ".".join(("pypi", "org"))
#: The package index's JSON API for one project (the advisories of its latest release).
PROJECT_URL = "https://" + INDEX_HOST + "/pypi/{name}/json"
#: pip-audit's name for the package index's per-release advisory service.
INDEX_SERVICE = "pypi"
#: Seconds for one request to the package index.
DEFAULT_TIMEOUT = 15.0
#: Seconds for the whole pip-audit run before it counts as unable to reach its service.
PIP_AUDIT_TIME_LIMIT = 180.0
WORKERS = 8


@dataclasses.dataclass(frozen=True)
class Installed:
    name: str
    version: str


@dataclasses.dataclass(frozen=True)
class Advisory:
    id: str
    fixed_in: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class Finding:
    """The outcome for one distribution.

    ``status`` is one of ``clean``, ``vulnerable``, ``older`` (not checked: not the latest
    release), ``unknown`` (not on the package index) or ``unreachable`` (the package index
    could not be asked).
    """

    dist: Installed
    status: str
    advisories: tuple[Advisory, ...] = ()
    latest: str = ""
    reason: str = ""


@dataclasses.dataclass(frozen=True)
class PipAuditResult:
    """What a pip-audit run established.

    ``status`` is ``clean`` (every dependency audited, nothing found), ``vulnerable`` (``lines``
    list the advisories), ``incomplete`` (``skipped`` names the dependencies it could not audit)
    or ``unavailable`` (it did not complete; ``reason`` says why).
    """

    status: str
    lines: tuple[str, ...] = ()
    skipped: frozenset[str] = frozenset()
    reason: str = ""


class NotOnIndex(Exception):
    """The package index answered 404 for the project."""


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


# --- pip-audit ----------------------------------------------------------------------------------


def interpret_pip_audit(returncode: int, output: str, stderr: str) -> PipAuditResult:
    """Read a ``pip-audit --format json --output FILE`` run.

    pip-audit writes the JSON report when it found advisories (exit code 1) or skipped a
    dependency (exit code 0 without ``--strict``); a clean, complete run writes none and exits 0.
    Exit code 1 without a report means it stopped early, e.g. its service was unreachable.
    """
    report: dict[str, Any] | None = None
    if output.strip():
        try:
            report = json.loads(output)
        except ValueError:
            report = None
    if report is None:
        if returncode == 0 and not output.strip():
            return PipAuditResult("clean")
        last = [line for line in stderr.strip().splitlines() if line.strip()]
        reason = last[-1][:200] if last else f"pip-audit exited with code {returncode}"
        return PipAuditResult("unavailable", reason=reason)
    lines: list[str] = []
    skipped: set[str] = set()
    for dep in report.get("dependencies", []):
        if "skip_reason" in dep:
            skipped.add(canonical(dep["name"]))
            continue
        for vuln in dep.get("vulns", []):
            fixed = ", ".join(vuln.get("fix_versions", [])) or "no fixed release"
            lines.append(f"{dep['name']} {dep['version']}: {vuln['id']} (fixed in {fixed})")
    if lines:
        return PipAuditResult("vulnerable", lines=tuple(lines), skipped=frozenset(skipped))
    if returncode != 0:
        return PipAuditResult("unavailable", reason=f"pip-audit exited with code {returncode}")
    if skipped:
        return PipAuditResult("incomplete", skipped=frozenset(skipped))
    return PipAuditResult("clean")


def run_pip_audit(timeout: float, paths: Sequence[str] = ()) -> PipAuditResult:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp, "pip-audit.json")
        command = [
            sys.executable, "-m", "pip_audit", "--skip-editable", "--vulnerability-service",
            INDEX_SERVICE, "--format", "json", "--output", str(report), "--progress-spinner", "off",
            "--timeout", str(int(timeout)),
        ]  # fmt: skip
        for path in paths:
            command += ["--path", path]
        try:
            done = subprocess.run(  # noqa: S603
                command, capture_output=True, text=True, timeout=PIP_AUDIT_TIME_LIMIT, check=False
            )
        except subprocess.TimeoutExpired:
            reason = f"no answer in {PIP_AUDIT_TIME_LIMIT:.0f} s"
            return PipAuditResult("unavailable", reason=reason)
        output = report.read_text() if report.exists() else ""
    if "No module named pip_audit" in done.stderr:
        return PipAuditResult("unavailable", reason="pip-audit is not installed")
    return interpret_pip_audit(done.returncode, output, done.stderr)


# --- the fallback: the package index's project JSON ---------------------------------------------


def local_listing() -> dict[str, Any]:
    """This interpreter's site-packages and its non-editable distributions (``--list``)."""
    paths = sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})
    return {"paths": paths, "dists": [[d.name, d.version] for d in installed_distributions()]}


def listing(python: str) -> dict[str, Any]:
    """``local_listing()`` as seen by another interpreter (this script run with ``--list``)."""
    done = subprocess.run(  # noqa: S603
        [python, __file__, "--list"], capture_output=True, text=True, timeout=60, check=True
    )
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def installed_distributions() -> list[Installed]:
    """The non-editable distributions importable here, one per project name."""
    seen: dict[str, Installed] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if not name or canonical(name) in seen:
            continue
        direct_url = dist.read_text("direct_url.json")
        if direct_url:
            try:
                editable = json.loads(direct_url).get("dir_info", {}).get("editable", False)
            except ValueError:
                editable = False
            if editable:
                continue
        seen[canonical(name)] = Installed(name, dist.version)
    return sorted(seen.values(), key=lambda d: canonical(d.name))


def fetch_project(name: str, timeout: float) -> Mapping[str, Any]:
    """The package index's JSON for the project; NotOnIndex on 404, OSError/ValueError
    otherwise."""
    request = urllib.request.Request(  # noqa: S310 - a fixed https URL
        PROJECT_URL.format(name=canonical(name)), headers={"Accept": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            data: Mapping[str, Any] = json.load(response)
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            raise NotOnIndex(name) from exc
        raise
    return data


def _release(version: str) -> tuple[int, ...]:
    match = re.match(r"\d+(?:\.\d+)*", version)
    parts = [int(part) for part in match.group().split(".")] if match else []
    while parts and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def check(dist: Installed, project: Mapping[str, Any]) -> Finding:
    """Judge one distribution from its project JSON (the decision, without the network)."""
    latest = str(project.get("info", {}).get("version", ""))
    if dist.version != latest:
        return Finding(dist, "older", latest=latest)
    advisories = tuple(
        Advisory(str(vuln["id"]), tuple(str(v) for v in vuln.get("fixed_in") or ()))
        for vuln in project.get("vulnerabilities") or ()
        if vuln.get("withdrawn") is None
    )
    return Finding(dist, "vulnerable" if advisories else "clean", advisories, latest)


def audit(
    dists: Iterable[Installed],
    fetch: Callable[[str, float], Mapping[str, Any]] = fetch_project,
    timeout: float = DEFAULT_TIMEOUT,
) -> list[Finding]:
    def one(dist: Installed) -> Finding:
        try:
            return check(dist, fetch(dist.name, timeout))
        except NotOnIndex:
            return Finding(dist, "unknown")
        except (OSError, ValueError) as exc:
            return Finding(dist, "unreachable", reason=str(exc) or type(exc).__name__)

    with ThreadPoolExecutor(WORKERS) as pool:
        return list(pool.map(one, dists))


def verdict(findings: Sequence[Finding], ci: bool) -> tuple[int, list[str]]:
    """The exit code and the report for the fallback's findings."""
    lines: list[str] = []
    by_status: dict[str, list[Finding]] = {}
    for finding in findings:
        by_status.setdefault(finding.status, []).append(finding)
    for f in by_status.get("vulnerable", []):
        for advisory in f.advisories:
            fixed = ", ".join(advisory.fixed_in) or "no fixed release"
            lines.append(
                f"VULNERABLE {f.dist.name} {f.dist.version}: {advisory.id} (fixed in {fixed})"
            )
    for f in by_status.get("older", []):
        relation = "older than" if _release(f.dist.version) < _release(f.latest) else "not"
        lines.append(
            f"not checked: {f.dist.name} {f.dist.version} ({relation} the latest release "
            f"{f.latest}, whose advisories the package index gives here only for the latest)"
        )
    for f in by_status.get("unknown", []):
        lines.append(f"not checked: {f.dist.name} {f.dist.version} (not on the package index)")
    unreachable = by_status.get("unreachable", [])
    if unreachable and len(unreachable) == len(findings):
        lines.append(f"not checked: any of them (the package index: {unreachable[0].reason})")
    else:
        for f in unreachable:
            lines.append(f"not checked: {f.dist.name} {f.dist.version} "
                         f"(the package index: {f.reason})")
    checked = len(by_status.get("clean", [])) + len(by_status.get("vulnerable", []))
    lines.append(
        f"{checked} of {len(findings)} distributions checked against their latest release's "
        f"advisories; {len(by_status.get('vulnerable', []))} vulnerable"
    )
    if by_status.get("vulnerable"):
        return 1, lines
    if unreachable:
        what = "nothing" if len(unreachable) == len(findings) else "not everything"
        if ci:
            lines.append(f"FAILED: the package index could not be reached, {what} was audited "
                         "(CI=true)")
            return 1, lines
        lines.append(f"skipped: the package index could not be reached, {what} was audited "
                     "(not in CI)")
    return 0, lines


# --- entry point --------------------------------------------------------------------------------


def main(
    argv: Sequence[str] | None = None,
    environ: Mapping[str, str] = os.environ,
    pip_audit: Callable[[float], PipAuditResult] | None = None,
    dists: Callable[[], list[Installed]] | None = None,
    fetch: Callable[[str, float], Mapping[str, Any]] = fetch_project,
) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="per request, s")
    parser.add_argument(
        "--fallback-only", action="store_true", help="skip pip-audit, use the project JSON only"
    )
    parser.add_argument(
        "--environment", metavar="VENV", help="virtual environment to audit (default: this one)"
    )
    parser.add_argument("--list", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.list:
        print(json.dumps(local_listing()))
        return 0
    if dists is None or pip_audit is None:
        python = sys.executable
        if args.environment:
            bindir = "Scripts" if os.name == "nt" else "bin"
            python = str(Path(args.environment, bindir, "python"))
            if not Path(python).exists() and not Path(python + ".exe").exists():
                print(f"no virtual environment at {args.environment} (python3 dev.py builds .venv)")
                return 1
        target = listing(python)
        found = [Installed(name, version) for name, version in target["dists"]]
        paths = [] if python == sys.executable else target["paths"]
        dists = dists or (lambda: found)
        pip_audit = pip_audit or (lambda timeout: run_pip_audit(timeout, paths))
    ci = environ.get("CI", "").lower() in {"1", "true", "yes"}

    installed = dists()
    if args.fallback_only:
        result = PipAuditResult("unavailable", reason="--fallback-only")
    else:
        result = pip_audit(args.timeout)
    if result.status == "clean":
        print(f"pip-audit: no known vulnerabilities in {len(installed)} distributions")
        return 0
    if result.status == "vulnerable":
        print("pip-audit found known vulnerabilities:")
        print("\n".join(f"VULNERABLE {line}" for line in result.lines))
        return 1
    if result.status == "incomplete":
        # Only the third-party ones: pip-audit may also list this checkout's editable projects,
        # which are not on the package index.
        todo = [d for d in installed if canonical(d.name) in result.skipped]
        if not todo:
            print(f"pip-audit: no known vulnerabilities in {len(installed)} distributions")
            return 0
        print(
            f"pip-audit could not audit {len(todo)} of the {len(installed)} distributions (its "
            "per-release API is not available here); checking them against the package index's "
            "project JSON"
        )
    else:
        todo = installed
        print(f"pip-audit did not complete ({result.reason}); using the package index's "
              "project JSON")
    code, lines = verdict(audit(todo, fetch, args.timeout), ci)
    print("\n".join(lines))
    return code


if __name__ == "__main__":
    sys.exit(main())
