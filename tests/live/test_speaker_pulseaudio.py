"""The speaker through the sound server itself (audio/pulse.py's PulseSink driven by the Player), on a private
PulseAudio daemon: what `devices.open_player()` picks when a server answers. What reaches the virtual speaker is
recorded from its monitor while faint noise keeps that monitor running (it sends nothing while nothing plays):

- a sound after quiet is heard whole, its first milliseconds too, about 30 ms after `play()` (the callback stream
  kept ~0.4 s of silence buffered in front of every sound);
- the times the Player tells (`on_sound`) match where the sounds are in the recording;
- a stop cuts the sound within 100 ms;
- with both cores kept busy by two other processes, sentences are heard whole and nothing runs dry;
- after the server restarts, the next sound connects again.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import soundfile

from pulsekit import SKIP_WITHOUT_PULSE, Pulse, Recording, best_match, pulse_daemon
from voice_assistant.audio.clip import SAMPLE_RATE, AudioClip

pytestmark = SKIP_WITHOUT_PULSE
pulse = pytest.fixture(scope="module")(pulse_daemon)


def noise(seconds: float, seed: int) -> AudioClip:
    """A sound whose every 10 ms can be found again in a recording."""
    return AudioClip((np.random.default_rng(seed).normal(0, 4000, round(seconds * SAMPLE_RATE))).astype(np.int16))


def pieces_found(recording: np.ndarray, clip: AudioClip, piece_s: float) -> list[bool]:
    n = round(piece_s * SAMPLE_RATE)
    return [best_match(recording, clip.samples[i:i + n])[0] > 0.9 for i in range(0, len(clip.samples) - n + 1, n)]


@pytest.fixture
def speaker(pulse, tmp_path):
    from voice_assistant.audio import devices
    from voice_assistant.audio.pulse import PulseSink

    # faint noise: the monitor's recording keeps a timeline. paplay reads its file ahead with its own buffer (about
    # 2 s): a bed fed 40 ms ahead from a Python thread (Mouth) could run dry with both cores busy, and the server
    # then remixes the sink around the sound under test
    bed_file = tmp_path / "bed.wav"
    soundfile.write(bed_file, np.random.default_rng(3).normal(0, 25, SAMPLE_RATE * 120).astype(np.int16),
                    SAMPLE_RATE)
    bed = pulse.popen("paplay", "--device=speaker", str(bed_file))
    player = devices.open_player(sample_rate=SAMPLE_RATE)
    assert isinstance(player.sink, PulseSink), "a sound server answers: the speaker must be written through it"
    told: list[tuple[str, float]] = []
    player.on_sound.append(lambda kind, t, handle: told.append((kind, t)) or len(told))
    time.sleep(1.0)  # the noise flowing
    recording = Recording(pulse, "speaker.monitor", tmp_path / "speaker.raw")
    time.sleep(0.5)
    try:
        yield player, told, recording
    finally:
        player.close()
        bed.terminate()
        bed.wait(10)


def test_sounds_after_quiet_are_heard_whole_at_once_and_when_the_player_says(speaker):
    player, told, recording = speaker
    clips = [noise(0.3, seed) for seed in range(5)]
    delays = []
    for i, clip in enumerate(clips):
        time.sleep(0.4 + 0.15 * i)
        called = time.monotonic()
        assert player.play(clip) is True
        delays.append(told[-2][1] - called)  # its start, as the server says
    heard = recording.stop()
    starts = [t for kind, t in told if kind == "start"]
    at = []
    for clip in clips:
        assert all(pieces_found(heard, clip, 0.01)), "a sound lost some of its 10 ms pieces (its start?)"
        at.append(best_match(heard, clip.samples)[1] / SAMPLE_RATE)
    # the told starts and the recording agree on the time between sounds (the recording has no absolute clock)
    gaps_told, gaps_heard = np.diff(starts), np.diff(at)
    assert np.max(np.abs(gaps_told - gaps_heard)) < 0.01, (gaps_told, gaps_heard)
    print(f"play() -> first sample leaves the device: {[round(d * 1000) for d in delays]} ms")
    assert max(delays) < 0.1, delays  # no buffered silence in front of the sound
    assert player.underruns == 0


def test_a_stop_cuts_the_sound_within_100_ms(speaker):
    player, told, recording = speaker
    clip = noise(3.0, 7)
    stop = threading.Event()
    threading.Timer(1.0, stop.set).start()
    called = time.monotonic()
    assert player.play(clip, stop) is False
    returned = time.monotonic()
    time.sleep(0.5)
    heard = recording.stop()
    start = told[0][1]
    stopped_after = returned - start  # the sound had played this long when play() saw the stop and returned
    found = pieces_found(heard, clip, 0.02)
    played = (max(i for i, f in enumerate(found) if f) + 1) * 0.02
    print(f"stop after {stopped_after:.3f} s of sound ({returned - called - 1.0:.3f} s after the stop); "
          f"heard {played:.2f} s")
    assert returned - called - 1.0 < 0.1
    assert played < stopped_after + 0.1, (played, stopped_after)
    assert not any(found[int((stopped_after + 0.1) / 0.02) + 1:]), "the sound went on after the stop"
    assert [kind for kind, _ in told] == ["start", "end", "end"]


def test_with_both_cores_busy_sentences_are_heard_whole(speaker):
    player, told, recording = speaker
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        time.sleep(0.5)
        clips = [noise(2.5, 20 + k) for k in range(4)]
        for clip in clips:
            assert player.play(clip) is True
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
    heard = recording.stop()
    assert player.underruns == 0  # first: a gap with no underrun told is the recorder's, not the speaker's
    for n, clip in enumerate(clips):
        found = pieces_found(heard, clip, 0.05)
        missing = [i for i, f in enumerate(found) if not f]
        assert not missing, (f"sentence {n}: 50 ms pieces {missing} of {len(found)} were not heard "
                             f"(server ran empty {player.sink.underflows} times)")


def test_after_the_sound_server_restarts_the_next_sound_connects_again(tmp_path):
    """The sound server restarts (as PipeWire or PulseAudio do after an update or a crash): the sound being written
    then may be lost (play() says False, nothing raised); the next one connects again and is heard."""
    import shutil
    import tempfile
    from pathlib import Path

    from voice_assistant.audio.player import Player
    from voice_assistant.audio.pulse import PulseSink

    folder = Path(tempfile.mkdtemp(prefix="va-pulse-"))  # short: the socket path must fit in sun_path
    daemon = Pulse(folder)
    daemon.start()
    player = Player(SAMPLE_RATE, sink=PulseSink(SAMPLE_RATE, server=daemon.env["PULSE_SERVER"]))
    try:
        assert player.play(noise(0.2, 1)) is True
        daemon.stop()
        shutil.rmtree(folder / "run")
        daemon.start()
        assert player.play(noise(0.2, 2)) is True
        assert player.sink.reconnects == 1
        assert daemon.run("pactl", "list", "short", "sink-inputs").stdout.decode().strip(), "no stream on the new server"
    finally:
        player.close()
        daemon.stop()
        shutil.rmtree(folder, ignore_errors=True)
