"""The Session decodes an utterance while it is said: the recogniser hears exactly the clip the endpointer
closes (pre-roll, speech, the kept silence), whatever the microphone's block size, and only its end is left to
decode when the utterance closes."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from loopkit import PROFILE
from voice_assistant.asr.base import Transcript
from voice_assistant.assistant import Session
from voice_assistant.audio.clip import SAMPLE_RATE
from voice_assistant.dialogue.manager import DialogueManager
from voice_assistant.store import Store


class Recorder:
    """A recogniser that keeps what it was fed, and when."""

    language, sample_rate = "en", SAMPLE_RATE

    def __init__(self) -> None:
        self.fed = bytearray()
        self.fed_before_finish = 0
        self.utterances: list[bytes] = []

    def accept(self, pcm: bytes):
        self.fed.extend(pcm)
        return Transcript("partial words", final=False) if len(self.fed) > 16000 else None

    def finish(self) -> Transcript:
        self.utterances.append(bytes(self.fed))
        self.fed = bytearray()
        return Transcript(f"utterance {len(self.utterances)}", confidence=0.8)

    def reset(self) -> None:
        self.fed = bytearray()


def speech_between_silences(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(1.6 * SAMPLE_RATE)) / SAMPLE_RATE
    voiced = (5000 * np.sin(2 * np.pi * 180 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 4 * t))).astype(np.int16)
    voiced[int(0.7 * SAMPLE_RATE):int(1.1 * SAMPLE_RATE)] = 0  # a pause mid-sentence, shorter than the end's
    quiet = lambda s: rng.normal(0, 20, int(s * SAMPLE_RATE)).astype(np.int16)  # noqa: E731
    return np.concatenate([quiet(1.0), voiced, quiet(1.5), voiced, quiet(1.5)])


@pytest.mark.parametrize("block_samples", [160, 480, 4000, 16000])
def test_the_recogniser_hears_exactly_each_closed_utterance(tmp_path, block_samples):
    recorder = Recorder()
    store = Store.open(tmp_path / "a.db")
    session = Session(DialogueManager(PROFILE, store, "en", save_profile_changes=False), recorder)
    audio = speech_between_silences(block_samples)
    events = []
    for i in range(0, len(audio), block_samples):
        events += session.feed(audio[i:i + block_samples].astype("<i2").tobytes())
    utterances = [e for e in events if e.kind == "utterance"]
    assert len(utterances) == 2
    for n, event in enumerate(utterances):
        assert recorder.utterances[n] == event.audio.pcm()
        assert event.transcript.text == f"utterance {n + 1}" and event.asr_seconds >= 0
    assert any(e.kind == "partial" and e.transcript.text == "partial words" for e in events)
    store.close()


def test_most_of_the_utterance_is_decoded_before_it_closes(tmp_path):
    recorder = Recorder()
    store = Store.open(tmp_path / "a.db")
    session = Session(DialogueManager(PROFILE, store, "en", save_profile_changes=False), recorder)
    audio = speech_between_silences(1)
    block = 480
    for i in range(0, len(audio), block):
        before = len(recorder.fed)
        events = session.feed(audio[i:i + block].astype("<i2").tobytes())
        if any(e.kind == "utterance" for e in events):
            closed = events[[e.kind for e in events].index("utterance")].audio
            # at most a block and the kept silence were left for the end
            assert len(closed.pcm()) - before <= 2 * block + 2 * int(0.3 * SAMPLE_RATE) + 2 * 480
            break
    else:
        pytest.fail("no utterance closed")
    store.close()


class EarlyRecorder(Recorder):
    """A recogniser that can also decode a whole clip apart from its streaming state (like pocketsphinx)."""

    def __init__(self) -> None:
        super().__init__()
        self.decoded: list[bytes] = []

    def decode(self, pcm: bytes) -> Transcript:
        self.decoded.append(pcm)
        return Transcript(f"decoded {len(pcm)} bytes", confidence=0.9)


@pytest.mark.parametrize("block_samples", [480, 4000])
def test_the_final_decoding_starts_in_the_closing_pause_and_hears_the_whole_clip(tmp_path, block_samples):
    recorder = EarlyRecorder()
    store = Store.open(tmp_path / "a.db")
    session = Session(DialogueManager(PROFILE, store, "en", save_profile_changes=False), recorder)
    audio = speech_between_silences(7)
    events = []
    for i in range(0, len(audio), block_samples):
        events += session.feed(audio[i:i + block_samples].astype("<i2").tobytes())
    utterances = [e for e in events if e.kind == "utterance"]
    assert len(utterances) == 2
    for event in utterances:
        pcm = event.audio.pcm()
        assert event.transcript.text == f"decoded {len(pcm)} bytes"  # the early result, for exactly this clip
        assert pcm in recorder.decoded
    # with 30 ms blocks the 0.4 s pause inside each utterance is seen: a decoding started then, speech went on,
    # and it was redone at the closing pause
    assert len(recorder.decoded) >= (4 if block_samples == 480 else 2)
    assert recorder.utterances == []  # finish() was never needed
    store.close()


class SlowDecoder(EarlyRecorder):
    """Each decoding takes `seconds` (as whisper's does on a busy machine); it counts how many run at once."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds
        self.running = 0
        self.most_at_once = 0
        self._lock = threading.Lock()

    def decode(self, pcm: bytes) -> Transcript:
        with self._lock:
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        try:
            time.sleep(self.seconds)
            return super().decode(pcm)
        finally:
            with self._lock:
                self.running -= 1


def test_a_superseded_early_decoding_never_runs_beside_the_next(tmp_path):
    """The pause inside each utterance starts a decoding, then the patient speaks on: that decoding is cancelled
    and the next one (at the closing pause) starts only once it has ended; its result is never used."""
    recorder = SlowDecoder(0.3)
    store = Store.open(tmp_path / "a.db")
    session = Session(DialogueManager(PROFILE, store, "en", save_profile_changes=False), recorder)
    audio = speech_between_silences(7)
    events = []
    for i in range(0, len(audio), 480):  # 30 ms blocks, fed faster than real time: every decoding is still running
        events += session.feed(audio[i:i + 480].astype("<i2").tobytes())
    utterances = [e for e in events if e.kind == "utterance"]
    assert len(utterances) == 2
    assert recorder.most_at_once == 1
    for event in utterances:  # the whole clip's reading, not the superseded decoding's
        pcm = event.audio.pcm()
        if event.transcript.text.startswith("decoded"):  # decoded in the closing pause
            assert event.transcript.text == f"decoded {len(pcm)} bytes"
        else:  # the superseded decoding was still running at the close: decoded after it, whole
            n = int(event.transcript.text.split()[-1])
            assert recorder.utterances[n - 1] == pcm
    store.close()


def test_an_utterance_dropped_mid_decoding_does_not_overlap_the_next(tmp_path):
    """Hands-free: the utterance is not for the assistant (`not_for_assistant`) while its early decoding runs;
    the next utterance's decoding waits for it to end."""
    recorder = SlowDecoder(0.3)
    store = Store.open(tmp_path / "a.db")
    session = Session(DialogueManager(PROFILE, store, "en", save_profile_changes=False), recorder)
    audio = speech_between_silences(3)
    events, dropped = [], False
    for i in range(0, len(audio), 480):
        events += session.feed(audio[i:i + 480].astype("<i2").tobytes())
        if recorder.running and not dropped:  # the first utterance's mid-pause decoding has started
            session.not_for_assistant()
            dropped = True
    utterances = [e for e in events if e.kind == "utterance"]
    assert dropped and len(utterances) == 2 and utterances[0].undecoded
    assert recorder.most_at_once == 1
    pcm = utterances[1].audio.pcm()
    assert utterances[1].transcript.text in (f"decoded {len(pcm)} bytes", "utterance 1")
    assert recorder.utterances in ([], [pcm])
    store.close()
