"""deploy/Dockerfile: multi-stage, python:3.11-slim runtime by default, non-root, HEALTHCHECK on
/health, `python manage.py` entry point, no compiler, Flower only in its own target, and every
file it copies is in the build context (the repository root, filtered by
deploy/Dockerfile.dockerignore). `make container-test` builds and runs it for real."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

from tests.deploy._tools import DEPLOY, ROOT

DOCKERFILE = DEPLOY / "Dockerfile"
IGNORE = DEPLOY / "Dockerfile.dockerignore"
# Files every role needs inside the image (relative to the build context).
NEEDED_IN_IMAGE = ["manage.py", "scheduler_project/settings.py", "config/base.toml",
                   "config/production.toml", "requirements/base.txt", "deploy/config/worker.toml"]


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n", " ", "\n".join(l for l in text.splitlines() if not l.lstrip().startswith("#")))
    out = []
    for line in joined.splitlines():
        if line.strip():
            word, _, rest = line.strip().partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def _pattern_regex(pattern: str) -> re.Pattern:
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out)


def ignored(path: str, patterns: list[str]) -> bool:
    """.dockerignore semantics, simplified: the last matching pattern wins, `!` re-includes, a
    pattern that matches a directory covers everything under it, `**/` matches any depth."""
    parts = path.strip("/").split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    result = False
    for raw in patterns:
        negate = raw.startswith("!")
        regex = _pattern_regex(raw.lstrip("!").strip("/"))
        if any(regex.fullmatch(prefix) for prefix in prefixes):
            result = not negate
    return result


def ignore_patterns(path: Path) -> list[str]:
    return [l.strip() for l in path.read_text().splitlines() if l.strip() and not l.strip().startswith("#")]


def stages(steps: list[tuple[str, str]]) -> list[dict]:
    """[{base, alias, steps}] in file order."""
    out: list[dict] = []
    for word, rest in steps:
        if word == "FROM":
            parts = rest.split()
            alias = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else None
            out.append({"base": parts[0], "alias": alias, "steps": []})
        elif out:
            out[-1]["steps"].append((word, rest))
    return out


def effective(stage: dict, all_stages: list[dict]) -> tuple[str, list[tuple[str, str]]]:
    """(base image, instructions) of a stage, through the earlier stages it is built FROM."""
    by_alias = {s["alias"]: s for s in all_stages if s["alias"]}
    base, steps = stage["base"], list(stage["steps"])
    while base in by_alias:
        parent = by_alias[base]
        base, steps = parent["base"], parent["steps"] + steps
    return base, steps


def dockerfile_problems(dockerfile: Path, context: Path, ignore_file: Path | None, target: str | None = None) -> list[str]:
    problems = []
    steps = instructions(dockerfile.read_text())
    args = {}
    for word, rest in steps:
        if word == "ARG" and "=" in rest:
            key, _, value = rest.partition("=")
            args.setdefault(key.strip(), value.strip())
    all_stages = stages(steps)
    if len(all_stages) < 2:
        problems.append("not a multi-stage build")
    if all_stages:
        final = all_stages[-1] if target is None else next(s for s in all_stages if s["alias"] == target)
        base, final_steps = effective(final, all_stages)
        base = re.sub(r"\$\{?(\w+)\}?", lambda m: args.get(m.group(1), m.group(0)), base)
        if base != "python:3.11-slim":
            problems.append(f"runtime stage is {base}, expected python:3.11-slim")
    else:
        final_steps = []
    users = [rest for word, rest in final_steps if word == "USER"]
    if not users or users[-1].split(":")[0] in ("root", "0"):
        problems.append("runtime stage does not switch to a non-root USER")
    health = [rest for word, rest in final_steps if word == "HEALTHCHECK"]
    if target is None and (not health or "/health" not in health[-1]):
        problems.append("no HEALTHCHECK on /health")
    entry = [rest for word, rest in final_steps if word == "ENTRYPOINT"]
    if target is None and (not entry or json.loads(entry[-1]) != ["python", "manage.py"]):
        problems.append('ENTRYPOINT is not ["python", "manage.py"]')
    if re.search(r"\b(build-essential|gcc|g\+\+|clang)\b", dockerfile.read_text()):
        problems.append("installs a compiler: every pinned package must come as a wheel")
    patterns = ignore_patterns(ignore_file) if ignore_file and ignore_file.is_file() else []
    for word, rest in steps:
        if word not in ("COPY", "ADD"):
            continue
        words = [w for w in shlex.split(rest) if not w.startswith("--")]
        if any(w.startswith("--from") for w in shlex.split(rest)):
            continue
        for source in words[:-1]:
            if source in (".", "./"):
                continue
            if not (context / source).exists():
                problems.append(f"{word} source {source} does not exist in the build context")
            elif ignored(source.rstrip("/"), patterns):
                problems.append(f"{word} source {source} is excluded by {ignore_file.name}")
    for needed in NEEDED_IN_IMAGE:
        if ignored(needed, patterns):
            problems.append(f"{needed} is excluded from the image by {ignore_file.name}")
    return problems


def test_dockerfile_is_sound():
    assert dockerfile_problems(DOCKERFILE, ROOT, IGNORE) == []


def test_dockerfile_installs_the_runtime_pins_into_a_venv_in_the_builder():
    text = DOCKERFILE.read_text()
    # python3: Debian's interpreter (make container-test's base image) has no `python` name.
    assert "requirements/base.txt" in text and "python3 -m venv /opt/venv" in text
    assert "COPY --from=builder /opt/venv /opt/venv" in text
    # pip's CA bundle arrives as a build secret, never in a layer.
    assert "--mount=type=secret,id=pip_cert" in text and "COPY /etc/ssl" not in text


def test_flower_is_kept_off_the_image_of_every_role():
    all_stages = stages(instructions(DOCKERFILE.read_text()))
    _, default = effective(all_stages[-1], all_stages)
    text = " ".join(rest for _, rest in default)
    assert "flower" not in text.lower(), "the default target (every role but Flower) must not install Flower"
    _, flower = effective(next(s for s in all_stages if s["alias"] == "flower"), all_stages)
    assert any(word == "COPY" and "--from=flower-builder" in rest for word, rest in flower)
    builder = " ".join(rest for _, rest in next(s for s in all_stages if s["alias"] == "flower-builder")["steps"])
    assert "requirements/flower.txt" in builder
    assert dockerfile_problems(DOCKERFILE, ROOT, IGNORE, target="flower") == []
    base = (ROOT / "requirements" / "base.txt").read_text().lower()
    assert not re.search(r"^flower==", base, re.M), "flower belongs in requirements/flower.txt"


def test_ignore_rules_keep_secrets_and_vcs_out():
    patterns = ignore_patterns(IGNORE)
    for path in (".git/config", ".env", "deploy/.env", "tests/deploy/_tools.py", "var/db.sqlite3"):
        assert ignored(path, patterns), path


def test_checker_rejects_a_single_stage_root_image_with_missing_sources(tmp_path):
    (tmp_path / "Dockerfile").write_text(
        "FROM python:3.12\nRUN apt-get install -y build-essential\nCOPY requirements/nope.txt /tmp/\n"
        "ENTRYPOINT [\"python\"]\n"
    )
    (tmp_path / "ignore").write_text("manage.py\n")
    problems = "\n".join(dockerfile_problems(tmp_path / "Dockerfile", ROOT, tmp_path / "ignore"))
    for expected in ("not a multi-stage build", "expected python:3.11-slim", "non-root USER",
                     "no HEALTHCHECK", "ENTRYPOINT", "requirements/nope.txt does not exist",
                     "manage.py is excluded", "installs a compiler"):
        assert expected in problems, expected


def test_ignore_matcher_follows_dockerignore_rules():
    patterns = ["deploy", "!deploy/config", "**/__pycache__", "*.sqlite3"]
    assert ignored("deploy/k8s/api.yaml", patterns)
    assert not ignored("deploy/config/worker.toml", patterns)
    assert ignored("a/b/__pycache__/x.pyc", patterns)
    assert ignored("db.sqlite3", patterns) and not ignored("var/db.sqlite3", patterns)
    assert not ignored("manage.py", patterns)
