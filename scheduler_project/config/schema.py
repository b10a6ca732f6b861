"""The shape of the configuration: every section, key, type and range.

Section and key names are those of the deployment guides we replace (see README
"Configuration"); multi-instance settings live under [scheduler.phase2] as in the
second guide, so its configuration files validate here unchanged in that section.
Unknown keys are errors (extra="forbid"): a misspelled key must not be ignored.
"""

from __future__ import annotations

import re
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from scheduler_project.outbound import LOOPBACK
from scheduler_project.queues import MAX_WORKER_TAGS  # a worker consumes a queue per combination of its tags

Role = Literal["Admin", "TaskRead", "TaskWrite", "WorkerRead", "WorkerWrite", "SystemRead"]
TaskType = Literal["shell", "http"]
NAME_RE = re.compile(r"^[A-Za-z0-9_.@-]+$")


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


def _name(value: str, what: str) -> str:
    if not NAME_RE.match(value):
        raise ValueError(f"{what} {value!r} may only contain letters, digits and _ . @ -")
    return value


class DatabasePool(Section):
    max_connections: int = Field(10, ge=1, le=1000)
    min_connections: int = Field(1, ge=0, le=1000)
    acquire_timeout_seconds: float = Field(30, gt=0, le=3600)
    max_lifetime_seconds: float = Field(1800, gt=0)
    idle_timeout_seconds: float = Field(600, gt=0)


POSTGRES_SCHEMES = ("postgres", "postgresql")


class Database(Section):
    url: str = ""  # empty: the embedded SQLite database under [embedded] data_dir
    max_connections: int = Field(10, ge=1, le=1000)
    min_connections: int = Field(1, ge=0, le=1000)
    connection_timeout_seconds: float = Field(30, gt=0, le=3600)
    idle_timeout_seconds: float = Field(600, gt=0)
    statement_timeout_seconds: float = Field(0, ge=0)  # 0: no limit
    # The first guide's primary/replica layout. `url` is the primary, which every role writes to.
    read_only: bool = False
    # name = URL of a streaming replica of `url`: the api role's read-only requests read from a
    # healthy one (scheduler_project.db.replicas).
    read_replicas: dict[str, str] = Field(default_factory=dict)
    replica_max_lag_seconds: float = Field(10, gt=0, le=86400)  # further behind: skipped until it catches up
    replica_check_interval_seconds: float = Field(2, gt=0, le=300)  # how long a health check is believed
    replica_check_timeout_seconds: float = Field(1, gt=0, le=60)  # a check slower than this fails
    pool: DatabasePool | None = None

    @field_validator("url")
    @classmethod
    def _scheme(cls, value: str) -> str:
        if value and value.split(":", 1)[0] not in (*POSTGRES_SCHEMES, "sqlite"):
            raise ValueError(f"unsupported database URL scheme in {value.split(':', 1)[0]!r}: use postgresql:// or sqlite://")
        return value

    @field_validator("read_only")
    @classmethod
    def _writable(cls, value: bool) -> bool:
        if value:
            raise ValueError(
                "true is not supported: [database] url is the primary, which every role writes to (runs, heartbeats, "
                "audit); put read-only servers under [database.read_replicas] instead"
            )
        return value

    @field_validator("read_replicas")
    @classmethod
    def _replicas(cls, value: dict[str, str]) -> dict[str, str]:
        for name, url in value.items():
            _name(name, "replica name")
            if url.split(":", 1)[0] not in POSTGRES_SCHEMES:
                raise ValueError(f"{name}: a replica is a postgresql:// URL, got {url.split(':', 1)[0]!r}")
        return value

    @model_validator(mode="after")
    def _bounds(self) -> Database:
        if self.min_connections > self.max_connections:
            raise ValueError("min_connections must not exceed max_connections")
        if self.pool and self.pool.min_connections > self.pool.max_connections:
            raise ValueError("pool.min_connections must not exceed pool.max_connections")
        if self.read_replicas and self.url.split(":", 1)[0] not in POSTGRES_SCHEMES:
            raise ValueError("read_replicas need a PostgreSQL primary: set url (DATABASE_URL) to a postgresql:// URL")
        return self


class MessageQueueRedis(Section):
    host: str = ""  # empty (and no message_queue.url): the embedded Redis
    port: int = Field(6379, ge=1, le=65535)
    database: int = Field(0, ge=0, le=15)
    connection_timeout_seconds: float = Field(30, gt=0)
    read_timeout_seconds: float = Field(5, gt=0)
    visibility_timeout_seconds: int = Field(21600, ge=60)


class MessageQueue(Section):
    type: Literal["redis_stream", "rabbitmq"] = "redis_stream"
    url: str = ""
    task_queue: str = "tasks"
    status_queue: str = "status_updates"
    heartbeat_queue: str = "heartbeats"
    control_queue: str = "control"
    # Notification deliveries (notifications_app): consumed by the control role, apart from the
    # engine's queues, so that a slow webhook target never queues up behind (or ahead of) run events.
    notification_queue: str = "notifications"
    max_retries: int = Field(3, ge=0, le=100)
    retry_delay_seconds: float = Field(60, ge=0, le=86400)
    prefetch_count: int = Field(1, ge=1, le=10000)
    consumer_timeout_seconds: float = Field(60, gt=0)
    publisher_confirms: bool = True
    durable_queues: bool = True
    redis: MessageQueueRedis = MessageQueueRedis()

    @field_validator("task_queue", "status_queue", "heartbeat_queue", "control_queue", "notification_queue")
    @classmethod
    def _queue_names(cls, value: str) -> str:
        return _name(value, "queue name")

    @model_validator(mode="after")
    def _url_matches_type(self) -> MessageQueue:
        scheme = self.url.split(":", 1)[0] if self.url else ""
        if self.type == "rabbitmq" and not self.url:
            raise ValueError("type 'rabbitmq' needs url (MESSAGE_QUEUE_URL), e.g. amqp://guest:guest@localhost:5672//")
        if scheme and self.type == "rabbitmq" and scheme not in ("amqp", "amqps", "pyamqp"):
            raise ValueError(f"type 'rabbitmq' needs an amqp:// url, got {scheme}://")
        if scheme and self.type == "redis_stream" and scheme not in ("redis", "rediss"):
            raise ValueError(f"type 'redis_stream' needs a redis:// url, got {scheme}://")
        return self

    def transport_options(self) -> dict:
        """Celery's broker_transport_options for this broker (settings.py; the benchmarks' raw
        Celery baselines use the same)."""
        if self.type == "rabbitmq":
            return {"confirm_publish": self.publisher_confirms}
        return {"visibility_timeout": self.redis.visibility_timeout_seconds,
                "socket_timeout": self.redis.read_timeout_seconds,
                "socket_connect_timeout": self.redis.connection_timeout_seconds}


class Dispatcher(Section):
    enabled: bool = True
    schedule_interval_seconds: float = Field(10, gt=0, le=3600)
    worker_timeout_seconds: float = Field(90, gt=0)
    sweep_interval_seconds: int = Field(2, ge=1, le=3600)
    worker_stall_seconds: int = Field(120, ge=1)


class Worker(Section):
    enabled: bool = True
    worker_id: str = ""  # empty: the host name
    max_concurrent_tasks: int = Field(5, ge=1, le=1000)
    supported_task_types: list[TaskType] = Field(default_factory=lambda: ["shell", "http"], min_length=1)
    tags: list[str] = Field(default_factory=list, max_length=MAX_WORKER_TAGS)
    heartbeat_interval_seconds: float = Field(30, gt=0, le=3600)
    worker_memory_limit_mb: int = Field(0, ge=0)  # 0: no limit
    max_output_bytes: int = Field(1_048_576, ge=1024, le=64 * 1_048_576)
    drain_deadline_seconds: int = Field(3600, ge=1)
    # The HTTP target policy (scheduler_project/outbound.py): HTTP tasks never connect to
    # link-local or cloud metadata addresses, nor to http_deny (default: this host, loopback),
    # unless the address is inside http_allow. Private ranges are allowed unless denied here.
    http_allow: list[str] = Field(default_factory=list)
    http_deny: list[str] = Field(default_factory=lambda: list(LOOPBACK))

    @field_validator("http_allow", "http_deny")
    @classmethod
    def _http_networks(cls, value: list[str]) -> list[str]:
        return _networks(value)

    @field_validator("worker_id")
    @classmethod
    def _worker_id(cls, value: str) -> str:
        return _name(value, "worker_id") if value else value

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        return [_name(tag, "tag") for tag in value]


class Auth(Section):
    enabled: bool = True
    jwt_secret: str = ""
    jwt_expiration_hours: float = Field(24, gt=0)
    refresh_token_expiration_days: float = Field(30, gt=0)
    api_keys: dict[str, list[Role]] = Field(default_factory=dict)


def _networks(value: list[str]) -> list[str]:
    import ipaddress

    for item in value:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ValueError(f"{item!r} is not an IP address or network (e.g. 10.0.0.0/8)") from None
    return value


class RateLimiting(Section):
    enabled: bool = False
    max_requests_per_minute: int = Field(1000, ge=1)
    burst_size: int = Field(100, ge=0)


class Security(Section):
    cors_enabled: bool = False
    cors_origins: list[str] = Field(default_factory=list)
    cors_max_age_seconds: int = Field(3600, ge=0)
    rate_limiting_enabled: bool = False
    max_requests_per_minute: int = Field(1000, ge=1)
    burst_size: int = Field(100, ge=0)
    max_request_size_mb: float = Field(10, gt=0)
    max_json_payload_size_mb: float = Field(5, gt=0)
    # Addresses or networks of the load balancers in front of the api: only a request from one of
    # them has its client address taken from X-Forwarded-For (scheduler_project.api.principal).
    trusted_proxies: list[str] = Field(default_factory=list)

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_networks(cls, value: list[str]) -> list[str]:
        return _networks(value)


class Tls(Section):
    enabled: bool = False
    cert_file: str = ""
    key_file: str = ""
    ca_file: str = ""

    @model_validator(mode="after")
    def _files(self) -> Tls:
        if self.enabled and not (self.cert_file and self.key_file):
            raise ValueError("enabled TLS needs cert_file and key_file")
        return self


class Api(Section):
    enabled: bool = True
    bind_address: str = "127.0.0.1:8000"
    workers: int = Field(2, ge=1, le=64)
    threads: int = Field(8, ge=1, le=256)
    cors_enabled: bool = False
    cors_origins: list[str] = Field(default_factory=list)
    auth: Auth = Auth()
    rate_limiting: RateLimiting = RateLimiting()
    security: Security = Security()
    tls: Tls = Tls()

    @field_validator("bind_address")
    @classmethod
    def _bind(cls, value: str) -> str:
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"bind_address {value!r} must be host:port")
        return value


class LogFields(Section):
    service_name: str = "taskplane"
    service_version: str = ""
    environment: str = ""


class Observability(Section):
    log_level: Literal["trace", "debug", "info", "warning", "warn", "error", "critical"] = "info"
    log_format: Literal["json", "pretty"] = "pretty"
    log_file: str = ""
    max_log_file_size_mb: float = Field(5, gt=0)
    max_log_files: int = Field(5, ge=1)
    health_port: int = Field(0, ge=0, le=65535)  # 0: off (scheduler_project.health_server)
    log_fields: LogFields = LogFields()

    @field_validator("log_level", mode="before")
    @classmethod
    def _lower(cls, value):
        return value.lower() if isinstance(value, str) else value


class Phase2Redis(Section):
    mode: Literal["single", "cluster"] = "single"
    url: str = ""  # empty in single mode: the embedded Redis
    cluster_urls: list[str] = Field(default_factory=list)
    key_prefix: str = "taskplane"

    @model_validator(mode="after")
    def _mode(self) -> Phase2Redis:
        if self.mode == "cluster" and not self.cluster_urls:
            raise ValueError("mode 'cluster' needs cluster_urls")
        for url in ([self.url] if self.url else []) + self.cluster_urls:
            if not url.startswith(("redis://", "rediss://", "unix://")):
                raise ValueError(f"{url!r} is not a redis:// URL")
        _name(self.key_prefix, "key_prefix")
        return self


class NodeSnapshot(Section):
    presence_ttl_seconds: int = Field(45, ge=1)
    remove_stale_after_seconds: int = Field(600, ge=1)


class Phase2(Section):
    enabled: bool = True
    instance_id: str = ""  # empty: the host name
    owner_ttl_seconds: int = Field(45, ge=3, le=3600)
    stream_block_ms: int = Field(1000, ge=1, le=20000)  # below the Redis socket timeout (30 s)
    stream_count: int = Field(64, ge=1, le=10000)
    stream_group: str = "scheduler"
    stream_maxlen: int = Field(10000, ge=100)
    dlq_enabled: bool = True
    dlq_maxlen: int = Field(10000, ge=100)
    dlq_max_deliveries: int = Field(10, ge=1, le=1000)
    dlq_min_idle_ms: int = Field(60000, ge=100)
    dlq_scan_interval_ms: int = Field(5000, ge=100)
    dlq_scan_count: int = Field(100, ge=1, le=10000)
    redis: Phase2Redis = Phase2Redis()
    node_snapshot: NodeSnapshot = NodeSnapshot()

    @field_validator("instance_id", "stream_group")
    @classmethod
    def _ids(cls, value: str) -> str:
        return _name(value, "name") if value else value


class Scheduler(Section):
    # The second guide's [scheduler]: the default timeout_seconds of a task that gives none
    # (the Task model's default). Its other keys are aliases of [worker] keys (seed.py).
    job_timeout_seconds: int = Field(3600, ge=1, le=7 * 86400)
    phase2: Phase2 = Phase2()


class Notifications(Section):
    """Notification channels, rules and run-level SLAs (notifications_app; README "Notifications")."""

    # false: no rule is evaluated and nothing is written when runs conclude (nor SLAs checked).
    enabled: bool = True
    concurrency: int = Field(4, ge=1, le=64)  # delivery threads of each control process
    timeout_seconds: float = Field(10, gt=0, le=300)  # one webhook request / SMTP conversation
    max_attempts: int = Field(8, ge=1, le=100)  # then the notification is given up, with the reason
    retry_backoff_seconds: float = Field(5, gt=0, le=3600)  # the first retry's delay, doubling each time
    retry_backoff_max_seconds: float = Field(600, gt=0, le=86400)
    sweep_interval_seconds: int = Field(5, ge=1, le=3600)  # SLA checks, due retries, abandoned claims
    # The links in messages: the console and API of this deployment. Empty: http://[api] bind_address.
    base_url: str = ""
    # Webhook targets in link-local or cloud metadata networks (169.254.0.0/16, fe80::/10,
    # fd00:ec2::254) are refused unless inside one of these networks.
    allow_networks: list[str] = Field(default_factory=list)
    # E-mail channels, through Django's mail framework (SMTP).
    email_from: str = "taskplane@localhost"
    smtp_host: str = ""  # empty: e-mail channels fail with "no SMTP server configured"
    smtp_port: int = Field(25, ge=1, le=65535)
    smtp_username: str = ""
    smtp_password: str = ""  # "${SMTP_PASSWORD}": never written in the file itself
    smtp_use_tls: bool = False  # STARTTLS
    smtp_use_ssl: bool = False  # SMTP over TLS (port 465)

    @field_validator("allow_networks")
    @classmethod
    def _allowed(cls, value: list[str]) -> list[str]:
        return _networks(value)

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        if value and not re.match(r"^https?://[^/\s]+", value):
            raise ValueError(f"{value!r} must be an http:// or https:// URL, e.g. https://taskplane.example.com")
        return value.rstrip("/")

    @field_validator("email_from")
    @classmethod
    def _from(cls, value: str) -> str:
        if "@" not in value:
            raise ValueError(f"{value!r} is not an e-mail address")
        return value

    @model_validator(mode="after")
    def _tls(self) -> Notifications:
        if self.smtp_use_tls and self.smtp_use_ssl:
            raise ValueError("smtp_use_tls (STARTTLS) and smtp_use_ssl (implicit TLS) exclude each other: pick one")
        if self.retry_backoff_seconds > self.retry_backoff_max_seconds:
            raise ValueError("retry_backoff_seconds must not exceed retry_backoff_max_seconds")
        return self


class Embedded(Section):
    data_dir: str = "var"  # relative to the project directory
    redis_port: int = Field(6399, ge=1, le=65535)


class DjangoSection(Section):
    secret_key: str = ""
    debug: bool = False
    allowed_hosts: list[str] = Field(default_factory=lambda: ["127.0.0.1", "localhost"])
    time_zone: str = "UTC"


class TaskplaneConfig(Section):
    # Django's LazySettings asks every value it hands out for `_mask_wrapped`; on a pydantic model
    # that miss goes through BaseModel.__getattr__ and a raised AttributeError, about 3 us (10x
    # the lookup) for each `settings.TP` on every hot path. Answering it here makes it a plain read.
    _mask_wrapped: ClassVar[bool] = True

    database: Database = Database()
    message_queue: MessageQueue = MessageQueue()
    dispatcher: Dispatcher = Dispatcher()
    worker: Worker = Worker()
    api: Api = Api()
    observability: Observability = Observability()
    scheduler: Scheduler = Scheduler()
    notifications: Notifications = Notifications()
    embedded: Embedded = Embedded()
    django: DjangoSection = DjangoSection()
