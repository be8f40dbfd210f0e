"""Developer entry point: set up the project's virtual environment and run the demo or the tests.

    python3 dev.py demo [ARGS...]        seed a demo cooperative and serve the API (kopcore demo)
    python3 dev.py test                  the full suite: tox envs sqlite, postgres, lint, types,
                                         audit
    python3 dev.py test -e sqlite,lint   only the named tox envs
    python3 dev.py test -j 1             one env at a time (default: two at once where there
                                         are two processors)
    python3 dev.py test --quick [ARGS]   pytest on SQLite only (tests/ and plugins/ unless ARGS
                                         name a path), stopping at the first failure
    python3 dev.py test -e sqlite -- -k money
                                         ARGS after -- go to the command of each named tox env

Every command first makes sure ``.venv`` exists and holds the kernel (editable, with the test,
lint and types extras), the plugins under ``plugins/``, the test-only example plugin and tox. The
install is skipped while the pyproject.toml files are unchanged since the last one (their hash is
kept in ``.venv/kopcore-install.stamp``). Setting up prints one line per step; the installer's
own output goes to ``.venv/kopcore-install.log`` and is shown only when a step fails. Standard
library only, so it runs on a fresh machine with any Python 3.11 or newer.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / "kopcore-install.stamp"
LOG = VENV / "kopcore-install.log"
PLUGINS = ("savings", "loans", "ppob", "ppob_iak", "sharia", "payroll", "payments",
           "payments_xendit", "notify")
EXAMPLE_PLUGIN = Path("tests", "example_plugin")
TOX_ENVS = "sqlite,postgres,lint,types,audit"
#: The two database envs take most of the time and run side by side on two processors.
MAX_JOBS = 2
DEFAULT_JOBS = max(1, min(MAX_JOBS, os.cpu_count() or 1))
#: What pytest runs unless ARGS name a path: the kernel's tests and each plugin's own tests.
TEST_PATHS = ("tests", "plugins")


def editable_projects() -> list[Path]:
    """The projects installed editable, relative to the repository root, kernel first."""
    projects = [Path("."), *(Path("plugins", name) for name in PLUGINS)]
    if (ROOT / EXAMPLE_PLUGIN / "pyproject.toml").exists():
        projects.append(EXAMPLE_PLUGIN)
    return projects


def install_args() -> list[str]:
    # One pip call for everything, so the plugins' `kopcore` requirement resolves to this checkout
    # rather than to a package index.
    args = ["-e", ".[test,lint,types]"]
    for project in editable_projects()[1:]:
        args += ["-e", project.as_posix()]
    return [*args, "tox>=4.11"]


def install_fingerprint() -> str:
    digest = hashlib.sha256()
    digest.update(" ".join(install_args()).encode())
    for project in editable_projects():
        pyproject = ROOT / project / "pyproject.toml"
        digest.update(f"\0{project.as_posix()}\0".encode())
        digest.update(pyproject.read_bytes())
    return digest.hexdigest()


def run(command: list[str], env: dict[str, str] | None = None, *,
        log: Path | None = None) -> int:
    """Run a command from the repository root; return a shell-style exit code. With ``log``
    its output is appended to that file instead of shown; without, the command is echoed and
    its output shown as it runs."""
    if log is None:
        print("$ " + shlex.join(command), flush=True)
    try:
        if log is None:
            process = subprocess.Popen(command, cwd=ROOT, env=env)  # noqa: S603
        else:
            with log.open("a", encoding="utf-8") as out:
                out.write("$ " + shlex.join(command) + "\n")
                out.flush()
                process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out,  # noqa: S603
                                           stderr=subprocess.STDOUT)
    except FileNotFoundError as exc:
        print(f"dev.py: cannot run {command[0]}: {exc}", file=sys.stderr)
        return 127
    # Ctrl-C reaches the child too (same process group): let it shut down cleanly and report
    # its own exit code instead of dying here with a traceback.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        code = process.wait()
    finally:
        signal.signal(signal.SIGINT, previous)
    return code if code >= 0 else 128 - code


def step(message: str, command: list[str]) -> int:
    """One quiet set-up step: a progress line, then ``done``, or ``failed`` and the output."""
    print(f"dev.py: {message} ...", end=" ", flush=True)
    LOG.touch()
    start = LOG.stat().st_size
    started = time.monotonic()
    code = run(command, log=LOG)
    if code == 0:
        print(f"done ({time.monotonic() - started:.0f} s)", flush=True)
        return 0
    print("failed", flush=True)
    with LOG.open("rb") as out:
        out.seek(start)
        output = out.read().decode("utf-8", errors="replace")
    print(f"{output}dev.py: the output above is also in {LOG}", file=sys.stderr)
    return code


def ensure_venv() -> int:
    """Create ``.venv`` and install the project into it unless the stamp says it is current."""
    python = BIN / "python"
    if not python.exists():
        VENV.mkdir(exist_ok=True)  # venv fills an existing directory; the log can start first
        code = step(f"creating the virtual environment {VENV}",
                    [sys.executable, "-m", "venv", str(VENV)])
        if code:
            return code
        # The pip and setuptools bundled with the interpreter may be old releases with known
        # advisories; the dependency audit (tox env audit) checks .venv as it is.
        code = step("upgrading pip and setuptools",
                    [str(python), "-m", "pip", "install", "--upgrade", "pip", "setuptools"])
        if code:
            return code
    fingerprint = install_fingerprint()
    if STAMP.exists() and STAMP.read_text().strip() == fingerprint:
        print("dev.py: .venv is up to date with the pyproject.toml files; skipping install")
        return 0
    code = step("installing the kernel, plugins and tools into .venv (a few minutes the first "
                "time)", [str(python), "-m", "pip", "install", *install_args()])
    if code == 0:
        STAMP.write_text(fingerprint + "\n")
    return code


def demo(args: list[str]) -> int:
    print("dev.py: starting the demo; the web app will be on http://127.0.0.1:8000/app/ "
          "(the API docs at /docs) unless ARGS say otherwise", flush=True)
    return run([str(BIN / "kopcore"), "demo", *args])


def test(quick: bool, envs: str, jobs: int, args: list[str]) -> int:
    if quick:
        print("dev.py: quick run: pytest on SQLite, stopping at the first failure", flush=True)
        env = {**os.environ, "KOPCORE_TEST_DATABASE": "sqlite"}
        if args[:1] == ["--"]:
            args = args[1:]
        names_a_path = any((ROOT / arg.split("::")[0]).exists()
                           for arg in args if not arg.startswith("-"))
        paths = [] if names_a_path else list(TEST_PATHS)
        return run([str(BIN / "pytest"), "-q", "-x", *args, *paths], env=env)
    names = [name for name in envs.split(",") if name]
    if jobs <= 1 or len(names) == 1:
        print(f"dev.py: running tox envs {envs}", flush=True)
        return run([str(BIN / "tox"), "run", "-e", envs, *args])
    return run_parallel(names, jobs, args)


def run_parallel(names: list[str], jobs: int, args: list[str]) -> int:
    """Run the tox envs ``names``, ``jobs`` at a time, each into a log of its own; print each
    log whole as its env finishes (so no two envs' lines interleave) and return the worst exit
    code. The envs are independent: each has its own directory and, on PostgreSQL, its own
    database."""
    logs = ROOT / ".tox" / "dev-logs"
    logs.mkdir(parents=True, exist_ok=True)
    print(f"dev.py: running tox envs {','.join(names)}, {jobs} at a time; each env's output "
          "is shown when it finishes", flush=True)
    waiting = list(names)
    running: dict[str, tuple[subprocess.Popen[bytes], Path, float]] = {}
    worst = 0
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        while waiting or running:
            while waiting and len(running) < jobs:
                name = waiting.pop(0)
                log = logs / f"{name}.log"
                with log.open("wb") as out:
                    process = subprocess.Popen(  # noqa: S603
                        [str(BIN / "tox"), "run", "-e", name, *args], cwd=ROOT, stdout=out,
                        stderr=subprocess.STDOUT)
                running[name] = (process, log, time.monotonic())
            time.sleep(0.5)
            for name, (process, log, started) in list(running.items()):
                code = process.poll()
                if code is None:
                    continue
                del running[name]
                sys.stdout.write(log.read_text(encoding="utf-8", errors="replace"))
                verdict = "passed" if code == 0 else f"FAILED (exit code {code})"
                print(f"dev.py: tox env {name} {verdict} in {time.monotonic() - started:.0f} s",
                      flush=True)
                worst = max(worst, code if code >= 0 else 128 - code)
    finally:
        signal.signal(signal.SIGINT, previous)
        for process, _log, _started in running.values():
            process.terminate()
    return worst


def main(argv: list[str]) -> int:
    if sys.version_info < (3, 11):  # noqa: UP036 - this check is for older interpreters
        print("dev.py needs Python 3.11 or newer", file=sys.stderr)
        return 2
    parser = argparse.ArgumentParser(
        prog="dev.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="seed a demo cooperative and serve the API",
                        add_help=False, prefix_chars="\0")
    test_parser = commands.add_parser("test", help="run the tests", allow_abbrev=False)
    test_parser.add_argument("--quick", action="store_true",
                             help="only pytest -q -x on SQLite; other ARGS go to pytest")
    test_parser.add_argument("-e", dest="envs", default=TOX_ENVS,
                             help=f"tox envs to run (default {TOX_ENVS})")
    test_parser.add_argument("-j", dest="jobs", type=int, default=DEFAULT_JOBS,
                             help="how many tox envs run at once (default: the number of "
                                  f"processors, at most {MAX_JOBS})")
    options, rest = parser.parse_known_args(argv)
    if options.command == "test" and options.quick and options.envs != TOX_ENVS:
        parser.error("--quick runs pytest directly; -e does not apply")
    code = ensure_venv()
    if code:
        print(f"dev.py: setting up .venv failed (exit code {code})", file=sys.stderr)
        return code
    if options.command == "demo":
        return demo(rest)
    return test(options.quick, options.envs, options.jobs, rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
