"""The composition root: the one place that builds the assistant's parts from the patient's profile.

Every front end (the command line, the tablet, the demo, the benchmarks, the tests) gets its profile, its
store, its dialogue, its voice session and its clinician sender from here, so they are built one way:

    profile.yaml ──load_settings──> Profile ──language_for──> "fr" | "en"
    Profile + language + Store ──build_dialogue──> DialogueManager  (language data checked first)
    DialogueManager + recogniser + synthesiser ──build_session──> Session  (what the microphone/tablet drive)
    Profile ──background_sender──> BackgroundSender | None  (readings to the clinician, when one is set)

Nothing here prints or exits: each failure is an error of the family (`voice_assistant.errors`) with its
sentence, which the front end says its own way.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Optional

from voice_assistant.asr.select import recognizer_for
from voice_assistant.assistant import Session
from voice_assistant.dialogue.manager import DialogueManager
from voice_assistant.errors import ConfigurationError
from voice_assistant.labs.present import load_lab_pack
from voice_assistant.language import LANGUAGES
from voice_assistant.memory import tune_malloc
from voice_assistant.nlu.packs import load_pack
from voice_assistant.profile import Profile, load_profile_with_voice_settings
from voice_assistant.speech import speech_for
from voice_assistant.store import Store, default_db_path
from voice_assistant.sync.sender import BackgroundSender, SyncConfig, SyncConfigError
from voice_assistant.tts import synthesizer_for

__all__ = ["CHOOSE", "background_sender", "build_dialogue", "build_session", "check_language_data", "language_for",
           "load_settings", "open_store", "tune_malloc"]


def load_settings() -> Profile:
    """The patient's profile (`$XDG_CONFIG_HOME/voice-assistant/profile.yaml`, or the defaults) with what they
    changed by voice (`settings.yaml`). ProfileError."""
    return load_profile_with_voice_settings()


def language_for(requested: Optional[str], profile: Profile) -> str:
    """The language a command runs in: the one asked for, else the profile's. ConfigurationError if unknown."""
    lang = requested or profile.language
    if lang not in LANGUAGES:
        raise ConfigurationError(f"unknown language '{lang}': use one of {', '.join(LANGUAGES)}")
    return lang


def open_store(path: Path | None = None) -> Store:
    """The patient's database (`default_db_path()` unless a path is given). StoreError."""
    return Store.open(path or default_db_path())


def check_language_data(language: str) -> None:
    """Read every language file a conversation in `language` needs, so a missing or broken one is said before
    the first turn rather than in the middle of one. LanguageDataError (file, key, line)."""
    load_pack(language)
    speech_for(language)
    load_lab_pack(language)


def build_dialogue(profile: Profile, language: str, store: Store, *, save_profile_changes: bool = True,
                   ) -> DialogueManager:
    """The patient's conversation on `store`, its language data checked first."""
    check_language_data(language)
    return DialogueManager(profile, store, language, save_profile_changes=save_profile_changes)


#: `build_session(recognizer=CHOOSE)`: the recogniser the profile and the installed models give.
CHOOSE: Any = object()


def build_session(profile: Profile, language: str, store: Store, *, recognizer: Any = CHOOSE,
                  synthesizer: Any = CHOOSE, save_profile_changes: bool = True) -> Session:
    """The Session the microphone (`listen`), the tablet, the demo and the benchmarks drive: the dialogue, the
    recogniser and the voice for `language`, chosen from the profile unless given (`recognizer=None`: text
    only). RecognizerUnavailable, SynthesizerUnavailable, LanguageDataError."""
    tune_malloc()  # process-wide, before the engines below start their threads
    manager = build_dialogue(profile, language, store, save_profile_changes=save_profile_changes)
    return Session(manager, recognizer_for(language, profile) if recognizer is CHOOSE else recognizer,
                   synthesizer_for(language, profile.tts_engine) if synthesizer is CHOOSE else synthesizer)


def background_sender(profile: Profile, warn: Callable[[str], None],
                      database: Path | None = None) -> BackgroundSender | None:
    """Readings go to the clinician while the assistant runs, when a clinician server is set; offline or not
    set, they wait safely in the outbox (`voice-assistant sync status`). A setting sync cannot use is told to
    `warn` and sync stays off: the assistant itself keeps working."""
    try:
        config = SyncConfig.from_profile(profile)
        if not config.base_url:
            return None
        return BackgroundSender.for_database(database or default_db_path(), config).start()
    except SyncConfigError as exc:
        warn(f"readings are kept on this device; sync is off ({exc})")
        return None
