"""The Redis op accounting (instances_app.ops) writes a whole flush, every count and latency
sample of every op, in one round trip, and the scrape shows the same numbers as one write each."""

from scheduler_project.redis_store import accounting as ops
from scheduler_project.redis_store.client import get_counting_redis
from tests.observability.helpers import scrape_platform
from tests.support.redis import counting_round_trips


def test_a_flush_is_one_round_trip_and_counts_exactly(redis_prefix):
    counts = {("xadd", "ok"): 7, ("xack", "ok"): 3, ("xack", "err"): 1}
    samples = {"xadd": [0.0004] * 50, "xack": [0.002, 0.03]}
    get_counting_redis().ping()  # connected beforehand: the handshake is not the flush's
    with counting_round_trips() as sends:
        ops.flush(counts, samples)
    assert sends["round trips"] == 1  # was one per sample: 55 here, hundreds every FLUSH_SECONDS

    scraped = scrape_platform()
    assert scraped[("scheduler_phase2_redis_op_total", (("op", "xadd"), ("result", "ok")))] == 7
    assert scraped[("scheduler_phase2_redis_op_total", (("op", "xack"), ("result", "err")))] == 1
    assert scraped[("scheduler_redis_op_duration_seconds_count", (("op", "xadd"),))] == 50
    assert abs(scraped[("scheduler_redis_op_duration_seconds_sum", (("op", "xack"),))] - 0.032) < 1e-9
