"""A reply's next sentence is synthesised while the current one plays; barge-in stops the synthesis."""

from __future__ import annotations

import threading
import time

import pytest

from voice_assistant.assistant import AHEAD, _ahead


def counting(n: int, made: list[int], fail_at: int | None = None):
    def make():
        for i in range(n):
            if i == fail_at:
                raise RuntimeError("the voice failed")
            made.append(i)
            yield i
    return make


def test_sentences_come_in_order_and_all_of_them():
    made: list[int] = []
    assert list(_ahead(counting(7, made))) == list(range(7))


def test_the_next_sentence_is_ready_while_the_first_plays():
    made: list[int] = []
    sentences = _ahead(counting(5, made))
    assert next(sentences) == 0
    deadline = time.monotonic() + 5
    while len(made) < 1 + AHEAD and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(made) >= 2  # synthesised ahead, before the consumer asked


def test_barge_in_stops_the_synthesis_of_the_rest():
    made: list[int] = []
    before = set(threading.enumerate())
    sentences = _ahead(counting(100, made))
    next(sentences)
    sentences.close()  # the patient pressed the key: the rest is not played
    time.sleep(0.5)
    assert len(made) <= 2 + AHEAD
    assert not [t for t in set(threading.enumerate()) - before if t.name == "synthesis-ahead" and t.is_alive()]


def test_a_synthesis_error_reaches_the_consumer():
    made: list[int] = []
    sentences = _ahead(counting(5, made, fail_at=2))
    assert [next(sentences), next(sentences)] == [0, 1]
    with pytest.raises(RuntimeError, match="the voice failed"):
        next(sentences)


#: A process that stops a Piper reply after its first sentence and exits at once, the next sentence still
#: being synthesised in the thread (a patient who says "stop" and quits, Ctrl-C while the assistant speaks).
EXIT_MID_REPLY = r"""
import sys
from voice_assistant.assistant import _ahead
from voice_assistant.tts import synthesizer_for

voice = synthesizer_for("en")
assert type(voice).__name__.lower().startswith("piper"), type(voice)
text = " ".join(f"This is sentence number {i} of a long reply about your readings this week." for i in range(12))
sentences = _ahead(lambda: voice.speak(text))
first = next(sentences)
print("first", first.audio.seconds, flush=True)
"""


def test_exiting_while_a_sentence_is_synthesised_ahead_exits_cleanly():
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", EXIT_MID_REPLY], cwd=root, capture_output=True, text=True,
                          timeout=120)
    assert done.stdout.startswith("first "), done.stderr
    assert "terminate called" not in done.stderr
    assert done.returncode == 0, done.stderr[-2000:]
