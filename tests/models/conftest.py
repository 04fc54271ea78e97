"""Fixtures for the model manager tests (helpers live in modelkit.py)."""

from __future__ import annotations

import pytest

from modelkit import FileServer, RegistryFixture


@pytest.fixture
def server():
    srv = FileServer()
    srv.thread.start()
    try:
        yield srv
    finally:
        srv.httpd.shutdown()
        srv.httpd.server_close()


@pytest.fixture
def xdg(tmp_path, monkeypatch):
    """A fresh XDG_DATA_HOME for every test."""
    home = tmp_path / "xdg"
    monkeypatch.setenv("XDG_DATA_HOME", str(home))
    return home


@pytest.fixture
def registry(server, tmp_path, monkeypatch, xdg):
    return RegistryFixture(server, tmp_path, monkeypatch)
