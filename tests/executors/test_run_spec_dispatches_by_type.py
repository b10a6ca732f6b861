import json

from workers_app.executors import ExecutionResult, run_spec


def test_each_type_goes_to_its_executor_with_the_options_it_understands(http_server, registry):
    shell = run_spec("shell", {"command": "echo hi"}, timeout=5, execution_id="run-1-a1", registry=registry)
    http = run_spec(
        "http", {"url": f"{http_server}/ok"}, timeout=5, kill_grace=1, execution_id="run-2-a1", registry=registry
    )

    assert (shell.status, shell.stdout) == ("succeeded", "hi\n")
    assert (http.status, http.http_status) == ("succeeded", 200)


def test_an_unknown_type_or_a_non_object_spec_fails():
    assert run_spec("ftp", {}).error == "unknown task type 'ftp' (expected shell or http)"
    assert run_spec("shell", None, timeout=1).status == "failed"
    assert run_spec("http", ["x"], timeout=1).status == "failed"


def test_results_are_json_serializable():
    result = ExecutionResult("failed", exit_code=2, response_headers={"A": "b"}, error="exit code 2")

    assert json.loads(json.dumps(result.to_dict()))["response_headers"] == {"A": "b"}

