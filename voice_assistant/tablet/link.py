"""The tablet page as the live loop's microphone and speaker.

`PageLink` holds the page that is open now (one conversation per device: a newer page replaces an older one).
`PageAudio` gives `LiveLoop` what it asks of any audio device: `play(clip, stop_event) -> bool`, which sends the clip
to the page and waits until the page says it finished or was stopped (or the page vanished: a time limit), and
`open_microphone(callback)`, which routes the page's 16 kHz int16 frames to the loop (silence while the page sends
nothing during a turn, so the endpointer still ends it).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import numpy as np

from voice_assistant.audio.clip import SAMPLE_RATE, AudioClip
from voice_assistant.tablet.messages import Cut, Play, Reply, State, Welcome

DeviceMessage = Welcome | State | Reply | Play | Cut

PLAY_GRACE_S = 5.0  #: beyond a clip's length, how long to wait for the page to say it played it
SILENCE_AFTER_S = 0.3  #: no frame from the page for this long during a turn: the microphone hears silence
FRAME = round(SAMPLE_RATE * 0.030)  #: samples in one frame (30 ms), as the page sends them

CLOSE_NOT_PAIRED = 4401  #: WebSocket close code: no valid pairing cookie
CLOSE_REPLACED = 4409  #: WebSocket close code: the conversation was opened on another screen


class _Ack:
    def __init__(self) -> None:
        self.event = threading.Event()
        self.completed = False


class PageLink:
    """The open page's connection: sends (JSON and binary, never interleaved) and the page's answers."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self.connection: Any = None  #: a websockets ServerConnection, or any object with send() and close()
        self.voice = True  #: False: the page's screen reader reads replies; the assistant's voice is off
        self._acks: dict[int, _Ack] = {}
        self.on_change: Callable[[], None] | None = None

    @property
    def connected(self) -> bool:
        return self.connection is not None

    def attach(self, connection: Any) -> Any:
        """This page is now the one; returns the page it replaces (None if none)."""
        with self._lock:
            old, self.connection = self.connection, connection
            self.voice = True
        return old

    def detach(self, connection: Any) -> None:
        with self._lock:
            if self.connection is connection:
                self.connection = None
                for ack in self._acks.values():
                    ack.event.set()  # completed stays False: not heard

    def send(self, message: DeviceMessage, data: bytes | None = None, connection: Any = None) -> bool:
        """Send a message (and its binary payload right after); False when no page is open or it failed."""
        with self._lock:
            target = connection or self.connection
            if target is None:
                return False
            try:
                target.send(json.dumps(message.to_json(), ensure_ascii=False))
                if data is not None:
                    target.send(data)
                return True
            except Exception:  # the page went away mid-send: its handler detaches it
                return False

    def expect(self, clip_id: int) -> _Ack:
        ack = _Ack()
        with self._lock:
            self._acks[clip_id] = ack
        return ack

    def forget(self, clip_id: int) -> None:
        with self._lock:
            self._acks.pop(clip_id, None)

    def played(self, clip_id: int, completed: bool) -> None:
        """The page's answer for a clip: played to the end, or stopped."""
        with self._lock:
            ack = self._acks.get(clip_id)
        if ack is not None:
            ack.completed = bool(completed)
            ack.event.set()


class PageAudio:
    """LiveLoop's `play` and `open_microphone`, through the page."""

    def __init__(self, link: PageLink, grace_s: float = PLAY_GRACE_S, silence_after_s: float = SILENCE_AFTER_S):
        self.link = link
        self.grace_s = grace_s
        self.silence_after_s = silence_after_s
        self._ids = itertools.count(1)
        self._callback: Callable[[np.ndarray], None] | None = None
        self._last_frame = 0.0
        self.listening = False  #: a turn is listening (LiveLoop's "listening" state until "thinking"/"waiting")

    # --- speaker ------------------------------------------------------------------------------------------

    def play(self, clip: AudioClip, stop_event=None) -> bool:
        """Send the clip to the page and wait until it is played (True) or stopped, or the page is gone (False).
        A clip without a stop event is an earcon (LiveLoop.chime)."""
        connection = self.link.connection
        if connection is None:
            return False
        clip_id = next(self._ids)
        ack = self.link.expect(clip_id)
        try:
            samples = np.asarray(clip.samples, dtype="<i2")
            kind = "speech" if stop_event is not None else "chime"
            if not self.link.send(Play(clip_id, kind, int(clip.sample_rate), int(len(samples))), samples.tobytes(),
                                  connection):
                return False
            deadline = time.monotonic() + clip.seconds + self.grace_s
            while not ack.event.wait(0.02):
                if stop_event is not None and stop_event.is_set():
                    self.link.send(Cut(clip_id), connection=connection)
                    return False
                if self.link.connection is not connection or time.monotonic() > deadline:
                    return False
            return ack.completed and not (stop_event is not None and stop_event.is_set())
        finally:
            self.link.forget(clip_id)

    # --- microphone -----------------------------------------------------------------------------------------

    @contextmanager
    def open_microphone(self, callback: Callable[[np.ndarray], None]) -> Iterator["PageAudio"]:
        self._callback = callback
        self._last_frame = time.monotonic()
        running = threading.Event()
        running.set()
        filler = threading.Thread(target=self._fill_silence, args=(running,), daemon=True, name="tablet-silence")
        filler.start()
        try:
            yield self
        finally:
            running.clear()
            self._callback = None
            filler.join(timeout=2)

    def frame(self, data: bytes) -> None:
        """A frame of the page's microphone: little-endian int16 at 16 kHz."""
        callback = self._callback
        if callback is None or len(data) < 2:
            return
        self._last_frame = time.monotonic()
        callback(np.frombuffer(data[:len(data) // 2 * 2], dtype="<i2").astype(np.int16))

    def _fill_silence(self, running: threading.Event) -> None:
        silence = np.zeros(FRAME, np.int16)
        while running.is_set():
            time.sleep(FRAME / SAMPLE_RATE)
            callback = self._callback
            if callback is not None and self.listening and time.monotonic() - self._last_frame > self.silence_after_s:
                callback(silence.copy())
