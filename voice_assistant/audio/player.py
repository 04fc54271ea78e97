"""One output stream for the whole session, fed by a queue.

Opening an output stream for each clip costs a second or more on some systems (ALSA through PulseAudio) and loses
what the microphone hears meanwhile. The Player opens its stream once; `play(clip, stop)` queues the clip and
returns when its last sample has left the device, by the stream's own clock, not when a write returned.

Two ways to feed the device, one Player:

- **Written ahead to the sound server** (`sink=`, audio/pulse.py's PulseSink; what `devices.open_player` picks
  wherever PulseAudio or PipeWire's pulse layer answers). A writer thread writes each queued clip whole into the
  server's buffer as soon as it comes (clips longer than AHEAD_S / 2 in pieces, each one once the device has played
  down to that much), and nothing between sounds. The server plays it on its own: a client thread that wakes late
  on a busy machine no longer matters, and no silence waits in front of the next sound. The server says when each
  sound will be heard (its latency right after the write); a stop flushes the server's buffer. An underrun is the
  server's queue running empty while a clip was still being written.
- **A real-time callback** (`stream_factory=`, PortAudio's OutputStream: where no sound server runs). The callback
  copies queued clips into the device's buffer and plays silence between them. The stream asks for `latency_s` of
  device buffering (0.4 s by default) so that a busy CPU starves it less, but with both cores busy ALSA's pulse
  plugin was measured waking its callback 0.5-0.7 s late (underruns mid-sentence), and every sound waits behind
  the buffered silence (heard 370-525 ms after `play()`). A stop aborts the stream (its buffer dropped) and starts
  it again, so the sound ends within about one callback block (20 ms) of the stop being seen.

Either way the stop is looked at every 10 ms. Measured and not kept (see the README): a 1 s callback buffer with
the stream restarted (abort + start) when a sound comes after quiet: sounds heard 6-33 ms after `play()`, but
ALSA's PulseAudio plugin reported an underrun ~27 ms after about half of such restarts and PortAudio's recovery
dropped what had been written.

Each sound's start (with its samples) and end (seconds on time.monotonic()'s clock) go to `on_sound` listeners:
the capture ring leaves those samples (and an echo tail, measured by finding the sound's echo) out of what the loop
hears.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

import numpy as np

from voice_assistant.audio.clip import AudioClip
from voice_assistant.audio.convert import float_to_int16, resample, to_float_mono

log = logging.getLogger(__name__)

#: device buffering asked for: a loaded CPU must not cause underruns. The callback needs Python's interpreter lock; pocketsphinx is fed 50 ms at a time so it never holds the lock long (one whole-utterance
#: `process_raw` held it 1.7 s on a loaded machine); Piper's synthesis lets it go (longest hold measured: 9 ms).
LATENCY_S = 0.4
BLOCK_S = 0.020  #: callback block
STOP_POLL_S = 0.010  #: how often a playing clip looks at its stop event
#: a sound server's buffer is written at most this far ahead of the device (a longer clip goes in pieces of half)
AHEAD_S = 30.0


class PushSink(Protocol):
    """A sound server's playback stream written ahead (audio/pulse.py's PulseSink; a fake in the unit tests)."""

    on_underflow: Callable[[], None] | None  #: called (on the server's thread) when its queue ran empty

    def write(self, samples: np.ndarray) -> tuple[float, float]:
        """Queue int16 samples behind what is queued; when their first and last sample leave the device."""
        ...

    def flush(self) -> None:
        """Drop what the server still holds: the sound stops at once."""
        ...

    def close(self) -> None: ...


@dataclass
class _Item:
    samples: np.ndarray
    pos: int = 0
    cut: bool = False
    first_t: float | None = None  #: monotonic time its first sample leaves the device
    last_t: float | None = None  #: monotonic time its last sample leaves the device (known once all are written)
    written: threading.Event = field(default_factory=threading.Event)
    handles: list = field(default_factory=list)  #: what each on_sound listener returned for its start
    ended: bool = False  #: its end was told


class Player:
    """`play(clip, stop_event) -> bool` on one session-long output stream.

    Either `sink`, a sound server's stream written ahead (PushSink), or `stream_factory(callback, rate, blocksize,
    latency)`, which makes a callback stream (sounddevice.OutputStream); tests give fake ones with their own time."""

    def __init__(self, sample_rate: int, stream_factory: Callable[..., Any] | None = None,
                 clock: Callable[[], float] = time.monotonic, latency_s: float = LATENCY_S, block_s: float = BLOCK_S,
                 sink: PushSink | None = None):
        self.rate = int(sample_rate)
        self.clock = clock
        self.block = max(1, round(self.rate * block_s))
        self._queue: queue.Queue[_Item] = queue.Queue()
        self._current: _Item | None = None
        self._lock = threading.Lock()
        #: told ("start", t, clip) -> handle when a clip's first sample will leave the device at t (`clip`: what
        #: it plays, at the device's rate), and ("end", t, handle) when its last one will (or when it was cut);
        #: called on the audio thread: be quick
        self.on_sound: list[Callable[[str, float, object], object]] = []
        #: times the device ran dry while a clip was playing (PortAudio's underflow flags; the server's queue running
        #: empty while a clip was still being written to it)
        self.underruns = 0
        self.restarts = 0  #: times a stop dropped the device's buffer (the stream restarted, the server's flushed)
        self._sounding = False
        self._priming = False  #: the stream was restarted and has not yet had a callback without an underflow flag
        self._dry = False  #: the last callback was flagged "underflow"
        self._restart_lock = threading.Lock()
        self._closed = False
        self.sink = sink
        self.stream: Any = None
        self._ahead: list[_Item] = []  #: items written to the sink whose last sample may not have been heard yet
        if sink is not None:
            sink.on_underflow = self._underflow
            self._writer = threading.Thread(target=self._feed, name="speaker-writer", daemon=True)
            self._writer.start()
            return
        if stream_factory is None:
            raise ValueError("a Player needs a sink or a stream_factory")
        self.stream = stream_factory(self._callback, self.rate, self.block, latency_s)
        self.stream.start()

    # --- the loop's side ---------------------------------------------------------------------------------------

    def play(self, clip: AudioClip, stop_event=None) -> bool:
        """Queue the clip; True once its last sample has left the device, False when `stop_event` cut it (the
        rest is dropped, the device's buffer too)."""
        samples = np.asarray(clip.samples)
        if clip.sample_rate != self.rate or samples.dtype != np.int16:
            samples = float_to_int16(resample(to_float_mono(samples), clip.sample_rate, self.rate))
        if not len(samples):
            return True
        item = _Item(np.ascontiguousarray(samples, dtype=np.int16))
        self._queue.put(item)
        while True:
            if stop_event is not None and stop_event.is_set():
                self._cut(item)
                return False
            if item.cut:  # dropped with another clip's stop (written ahead behind it), or the speaker failed
                return False
            if item.written.is_set() and self.clock() >= item.last_t:
                return True
            if self._closed:
                return False
            time.sleep(STOP_POLL_S)

    def _tell(self, item: _Item, kind: str, t: float) -> None:
        for i, listener in enumerate(self.on_sound):
            try:
                if kind == "start":
                    item.handles.append(listener("start", t, AudioClip(item.samples, self.rate)))
                elif i < len(item.handles):
                    listener("end", t, item.handles[i])
            except Exception:  # noqa: BLE001 - a listener's bug must not silence the speaker
                log.exception("sound listener failed")

    def _cut(self, item: _Item) -> None:
        with self._lock:
            item.cut = True
            # still to be heard: being written, or written whole into the device buffer (up to `latency_s` of it)
            # but its last sample not yet out
            was_playing = self._current is item or (item.first_t is not None and
                                                    (item.last_t is None or self.clock() < item.last_t))
            if self._current is item:
                self._current = None
            if item.first_t is not None and not item.ended:
                item.ended = True
                end = self.clock() if item.last_t is None else min(self.clock(), item.last_t)
                self._tell(item, "end", end)
            elif was_playing and item.last_t is not None:  # its end was told ahead (written whole): heard until now
                self._tell(item, "end", self.clock())
            if was_playing and self.sink is not None:  # drop what the server holds, clips written behind it too
                self._flush(item)
        if was_playing and self.sink is None:
            with self._restart_lock:  # drop what the device still holds
                self._restart()

    def _flush(self, item: _Item) -> None:
        """(Lock held.) The server's buffer dropped: `item` and whatever was written behind it stop being heard."""
        try:
            self.sink.flush()
            self.restarts += 1
        except Exception as e:  # noqa: BLE001 - a server gone: logged, the next play says so
            log.warning("the speaker could not be stopped: %s", e)
        now = self.clock()
        for other in self._ahead:
            if other is not item and not other.cut and (other.last_t is None or other.last_t > now):
                other.cut = True
                if other.first_t is not None:
                    self._tell(other, "end", max(now, other.first_t))
        self._ahead.clear()

    def _restart(self) -> None:
        """Abort the stream (its buffer is dropped) and start it again at once."""
        try:
            self.stream.abort()
        except Exception as e:  # noqa: BLE001 - a device gone: logged, the sound is queued anyway
            log.warning("the speaker could not be stopped: %s", e)
        self._sounding = False
        self._priming = True  # a restarted stream flags "underflow" on every callback that primes its buffer
        try:
            self.stream.start()
            self.restarts += 1
        except Exception as e:  # noqa: BLE001 - a device that cannot restart: logged, the next play says so
            log.warning("the speaker could not be restarted: %s", e)

    def close(self) -> None:
        self._closed = True
        if self.sink is not None:
            self._writer.join(2)
        try:
            (self.sink if self.sink is not None else self.stream).close()
        except Exception:  # noqa: BLE001
            pass

    def __enter__(self) -> Player:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- the sound server's writer thread --------------------------------------------------------------------

    def _feed(self) -> None:
        while not self._closed:
            try:
                item = self._queue.get(timeout=0.05)
            except queue.Empty:
                continue
            self._write(item)

    def _write(self, item: _Item) -> None:
        """Write one clip into the server's buffer (whole, or in pieces of AHEAD_S / 2 as the device plays)."""
        piece = max(1, round(self.rate * AHEAD_S / 2))
        while True:
            with self._lock:
                if item.cut or self._closed:
                    self._current = None
                    return
                self._current = item
                n = min(piece, len(item.samples) - item.pos)
                try:
                    first, last = self.sink.write(item.samples[item.pos:item.pos + n])
                except Exception as e:  # noqa: BLE001 - the server went away: this sound is lost, play() says so
                    log.warning("the speaker failed: %s", e)
                    item.cut = True
                    self._current = None
                    if item.first_t is not None and not item.ended:
                        item.ended = True
                        self._tell(item, "end", self.clock())
                    return
                if item.pos == 0:
                    item.first_t = first
                    self._tell(item, "start", first)
                    now = self.clock()
                    self._ahead = [i for i in self._ahead if i.last_t is None or i.last_t > now] + [item]
                item.pos += n
                if item.pos >= len(item.samples):
                    item.last_t = last
                    item.ended = True
                    self._tell(item, "end", last)
                    item.written.set()
                    self._current = None
                    return
            while self.clock() < last - AHEAD_S / 2 and not item.cut and not self._closed:
                time.sleep(STOP_POLL_S * 5)

    def _underflow(self) -> None:
        """The server's queue ran empty (on libpulse's thread; no lock: the writer may hold it while it writes).
        After a sound that is expected; while a clip is still being written it is an underrun."""
        item = self._current
        if item is not None and not item.cut and 0 < item.pos < len(item.samples):
            self.underruns += 1

    # --- PortAudio's thread --------------------------------------------------------------------------------

    def _callback(self, outdata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        underflow = bool(status and getattr(status, "output_underflow", False))
        if self._priming:  # measured on ALSA: 13 flagged callbacks (0.26 s) after each restart, none audible
            self._priming = underflow
        elif underflow and self._sounding and not self._dry:
            self.underruns += 1  # the device ran dry while a clip played (silence running dry is harmless)
        self._dry = underflow  # one running dry is flagged on every callback that refills the buffer: counted once
        now = self.clock()
        dac = _dac_offset(time_info)  # seconds from now until this buffer's first sample leaves the device
        out = outdata[:, 0] if outdata.ndim == 2 else outdata
        filled = 0
        with self._lock:
            while filled < frames:
                item = self._current
                if item is None or item.cut or item.pos >= len(item.samples):
                    try:
                        item = self._current = self._queue.get_nowait()
                    except queue.Empty:
                        self._current = None
                        break
                    if item.cut:
                        self._current = None
                        continue
                n = min(frames - filled, len(item.samples) - item.pos)
                if item.pos == 0:
                    item.first_t = now + dac + filled / self.rate
                    self._tell(item, "start", item.first_t)
                out[filled:filled + n] = item.samples[item.pos:item.pos + n]
                item.pos += n
                filled += n
                if item.pos >= len(item.samples):
                    item.last_t = now + dac + filled / self.rate
                    item.ended = True
                    self._tell(item, "end", item.last_t)
                    item.written.set()
                    self._current = None
        out[filled:] = 0
        self._sounding = filled > 0


def _dac_offset(time_info: Any) -> float:
    """How long until the buffer being filled is heard, from PortAudio's stream times (0 when it gives none)."""
    try:
        dac, current = float(time_info.outputBufferDacTime), float(time_info.currentTime)
    except (AttributeError, TypeError, ValueError):
        return 0.0
    if dac <= 0 or current <= 0:
        return 0.0
    return min(max(dac - current, 0.0), 2.0)
