#!/usr/bin/env python3
"""Whole-assistant voice figures: recognition and synthesis per engine, utterance-closed -> first reply audio
latency, peak memory, cold start.

    python scripts/bench_voice.py [--quick] [--turns N] [--paced] [--engines pocketsphinx,combined]
                                  [--synthesizers piper]

Spoken requests are generated now with eSpeak NG (voice en-us+f2, 150 wpm, unlike the assistant's), fed in
0.1 s chunks through a `Session`'s endpointer; from the moment the endpointer closes the utterance the clock
runs through recognition, dialogue (a DialogueManager on a temporary Store, never the user's data) and the
synthesis of the reply's first sentence. Recognisers: pocketsphinx en alone, Vosk en when a model is installed,
whisper alone and the two combined (combine.py) when the whisper model is installed; Piper en and eSpeak NG
en/fr (Piper fr when installed) for synthesis. One assistant's peak memory is measured per recogniser in a
fresh process: after one text turn, and in a realistic loop (the same spoken requests heard and every reply
synthesised with the default voice, turn after turn: VmHWM, the number the 450 MB bar is about). Figures are
printed, never asserted; exit 0.

    python scripts/bench_voice.py --memory [--memory-turns 50]   # only the realistic-loop memory rows
    python scripts/bench_voice.py --memory --hands-free          # the same for listen --hands-free's loop
    python scripts/bench_voice.py --breakdown --no-memory        # where each row's latency goes, part by part
Per-layer detail (WER, intent accuracy, spoken wpm) is in scripts/bench_asr.py and scripts/bench_tts.py.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_asr import ENGLISH, with_silence  # noqa: E402  (also puts tests/asr on the path)
from bench_tts import ENGINES as TTS_ENGINES  # noqa: E402
from bench_tts import REPLIES  # noqa: E402
from espeak_audio import synthesize  # noqa: E402

from voice_assistant.app import build_session, open_store  # noqa: E402
from voice_assistant.profile import default_profile  # noqa: E402

PATIENT_VOICE, PATIENT_WPM = "en-us+f2", 150
CHUNK_BYTES = 3200  # 0.1 s of 16 kHz 16-bit audio per feed, as a microphone callback would deliver

COLD_START = r"""
import json, sys, tempfile, time
engine = sys.argv[1] if len(sys.argv) > 1 else None
from pathlib import Path
t0 = time.perf_counter()
import voice_assistant
from voice_assistant.app import build_session, open_store
from voice_assistant.asr.select import recognizer_for
from voice_assistant.profile import default_profile
t1 = time.perf_counter()
with tempfile.TemporaryDirectory(prefix="bench-voice-cold-") as tmp:
    profile = default_profile()
    store = open_store(Path(tmp) / "cold.db")
    chosen = {"recognizer": recognizer_for("en", profile, engine)} if engine else {}
    session = build_session(profile, "en", store, save_profile_changes=False, **chosen)
    t2 = time.perf_counter()
    out = session.text("what was my last reading")
    next(iter(out.sentences()), None)
    t3 = time.perf_counter()
    store.close()
hwm = next((int(l.split()[1]) / 1024 for l in open("/proc/self/status") if l.startswith("VmHWM:")), float("nan"))
print(json.dumps({"import": t1 - t0, "build": t2 - t1, "turn": t3 - t2, "peak_mb": hwm}))
"""


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


def patient_clips(n: int) -> list[tuple[str, np.ndarray]]:
    texts = [t for t, _ in ENGLISH][:n]
    # 0.5 s of lead-in, then 1.5 s of silence so the endpointer's 1 s trailing silence closes the utterance
    return [(t, with_silence(synthesize(t, PATIENT_VOICE, PATIENT_WPM), before=0.5, after=1.5)) for t in texts]


class Breakdown:
    """Where the time between "utterance closed" and "first reply audio" goes, turn by turn (--breakdown):
    the recogniser's final decoding is timed from the inside (`info["seconds"]` of the combined recogniser, the
    combiner's understanding and scoring calls counted here), the rest from the Session's own timings."""

    def __init__(self, recognizer):
        self.rows: list[dict] = []
        self.row: dict = {}
        self.decode_started: list[float] = []
        decode = getattr(recognizer, "decode", None)
        if decode is not None:  # the Session's final decoding (started in the closing pause)
            def timed_decode(audio: bytes, _decode=decode):
                self.decode_started.append(time.perf_counter())
                return _decode(audio)
            recognizer.decode = timed_decode
        combiner = getattr(recognizer, "combiner", None)
        if combiner is not None:
            for name in ("understand", "scorer"):
                if getattr(combiner, name, None) is not None:
                    setattr(combiner, name, self._counted(name, getattr(combiner, name)))

    def _counted(self, name: str, call):
        def counted(*args, **kwargs):
            started = time.perf_counter()
            try:
                return call(*args, **kwargs)
            finally:
                self.row[name] = self.row.get(name, 0.0) + time.perf_counter() - started
                self.row[name + " n"] = self.row.get(name + " n", 0) + 1
        return counted

    def start(self) -> None:
        self.row, self.decode_started = {}, []

    def end(self, closed: float, utterance, out, first_sentence, latency: float) -> None:
        row = self.row
        if self.decode_started:
            row["head start"] = max(0.0, closed - self.decode_started[-1])
        row["wait for ASR"] = utterance.asr_seconds
        for part, seconds in (utterance.transcript.info.get("seconds") or {}).items():
            row["  " + part] = seconds
        if "decode_seconds" in utterance.transcript.info:
            row["  decode (total)"] = utterance.transcript.info["decode_seconds"]
        row["dialogue"] = out.timings.get("dialogue", 0.0)
        row["first audio"] = out.timings.get("first_audio", 0.0)
        row["1st chunk words"] = len(first_sentence.text.split()) if first_sentence is not None else 0
        row["1st chunk audio s"] = first_sentence.audio.seconds if first_sentence is not None else 0.0
        row["latency"] = latency
        row["other"] = latency - row["wait for ASR"] - row["dialogue"] - row["first audio"]
        self.rows.append(row)

    def print(self, title: str) -> None:
        keys = list(dict.fromkeys(k for row in self.rows for k in row))
        print(f"   breakdown, {title} ({len(self.rows)} turns; ms unless said; combiner calls inside 'choose')")
        print(f"   {'part':22} {'p50':>7} {'mean':>7} {'p95':>7}")
        for key in keys:
            values = [row.get(key, 0.0) for row in self.rows]
            scale = 1 if key.endswith((" n", "words", "audio s")) else 1000
            print(f"   {key:22} {scale * pct(values, 0.5):7.1f} {scale * statistics.mean(values):7.1f} "
                  f"{scale * pct(values, 0.95):7.1f}")


def run_turns(recognizer, synthesizer, clips, tmp: Path, tag: str, paced: bool = False,
              breakdown: Breakdown | None = None) -> dict:
    """`paced`: audio fed at the microphone's pace (0.1 s of audio every 0.1 s), so the final decoding the
    Session starts when the closing pause begins has that pause to run in, as with a patient; otherwise the
    audio is fed as fast as it goes and the decoding gets no head start (the figures before --paced existed)."""
    profile = replace(default_profile(), language="en")
    store = open_store(tmp / f"{tag}.db")
    try:
        session = build_session(profile, "en", store, recognizer=recognizer, synthesizer=synthesizer,
                                save_profile_changes=False)
        list(session.start().sentences())  # greeting (and warm-up), not timed
        latencies, asr, dialogue, first_audio, missed = [], 0.0, [], [], 0
        feeding, fed_s = 0.0, 0.0  # time spent in feed() (endpointing + decoding), audio fed
        for _, samples in clips:
            session.endpointer.reset()
            pcm = samples.astype("<i2").tobytes()
            utterance = None
            if breakdown is not None:
                breakdown.start()
            clip_started = time.perf_counter()
            for i in range(0, len(pcm), CHUNK_BYTES):
                if paced:  # the chunk is "recorded" once its 0.1 s has passed
                    time.sleep(max(0.0, clip_started + (i + CHUNK_BYTES) / 2 / 16000 - time.perf_counter()))
                started = time.perf_counter()
                events = session.feed(pcm[i:i + CHUNK_BYTES])  # decoded while it is said
                feeding += time.perf_counter() - started
                fed_s += CHUNK_BYTES / 2 / 16000
                for event in events:
                    if event.kind == "utterance":
                        utterance = event
                if utterance is not None:
                    break
            fed = time.perf_counter()
            if utterance is None:
                missed += 1
                continue
            # The endpointer closed the utterance inside feed(); all that feed() did after it was the end of
            # the decoding, `asr_seconds`.
            closed = fed - utterance.asr_seconds
            transcript, seconds = utterance.transcript, utterance.asr_seconds
            out = session.text(transcript.text, transcript.confidence, transcript, {"asr": seconds})
            sentences = out.sentences()
            first_sentence = next(sentences, None)
            latencies.append(time.perf_counter() - closed)
            if breakdown is not None:
                breakdown.end(closed, utterance, out, first_sentence, latencies[-1])
            for _ in sentences:  # the rest of the reply, untimed (as if it played)
                pass
            asr += seconds
            dialogue.append(out.timings.get("dialogue", 0.0))
            first_audio.append(out.timings.get("first_audio", 0.0))
        return {"latencies": latencies, "rtf": feeding / fed_s if fed_s else float("nan"),
                "dialogue": statistics.median(dialogue) if dialogue else float("nan"),
                "first_audio": statistics.median(first_audio) if first_audio else float("nan"),
                "asr_median": asr / max(len(latencies), 1), "missed": missed}
    finally:
        store.close()


def bench_synthesis(repeat: int) -> dict:
    from voice_assistant.tts import SynthesizerUnavailable, synthesizer_for

    print("== synthesis (reply of 3 sentences, profile default wpm)")
    print(f"{'engine':8} {'lang':4} {'load s':>7} {'first audio ms p50':>19} {'RTF':>6}")
    loaded = {}
    for engine, lang in TTS_ENGINES:
        started = time.perf_counter()
        try:
            synth = synthesizer_for(lang, engine)
        except SynthesizerUnavailable as exc:
            print(f"{engine:8} {lang:4} not installed ({str(exc).splitlines()[0][:90]})")
            continue
        load = time.perf_counter() - started
        list(synth.speak("Warm up.", 160))
        firsts, total, audio = [], 0.0, 0.0
        for _ in range(repeat):
            started = time.perf_counter()
            for i, sentence in enumerate(synth.speak(REPLIES[lang], 160)):
                if i == 0:
                    firsts.append(time.perf_counter() - started)
                audio += sentence.audio.seconds
            total += time.perf_counter() - started
        print(f"{engine:8} {lang:4} {load:7.2f} {1000 * statistics.median(firsts):19.0f} {total / audio:6.3f}")
        loaded[(engine, lang)] = synth
    print()
    return loaded


def one_assistant_peak(engine: str) -> str:
    """Peak memory of a fresh process holding one assistant with this recogniser (and the default voice)."""
    proc = subprocess.run([sys.executable, "-c", COLD_START, engine], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        return "failed: " + " ".join(proc.stderr.strip().splitlines()[-1:])[:100]
    parts = json.loads(proc.stdout.strip().splitlines()[-1])
    return f"{parts['peak_mb']:.0f} MB (build {parts['build']:.2f} s)"


def _status_mb(key: str) -> float:
    return next((int(line.split()[1]) / 1024 for line in open("/proc/self/status") if line.startswith(key + ":")),
                float("nan"))


def memory_loop(engine: str, clips_file: str, turns: int) -> None:
    """In this (fresh) process: one assistant as the product builds it (`app.tune_malloc`, the engine,
    the default voice), `turns` spoken requests heard and answered aloud; prints JSON (MB)."""
    from voice_assistant.app import tune_malloc
    from voice_assistant.asr.select import recognizer_for
    from voice_assistant.tts import synthesizer_for

    tune_malloc()  # as build_session does, before any engine starts its threads
    with np.load(clips_file) as data:
        clips = [("", data[k]) for k in sorted(data.files, key=lambda k: int(k.split("_")[-1]))]
    profile = default_profile()
    recognizer = recognizer_for("en", profile, engine, cached=False)
    synthesizer = synthesizer_for("en", profile.tts_engine)
    loaded = _status_mb("VmRSS")
    with tempfile.TemporaryDirectory(prefix="bench-voice-mem-") as tmp:
        r = run_turns(recognizer, synthesizer, [clips[i % len(clips)] for i in range(turns)], Path(tmp), engine)
    print(json.dumps({"engine": recognizer.engine, "synthesizer": type(synthesizer).__name__,
                      "loaded_mb": loaded, "end_mb": _status_mb("VmRSS"), "peak_mb": _status_mb("VmHWM"),
                      "turns": len(r["latencies"])}))


#: hands-free loop: what the television says between requests (no wake phrase: ignored, mostly not decoded)
OVERHEARD = ("the weather will be dry and sunny tomorrow afternoon", "and now the news at six with our reporter",
             "my sugar was high last night said the nurse on the show")


def hands_free_clips(n: int) -> list[np.ndarray]:
    """The hands-free loop's patient: « assistant, » then a request, and every fifth utterance overheard talk."""
    texts = [t for t, _ in ENGLISH]
    said = [OVERHEARD[(i // 5) % len(OVERHEARD)] if i % 5 == 4 else "assistant, " + texts[i % len(texts)]
            for i in range(n)]
    return [synthesize(t, PATIENT_VOICE, PATIENT_WPM) for t in said]


def hands_free_loop(engine: str, clips_file: str, turns: int) -> None:
    """In this (fresh) process: what `voice-assistant listen --hands-free` runs, built by the same function
    (`listening.listening_session`: malloc tuned, the recogniser, the default voice, the wake-word spotters of the
    loop and of the barge-in watcher), its LiveLoop on the fake microphone and speaker of the live-loop tests
    (tests/live/loopkit.py: 30 ms blocks, here at 3 times real time; a player that returns at once), a temporary
    store. The patient says each clip after the previous one was answered or ignored. Prints JSON (MB)."""
    sys.path.insert(0, str(ROOT / "tests" / "live"))
    from loopkit import FakeMicrophone, FakePlayer, Harness

    class Player(FakePlayer):
        """The tests' fake speaker, keeping what it played but not its audio (a real speaker keeps none: the
        replies' audio kept by the fake one grew the peak by ~10 MB over 50 turns)."""

        def __call__(self, clip, stop_event=None) -> bool:
            done = super().__call__(clip, stop_event)
            with self._lock:
                self.played[-1].clip = AudioClip(np.zeros(0, np.int16), clip.sample_rate)
            return done

    from voice_assistant.audio.clip import AudioClip
    from voice_assistant.listening import listening_session
    from voice_assistant.live import LiveOptions

    with np.load(clips_file) as data:
        clips = [data[k] for k in sorted(data.files, key=lambda k: int(k.split("_")[-1]))]
    profile = replace(default_profile(), language="en", asr_engine=None if engine == "auto" else engine)
    console: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-voice-hands-free-") as tmp:
        store = open_store(Path(tmp) / "hands-free.db")
        try:
            session, wake, spotter = listening_session(profile, "en", store)
            loaded = _status_mb("VmRSS")
            h = Harness(session, LiveOptions(push_to_talk=False, wake_words=wake, answer_without_key=True),
                        mic=FakeMicrophone(pace_s=0.010), player=Player(), spotter=spotter, console=console.append)

            def done() -> int:  # replies said to their end, utterances ignored, wake phrases said alone
                return sum(1 for s in h.said if s.finished) + sum(
                    1 for line in list(console) if line.startswith(("ignored", "wake phrase heard")))

            def patient(h: Harness) -> None:
                h.wait_said(1)  # the greeting
                for i in range(turns):
                    before = done()
                    h.mic.speak(AudioClip(clips[i % len(clips)]), lead_in_s=1.0, pause_s=1.5)
                    h.wait_until(lambda before=before: done() > before, f"turn {i + 1} answered or ignored",
                                 timeout=120)

            h.run(patient, timeout=180.0 * turns)
        finally:
            store.close()
    print(json.dumps({"engine": session.recognizer.engine if session.recognizer else "none",
                      "synthesizer": type(session.synthesizer).__name__,
                      "spotter": type(h.loop.spotter).__name__, "loaded_mb": loaded, "end_mb": _status_mb("VmRSS"),
                      "peak_mb": _status_mb("VmHWM"), "turns": turns,
                      "replies": sum(1 for s in h.said[1:] if s.finished),
                      "ignored": sum(1 for line in console if line.startswith("ignored"))}))


def realistic_peaks(clips: list[tuple[str, np.ndarray]], turns: int, engines=("pocketsphinx", "whisper", "combined"),
                    hands_free: bool = False) -> None:
    """One fresh process per recogniser running `memory_loop` (`hands_free`: `hands_free_loop`); one row each."""
    if hands_free:
        print(f"== one assistant's memory, hands-free loop (listen --hands-free as built by listening_session, the "
              f"wake-word spotters loaded; fake microphone and speaker): {turns} utterances, « assistant, » and a "
              f"request, every fifth overheard talk; fresh process per recogniser")
    else:
        print(f"== one assistant's memory, realistic loop: {turns} spoken requests heard and answered aloud "
              f"(every reply sentence synthesised), fresh process per recogniser")
    print(f"{'recogniser':13} {'synthesiser':18} {'loaded MB':>9} {'peak MB':>8} {'end MB':>7} {'turns':>5}")
    with tempfile.TemporaryDirectory(prefix="bench-voice-clips-") as tmp:
        clips_file = str(Path(tmp) / "clips.npz")
        np.savez(clips_file, *[samples for _, samples in clips])
        for engine in engines:
            proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--memory-loop", engine,
                                   "--clips", clips_file, "--memory-turns", str(turns)]
                                  + (["--hands-free"] if hands_free else []),
                                  cwd=ROOT, capture_output=True, text=True)
            if proc.returncode != 0:
                print(f"{engine:13} failed: " + " ".join(proc.stderr.strip().splitlines()[-1:])[:100])
                continue
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            name = engine if r["engine"] == engine else f"{engine}->{r['engine']}"  # fell back to one engine
            print(f"{name:13} {r['synthesizer']:18} {r['loaded_mb']:9.0f} {r['peak_mb']:8.0f} {r['end_mb']:7.0f} "
                  f"{r['turns']:5d}" + (f"  ({r['replies']} replies, {r['ignored']} ignored; spotter {r['spotter']})"
                                        if "replies" in r else ""))
    print("(loaded: resident after loading the engines; peak: VmHWM over the whole run; end: resident at the end)\n")


def cold_start() -> str:
    """Run first, before this process loads anything; returns the line to print."""
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", COLD_START], cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        return f"cold start: failed after {wall:.2f} s: {proc.stderr.strip().splitlines()[-1:]}"
    parts = json.loads(proc.stdout.strip().splitlines()[-1])
    return (f"cold start (python -c: import, Session with recogniser + synthesiser, one text turn to first audio): "
          f"{wall:.2f} s wall  [import {parts['import']:.2f} s, build {parts['build']:.2f} s, "
          f"turn {parts['turn'] * 1000:.0f} ms; that process peaked at {parts['peak_mb']:.0f} MB (VmHWM)]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="8 spoken turns, one synthesis repeat")
    parser.add_argument("--turns", type=int, default=None, help="spoken turns per engine pair (default 20)")
    parser.add_argument("--paced", action="store_true",
                        help="feed the spoken turns at the microphone's pace (real time), as a patient speaks")
    parser.add_argument("--engines", default=None, help="recognisers, comma-separated (default: "
                        "pocketsphinx,vosk,whisper,combined for the turns; pocketsphinx,whisper,combined for --memory)")
    parser.add_argument("--synthesizers", default="piper,espeak", help="English voices for the spoken turns")
    parser.add_argument("--breakdown", action="store_true",
                        help="after each row, where the time from utterance closed to first audio went")
    parser.add_argument("--memory", action="store_true", help="only the realistic-loop memory rows")
    parser.add_argument("--no-memory", action="store_true", help="without the realistic-loop memory rows")
    parser.add_argument("--memory-turns", type=int, default=50, help="turns of the realistic memory loop")
    parser.add_argument("--hands-free", action="store_true",
                        help="with --memory: the memory of listen --hands-free's loop (wake-word spotters loaded)")
    parser.add_argument("--memory-loop", help=argparse.SUPPRESS)  # internal: the loop in a fresh process
    parser.add_argument("--clips", help=argparse.SUPPRESS)
    args = parser.parse_args()
    turns = args.turns or (8 if args.quick else 20)
    if args.memory_loop:
        (hands_free_loop if args.hands_free else memory_loop)(args.memory_loop, args.clips, args.memory_turns)
        return
    if args.memory:
        print(f"generating spoken requests (eSpeak NG {PATIENT_VOICE}, {PATIENT_WPM} wpm)...", flush=True)
        if args.hands_free:
            clips = [("", samples) for samples in hands_free_clips(len(ENGLISH) + len(ENGLISH) // 4)]
        else:
            clips = patient_clips(len(ENGLISH))
        realistic_peaks(clips, args.memory_turns,
                        tuple(args.engines.split(",")) if args.engines else ("pocketsphinx", "whisper", "combined"),
                        hands_free=args.hands_free)
        return

    from voice_assistant.asr.select import RecognizerUnavailable, recognizer_for, vosk_models

    cold = cold_start()  # first, so this process's loaded models and page cache state do not favour it
    synths = bench_synthesis(1 if args.quick else 3)

    print(f"generating {turns} spoken requests (eSpeak NG {PATIENT_VOICE}, {PATIENT_WPM} wpm)...", flush=True)
    clips = patient_clips(turns)
    recognizers = []
    for engine in (args.engines or "pocketsphinx,vosk,whisper,combined").split(","):
        started = time.perf_counter()
        try:
            recognizers.append((engine, recognizer_for("en", None, engine, cached=False),
                                time.perf_counter() - started))
        except RecognizerUnavailable as exc:
            print(f"{engine} en: not available ({exc})")
    loaded_engines = {engine for engine, recognizer, _ in recognizers if recognizer.engine == engine}
    other = [m for lang in ("fr", "ko") for m in vosk_models(lang)]
    if other:
        print(f"(Vosk models for other languages, not used for English turns: {', '.join(str(m) for m in other)})")
    print()

    print("== spoken turns: utterance closed by the endpointer -> first reply audio sample"
          + (" (audio fed in real time)" if args.paced else " (audio fed as fast as it goes: no head start "
             "for the decoding started in the closing pause; --paced for a patient's pace)"))
    print(f"{'recogniser':13} {'synthesiser':11} {'load s':>6} {'ASR RTF':>8} {'ASR ms':>8} {'dialog ms~':>10} "
          f"{'1st audio ms~':>13} {'p50 ms':>7} {'p95 ms':>7} {'n':>3}")
    with tempfile.TemporaryDirectory(prefix="bench-voice-") as tmp:
        for engine, recognizer, load in recognizers:
            for key in [(name, "en") for name in args.synthesizers.split(",")]:
                if key not in synths:
                    continue
                breakdown = Breakdown(recognizer) if args.breakdown else None
                r = run_turns(recognizer, synths[key], clips, Path(tmp), f"{engine}-{key[0]}", args.paced,
                              breakdown)
                lat = r["latencies"]
                if not lat:
                    print(f"{engine:13} {key[0]:11} no utterance was closed by the endpointer")
                    continue
                print(f"{engine:13} {key[0]:11} {load:6.2f} {r['rtf']:8.3f} {1000 * r['asr_median']:8.0f} "
                      f"{1000 * r['dialogue']:10.1f} {1000 * r['first_audio']:13.0f} "
                      f"{1000 * pct(lat, 0.5):7.0f} {1000 * pct(lat, 0.95):7.0f} {len(lat):3d}"
                      + (f"  ({r['missed']} not endpointed)" if r["missed"] else ""))
                if breakdown is not None:
                    breakdown.print(f"{engine} + {key[0]}")
    print("(ASR RTF: time in feed(), endpointing and decoding while the patient speaks, per second of audio;\n"
          " ASR ms: mean time to finish decoding once the utterance closed; ~: per-turn median)\n")

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes
    print(f"peak memory (ru_maxrss, this process with every engine above loaded and all turns run): {peak:.0f} MB")
    for engine, recognizer, _ in recognizers:
        if recognizer.engine == engine:  # "whisper" / "combined" fall back to one engine when whisper is missing
            print(f"one assistant's peak memory, {engine} + default voice (fresh process, one text turn, VmHWM): "
                  f"{one_assistant_peak(engine)}")
    print(cold)
    print()
    if not args.no_memory:
        realistic_peaks(patient_clips(len(ENGLISH)), args.memory_turns,
                        tuple(e for e in ("pocketsphinx", "whisper", "combined") if e in loaded_engines))


if __name__ == "__main__":
    main()
