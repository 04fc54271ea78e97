"""Energy endpointing patient enough for older speakers: decide when an utterance starts and ends.

Audio is cut into 30 ms frames and each frame's level (dBFS) is compared with an adaptive noise floor, the
quietest level heard over the last few seconds. Speech starts after ~150 ms above the floor; the utterance ends
after a trailing silence (1 s by default, never shorter unless the config says so, because older speakers pause
mid-sentence), at a maximum length, or NO_SPEECH is reported when nobody speaks (the re-prompt delay).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from enum import Enum

import numpy as np

from voice_assistant.audio.clip import SAMPLE_RATE, AudioClip
from voice_assistant.audio.convert import int16_mono


class EventKind(str, Enum):
    SPEECH_STARTED = "speech_started"  #: ~150 ms of speech heard; the recogniser can start, barge-in can fire
    UTTERANCE_ENDED = "utterance_ended"  #: the utterance is closed; its audio is in the event
    NO_SPEECH = "no_speech"  #: nobody spoke for `no_speech_timeout_s`; time to re-prompt (repeats while silent)


SPEECH_STARTED = EventKind.SPEECH_STARTED
UTTERANCE_ENDED = EventKind.UTTERANCE_ENDED
NO_SPEECH = EventKind.NO_SPEECH


@dataclass(frozen=True)
class EndpointEvent:
    """Something the endpointer decided, at a point of the stream."""

    kind: EventKind
    time_s: float  #: stream time (seconds of audio fed since the endpointer was made) when it was decided
    audio: AudioClip | None = None  #: UTTERANCE_ENDED: the utterance, with pre-roll and a short silent tail
    start_s: float | None = None  #: SPEECH_STARTED / UTTERANCE_ENDED: stream time where speech began
    end_s: float | None = None  #: UTTERANCE_ENDED: stream time of the last frame of speech
    reason: str = ""  #: UTTERANCE_ENDED: "silence", "max_length", "end_of_audio" or "released"


@dataclass(frozen=True)
class EndpointConfig:
    """How patient the endpointer is. Times in seconds, levels in dB."""

    trailing_silence_s: float = 1.0  #: silence after speech that closes the utterance
    no_speech_timeout_s: float | None = 8.0  #: listening this long with no speech gives NO_SPEECH (None: never)
    max_utterance_s: float = 20.0  #: an utterance is closed at this length even if speech goes on
    min_trailing_silence_s: float = 1.0  #: guard: a shorter trailing_silence_s is refused (lower it on purpose)
    frame_s: float = 0.030  #: analysis frame
    speech_start_s: float = 0.150  #: time above the start threshold before speech is believed...
    speech_start_window_s: float = 0.300  #: ...counted within this window (syllables have gaps)
    start_margin_db: float = 10.0  #: a frame this far above the noise floor may start speech
    continue_margin_db: float = 6.0  #: a frame this far above the noise floor keeps speech going
    min_noise_floor_dbfs: float = -60.0  #: the floor never goes below this, so hiss in digital silence is not speech
    noise_window_s: float = 3.0  #: the noise floor is the quietest frame over this window
    pre_roll_s: float = 0.3  #: audio kept before the detected start (soft first consonants)
    keep_silence_s: float = 0.3  #: silence kept after the last speech frame in the utterance audio

    def __post_init__(self) -> None:
        positive = ("trailing_silence_s", "max_utterance_s", "frame_s", "speech_start_s", "speech_start_window_s",
                    "noise_window_s")
        for name in positive:
            if not getattr(self, name) > 0:
                raise ValueError(f"EndpointConfig.{name} must be positive, got {getattr(self, name)!r}")
        for name in ("pre_roll_s", "keep_silence_s", "min_trailing_silence_s"):
            if getattr(self, name) < 0:
                raise ValueError(f"EndpointConfig.{name} cannot be negative, got {getattr(self, name)!r}")
        if self.trailing_silence_s < self.min_trailing_silence_s:
            raise ValueError(
                f"EndpointConfig.trailing_silence_s is {self.trailing_silence_s} s, below "
                f"{self.min_trailing_silence_s} s: older speakers pause mid-sentence and would be cut off "
                "(lower min_trailing_silence_s too if this is really wanted)")
        if self.no_speech_timeout_s is not None and not self.no_speech_timeout_s > 0:
            raise ValueError(f"EndpointConfig.no_speech_timeout_s must be positive or None, "
                             f"got {self.no_speech_timeout_s!r}")
        if self.continue_margin_db > self.start_margin_db:
            raise ValueError("EndpointConfig.continue_margin_db cannot exceed start_margin_db")


class Endpointer:
    """Streaming endpointer: `feed` PCM of any block size, get EndpointEvents back."""

    def __init__(self, config: EndpointConfig | None = None, sample_rate: int = SAMPLE_RATE) -> None:
        self.config = c = config or EndpointConfig()
        self.sample_rate = sample_rate
        self._flen = max(1, round(sample_rate * c.frame_s))
        fs = self._flen / sample_rate  # true frame duration
        self._frame_s = fs
        self._start_frames = max(1, math.ceil(c.speech_start_s / fs - 1e-9))
        self._start_window = max(self._start_frames, math.ceil(c.speech_start_window_s / fs - 1e-9))
        self._silence_frames = max(1, math.ceil(c.trailing_silence_s / fs - 1e-9))
        self._max_frames = max(self._start_frames, math.floor(c.max_utterance_s / fs + 1e-9))
        self._keep_frames = round(c.keep_silence_s / fs)
        self._pre_frames = round(c.pre_roll_s / fs)
        self._no_speech_frames = (None if c.no_speech_timeout_s is None
                                  else max(1, math.ceil(c.no_speech_timeout_s / fs - 1e-9)))
        window = max(1, round(c.noise_window_s / fs))
        self._levels: deque[float] = deque(maxlen=window)  # recent frame levels; the floor is their minimum
        self._n = 0  # frames processed since creation (the stream clock)
        self._leftover = np.zeros(0, dtype=np.int16)
        self.held = False  #: see hold(); kept by reset(): the button is still down after a chime
        self.reset()

    # -- public -------------------------------------------------------------------------------------------
    @property
    def in_speech(self) -> bool:
        """True between SPEECH_STARTED and UTTERANCE_ENDED."""
        return self._speech

    @property
    def noise_floor_dbfs(self) -> float:
        """The current noise floor estimate."""
        return max(min(self._levels, default=-math.inf), self.config.min_noise_floor_dbfs)

    @property
    def frame_bytes(self) -> int:
        """Bytes of 16-bit PCM in one analysis frame."""
        return 2 * self._flen

    @property
    def time_s(self) -> float:
        """Stream time: seconds of audio processed (whole frames)."""
        return self._n * self._frame_s

    @property
    def stream_time_s(self) -> float:
        """Stream time of the next sample fed (the frames processed and the part-frame waiting)."""
        return (self._n * self._flen + len(self._leftover)) / self.sample_rate

    def restart_no_speech_timer(self) -> None:
        """Count the no-speech timeout from here (an answer window opens when the assistant's question has been
        heard to its end, whatever audio came before)."""
        self._idle_since = self._n

    def settled(self, since: int = 0) -> tuple[np.ndarray, int]:
        """The utterance in progress from its frame `since` on, as far as its audio is settled: the frames
        that will be in UTTERANCE_ENDED's clip whatever comes next (pre-roll, speech, and silence only up to
        `keep_silence_s` after the last speech). Returns (samples, frames settled so far), so a recogniser can
        decode while the person is still speaking and hear exactly the clip the utterance ends with."""
        if not self._speech:
            return np.zeros(0, dtype=np.int16), since
        end = min(len(self._utt), self._last_voiced + 1 + self._keep_frames - self._utt_first)
        parts = self._utt[since:end]
        return (np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)), max(end, since)

    @property
    def settled_whole(self) -> bool:
        """In an utterance, and its settled audio is all of it unless speech resumes: the pause after the last
        speech is already longer than the silence an utterance keeps (`keep_silence_s`)."""
        return self._speech and self._n - 1 - self._last_voiced >= self._keep_frames

    def hold(self) -> None:
        """The talk button is held: no pause ends the utterance, and waiting for speech is "no speech" only
        after `max_utterance_s` (a person holding the button may think before speaking). `release()` ends it;
        so does the end of the utterance however it ends (a hold lasts one utterance)."""
        self.held = True

    def release(self) -> list[EndpointEvent]:
        """The talk button is let go: the utterance ends now (UTTERANCE_ENDED), or NO_SPEECH when none began."""
        self.held = False
        if self._speech:
            return [self._end("released")]
        self._idle_since = self._n
        return [EndpointEvent(NO_SPEECH, self.time_s)]

    def reset(self) -> None:
        """Start listening afresh (after a prompt was played): drop any utterance, restart the no-speech timer.

        The noise floor and the stream clock are kept: the room has not changed.
        """
        self._speech = False
        self._loud: deque[int] = deque()  # indices of recent frames above the start threshold
        self._idle_since = self._n  # frame index where listening (re)started
        self._recent: deque[np.ndarray] = deque(maxlen=self._pre_frames + self._start_window)
        self._utt: list[np.ndarray] = []
        self._utt_start = 0  # frame index of the first speech frame
        self._utt_first = 0  # frame index of _utt[0] (pre-roll included)
        self._last_voiced = 0  # frame index of the last frame above the continue threshold
        self._leftover = np.zeros(0, dtype=np.int16)

    def feed(self, pcm: bytes | bytearray | memoryview | np.ndarray) -> list[EndpointEvent]:
        """Feed 16-bit little-endian mono PCM bytes or a sample array (int16 or float, mono or multichannel)."""
        samples = np.concatenate([self._leftover, _as_int16(pcm)])  # a copy: the caller may reuse its buffer
        n = len(samples) // self._flen
        self._leftover = samples[n * self._flen:].copy()
        if n == 0:
            return []
        frames = samples[: n * self._flen].reshape(n, self._flen)
        power = np.mean(np.square(frames, dtype=np.float64), axis=1) / (32768.0 ** 2)
        levels = 10.0 * np.log10(power + 1e-10)
        events: list[EndpointEvent] = []
        for frame, level in zip(frames, levels.tolist()):
            self._step(frame, level, events)
        return events

    def flush(self) -> list[EndpointEvent]:
        """End of the audio (file or stream closed): close an utterance in progress."""
        if not self._speech:
            self._leftover = np.zeros(0, dtype=np.int16)
            return []
        if len(self._leftover):
            self._utt.append(self._leftover)
            self._leftover = np.zeros(0, dtype=np.int16)
        return [self._end("end_of_audio")]

    # -- the state machine --------------------------------------------------------------------------------
    def _step(self, frame: np.ndarray, level: float, events: list[EndpointEvent]) -> None:
        c = self.config
        floor = max(min(self._levels, default=-math.inf), c.min_noise_floor_dbfs)
        self._levels.append(level)
        i = self._n
        self._n += 1
        if self._speech:
            self._utt.append(frame)
            if level >= floor + c.continue_margin_db:
                self._last_voiced = i
            if i - self._last_voiced >= self._silence_frames and not self.held:
                events.append(self._end("silence"))
            elif i + 1 - self._utt_start >= self._max_frames:
                events.append(self._end("max_length"))
            return
        self._recent.append(frame)
        if level >= floor + c.start_margin_db:
            self._loud.append(i)
        while self._loud and self._loud[0] <= i - self._start_window:
            self._loud.popleft()
        if len(self._loud) >= self._start_frames:
            self._begin(events)
        elif (self._no_speech_frames is not None and not self._loud
              and self._n - self._idle_since >= (self._max_frames if self.held else self._no_speech_frames)):
            events.append(EndpointEvent(NO_SPEECH, self.time_s))  # held: only after max_utterance_s
            self._idle_since = self._n
            self.held = False

    def _begin(self, events: list[EndpointEvent]) -> None:
        self._speech = True
        self._utt_start = self._loud[0]
        self._last_voiced = self._n - 1
        recent = list(self._recent)
        head = min(self._n - self._utt_start, len(recent))  # the candidate frames, already in _recent
        pre = min(len(recent) - head, self._pre_frames)
        self._utt = recent[len(recent) - head - pre:]
        self._utt_first = self._n - head - pre
        self._recent.clear()
        self._loud.clear()
        events.append(EndpointEvent(SPEECH_STARTED, self.time_s, start_s=self._utt_start * self._frame_s))

    def _end(self, reason: str) -> EndpointEvent:
        self.held = False  # a hold lasts one utterance
        parts = self._utt[: self._last_voiced + 1 + self._keep_frames - self._utt_first]
        audio = AudioClip(np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16), self.sample_rate)
        event = EndpointEvent(UTTERANCE_ENDED, self.time_s, audio=audio, start_s=self._utt_start * self._frame_s,
                              end_s=(self._last_voiced + 1) * self._frame_s, reason=reason)
        self._speech = False
        self._utt = []
        self._recent.clear()
        self._loud.clear()
        self._idle_since = self._n
        return event


def segment(clip: AudioClip, config: EndpointConfig | None = None) -> list[EndpointEvent]:
    """Run a whole clip through a fresh Endpointer (flushed at the end); returns every event in order."""
    ep = Endpointer(config, clip.sample_rate)
    return ep.feed(clip.samples) + ep.flush()


def utterances(clip: AudioClip, config: EndpointConfig | None = None) -> list[AudioClip]:
    """The utterances found in a whole clip (empty when nobody speaks)."""
    return [e.audio for e in segment(clip, config) if e.kind is UTTERANCE_ENDED and e.audio is not None]


def _as_int16(pcm: bytes | bytearray | memoryview | np.ndarray) -> np.ndarray:
    if isinstance(pcm, (bytes, bytearray, memoryview)):
        raw = bytes(pcm)
        if len(raw) % 2:
            raise ValueError("PCM bytes must be 16-bit samples (an even number of bytes)")
        return np.frombuffer(raw, dtype="<i2").astype(np.int16, copy=False)
    return int16_mono(pcm)
