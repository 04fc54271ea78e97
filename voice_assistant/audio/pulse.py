"""A playback stream on the PulseAudio (or PipeWire-pulse) server itself, for the Player (audio/player.py).

Through PortAudio and ALSA's pulse plugin the speaker's buffer is refilled by a client thread that must wake on
time; with both cores busy it was measured waking 0.5-0.7 s late, and the speaker ran dry mid-sentence. Here the
buffer is the server's: a clip is written whole into it as soon as it is queued (`write`), so a late client
thread no longer matters; nothing is written between sounds, so no silence waits in front of the next one; a stop
drops what the server still holds (`flush`).

A small ctypes binding of libpulse's asynchronous API (libpulse0, installed with PulseAudio or PipeWire's pulse
layer), not the `pasimple` package: its "simple" API has no underflow notice (needed to count the speaker running
dry), no timing update (needed to say when a sound is heard), and a write that blocks until the data fits.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import time
from collections.abc import Callable

import numpy as np

from voice_assistant.audio.errors import AudioDeviceError

log = logging.getLogger(__name__)

_S16LE = 3
_CONTEXT_NOAUTOSPAWN = 1
_CONTEXT_READY, _CONTEXT_FAILED, _CONTEXT_TERMINATED = 4, 5, 6
_STREAM_READY, _STREAM_FAILED, _STREAM_TERMINATED = 2, 3, 4
_STREAM_NOT_MONOTONIC, _STREAM_ADJUST_LATENCY = 0x4, 0x2000
_OPERATION_RUNNING = 0
_SEEK_RELATIVE = 0
_NO_VALUE = 0xFFFFFFFF  #: (uint32_t) -1: the server chooses

#: the stream's target fill (its requests and the sink's latency follow from it); what is written beyond it waits
#: in the server's queue, up to MAX_QUEUE_BYTES
TARGET_S = 0.2
MAX_QUEUE_BYTES = 4 * 1024 * 1024  #: the server's limit for one stream's queue (95 s of 22.05 kHz mono)
#: silence written in front of a sound that comes after quiet: the server has already played on past the end of
#: its queue by a few milliseconds (measured on a null sink: 0-12 ms of the sound's start lost without it)
LEAD_IN_S = 0.03
CONNECT_TIMEOUT_S = 3.0
OPERATION_TIMEOUT_S = 1.0
POLL_S = 0.0005  #: how often a wait for the server looks again


class PulseUnavailable(AudioDeviceError):
    """No PulseAudio library, or no server answered, or the stream could not be made: the reason in words (the
    speaker then goes through PortAudio; `devices.open_player` words it for a person when that fails too)."""


class _SampleSpec(ctypes.Structure):
    _fields_ = [("format", ctypes.c_int), ("rate", ctypes.c_uint32), ("channels", ctypes.c_uint8)]


class _BufferAttr(ctypes.Structure):
    _fields_ = [("maxlength", ctypes.c_uint32), ("tlength", ctypes.c_uint32), ("prebuf", ctypes.c_uint32),
                ("minreq", ctypes.c_uint32), ("fragsize", ctypes.c_uint32)]


_NOTIFY = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p)  # pa_context/stream_notify_cb_t
_SUCCESS = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p)  # pa_stream_success_cb_t

_lib: ctypes.CDLL | None = None


def _library() -> ctypes.CDLL:
    global _lib
    if _lib is not None:
        return _lib
    name = ctypes.util.find_library("pulse") or "libpulse.so.0"
    try:
        lib = ctypes.CDLL(name)
    except OSError as e:
        raise PulseUnavailable(f"the PulseAudio client library is not installed ({e})") from e
    p, i, u32, sz = ctypes.c_void_p, ctypes.c_int, ctypes.c_uint32, ctypes.c_size_t
    signatures = {
        "pa_threaded_mainloop_new": (p, []), "pa_threaded_mainloop_get_api": (p, [p]),
        "pa_threaded_mainloop_start": (i, [p]), "pa_threaded_mainloop_stop": (None, [p]),
        "pa_threaded_mainloop_free": (None, [p]), "pa_threaded_mainloop_lock": (None, [p]),
        "pa_threaded_mainloop_unlock": (None, [p]),
        "pa_context_new": (p, [p, ctypes.c_char_p]),
        "pa_context_connect": (i, [p, ctypes.c_char_p, u32, p]), "pa_context_get_state": (i, [p]),
        "pa_context_errno": (i, [p]), "pa_context_disconnect": (None, [p]), "pa_context_unref": (None, [p]),
        "pa_strerror": (ctypes.c_char_p, [i]),
        "pa_stream_new": (p, [p, ctypes.c_char_p, ctypes.POINTER(_SampleSpec), p]),
        "pa_stream_set_underflow_callback": (None, [p, _NOTIFY, p]),
        "pa_stream_connect_playback": (i, [p, ctypes.c_char_p, ctypes.POINTER(_BufferAttr), u32, p, p]),
        "pa_stream_get_state": (i, [p]),
        "pa_stream_write": (i, [p, p, sz, p, ctypes.c_int64, i]),
        "pa_stream_flush": (p, [p, _SUCCESS, p]), "pa_stream_update_timing_info": (p, [p, _SUCCESS, p]),
        "pa_stream_get_latency": (i, [p, ctypes.POINTER(ctypes.c_uint64), ctypes.POINTER(i)]),
        "pa_stream_disconnect": (i, [p]), "pa_stream_unref": (None, [p]),
        "pa_operation_get_state": (i, [p]), "pa_operation_unref": (None, [p]),
    }
    try:
        for fname, (restype, argtypes) in signatures.items():
            fn = getattr(lib, fname)
            fn.restype, fn.argtypes = restype, argtypes
    except AttributeError as e:
        raise PulseUnavailable(f"the PulseAudio client library is too old ({e})") from e
    _lib = lib
    return lib


class _Stream:
    """One stream on the server PULSE_SERVER names (else the user's default server), never starting a server itself:
    libpulse's threaded main loop, the connection, the stream (made by the subclass's `_make_stream`), made again
    when the server dropped it. Every call takes libpulse's mainloop lock."""

    def __init__(self, rate: int, name: str, server: str | None, clock: Callable[[], float]):
        self.rate = int(rate)
        self.clock = clock
        self._lib = lib = _library()
        self._ml = lib.pa_threaded_mainloop_new()
        if not self._ml:
            raise PulseUnavailable("the PulseAudio main loop could not be made")
        self._ctx = self._stream = None
        self._closed = False
        self._on_done = _SUCCESS()  # NULL: operations are polled (see _pause)
        self._name, self._server = name.encode(), server
        self.reconnects = 0  #: times the stream was made again (the server restarted, the stream was killed)
        try:
            if lib.pa_threaded_mainloop_start(self._ml) < 0:
                raise PulseUnavailable("the PulseAudio main loop could not start")
            lib.pa_threaded_mainloop_lock(self._ml)
            try:
                self._open()
            finally:
                lib.pa_threaded_mainloop_unlock(self._ml)
        except BaseException:
            self.close()
            raise

    def _open(self) -> None:
        """(Mainloop locked.) Connect to the server and make the stream."""
        lib, server = self._lib, self._server
        self._ctx = lib.pa_context_new(lib.pa_threaded_mainloop_get_api(self._ml), self._name)
        if lib.pa_context_connect(self._ctx, server.encode() if server else None, _CONTEXT_NOAUTOSPAWN,
                                  None) < 0:
            raise PulseUnavailable(f"no sound server answered ({self._error()})")
        self._wait_state(lib.pa_context_get_state, self._ctx, _CONTEXT_READY, (_CONTEXT_FAILED,
                                                                               _CONTEXT_TERMINATED), "server")
        spec = _SampleSpec(_S16LE, self.rate, 1)
        self._stream = lib.pa_stream_new(self._ctx, self._stream_name, ctypes.byref(spec), None)
        if not self._stream:
            raise PulseUnavailable(f"the sound server refused a stream ({self._error()})")
        self._make_stream()
        self._wait_state(lib.pa_stream_get_state, self._stream, _STREAM_READY,
                         (_STREAM_FAILED, _STREAM_TERMINATED), self._what)

    _stream_name = b"speech"
    _what = "speaker stream"

    def _make_stream(self) -> None:
        """(Mainloop locked.) Connect self._stream for playback or recording."""
        raise NotImplementedError

    def _reopen_if_lost(self) -> bool:
        """(Mainloop locked.) The server restarted, or dropped the stream: make it again. True when it did."""
        if self._closed or self._ready():
            return False
        log.warning("the sound server's %s was lost (%s): connecting again", self._what, self._error())
        self._drop()
        try:
            self._open()
        except PulseUnavailable as e:
            self._drop()
            raise OSError(str(e)) from e
        self.reconnects += 1
        return True

    def _drop(self) -> None:
        """(Mainloop locked.) Let go of the stream and the connection."""
        lib = self._lib
        if self._stream:
            lib.pa_stream_set_underflow_callback(self._stream, _NOTIFY(), None)  # no more calls into Python
            lib.pa_stream_disconnect(self._stream)
            lib.pa_stream_unref(self._stream)
            self._stream = None
        if self._ctx:
            lib.pa_context_disconnect(self._ctx)
            lib.pa_context_unref(self._ctx)
            self._ctx = None

    def _ready(self) -> bool:
        lib = self._lib
        return bool(self._ctx and self._stream and lib.pa_context_get_state(self._ctx) == _CONTEXT_READY
                    and lib.pa_stream_get_state(self._stream) == _STREAM_READY)

    def _wait_state(self, get_state, obj, ready: int, failed: tuple[int, ...], what: str) -> None:
        """Wait (mainloop locked) until `obj` is ready; PulseUnavailable when it failed or took too long."""
        deadline = time.monotonic() + CONNECT_TIMEOUT_S
        while True:
            state = get_state(obj)
            if state == ready:
                return
            if state in failed:
                raise PulseUnavailable(f"the sound {what} did not answer ({self._error()})")
            if time.monotonic() > deadline:
                raise PulseUnavailable(f"the sound {what} did not answer within {CONNECT_TIMEOUT_S:.0f} s")
            self._pause()

    def _pause(self) -> None:
        """(Mainloop locked.) Let libpulse's thread work a moment. Polled, not waited for a signal, so that a server
        that stops answering cannot hang the caller past its deadline."""
        self._lib.pa_threaded_mainloop_unlock(self._ml)
        try:
            time.sleep(POLL_S)
        finally:  # Ctrl+C lands in the sleep: the caller still holds the lock it will release (libpulse aborts the
            self._lib.pa_threaded_mainloop_lock(self._ml)  # process when a lock it does not hold is released)

    def _error(self) -> str:
        if not self._ctx:
            return "no connection"
        text = self._lib.pa_strerror(self._lib.pa_context_errno(self._ctx))
        return text.decode(errors="replace") if text else "unknown error"

    def _run(self, operation) -> None:
        """Wait (mainloop locked) for an operation to finish."""
        if not operation:
            raise OSError(f"the sound server refused ({self._error()})")
        deadline = time.monotonic() + OPERATION_TIMEOUT_S
        try:
            while self._lib.pa_operation_get_state(operation) == _OPERATION_RUNNING:
                if time.monotonic() > deadline:
                    raise OSError("the sound server did not answer")
                self._pause()
        finally:
            self._lib.pa_operation_unref(operation)

    def _check(self) -> None:
        if self._closed or not self._ready():
            raise OSError(f"the speaker stream is gone ({self._error()})")

    def _latency_locked(self) -> float:
        self._run(self._lib.pa_stream_update_timing_info(self._stream, self._on_done, None))
        usec, negative = ctypes.c_uint64(0), ctypes.c_int(0)
        if self._lib.pa_stream_get_latency(self._stream, ctypes.byref(usec), ctypes.byref(negative)) < 0:
            raise OSError(f"the sound server gave no timing ({self._error()})")
        return 0.0 if negative.value else usec.value / 1e6

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        lib, ml = self._lib, self._ml
        if ml:
            lib.pa_threaded_mainloop_lock(ml)
            self._drop()
            lib.pa_threaded_mainloop_unlock(ml)
            lib.pa_threaded_mainloop_stop(ml)
            lib.pa_threaded_mainloop_free(ml)
            self._ml = None


class PulseSink(_Stream):
    """A playback stream (mono int16 at `rate`) on the default sink. `write` queues samples behind what the server
    holds and says when they will be heard; `flush` drops what it holds; `on_underflow` is called (on libpulse's
    thread) each time the server's queue for this stream runs empty (after every sound, and mid-sound if it ran
    dry)."""

    def __init__(self, rate: int, name: str = "voice-assistant", target_s: float = TARGET_S,
                 server: str | None = None, clock: Callable[[], float] = time.monotonic):
        self.on_underflow: Callable[[], None] | None = None
        self.underflows = 0  #: every time the server's queue ran empty (the Player decides which ones matter)
        self._queued_until = 0.0  #: when the last sample written so far leaves the device (`clock`'s time)
        self._target_s = target_s
        self._on_underflow = _NOTIFY(self._underflow)  # kept referenced: libpulse calls it while the stream lives
        super().__init__(rate, name, server, clock)

    def _make_stream(self) -> None:
        lib = self._lib
        lib.pa_stream_set_underflow_callback(self._stream, self._on_underflow, None)
        frame = 2
        attr = _BufferAttr(maxlength=MAX_QUEUE_BYTES, tlength=round(self._target_s * self.rate) * frame,
                           prebuf=frame, minreq=_NO_VALUE, fragsize=_NO_VALUE)
        flags = _STREAM_NOT_MONOTONIC | _STREAM_ADJUST_LATENCY
        if lib.pa_stream_connect_playback(self._stream, None, ctypes.byref(attr), flags, None, None) < 0:
            raise PulseUnavailable(f"the speaker stream could not be connected ({self._error()})")

    def _open(self) -> None:
        """(Mainloop locked.) Connect, then write a few milliseconds of silence: the server times a new stream's
        very first write late (the first sound after connecting was heard 20-30 ms after the time its write was
        told, 1 run in 3 with the cores busy; every later sound within 1 ms). Primed, the first sound is timed
        like every other one, and the listeners that subtract the assistant's own voice know when it spoke."""
        super()._open()
        silence = np.zeros(round(LEAD_IN_S * self.rate), dtype="<i2")
        if self._lib.pa_stream_write(self._stream, silence.ctypes.data, silence.nbytes, None, 0, _SEEK_RELATIVE) < 0:
            raise PulseUnavailable(f"the sound server refused the speaker stream's first write ({self._error()})")

    def _underflow(self, _stream, _data) -> None:
        self.underflows += 1
        listener = self.on_underflow
        if listener is not None:
            try:
                listener()
            except Exception:  # noqa: BLE001 - libpulse's thread must go on
                log.exception("underflow listener failed")

    # --- what the Player uses ------------------------------------------------------------------------------------

    def write(self, samples: np.ndarray) -> tuple[float, float]:
        """Queue mono int16 samples behind what the server holds; (first, last): when the first and the last of
        them will leave the device, on `clock`'s time. OSError when the server is gone."""
        data = np.ascontiguousarray(samples, dtype="<i2")
        n = len(data)
        lib, ml = self._lib, self._ml
        lib.pa_threaded_mainloop_lock(ml)
        try:
            if self._reopen_if_lost():
                self._queued_until = 0.0
            self._check()
            if self.clock() >= self._queued_until - LEAD_IN_S:  # after quiet: a lead-in of silence first
                data = np.concatenate([np.zeros(round(LEAD_IN_S * self.rate), dtype="<i2"), data])
            before = self.clock()
            if lib.pa_stream_write(self._stream, data.ctypes.data, data.nbytes, None, 0, _SEEK_RELATIVE) < 0:
                raise OSError(f"the sound server refused the sound ({self._error()})")
            try:
                ahead = self._latency_locked()
                now = self.clock()
            except OSError as e:  # written, but the server is slow to say when it plays: reckoned from what we wrote
                log.info("no timing from the sound server (%s): the sound's times are estimated", e)
                now, ahead = before, max(0.0, self._queued_until - before) + len(data) / self.rate
        finally:
            lib.pa_threaded_mainloop_unlock(ml)
        last = self._queued_until = now + ahead
        return last - n / self.rate, last

    def latency(self) -> float:
        """Seconds until the last sample written so far leaves the device (0 when nothing is queued)."""
        self._lib.pa_threaded_mainloop_lock(self._ml)
        try:
            self._check()
            return self._latency_locked()
        finally:
            self._lib.pa_threaded_mainloop_unlock(self._ml)

    def flush(self) -> None:
        """Drop everything the server still holds for this stream (the sound stops at once)."""
        lib, ml = self._lib, self._ml
        lib.pa_threaded_mainloop_lock(ml)
        try:
            self._check()
            self._run(lib.pa_stream_flush(self._stream, self._on_done, None))
            self._queued_until = 0.0
        finally:
            lib.pa_threaded_mainloop_unlock(ml)
