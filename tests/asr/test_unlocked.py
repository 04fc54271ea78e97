"""pocketsphinx's final pass without the interpreter lock (asr/unlocked.py): the same words, and other Python
threads really run while it decodes; anything but the expected binding falls back to its own methods."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from voice_assistant.asr import unlocked
from voice_assistant.asr.pocketsphinx_engine import SPEECH_CMN

pytest.importorskip("pocketsphinx")


@pytest.fixture(scope="module")
def decoder(english):
    """A decoder of the pack's model, as the recogniser builds its final one."""
    return english._make_decoder(lm=str(english.lm_path), dict=str(english.dict_path))


def _decode(decoder, pcm: bytes, native: bool) -> tuple[str, list]:
    decoder.set_cmn(SPEECH_CMN)  # each decoding from the same start (the live mean moves after each utterance)
    decoder.start_utt()
    if native:
        unlocked.process_raw(decoder, pcm)
        unlocked.end_utt(decoder)
    else:
        decoder.process_raw(pcm, False, False)
        decoder.end_utt()
    hyp = decoder.hyp()
    return (hyp.hypstr if hyp is not None else ""), [(s.word, s.start_frame, s.end_frame) for s in decoder.seg()]


def test_the_decoder_handle_is_found_and_checked(decoder):
    handle = unlocked.handle(decoder)
    assert isinstance(handle, int) and handle != 0
    assert unlocked._state.get("verified") is True


def test_the_same_words_and_timings_as_the_binding(decoder, speak):
    for text in ("my sugar is one twenty", "remind me to take metformin at eight pm"):
        pcm = speak(text, "en-us+f2", 160).astype("<i2").tobytes()
        assert _decode(decoder, pcm, native=True) == _decode(decoder, pcm, native=False)
        assert _decode(decoder, pcm, native=True)[0]  # words were heard


def _longest_stall(decoder, pcm: bytes, native: bool) -> tuple[float, float]:
    """(longest gap between two steps of a Python loop in this thread, decoding time) while another thread
    decodes `pcm` in one call."""
    done = threading.Event()
    took: list[float] = []

    def run() -> None:
        started = time.perf_counter()
        decoder.start_utt()
        if native:
            unlocked.process_raw(decoder, pcm)
        else:
            decoder.process_raw(pcm, False, False)
        took.append(time.perf_counter() - started)
        done.set()
        decoder.end_utt()

    thread = threading.Thread(target=run)
    last, stall = time.perf_counter(), 0.0
    thread.start()
    while not done.is_set():
        now = time.perf_counter()
        stall, last = max(stall, now - last), now
        time.sleep(0.001)
    thread.join()
    return stall, took[0]


def test_other_threads_run_while_it_decodes(decoder, speak):
    one = speak("remind me to take metformin at eight pm and my lantus at ten", "en-us+f2", 150)
    pcm = np.concatenate([one] * 4).astype("<i2").tobytes()  # long enough for one call to last a while
    held, took_held = _longest_stall(decoder, pcm, native=False)
    free, took_free = _longest_stall(decoder, pcm, native=True)
    # the binding's call keeps this thread waiting for most of the decoding; the native one does not
    assert held > 0.5 * took_held
    assert free < 0.25 * took_free and free < 0.1


class _OtherDecoder:
    """Not the binding's Decoder (another version, a test double): its own methods must be called."""

    def __init__(self):
        self.calls: list[tuple] = []

    def process_raw(self, pcm, no_search=False, full_utt=False):
        self.calls.append(("process_raw", len(pcm), no_search, full_utt))

    def end_utt(self):
        self.calls.append(("end_utt",))


def test_another_layout_falls_back_to_the_bindings_methods():
    other = _OtherDecoder()
    assert unlocked.handle(other) is None
    unlocked.process_raw(other, b"\0\0" * 160, False, True)
    unlocked.end_utt(other)
    assert other.calls == [("process_raw", 320, False, True), ("end_utt",)]
