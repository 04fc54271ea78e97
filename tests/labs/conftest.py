"""Fixtures for the lab results tests (shared helpers are in labkit.py)."""

from __future__ import annotations

import pytest

from voice_assistant.store import Store


@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path / "assistant.db") as opened:
        yield opened


@pytest.fixture(params=["fr", "en"])
def lang(request) -> str:
    return request.param
