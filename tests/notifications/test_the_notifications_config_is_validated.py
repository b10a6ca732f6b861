"""[notifications] is validated like every section: each problem named by its key path, all at
once; the SMTP password comes from ${SMTP_PASSWORD}, required when named; Django's mail
settings follow the section."""

import pytest

from scheduler_project.config import ConfigError, load_config


def problems_of(tmp_path, text, env=None):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, env=env or {})
    return sorted(str(p) for p in caught.value.problems)


def test_bad_values_are_named(tmp_path):
    problems = problems_of(tmp_path, """
[notifications]
concurrency = 0
base_url = "ftp://x"
allow_networks = ["10.0.0.0/8", "not-a-network"]
email_from = "nobody"
smtp_port = 70000
smtp_use_tls = true
smtp_use_ssl = true
retries = 3
""")
    joined = "\n".join(problems)
    for expected in ("notifications.concurrency: ", "notifications.base_url: ", "must be an http:// or https:// URL",
                     "notifications.allow_networks: ", "'not-a-network' is not an IP address or network",
                     "notifications.email_from: ", "notifications.smtp_port: ",
                     "notifications.retries: unknown key"):
        assert expected in joined, joined


def test_tls_and_ssl_exclude_each_other(tmp_path):
    (problem,) = problems_of(tmp_path, "[notifications]\nsmtp_use_tls = true\nsmtp_use_ssl = true\n")
    assert problem.startswith("notifications: ") and "exclude each other" in problem


def test_the_password_comes_from_the_environment(tmp_path):
    path = tmp_path / "mail.toml"
    path.write_text('[notifications]\nsmtp_host = "smtp.example.com"\nsmtp_password = "${SMTP_PASSWORD}"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path, env={})
    assert [str(p) for p in caught.value.problems] == [
        "notifications.smtp_password: environment variable SMTP_PASSWORD is not set (required by ${SMTP_PASSWORD})"]
    config = load_config(path, env={"SMTP_PASSWORD": "from-env"})
    assert config.settings.notifications.smtp_password == "from-env"
    assert load_config(env={}).settings.notifications.smtp_password == ""  # base.toml: ${SMTP_PASSWORD:-}


def test_django_mail_settings_follow_the_section(settings):
    n = settings.TP.notifications
    assert settings.EMAIL_PORT == n.smtp_port and settings.EMAIL_TIMEOUT == n.timeout_seconds
    assert settings.DEFAULT_FROM_EMAIL == n.email_from
    # (the test runner itself swaps EMAIL_BACKEND for locmem; senders.py names the SMTP backend)
