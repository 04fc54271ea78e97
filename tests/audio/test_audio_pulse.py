"""The sound server's stream (audio/pulse.py) when there is no server to talk to, or one that never answers: a
PulseUnavailable with the reason, quickly, so that `devices.open_player` falls back to PortAudio instead of hanging.
(What it does with a real server: tests/live/test_speaker_pulseaudio.py, on a private PulseAudio daemon.)"""

from __future__ import annotations

import socket
import threading
import time

import pytest

from voice_assistant.audio import pulse


def test_no_server_is_a_quick_plain_reason(tmp_path):
    started = time.monotonic()
    with pytest.raises(pulse.PulseUnavailable, match="sound server"):
        pulse.PulseSink(22050, server=f"unix:{tmp_path}/nobody-listens")
    assert time.monotonic() - started < 1.0


def test_a_server_that_never_answers_does_not_hang_the_caller(tmp_path):
    path = str(tmp_path / "mute")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(1)
    accepted = []
    threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True).start()
    started = time.monotonic()
    try:
        with pytest.raises(pulse.PulseUnavailable, match="did not answer"):
            pulse.PulseSink(22050, server=f"unix:{path}")
    finally:
        listener.close()
    assert accepted, "the client connected"
    assert time.monotonic() - started < pulse.CONNECT_TIMEOUT_S + 1.0


class _CountingLib:
    """libpulse's mainloop lock, counted: +1 held by the caller, 0 released."""

    def __init__(self) -> None:
        self.held = 0

    def pa_threaded_mainloop_lock(self, ml) -> None:
        self.held += 1

    def pa_threaded_mainloop_unlock(self, ml) -> None:
        assert self.held > 0, "released a lock not held (libpulse aborts the process)"
        self.held -= 1


def test_ctrl_c_while_waiting_for_the_server_leaves_the_lock_held_for_its_caller(monkeypatch):
    stream = object.__new__(pulse.PulseSink)  # no server: only the waiting step is exercised
    stream._lib, stream._ml = _CountingLib(), object()

    def interrupted(seconds: float) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(pulse.time, "sleep", interrupted)
    stream._lib.pa_threaded_mainloop_lock(stream._ml)  # as every caller of _pause holds it
    with pytest.raises(KeyboardInterrupt):
        try:
            stream._pause()
        finally:
            stream._lib.pa_threaded_mainloop_unlock(stream._ml)  # the caller's own release
    assert stream._lib.held == 0
