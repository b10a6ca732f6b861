"""The one Django settings module. Every value comes from config/*.toml and the environment
through scheduler_project.config; nothing here is read from os.environ directly except the
process role, which `manage.py serve` sets for each child it starts.
"""

import os
from datetime import timedelta

import dj_database_url
from corsheaders.defaults import default_headers as corsheaders_default_headers

from scheduler_project import wire
from scheduler_project.config import get_config
from scheduler_project.logging_config import build_logging
from scheduler_project.version import __version__

CONFIG = get_config()
TP = CONFIG.settings

# api | dispatcher | control | worker, or "" for manage.py commands and tests.
ROLE = os.environ.get("TASKPLANE_ROLE", "")
VERSION = __version__
INSTANCE_ID = CONFIG.instance_id
WORKER_ID = CONFIG.worker_id
DATA_DIR = CONFIG.data_dir

SECRET_KEY = TP.django.secret_key
DEBUG = TP.django.debug
ALLOWED_HOSTS = TP.django.allowed_hosts
TIME_ZONE = TP.django.time_zone
USE_TZ = True
LANGUAGE_CODE = "en-us"
USE_I18N = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
ROOT_URLCONF = "scheduler_project.urls"
WSGI_APPLICATION = "scheduler_project.wsgi.application"
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"  # filled by collectstatic (make run, the image), served by WhiteNoise
# WhiteNoise also finds files in the apps' static/ directories, so the console's and the admin's
# assets are served (offline, from this process) even where collectstatic was not run: an api
# started by hand, the tests' platform. It scans them once at start.
WHITENOISE_USE_FINDERS = True
DATA_UPLOAD_MAX_MEMORY_SIZE = int(TP.api.security.max_request_size_mb * 1024 * 1024)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_prometheus",
    "rest_framework",
    "rest_framework_api_key",
    "django_celery_beat",
    "scheduler_project",
    "accounts_app",
    "tasks_app",
    "workers_app",
    "instances_app",
    # Channels, rules, the notification outbox and run-level SLAs (issue 17).
    "notifications_app",
    # Every read-side number: /metrics, /api/v1/stats, /api/system/health/detailed, /dashboard.
    "monitoring_app",
    # The operator console at /ui/ (issue 16), above everything else.
    "console_app",
    # REST API (issue 5): CORS, filters, OpenAPI with an offline Swagger UI, the audit log.
    "corsheaders",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "audit_app",
]
# A worker node executes runs and talks to the broker only: no admin, API, dashboard or audit
# (about 20 MB less per process, and a prefork worker has max_concurrent_tasks + 1 of them).
# The apps left are those whose models its task modules import; serve ran the system checks
# with the full list before starting the role (see scheduler_project/celery.py).
WORKER_APPS = ["django_celery_beat", "scheduler_project", "tasks_app", "workers_app", "instances_app"]
if ROLE == "worker":
    INSTALLED_APPS = WORKER_APPS

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "scheduler_project.api.middleware.RequestSizeLimitMiddleware",  # 413 before anything reads the body
    "corsheaders.middleware.CorsMiddleware",
    "scheduler_project.api.middleware.LiveConfigMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # the admin's static files, without a separate server
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "audit_app.middleware.AdminAuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def _database(db) -> dict:
    if not db.url:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{DATA_DIR / 'taskplane.sqlite3'}"
    else:
        url = db.url
    conf = dj_database_url.parse(url)
    # django-prometheus's subclasses of the same backends: query counts and latencies in /metrics.
    conf["ENGINE"] = conf["ENGINE"].replace("django.db.backends.", "django_prometheus.db.backends.", 1)
    if conf["ENGINE"].endswith("sqlite3"):
        # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at BEGIN,
        # so two processes never deadlock upgrading a read lock; the timeout waits for it.
        conf["OPTIONS"] = {
            "timeout": db.connection_timeout_seconds,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
        conf["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
        return conf
    options = {"connect_timeout": max(1, int(db.connection_timeout_seconds))}
    if db.statement_timeout_seconds:
        options["options"] = f"-c statement_timeout={int(db.statement_timeout_seconds * 1000)}"
    if ROLE in ("api", "control"):
        # A pool per process for the threaded roles; they never fork after opening it.
        pool = db.pool
        options["pool"] = {
            "min_size": pool.min_connections if pool else db.min_connections,
            "max_size": pool.max_connections if pool else db.max_connections,
            "timeout": pool.acquire_timeout_seconds if pool else db.connection_timeout_seconds,
            "max_idle": pool.idle_timeout_seconds if pool else db.idle_timeout_seconds,
            "max_lifetime": pool.max_lifetime_seconds if pool else 1800,
        }
        conf["CONN_MAX_AGE"] = 0
        # Django passes check=ConnectionPool.check_connection to the pool with this: a pooled
        # connection is checked (one empty query) as it is handed out, so after a database cut
        # (failover, pg_terminate_backend, a network blip) a dead one is replaced instead of
        # failing the request that got it.
        conf["CONN_HEALTH_CHECKS"] = True
    else:
        conf["CONN_MAX_AGE"] = db.idle_timeout_seconds
        conf["CONN_HEALTH_CHECKS"] = True
    conf["OPTIONS"] = options
    return conf


def _replica(url: str, db) -> dict:
    """A read replica, for the api role: plain persistent connections (a pool would make a
    request wait its acquire timeout for a dead replica), failing fast when it is down."""
    conf = dj_database_url.parse(url)
    conf["ENGINE"] = "django_prometheus.db.backends.postgresql"
    options = {"connect_timeout": max(2, int(db.replica_check_timeout_seconds + 0.999)),
               "application_name": f"taskplane-{ROLE or 'manage'}"}  # in the replica's pg_stat_activity
    if db.statement_timeout_seconds:
        options["options"] = f"-c statement_timeout={int(db.statement_timeout_seconds * 1000)}"
    conf["OPTIONS"] = options
    conf["CONN_MAX_AGE"] = db.idle_timeout_seconds
    conf["CONN_HEALTH_CHECKS"] = True
    conf["TEST"] = {"MIRROR": "default"}  # tests never create a database for it
    return conf


# Worker nodes hold no database credentials: any database access there is a bug and fails.
DATABASES = {} if ROLE == "worker" else {"default": _database(TP.database)}
# Read replicas ([database.read_replicas]) serve the api role's read-only requests
# (scheduler_project.db.replicas). The engine, control role and dispatcher never see them:
# they write, and read what they wrote. "" is manage.py and the tests.
DATABASE_REPLICAS: dict[str, str] = {}  # alias -> replica name
if ROLE in ("api", "") and TP.database.read_replicas:
    for _name, _url in TP.database.read_replicas.items():
        DATABASES[f"replica_{_name}"] = _replica(_url, TP.database)
        DATABASE_REPLICAS[f"replica_{_name}"] = _name
    DATABASE_ROUTERS = ["scheduler_project.db.replicas.ReadReplicaRouter"]
    # Outside every middleware that reads the database (sessions, auth, audit), so that a request
    # it answers again from the primary passes through all of them again.
    MIDDLEWARE.insert(1, "scheduler_project.db.middleware.ReadReplicaMiddleware")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

# --- REST API (scheduler_project/api/ and each app's api/). README "REST API".
REST_FRAMEWORK = {
    # X-API-Key first: its authenticate_header makes a missing credential a 401, not a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts_app.authentication.APIKeyAuthentication",
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["scheduler_project.api.permissions.RolePermission"],
    "DEFAULT_THROTTLE_CLASSES": ["scheduler_project.api.throttling.RedisTokenBucketThrottle"],
    # JSON; the browsable API only for staff sessions that ask for HTML (scheduler_project.api.renderers).
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer", "rest_framework.renderers.BrowsableAPIRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "scheduler_project.api.renderers.StaffBrowsableNegotiation",
    "DEFAULT_PARSER_CLASSES": ["scheduler_project.api.parsers.StrictJSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "scheduler_project.api.pagination.StandardPagination",
    "DEFAULT_SCHEMA_CLASS": "scheduler_project.api.schema.TaskplaneAutoSchema",
    "EXCEPTION_HANDLER": "scheduler_project.api.errors.exception_handler",
    "PAGE_SIZE": 50,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Taskplane API",
    "DESCRIPTION": "Tasks, runs, workers, dead letters and instances. Authenticate with X-API-Key or a "
                   "JWT (POST /api/v1/auth/token/). Every error has one body: {\"error\": {status, code, message, fields}}. "
                   "No string of a JSON body, object keys included, may contain NUL (U+0000): it is refused with a 400.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                             "scheduler_project.api.schema.no_nul_in_request_strings"],
    "SWAGGER_UI_DIST": "SIDECAR",  # drf-spectacular-sidecar: the UI's files from our static files, offline
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "RunStatusEnum": "tasks_app.states.STATUSES",
        "APIKeySourceEnum": "accounts_app.models.APIKey.Source",
        "AuditSourceEnum": "audit_app.models.AuditEntry.Source",
    },
}
# JWT for users: lifetimes from [api.auth]; signed with jwt_secret, or SECRET_KEY when it is
# empty (scheduler_project.api.startup warns about that outside development).
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(hours=TP.api.auth.jwt_expiration_hours),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=TP.api.auth.refresh_token_expiration_days),
    "SIGNING_KEY": TP.api.auth.jwt_secret or SECRET_KEY,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "UPDATE_LAST_LOGIN": False,
}
# CORS: which origins pass is decided per request from the live configuration
# (scheduler_project.api.cors, a django-cors-headers signal), so reload-config changes it.
CORS_ALLOWED_ORIGINS: list[str] = []
CORS_URLS_REGEX = r"^/api/.*$"
CORS_PREFLIGHT_MAX_AGE = TP.api.security.cors_max_age_seconds
CORS_ALLOW_HEADERS = (*corsheaders_default_headers, "x-api-key")
CORS_EXPOSE_HEADERS = ["Retry-After"]
API_KEY_CUSTOM_HEADER = "HTTP_X_API_KEY"

# --- Celery: JSON only, acks after execution, run state in our tables (no result backend).
MQ = TP.message_queue
CELERY_BROKER_URL = CONFIG.broker_url
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = MQ.consumer_timeout_seconds
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = MQ.prefetch_count
CELERY_TASK_DEFAULT_QUEUE = MQ.control_queue
CELERY_TASK_CREATE_MISSING_QUEUES = True
CELERY_TASK_DEFAULT_DELIVERY_MODE = "persistent" if MQ.durable_queues else "transient"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_WORKER_SEND_TASK_EVENTS = False
# Every message passes scheduler_project/broker_guard.py before Celery's handler: the wrong role's
# task, an unknown one, pickle or YAML, a body of the wrong shape are refused and recorded, never
# run, never the consumer's end (issue 15 items 2, 3, 5).
CELERY_WORKER_CONSUMER = "scheduler_project.broker_guard:GuardedConsumer"
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_BROKER_TRANSPORT_OPTIONS = MQ.transport_options()
# A RabbitMQ connection that died without a word (the broker's host restarted elsewhere, a NAT or
# load balancer dropped it: no FIN, no RST) must never leave a process waiting on it:
# - AMQP heartbeats on the consumers' connections (Celery's default is 120 s): the consumer
#   notices within about two of them and reconnects. Publishing connections negotiate none.
# - a socket timeout on every broker read and write: a publish waiting for its confirm (Celery's
#   own worker heartbeat event, our node heartbeat, an execution, a report) fails after it and
#   kombu retries it on a fresh connection. Without it such a wait never ends, and when it sits
#   in a worker's event loop, the loop that would check the consumer's heartbeats is stuck too:
#   the process consumes nothing until it is restarted (issue 14 item 12).
# (The Redis transport has its socket timeout, [message_queue.redis] read_timeout_seconds.)
# - a channel error while the consumer starts again is retried like a lost connection, not
#   fatal: after such a death the broker still holds the old connection (and the remote-control
#   queue it declared exclusively: RESOURCE_LOCKED) until its own heartbeat check drops it.
CELERY_BROKER_HEARTBEAT = 20
CELERY_BROKER_CHANNEL_ERROR_RETRY = True
BROKER_SOCKET_TIMEOUT_SECONDS = 10.0
if MQ.type == "rabbitmq":
    CELERY_BROKER_TRANSPORT_OPTIONS = {**CELERY_BROKER_TRANSPORT_OPTIONS, "read_timeout": BROKER_SOCKET_TIMEOUT_SECONDS,
                                       "write_timeout": BROKER_SOCKET_TIMEOUT_SECONDS}
if TP.worker.worker_memory_limit_mb:
    CELERY_WORKER_MAX_MEMORY_PER_CHILD = TP.worker.worker_memory_limit_mb * 1024  # KiB
# Fires only while this instance holds the leader lease (instances_app.scheduler).
CELERY_BEAT_SCHEDULER = "instances_app.scheduler:LeaderScheduler"
CELERY_BEAT_MAX_LOOP_INTERVAL = min(TP.dispatcher.schedule_interval_seconds, TP.scheduler.phase2.owner_ttl_seconds / 3)
DJANGO_CELERY_BEAT_TZ_AWARE = True
CELERY_BEAT_SCHEDULE = {
    "taskplane-sweep": {
        "task": "control.sweep",
        "schedule": float(TP.dispatcher.sweep_interval_seconds),
        # A sweep not taken within two periods is stale: the next one does the same work.
        "options": {"queue": MQ.control_queue, "expires": 2.0 * TP.dispatcher.sweep_interval_seconds},
    },
    "taskplane-sweep-workers": {
        "task": "control.sweep_workers",
        "schedule": float(TP.dispatcher.sweep_interval_seconds),
        "options": {"queue": MQ.control_queue, "expires": 2.0 * TP.dispatcher.sweep_interval_seconds},
    },
    "taskplane-sweep-inboxes": {
        "task": "control.sweep_inboxes",
        # Beat's interval rows count whole seconds.
        "schedule": max(1.0, TP.scheduler.phase2.dlq_scan_interval_ms // 1000),
        "options": {"queue": MQ.control_queue, "expires": max(2.0, TP.scheduler.phase2.dlq_scan_interval_ms / 500)},
    },
    "taskplane-sweep-notifications": {
        "task": wire.SWEEP_NOTIFICATIONS,
        "schedule": float(TP.notifications.sweep_interval_seconds),
        "options": {"queue": MQ.control_queue, "expires": 2.0 * TP.notifications.sweep_interval_seconds},
    },
}

# --- E-mail notification channels (notifications_app) through Django's mail framework: SMTP
# settings from [notifications] (the password from ${SMTP_PASSWORD}, never written in a file).
_N = TP.notifications
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = _N.smtp_host or "localhost"
EMAIL_PORT = _N.smtp_port
EMAIL_HOST_USER = _N.smtp_username
EMAIL_HOST_PASSWORD = _N.smtp_password
EMAIL_USE_TLS = _N.smtp_use_tls
EMAIL_USE_SSL = _N.smtp_use_ssl
EMAIL_TIMEOUT = _N.timeout_seconds
DEFAULT_FROM_EMAIL = _N.email_from

LOGGING = build_logging(
    TP.observability, instance_id=INSTANCE_ID, role=ROLE, worker_id=WORKER_ID if ROLE == "worker" else ""
)
if TP.observability.log_format == "json":
    # Every line one JSON object, from the start: Django applies LOGGING only in django.setup(),
    # and what a process says before that (Celery's privilege warning, any Python warning) would
    # be plain text. Python's warnings become log lines too (logger py.warnings).
    import logging.config

    logging.config.dictConfig(LOGGING)
    logging.captureWarnings(True)
