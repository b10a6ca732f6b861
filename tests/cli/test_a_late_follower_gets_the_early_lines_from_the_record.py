"""Following a run (console/follow.py), with the events and records given: lines that come live
are printed as they come; lines printed before the follower joined (not in the live stream until
it keeps a backlog) are printed from the run's record when it ends, under a note; the last lines,
when the final status overtook their live event, are printed from the record after the live
ones; a run already
final is printed from its record; a live stream that differs from the record (lines cut or
dropped in transit) is not patched up but pointed to `runs show`; a quiet stream still ends
the follow once the record says the run is final."""

import io
import json

import pytest

from scheduler_project.commandline.follow import Follower, FollowTimeout, follow, sse_events


def record(status: str, stdout: str = "", stderr: str = "", started: bool = True) -> dict:
    return {"id": 7, "task_name": "t", "status": status, "stdout": stdout, "stderr": stderr, "exit_code": 0,
            "started_at": "2026-01-01T00:00:00Z" if started else None}


def output(*lines, stream="stdout") -> dict:
    return {"kind": "output", "run_id": 7, "lines": [[stream, line] for line in lines]}


def status(name: str) -> dict:
    return {"kind": "status", "run_id": 7, "status": name}


def run_follow(events, records, as_json=False, timeout=10):
    out, err = io.StringIO(), io.StringIO()
    replies = iter(records)
    last = {}

    def fetch():
        last["run"] = next(replies, last.get("run"))
        return last["run"]

    final = follow(iter(events), fetch, lambda r: r["status"] not in ("running", "queued"), Follower(7, out, err, as_json),
                   timeout=timeout, poll_seconds=0)
    return final, out.getvalue(), err.getvalue()


def test_lines_before_joining_come_from_the_record_after_the_live_ones():
    _, out, err = run_follow([None, output("second"), output("third"), status("succeeded")],
                             [record("running"), record("running"), record("succeeded", "first\nsecond\nthird\n")])
    assert out.splitlines() == ["second", "third", "first"]
    assert "is running since" in err and "the 1 line(s) of stdout written before following began" in err


def test_every_line_live_needs_nothing_from_the_record():
    _, out, err = run_follow([None, output("first", "second"), output("err!", stream="stderr"), status("failed")],
                             [record("queued", started=False), record("failed", "first\nsecond\n", "err!\n")])
    assert out.splitlines() == ["first", "second"] and "err!" in err
    assert "before following began" not in err and "is running since" not in err


def test_lines_whose_live_event_came_after_the_final_status_come_from_the_record():
    # The control role applied `finished` before the last output batch (seen in CI: the last
    # line of `tasks trigger --wait` was missing).
    _, out, err = run_follow([None, output("line-1", "line-2"), output("oops", stream="stderr"), status("succeeded")],
                             [record("queued", started=False),
                              record("succeeded", "line-1\nline-2\nline-3\ncolour=red\n", "oops\nbye\n")])
    assert out.splitlines() == ["line-1", "line-2", "line-3", "colour=red"]
    assert err.splitlines()[-1] == "bye" and "before following began" not in err and "differs" not in err

    _, out, err = run_follow([None, output("second"), status("succeeded")],
                             [record("running"), record("succeeded", "first\nsecond\nthird\n")])
    assert out.splitlines() == ["second", "third", "first"]
    assert "the 1 line(s) of stdout written before following began" in err


def test_a_final_run_is_printed_from_its_record():
    _, out, err = run_follow([None], [record("succeeded", "a\nb\n", "warn\n")])
    assert out.splitlines() == ["a", "b"] and err.splitlines() == ["warn"]


def test_a_stream_that_differs_from_the_record_is_pointed_to_runs_show():
    _, out, err = run_follow([None, output("x" * 10), status("succeeded")],
                             [record("running"), record("succeeded", "something else\n")])
    assert out.splitlines() == ["x" * 10] and "`runs show 7` has the record" in err


def test_a_quiet_stream_ends_when_the_record_is_final():
    final, out, _ = run_follow([None, None, None, None], [record("running"), record("running"), record("succeeded", "done\n")])
    assert final["status"] == "succeeded" and out.splitlines() == ["done"]


def test_a_run_that_never_ends_times_out():
    def forever():
        while True:
            yield None

    with pytest.raises(FollowTimeout, match="still running"):
        run_follow(forever(), [record("running")], timeout=0.2)


def test_json_prints_one_event_a_line_and_the_final_status():
    _, out, _ = run_follow([None, output("second"), status("succeeded")],
                           [record("running"), record("succeeded", "first\nsecond\n")], as_json=True)
    events = [json.loads(line) for line in out.splitlines()]
    assert [e["kind"] for e in events] == ["output", "output", "status"]
    assert events[0]["lines"] == [["stdout", "second"]]
    assert events[1]["from_record"] is True and events[1]["lines"] == [["stdout", "first"]]
    assert events[-1] == {"kind": "status", "run_id": 7, "status": "succeeded", "exit_code": 0, "final": True}


def test_server_sent_events_are_parsed_whole():
    text = [': session abc on instance i\n\n', 'event: output\nid: 5-0\ndata: {"kind": "output", "run_id": 7, ',
            '"lines": []}\n\n', ': keep-alive\n\n', "event: status\ndata: not json\n\n"]
    expected = [None, {"kind": "output", "run_id": 7, "lines": [], "_id": "5-0"}, None]
    assert list(sse_events(["".join(text)])) == expected
    # A chunk may end anywhere, even mid-line (text split as a network might).
    assert list(sse_events(text)) == expected
    whole = "".join(text).encode()
    assert list(sse_events([whole[i:i + 7] for i in range(0, len(whole), 7)])) == expected
