"""schemathesis with every check, positive and negative data, on the full schema: the OpenAPI
document describes what the server really accepts (a client generated from it validates as the
server does). Bounded so it fits the CI budget."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.api.helpers import wait_for_api

pytestmark = [pytest.mark.e2e, pytest.mark.broker_agnostic]
ADMIN_KEY = "schemathesis-all-checks-admin-key-0123"
CONFIG = Path(__file__).with_name("schemathesis.toml")  # the known disagreements, with their reasons
# ST_MAX_SECONDS, ST_EXAMPLES, ST_PHASES, ST_EXTRA (more CLI options) and ST_OUT (a file for the
# whole report) widen a run by hand; the defaults fit the CI budget (about a minute and a half,
# in each of the three `make test` configurations).
MAX_SECONDS = int(os.environ.get("ST_MAX_SECONDS", "60"))


def test_schemathesis_all_checks_find_no_disagreement(platform, make_task):
    make_task("probe-http")
    make_task("probe-shell", type="shell", spec={"command": "true"})
    platform.start("api", API_KEYS=json.dumps({ADMIN_KEY: ["Admin"]}))
    base = wait_for_api(platform)

    st = Path(sys.executable).with_name("schemathesis")
    command = [
        str(st), "--config-file", str(CONFIG), "run", f"{base}/api/v1/schema/",
        "--header", f"X-API-Key: {ADMIN_KEY}",
        # Every check and both modes are schemathesis's defaults (`--checks all` would also
        # override the per-operation exceptions of the config file).
        "--mode", "all",
        "--phases", os.environ.get("ST_PHASES", "examples,coverage,fuzzing"),
        "--max-examples", os.environ.get("ST_EXAMPLES", "8"),
        "--max-time", str(MAX_SECONDS),
        "--request-timeout", "10",
        "--seed", "20261205",
        "--workers", "1",
        "--no-color",
        "--output-truncate", "false",
        *os.environ.get("ST_EXTRA", "").split(),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=MAX_SECONDS + 120, cwd=platform.tmp)
    output = result.stdout + result.stderr
    if os.environ.get("ST_OUT"):
        Path(os.environ["ST_OUT"]).write_text(output)
    assert result.returncode == 0, output[-15000:]
