"""The worker's HTTP target policy in tests: receivers listen on loopback, which it denies by default."""


def allow_http_to(settings, *networks: str, deny: list[str] | None = None) -> None:
    """settings (pytest-django's fixture): [worker] http_allow = networks (and http_deny, if given)."""
    update = {"http_allow": list(networks)}
    if deny is not None:
        update["http_deny"] = deny
    settings.TP = settings.TP.model_copy(update={"worker": settings.TP.worker.model_copy(update=update)})
