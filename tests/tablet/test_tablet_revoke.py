"""Revoking a tablet (`voice-assistant tablet revoke`, another process) closes its open WebSocket at once:
no audio is taken and no reply is sent after that, not even until its next "talk"."""

from __future__ import annotations

import time

import pytest
from websockets.exceptions import ConnectionClosed

from tabletkit import next_message, profile, start_tablet, ws_connect
from voice_assistant.tablet.link import CLOSE_NOT_PAIRED
from voice_assistant.tablet.pairing import PairingStore


@pytest.fixture
def tablet(tmp_path, quick_voice):
    from voice_assistant.asr.select import recognizer_for

    running = start_tablet(tmp_path / "tablet", recognizer=recognizer_for("en", profile(), cached=False),
                           synthesizer=quick_voice)
    yield running
    running.stop()


def test_revoking_closes_the_open_websocket_at_once(tablet):
    token = tablet.token()
    with ws_connect(tablet, token) as ws:
        next_message(ws, "welcome")
        other_process = PairingStore(tablet.pairing.path)  # what `tablet revoke` opens
        assert other_process.revoke() == 1
        revoked_at = time.monotonic()
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                ws.recv(timeout=5)
        assert time.monotonic() - revoked_at < 2.0
        assert closed.value.rcvd is not None and closed.value.rcvd.code == CLOSE_NOT_PAIRED
    assert tablet.server.link.connection is None
