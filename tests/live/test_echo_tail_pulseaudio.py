"""The echo tail, measured on a real stream: a private PulseAudio daemon (pulsekit.py) where the assistant's own voice
leaks back into the virtual microphone (the speaker's monitor looped in at -10 dB, 0.2 s late: a slow capture
path and a loudspeaker across a room), the live loop on sounddevice streams as `listen` opens them (one Player, a time-stamped
microphone).

- the tail left out after the assistant's sounds is the one measured from how the echo decays (the ends of the
  greeting and of the replies: sounds that follow one another at once are not measured), within its bounds, and a
  measured one is in use when the read-back ends;
- the patient's "yes", started just after the measured tail following the read-back, is heard and the reading
  stored: speech right after the tail is kept;
- the echo itself is never heard as the patient (nothing else stored, no utterance of the assistant's words).
"""

from __future__ import annotations

import threading
import time
from functools import partial

import numpy as np
import pytest

from loopkit import make_session, real_recognizer
from pulsekit import SKIP_WITHOUT_PULSE, Mouth, echo_path, pulse_daemon
from voice_assistant.audio.clip import SAMPLE_RATE
from voice_assistant.audio.convert import float_to_int16, resample, to_float_mono
from voice_assistant.audio.ring import MAX_ECHO_TAIL_S, MIN_ECHO_TAIL_S
from voice_assistant.live import MIC_LATENCY_S, LiveLoop, LiveOptions
from voice_assistant.tts import split_sentences

pytestmark = SKIP_WITHOUT_PULSE
pulse = pytest.fixture(scope="module")(pulse_daemon)


def voice(synth, text: str) -> np.ndarray:
    parts = [float_to_int16(resample(to_float_mono(s.audio.samples), s.audio.sample_rate, SAMPLE_RATE))
             for s in synth.speak(text, 140)]
    return np.concatenate(parts).astype(np.float64) * 0.7


#: tries of the whole scenario: the test's patient must speak on time, which a busy machine does not always allow
ATTEMPTS = 3


def test_the_measured_echo_tail_is_left_out_and_speech_right_after_it_is_kept(
        pulse, tmp_path, quick_voice, assistant_voice, clock):
    request, yes = voice(assistant_voice, "my glucose is one twenty"), voice(assistant_voice, "yes")
    late: list[str] = []
    for attempt in range(ATTEMPTS):
        try:
            after, tail = scenario(pulse, tmp_path / f"try{attempt}", quick_voice, clock, request, yes)
        # the request, said 0.1 s after the chime over its echo, was misheard once in CI: the tail then measured
        # 0.04 s left 0.15 s of the chime's echo in front of it (since measured by the sound's shape; kept in case)
        except AssertionError as e:
            late.append(f"failed: {e}")
            continue
        # the timing held: "yes" began within 0.15 s after the tail in use (else the machine was too busy to tell,
        # and the scenario is played again)
        if after <= tail + 0.15:
            return
        late.append(f"{after:.3f} s after the read-back (tail {tail:.3f} s)")
    raise AssertionError(f"no try could tell, {ATTEMPTS} times: {late}")


def scenario(pulse, home, quick_voice, clock, request, yes) -> tuple[float, float]:
    """One run: greeting, request, read-back, "yes" just after the measured tail. Asserts what the product must do;
    returns how long after the read-back's end the "yes" reached the microphone, and the tail in use then."""
    from voice_assistant.audio import devices

    home.mkdir(parents=True)
    module = echo_path(pulse, volume=0.3, latency_ms=200)
    session = make_session(home, real_recognizer(), quick_voice, clock)  # the assistant speaks with eSpeak NG
    console: list[str] = []
    #: when each of the assistant's sounds left the speaker (the player's stream time), with how many console lines
    #: there were when that end was told (a sound written whole into the server's buffer has its end told at once)
    ends: list[tuple[float, int]] = []
    player = devices.open_player()
    player.on_sound.append(lambda kind, t, handle: ends.append((t, len(console))) if kind == "end" else None)
    loop = LiveLoop(session, LiveOptions(push_to_talk=True, idle_every_s=0.1, answer_without_key=True),
                    player.play, partial(devices.open_microphone, timed=True, latency=MIC_LATENCY_S),
                    echo=console.append, keys=None, console=console.append)
    mouth = Mouth(pulse)
    tails: list[float] = []  #: the tail in use after the greeting, and when the read-back ended
    timing: dict[str, float] = {}
    errors: list[BaseException] = []

    def wait_for(what: str, after: int = 0, timeout: float = 60) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for i in range(after, len(console)):
                if what in console[i]:
                    return i
            time.sleep(0.01)
        raise AssertionError(f"no console line with {what!r}: {console}")

    def patient() -> None:
        try:
            i = wait_for("[waiting]")  # the greeting said: its end measured the tail once or more
            tails.append(loop.ring.echo_tail_s)
            loop.press()
            i = wait_for("[listening]", i)
            time.sleep(0.1)
            mouth.say(request)
            i = wait_for("Is that right?", wait_for("heard “", i))  # the read-back starts
            # the read-back's sentences: the sounds whose end was told after its line was printed (the
            # "understood" chime before it played whole before the line)
            said = [t for t, lines in list(ends) if lines > i]
            sentences = len(split_sentences(console[i], "en"))
            # the player tells each sound's end ahead (by its device buffer): the read-back's last sample's time
            deadline = time.monotonic() + 60
            while len(said) < sentences and time.monotonic() < deadline:
                time.sleep(0.002)
                said = [t for t, lines in list(ends) if lines > i]
            assert len(said) >= sentences, f"the read-back's {sentences} sentences were not all played: {console}"
            end = timing["end"] = said[sentences - 1]
            timing["ahead"] = end - time.monotonic()
            tail = loop.ring.echo_tail_s  # measured on the greeting and the chimes so far
            tails.append(tail)
            timing["measured_then"] = len(loop.echo_tail.measured)
            start = end + tail + 0.03  # "yes" reaches the microphone 30 ms after the measured tail
            time.sleep(max(0.0, start - Mouth.LEAD_S - time.monotonic()))
            mouth.say(yes)
            deadline = time.monotonic() + 60
            while not any(line.startswith("heard “") for line in console[i + 1:]) and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(1.0)
        except BaseException as e:  # noqa: BLE001 - re-raised in the test's thread
            errors.append(e)
        finally:
            loop.stopped.set()

    actor = threading.Thread(target=patient, daemon=True, name="patient")
    watchdog = threading.Timer(150, loop.stopped.set)
    try:
        actor.start()
        watchdog.start()
        loop.run()  # here: the session's store belongs to this thread
    finally:
        watchdog.cancel()
        loop.stopped.set()
        actor.join(15)
        mouth.close()
        player.close()
        pulse.run("pactl", "unload-module", str(module), check=False)
    if errors:
        raise errors[0]
    readings = [r.glucose_mg_dl for r in session.manager.ctx.store.readings()]
    session.manager.ctx.store.close()
    measured = list(loop.echo_tail.measured)
    assert measured, f"no echo tail was measured: {console}"
    assert all(MIN_ECHO_TAIL_S <= tail <= MAX_ECHO_TAIL_S for tail in tails)
    used = loop.ring.echo_tail_s
    assert used == pytest.approx(float(np.clip(np.median(measured), MIN_ECHO_TAIL_S, MAX_ECHO_TAIL_S)))
    assert timing["measured_then"] > 0, f"nothing measured before the read-back ended: {measured} {console}"
    # the echo path is 0.2 s long (the loopback's latency): the tail in use at the read-back's end follows it (the
    # level alone, looking after each sound's end, had read 0.0-0.1 s here: a pause in the last words)
    assert 0.12 <= tails[1] <= 0.3, f"the tail at the read-back's end is not the echo path's: {measured}"
    heard = [line for line in console if line.startswith("heard “")]
    assert len(heard) == 2 and "“yes" in heard[1], f"the “yes” just after the tail was not heard whole: {console}"
    assert readings == [120.0], "\n".join(console)
    after = mouth.spoke_at[-1] - timing["end"]
    print(f"echo tail measured {measured} -> {used:.3f} s (after the greeting {tails[0]:.3f} s, at the read-back's "
          f"end {tails[1]:.3f} s); “yes” reached the microphone about {after:.3f} s after the read-back's end (told {timing['ahead']:.3f} s ahead)")
    return after, tails[1]
