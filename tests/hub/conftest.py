from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # browserkit

from hubkit import start_hub  # noqa: E402


@pytest.fixture
def hub(tmp_path):
    running = start_hub(tmp_path)
    yield running
    running.server.stop()
