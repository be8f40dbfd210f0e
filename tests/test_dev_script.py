"""``python3 dev.py``: setting up prints a line per step, the installer's output only when a
step fails."""

from __future__ import annotations

import importlib.util
import stat
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent


def load_dev() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dev_script", ROOT / "dev.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def dev(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """dev.py with its .venv in tmp_path and a stand-in python that talks like pip."""
    module = load_dev()
    venv = tmp_path / ".venv"
    (venv / "bin").mkdir(parents=True)
    python = venv / "bin" / "python"
    python.write_text("#!/bin/sh\nfor i in $(seq 400); do echo \"Collecting package-$i\"; done\n"
                      "exit ${FAIL:-0}\n", encoding="utf-8")
    python.chmod(python.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr(module, "VENV", venv)
    monkeypatch.setattr(module, "BIN", venv / "bin")
    monkeypatch.setattr(module, "STAMP", venv / "kopcore-install.stamp")
    monkeypatch.setattr(module, "LOG", venv / "kopcore-install.log")
    return module


@pytest.mark.skipif(sys.platform == "win32", reason="the stand-in installer is a shell script")
def test_a_successful_install_prints_one_progress_line(
        dev: ModuleType, capfd: pytest.CaptureFixture[str]) -> None:
    assert dev.ensure_venv() == 0
    out, err = capfd.readouterr()
    assert "Collecting" not in out + err
    lines = out.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("dev.py: installing the kernel, plugins and tools into .venv")
    assert lines[0].endswith(" s)")
    assert dev.LOG.read_text(encoding="utf-8").count("Collecting") == 400
    assert dev.ensure_venv() == 0  # up to date: skipped
    assert "skipping install" in capfd.readouterr().out


@pytest.mark.skipif(sys.platform == "win32", reason="the stand-in installer is a shell script")
def test_a_failed_install_shows_the_installers_output(
        dev: ModuleType, capfd: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAIL", "1")
    assert dev.ensure_venv() == 1
    out, err = capfd.readouterr()
    assert out.rstrip().endswith("failed")
    assert err.count("Collecting") == 400
    assert str(dev.LOG) in err
    assert not dev.STAMP.exists()
