"""A turn never kills the conversation: an unexpected error is written, with its traceback, to a private log
file, and the patient hears one plain sentence instead of silence.

The log holds where the error happened (files, lines, functions) and its type, never its message or the
utterance: a message can carry what was said, and what was said can be health data.
"""

from __future__ import annotations

import logging
import os
import traceback
from pathlib import Path

import platformdirs

from voice_assistant.store.paths import APP_DIR_NAME

LOG_FILE_NAME = "errors.log"
_logger = logging.getLogger("voice_assistant.turns")


def log_path() -> Path:
    """`$XDG_STATE_HOME/voice-assistant/errors.log`, else the platform's user state directory."""
    state_home = os.environ.get("XDG_STATE_HOME") or platformdirs.user_state_dir()
    return Path(state_home) / APP_DIR_NAME / LOG_FILE_NAME


def log_turn_error(exc: BaseException, where: str) -> Path | None:
    """Append the error's traceback (type and stack only) to the private log; the path, or None if the log
    itself cannot be written (the conversation goes on either way)."""
    path = log_path()
    stack = "".join(traceback.format_tb(exc.__traceback__))
    entry = f"--- {where}: {type(exc).__module__}.{type(exc).__qualname__}\n{stack}"
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as log:
            log.write(entry)
        os.chmod(path, 0o600)
    except OSError:
        _logger.error("a turn failed (%s) and the error log could not be written", type(exc).__qualname__)
        return None
    return path
