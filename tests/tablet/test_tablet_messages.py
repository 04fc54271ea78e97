"""The tablet's WebSocket messages: typed both ways, and the page's script speaks exactly these."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest

from voice_assistant.tablet import messages as m


@pytest.mark.parametrize("text, expected", [
    ('{"type": "talk"}', m.Talk()),
    ('{"type": "hold"}', m.Hold()),
    ('{"type": "release"}', m.Release()),
    ('{"type": "stop"}', m.Stop()),
    ('{"type": "played", "id": 7, "completed": true}', m.Played(7, True)),
    ('{"type": "played"}', m.Played(0, False)),
    ('{"type": "settings", "voice": false}', m.Settings(False)),
    ('{"type": "mic", "error": "NotAllowedError"}', m.Mic("NotAllowedError")),
    ('{"type": "text", "text": "  ma glycémie\\n est à 120 "}', m.Text("ma glycémie est à 120")),
])
def test_page_messages_are_read_into_their_class(text, expected):
    assert m.parse(text) == expected


@pytest.mark.parametrize("text", ["not json", "[1, 2]", '"talk"', '{"type": "explode"}', '{"type": 3}',
                                  '{"type": "played", "id": "seven"}', "{}", '{"type": "text"}',
                                  '{"type": "text", "text": "   "}', '{"type": "text", "text": 120}',
                                  json.dumps({"type": "text", "text": "a" * 501}),
                                  '{"type": "played", "id": 1e400}', pytest.param("[" * 100_000 + "]" * 100_000, id="nested-too-deep"),
                                  '{"type": "played", "id": [7]}', b"\xff\xfe"])
def test_anything_else_is_ignored(text):
    assert m.parse(text) is None


def test_device_messages_carry_their_type_and_fields():
    reply = m.Reply(3, "Saved.", "my sugar is 120")
    assert m.Welcome("idle", "en", reply).to_json() == {
        "type": "welcome", "state": "idle", "lang": "en", "reply": {"id": 3, "text": "Saved.", "heard": "my sugar is 120"}}
    assert m.Welcome("idle", "fr").to_json()["reply"] is None
    assert reply.to_json() == {"type": "reply", "id": 3, "text": "Saved.", "heard": "my sugar is 120"}
    assert m.Play(4, "speech", 22050, 1000).to_json() == {"type": "play", "id": 4, "kind": "speech", "rate": 22050,
                                                          "samples": 1000}
    assert json.loads(json.dumps(m.Cut(4).to_json())) == {"type": "cut", "id": 4}


def test_the_page_script_uses_the_same_message_types():
    script = resources.files("voice_assistant.tablet").joinpath("static", "tablet.js").read_text(encoding="utf-8")
    sent = set(re.findall(r"type: '(\w+)'", script))
    received = set(re.findall(r"m\.type === '(\w+)'", script))
    assert sent == {"talk", "hold", "release", "stop", "played", "settings", "mic", "text"}
    assert received == {"welcome", "state", "reply", "play", "cut"}
    assert sent == {cls.type for cls in (m.Talk, m.Hold, m.Release, m.Stop, m.Played, m.Settings, m.Mic,
                                                   m.Text)}
