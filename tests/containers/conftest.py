"""The container test (`make container-test`, README "Deployment proven by running it"): the
image built from nothing and every role run as a container. It needs root, Docker's daemon
(docker.io) and debootstrap, and takes minutes, so `make test` never collects it: only with
TASKPLANE_CONTAINER_TEST=1 (which the make target sets) are these files collected.

Session fixtures, in order: a private dockerd; the Debian base image (debootstrap, cached in
var/container-test/ or $CONTAINER_TEST_CACHE); the image from deploy/Dockerfile on it; this
machine's PostgreSQL, RabbitMQ and Redis with a database, vhost and keys of the test's own
(fresh for each test).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

ENABLED = os.environ.get("TASKPLANE_CONTAINER_TEST") == "1"
collect_ignore_glob = [] if ENABLED else ["test_*.py"]


@pytest.fixture(scope="session")
def engine():
    from tests.containers import engine

    return engine


@pytest.fixture(scope="session")
def docker(engine):
    workdir = Path(tempfile.mkdtemp(prefix="tp-docker-", dir="/tmp"))  # short: the socket path has a limit
    daemon = engine.Docker(workdir)
    try:
        yield daemon.start()
    finally:
        daemon.stop()


@pytest.fixture(scope="session")
def pip_settings(engine):
    import sys

    return engine.host_pip_settings(sys.executable)


@pytest.fixture(scope="session")
def base_image(engine, docker):
    tar = engine.base_rootfs_tar(engine.debian_mirror())
    return engine.import_base_image(docker, tar)


@pytest.fixture(scope="session")
def image(engine, docker, base_image, pip_settings):
    return engine.build_image(docker, base_image, pip_settings, target=None, tag=engine.IMAGE)


@pytest.fixture
def host_services(engine):
    services = engine.HostServices().setup()
    try:
        yield services
    finally:
        services.teardown()


@pytest.fixture(scope="session")
def api_port_free(engine):
    """The roles run on the host network and production.toml binds the api to 0.0.0.0:8080."""
    if not engine.port_is_free(8080):
        pytest.fail("port 8080 is in use on this machine: the api container binds it on the host network")
