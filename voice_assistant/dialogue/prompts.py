"""What the assistant says: `prompts/<lang>.yaml`, and values written for the ear.

Code never builds a French or English sentence: it picks a prompt by key and fills it with values that
`Speech` (`voice_assistant/speech.py`, shared with the synthesiser's normaliser) has already turned into words
(« un gramme vingt », "eight thirty in the morning", « hier soir »).
"""

from __future__ import annotations

from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from voice_assistant.language import LanguageDataError, Phrases, folder, read_yaml, read_yaml_lines
from voice_assistant.speech import Speech, speech_for

__all__ = ["PromptError", "Prompts", "Speech", "load_prompts", "prompts_dir", "read_pack"]


class PromptError(LanguageDataError):
    """A prompt pack is missing or broken; the message names the file, the key and its line."""


def prompts_dir() -> Path:
    return folder("prompts")


class Prompts(Phrases):
    """One language's prompts. `say("glucose.saved", value=...)` -> the sentence."""

    error = PromptError
    what = "prompt "

    @cached_property
    def speech(self) -> Speech:
        """Values as words in this language; the phrases around them (`speech.when`...) come from here."""
        return speech_for(self.lang, prompts=self)


def read_pack(path: Path, error: type[LanguageDataError], what: str) -> Any:
    """A language file as read; `error` names the file when it cannot be read (« cannot read the prompts »)."""
    return read_yaml(path, error=error, what=what, mapping=False)


@lru_cache(maxsize=8)
def load_prompts(lang: str, directory: str | None = None) -> Prompts:
    path = Path(directory or prompts_dir()) / f"{lang}.yaml"
    data, lines = read_yaml_lines(path, error=PromptError, what="the prompts")
    return Prompts(data, path, lines)
