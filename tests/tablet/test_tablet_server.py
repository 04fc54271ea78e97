"""The tablet server without a browser: its HTTP refusals, pairing over HTTP, and a Python "page" on the WebSocket
that streams the patient's recorded requests and plays nothing (it answers each clip as played): the live loop,
the real recogniser, dialogue and store behind it, one conversation that survives a reconnect, and reminders."""

from __future__ import annotations

import http.client
import json
import ssl
import time
from datetime import datetime
from urllib.parse import urlsplit

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tabletkit import REQUEST, YES, next_message, profile, start_tablet, ws_connect
from voice_assistant.audio.files import read_audio
from voice_assistant.tablet.link import FRAME
from voice_assistant.tablet.server import COOKIE


def get(tablet, path: str, cookie: str | None = None, host: str | None = None, context=None):
    parts = urlsplit(tablet.url)
    if parts.scheme == "https":
        conn = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=10, context=context)
    else:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    headers = {"Host": host or parts.netloc}
    if cookie:
        headers["Cookie"] = f"{COOKIE}={cookie}"
    conn.request("GET", path, headers=headers)
    answer = conn.getresponse()
    return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read().decode("utf-8")


@pytest.fixture
def tablet(tmp_path, quick_voice):
    from voice_assistant.asr.select import recognizer_for

    running = start_tablet(tmp_path / "tablet", recognizer=recognizer_for("en", profile(), cached=False),
                           synthesizer=quick_voice)
    yield running
    running.stop()


def speak(ws, wav) -> None:
    """Press Talk, wait for the microphone to be wanted, send the request in 30 ms frames, then silence."""
    ws.send(json.dumps({"type": "talk"}))
    while next_message(ws, "state")["state"] != "listening":
        pass
    samples = read_audio(wav).samples
    for start in range(0, len(samples), FRAME):
        ws.send(samples[start:start + FRAME].astype("<i2").tobytes())


def test_no_cookie_no_conversation_and_the_page_offers_pairing(tablet):
    status, headers, body = get(tablet, "/")
    assert status == 200 and 'action="/pair"' in body and "Pairing code" in body
    assert "default-src 'none'" in headers["content-security-policy"]
    with ws_connect(tablet, None) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=5)
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4401, "not paired")
    with ws_connect(tablet, "vat_made-up") as ws:
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=5)


def test_pairing_over_http_wrong_code_then_right_code_sets_a_strict_cookie(tablet):
    code = tablet.pairing.new_code().code
    wrong = "000000" if code != "000000" else "111111"
    status, _, body = get(tablet, f"/pair?code={wrong}")
    assert status == 403 and "That code is not right. Tries left: 4." in body and 'role="alert"' in body
    status, headers, _ = get(tablet, f"/pair?code={code}")
    assert status == 303 and headers["location"] == "/"
    cookie = headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie  # plain HTTP: loopback
    token = cookie.split(";")[0].split("=", 1)[1]
    status, _, body = get(tablet, "/", cookie=token)
    assert status == 200 and 'id="talk"' in body
    status, _, body = get(tablet, f"/pair?code={code}")  # one-time
    assert status == 403 and "can no longer be used" in body


def test_foreign_origin_and_foreign_host_names_are_refused(tablet):
    token = tablet.token()
    with pytest.raises(InvalidStatus) as refused:
        ws_connect(tablet, token, origin="http://evil.example.com")
    assert refused.value.response.status_code == 403
    status, _, _ = get(tablet, "/", cookie=token, host=f"evil.example.com:{tablet.server.port}")  # DNS rebinding
    assert status == 421
    assert get(tablet, "/static/../server.py")[0] == 404 and get(tablet, "/static/tablet.js")[0] == 200


def test_a_spoken_reading_is_confirmed_after_a_reconnect_and_stored(tablet, said):
    token = tablet.token()
    with ws_connect(tablet, token) as ws:
        welcome = next_message(ws, "welcome")
        assert welcome["reply"]["text"].startswith("Hello")  # the greeting, said before any page was open
        speak(ws, said[REQUEST])
        reply = next_message(ws, "reply")
        assert reply["heard"] == REQUEST
        assert "one hundred and twenty" in reply["text"] and reply["text"].endswith("Is that right?")
        assert next_message(ws, "state")["state"] == "waiting"
    # the Wi-Fi drops; the page comes back: the same conversation, the question still open
    with ws_connect(tablet, token) as ws:
        welcome = next_message(ws, "welcome")
        assert welcome["reply"]["text"] == reply["text"]
        speak(ws, said[YES])
        saved = next_message(ws, "reply")
        assert saved["heard"] == YES and saved["text"].startswith("Saved"), saved
    assert tablet.readings() == [120.0]


def test_a_newer_page_replaces_the_older_one(tablet):
    token = tablet.token()
    with ws_connect(tablet, token) as old:
        next_message(old, "welcome")
        with ws_connect(tablet, token) as new:
            next_message(new, "welcome")
            with pytest.raises(ConnectionClosed) as closed:
                old.recv(timeout=5)
            assert closed.value.rcvd.code == 4409


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def test_a_reminder_due_waits_for_a_page_and_is_spoken_through_it(tmp_path, quick_voice):
    """Set a metformin reminder for 20:00 by text; at 20:00 nobody has the page open: it waits; once a page is
    open, the reminder is said to it (text and voice)."""
    from voice_assistant.dialogue.manager import DialogueManager
    from voice_assistant.store import Store

    zone = profile().zone
    clock = Clock(datetime(2030, 1, 15, 19, 0, tzinfo=zone))
    with Store.open(tmp_path / "tablet" / "assistant.db") as store:
        manager = DialogueManager(profile(), store, "en", save_profile_changes=False)
        manager.handle("remind me to take metformin at eight pm", clock())
        assert manager.handle("yes", clock()).reply.text.startswith("Done.")
    tablet = start_tablet(tmp_path / "tablet", synthesizer=quick_voice, clock=clock, idle_every_s=0.05)
    try:
        token = tablet.token()
        clock.now = datetime(2030, 1, 15, 20, 0, 30, tzinfo=zone)
        time.sleep(0.5)  # the loop looks at the clock several times with no page open
        assert tablet.server.last.text.startswith("Hello")
        with ws_connect(tablet, token) as ws:
            next_message(ws, "welcome")
            ws.send(json.dumps({"type": "settings", "voice": True}))
            reminder = next_message(ws, "reply")
            assert "metformin" in reminder["text"].lower(), reminder
            play = next_message(ws, "play")
            assert play["kind"] == "speech" and play["samples"] > play["rate"]  # at least a second of voice
    finally:
        tablet.stop()


def test_https_serves_the_page_with_a_secure_cookie(tmp_path, quick_voice):
    from voice_assistant.tablet.network import ensure_certificate

    certificate = ensure_certificate(tmp_path / "cert", [], ["localhost"])
    tablet = start_tablet(tmp_path / "tablet", synthesizer=quick_voice, certificate=certificate)
    try:
        assert tablet.url.startswith("https://")
        context = ssl.create_default_context(cafile=str(certificate.cert_path))
        context.check_hostname = False
        code = tablet.pairing.new_code().code
        status, headers, _ = get(tablet, f"/pair?code={code}", context=context)
        assert status == 303 and "; Secure" in headers["set-cookie"]
        assert "max-age" in headers["strict-transport-security"]
        token = headers["set-cookie"].split(";")[0].split("=", 1)[1]
        with ws_connect(tablet, token, ssl=context) as ws:
            assert next_message(ws, "welcome")["reply"]["text"].startswith("Hello")
    finally:
        tablet.stop()


def test_a_held_talk_button_ends_the_turn_when_let_go_not_at_a_pause(tablet, said):
    with ws_connect(tablet, tablet.token()) as ws:
        next_message(ws, "welcome")
        ws.send(json.dumps({"type": "talk"}))
        ws.send(json.dumps({"type": "hold"}))  # the button still down 0.6 s later
        while next_message(ws, "state")["state"] != "listening":
            pass
        samples = read_audio(said[REQUEST]).samples  # the request, then 3 s of silence: a tap ends after 1 s
        for start in range(0, len(samples), FRAME):
            ws.send(samples[start:start + FRAME].astype("<i2").tobytes())
        with pytest.raises(TimeoutError):
            next_message(ws, "reply", timeout=2.0)
        ws.send(json.dumps({"type": "release"}))
        reply = next_message(ws, "reply")
        assert reply["heard"] == REQUEST and reply["text"].endswith("Is that right?")


def test_without_a_recogniser_typed_sentences_are_turns_and_talk_says_why(tmp_path, quick_voice):
    from voice_assistant.tablet import CannotHear

    cannot_hear = CannotHear("I cannot hear English yet. Write here.", "voice-assistant models install some-model")
    tablet = start_tablet(tmp_path / "tablet", synthesizer=quick_voice, cannot_hear=cannot_hear)
    try:
        token = tablet.token()
        with ws_connect(tablet, token) as ws:
            assert next_message(ws, "welcome")["state"] == "typing"
            assert next_message(ws, "reply")["text"] == cannot_hear.said  # said to each page that connects
            ws.send(json.dumps({"type": "talk"}))  # nothing to record with: it says why again
            assert next_message(ws, "reply")["text"] == cannot_hear.said
            ws.send(json.dumps({"type": "text", "text": "my glucose is 120"}))
            reply = next_message(ws, "reply")
            assert reply["heard"] == "my glucose is 120" and reply["text"].endswith("Is that right?"), reply
            assert tablet.readings() == []
        with ws_connect(tablet, token) as ws:  # the Wi-Fi drops: the open question stays on screen
            assert next_message(ws, "welcome")["reply"]["text"] == reply["text"]
            ws.send(json.dumps({"type": "text", "text": "yes"}))
            saved = next_message(ws, "reply")
            assert saved["heard"] == "yes" and saved["text"].startswith("Saved"), saved
            assert next_message(ws, "state")["state"] == "typing"
        assert tablet.readings() == [120.0]
        tablet.pairing.revoke()
        with pytest.raises((ConnectionClosed, InvalidStatus)):
            with ws_connect(tablet, token) as ws:
                ws.send(json.dumps({"type": "text", "text": "my glucose is 150"}))
                next_message(ws, "reply", timeout=5)
        assert tablet.readings() == [120.0]
    finally:
        tablet.stop()


def test_typed_sentences_are_ignored_while_the_device_can_hear(tablet):
    with ws_connect(tablet, tablet.token()) as ws:
        next_message(ws, "welcome")
        ws.send(json.dumps({"type": "text", "text": "my glucose is 120"}))
        with pytest.raises(TimeoutError):
            next_message(ws, "reply", timeout=3)
    assert tablet.readings() == []
