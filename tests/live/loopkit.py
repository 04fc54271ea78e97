"""What the live-loop tests share: a patient's spoken requests, a Session on a throwaway store, a fake microphone
and speaker for LiveLoop, and a harness that runs the loop while a scripted patient acts in another thread.

The patient speaks with eSpeak NG's "en-us+m3" voice at 135 words per minute (the assistant speaks with Piper's
joe voice): each request is written as a WAV file at eSpeak's own rate and read back through `read_audio`, which
resamples it to 16 kHz, the rate of the microphone.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable

import numpy as np

from voice_assistant.assistant import Session
from voice_assistant.audio.clip import SAMPLE_RATE, AudioClip
from voice_assistant.audio.earcons import Earcon, earcon
from voice_assistant.audio.files import read_audio
from voice_assistant.dialogue.manager import DialogueManager
from voice_assistant.live import LiveLoop, LiveOptions
from voice_assistant.profile import default_profile
from voice_assistant.store import Store

PROFILE = default_profile()
BLOCK = round(SAMPLE_RATE * 0.030)  #: one microphone block: 30 ms at 16 kHz
PATIENT_VOICE, PATIENT_WPM = "en-us+m3", 135
#: Tuesday 15 January 2030, seven in the evening in the patient's time zone
EVENING = datetime(2030, 1, 15, 19, 0, tzinfo=PROFILE.zone)


def real_recognizer():
    """A new English recogniser as the `listen` command makes it (asr/select.py). New for each test: pocketsphinx
    adapts to the voice from one utterance to the next, so a shared one would make results depend on test order."""
    from dataclasses import replace

    from voice_assistant.asr.select import recognizer_for

    return recognizer_for("en", replace(PROFILE, language="en"), cached=False)


class Patient:
    """Spoken requests as 16 kHz clips, each synthesised once and kept as a WAV file.

    eSpeak NG carries state from one synthesis to the next (the same text comes out slightly different the second
    time), and the recogniser notices: each request is synthesised in a fresh process, so a clip is the same
    whatever the tests run before it."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._clips: dict[str, AudioClip] = {}

    def path(self, text: str) -> Path:
        return self.folder / ("-".join(text.replace(",", "").split()) + ".wav")

    def prepare(self, *texts: str) -> None:
        """Synthesise these requests now, in parallel (one process each)."""
        todo = [t for t in dict.fromkeys(texts) if not self.path(t).exists()]
        procs = [subprocess.Popen([sys.executable, "-c", _SYNTHESISE, t, str(self.path(t)), PATIENT_VOICE,
                                   str(PATIENT_WPM)], stderr=subprocess.PIPE) for t in todo]
        for text, proc in zip(todo, procs):
            _, err = proc.communicate(timeout=60)
            assert proc.returncode == 0, f"eSpeak NG could not say {text!r}: {err.decode()[-2000:]}"

    def wav(self, text: str) -> Path:
        """The request as a WAV file at eSpeak's own rate (22.05 kHz)."""
        self.prepare(text)
        return self.path(text)

    def says(self, text: str) -> AudioClip:
        """The request as the microphone hears it: 16 kHz mono int16."""
        if text not in self._clips:
            self._clips[text] = read_audio(self.wav(text))
        return self._clips[text]


_SYNTHESISE = """
import sys
import numpy as np
from voice_assistant.audio.clip import AudioClip
from voice_assistant.audio.files import write_wav
from voice_assistant.tts.espeak import EspeakSynthesizer
text, path, voice, wpm = sys.argv[1:]
sentences = list(EspeakSynthesizer("en", voice=voice).speak(text, int(wpm)))
write_wav(path, AudioClip(np.concatenate([s.audio.samples for s in sentences]), sentences[0].audio.sample_rate))
"""


class KnownClips:
    """A recogniser for the loop's own tests: it knows the clips the patient will say and their words, and hears an
    utterance as the words of the clip it contains, whole (normalised cross-correlation), or "" for anything else.

    What the engine makes of eSpeak's voice is tested in tests/asr; here the loop must be exact: the endpointer must
    deliver each spoken clip whole, in one utterance, and the words must reach the dialogue unchanged."""

    language, sample_rate, engine = "en", SAMPLE_RATE, "known-clips"

    def __init__(self) -> None:
        self.known: list[tuple[np.ndarray, str]] = []
        self._audio = bytearray()
        self.scores: list[float] = []  #: per utterance, how much of the best clip it contained (1.0: all of it)

    def learn(self, clip: AudioClip, text: str) -> None:
        self.known.append((clip.samples.astype(np.float64), text.replace(",", "").lower()))

    def accept(self, pcm: bytes):
        self._audio.extend(pcm)
        return None

    def finish(self):
        from voice_assistant.asr.base import Transcript

        audio = np.frombuffer(bytes(self._audio), dtype="<i2").astype(np.float64)
        self._audio = bytearray()
        scored = [(_contains(audio, clip), len(clip), words) for clip, words in self.known]
        whole = [(n, words, score) for score, n, words in scored if 0.95 <= score <= 1.05]
        if whole:  # the longest clip found whole ("assistant" is also at the start of "assistant, my...")
            _, text, score = max(whole)
        else:
            text, score = "", max((score for score, _, _ in scored), default=0.0)
        self.scores.append(score)
        return Transcript(text, confidence=0.9 if text else 0.0, engine=self.engine)

    def reset(self) -> None:
        self._audio = bytearray()


def _contains(audio: np.ndarray, clip: np.ndarray) -> float:
    """max over offsets of <audio window, clip> / <clip, clip>: 1.0 when the whole clip is in the audio."""
    if len(audio) == 0:
        return 0.0
    n = 1 << int(np.ceil(np.log2(len(audio) + len(clip))))
    correlation = np.fft.irfft(np.fft.rfft(audio, n) * np.conj(np.fft.rfft(clip, n)), n)
    return float(correlation.max() / np.dot(clip, clip))


class Clock:
    """The Session's clock; the test moves it."""

    def __init__(self, now: datetime = EVENING):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def make_session(folder: Path, recognizer, synthesizer, clock: Clock) -> Session:
    store = Store.open(folder / "assistant.db")
    manager = DialogueManager(PROFILE, store, "en", save_profile_changes=False)
    return Session(manager, recognizer, synthesizer, clock=clock)


# --- a microphone and a speaker without hardware -------------------------------------------------------------

class FakeMicrophone:
    """`open_microphone` for LiveLoop: while open, a thread sends 30 ms int16 blocks to the loop, faster than real
    time (`pace_s` per block): faint noise, and the speech queued with `speak()`. What a spoken clip sends (a short
    silence, the time a person takes to start after the chime; the speech; a pause long enough to end the
    utterance) carries its own fixed noise, so the recogniser gets the same audio on every run."""

    def __init__(self, pace_s: float = 0.002, noise: float = 3.0):
        self.pace_s = pace_s
        self.noise = noise
        self._quiet = self._noisy(np.zeros(BLOCK * 16, np.int16), seed=1).reshape(-1, BLOCK)
        self._pending: deque[np.ndarray] = deque()
        self._lock = threading.Lock()
        self._running = threading.Event()
        self._thread: threading.Thread | None = None
        self.callback: Callable[[np.ndarray], None] | None = None
        self.blocks_sent = 0

    def __call__(self, callback: Callable[[np.ndarray], None]) -> FakeMicrophone:
        self.callback = callback
        return self

    def __enter__(self) -> FakeMicrophone:
        self._running.set()
        self._thread = threading.Thread(target=self._run, daemon=True, name="fake-microphone")
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._running.clear()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _noisy(self, samples: np.ndarray, seed: int) -> np.ndarray:
        noise = np.random.default_rng(seed).normal(0.0, self.noise, len(samples))
        return np.clip(np.round(samples + noise), -32768, 32767).astype(np.int16)

    def speak(self, clip: AudioClip, lead_in_s: float = 1.0, pause_s: float = 1.5) -> None:
        assert clip.sample_rate == SAMPLE_RATE
        samples = np.concatenate([np.zeros(round(lead_in_s * SAMPLE_RATE), np.int16), clip.samples,
                                  np.zeros(round(pause_s * SAMPLE_RATE), np.int16)])
        samples = self._noisy(np.pad(samples, (0, -len(samples) % BLOCK)), seed=0)
        with self._lock:
            self._pending.extend(samples.reshape(-1, BLOCK))

    @property
    def speaking(self) -> bool:
        with self._lock:
            return bool(self._pending)

    def _run(self) -> None:
        while self._running.is_set():
            with self._lock:
                block = self._pending.popleft() if self._pending else self._quiet[self.blocks_sent % len(self._quiet)]
            self.callback(block.copy())
            self.blocks_sent += 1
            time.sleep(self.pace_s)


@dataclass
class Played:
    """One call of the player."""

    kind: str  #: an Earcon value ("listening", "understood", "not_understood") or "speech"
    clip: AudioClip
    samples_played: int = 0
    completed: bool | None = None  #: None while playing; False when the stop event cut it

    @property
    def seconds_played(self) -> float:
        return self.samples_played / self.clip.sample_rate


def _kind(clip: AudioClip) -> str:
    for kind in Earcon:
        e = earcon(kind, clip.sample_rate)
        if len(e.samples) == len(clip.samples) and np.array_equal(e.samples, clip.samples):
            return kind.value
    return "speech"


class FakePlayer:
    """`play` for LiveLoop: records what would be heard, 50 ms at a time like the real one, and honours the
    stop event between blocks. `on_block(played)` runs after each block. With `device_play` (the real
    `devices.play`), it records the same way and lets the sound card play."""

    def __init__(self, pace_s: float = 0.0, device_play: Callable | None = None):
        self.pace_s = pace_s
        self.device_play = device_play
        self.played: list[Played] = []
        self.on_block: Callable[[Played], None] | None = None
        self._lock = threading.Lock()

    def __call__(self, clip: AudioClip, stop_event=None) -> bool:
        record = Played(_kind(clip), clip)
        with self._lock:
            self.played.append(record)
        if self.device_play is not None:
            record.completed = bool(self.device_play(clip, stop_event))
            record.samples_played = len(clip.samples) if record.completed else 0
            return record.completed
        step = max(1, round(clip.sample_rate * 0.050))
        for start in range(0, len(clip.samples), step):
            if stop_event is not None and stop_event.is_set():
                record.completed = False
                return False
            record.samples_played += len(clip.samples[start:start + step])
            if self.on_block is not None:
                self.on_block(record)
            if self.pace_s:
                time.sleep(self.pace_s)
        record.completed = not (stop_event is not None and stop_event.is_set())
        return record.completed

    def kinds(self) -> list[str]:
        with self._lock:
            return [p.kind for p in self.played]

    def speech(self) -> list[Played]:
        with self._lock:
            return [p for p in self.played if p.kind == "speech"]


# --- the harness --------------------------------------------------------------------------------------------

@dataclass
class Said:
    """One reply the loop spoke (LiveLoop.say)."""

    text: str
    sentences: int  #: sentences the reply has
    played: list[Played] = field(default_factory=list)  #: what the player got for it
    finished: bool = False  #: say() returned
    completed: bool | None = None  #: say()'s result: False when barge-in cut it
    skip: int = 0  #: sentences left out at its start (a cut reply going on from the sentence cut)


#: in Harness.heard, an utterance the loop chose not to decode (hands-free, no wake phrase at its start)
NOT_DECODED = "<not decoded>"


class Harness:
    """A LiveLoop on a fake microphone and speaker, with a record of everything it heard, said and played."""

    def __init__(self, session: Session, options: LiveOptions, mic: FakeMicrophone | None = None,
                 player: FakePlayer | None = None, **loop_options):
        self.session = session
        self.mic = mic or FakeMicrophone()
        self.player = player or FakePlayer()
        self.echoed: list[str] = []
        self.said: list[Said] = []
        self.heard: list[str] = []  #: transcripts of every utterance the endpointer closed
        self.loop = LiveLoop(session, options, self.player, self.mic, echo=self.echoed.append, keys=None,
                             **loop_options)
        self._spy()

    def _spy(self) -> None:
        loop, session = self.loop, self.session
        say, recognize, feed, release = loop.say, session.recognize, session.feed, session.release

        def spied_say(output, skip=0):
            from voice_assistant.tts import split_sentences

            record = Said(output.text, len(split_sentences(output.text, "en")), skip=skip)
            self.said.append(record)
            before = len(self.player.played)
            record.completed = say(output, skip)
            record.played = [p for p in self.player.played[before:] if p.kind == "speech"]
            record.finished = True
            return record.completed

        def spied_recognize(clip):
            transcript, seconds = recognize(clip)
            self.heard.append(transcript.text)
            return transcript, seconds

        def heard(events):
            self.heard.extend(NOT_DECODED if e.undecoded else e.transcript.text for e in events
                              if e.kind == "utterance" and (e.transcript or e.undecoded))
            return events

        def spied_feed(pcm):
            return heard(feed(pcm))

        def spied_release():
            return heard(release())

        loop.say = spied_say
        session.recognize = spied_recognize
        session.feed = spied_feed
        session.release = spied_release

    # -- waiting, from the patient's thread --

    def describe(self) -> str:
        return (f"said={[s.text for s in self.said]!r} heard={self.heard!r} played={self.player.kinds()!r} "
                f"mic blocks={getattr(self.mic, 'blocks_sent', '?')}")

    def wait_until(self, condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if self.loop.stopped.is_set():
                raise AssertionError(f"the loop stopped while waiting for {what}: {self.describe()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout} s waiting for {what}: {self.describe()}")
            time.sleep(0.005)

    def wait_said(self, n: int) -> Said:
        """Wait until the loop has finished saying its n-th reply (the greeting is the first)."""
        self.wait_until(lambda: len(self.said) >= n and self.said[n - 1].finished, f"reply number {n}")
        return self.said[n - 1]

    def wait_heard(self, n: int) -> str:
        self.wait_until(lambda: len(self.heard) >= n, f"utterance number {n} to be recognised")
        return self.heard[n - 1]

    def wait_played(self, kind: Earcon, count: int = 1) -> None:
        """Until the earcon has been played `count` times, to its end (a person speaks after the chime)."""
        def played() -> bool:
            with self.player._lock:
                done = [p for p in self.player.played if p.kind == kind.value and p.completed is not None]
            return len(done) >= count
        self.wait_until(played, f"earcon {kind.value} x{count}")

    def speak_when_listening(self, clip: AudioClip) -> None:
        """Push-to-talk: press the key, wait for the listening chime, then speak."""
        before = self.player.kinds().count(Earcon.LISTENING.value)
        self.loop.press()
        self.wait_played(Earcon.LISTENING, before + 1)
        self.mic.speak(clip)

    # -- running --

    def run(self, patient: Callable[[Harness], None], timeout: float = 45.0) -> None:
        """Run the loop here and `patient(self)` in a thread; the loop stops when the patient is done."""
        errors: list[BaseException] = []

        def act() -> None:
            try:
                patient(self)
            except BaseException as e:  # re-raised in the test's thread
                errors.append(e)
            finally:
                self.loop.stopped.set()

        actor = threading.Thread(target=act, daemon=True, name="patient")
        watchdog = threading.Timer(timeout, self.loop.stopped.set)
        actor.start()
        watchdog.start()
        started = time.monotonic()
        try:
            self.loop.run()
        finally:
            watchdog.cancel()
            self.loop.stopped.set()
            actor.join(timeout=10)
        if errors:
            raise errors[0]
        assert time.monotonic() - started < timeout, f"the loop ran past {timeout} s: {self.describe()}"
