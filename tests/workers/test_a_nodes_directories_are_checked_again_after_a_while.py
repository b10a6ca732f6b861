"""A pool child asks for its node's directories several times per run, so they are made and their
ownership checked once per NODE_DIRS_CHECK_SECONDS, not on every call (workers_app.execution):
within that time every call gets the same registry; after it, a directory removed meanwhile (a
/tmp cleaner) is made again."""

import shutil

from workers_app import execution

NODE = "worker@dirs"


def test_the_same_registry_within_the_interval_and_a_removed_directory_made_again_after_it(tmp_path, monkeypatch):
    monkeypatch.setenv("TASKPLANE_RUNTIME_DIR", str(tmp_path))
    first = execution.registry_for(NODE)
    assert execution.registry_for(NODE) is first and execution.reports_dir(NODE).is_dir()
    shutil.rmtree(first.dir)
    assert execution.registry_for(NODE) is first and not first.dir.exists()  # not checked again yet

    monkeypatch.setattr(execution, "NODE_DIRS_CHECK_SECONDS", 0.0)
    again = execution.registry_for(NODE)
    assert again is not first and again.dir == first.dir and execution.reports_dir(NODE).is_dir()


def test_another_runtime_directory_is_another_registry(tmp_path, monkeypatch):
    monkeypatch.setenv("TASKPLANE_RUNTIME_DIR", str(tmp_path / "one"))
    one = execution.registry_for(NODE)
    monkeypatch.setenv("TASKPLANE_RUNTIME_DIR", str(tmp_path / "two"))
    assert execution.registry_for(NODE).dir == tmp_path / "two" / "worker_dirs" != one.dir
