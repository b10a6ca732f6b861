"""What every benchmark shares: interleaved repetitions, medians and percentiles, the report
table of ratios against the baseline, and the JSON record (versions, settings, calibration).

A benchmark module exposes `run(report: Report, quick: bool) -> None` and adds one row per
figure with `report.add(...)`; bench/run.py runs the modules and writes the record. Nothing
here asserts a time: a benchmark reports, it does not pass or fail.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


def median(values) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values, p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def interleaved(repetitions: int, variants: dict[str, Callable[[], float]]) -> dict[str, list[float]]:
    """Run each variant once per repetition, alternating which goes first, so drift of the
    machine (cache, other load, autovacuum) falls on both sides alike."""
    names = list(variants)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for rep in range(repetitions):
        for name in names if rep % 2 == 0 else reversed(names):
            samples[name].append(variants[name]())
    return samples


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


@dataclass
class Row:
    bench: str
    metric: str
    ours: float
    baseline: float | None
    unit: str
    higher_is_better: bool
    target: float | None = None  # on the ratio as defined by `ratio` below
    target_text: str = ""
    samples: dict = field(default_factory=dict)
    notes: str = ""

    @property
    def ratio(self) -> float | None:
        """ours relative to the baseline, oriented so that > 1 is better for throughput-like
        figures (ours / baseline) and < 1 is better for cost-like ones (ours / baseline too:
        the target text says which way it reads)."""
        if self.baseline in (None, 0) or self.ours != self.ours:
            return None
        return self.ours / self.baseline

    @property
    def met(self) -> bool | None:
        if self.target is None or self.ratio is None:
            return None
        return self.ratio >= self.target if self.higher_is_better else self.ratio <= self.target


class Report:
    def __init__(self, quick: bool):
        self.quick = quick
        self.rows: list[Row] = []
        self.settings: dict = {}
        self.started = time.time()

    def add(self, bench: str, metric: str, ours: float, baseline: float | None, unit: str, *,
            higher_is_better: bool = True, target: float | None = None, target_text: str = "",
            samples: dict | None = None, notes: str = "") -> Row:
        row = Row(bench, metric, ours, baseline, unit, higher_is_better, target, target_text, samples or {}, notes)
        self.rows.append(row)
        print(f"  {bench} {metric}: ours {fmt(ours)} {unit}, baseline {fmt(baseline)} {unit}, "
              f"ratio {fmt(row.ratio)}{'' if row.met is None else (' (target met)' if row.met else ' (TARGET MISSED)')}",
              flush=True)
        return row

    def note_settings(self, bench: str, **values) -> None:
        self.settings.setdefault(bench, {}).update(values)

    def table(self) -> str:
        header = ("bench", "metric", "ours", "baseline", "unit", "ratio", "target", "met")
        lines = [header]
        for r in self.rows:
            met = "" if r.met is None else ("yes" if r.met else "NO")
            lines.append((r.bench, r.metric, fmt(r.ours), fmt(r.baseline), r.unit, fmt(r.ratio), r.target_text, met))
        widths = [max(len(str(line[i])) for line in lines) for i in range(len(header))]
        out = []
        for n, line in enumerate(lines):
            out.append("  ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(line)).rstrip())
            if n == 0:
                out.append("  ".join("-" * w for w in widths))
        return "\n".join(out)

    def record(self, calibration: dict) -> dict:
        return {
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.started)),
            "duration_seconds": round(time.time() - self.started, 1),
            "quick": self.quick,
            "machine": machine(),
            "versions": versions(),
            "calibration": calibration,
            "settings": self.settings,
            "rows": [{**asdict(r), "ratio": r.ratio, "met": r.met} for r in self.rows],
        }

    def write(self, calibration: dict, path: Path | None = None) -> Path:
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = path or RESULTS / time.strftime("bench-%Y%m%d-%H%M%S.json")
        path.write_text(json.dumps(self.record(calibration), indent=2, default=str))
        return path


def fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if value != value:
            return "nan"
        if abs(value) >= 100:
            return f"{value:.0f}"
        if abs(value) >= 1:
            return f"{value:.2f}"
        return f"{value:.3g}"
    return str(value)


def machine() -> dict:
    import psutil

    return {
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "load_average": os.getloadavg(),
    }


def versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in ("Django", "celery", "kombu", "django-celery-beat", "djangorestframework", "redis", "psycopg",
                 "gunicorn"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    for name, argv in (("redis-server", ["redis-server", "--version"]), ("postgres", ["pgbench", "--version"]),
                       ("rabbitmq", ["rabbitmqctl", "version"])):
        found[name] = _output(argv, timeout=15)
    return found


def calibration(redis_url: str, database_url: str | None) -> dict:
    """How fast this machine's Redis and PostgreSQL are right now, so that figures from two
    runs (or two machines) can be compared: redis-benchmark SET/GET and a short pgbench."""
    from urllib.parse import urlsplit

    found: dict = {}
    r = urlsplit(redis_url)
    if shutil.which("redis-benchmark"):
        text = _output(["redis-benchmark", "-h", r.hostname or "127.0.0.1", "-p", str(r.port or 6379),
                        "-t", "set,get", "-n", "20000", "-q"], timeout=60) or ""
        found["redis_benchmark_rps"] = {m[0].lower(): float(m[1]) for m in re.findall(r"(\w+): ([\d.]+) requests", text)}
    if database_url and database_url.startswith("postgres") and shutil.which("pgbench"):
        # pgbench's built-in select-only script against its own small tables, in a scratch database.
        p = urlsplit(database_url)
        conn = ["-h", p.hostname or "127.0.0.1", "-p", str(p.port or 5432), "-U", p.username or "postgres"]
        subprocess.run(["createdb", *conn, "taskplane_pgbench"], capture_output=True, timeout=30)
        init = subprocess.run(["pgbench", *conn, "-i", "-s", "1", "-q", "taskplane_pgbench"], capture_output=True,
                              timeout=120)
        if init.returncode == 0:
            text = _output(["pgbench", *conn, "-S", "-c", "2", "-j", "2", "-T", "5", "taskplane_pgbench"], timeout=60)
            match = re.search(r"tps = ([\d.]+)", text or "")
            found["pgbench_select_only_tps"] = float(match.group(1)) if match else None
    return found


def _output(argv: list[str], timeout: float) -> str | None:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return (done.stdout or done.stderr).strip()


DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/taskplane_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/5"


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database named in url's path if it is missing."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_django() -> None:
    """Django in this process, on the benchmark's database (migrated). The environment decides
    the services: DATABASE_URL (default: a taskplane_bench database on the local PostgreSQL),
    REDIS_URL (default: db 5 of the local Redis)."""
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ.setdefault("REDIS_URL", DEFAULT_REDIS_URL)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scheduler_project.settings")
    os.environ.pop("TASKPLANE_ROLE", None)
    if os.environ["DATABASE_URL"].startswith("postgres"):
        ensure_database(os.environ["DATABASE_URL"])
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
