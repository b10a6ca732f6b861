"""Execution queue names: what a worker consumes and where a run of a given type goes.

A task's tags are all required: a task tagged [eu, gpu] goes to `tasks.<type>.eu+gpu`, and a
worker consumes one queue per combination of its own tags (`tasks.<type>.eu`, `.gpu`, `.eu+gpu`
for a worker tagged eu and gpu), so only a worker holding every tag of the task receives it.
The combinations grow as 2^tags, hence the cap on a worker's tags."""

from itertools import combinations

MAX_WORKER_TAGS = 6  # 63 queues per task type


def tag_key(tags) -> str:
    """One name for a set of tags, whatever their order or repetition."""
    return "+".join(sorted(set(tags or ())))


def execution_queue(task_queue: str, task_type: str, tags=None) -> str:
    key = tag_key(tags)
    return f"{task_queue}.{task_type}.{key}" if key else f"{task_queue}.{task_type}"


def execution_queues(task_queue: str, task_types: list[str], tags: list[str]) -> list[str]:
    """A worker serves its types untagged, and every combination of its tags for each type."""
    unique = sorted(set(tags))
    if len(unique) > MAX_WORKER_TAGS:
        raise ValueError(f"a worker may have at most {MAX_WORKER_TAGS} tags, not {len(unique)}")
    queues = []
    for task_type in task_types:
        queues.append(execution_queue(task_queue, task_type))
        for size in range(1, len(unique) + 1):
            queues += [execution_queue(task_queue, task_type, combo) for combo in combinations(unique, size)]
    return queues


# A worker node's answer queue (wire.ANSWER_TO_QUEUE): not durable; on RabbitMQ an answer older
# than a delivery waits (workers_app.execution.CLAIM_GIVE_UP_SECONDS) is dropped, and the queue
# itself once its node has not consumed it for an hour (the node is gone; it declares it again
# when it comes back). Redis keeps neither limit: there it is a list, emptied by its node.
ANSWER_MESSAGE_TTL_SECONDS = 600
ANSWER_QUEUE_EXPIRES_SECONDS = 3600


def answer_queue(task_queue: str, node: str) -> str:
    """The queue of one worker node's start-claim answers. Under the execution queues' name, so
    that deployments sharing a broker keep them apart; `answers` is no task type, so it names no
    execution queue."""
    return f"{task_queue}.answers.{node}"
