"""deploy/backup.sh parses with bash -n and passes shellcheck (its behaviour against a real
PostgreSQL: tests/maintenance/test_backup_script.py)."""

from tests.deploy._tools import DEPLOY, require_tool, run


def test_backup_sh_is_clean():
    script = DEPLOY / "backup.sh"
    assert run(["bash", "-n", str(script)]).returncode == 0
    result = run([require_tool("shellcheck"), str(script)])
    assert result.returncode == 0, result.stdout
    assert script.stat().st_mode & 0o111, "backup.sh must be executable"
    assert "set -euo pipefail" in script.read_text()
