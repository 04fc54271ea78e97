#!/usr/bin/env python3
"""Barge-in, measured both ways: the real `voice-assistant listen --lang en` on PulseAudio virtual devices, without
and with PulseAudio's WebRTC echo canceller (module-echo-cancel, `listen --echo-cancel`).

    python scripts/bench_bargein.py [--modes plain,cancel] [--trials 4] [--warmup 40] [--aec-args "..."]
                                    [--echo-volume 0.3] [--echo-ms 60] [--kinds ...] [--hands-free] [--json]

The room: a private PulseAudio daemon (tests/live/pulsekit.py: a virtual microphone and a virtual speaker); the
assistant's own voice leaks back into the microphone (the speaker's monitor looped in `--echo-volume` times as
loud, `--echo-ms` late). The patient (Piper's joe pitched 6 % up, 130 wpm; the assistant: joe itself) has three
readings stored, presses Enter and asks for the week's summary (a reply of some 15 s), then, 1.5-3.5 s into the
reply, interrupts it: with the wake phrase ("assistant"), with "stop", or with "no, it was one thirty", with the wake
phrase and a request ("assistant, my sugar is one twenty"), or the television does, saying the word inside a sentence
("Sharon said that his assistant would call the office tomorrow morning", the same voice: what matters is where the
word is) (`--trials` of each; `--kinds` chooses). Between interruptions one reply is left to play out (control).
`--hands-free`: `listen --hands-free`, the request said after « assistant, » instead of Enter.

Printed per mode:
- interruptions detected / missed, per phrase ("reply cut" on listen's console within 4 s of the words, or 2 s
  after the end of a longer sentence: `cut_by`);
- time from the start of the words to the sound stopping on the speaker (the speaker's monitor recorded with its
  arrival times: the last loud 10 ms frame before the listening chime or a 0.6 s silence; about +-30 ms), p50/p95;
- false barge-ins: replies cut with no patient words just before (the same window), per minute of the assistant's speech;
- what the words that cut the reply were heard as (echo-cancelled: they are the next turn), whether the loop took
  them as a turn or ignored them (the television's must be ignored: a barge-in the second recogniser does not
  confirm needs a clearly understood request after it), and what was stored
  (readings before and after: nothing may be stored without a "yes", and the patient never says it here);
- with the canceller: how much it took the echo down (raw microphone vs cancelled source while the assistant
  speaks and the patient does not), after a warm-up of `--warmup` s of speech played through it before `listen`
  starts (`listen --echo-cancel` then uses the canceller already loaded, as it would a system-wide one).

Nothing is downloaded; voices are synthesised now. Timing figures on a shared, loaded machine are noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "live"))

from pulsekit import Listen, Mouth, Pulse, best_match, echo_path  # noqa: E402
from voice_assistant.audio.clip import SAMPLE_RATE  # noqa: E402
from voice_assistant.audio.convert import float_to_int16, resample, to_float_mono  # noqa: E402
from voice_assistant.audio.earcons import Earcon, earcon  # noqa: E402

SEED = ["my glucose is 120", "yes", "my glucose is 95", "yes", "my glucose is 140 after lunch", "yes"]
REQUEST = "what were my readings this week"
INTERRUPTIONS = [("wake phrase", "assistant"), ("stop", "stop"), ("correction", "no, it was one thirty"),
                 ("wake + request", "assistant, my sugar is one twenty"),
                 ("television", "Sharon said that his assistant would call the office tomorrow morning")]
DEFAULT_KINDS = "wake phrase,stop,correction,wake + request,television"
PATIENT_RATE, PATIENT_WPM = 15100, 130
FRAME = SAMPLE_RATE // 100  #: 10 ms
LOUD_DB = -50.0  #: a frame of the assistant's sound on the speaker
REPLY = r"^(?!\d\d:\d\d:\d\d )\S"  #: a reply's words on listen's console (console lines start with the time)


class TimedRecording:
    """parec on a source, each 10 ms frame placed on time.monotonic()'s clock by when it arrived (less parec's
    20 ms of latency): the null sink's monitor sends nothing while nothing plays, so sample counts are no clock."""

    def __init__(self, pulse: Pulse, source: str):
        self.proc = pulse.popen("parec", f"--device={source}", "--format=s16le", f"--rate={SAMPLE_RATE}",
                                "--channels=1", "--raw", "--latency-msec=20", stdout=subprocess.PIPE)
        self.frames: list[tuple[float, np.ndarray]] = []
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        pending = b""
        while True:
            data = self.proc.stdout.read1(4096) if hasattr(self.proc.stdout, "read1") else self.proc.stdout.read(640)
            if not data:
                return
            arrived = time.monotonic() - 0.020
            pending += data
            n = len(pending) // (2 * FRAME)
            if not n:
                continue
            samples = np.frombuffer(pending[:n * 2 * FRAME], dtype="<i2")
            pending = pending[n * 2 * FRAME:]
            for k in range(n):
                self.frames.append((arrived - (n - 1 - k) * 0.010, samples[k * FRAME:(k + 1) * FRAME]))

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(5)
        self._thread.join(2)

    def levels(self, start: float = -np.inf, end: float = np.inf) -> tuple[np.ndarray, np.ndarray]:
        """(frame times, frame levels in dBFS) between `start` and `end`."""
        got = [(t, f) for t, f in list(self.frames) if start <= t < end]
        if not got:
            return np.zeros(0), np.zeros(0)
        times = np.array([t for t, _ in got])
        power = np.array([np.mean(np.square(f.astype(np.float64))) for _, f in got]) / 32768.0 ** 2
        return times, 10 * np.log10(power + 1e-12)

    def audio(self, start: float, end: float) -> tuple[np.ndarray, float]:
        """The samples between `start` and `end`, and the time of the first."""
        got = [(t, f) for t, f in list(self.frames) if start <= t < end]
        if not got:
            return np.zeros(0, dtype="<i2"), start
        return np.concatenate([f for _, f in got]), got[0][0]


def patient_voice(text: str) -> np.ndarray:
    """The patient: Piper's joe made another voice (6 % higher and quicker: resampled to 15.1 kHz, played at 16),
    at 130 words per minute. (eSpeak NG's en-us+m3 saying « assistant » alone is never spotted by the keyphrase
    spotter, even with no echo: 0 of 9; this voice 9 of 9.)"""
    from voice_assistant.tts import synthesizer_for

    parts = [float_to_int16(resample(to_float_mono(s.audio.samples), s.audio.sample_rate, PATIENT_RATE))
             for s in synthesizer_for("en").speak(text, PATIENT_WPM)]
    return np.concatenate(parts).astype(np.float64) * 0.7


def lead_in(samples: np.ndarray) -> float:
    """Seconds of quiet before the first word of a clip."""
    loud = np.nonzero(np.abs(samples) > 300)[0]
    return float(loud[0]) / SAMPLE_RATE if len(loud) else 0.0


def assistant_speech(seconds: float) -> np.ndarray:
    """Piper's joe (the assistant's voice) saying replies, `seconds` long: the canceller's warm-up."""
    from voice_assistant.tts import synthesizer_for

    synth = synthesizer_for("en")
    text = ("In the last seven days, you have three readings. The average is one hundred and eighteen milligrams "
            "per deciliter. You were in your target range one hundred percent of the time. You can say: my sugar "
            "is one twenty. Or: remind me to take metformin at eight.")
    parts = [float_to_int16(resample(to_float_mono(s.audio.samples), s.audio.sample_rate, SAMPLE_RATE))
             for s in synth.speak(text, 150)]
    one = np.concatenate(parts)
    return np.tile(one, int(np.ceil(seconds * SAMPLE_RATE / len(one))))[:round(seconds * SAMPLE_RATE)]


def erle(raw: TimedRecording, cancelled: TimedRecording, speaker: TimedRecording, start: float, end: float,
         quiet_patient: list[tuple[float, float]] = ()) -> tuple[float | None, int]:
    """Echo reduction (dB): the raw microphone's level minus the cancelled source's, over 10 ms frames where the
    assistant's sound is loud on the speaker and the patient is silent; and how many frames that was."""
    def binned(rec: TimedRecording) -> dict[int, float]:
        times, levels = rec.levels(start, end)
        return {int(round(t * 100)): v for t, v in zip(times, levels)}

    spk, r, c = binned(speaker), binned(raw), binned(cancelled)
    keys = [k for k, v in spk.items() if v > LOUD_DB and k in r and k in c and r[k] > -60
            and not any(a * 100 <= k <= b * 100 for a, b in quiet_patient)]
    if len(keys) < 50:
        return None, len(keys)
    raw_power = np.mean([10 ** (r[k] / 10) for k in keys])
    cancelled_power = np.mean([10 ** (c[k] / 10) for k in keys])
    return float(10 * np.log10(raw_power / max(cancelled_power, 1e-12))), len(keys)


@dataclass
class Trial:
    kind: str  #: "wake phrase", "stop", "correction", or "control" (no interruption)
    words_at: float | None = None  #: monotonic time the patient's words start
    words_end: float | None = None  #: ...and end
    cut_at: float | None = None  #: console time of "reply cut"
    stopped_after: float | None = None  #: words start -> the sound stopping (s)
    heard_after: str = ""  #: what the loop heard next (echo-cancelled: the interrupting words)
    taken: bool | None = None  #: the words after the cut were a turn (True), ignored (False), or nothing came (None)
    usable: bool = True  #: the reply was still playing when the words started


@dataclass
class ModeResult:
    mode: str
    trials: list[Trial] = field(default_factory=list)
    false_cuts: int = 0
    speech_s: float = 0.0
    stored_before: int = 0
    stored_after: int = 0
    erle_warmup: list[tuple[float, float | None]] = field(default_factory=list)
    erle_session: float | None = None
    notes: list[str] = field(default_factory=list)


def run_mode(mode: str, args) -> ModeResult:
    result = ModeResult(mode)
    folder = Path(tempfile.mkdtemp(prefix="va-bb-"))
    pulse = Pulse(folder)
    pulse.start()
    env = {**pulse.env, "PYTHONPATH": str(ROOT), "XDG_CONFIG_HOME": str(folder / "config"),
           "XDG_DATA_HOME": str(folder / "data"), "PYTHONUNBUFFERED": "1"}
    recordings: list[TimedRecording] = []
    proc = mouth = canceller = None
    try:
        echo_path(pulse, volume=args.echo_volume, latency_ms=args.echo_ms)
        seeded = subprocess.run([sys.executable, "-m", "voice_assistant", "chat", "--lang", "en"], env=env,
                                cwd=folder, input="\n".join(SEED) + "\n", capture_output=True, text=True,
                                timeout=180)
        assert seeded.returncode == 0, seeded.stderr
        result.stored_before = stored(env, folder)
        speaker = TimedRecording(pulse, "speaker.monitor")
        raw = TimedRecording(pulse, "virtmic.monitor")
        recordings += [speaker, raw]
        cancelled = None
        listen_args = []
        if mode == "cancel":
            canceller = load_canceller(pulse, args.aec_args)
            cancelled = TimedRecording(pulse, canceller["source"])
            recordings.append(cancelled)
            warm_up(pulse, canceller, args.warmup, raw, cancelled, speaker, result)
            env.update(PULSE_SOURCE=canceller["source"], PULSE_SINK=canceller["sink"])
            listen_args = ["--echo-cancel"]
        mouth = Mouth(pulse)
        kinds = [k.strip() for k in args.kinds.split(",")]
        clips = {words: patient_voice(words) for kind, words in INTERRUPTIONS if kind in kinds}
        clips[REQUEST] = patient_voice(REQUEST)
        clips["assistant, " + REQUEST] = patient_voice("assistant, " + REQUEST)
        if args.hands_free:
            listen_args.append("--hands-free")
        proc = subprocess.Popen([sys.executable, "-m", "voice_assistant", "listen", "--lang", "en", *listen_args],
                                cwd=folder, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, bufsize=1)
        listen = Listen(proc)
        threading.Thread(target=listen.read, daemon=True).start()
        at, _ = listen.wait(r"\[(waiting|listening)\]", 0, timeout=180)
        session_start = time.monotonic()
        plan = [kind for kind, _ in INTERRUPTIONS if kind in kinds] * args.trials + ["control"] * max(1, args.trials)
        rng = random.Random(7)
        rng.shuffle(plan)
        words_of = dict(INTERRUPTIONS)
        for kind in plan:
            at = trial(listen, mouth, clips, kind, words_of.get(kind), rng, speaker, at, result, args.hands_free)
        session_end = time.monotonic()
        time.sleep(0.5)
        proc.stdin.close()
        if args.hands_free:  # hands-free, Enter is not read: stopped as with Ctrl+C
            proc.send_signal(signal.SIGINT)
        proc.wait(60)
        console = listen.text()
        result.notes += re.findall(r"\[(?:speaker|microphone|echo tail): [^\]]*\]", console)
        if "no echo canceller" in proc.stderr.read():
            result.notes.append("listen found no echo canceller")
        # false barge-ins: cuts with no patient words in the 4 s before
        spoken = [t for t in result.trials if t.words_at is not None]
        for when, line in listen.lines:
            if not session_start <= when <= session_end:
                continue  # before the first trial or while listen stops
            if "reply cut" in line and not any(t.words_at - 0.5 <= when <= cut_by(t) for t in spoken):
                result.false_cuts += 1
        times, levels = speaker.levels(session_start, session_end)
        result.speech_s = float(np.sum(levels > LOUD_DB)) * 0.010
        if cancelled is not None:
            patient = [(t.words_at - 0.3, cut_by(t) - 0.5) for t in spoken]
            result.erle_session, _ = erle(raw, cancelled, speaker, session_start, session_end, patient)
        result.stored_after = stored(env, folder)
        if args.verbose:
            print(console, file=sys.stderr)
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        if mouth is not None:
            mouth.close()
        for rec in recordings:
            rec.stop()
        pulse.stop()
        shutil.rmtree(folder, ignore_errors=True)
    return result


def trial(listen: Listen, mouth: Mouth, clips: dict, kind: str, words: str | None, rng: random.Random,
          speaker: TimedRecording, after: int, result: ModeResult, hands_free: bool = False) -> int:
    """Ask for the week's summary; interrupt the reply (or not, for a control); returns the console position."""
    record = Trial(kind)
    result.trials.append(record)
    start = listen.count
    if hands_free:
        i = start
        mouth.say(clips["assistant, " + REQUEST])
    else:
        listen.press()
        i, _ = listen.wait(r"\[listening\]", start)
        time.sleep(0.1)
        mouth.say(clips[REQUEST])
    i, _ = listen.wait(r"heard “", i + 1, timeout=90)
    j, _ = listen.wait(r"\[speaking\]", i + 1, timeout=90)
    if words is not None:
        time.sleep(rng.uniform(1.5, 3.5))
        if re.search(r"\[(listening|waiting)\]", "\n".join(line for _, line in listen.lines[j + 1:])):
            record.usable = False  # the reply was short (the request heard as something else)
        before = len(mouth.spoke_at)
        mouth.say(clips[words])
        while len(mouth.spoke_at) == before:
            time.sleep(0.005)
        record.words_at = mouth.spoke_at[-1] + lead_in(clips[words])
        record.words_end = mouth.spoke_at[-1] + len(clips[words]) / SAMPLE_RATE
    k, line = listen.wait(r"reply cut|\[(listening|waiting)\]", j + 1, timeout=120)
    cut_at = listen.lines[k][0] if "reply cut" in line else None
    if cut_at is not None and (record.words_at is None or not record.words_at <= cut_at <= cut_by(record)):
        cut_at = None  # cut by something else than these words (counted as a false barge-in)
    if cut_at is not None:
        record.cut_at = cut_at
        if record.words_at is not None:
            time.sleep(2.0)  # the speaker's recording of what came next
            record.stopped_after = stop_time(speaker, record.words_at)
        try:
            _, heard = listen.wait(r"heard “|^\S+ ignored \(", k + 1, timeout=20)
            record.heard_after = heard.split("“", 1)[1].split("”", 1)[0] if "“" in heard else ""
            record.taken = "heard “" in heard
        except AssertionError:
            record.heard_after = ""
    # the trial is over when the patient is quiet and the console has settled (nothing new for 4 s: after a cut, the
    # turn the barge-in opened has ended too), push-to-talk back to "[waiting]"
    while True:
        while mouth.speaking:
            time.sleep(0.05)
        seen, quiet_since = listen.count, time.monotonic()
        while time.monotonic() - quiet_since < 4.0:
            time.sleep(0.1)
            if listen.count != seen:
                seen, quiet_since = listen.count, time.monotonic()
        states = [line for _, line in listen.lines[k:] if re.search(r"\[(waiting|listening|thinking|speaking)\]", line)]
        if hands_free or (states and "[waiting]" in states[-1]):
            return listen.count
        listen.wait(r"\[waiting\]", seen, timeout=120)


def cut_by(t: Trial) -> float:
    """The latest a cut can come and still be these words' (4 s from their start; a long sentence with the wake word
    inside it, the television's: 2 s after its end)."""
    return max(t.words_at + 4.0, (t.words_end or t.words_at) + 2.0)


def stop_time(speaker: TimedRecording, words_at: float) -> float | None:
    """From the patient's first word to the last loud frame of the assistant's sound before the listening chime or
    a 0.6 s silence (what follows a cut)."""
    audio, t0 = speaker.audio(words_at - 0.5, words_at + 6.0)
    times, levels = speaker.levels(words_at - 0.5, words_at + 6.0)
    if not len(times):
        return None
    boundary = times[-1]
    chime = earcon(Earcon.LISTENING).samples
    score, offset = best_match(audio, np.asarray(chime)) if len(audio) > len(chime) else (0.0, 0)
    if score > 0.8:
        boundary = min(boundary, t0 + offset / SAMPLE_RATE)
    loud = levels > LOUD_DB
    run = 0
    for t, is_loud in zip(times, loud):
        if t < words_at:
            continue
        run = 0 if is_loud else run + 1
        if run >= 60:
            boundary = min(boundary, t - 0.6)
            break
    last = [t for t, is_loud in zip(times, loud) if is_loud and words_at <= t < boundary]
    return (last[-1] + 0.010 - words_at) if last else 0.0


def load_canceller(pulse: Pulse, aec_args: str | None) -> dict:
    """module-echo-cancel on the virtual devices through the assistant's own loader (audio/echo_cancel.py)."""
    from voice_assistant.audio import echo_cancel

    saved = os.environ.get("PULSE_SERVER")
    os.environ["PULSE_SERVER"] = pulse.env["PULSE_SERVER"]
    try:
        canceller = echo_cancel.start_echo_canceller(source_master="virtmic.monitor", sink_master="speaker",
                                                     aec_args=aec_args)
    finally:
        if saved is None:
            os.environ.pop("PULSE_SERVER", None)
        else:
            os.environ["PULSE_SERVER"] = saved
    return {"source": canceller.source, "sink": canceller.sink, "module": canceller.module}


def warm_up(pulse: Pulse, canceller: dict, seconds: float, raw: TimedRecording, cancelled: TimedRecording,
            speaker: TimedRecording, result: ModeResult) -> None:
    """The assistant's voice played through the canceller for `seconds` (nobody else speaks): its echo reduction
    every 10 s."""
    speech = assistant_speech(seconds)
    player = pulse.popen("pacat", "--playback", f"--device={canceller['sink']}", "--format=s16le",
                         f"--rate={SAMPLE_RATE}", "--channels=1", "--raw", "--latency-msec=40",
                         stdin=subprocess.PIPE)
    start = time.monotonic()
    for i in range(0, len(speech), SAMPLE_RATE // 10):  # fed in real time
        player.stdin.write(speech[i:i + SAMPLE_RATE // 10].astype("<i2").tobytes())
        player.stdin.flush()
        time.sleep(max(0.0, start + (i / SAMPLE_RATE) - 0.2 - time.monotonic()))
    player.stdin.close()
    player.wait(30)
    for k in range(0, int(seconds), 10):
        window = (start + k, start + k + 10)
        result.erle_warmup.append((k + 10, erle(raw, cancelled, speaker, *window)[0]))
        counts = [len(rec.levels(*window)[0]) for rec in (speaker, raw, cancelled)]
        result.notes.append(f"warm-up {k}-{k + 10} s: 10 ms frames recorded (speaker, raw, cancelled) {counts}")


def stored(env: dict, folder: Path) -> int:
    out = subprocess.run([sys.executable, "-m", "voice_assistant", "readings", "--json"], env=env, cwd=folder,
                         capture_output=True, text=True, timeout=60)
    return len(json.loads(out.stdout or "[]"))


def percentile(values: list[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if values else None


def summary(result: ModeResult) -> dict:
    by_kind: dict[str, dict] = {}
    for kind, _ in INTERRUPTIONS:
        trials = [t for t in result.trials if t.kind == kind and t.usable]
        if not trials:
            continue
        detected = [t for t in trials if t.cut_at is not None]
        by_kind[kind] = {"detected": len(detected), "missed": len(trials) - len(detected),
                         "taken": sum(1 for t in detected if t.taken), "ignored": sum(1 for t in detected
                                                                                   if t.taken is False),
                         "heard_as": [t.heard_after for t in detected]}
    stops = [t.stopped_after for t in result.trials if t.stopped_after is not None]
    minutes = result.speech_s / 60
    return {
        "mode": result.mode, "interruptions": by_kind,
        "unusable": sum(1 for t in result.trials if not t.usable),
        "stop_s_p50": percentile(stops, 50), "stop_s_p95": percentile(stops, 95), "stops": len(stops),
        "controls_cut": sum(1 for t in result.trials if t.kind == "control" and t.cut_at is not None),
        "false_barge_ins": result.false_cuts, "assistant_speech_min": round(minutes, 2),
        "false_per_min": result.false_cuts / minutes if minutes else None,
        "stored_new": result.stored_after - result.stored_before,
        "erle_warmup_db": result.erle_warmup, "erle_session_db": result.erle_session, "notes": result.notes,
    }


def show(s: dict) -> None:
    def ms(v):
        return "-" if v is None else f"{v * 1000:.0f} ms"

    print(f"\n== {s['mode']} ==")
    for kind, k in s["interruptions"].items():
        print(f"  {kind:14s} detected {k['detected']} / missed {k['missed']}; next words taken {k['taken']}, "
              f"ignored {k['ignored']}   heard as: {k['heard_as']}")
    print(f"  unusable trials (reply too short): {s['unusable']}")
    print(f"  words start -> sound stops: p50 {ms(s['stop_s_p50'])}, p95 {ms(s['stop_s_p95'])} ({s['stops']} cuts)")
    rate = "-" if s["false_per_min"] is None else f"{s['false_per_min']:.2f}"
    print(f"  false barge-ins (own echo): {s['false_barge_ins']} in {s['assistant_speech_min']} min of the "
          f"assistant's sound = {rate}/min (control replies cut: {s['controls_cut']})")
    print(f"  new readings stored: {s['stored_new']}")
    if s["erle_warmup_db"]:
        print("  canceller warm-up, echo reduction per 10 s: " + ", ".join(
            f"{t:.0f}s {'-' if v is None else f'{v:+.1f} dB'}" for t, v in s["erle_warmup_db"]))
    if s["mode"] == "cancel":
        v = s["erle_session_db"]
        print(f"  echo reduction during the session: {'-' if v is None else f'{v:+.1f} dB'}")
    for note in s["notes"]:
        print(f"  {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--modes", default="plain,cancel")
    parser.add_argument("--trials", type=int, default=4, help="interruptions of each kind per mode")
    parser.add_argument("--warmup", type=float, default=40.0, help="seconds of speech through the canceller first")
    parser.add_argument("--aec-args", default=None, help='module-echo-cancel aec_args, e.g. "digital_gain_control=0"')
    parser.add_argument("--echo-volume", type=float, default=0.3)
    parser.add_argument("--echo-ms", type=int, default=60)
    parser.add_argument("--kinds", default=DEFAULT_KINDS, help="interruptions to try, comma-separated")
    parser.add_argument("--hands-free", action="store_true", help="listen --hands-free (the wake phrase, no Enter)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--verbose", action="store_true", help="listen's console on stderr")
    args = parser.parse_args()
    results = []
    for mode in args.modes.split(","):
        started = time.monotonic()
        s = summary(run_mode(mode.strip(), args))
        s["run_s"] = round(time.monotonic() - started)
        results.append(s)
        show(s)
    if args.json:
        print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
