"""Reading and writing audio files: any rate, width and channel count in, 16 kHz mono int16 out."""

from __future__ import annotations

import os

import numpy as np
import pytest
import soundfile as sf

from audio_synth import dominant_freq
from voice_assistant.audio import SAMPLE_RATE, AudioClip, AudioError, from_array, read_audio, write_wav
from voice_assistant.audio import files as files_mod

SECONDS = 1.5

CASES = [  # (rate, subtype, container, channels, extension)
    (8000, "PCM_16", "WAV", 1, "wav"),
    (22050, "PCM_16", "WAV", 1, "wav"),
    (44100, "PCM_16", "WAV", 2, "wav"),
    (48000, "FLOAT", "WAV", 2, "wav"),
    (48000, "PCM_24", "FLAC", 1, "flac"),
    (96000, "PCM_24", "FLAC", 2, "flac"),
    (44100, "VORBIS", "OGG", 2, "ogg"),
    (8000, "PCM_U8", "WAV", 1, "wav"),
    (11025, "PCM_U8", "WAV", 1, "wav"),
    (32000, "PCM_32", "WAV", 6, "wav"),
    (24000, "DOUBLE", "WAV", 1, "wav"),
    (16000, "PCM_16", "WAV", 1, "wav"),
]


def _write_tone(path, rate, subtype, container, channels, freq=440.0, amp=0.5, seconds=SECONDS):
    t = np.arange(int(round(seconds * rate))) / rate
    x = amp * np.sin(2 * np.pi * freq * t)
    sf.write(str(path), np.repeat(x[:, None], channels, axis=1), rate, subtype=subtype, format=container)
    return path


@pytest.mark.parametrize("rate,subtype,container,channels,ext", CASES,
                         ids=[f"{c[0]}Hz-{c[1]}-{c[2]}-{c[3]}ch" for c in CASES])
def test_any_file_becomes_16k_mono_int16(tmp_path, rate, subtype, container, channels, ext):
    path = _write_tone(tmp_path / f"tone.{ext}", rate, subtype, container, channels)
    clip = read_audio(path)
    assert isinstance(clip, AudioClip)
    assert clip.sample_rate == SAMPLE_RATE == 16_000
    assert clip.samples.dtype == np.int16 and clip.samples.ndim == 1
    assert clip.seconds == pytest.approx(SECONDS, abs=0.002)
    # the content survived: same pitch, same level (within the 8-bit and Vorbis coding error)
    body = clip.samples[1600:-1600].astype(float) / 32768
    assert dominant_freq(body) == pytest.approx(440, abs=3)
    assert np.abs(body).max() == pytest.approx(0.5, rel=0.06)


def test_16k_mono_int16_round_trips_exactly(tmp_path):
    samples = np.random.default_rng(0).integers(-32768, 32767, 16000, dtype=np.int16)
    path = write_wav(tmp_path / "x.wav", AudioClip(samples))
    clip = read_audio(str(path))  # str or Path
    np.testing.assert_array_equal(clip.samples, samples)
    info = sf.info(str(path))
    assert (info.samplerate, info.channels, info.subtype, info.format) == (16000, 1, "PCM_16", "WAV")


def test_channels_are_averaged(tmp_path):
    rate = 16000
    left = 0.8 * np.sin(2 * np.pi * 300 * np.arange(rate) / rate)
    path = tmp_path / "left_only.wav"
    sf.write(str(path), np.stack([left, np.zeros(rate)], axis=1), rate, subtype="FLOAT")
    clip = read_audio(path)
    assert np.abs(clip.samples).max() / 32768 == pytest.approx(0.4, rel=0.01)


def test_float_beyond_full_scale_is_clipped_not_wrapped(tmp_path):
    rate = 48000
    x = 2.5 * np.sin(2 * np.pi * 200 * np.arange(rate) / rate)  # a float file may go past +-1.0
    x[100:110] = np.nan  # and broken writers leave NaN
    path = tmp_path / "hot.wav"
    sf.write(str(path), np.stack([x, x], axis=1), rate, subtype="FLOAT")
    clip = read_audio(path)
    s = clip.samples.astype(int)
    assert s.max() == 32767 and s.min() == -32768
    ref = from_array(np.clip(np.nan_to_num(x), -1, 1), rate).samples.astype(int)
    # no wrap-around: wherever the clipped reference is strongly positive, so is the result
    assert np.all(s[ref > 16000] > 0) and np.all(s[ref < -16000] < 0)


def test_truncated_data_is_read_as_far_as_it_goes(tmp_path):
    path = _write_tone(tmp_path / "cut.wav", 16000, "PCM_16", "WAV", 1, seconds=1.0)
    data = path.read_bytes()
    path.write_bytes(data[: 44 + 2 * 8000])  # header still says 1 s, only 0.5 s present
    assert read_audio(path).seconds == pytest.approx(0.5, abs=0.01)


def test_from_array_converts_any_samples():
    rate = 8000
    x = 0.5 * np.sin(2 * np.pi * 440 * np.arange(rate) / rate)
    for samples in (x, x.astype(np.float32), (x * 32767).astype(np.int16), (x * 2**31).astype(np.int32),
                    np.stack([x, x], axis=1), (x * 127 + 128).astype(np.uint8)):
        clip = from_array(samples, rate)
        assert clip.sample_rate == 16000 and clip.samples.dtype == np.int16 and clip.samples.ndim == 1
        assert clip.seconds == pytest.approx(1.0, abs=0.001)
        assert np.abs(clip.samples[800:-800]).max() / 32768 == pytest.approx(0.5, rel=0.02)
    assert from_array(np.array([3.0, -3.0]), 16000).samples.tolist() == [32767, -32768]
    assert from_array(x, rate, target_rate=8000).seconds == pytest.approx(1.0)
    with pytest.raises(ValueError):
        from_array(x, 0)


def test_write_wav_is_atomic_and_creates_the_folder(tmp_path, monkeypatch):
    target = tmp_path / "out" / "turn1.wav"
    write_wav(target, AudioClip(np.ones(1600, dtype=np.int16)))
    assert read_audio(target).seconds == pytest.approx(0.1)
    assert os.listdir(target.parent) == ["turn1.wav"]  # no temp file left behind

    def broken_write(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(sf, "write", broken_write)
    with pytest.raises(AudioError, match="free space") as err:
        write_wav(target, AudioClip(np.zeros(16000, dtype=np.int16)))
    assert err.value.path == str(target)
    assert read_audio(target).seconds == pytest.approx(0.1)  # the old file is intact
    assert os.listdir(target.parent) == ["turn1.wav"]


def test_write_wav_keeps_the_clip_rate(tmp_path):
    clip = from_array(np.zeros(22050), 22050, target_rate=22050)
    path = write_wav(tmp_path / "voice.wav", clip)
    assert sf.info(str(path)).samplerate == 22050


def test_long_file_is_decoded_in_blocks(tmp_path, monkeypatch):
    monkeypatch.setattr(files_mod, "_BLOCK", 1000)  # many blocks through the streaming resampler
    path = _write_tone(tmp_path / "t.wav", 44100, "PCM_16", "WAV", 2, seconds=2.0)
    clip = read_audio(path)
    assert clip.seconds == pytest.approx(2.0, abs=0.002)
    assert dominant_freq(clip.samples[1600:-1600]) == pytest.approx(440, abs=3)
