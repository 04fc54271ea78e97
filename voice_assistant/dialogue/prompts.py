"""What the assistant says: `prompts/<lang>.yaml`, and values written for the ear.

Code never builds a French or English sentence: it picks a prompt by key and fills it with values that
`Speech` (`voice_assistant/speech.py`, shared with the synthesiser's normaliser) has already turned into words
(« un gramme vingt », "eight thirty in the morning", « hier soir »).
"""

from __future__ import annotations

import os
import string
from datetime import datetime, timedelta
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import yaml

from voice_assistant.nlu.packs import REPO_ROOT
from voice_assistant.speech import Speech, speech_for

__all__ = ["PromptError", "Prompts", "Speech", "load_prompts", "prompts_dir", "read_pack", "recheck_time"]


class PromptError(ValueError):
    """A prompt pack is missing or broken; the message names the file and the key."""


def prompts_dir() -> Path:
    return Path(os.environ.get("VOICE_ASSISTANT_PROMPTS", REPO_ROOT / "prompts"))


class Prompts:
    """One language's prompts. `say("glucose.saved", value=...)` -> the sentence."""

    #: What a missing or broken key raises, and how its message names the key ("missing prompt 'x'").
    error: type[ValueError] = PromptError
    what = "prompt "

    def __init__(self, data: dict, path: Path):
        self.data = data
        self.path = path
        self.lang = str(data.get("language", path.stem))

    @cached_property
    def speech(self) -> Speech:
        """Values as words in this language; the phrases around them (`speech.when`...) come from here."""
        return speech_for(self.lang, prompts=self)

    def raw(self, key: str) -> Any:
        node: Any = self.data
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                raise self.error(f"{self.path}: missing {self.what}'{key}'")
            node = node[part]
        return node

    def say(self, key: str, **values: Any) -> str:
        template = self.raw(key)
        if not isinstance(template, str):
            raise self.error(f"{self.path}: {self.what}'{key}' must be text")
        try:
            return template.format(**values)
        except (KeyError, IndexError) as exc:
            raise self.error(f"{self.path}: {self.what}'{key}' uses {exc}, which is not given") from None

    def fields(self, key: str) -> set[str]:
        """The {names} a prompt expects: the tests check every language asks for the same."""
        return {f for _, f, _, _ in string.Formatter().parse(self.raw(key)) if f}


def read_pack(path: Path, error: type[ValueError], what: str) -> Any:
    """A language file as read; `error` names the file when it cannot be read (« cannot read the prompts »)."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise error(f"{path}: cannot read {what} ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise error(f"{path}: not valid YAML" + (f" at line {mark.line + 1}" if mark else "")) from None


@lru_cache(maxsize=8)
def load_prompts(lang: str, directory: str | None = None) -> Prompts:
    path = Path(directory or prompts_dir()) / f"{lang}.yaml"
    data = read_pack(path, PromptError, "the prompts")
    if not isinstance(data, dict):
        raise PromptError(f"{path}: expected a mapping of prompts")
    return Prompts(data, path)


def recheck_time(now: datetime, minutes: int) -> datetime:
    return now + timedelta(minutes=minutes)
