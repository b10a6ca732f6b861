#!/usr/bin/env bash
# Installs the system tools the deployment checks (tests/deploy) need:
# nginx (nginx -t), haproxy (haproxy -c) and systemd-analyze (systemd verify); promtool
# (monitoring rules), amtool (the Alertmanager configuration), shellcheck (deploy/*.sh), chromium +
# chromedriver (the dashboard test, and the operator console's browser tests, which Playwright drives
# with executable_path=/usr/bin/chromium);
# dockerd + docker (docker.io) and debootstrap for `make container-test` (tests/containers).
# Idempotent: installs only what is missing; runs `apt-get update` only when something is.
set -euo pipefail

declare -A tool_pkg=([nginx]=nginx [haproxy]=haproxy [systemd-analyze]=systemd [promtool]=prometheus
    [amtool]=prometheus-alertmanager
    [shellcheck]=shellcheck [chromium]=chromium [chromedriver]=chromium-driver
    [dockerd]=docker.io [debootstrap]=debootstrap)
missing=()
for tool in "${!tool_pkg[@]}"; do
    command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || missing+=("${tool_pkg[$tool]}")
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "deploy tools: all present (${!tool_pkg[*]})"
    exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "deploy tools: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
