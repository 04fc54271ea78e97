"""Where the database lives on this device."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_DIR_NAME = "voice-assistant"
DB_FILE_NAME = "assistant.db"


def default_db_path() -> Path:
    """`$XDG_DATA_HOME/voice-assistant/assistant.db`, else the platform's user data directory."""
    data_home = os.environ.get("XDG_DATA_HOME") or platformdirs.user_data_dir()
    return Path(data_home) / APP_DIR_NAME / DB_FILE_NAME
