"""eSpeak NG through ctypes and `espeakng-loader`: French and English out of the box, and fast.

The library is loaded and initialised once per process (synchronous mode: `espeak_Synth` returns when the
callback has received all the audio); one lock serialises voice, rate and synthesis, which is all one
assistant needs. Rates are eSpeak's own words per minute (80-450).
"""

from __future__ import annotations

import ctypes
import threading
from typing import Iterator

import numpy as np

from voice_assistant.audio.clip import AudioClip
from voice_assistant.tts.base import DEFAULT_WPM, SpokenSentence, SynthesizerUnavailable, clamp_wpm
from voice_assistant.tts.normalize import base_language, normalizer_for

# speak_lib.h
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_ESPEAK_RATE = 1
_ESPEAK_CHARS_UTF8 = 1
_POS_CHARACTER = 1
_EE_OK = 0

#: eSpeak NG voice per language; "en-us" rather than the British default for an American-English pack.
VOICES = {"fr": "fr", "en": "en-us"}


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", ctypes.c_void_p),  # a union of int / const char* / char[8]: pointer-sized
    ]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))

_lock = threading.Lock()
_lib: ctypes.CDLL | None = None
_sample_rate = 0
_chunks: list[np.ndarray] = []  # filled by the callback while _lock is held


@_CALLBACK
def _on_audio(wav, count, _events):  # called from espeak_Synth, on the calling thread
    if wav and count > 0:
        _chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
    return 0  # 0 = go on


def _library() -> tuple[ctypes.CDLL, int]:
    """The process-wide libespeak-ng handle, initialised on first use. Call with _lock held."""
    global _lib, _sample_rate
    if _lib is not None:
        return _lib, _sample_rate
    try:
        import espeakng_loader
    except ImportError:
        raise SynthesizerUnavailable(
            "eSpeak NG is not available: the Python package 'espeakng-loader' is missing. "
            "Install it with: pip install espeakng-loader"
        ) from None
    try:
        lib = ctypes.CDLL(espeakng_loader.get_library_path())
        data = espeakng_loader.get_data_path()
    except (OSError, RuntimeError) as exc:
        raise SynthesizerUnavailable(
            f"eSpeak NG could not be loaded from espeakng-loader ({exc}). "
            "Reinstall it with: pip install --force-reinstall espeakng-loader"
        ) from None
    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.espeak_Initialize.restype = ctypes.c_int
    lib.espeak_SetSynthCallback.argtypes = [_CALLBACK]
    lib.espeak_SetSynthCallback.restype = None
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    lib.espeak_SetVoiceByName.restype = ctypes.c_int
    lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
    lib.espeak_SetParameter.restype = ctypes.c_int
    lib.espeak_Synth.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
                                 ctypes.c_uint, ctypes.POINTER(ctypes.c_uint), ctypes.c_void_p]
    lib.espeak_Synth.restype = ctypes.c_int
    rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data.encode(), 0)
    if rate <= 0:
        raise SynthesizerUnavailable(f"eSpeak NG failed to initialise with its data in {data}")
    lib.espeak_SetSynthCallback(_on_audio)
    _lib, _sample_rate = lib, rate
    return lib, rate


class EspeakSynthesizer:
    """eSpeak NG voice for "fr" or "en" (any eSpeak voice name can be given instead)."""

    name = "espeak"

    def __init__(self, language: str, voice: str | None = None):
        self.language = base_language(language)
        self.voice = voice or VOICES.get(self.language) or self.language
        self.normalizer = normalizer_for(self.language)
        with _lock:
            lib, self.sample_rate = _library()
            if lib.espeak_SetVoiceByName(self.voice.encode()) != _EE_OK:
                raise SynthesizerUnavailable(
                    f"eSpeak NG has no voice '{self.voice}' for language '{language}' in its data "
                    f"(espeakng-loader ships French 'fr' and English 'en-us')"
                )

    def synthesize(self, sentence: str, words_per_minute: float = DEFAULT_WPM) -> np.ndarray:
        """One already-normalised sentence -> int16 samples at `sample_rate`."""
        payload = sentence.encode("utf-8") + b"\0"
        with _lock:
            lib, _ = _library()
            lib.espeak_SetVoiceByName(self.voice.encode())
            lib.espeak_SetParameter(_ESPEAK_RATE, int(round(clamp_wpm(words_per_minute))), 0)
            _chunks.clear()
            try:
                status = lib.espeak_Synth(payload, len(payload), 0, _POS_CHARACTER, 0, _ESPEAK_CHARS_UTF8, None, None)
                samples = np.concatenate(_chunks) if _chunks else np.zeros(0, dtype=np.int16)
            finally:
                _chunks.clear()
        if status != _EE_OK:
            raise RuntimeError(f"eSpeak NG failed to synthesise (status {status}): {sentence[:60]!r}")
        return samples.astype(np.int16, copy=False)

    def speak(self, text: str, words_per_minute: int = DEFAULT_WPM) -> Iterator[SpokenSentence]:
        for sentence in self.normalizer.sentences(text):
            audio = AudioClip(self.synthesize(sentence, words_per_minute), self.sample_rate)
            yield SpokenSentence(sentence, audio)

    def __repr__(self) -> str:
        return f"EspeakSynthesizer(language={self.language!r}, voice={self.voice!r})"
