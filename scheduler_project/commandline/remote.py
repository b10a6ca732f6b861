"""The remote client: the daily commands over the REST API, for operators without a shell on a
server. `scheduler-cli --url URL --api-key KEY <resource> <action> ...` (or `taskplane-cli`;
TASKPLANE_URL / TASKPLANE_API_KEY in the environment instead of the flags) takes the same
command lines as `manage.py tasks|runs|workers|deadletters|instances` (grammar.py) and prints
the same (render.py, follow.py); `--json` prints the API's JSON.

It needs neither Django settings nor the platform's configuration: only `requests` and an API
key with the roles the endpoints ask for (README "REST API"). What the API does not offer is
refused with a message naming where to do it (cleanup, vacuum, reindex, config validate,
instances stepdown and reload-config need `manage.py` on a server).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from urllib.parse import quote, urlsplit

import requests

from scheduler_project.commandline import grammar, render
from scheduler_project.commandline.follow import Follower, FollowTimeout, follow, sse_events

# The run statuses that are not final, from the API's contract (DESIGN.md "Data": a run is
# pending, queued, running or retrying until it ends); tests/cli checks them against the engine.
ACTIVE_STATUSES = frozenset({"pending", "queued", "running", "retrying"})
HTTP_TIMEOUT = 30  # seconds for one request; a live stream sends a comment every 15 s
LOCAL_ONLY = "not available over the REST API: run `manage.py {}` (or `scheduler-cli {}`) on a server"


class RemoteError(Exception):
    pass


class Client:
    def __init__(self, url: str, api_key: str | None):
        parts = urlsplit(url.rstrip("/"))
        self.origin = f"{parts.scheme}://{parts.netloc}"
        # The API's paths are absolute (/api/v1/...); a URL with a path prefix (behind a proxy) keeps it.
        self.base = self.origin + parts.path.rstrip("/").removesuffix("/api/v1")
        self.session = requests.Session()
        self.session.headers["Accept"] = "application/json"
        if api_key:
            self.session.headers["X-API-Key"] = api_key

    def call(self, method: str, path: str, params=None, body=None, missing: str | None = None, absolute: bool = False):
        url = (self.origin if absolute else self.base) + path
        try:
            response = self.session.request(method, url, params=params, json=body, timeout=HTTP_TIMEOUT)
        except requests.RequestException as exc:
            raise RemoteError(f"{self.base}: {exc}") from None
        if response.status_code == 404 and missing:
            raise RemoteError(missing)
        if response.status_code >= 400:
            raise RemoteError(error_text(response))
        return response.json() if response.content else None

    def get(self, path, **params):
        return self.call("GET", path, params={k: v for k, v in params.items() if v not in (None, [], "")})

    def post(self, path, body=None, missing=None):
        return self.call("POST", path, body=body if body is not None else {}, missing=missing)

    def pages(self, path: str, **params) -> list[dict]:
        """Every item of a paginated list (limit/offset or cursor: both answer `next`)."""
        found, page = [], self.get(path, **params)
        while True:
            found += page["results"]
            if not page.get("next"):
                return found
            # The server's absolute link may name its own address (behind a proxy): keep ours.
            link = urlsplit(page["next"])
            page = self.call("GET", f"{link.path}?{link.query}", absolute=True)

    def stream(self, path: str, **params):
        """The lines of a Server-Sent Events response (its first line comes once the stream's
        session is registered on the server)."""
        try:
            response = self.session.get(self.base + path, params=params, stream=True, timeout=(HTTP_TIMEOUT, 60),
                                        headers={"Accept": "text/event-stream"})
        except requests.RequestException as exc:
            raise RemoteError(f"{self.base}: {exc}") from None
        if response.status_code >= 400:
            raise RemoteError(error_text(response))

        def lines():
            try:
                for line in response.iter_lines(decode_unicode=True):
                    yield (line or "") + "\n"
            except requests.RequestException:
                return  # the connection broke: the follower polls the record from here
            finally:
                response.close()

        return lines()


def error_text(response) -> str:
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return f"HTTP {response.status_code}: {response.text[:200]}"
    fields = "; ".join(f"{k}: {' '.join(v)}" for k, v in (error.get("fields") or {}).items())
    return error["message"] + (f" ({fields})" if fields else "")


def is_final(run: dict) -> bool:
    return run["status"] not in ACTIVE_STATUSES


class Remote:
    def __init__(self, client: Client, out=None, err=None):
        self.client, self.out, self.err = client, out or sys.stdout, err or sys.stderr

    def write(self, text: str) -> None:
        self.out.write(text + "\n")

    def show(self, data, as_json: bool, text) -> None:
        self.write(json.dumps(data, indent=2, ensure_ascii=False) if as_json else text(data))

    # --- names
    def task(self, ref: str) -> dict:
        text = str(ref).strip()
        found = [t for t in self.client.pages("/api/v1/tasks/", name=text, limit=500) if t["name"] == text]
        if found:
            return found[0]
        if text.isdigit() and len(text) <= 18:
            try:
                return self.client.call("GET", f"/api/v1/tasks/{text}/", missing="-")
            except RemoteError:
                pass
        raise RemoteError(f"unknown task {text!r}: no task has this name or id")

    def run(self, run_id: int) -> dict:
        return self.client.call("GET", f"/api/v1/runs/{run_id}/", missing=f"unknown run {run_id}: no run has this id")

    def worker(self, worker_id: str) -> dict:
        return self.client.call("GET", f"/api/v1/workers/{quote(worker_id, safe='')}/",
                                missing=f"worker {worker_id!r} is not registered")

    # --- tasks
    def tasks(self, action, task=None, json=False, param=None, wait=False, timeout=3600, **_):
        if action == "list":
            tasks = sorted(self.client.pages("/api/v1/tasks/", limit=500), key=lambda t: t["name"])
            return self.show(tasks, json, render.tasks_table)
        found = self.task(task)
        if action == "show":
            return self.show(found, json, render.task_detail)
        if action in ("pause", "resume"):
            enabled = action == "resume"
            self.client.post(f"/api/v1/tasks/{found['id']}/{action}/")
            state = "resumed (schedule enabled)" if enabled else "paused (schedule disabled)"
            changed = found["enabled"] != enabled
            return self.write(f"task {found['name']}: " + (state if changed else f"already {state.split()[0]}"))
        # trigger: with --wait, the task's live stream is open before the run exists
        events = sse_events(self.client.stream("/api/v1/events", task=found["id"])) if wait else None
        if events is not None:
            next(events, None)
        run = self.client.post(f"/api/v1/tasks/{found['id']}/trigger/", {"params": grammar.params(param) or {}})
        if not wait:
            return self.write(json_dumps(run) if json else f"run {run['id']} of {found['name']}: {run['status']}")
        self.err.write(f"--- run {run['id']} of {found['name']} triggered; waiting until it is final\n")
        final = follow(events, lambda: self.run(run["id"]), is_final, Follower(run["id"], self.out, self.err, json),
                       timeout=timeout, started=True)
        if not json:
            self.err.write(render.run_summary(final) + "\n")
        return 0 if final["status"] == "succeeded" else 1

    # --- runs
    def runs(self, action, run=None, json=False, param=None, follow=False, timeout=86400, **filters):
        if action == "list":
            if filters.get("worker"):
                self.worker(filters["worker"])
            query = {
                "task": self.task(filters["task"])["id"] if filters.get("task") else None,
                "status": filters.get("status") or [], "trigger": filters.get("trigger"), "worker": filters.get("worker"),
                **{name: grammar.moment(filters.get(name)) for name in
                   ("created_after", "created_before", "scheduled_after", "scheduled_before")},
                "limit": filters.get("limit", 50),
            }
            return self.show(self.client.get("/api/v1/runs/", **query)["results"], json, render.runs_table)
        if action == "show":
            return self.show(self.run(run), json, render.run_detail)
        if action == "logs":
            follower = Follower(run, self.out, self.err, as_json=json)
            if not follow:
                return follower.finish(self.run(run))
            self.run(run)  # an unknown run is an error before the stream is opened
            final = _follow(sse_events(self.client.stream(f"/api/v1/runs/{run}/events")), lambda: self.run(run),
                            follower, timeout)
            if not json:
                self.err.write(render.run_summary(final) + "\n")
            return None
        missing = f"unknown run {run}: no run has this id"
        if action == "cancel":
            done = self.client.post(f"/api/v1/runs/{run}/cancel/", missing=missing)
            if done["status"] == "cancelled":
                return self.write(f"run {run}: cancelled")
            return self.write(f"run {run}: cancel requested; its worker {done.get('worker') or '?'} is stopping it "
                              "(the request is repeated until it took effect)")
        new = self.client.post(f"/api/v1/runs/{run}/replay/", {"params": grammar.params(param) or {}}, missing=missing)
        return self.write(f"run {run} replayed as run {new['id']}: {new['status']}")

    # --- workers
    def workers(self, action, worker_id=None, json=False, deadline=None, **_):
        if action == "status":
            workers = sorted(self.client.pages("/api/v1/workers/", limit=500), key=lambda w: w["worker_id"])
            return self.show(workers, json, render.workers_table)
        if action == "show":
            return self.show(self.worker(worker_id), json, render.worker_detail)
        path, missing = f"/api/v1/workers/{quote(worker_id, safe='')}", f"worker {worker_id!r} is not registered"
        if action == "drain":
            worker = self.client.post(f"{path}/drain/", {"deadline_seconds": deadline} if deadline else {}, missing=missing)
            until = render.when(worker.get("drain_deadline")).replace("Z", "")
            return self.write(f"{worker['worker_id']}: draining until {until}Z; {len(worker.get('running') or [])} running")
        return self.write(f"{self.client.post(f'{path}/resume/', missing=missing)['worker_id']}: online")

    # --- dead letters
    def letter_path(self, ref: str, instance: str | None) -> tuple[str, str]:
        text = ref.strip()
        if instance and _is_entry(text):
            text = f"inbox-{instance}-{text}"
        if text.isdigit():
            text = f"run-{text}"
        if text.startswith("inbox-"):
            return "inbox", f"/api/v1/deadletters/inbox/{quote(text, safe='')}/"
        if text.startswith("run-"):
            return "run", f"/api/v1/deadletters/{quote(text, safe='')}/"
        if _is_entry(text):
            raise RemoteError(f"{text} is a stream entry id: say whose with --instance ID, or write inbox-<instance>-{text}")
        raise RemoteError(f"no dead letter {text!r}: dead letters are run-<id> or inbox-<instance>-<entry id>")

    def deadletters(self, action, json=False, instance=None, source=None, task=None, limit=50, letter=None,
                    letters=(), param=None, older_than=None, all=False, **_):
        if action == "list":
            task_id = self.task(task)["id"] if task else None
            if task_id is not None and source == "inbox" or instance and source == "run":
                raise RemoteError(f"--task selects dead runs and --instance inbox letters: not with --source {source}")
            runs = [] if source == "inbox" or (instance and not task_id) else \
                self.client.get("/api/v1/deadletters/", task=task_id, limit=min(limit, 500))["results"]
            inbox = [] if source == "run" or (task_id and not instance) else \
                self.client.get("/api/v1/deadletters/inbox/", instance=instance, count=min(limit, 1000))
            return self.show(render.merge_letters(runs, inbox, limit=limit), json, render.letters_table)
        if action == "show":
            _, path = self.letter_path(letter, instance)
            return self.write(json_dumps(self.client.call("GET", path, missing=f"no dead letter {letter}")))
        if action == "replay":
            kind, path = self.letter_path(letter, instance)
            if kind == "inbox" and param:
                raise RemoteError(f"{letter} is an inbox letter: it is delivered again as it was, without parameters")
            done = self.client.post(path + "replay/", {"params": grammar.params(param)} if param else {},
                                    missing=f"no dead letter {letter}")
            if kind == "run":
                return self.write(f"replayed {path.split('/')[-2]} as run {done['id']}: {done['status']}")
            _, entry = _split_inbox(path.rstrip("/").rsplit("/", 1)[-1])
            return self.write(f"replayed {entry} into the inbox of {done['instance_id']} as {done['inbox_entry_id']}")
        return self.purge(letters, instance, source, older_than, task, all)

    def purge(self, refs, instance, source, older_than, task, everything):
        runs, inbox = 0, {}
        if refs:
            if older_than or task or everything:
                raise RemoteError("name the letters to purge, or select them with options, not both")
            run_ids, by_instance = [], {}
            for ref in refs:
                kind, path = self.letter_path(ref, instance)
                name = path.rstrip("/").rsplit("/", 1)[-1]
                if kind == "run":
                    run_ids.append(name)
                else:
                    inst, entry = _split_inbox(name)
                    by_instance.setdefault(inst, []).append(entry)
            if run_ids:
                runs = self.client.post("/api/v1/deadletters/purge/", {"ids": run_ids})["deleted"]
            for inst, entries in by_instance.items():
                inbox[inst] = self.client.post("/api/v1/deadletters/inbox/purge/", {"instance": inst, "ids": entries})["deleted"]
        else:
            if source == "inbox" and (older_than or task):
                raise RemoteError("--older-than and --task select dead runs, not inbox letters")
            runs_selected = bool(older_than or task or (everything and source != "inbox"))
            inbox_selected = bool(instance or (everything and source != "run"))
            if not (runs_selected or inbox_selected):
                raise RemoteError("say what to purge: letter ids, --instance ID (its inbox letters), --older-than / --task "
                                  "(dead runs), or --all (with --source run or inbox: all of one kind)")
            if runs_selected:
                body = {"older_than": older_than} if older_than else {}
                if task:
                    body["task"] = self.task(task)["id"]
                runs = self.client.post("/api/v1/deadletters/purge/", body)["deleted"]
            if inbox_selected:
                targets = [instance] if instance else sorted({d["instance_id"] for d in self.client.get(
                    "/api/v1/deadletters/inbox/", count=1000)})
                for inst in targets:
                    inbox[inst] = self.client.post("/api/v1/deadletters/inbox/purge/", {"instance": inst})["deleted"]
        parts = [f"{runs} dead run(s)"] if runs or not inbox else []
        parts += [f"{n} dead letter(s) of {i}" for i, n in sorted(inbox.items())]
        return self.write(f"purged {', '.join(parts)}")

    # --- instances
    def instances(self, action, json=False, **_):
        if action != "list":
            raise RemoteError(LOCAL_ONLY.format(f"instances {action}", f"instance {action}"))
        return self.show(self.client.get("/api/v1/instances/"), json, render.instances_table)


def _follow(events, fetch, follower, timeout):
    return follow(events, fetch, is_final, follower, timeout=timeout)


def _is_entry(text: str) -> bool:
    ms, sep, seq = text.partition("-")
    return bool(sep) and ms.isdigit() and seq.isdigit()


def _split_inbox(name: str) -> tuple[str, str]:
    """inbox-<instance>-<ms>-<seq>: the entry id (two numbers) ends it, the instance may hold dashes."""
    body = name.removeprefix("inbox-")
    instance, ms, seq = body.rsplit("-", 2)
    return instance, f"{ms}-{seq}"


def json_dumps(data) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)


ALIASES = {"task": "tasks", "run": "runs", "worker": "workers", "instance": "instances", "deadletter": "deadletters",
           "dlq": "deadletters"}


def parser(prog: str = "taskplane-cli") -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog=prog, allow_abbrev=False,
                                  description="Taskplane's daily commands over the REST API.")
    top.add_argument("--url", default=os.environ.get("TASKPLANE_URL"),
                     help="the API's base URL, e.g. https://scheduler.example.com (env TASKPLANE_URL)")
    top.add_argument("--api-key", default=os.environ.get("TASKPLANE_API_KEY"),
                     help="an API key with the roles the command needs (env TASKPLANE_API_KEY)")
    resources = top.add_subparsers(dest="resource", required=True, metavar="RESOURCE")
    for name, add in grammar.RESOURCES.items():
        aliases = [alias for alias, target in ALIASES.items() if target == name]
        add(grammar.verb(resources, name, f"{name} over the REST API", aliases=aliases))
    return top


def main(argv: list[str] | None = None, prog: str = "taskplane-cli", out=None, err=None) -> int:
    err = err or sys.stderr
    args = vars(parser(prog).parse_args(sys.argv[1:] if argv is None else argv))
    url, api_key, resource = args.pop("url"), args.pop("api_key"), args.pop("resource")
    resource = ALIASES.get(resource, resource)
    if not url:
        err.write(f"{prog}: --url (or TASKPLANE_URL) is required: the API's base URL\n")
        return 2
    remote = Remote(Client(url, api_key), out=out, err=err)
    try:
        code = getattr(remote, resource)(**args)
    except (RemoteError, FollowTimeout) as exc:
        err.write(f"error: {exc}\n")
        return 1
    except KeyboardInterrupt:
        return 130
    return code or 0
