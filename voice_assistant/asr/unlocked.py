"""pocketsphinx's two heavy calls, `process_raw` and `end_utt`, without holding Python's interpreter lock.

The pocketsphinx binding (Cython) keeps the interpreter lock for the whole of each call into the C library. When
two recognisers hear the same utterance (combine.py), whisper's CTranslate2 lets the lock go while it computes
but needs it between its steps, and pocketsphinx's final pass held it for most of its ~0.2 s: the two engines
took turns instead of sharing the two cores. The same C functions called through `ctypes` run with the lock
released (ctypes lets it go around every foreign call), so they really run in parallel.

The C decoder handle is read from the binding's `Decoder` object (a Cython extension type: the object's header,
then `ps_decoder_t *_ps`, then `Config _config`). It is used only when that layout is verified: the object has
exactly that size, the word after the handle is the `config` the binding itself returns, and, once per process,
the library gives the same answer through the handle as through the binding (`ps_get_cmn`). Anything else (another
binding version, no `ctypes`, a symbol missing) and the binding's own methods are called, lock held, as before:
the same results, only not in parallel.

Callers must not use one decoder from two threads at once (pocketsphinx's rule anyway); the recogniser serialises
its final decoding (`PocketsphinxRecognizer.decode`).
"""

from __future__ import annotations

import ctypes
import logging
import threading
from typing import Any

log = logging.getLogger(__name__)

_WORD = ctypes.sizeof(ctypes.c_void_p)
#: Cython's object header (reference count, type) then the two fields `_ps` and `_config`.
_LAYOUT_WORDS = 4
_state: dict[str, Any] = {}  #: "lib": the loaded library or None when unusable; "verified": layout checked
_state_lock = threading.Lock()


def _library() -> Any | None:
    """The pocketsphinx extension module's C library with the calls' signatures, or None if unusable."""
    if "lib" not in _state:
        with _state_lock:
            if "lib" not in _state:
                _state["lib"] = _load()
    return _state["lib"]


def _load() -> Any | None:
    try:
        from pocketsphinx import _pocketsphinx

        lib = ctypes.CDLL(_pocketsphinx.__file__)
        lib.ps_process_raw.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int,
                                       ctypes.c_int]
        lib.ps_process_raw.restype = ctypes.c_int
        lib.ps_end_utt.argtypes = [ctypes.c_void_p]
        lib.ps_end_utt.restype = ctypes.c_int
        lib.ps_get_cmn.argtypes = [ctypes.c_void_p, ctypes.c_int]
        lib.ps_get_cmn.restype = ctypes.c_char_p
        return lib
    except (ImportError, OSError, AttributeError) as exc:
        log.debug("pocketsphinx's calls keep the interpreter lock: %s", exc)
        return None


def handle(decoder: Any) -> int | None:
    """The C `ps_decoder_t *` of a binding `Decoder`, or None when its layout is not the one expected."""
    native = _native(decoder)
    return native[1] if native is not None else None


def _native(decoder: Any) -> tuple[Any, int] | None:
    lib = _library()
    if lib is None:
        return None
    try:
        if type(decoder).__basicsize__ != _LAYOUT_WORDS * _WORD:
            return None
        words = (ctypes.c_void_p * _LAYOUT_WORDS).from_address(id(decoder))
        config = decoder.config
        if words[1] != id(type(decoder)) or words[3] != id(config) or not words[2]:
            return None
    except (AttributeError, TypeError, ValueError):
        return None
    ps = int(words[2])
    if not _state.get("verified"):
        with _state_lock:
            if not _state.get("verified"):
                try:
                    same = lib.ps_get_cmn(ps, 0).decode("utf-8") == decoder.get_cmn(False)
                except (AttributeError, UnicodeDecodeError, RuntimeError, ValueError):
                    same = False
                if not same:
                    log.debug("pocketsphinx's decoder layout is not the expected one: its calls keep the lock")
                    _state["lib"] = None
                    return None
                _state["verified"] = True
    return lib, ps


def process_raw(decoder: Any, pcm: bytes, no_search: bool = False, full_utt: bool = False) -> None:
    """`decoder.process_raw(pcm, no_search, full_utt)`, the interpreter lock released while it runs."""
    native = _native(decoder) if pcm else None
    if native is None:
        decoder.process_raw(pcm, no_search, full_utt)
        return
    lib, ps = native
    if lib.ps_process_raw(ps, bytes(pcm), len(pcm) // 2, int(no_search), int(full_utt)) < 0:
        raise RuntimeError(f"Failed to process {len(pcm) // 2} samples of audio data")


def end_utt(decoder: Any) -> None:
    """`decoder.end_utt()` (the second search passes, the best path), the interpreter lock released."""
    native = _native(decoder)
    if native is None:
        decoder.end_utt()
        return
    lib, ps = native
    if lib.ps_end_utt(ps) < 0:
        raise RuntimeError("Failed to stop utterance processing")


__all__ = ["end_utt", "handle", "process_raw"]
