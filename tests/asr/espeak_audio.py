"""Test speech from eSpeak NG: text -> 16 kHz mono int16 numpy array, in any eSpeak voice ("en-us+klatt", "ko").

Uses the assistant's own eSpeak binding (voice_assistant.tts.espeak) when it is there, so one process never
initialises libespeak-ng twice with two callbacks; else a tiny ctypes binding over espeakng-loader.
"""

from __future__ import annotations

import ctypes
import threading

import numpy as np
import soxr

_LOCK = threading.Lock()
_LIB = None
_RATE = 0
_CHUNKS: list[np.ndarray] = []

AUDIO_OUTPUT_SYNCHRONOUS = 2
ESPEAK_CHARS_UTF8 = 1
ESPEAK_RATE, ESPEAK_PITCH, ESPEAK_RANGE = 1, 3, 4
_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


@_CALLBACK
def _collect(wav, count, events):
    if count > 0 and wav:
        _CHUNKS.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
    return 0


def _library():
    global _LIB, _RATE
    if _LIB is None:
        import espeakng_loader

        lib = ctypes.CDLL(espeakng_loader.get_library_path())
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_Synth.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
                                     ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
        rate = lib.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, espeakng_loader.get_data_path().encode(), 0)
        if rate <= 0:
            raise RuntimeError("eSpeak NG did not initialise")
        lib.espeak_SetSynthCallback(_collect)
        _LIB, _RATE = lib, rate
    return _LIB


_ENGINES: dict = {}


def synthesize(text: str, voice: str = "en-us", wpm: int = 175, pitch: int = 50, rate: int = 16_000) -> np.ndarray:
    """Speak `text` with an eSpeak NG voice ("en-us+m3", "ko", "fr"...): int16 mono at `rate` Hz.
    (`pitch` is only applied by the fallback binding.)"""
    try:
        from voice_assistant.tts.espeak import EspeakSynthesizer
    except ImportError:
        EspeakSynthesizer = None
    if EspeakSynthesizer is not None:
        if voice not in _ENGINES:
            _ENGINES[voice] = EspeakSynthesizer("en", voice=voice)  # checks the voice exists
        engine = _ENGINES[voice]
        return _resample(engine.synthesize(text, wpm), engine.sample_rate, rate)
    with _LOCK:
        lib = _library()
        if lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise ValueError(f"eSpeak NG has no voice '{voice}'")
        lib.espeak_SetParameter(ESPEAK_RATE, wpm, 0)
        lib.espeak_SetParameter(ESPEAK_PITCH, pitch, 0)
        _CHUNKS.clear()
        data = text.encode("utf-8") + b"\0"
        buf = ctypes.create_string_buffer(data)
        lib.espeak_Synth(buf, len(data), 0, 0, 0, ESPEAK_CHARS_UTF8, None, None)
        lib.espeak_Synchronize()
        audio = np.concatenate(_CHUNKS) if _CHUNKS else np.zeros(0, np.int16)
        _CHUNKS.clear()
        native = _RATE
    return _resample(audio, native, rate)


def _resample(audio: np.ndarray, native: int, rate: int) -> np.ndarray:
    if rate != native and len(audio):
        audio = soxr.resample(audio.astype(np.float32) / 32768.0, native, rate)
        audio = np.clip(audio * 32768.0, -32768, 32767).astype(np.int16)
    return audio.astype(np.int16, copy=False)


def with_silence(audio: np.ndarray, rate: int = 16_000, before: float = 0.3, after: float = 0.5) -> np.ndarray:
    return np.concatenate([np.zeros(int(before * rate), np.int16), audio, np.zeros(int(after * rate), np.int16)])
