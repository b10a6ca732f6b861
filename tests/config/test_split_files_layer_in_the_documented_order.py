"""config/auth.toml, security.toml and timeouts.toml (the first guide's split files) layer on
base.toml in that order, then the ENVIRONMENT's file, then the --config files (which replace
the ENVIRONMENT's file), then the environment variables."""

from tests.config.helpers import load


def test_each_layer_overrides_the_ones_before_it(config_dir, tmp_path):
    (config_dir / "auth.toml").write_text('[api.auth]\njwt_expiration_hours = 2\n[database]\nidle_timeout_seconds = 11\n')
    (config_dir / "security.toml").write_text("[database]\nidle_timeout_seconds = 22\nconnection_timeout_seconds = 5\n")
    (config_dir / "timeouts.toml").write_text("[database]\nconnection_timeout_seconds = 6\n[dispatcher]\n"
                                              "worker_timeout_seconds = 60\n")
    env = {"ENVIRONMENT": "development"}
    config = load(**env)
    assert [f.name for f in config.files] == ["base.toml", "auth.toml", "security.toml", "timeouts.toml",
                                             "development.toml"]
    tp = config.settings
    assert tp.api.auth.jwt_expiration_hours == 2  # auth.toml
    assert tp.database.idle_timeout_seconds == 22  # security.toml over auth.toml
    assert tp.database.connection_timeout_seconds == 6  # timeouts.toml over security.toml
    assert tp.api.auth.enabled is False  # development.toml over base.toml

    (config_dir / "development.toml").write_text("[dispatcher]\nworker_timeout_seconds = 70\n")
    assert load(**env).settings.dispatcher.worker_timeout_seconds == 70  # the environment's file over timeouts.toml

    first, second = tmp_path / "first.toml", tmp_path / "second.toml"
    first.write_text("[dispatcher]\nworker_timeout_seconds = 80\n[worker]\nmax_concurrent_tasks = 3\n")
    second.write_text("[dispatcher]\nworker_timeout_seconds = 90\n")
    config = load(first, second, **env)
    assert [f.name for f in config.files] == ["base.toml", "auth.toml", "security.toml", "timeouts.toml",
                                             "first.toml", "second.toml"]
    assert config.settings.dispatcher.worker_timeout_seconds == 90
    assert config.settings.worker.max_concurrent_tasks == 3
    assert config.settings.api.auth.enabled is True  # --config replaced development.toml

    config = load(first, second, **env, DATABASE_MAX_CONNECTIONS="33")
    assert config.settings.database.max_connections == 33  # the environment over every file


def test_taskplane_config_takes_several_files(config_dir, tmp_path):
    first, second = tmp_path / "first.toml", tmp_path / "second.toml"
    first.write_text("[worker]\nmax_concurrent_tasks = 3\ntags = ['gpu']\n")
    second.write_text("[worker]\nmax_concurrent_tasks = 4\n")
    config = load(TASKPLANE_CONFIG=f"{first}:{second}")
    assert (config.settings.worker.max_concurrent_tasks, config.settings.worker.tags) == (4, ["gpu"])


def test_without_split_files_nothing_changes(config_dir):
    assert [f.name for f in load().files] == ["base.toml"]
