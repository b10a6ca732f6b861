"""A problem names the key and the file (or environment variable) it came from, whichever
layer it is in, so the operator knows which file to open."""

import pytest

from scheduler_project.config import ConfigError
from tests.config.helpers import load


def problems(*files, **env) -> dict[str, str]:
    with pytest.raises(ConfigError) as caught:
        load(*files, **env)
    text = str(caught.value)
    return {p.path: (p.source, text) for p in caught.value.problems}


def test_each_problem_names_its_file(config_dir, tmp_path):
    (config_dir / "auth.toml").write_text("[api.auth]\nenabeld = false\n")
    (config_dir / "security.toml").write_text("[api.security]\nmax_request_size_mb = -1\n")
    (config_dir / "timeouts.toml").write_text('[dispatcher]\nworker_timeout_seconds = "soon"\n')
    extra = tmp_path / "extra.toml"
    extra.write_text('[api.tls]\ncert_file = "${CERT_FILE}"\n')
    found = problems(extra, DATABASE_MAX_CONNECTIONS="many")
    assert found["api.auth.enabeld"][0] == str(config_dir / "auth.toml")
    assert found["api.security.max_request_size_mb"][0] == str(config_dir / "security.toml")
    assert found["dispatcher.worker_timeout_seconds"][0] == str(config_dir / "timeouts.toml")
    assert found["api.tls.cert_file"][0] == str(extra)
    assert found["database.max_connections"][0] == "environment variable DATABASE_MAX_CONNECTIONS"
    text = found["api.auth.enabeld"][1]
    assert f"api.auth.enabeld: unknown key (did you mean 'enabled'?)  [{config_dir / 'auth.toml'}]" in text


def test_a_later_file_that_fixes_a_key_takes_the_blame_away(config_dir, tmp_path):
    (config_dir / "timeouts.toml").write_text('[dispatcher]\nworker_timeout_seconds = "soon"\n')
    fixed = tmp_path / "fixed.toml"
    fixed.write_text("[dispatcher]\nworker_timeout_seconds = 30\n")
    assert load(fixed).settings.dispatcher.worker_timeout_seconds == 30


def test_a_rule_across_keys_names_every_file_that_gave_them(tmp_path):
    broker = tmp_path / "broker.toml"
    broker.write_text('[message_queue]\ntype = "rabbitmq"\n')
    found = problems(broker, MESSAGE_QUEUE_URL="redis://r:6379/1")
    source = found["message_queue"][0]
    assert str(broker) in source and "environment variable MESSAGE_QUEUE_URL" in source


def test_an_old_name_is_blamed_under_its_old_name(tmp_path):
    instance = tmp_path / "instance.toml"
    instance.write_text("[server]\nport = 99999\n")
    found = problems(instance)
    assert found["api.bind_address"][0] == f"{instance} (as server.port)"
