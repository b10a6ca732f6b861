"""[api.tls]: the api role serves HTTPS with the configured certificate."""

import subprocess

import pytest
import requests

from tests.api.helpers import wait_for_api

pytestmark = pytest.mark.e2e


def test_the_api_serves_https_with_the_configured_certificate(platform, tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )
    platform.reconfigure(append=f'[api.tls]\nenabled = true\ncert_file = "{cert}"\nkey_file = "{key}"\n')
    platform.start("api")
    base = wait_for_api(platform, scheme="https", verify=str(cert))

    response = requests.get(f"{base}/health", verify=str(cert), timeout=5)
    assert response.status_code == 200 and response.json()["status"] == "ok"
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{base}/health", timeout=5)  # not a publicly trusted certificate: verification is real
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"http://127.0.0.1:{platform.api_port}/health", timeout=5)
