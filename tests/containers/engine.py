"""The machinery of the container test (`make container-test`): a private Docker daemon, a Debian
base image made with debootstrap (no registry is reachable), the project's image built from
deploy/Dockerfile on it, the host's PostgreSQL / RabbitMQ / Redis for the containers, and
containers run with a deadline on every wait.

Nothing here touches a Docker daemon or a database of anyone else: dockerd runs with its own
data root, exec root and socket under a temporary directory, without bridge or iptables rules
(every container uses the host network or none); the database, RabbitMQ vhost and Redis keys
are this test's own and are removed afterwards.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SUITE = "bookworm"
# What the base image holds: Debian's python3 (3.11) with venv and pip, CA certificates, and
# make for `make run`. No compiler: `make run` and the image build must need none.
BASE_PACKAGES = ("python3", "python3-venv", "python3-pip", "ca-certificates", "make")
BASE_IMAGE = "taskplane-test-base:" + SUITE
IMAGE = "taskplane:container-test"
FLOWER_IMAGE = "taskplane-flower:container-test"


class ContainerTestError(AssertionError):
    pass


def log(message: str) -> None:
    print(f"[container-test {time.strftime('%H:%M:%S')}] {message}", flush=True)


def run(argv: list[str], timeout: float, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
    """A command with a deadline; stdout and stderr together as text."""
    try:
        result = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                timeout=timeout, check=False, **kwargs)
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        raise ContainerTestError(f"{shlex.join(argv)[:200]} did not finish within {timeout:.0f}s:\n{out[-3000:]}")
    if check and result.returncode != 0:
        raise ContainerTestError(f"{shlex.join(argv)[:300]} exited {result.returncode}:\n{result.stdout[-5000:]}")
    return result


def wait_for(predicate, timeout: float, what, interval: float = 1.0):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise ContainerTestError(f"timed out after {timeout:.0f}s waiting for {what() if callable(what) else what}")
        time.sleep(interval)


def http(method: str, url: str, body: dict | None = None, headers: dict | None = None,
         timeout: float = 10) -> tuple[int, str]:
    """(status, body); (0, error text) when nothing answers."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except OSError as exc:
        return 0, str(exc)


def port_is_free(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------- the host's package sources

def debian_mirror() -> str:
    """The Debian mirror apt uses on this machine (deb822 .sources or a sources.list line)."""
    files = sorted(Path("/etc/apt").glob("sources.list.d/*.sources")) + [Path("/etc/apt/sources.list"),
                                                                          *sorted(Path("/etc/apt").glob("sources.list.d/*.list"))]
    for path in files:
        if not path.is_file():
            continue
        text = path.read_text(errors="replace")
        if path.suffix == ".sources":
            for stanza in re.split(r"\n\s*\n", text):
                fields = dict(re.findall(r"^([A-Za-z-]+):\s*(.+)$", stanza, re.M))
                suites = fields.get("Suites", "").split()
                if fields.get("Types", "deb").split()[0] == "deb" and SUITE in suites and "main" in fields.get("Components", ""):
                    if fields.get("Enabled", "yes").lower() != "no":
                        return fields["URIs"].split()[0]
        else:
            for line in text.splitlines():
                words = [w for w in re.sub(r"\[[^]]*\]", "", line).split()]
                if len(words) >= 4 and words[0] == "deb" and words[2] == SUITE and "main" in words[3:]:
                    return words[1]
    return "http://deb.debian.org/debian"


@dataclass
class PipSettings:
    """How the host's pip reaches its package index, for pip inside the build and containers."""

    index_url: str = ""
    extra_index_urls: list[str] = field(default_factory=list)
    cert: str = ""

    def env(self, cert_path_inside: str = "/run/pip-ca.pem") -> dict[str, str]:
        env = {}
        if self.index_url:
            env["PIP_INDEX_URL"] = self.index_url
        if self.extra_index_urls:
            env["PIP_EXTRA_INDEX_URL"] = " ".join(self.extra_index_urls)
        if self.cert:
            env["PIP_CERT"] = cert_path_inside
        return env


def host_pip_settings(python: str) -> PipSettings:
    """pip's own view of its configuration (`pip config list`: /etc/pip.conf, /etc/xdg/pip,
    ~/.config/pip, PIP_* variables), keeping what a container can use: http(s) indexes (not
    file:// ones, which are paths on this machine) and a CA bundle (pip's, else the system's)."""
    values: dict[str, str] = {}
    result = run([python, "-m", "pip", "config", "list"], timeout=60, check=False)
    for line in result.stdout.splitlines():
        match = re.match(r"^(?:[\w:.-]*\.)?([\w-]+)='(.*)'$", line.strip())
        if match:
            values[match.group(1)] = match.group(2)
    for name in ("index-url", "extra-index-url", "cert"):
        env_value = os.environ.get("PIP_" + name.upper().replace("-", "_"))
        if env_value:
            values[name] = env_value
    web = lambda urls: [u for u in urls.split() if u.startswith(("http://", "https://"))]  # noqa: E731
    index = web(values.get("index-url", ""))
    cert = values.get("cert") or os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("SSL_CERT_FILE") or ""
    if not cert and Path("/etc/ssl/certs/ca-certificates.crt").is_file():
        cert = "/etc/ssl/certs/ca-certificates.crt"
    return PipSettings(index_url=index[0] if index else "", extra_index_urls=web(values.get("extra-index-url", "")),
                       cert=cert if cert and Path(cert).is_file() else "")


# ---------------------------------------------------------------- the private Docker daemon

def docker_client() -> str:
    """The client that ships with Debian's dockerd (it has BuildKit built in); another client on
    PATH may lack buildx and fall back to the legacy builder, which knows no build secrets."""
    for candidate in ("/usr/bin/docker", shutil.which("docker")):
        if candidate and Path(candidate).is_file():
            return candidate
    raise ContainerTestError("no docker client: install docker.io (.ci/install-deploy-tools.sh)")


class Docker:
    """dockerd with its own data root, exec root and socket; stopped and removed by stop()."""

    def __init__(self, workdir: Path):
        self.dir = workdir
        self.socket = workdir / "docker.sock"
        self.client = docker_client()
        self.process: subprocess.Popen | None = None
        self.log_path = workdir / "dockerd.log"

    def start(self, timeout: float = 60) -> Docker:
        dockerd = shutil.which("dockerd") or "/usr/sbin/dockerd"
        if not Path(dockerd).is_file():
            raise ContainerTestError("dockerd is missing: install docker.io (.ci/install-deploy-tools.sh)")
        if os.geteuid() != 0:
            raise ContainerTestError("the container test starts its own dockerd and must run as root")
        for sub in ("data", "exec"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        argv = [dockerd, "--data-root", str(self.dir / "data"), "--exec-root", str(self.dir / "exec"),
                "--host", f"unix://{self.socket}", "--pidfile", str(self.dir / "docker.pid"),
                "--bridge", "none", "--iptables=false", "--ip6tables=false", "--ip-masq=false",
                "--storage-driver", "overlay2", "--log-level", "warn"]
        log(f"starting a private dockerd ({self.dir})")
        self.process = subprocess.Popen(argv, stdout=open(self.log_path, "w"), stderr=subprocess.STDOUT,
                                        start_new_session=True)
        wait_for(lambda: self.process.poll() is not None or self.docker("version", timeout=10, check=False).returncode == 0,
                 timeout, "the private dockerd to answer")
        if self.process.poll() is not None:
            raise ContainerTestError(f"dockerd exited {self.process.returncode}:\n{self.log_path.read_text()[-3000:]}")
        return self

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
        env.update(DOCKER_HOST=f"unix://{self.socket}", DOCKER_BUILDKIT="1")
        return env

    def docker(self, *args: str, timeout: float = 120, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
        return run([self.client, *args], timeout=timeout, check=check, env=self.env(), **kwargs)

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            ids = self.docker("ps", "-aq", timeout=30, check=False).stdout.split()
            if ids:
                self.docker("rm", "-f", *ids, timeout=120, check=False)
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        # Left-over overlay mounts would keep the data root busy.
        mounts = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()
                  if len(line.split()) > 1 and line.split()[1].startswith(str(self.dir))]
        for mount in sorted(mounts, key=len, reverse=True):
            run(["umount", "-l", mount], timeout=30, check=False)
        shutil.rmtree(self.dir, ignore_errors=True)
        self.process = None


# ---------------------------------------------------------------- images

def cache_dir() -> Path:
    path = Path(os.environ.get("CONTAINER_TEST_CACHE") or ROOT / "var" / "container-test")
    path.mkdir(parents=True, exist_ok=True)
    return path


def base_rootfs_tar(mirror: str) -> Path:
    """A tarball of a minimal Debian with BASE_PACKAGES (debootstrap), cached by its recipe."""
    recipe = f"{SUITE} {mirror} minbase {','.join(BASE_PACKAGES)}"
    tar = cache_dir() / f"base-{SUITE}-{hashlib.sha256(recipe.encode()).hexdigest()[:12]}.tar"
    if tar.is_file():
        log(f"base image: cached {tar.name}")
        return tar
    debootstrap = shutil.which("debootstrap") or "/usr/sbin/debootstrap"
    if not Path(debootstrap).is_file():
        raise ContainerTestError("debootstrap is missing: install it (.ci/install-deploy-tools.sh)")
    with tempfile.TemporaryDirectory(prefix="taskplane-rootfs-", dir=cache_dir()) as tmp:
        rootfs = Path(tmp) / "rootfs"
        log(f"debootstrap {SUITE} from {mirror} (a few minutes from nothing)")
        run([debootstrap, "--variant=minbase", f"--include={','.join(BASE_PACKAGES)}", SUITE, str(rootfs), mirror],
            timeout=900)
        # Downloaded packages and package lists are not part of the image.
        for sub in ("var/cache/apt/archives", "var/lib/apt/lists"):
            for item in (rootfs / sub).glob("*"):
                if item.is_file():
                    item.unlink()
        partial = tar.with_suffix(".partial")
        run(["tar", "-C", str(rootfs), "-cf", str(partial), "."], timeout=300)
        partial.rename(tar)
    return tar


def import_base_image(docker: Docker, tar: Path) -> str:
    with open(tar, "rb") as fh:
        docker.docker("import", "-", BASE_IMAGE, timeout=300, stdin=fh)
    return BASE_IMAGE


def build_image(docker: Docker, base: str, pip: PipSettings, target: str | None, tag: str) -> str:
    argv = ["build", "--network", "host", "-f", str(ROOT / "deploy" / "Dockerfile"),
            "--build-arg", f"PYTHON_IMAGE={base}", "--progress", "plain", "-t", tag]
    if target:
        argv += ["--target", target]
    if pip.index_url:
        argv += ["--build-arg", f"PIP_INDEX={pip.index_url}"]
    if pip.extra_index_urls:
        argv += ["--build-arg", f"PIP_EXTRA_INDEX={' '.join(pip.extra_index_urls)}"]
    if pip.cert:
        argv += ["--secret", f"id=pip_cert,src={pip.cert}"]
    log(f"docker build {tag}" + (f" (target {target})" if target else ""))
    docker.docker(*argv, str(ROOT), timeout=900)
    return tag


# ---------------------------------------------------------------- the host's services

@dataclass
class HostServices:
    """PostgreSQL, RabbitMQ and Redis of this machine, with a database, vhost and Redis keys of
    this test's own (CONTAINER_TEST_DB names them; default taskplane_containers)."""

    name: str = field(default_factory=lambda: os.environ.get("CONTAINER_TEST_DB", "taskplane_containers"))
    postgres: str = field(default_factory=lambda: os.environ.get("CONTAINER_TEST_POSTGRES",
                                                                 "postgresql://postgres@127.0.0.1:5432"))
    amqp: str = field(default_factory=lambda: os.environ.get("CONTAINER_TEST_AMQP", "amqp://guest:guest@127.0.0.1:5672"))
    redis: str = field(default_factory=lambda: os.environ.get("CONTAINER_TEST_REDIS", "redis://127.0.0.1:6379"))
    redis_db: int = field(default_factory=lambda: int(os.environ.get("CONTAINER_TEST_REDIS_DB", "9")))
    vhost: str = "/"

    def __post_init__(self):
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,40}", self.name):
            raise ContainerTestError(f"CONTAINER_TEST_DB={self.name!r}: use lower-case letters, digits and _")

    def _sql(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(f"{self.postgres}/postgres", autocommit=True, connect_timeout=10) as conn:
            conn.execute(statement)

    def fresh_database(self) -> None:
        self._sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self._sql(f'CREATE DATABASE "{self.name}"')

    def fresh_vhost(self) -> None:
        """A vhost of its own when rabbitmqctl can make one (root on the broker's host), so the
        containers' default queue names (tasks.shell, control, ...) meet nobody else's."""
        ctl = shutil.which("rabbitmqctl")
        if not ctl:
            log("rabbitmqctl not found: using the broker's default vhost")
            return
        run([ctl, "delete_vhost", self.name], timeout=60, check=False)
        run([ctl, "add_vhost", self.name], timeout=60)
        user = urllib.parse.urlsplit(self.amqp).username or "guest"
        run([ctl, "set_permissions", "-p", self.name, user, ".*", ".*", ".*"], timeout=60)
        self.vhost = self.name

    def clear_redis(self) -> None:
        import redis

        client = redis.Redis.from_url(f"{self.redis}/{self.redis_db}", socket_timeout=10)
        for key in client.scan_iter(match="taskplane-prod:*", count=1000):
            client.delete(key)

    def setup(self) -> HostServices:
        self.fresh_database()
        self.fresh_vhost()
        self.clear_redis()
        return self

    def teardown(self) -> None:
        try:
            self._sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        except Exception as exc:  # noqa: BLE001  cleanup must not hide the test's own result
            log(f"could not drop database {self.name}: {exc}")
        if self.vhost != "/" and shutil.which("rabbitmqctl"):
            run([shutil.which("rabbitmqctl"), "delete_vhost", self.vhost], timeout=60, check=False)
        try:
            self.clear_redis()
        except Exception as exc:  # noqa: BLE001
            log(f"could not clear Redis: {exc}")

    def url_for(self, url: str) -> str:
        """A deployment's service URL pointed at this machine's server of the same kind."""
        parts = urllib.parse.urlsplit(url)
        if parts.scheme.startswith("postgres"):
            base = urllib.parse.urlsplit(self.postgres)
            return urllib.parse.urlunsplit((base.scheme, base.netloc, f"/{self.name}", "", ""))
        if parts.scheme.startswith("amqp"):
            base = urllib.parse.urlsplit(self.amqp)
            return urllib.parse.urlunsplit((base.scheme, base.netloc, "/" + urllib.parse.quote(self.vhost, safe=""), "", ""))
        if parts.scheme.startswith("redis"):
            base = urllib.parse.urlsplit(self.redis)
            return urllib.parse.urlunsplit((base.scheme, base.netloc, f"/{self.redis_db}", "", ""))
        return url

    def rewrite(self, env: dict[str, str]) -> dict[str, str]:
        """The deployment's environment with every service URL swapped for this machine's."""
        return {k: self.url_for(v) if k in ("DATABASE_URL", "MESSAGE_QUEUE_URL", "REDIS_URL") else v
                for k, v in env.items()}


# ---------------------------------------------------------------- containers

@dataclass
class Container:
    docker: Docker
    name: str
    health_port: int | None = None

    def inspect(self) -> dict:
        result = self.docker.docker("inspect", self.name, timeout=30, check=False)
        return json.loads(result.stdout)[0] if result.returncode == 0 else {}

    def state(self) -> dict:
        return self.inspect().get("State", {})

    def running(self) -> bool:
        return bool(self.state().get("Running"))

    def logs(self, tail: int = 200) -> str:
        return self.docker.docker("logs", "--tail", str(tail), self.name, timeout=30, check=False).stdout

    def exec(self, *argv: str, timeout: float = 60, check: bool = True) -> subprocess.CompletedProcess:
        return self.docker.docker("exec", self.name, *argv, timeout=timeout, check=check)

    def stop(self, grace: float) -> int:
        """SIGTERM, then SIGKILL after `grace` seconds; the exit code."""
        self.docker.docker("stop", "-t", str(int(grace)), self.name, timeout=grace + 60)
        return int(self.state().get("ExitCode", -1))

    def wait_exit(self, timeout: float) -> int:
        wait_for(lambda: not self.running(), timeout, lambda: f"{self.name} to finish:\n{self.logs(60)}")
        return int(self.state().get("ExitCode", -1))

    def wait_healthy(self, timeout: float) -> None:
        """The container's own HEALTHCHECK (the image's, or the deployment's given to docker run)."""
        def healthy():
            state = self.state()
            if not state.get("Running"):
                raise ContainerTestError(f"{self.name} exited {state.get('ExitCode')}:\n{self.logs(80)}")
            return (state.get("Health") or {}).get("Status") == "healthy"

        wait_for(healthy, timeout, lambda: f"{self.name}'s healthcheck to pass:\n{self.logs(40)}", interval=2)


def run_container(docker: Docker, name: str, image: str, argv: list[str], env: dict[str, str], *,
                  entrypoint: list[str] | None = None, network: str = "host", init: bool = True,
                  mounts: list[tuple[str, str, str]] = (), healthcheck: dict | None = None,
                  workdir: str | None = None, user: str | None = None) -> Container:
    """docker run; `mounts` are (source, target, "ro"|"rw"); `healthcheck` as in a compose file."""
    docker.docker("rm", "-f", name, timeout=60, check=False)
    args = ["run", "-d", "--name", name, "--network", network]
    if user:
        args += ["--user", user]
    if init:
        args.append("--init")
    if workdir:
        args += ["--workdir", workdir]
    if entrypoint is not None:
        args += ["--entrypoint", entrypoint[0]]
        argv = [*entrypoint[1:], *argv]
    for key, value in env.items():
        args += ["-e", f"{key}={value}"]
    for source, target, mode in mounts:
        args += ["-v", f"{source}:{target}:{mode}"]
    if healthcheck:
        test = healthcheck["test"]
        command = shlex.join(test[1:]) if test[0] == "CMD" else test[1] if test[0] == "CMD-SHELL" else shlex.join(test)
        args += ["--health-cmd", command]
        for key in ("interval", "timeout", "start_period", "retries"):
            if key in healthcheck:
                args += [f"--health-{key.replace('_', '-')}", str(healthcheck[key])]
    docker.docker(*args, image, *argv, timeout=120)
    return Container(docker, name)
