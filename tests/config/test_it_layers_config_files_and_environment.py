"""base.toml, then the ENVIRONMENT's file (or --config), then ${VAR:-default}, then env overrides."""

from scheduler_project.config import load_config


def test_base_alone_gives_the_embedded_defaults():
    config = load_config(env={})
    assert config.environment == "base"
    assert config.settings.database.url == ""
    assert config.uses_embedded_redis()
    assert config.broker_url == "redis://127.0.0.1:6399/1"
    assert config.redis_url == "redis://127.0.0.1:6399/0"


def test_environment_selects_the_file_layered_on_base():
    config = load_config(env={"ENVIRONMENT": "development"})
    assert config.environment == "development"
    assert config.settings.api.auth.enabled is False  # from development.toml
    assert config.settings.api.auth.jwt_expiration_hours == 24  # still from base.toml
    assert config.settings.observability.log_level == "debug"


def test_placeholders_take_the_variable_or_the_default(tmp_path):
    extra = tmp_path / "extra.toml"
    extra.write_text('[worker]\nworker_id = "${MY_NODE:-node-default}"\n[api]\nbind_address = "${BIND}"\n')
    assert load_config(extra, env={"BIND": "0.0.0.0:9000"}).settings.worker.worker_id == "node-default"
    config = load_config(extra, env={"BIND": "0.0.0.0:9000", "MY_NODE": "node-7"})
    assert config.settings.worker.worker_id == "node-7"
    assert config.settings.api.bind_address == "0.0.0.0:9000"


def test_the_seed_environment_variables_override_the_files():
    env = {
        "DATABASE_URL": "postgresql://u:p@db:5432/sched",
        "DATABASE_MAX_CONNECTIONS": "20",
        "MESSAGE_QUEUE_TYPE": "rabbitmq",
        "MESSAGE_QUEUE_URL": "amqp://guest:guest@mq:5672//",
        "REDIS_URL": "redis://state:6379/2",
        "JWT_SECRET": "s3cret",
        "API_KEYS": '{"key1": ["Admin"], "key2": ["TaskRead", "TaskWrite"]}',
        "LOG_FORMAT": "json",
        "INSTANCE_ID": "scheduler-1",
        "WORKER_ID": "worker-001",
    }
    tp = load_config(env=env).settings
    assert tp.database.url == "postgresql://u:p@db:5432/sched"
    assert tp.database.max_connections == 20
    assert tp.message_queue.type == "rabbitmq"
    assert tp.message_queue.url == "amqp://guest:guest@mq:5672//"
    assert tp.scheduler.phase2.redis.url == "redis://state:6379/2"
    assert tp.api.auth.jwt_secret == "s3cret"
    assert tp.api.auth.api_keys == {"key1": ["Admin"], "key2": ["TaskRead", "TaskWrite"]}
    assert tp.observability.log_format == "json"
    assert tp.scheduler.phase2.instance_id == "scheduler-1"
    assert tp.worker.worker_id == "worker-001"


def test_services_given_in_the_environment_replace_the_embedded_ones():
    env = {"MESSAGE_QUEUE_TYPE": "rabbitmq", "MESSAGE_QUEUE_URL": "amqp://mq//", "REDIS_URL": "redis://r:6379/0"}
    config = load_config(env=env)
    assert config.broker_url == "amqp://mq//"
    assert config.redis_url == "redis://r:6379/0"
    assert not config.uses_embedded_redis()


def test_production_file_is_complete_when_its_variables_are_set():
    env = {
        "DATABASE_URL": "postgresql://db/s",
        "MESSAGE_QUEUE_URL": "amqp://mq//",
        "FRONTEND_URL": "https://ops.example.com",
        "JWT_SECRET": "x",
        "REDIS_URL": "redis://r:6379",
        "DJANGO_SECRET_KEY": "y",
    }
    config = load_config("config/production.toml", env=env)
    assert config.environment == "production"
    assert config.settings.api.bind_address == "0.0.0.0:8080"
    assert config.settings.api.cors_origins == ["https://ops.example.com"]


def test_a_worker_node_needs_the_embedded_redis_only_as_its_broker():
    remote_broker = load_config(env={"MESSAGE_QUEUE_TYPE": "rabbitmq", "MESSAGE_QUEUE_URL": "amqp://mq//"})
    assert not remote_broker.uses_embedded_redis(["worker"])  # no state Redis on worker nodes
    assert remote_broker.uses_embedded_redis(["control"])  # the control plane needs its state Redis
    assert load_config(env={}).uses_embedded_redis(["worker"])  # the embedded broker
