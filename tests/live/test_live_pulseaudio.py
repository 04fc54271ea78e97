"""The live loop through a real sounddevice (PortAudio) stream: a PulseAudio daemon started for the test with a
virtual microphone and a virtual speaker.

    virtmic  (null sink)  <- paplay request.wav           the patient speaks into it
    virtmic.monitor       -> default source -> ALSA "pulse" -> PortAudio -> devices.open_microphone -> LiveLoop
    LiveLoop -> Player (one output stream) -> PortAudio -> ALSA "pulse" -> default sink: speaker (null sink)
    speaker.monitor       -> parec -> reply.raw           what the patient hears, checked afterwards

Needs Debian's pulseaudio, pulseaudio-utils (paplay, parec, pactl), libasound2-plugins (ALSA's pulse device) and
libportaudio2; skipped only when the PulseAudio programs are not installed.
"""

from __future__ import annotations

import re
import time

import numpy as np
import pytest
from text_to_num import alpha2digit

from loopkit import FakePlayer, Harness, make_session, real_recognizer
from pulsekit import SKIP_WITHOUT_PULSE, Recording, best_match, coverage, dbfs, pulse_daemon
from voice_assistant.audio.clip import SAMPLE_RATE, AudioClip
from voice_assistant.audio.convert import float_to_int16, resample, to_float_mono
from voice_assistant.audio.earcons import Earcon, earcon
from voice_assistant.live import LiveOptions

pytestmark = SKIP_WITHOUT_PULSE

pulse = pytest.fixture(scope="module")(pulse_daemon)


def test_a_request_spoken_into_the_virtual_microphone_is_answered_on_the_virtual_speaker(
        pulse, tmp_path, patient, assistant_voice, clock):
    from voice_assistant.audio import devices

    found = devices.check_audio_devices()  # what run_live checks first
    assert found.input is not None and found.output is not None
    session = make_session(tmp_path, real_recognizer(), assistant_voice, clock)
    session.text("my glucose is one twenty")
    assert session.text("yes").text.startswith("Saved:")
    request = patient.wav("assistant, what was my last reading")
    speaker_stream = devices.open_player()  # the session's one output stream, as `listen` uses
    player = FakePlayer(device_play=speaker_stream.play)  # it does the playing; this only keeps a record
    h = Harness(session, LiveOptions(push_to_talk=True, idle_every_s=0.1), mic=devices.open_microphone,
                player=player)
    speaker = Recording(pulse, "speaker.monitor", tmp_path / "speaker.raw")

    def patient_acts(h: Harness) -> None:
        h.wait_until(lambda: bool(player.speech()), "the greeting to start")
        time.sleep(0.2)
        h.loop.press()  # barge-in on a real stream: the greeting stops, the microphone opens
        h.wait_until(lambda: any(p.kind == Earcon.LISTENING.value and p.completed for p in player.played),
                     "the listening chime to have played")
        time.sleep(0.2)
        pulse.run("paplay", "--device=virtmic", str(request))
        h.wait_said(2)
        time.sleep(0.5)  # the end of the reply leaves the null sink

    try:
        h.run(patient_acts, timeout=40)
    finally:
        speaker_stream.close()
        heard_by_patient = speaker.stop()
        session.manager.ctx.store.close()

    greeting, reply = h.said
    assert greeting.completed is False, "the key stopped the greeting"
    assert reply.text.startswith("Your last reading was one hundred and twenty milligrams per deciliter"), \
        (h.heard, reply.text)
    assert reply.completed and [p.kind for p in player.played][-len(reply.played) - 1:] == \
        [Earcon.UNDERSTOOD.value] + ["speech"] * len(reply.played)

    # What reached the virtual speaker: loud enough, and the reply itself, sentence by sentence.
    assert len(heard_by_patient) > 3 * SAMPLE_RATE, "the speaker recording is too short"
    for played in reply.played:
        expected = _at_16k(played.clip)
        found = coverage(heard_by_patient, expected)
        assert found > 0.8, f"a sentence of the reply is not in the speaker's recording ({found:.0%} of it found)"
        assert dbfs(heard_by_patient[best_match(heard_by_patient, expected)[1]:][:len(expected)]) > -40
    # The key cut the greeting: the end of its first sentence never reached the speaker (the null sink's monitor
    # sends nothing while nothing plays, so the recording has no timeline to measure; what it holds is enough).
    first = _at_16k(greeting.played[0].clip)
    assert len(first) > SAMPLE_RATE, "the greeting's first sentence lasts more than a second"
    tail_score, _ = best_match(heard_by_patient, first[-SAMPLE_RATE // 2: -SAMPLE_RATE // 10])
    assert tail_score < 0.6, f"the greeting went on after the key (its end matches at {tail_score:.2f})"
    chime_score, _ = best_match(heard_by_patient, earcon(Earcon.LISTENING).samples)
    assert chime_score > 0.8, f"the listening chime is not in the recording (match {chime_score:.2f})"

    # And a recogniser listening to the virtual speaker hears the reading read back.
    reply_at = best_match(heard_by_patient, _at_16k(reply.played[0].clip))[1]
    transcript = real_recognizer().recognize(AudioClip(heard_by_patient[reply_at:]).pcm())
    # the value is what the patient must hear, in words or digits as the recogniser writes it; the words around it
    # are left to the recogniser's mood
    assert re.search(r"\b120\b", alpha2digit(transcript.text, "en")), transcript.text


def _at_16k(clip: AudioClip) -> np.ndarray:
    return float_to_int16(resample(to_float_mono(clip.samples), clip.sample_rate, SAMPLE_RATE))
