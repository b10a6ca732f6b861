"""An old key and ours for the same thing: in one file they must agree (which was meant cannot
be guessed); across files the later file wins, whichever name either uses."""

import pytest

from scheduler_project.config import ConfigError
from tests.config.helpers import load


def test_disagreeing_names_in_one_file_are_a_problem(tmp_path):
    path = tmp_path / "both.toml"
    path.write_text("[scheduler]\nmax_concurrent_jobs_per_node = 4\n[worker]\nmax_concurrent_tasks = 8\n"
                    '[server]\nport = 5010\n[api]\nbind_address = "0.0.0.0:9000"\n')
    with pytest.raises(ConfigError) as caught:
        load(path)
    found = {p.path: p for p in caught.value.problems}
    assert "disagrees with worker.max_concurrent_tasks = 8" in found["scheduler.max_concurrent_jobs_per_node"].message
    assert "disagrees with api.bind_address" in found["server"].message
    assert found["server"].source == str(path)


def test_agreeing_names_in_one_file_are_fine(tmp_path):
    path = tmp_path / "both.toml"
    path.write_text("[scheduler]\nheartbeat_interval_seconds = 5\n[worker]\nheartbeat_interval_seconds = 5\n")
    assert load(path).settings.worker.heartbeat_interval_seconds == 5


def test_across_files_the_later_one_wins_whatever_name_it_uses(tmp_path):
    old, new = tmp_path / "old.toml", tmp_path / "new.toml"
    old.write_text("[server]\nport = 5010\nhost = '0.0.0.0'\n")
    new.write_text('[api]\nbind_address = "127.0.0.1:7000"\n')
    assert load(old, new).settings.api.bind_address == "127.0.0.1:7000"
    assert load(new, old).settings.api.bind_address == "0.0.0.0:5010"
    port_only = tmp_path / "port.toml"
    port_only.write_text("[server]\nport = 6000\n")
    assert load(new, port_only).settings.api.bind_address == "127.0.0.1:6000"  # the host from before


def test_an_unknown_key_of_an_old_section_is_still_an_error(tmp_path):
    path = tmp_path / "server.toml"
    path.write_text("[server]\nport = 5010\nworkers = 4\n")
    with pytest.raises(ConfigError) as caught:
        load(path)
    assert [str(p) for p in caught.value.problems] == [
        "server.workers: unknown key ([server] host and port are its only keys here)"]


def test_read_only_true_is_refused_with_the_reason(tmp_path):
    path = tmp_path / "ro.toml"
    path.write_text('[database]\nurl = "postgresql://db/s"\nread_only = true\n')
    with pytest.raises(ConfigError) as caught:
        load(path)
    (problem,) = caught.value.problems
    assert problem.path == "database.read_only" and "read_replicas" in problem.message


def test_a_disagreement_never_shows_a_password(tmp_path):
    path = tmp_path / "urls.toml"
    path.write_text('database_url = "postgresql://u:old-secret@db/s"\n[database]\nurl = "postgresql://u:new-secret@db/s"\n')
    with pytest.raises(ConfigError) as caught:
        load(path)
    text = str(caught.value)
    assert "database_url: 'postgresql://u:***@db/s' disagrees with database.url = 'postgresql://u:***@db/s'" in text
    assert "secret" not in text
