"""Where the assistant keeps its files on this device, in one place (the XDG base directories).

    config_dir()  $XDG_CONFIG_HOME/voice-assistant   profile.yaml
    data_dir()    $XDG_DATA_HOME/voice-assistant     assistant.db, tablet.db, hub.db, models/, downloads/
    cache_dir()   $XDG_CACHE_HOME/voice-assistant    generated recogniser files (rebuilt when missing)

An XDG variable that is unset, empty or relative is ignored (the XDG rule), and the platform's own place is
used instead (platformdirs: ~/.config, ~/.local/share, ~/.cache on Linux).
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

__all__ = ["APP_NAME", "cache_dir", "config_dir", "data_dir"]

APP_NAME = "voice-assistant"


def _xdg(variable: str) -> Path | None:
    value = os.environ.get(variable)
    return Path(value) / APP_NAME if value and os.path.isabs(value) else None


def config_dir() -> Path:
    return _xdg("XDG_CONFIG_HOME") or Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def data_dir() -> Path:
    return _xdg("XDG_DATA_HOME") or Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def cache_dir() -> Path:
    return _xdg("XDG_CACHE_HOME") or Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))
