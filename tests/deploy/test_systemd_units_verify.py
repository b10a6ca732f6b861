"""deploy/systemd: `systemd-analyze verify` accepts every unit. The units run
/opt/taskplane/.venv/bin/python, which does not exist here, so they are verified as copies whose
executable is rewritten to one that exists; verify must then print nothing at all (an unknown
directive or section, a bad value or a missing unit is reported and fails the test)."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.deploy._tools import DEPLOY, require_tool, run

UNITS = DEPLOY / "systemd"
VENV_PYTHON = "/opt/taskplane/.venv/bin/python"
UNIT_SUFFIXES = (".service", ".target")


def unit_files(directory: Path = UNITS) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.suffix in UNIT_SUFFIXES)


def verify(units: list[Path], tmp_path: Path) -> str:
    """Output of systemd-analyze verify on rewritten copies (template units instantiated)."""
    tool = require_tool("systemd-analyze")
    stand_in = shutil.which("true") or "/bin/true"
    copies = []
    for unit in units:
        name = unit.name.replace("@.", "@verify1.")
        copy = tmp_path / name
        copy.write_text(unit.read_text().replace(VENV_PYTHON, stand_in))
        copies.append(str(copy))
    result = run([tool, "verify", *copies], timeout=120, cwd=tmp_path)
    output = result.stdout.strip()
    if result.returncode != 0 and not output:
        output = f"systemd-analyze exited {result.returncode}"
    return output


def settings(unit: Path) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for line in unit.read_text().splitlines():
        if "=" in line and not line.lstrip().startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            values.setdefault(key.strip(), []).append(value.strip())
    return values


def test_units_verify_cleanly(tmp_path):
    units = unit_files()
    assert {u.name for u in units} >= {"taskplane-api.service", "taskplane-control.service",
                                        "taskplane-dispatcher.service", "taskplane-worker@.service"}
    assert verify(units, tmp_path) == ""


def test_units_run_the_roles_from_the_install_root():
    modes = {}
    for unit in unit_files():
        if unit.suffix != ".service":
            continue
        s = settings(unit)
        assert s["User"] == ["taskplane"], unit.name
        assert s["WorkingDirectory"] == ["/opt/taskplane"], unit.name
        assert s["EnvironmentFile"] == ["/etc/taskplane/env"], unit.name
        (exec_start,) = s["ExecStart"]
        assert exec_start.startswith(f"{VENV_PYTHON} manage.py serve --mode "), unit.name
        modes[unit.name] = exec_start.split("--mode ")[1].split()[0]
    assert modes == {"taskplane-api.service": "api", "taskplane-control.service": "control",
                     "taskplane-dispatcher.service": "dispatcher", "taskplane-worker@.service": "worker"}
    worker = settings(UNITS / "taskplane-worker@.service")
    assert "--worker-id %i" in worker["ExecStart"][0]
    assert int(worker["TimeoutStopSec"][0]) >= 60, "workers need time for a warm shutdown"


def test_verify_reports_an_unknown_directive(tmp_path):
    broken = tmp_path / "src" / "taskplane-broken.service"
    broken.parent.mkdir()
    broken.write_text((UNITS / "taskplane-api.service").read_text().replace("[Service]", "[Service]\nRestartt=always"))
    (tmp_path / "out").mkdir()
    assert "Restartt" in verify([broken], tmp_path / "out")


def test_verify_reports_a_missing_executable(tmp_path):
    broken = tmp_path / "src" / "taskplane-broken.service"
    broken.parent.mkdir()
    broken.write_text((UNITS / "taskplane-api.service").read_text().replace(VENV_PYTHON, "/nonexistent/python"))
    (tmp_path / "out").mkdir()
    assert "/nonexistent/python" in verify([broken], tmp_path / "out")
