"""Ctrl+C ends `listen` within a bound, whatever is running: the barge-in watcher inside a slow decoding is not
waited for past `live.WATCHER_EXIT_S`, decodings still running at exit are waited for at most a bound and none
starts any more, and an end that hangs anyway writes every thread's stack to the sound log and ends the process
(console.stacks_if_ending_hangs)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from voice_assistant import assistant, live
from voice_assistant.asr.base import Transcript
from voice_assistant.audio.clip import SAMPLE_RATE, AudioClip
from voice_assistant.live import LiveLoop, LiveOptions

REPO = Path(__file__).resolve().parents[2]
SLOW_S = 8.0  #: a decoding on a machine with both cores busy


class _SlowSession:
    """What `LiveLoop.say` and its barge-in watcher use of a Session, with a recogniser that takes SLOW_S."""

    recognizer = object()

    def __init__(self) -> None:
        self.recognizing = threading.Event()

    def reply_heard(self) -> None:
        pass

    def recognize(self, clip: AudioClip):
        self.recognizing.set()
        time.sleep(SLOW_S)
        return Transcript(""), SLOW_S


class _Spotter:
    """Hears the wake phrase in every block (over the reply)."""

    def process(self, samples: np.ndarray) -> bool:
        return True

    def reset(self) -> None:
        pass


class _Reply:
    text = "Your last reading was one hundred and twenty."

    def sentences(self):
        yield type("Sentence", (), {"audio": AudioClip(np.zeros(SAMPLE_RATE, np.int16))})()


def test_ctrl_c_while_the_barge_in_watcher_decodes_ends_the_reply_within_a_bound():
    session = _SlowSession()

    def player(clip, stop_event=None) -> bool:  # Ctrl+C while the reply plays, the watcher deep in a decoding
        assert session.recognizing.wait(10), "the watcher never started its decoding"
        raise KeyboardInterrupt

    loop = LiveLoop(session, LiveOptions(push_to_talk=False), player, lambda callback: None, echo=lambda line: None,
                    keys=None, spotter=_Spotter)
    microphone = threading.Event()

    def speak() -> None:  # the microphone goes on while the reply plays
        while not microphone.is_set():
            loop._on_block(np.full(480, 200, np.int16))
            time.sleep(0.005)

    threading.Thread(target=speak, daemon=True).start()
    try:
        started = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            loop.say(_Reply())
        ended = time.monotonic() - started
    finally:
        microphone.set()
    assert ended < live.WATCHER_EXIT_S + 2.0 < SLOW_S, f"say() took {ended:.1f} s to let Ctrl+C through"
    assert loop.stop_speaking.is_set()  # the watcher stops at its next block


def test_the_loop_tells_its_threads_to_stop_however_it_ends():
    class Broken(Exception):
        pass

    def microphone(callback):
        raise Broken

    loop = LiveLoop(_SlowSession(), LiveOptions(), lambda clip, stop_event=None: True, microphone,
                    echo=lambda line: None, keys=None)
    with pytest.raises(Broken):
        loop.run()
    assert loop.stopped.is_set() and loop.stop_speaking.is_set()


@pytest.fixture
def exit_flag():
    yield
    assistant._EXITING.clear()  # the process goes on after the test


def test_at_exit_decodings_running_are_waited_for_a_bounded_time_and_none_starts(exit_flag):
    release = threading.Event()
    started = threading.Event()

    def slow(pcm: bytes) -> Transcript:
        started.set()
        release.wait(SLOW_S)
        return Transcript("late")

    running = assistant._EarlyDecode(slow, b"\0\0" * 160)
    assert started.wait(5)
    t0 = time.monotonic()
    assert not assistant.finish_decodings(0.3)  # still running: not waited for longer than asked
    assert time.monotonic() - t0 < 1.0
    called = []
    after = assistant._EarlyDecode(lambda pcm: called.append(pcm) or Transcript("x"), b"\0\0")
    after.wait()
    assert not called  # exiting: no new decoding starts
    with pytest.raises(RuntimeError):
        after.result()
    release.set()
    assert assistant.finish_decodings(5.0) and running.done
    assert not assistant._DECODINGS


def test_an_ending_that_hangs_leaves_every_threads_stack_in_the_log_and_ends(tmp_path):
    log = tmp_path / "sound.log"
    script = textwrap.dedent(f"""
        import os, signal, threading, time
        from pathlib import Path
        from voice_assistant.console import stacks_if_ending_hangs

        def stuck_closing_the_microphone():
            time.sleep(60)

        threading.Thread(target=stuck_closing_the_microphone, name="portaudio-close", daemon=True).start()
        try:
            with stacks_if_ending_hangs(Path({str(log)!r}), limit_s=1.0):
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(30)  # never reached: Ctrl+C raises at once
        except KeyboardInterrupt:
            print("interrupted", flush=True)
        threading.Event().wait(60)  # the end that never comes
    """)
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert time.monotonic() - started < 15
    assert proc.stdout.strip() == "interrupted"
    assert proc.returncode == 1, proc.stderr
    dumped = log.read_text()
    assert "Ctrl+C: ending" in dumped
    assert "stuck_closing_the_microphone" in dumped and "Thread 0x" in dumped  # every thread, the stuck one too


def test_without_ctrl_c_nothing_is_armed_and_the_handler_is_given_back(tmp_path):
    with live_handler_restored():
        from voice_assistant.console import stacks_if_ending_hangs

        with stacks_if_ending_hangs(tmp_path / "sound.log", limit_s=0.5):
            assert signal.getsignal(signal.SIGINT) is not signal.default_int_handler
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    time.sleep(0.8)  # had it been armed, faulthandler would have ended this process
    assert not (tmp_path / "sound.log").exists()


class live_handler_restored:
    def __enter__(self):
        self.saved = signal.getsignal(signal.SIGINT)
        signal.signal(signal.SIGINT, signal.default_int_handler)

    def __exit__(self, *exc):
        signal.signal(signal.SIGINT, self.saved)



def test_ctrl_c_still_ends_when_the_log_cannot_be_written(tmp_path):
    with live_handler_restored():
        from voice_assistant.console import stacks_if_ending_hangs

        with pytest.raises(KeyboardInterrupt):
            with stacks_if_ending_hangs(tmp_path / "no-such-folder" / "sound.log", limit_s=0.5):
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(5)
    time.sleep(0.8)  # nothing was armed: this process goes on
