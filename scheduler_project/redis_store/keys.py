"""Every Redis key of the platform, under `[scheduler.phase2.redis] key_prefix`.

The multi-instance keys follow the layout of the multi-instance guide (shared/seeds/002), so
its redis-cli runbook works as written. `{instance:ID}` is a hash tag: an instance's inbox,
DLQ, error history and sessions share one cluster slot. Nothing else builds a key."""

from scheduler_project.redis_store.client import key


def presence(instance_id: str) -> str:
    return key("schedulers", "presence", instance_id)


def presence_pattern() -> str:
    return key("schedulers", "presence", "*")


def known_instances() -> str:
    """Every instance ever announced: how a dead instance's inbox is found for adoption."""
    return key("schedulers", "known")


def roles(instance_id: str) -> str:
    return key("schedulers", "roles", instance_id)


def leader() -> str:
    return key("schedulers", "leader")


def leader_fence() -> str:
    return key("schedulers", "leader", "fence")


def stepdown(instance_id: str) -> str:
    return key("schedulers", "stepdown", instance_id)


def _tag(instance_id: str) -> str:
    return f"{{instance:{instance_id}}}"


def inbox(instance_id: str) -> str:
    return key("streams", _tag(instance_id), "inbox")


def dlq(instance_id: str) -> str:
    return key("streams", _tag(instance_id), "dlq")


def errors(instance_id: str) -> str:
    """Hash: inbox entry id -> JSON list of failed deliveries (the history a dead letter carries)."""
    return key("streams", _tag(instance_id), "errors")


def sessions(instance_id: str) -> str:
    """Hash: session id -> JSON filter of a live event stream connected to this instance."""
    return key("sessions", _tag(instance_id))


def sessions_index() -> str:
    """Set: the instances that have live event streams now."""
    return key("sessions", "instances")


def run_output(run_id: int, attempt: int) -> str:
    """Stream: the output lines of one execution (a run's attempt) while it runs, capped, expired
    after the attempt ends (instances_app.live_output). `{run:ID}` keeps a run's attempts in one slot."""
    return key("output", f"{{run:{run_id}}}", f"a{attempt}")


# --- worker nodes (the guide's node snapshots)

def nodes_all() -> str:
    return key("v1", "nodes", "all")


def node_snapshot(node_id: str) -> str:
    return key("v1", "nodes", "snapshot", node_id)


# --- platform plumbing

def metric(name: str) -> str:
    """Hash: one platform counter or histogram (scheduler_project.metrics.counters)."""
    return key("metrics", name)


def rate_limit_bucket(ident: str) -> str:
    return key("ratelimit", ident)


def config_generation(instance_id: str) -> str:
    """Counter bumped by a config reload, read by every api process of the instance."""
    return key("config", "generation", instance_id)


def pong(token: str) -> str:
    """The answer of a diagnostic ping round trip."""
    return key("diagnostics", "pong", token)
