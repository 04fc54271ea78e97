"""Bad audio: every file a patient or a caregiver may hand over gives a clear message or is handled, never a
traceback (the only exception allowed out of read_audio is AudioError)."""

from __future__ import annotations

import time

import numpy as np
import pytest
import soundfile as sf

from audio_synth import clip, silence, speech
from voice_assistant.audio import AudioError, Endpointer, EventKind, read_audio, segment, write_wav
from voice_assistant.audio.endpoint import NO_SPEECH, UTTERANCE_ENDED


def _assert_clear(err: AudioError, name: str, *words: str) -> None:
    msg = str(err)
    assert name in msg, msg
    assert "Traceback" not in msg and "\n" not in msg
    for w in words:
        assert w.lower() in msg.lower(), msg


def test_empty_file(tmp_path):
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    with pytest.raises(AudioError) as err:
        read_audio(path)
    assert err.value.reason == "empty"
    _assert_clear(err.value, "empty.wav", "empty", "record it again")


def test_text_file_named_wav(tmp_path):
    path = tmp_path / "notes.wav"
    path.write_text("Glucose 120 before breakfast\n" * 20)
    with pytest.raises(AudioError) as err:
        read_audio(path)
    assert err.value.reason == "not_audio"
    _assert_clear(err.value, "notes.wav", "this file is not audio I can read (WAV, FLAC or OGG)")


@pytest.mark.parametrize("name,content", [
    ("random.wav", np.random.default_rng(0).bytes(5000)),
    ("random.flac", b"fLaC" + np.random.default_rng(1).bytes(5000)),
    ("random.ogg", b"OggS" + np.random.default_rng(2).bytes(5000)),
    ("riff_only.wav", b"RIFF\x24\x00\x00\x00WAVE"),
    ("image.wav", b"\x89PNG\r\n\x1a\n" + bytes(200)),
])
def test_garbage_is_refused_clearly(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(AudioError) as err:
        read_audio(path)
    _assert_clear(err.value, name)


def _wav_bytes(tmp_path, seconds=1.0):
    path = tmp_path / "good.wav"
    sf.write(str(path), 0.3 * np.sin(np.arange(int(16000 * seconds)) / 5), 16000, subtype="PCM_16")
    return path.read_bytes()


def test_truncated_wav_header(tmp_path):
    path = tmp_path / "cut_header.wav"
    path.write_bytes(_wav_bytes(tmp_path)[:20])
    with pytest.raises(AudioError) as err:
        read_audio(path)
    _assert_clear(err.value, "cut_header.wav", "WAV, FLAC or OGG")


def test_header_without_samples(tmp_path):
    path = tmp_path / "header_only.wav"
    path.write_bytes(_wav_bytes(tmp_path)[:44])
    with pytest.raises(AudioError) as err:
        read_audio(path)
    assert err.value.reason == "no_sound"
    _assert_clear(err.value, "header_only.wav", "no sound")


def test_truncated_ogg(tmp_path):
    path = tmp_path / "cut.ogg"
    sf.write(str(path), 0.3 * np.sin(np.arange(48000) / 5), 16000, format="OGG", subtype="VORBIS")
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(AudioError) as err:
        read_audio(path)
    _assert_clear(err.value, "cut.ogg")


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(AudioError) as err:
        read_audio(tmp_path / "nowhere.wav")
    assert err.value.reason == "missing"
    _assert_clear(err.value, "nowhere.wav", "no such file")
    with pytest.raises(AudioError) as err:
        read_audio(tmp_path)
    assert err.value.reason == "not_a_file"


def test_a_tenth_of_a_second(tmp_path):
    path = write_wav(tmp_path / "blip.wav", clip(speech(0.1, level_db=-15)))
    audio = read_audio(path)
    assert audio.seconds == pytest.approx(0.1)
    events = segment(audio)  # too short to be speech: no utterance, no crash
    assert not [e for e in events if e.kind is UTTERANCE_ENDED]


def test_ten_minutes_of_silence_is_no_speech_fast(tmp_path):
    path = write_wav(tmp_path / "silence.wav", clip(silence(600), noise_db=-70))
    audio = read_audio(path)
    assert audio.seconds == pytest.approx(600)

    started = time.perf_counter()
    events = segment(audio)
    whole = time.perf_counter() - started
    assert events and all(e.kind is NO_SPEECH for e in events)
    assert events[0].time_s == pytest.approx(8.0, abs=0.05)  # the re-prompt delay, measured in audio time
    assert whole < 600 / 100, f"10 min of silence took {whole:.2f} s to endpoint"

    ep = Endpointer()  # streaming, the way the microphone feeds it: 30 ms blocks of bytes
    pcm = audio.pcm()
    started = time.perf_counter()
    first = None
    for i in range(0, len(pcm), 960):
        for e in ep.feed(pcm[i:i + 960]):
            first = first or e
    streamed = time.perf_counter() - started
    assert first is not None and first.kind is EventKind.NO_SPEECH
    assert streamed < 600 / 20, f"streaming 10 min of silence took {streamed:.2f} s"


def test_digital_silence(tmp_path):
    audio = read_audio(write_wav(tmp_path / "zeros.wav", clip(silence(20), noise_db=None)))
    assert [e.kind for e in segment(audio)] == [NO_SPEECH, NO_SPEECH]


def test_clipped_audio(tmp_path):
    hot = np.clip(speech(2.0, level_db=-3, seed=4) * 4, -1, 1)  # a shouting patient, mouth on the microphone
    path = write_wav(tmp_path / "clipped.wav", clip(silence(1), hot, silence(2)))
    audio = read_audio(path)
    assert np.mean(np.abs(audio.samples.astype(int)) >= 32767) > 0.02  # really clipped
    ends = [e for e in segment(audio) if e.kind is UTTERANCE_ENDED]
    assert len(ends) == 1 and ends[0].reason == "silence"
    assert ends[0].start_s == pytest.approx(1.0, abs=0.1)


def test_stereo_48k_float_speech(tmp_path):
    rate = 48000
    x = np.concatenate([silence(1, rate), speech(2.0, seed=5, rate=rate), silence(2, rate)])
    path = tmp_path / "phone.wav"
    sf.write(str(path), np.stack([x, 0.8 * x], axis=1).astype(np.float32), rate, subtype="FLOAT")
    audio = read_audio(path)
    assert audio.sample_rate == 16000 and audio.seconds == pytest.approx(5.0, abs=0.01)
    ends = [e for e in segment(audio) if e.kind is UTTERANCE_ENDED]
    assert len(ends) == 1
    assert ends[0].audio.seconds == pytest.approx(2.0 + 0.3 + 0.3, abs=0.25)
