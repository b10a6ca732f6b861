"""Unknown keys, wrong types, out-of-range values and unset required variables are errors,
each named by its key path, all of them at once."""

import pytest

from scheduler_project.config import ConfigError, load_config


def problems_of(tmp_path, text, env=None):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, env=env or {})
    return [str(p) for p in caught.value.problems]


def test_a_misspelled_key_is_named_with_a_suggestion(tmp_path):
    problems = problems_of(tmp_path, "[api.auth]\nenabeld = false\n")
    assert problems == ["api.auth.enabeld: unknown key (did you mean 'enabled'?)"]


def test_an_unknown_section_is_named(tmp_path):
    assert problems_of(tmp_path, "[databse]\nurl = 'x'\n") == ["databse: unknown key (did you mean 'database'?)"]


def test_a_wrong_type_is_named(tmp_path):
    (problem,) = problems_of(tmp_path, '[database]\nmax_connections = "many"\n')
    assert problem.startswith("database.max_connections: ")
    assert "'many'" in problem


def test_an_out_of_range_value_is_named(tmp_path):
    (problem,) = problems_of(tmp_path, "[message_queue.redis]\nport = 70000\n")
    assert problem.startswith("message_queue.redis.port: ")
    assert "65535" in problem


def test_an_unset_required_variable_is_named(tmp_path):
    (problem,) = problems_of(tmp_path, '[api.auth]\njwt_secret = "${JWT_SECRET}"\n')
    assert problem == "api.auth.jwt_secret: environment variable JWT_SECRET is not set (required by ${JWT_SECRET})"


def test_every_problem_is_reported_at_once(tmp_path):
    text = '[worker]\nmax_concurrent_tasks = 0\nsupported_task_types = ["shell", "ftp"]\n[dispatcher]\nenabeld = 1\n'
    paths = sorted(p.split(":")[0] for p in problems_of(tmp_path, text))
    assert paths == ["dispatcher.enabeld", "worker.max_concurrent_tasks", "worker.supported_task_types.1"]


def test_a_bad_environment_override_names_the_variable():
    with pytest.raises(ConfigError) as caught:
        load_config(env={"DATABASE_MAX_CONNECTIONS": "twenty", "API_KEYS": "{not json"})
    text = str(caught.value)
    assert "DATABASE_MAX_CONNECTIONS='twenty'" in text
    assert "API_KEYS=" in text


def test_an_unknown_role_in_api_keys_is_an_error():
    with pytest.raises(ConfigError) as caught:
        load_config(env={"API_KEYS": '{"k": ["Root"]}'})
    assert "api.auth.api_keys.k.0" in str(caught.value)


def test_cluster_mode_needs_cluster_urls(tmp_path):
    (problem,) = problems_of(tmp_path, '[scheduler.phase2.redis]\nmode = "cluster"\n')
    assert problem.startswith("scheduler.phase2.redis: ") and "cluster_urls" in problem


def test_broker_url_must_match_its_type():
    with pytest.raises(ConfigError) as caught:
        load_config(env={"MESSAGE_QUEUE_TYPE": "rabbitmq", "MESSAGE_QUEUE_URL": "redis://x:6379/1"})
    assert "amqp://" in str(caught.value)


def test_an_unknown_environment_is_an_error():
    with pytest.raises(ConfigError) as caught:
        load_config(env={"ENVIRONMENT": "prod"})
    assert "ENVIRONMENT: 'prod' has no config/prod.toml" in str(caught.value)


def test_a_toml_syntax_error_names_the_file(tmp_path):
    assert "TOML syntax error" in problems_of(tmp_path, "[api\n")[0]
