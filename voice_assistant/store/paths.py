"""Where the database lives on this device."""

from __future__ import annotations

from pathlib import Path

from voice_assistant.locations import APP_NAME, data_dir

APP_DIR_NAME = APP_NAME
DB_FILE_NAME = "assistant.db"


def default_db_path() -> Path:
    """`$XDG_DATA_HOME/voice-assistant/assistant.db`, else the platform's user data directory."""
    return data_dir() / DB_FILE_NAME
