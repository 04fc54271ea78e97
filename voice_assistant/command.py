"""What every part of the `voice-assistant` command shares: how it ends on a problem (one sentence on stderr
and an exit code), and the profile, language and store it runs with (built by `voice_assistant.app`).

cli.py, listening.py (`listen`), check.py (`check`) and tablet/cli.py use these, and the setup words
(prompts/setup: `setup_words`, `no_recogniser_words`) that `check` and a start without a recogniser say.
"""

from __future__ import annotations

from typing import NoReturn, Optional

import typer

from voice_assistant import app as app_root
from voice_assistant.dialogue.prompts import load_prompts, prompts_dir
from voice_assistant.errors import ConfigurationError
from voice_assistant.profile import Profile, ProfileError
from voice_assistant.store import Store, StoreError

__all__ = ["fail", "language_or_exit", "no_recogniser_words", "profile_or_exit", "setup_words", "store_or_exit",
           "warn"]


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


def setup_words(language: str):
    """prompts/setup/<lang>.yaml: what check and a start without a recogniser say."""
    return load_prompts(language, str(prompts_dir() / "setup"))


def no_recogniser_words(language: str, exc: Exception, tablet: bool = False) -> tuple[str, str]:
    """(what is said, what is shown besides: how to install the model) when `language` cannot be heard."""
    from voice_assistant.asr.select import install_hint  # the recognisers' module loads only when needed

    words = setup_words(language)
    name = words.raw("languages").get(language, language)
    said = words.say("no_recogniser_tablet" if tablet else "no_recogniser", language=name)
    return said, words.say("install_hint", command=install_hint(language)) + f" ({exc})"
