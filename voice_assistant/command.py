"""What every part of the `voice-assistant` command shares: how it ends on a problem (one sentence on stderr
and an exit code), and the profile, language and store it runs with (built by `voice_assistant.app`).

cli.py, listening.py (`listen`), check.py (`check`) and tablet/cli.py use these; check.py and tablet/cli.py also
take the setup words (prompts/setup: `setup_words`, `no_recogniser_words`) from listening.py.
"""

from __future__ import annotations

from typing import NoReturn, Optional

import typer

from voice_assistant import app as app_root
from voice_assistant.errors import ConfigurationError
from voice_assistant.profile import Profile, ProfileError
from voice_assistant.store import Store, StoreError

__all__ = ["fail", "language_or_exit", "profile_or_exit", "store_or_exit", "warn"]


def fail(message: str, code: int = 2) -> NoReturn:
    """End the command: the message on stderr, and `code` (2: fix what was typed or set; 1: it failed)."""
    typer.echo(f"voice-assistant: {message}", err=True)
    raise typer.Exit(code)


def warn(message: str) -> None:
    """Tell the person something went wrong while the command goes on."""
    typer.echo(f"voice-assistant: {message}", err=True)


def profile_or_exit() -> Profile:
    try:
        return app_root.load_settings()
    except ProfileError as exc:
        fail(str(exc))


def language_or_exit(lang: Optional[str], profile: Profile) -> str:
    try:
        return app_root.language_for(lang, profile)
    except ConfigurationError as exc:
        fail(str(exc))


def store_or_exit() -> Store:
    try:
        return app_root.open_store()
    except StoreError as exc:
        fail(str(exc))
