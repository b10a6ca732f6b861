"""Helpers for the API tests: the live configuration changed as reload-config would, and waiting
for a real api process to answer."""

from dataclasses import replace

from scheduler_project import live_config as live


def set_live(**changes) -> live.LiveValues:
    live._current = replace(live.current(), **changes)
    return live._current


def rate_limit(per_minute: int, burst: int = 0) -> live.LiveValues:
    return set_live(rate_limit=live.RateLimit(True, per_minute, burst, "api.rate_limiting"))


def wait_for_api(platform, scheme: str = "http", verify=True, timeout: float = 60.0):
    import requests

    from tests.support.processes import wait_for

    url = f"{scheme}://127.0.0.1:{platform.api_port}/health"

    def answered():
        try:
            return requests.get(url, timeout=2, verify=verify).status_code == 200
        except requests.RequestException:
            return False

    wait_for(answered, timeout, f"the api process to answer {url}\n{platform.log('api')[-3000:]}")
    return f"{scheme}://127.0.0.1:{platform.api_port}"
