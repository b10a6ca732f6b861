"""Fixtures for the configuration tests (the guides' files and the loader are in helpers.py)."""

from __future__ import annotations

import pytest


@pytest.fixture
def config_dir(tmp_path, monkeypatch):
    """A config/ directory of the test's own (base.toml copied), for split files."""
    from scheduler_project.config import loader

    directory = tmp_path / "config"
    directory.mkdir()
    (directory / "base.toml").write_text((loader.CONFIG_DIR / "base.toml").read_text())
    for name in ("development.toml", "staging.toml", "production.toml"):
        (directory / name).write_text((loader.CONFIG_DIR / name).read_text())
    monkeypatch.setattr(loader, "CONFIG_DIR", directory)
    return directory
