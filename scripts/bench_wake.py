#!/usr/bin/env python3
"""Hands-free wake phrase: false wakes per hour on long TV-like speech, and misses on spoken requests, for a range
of spotter thresholds; the figures the threshold in voice_assistant/asr/wake.py (THRESHOLDS) is chosen from.

    python scripts/bench_wake.py [--minutes 10] [--requests 40] [--rates 115,135,160] [--thresholds 1e-60,...]
                                 [--max-loss 0,2,4] [--dump FILE] [--json]

Television (nothing in it is for the assistant): a news bulletin, a cooking show, a quiz and a nurse talking about
blood sugar, read by Piper's joe and five eSpeak NG voices at 160-175 words per minute, one programme after the
other with short pauses, over room noise (about 35 dB below the speech) — some sentences use "assistant",
"assistance", "a sister", "insist" in the middle, as television does. Requests: « assistant, » then a request
from the pack's own domain, said by the same voices at 135 words per minute with 2.5 s between requests, over the
same noise. Nothing is downloaded; everything is synthesised now.

Both streams go through the loop's own pieces: the endpointer cuts utterances, the recogniser `listen` uses
transcribes each, and the keyphrase spotter runs over the whole stream; `WakeRule` (asr/wake.py), the rule the
live loop applies, decides whether each utterance opens with the wake phrase. Reported per threshold: false
wakes per hour of television and the share of requests missed, with the loop's rule (`with_transcript`: the
spotter and the chosen transcript or one engine's reading; or every engine's reading), with the spotter alone,
with the chosen transcript only (the rule before two engines' readings were looked at), and with rule 4 added
(`with_check_L`: the second engine's model re-reads an utterance the spotter opened but no reading did, accepted
within a loss L of log-probability; the margins it found are printed for the television and the requests; the
loop applies it with `CHECK_MAX_LOSS`); and two baselines without a spotter: the phrase anywhere in the transcript
(the old loop's rule) and the transcript's first word. `--rates` says the requests at several speaking rates
(each rate adds `--requests` requests).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from voice_assistant.asr.wake import WakeRule, KeyphraseSpotter  # noqa: E402
from voice_assistant.audio.clip import SAMPLE_RATE  # noqa: E402
from voice_assistant.audio.convert import float_to_int16, resample, to_float_mono  # noqa: E402
from voice_assistant.audio.endpoint import Endpointer, EventKind  # noqa: E402

NEWS = [
    "Good evening, here is the news at six.",
    "The city council voted tonight to repair the old bridge before the winter.",
    "Heavy rain is expected in the north, with strong winds along the coast.",
    "The minister said the new hospital wing will open next spring.",
    "Shares fell slightly this afternoon after a week of steady gains.",
    "Police are asking for witnesses after a car was damaged on Main Street.",
    "A local school has won a national prize for its science project.",
    "The assistant coach will lead the team while the manager recovers.",
    "Firefighters were called to a warehouse late last night; nobody was hurt.",
    "Train services will be reduced on Sunday because of work on the line.",
    "Our reporter spoke to families waiting for news at the station.",
    "The weather will be mild tomorrow, with sunny spells in the afternoon.",
    "Insurance companies insist that prices will stay the same this year.",
    "That was the news; the next bulletin is at nine o'clock.",
]
COOKING = [
    "Welcome back to the kitchen, today we are making a simple lemon cake.",
    "First, warm the oven to one hundred and eighty degrees.",
    "Beat the butter and the sugar until the mixture is pale and light.",
    "My sister always adds a little vanilla at this point.",
    "Now fold in the flour slowly, with a large metal spoon.",
    "Add the juice of two lemons and a pinch of salt.",
    "Pour the batter into the tin and smooth the top.",
    "It needs about forty minutes; check it with a skewer.",
    "While it bakes, let us make the glaze with icing sugar.",
    "My kitchen assistant has chopped the herbs for the sauce.",
    "Season the chicken well and leave it to rest for ten minutes.",
    "Serve it warm, with a spoon of cream on the side.",
    "Next week we will cook a vegetable soup for cold evenings.",
]
QUIZ = [
    "Welcome to the quiz, where three players answer for the big prize.",
    "First question, for ten points: what is the capital of Canada?",
    "That is correct, Ottawa; you move to twenty points.",
    "Next question: how many minutes are there in two hours?",
    "I am afraid the answer was one hundred and twenty.",
    "Our next contestant is a retired teacher from Leeds.",
    "She will need some assistance from the audience on this one.",
    "Which planet is closest to the sun?",
    "Mercury is the right answer, well done.",
    "We will be back after the break with the final round.",
    "In the final round, every answer is worth fifty points.",
    "Name the instrument with eighty eight keys.",
    "The piano, of course; congratulations to our winner tonight.",
]
NURSE = [
    "Today our nurse explains how to look after your blood sugar.",
    "Check your glucose before breakfast and two hours after a meal.",
    "A reading of one hundred and twenty before breakfast is quite common.",
    "If your sugar is below seventy, take some fast sugar and check again.",
    "Write down every reading, with the time, for your doctor.",
    "Many people forget their metformin in the evening.",
    "A reminder on your phone can help you remember your tablets.",
    "If you feel shaky or sweaty, it may be a low blood sugar.",
    "Your pharmacist can assist you with questions about your medicines.",
    "Never change your insulin dose without talking to your doctor.",
    "A healthy meal has vegetables, some protein and a little starch.",
    "Walking for twenty minutes after dinner helps lower your glucose.",
    "Call your nurse or your doctor if your readings stay high.",
]
PROGRAMMES = {"news": NEWS, "cooking": COOKING, "quiz": QUIZ, "nurse": NURSE}
REQUESTS = [
    "what was my last reading", "my sugar is one twenty before breakfast", "remind me to take metformin at eight",
    "what are my reminders", "my glucose is ninety five", "read my last lab results", "how was my week",
    "I took my metformin", "help", "repeat that please", "speak more slowly", "what time is it",
]
VOICES = ["joe", "en-us", "en-us+m3", "en-us+f2", "en-us+f4", "en-us+m7"]
THRESHOLDS = [1e-10, 1e-15, 1e-20, 1e-25, 1e-30, 1e-35, 1e-40]


class Voices:
    def __init__(self):
        from voice_assistant.tts import synthesizer_for
        from voice_assistant.tts.espeak import EspeakSynthesizer

        self._piper = synthesizer_for("en")
        self._espeak = {v: EspeakSynthesizer("en", voice=v) for v in VOICES if v != "joe"}

    def say(self, text: str, voice: str, wpm: int) -> np.ndarray:
        engine = self._piper if voice == "joe" else self._espeak[voice]
        sentences = list(engine.speak(text, wpm))
        parts = [float_to_int16(resample(to_float_mono(s.audio.samples), s.audio.sample_rate, SAMPLE_RATE))
                 for s in sentences]
        return np.concatenate(parts) if parts else np.zeros(0, np.int16)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(round(seconds * SAMPLE_RATE), np.int16)


def room(samples: np.ndarray, seed: int, level_db: float = -35.0) -> np.ndarray:
    """Add room noise (a fan, traffic: white noise tilted to the low frequencies) `level_db` below the speech."""
    rng = np.random.default_rng(seed)
    spectrum = np.fft.rfft(rng.normal(0, 1, len(samples)))
    freqs = np.fft.rfftfreq(len(samples), 1 / SAMPLE_RATE)
    noise = np.fft.irfft(spectrum / np.sqrt(1 + freqs / 300.0), len(samples))  # louder in the low frequencies
    noise /= max(np.sqrt(np.mean(noise ** 2)), 1e-9)
    speech = samples.astype(np.float64)
    level = np.sqrt(np.mean(speech[np.abs(speech) > 300] ** 2)) if np.any(np.abs(speech) > 300) else 3000.0
    mixed = speech + noise * level * 10 ** (level_db / 20)
    return np.clip(np.round(mixed), -32768, 32767).astype(np.int16)


def television(voices: Voices, minutes: float) -> np.ndarray:
    """Programmes one after the other, each read by one voice, until `minutes` of audio."""
    parts, total, k = [], 0, 0
    rng = np.random.default_rng(7)
    while total < minutes * 60 * SAMPLE_RATE:
        name = list(PROGRAMMES)[k % len(PROGRAMMES)]
        voice = VOICES[k % len(VOICES)]
        for sentence in PROGRAMMES[name]:
            audio = voices.say(sentence, voice, int(rng.integers(160, 176)))
            parts += [audio, silence(float(rng.uniform(0.25, 0.9)))]
            total += len(audio) + len(parts[-1])
        parts.append(silence(1.5))
        k += 1
    return room(np.concatenate(parts), seed=1)


@dataclass
class Spoken:
    start: int  #: sample where the request starts
    end: int


def requests(voices: Voices, count: int, rates: tuple[int, ...] = (135,)) -> tuple[np.ndarray, list[Spoken]]:
    """`count` requests at each speaking rate of `rates` (words per minute)."""
    parts, spans, at = [silence(2.0)], [], 2 * SAMPLE_RATE
    for i in range(count * len(rates)):
        voice = VOICES[i % len(VOICES)]
        text = "assistant, " + REQUESTS[i % len(REQUESTS)]
        audio = voices.say(text, voice, rates[i // count])
        spans.append(Spoken(at, at + len(audio)))
        parts += [audio, silence(2.5)]
        at += len(audio) + len(parts[-1])
    return room(np.concatenate(parts), seed=2), spans


@dataclass
class Utterance:
    start_s: float
    end_s: float
    words: list[str]
    readings: list[list[str]] = field(default_factory=list)  #: each engine's own reading (a combined recogniser)
    #: rule 4 (WakeCheck): when the spotter heard the phrase near the start and no reading opens with it, how much
    #: likelier (log) the transcript reads with its first words replaced by the phrase (None: not asked)
    wake_margin: float | None = None


def utterances(audio: np.ndarray, recognizer, rule: WakeRule | None = None, hits: list[float] = ()) -> list[Utterance]:
    """The endpointer's utterances of the stream, each transcribed as the loop does; with `rule`, those the
    spotter (`hits`) heard open with the phrase but no reading does are scored by `WakeCheck` (rule 4)."""
    from voice_assistant.asr.wake import WakeCheck, scorer_of

    scorer = scorer_of(recognizer)
    check = WakeCheck(rule.wake_words, scorer) if rule is not None and scorer is not None else None
    ep = Endpointer()
    found = []
    for i in range(0, len(audio), 480):
        for event in ep.feed(audio[i:i + 480]):
            if event.kind is EventKind.UTTERANCE_ENDED and event.audio is not None:
                recognizer.reset()
                pcm = event.audio.pcm()
                for j in range(0, len(pcm), 8000):
                    recognizer.accept(pcm[j:j + 8000])
                transcript = recognizer.finish()
                u = Utterance(event.start_s, event.end_s, transcript.text.split(),
                              [r.split() for r in engine_readings(transcript)])
                if check is not None and rule.needs_check(u.start_s, hits, u.words, u.readings):
                    found_margin = check.margin(pcm, u.words, u.readings)
                    u.wake_margin = None if found_margin is None else round(found_margin[0], 2)
                found.append(u)
                ep.reset()
    return found


def engine_readings(transcript) -> list[str]:
    """Each engine's own text when the recogniser combines two (as the live loop reads them)."""
    from voice_assistant.asr.wake import engine_readings as readings

    return list(readings(transcript))


def spot(audio: np.ndarray, phrase: str, threshold: float) -> tuple[list[float], float]:
    """Times (s) where the spotter heard the phrase end, and its real-time factor."""
    spotter = KeyphraseSpotter(phrase, threshold)
    hits = []
    started = time.perf_counter()
    for i in range(0, len(audio), 480):
        if spotter.process(audio[i:i + 480]):
            hits.append((i + 480) / SAMPLE_RATE)
    return hits, (time.perf_counter() - started) / (len(audio) / SAMPLE_RATE)


def count(utts: list[Utterance], rule: WakeRule, hits: list[float] | None, anywhere: bool = False,
          max_loss: float | None = None) -> list[bool]:
    """Which utterances open with the phrase; `max_loss` given: rule 4 too (WakeCheck's margin)."""
    if anywhere:
        return [any(w in rule.wake_words for w in u.words) for u in utts]
    return [rule.opens(u.start_s, hits, u.words, u.readings)
            or (max_loss is not None and u.wake_margin is not None and u.wake_margin >= -max_loss
                and rule.needs_check(u.start_s, hits, u.words, u.readings))
            for u in utts]


def accepted(utts: list[Utterance], opened: list[bool], spans: list[Spoken]) -> int:
    """Requests whose first utterance opened with the wake phrase."""
    got = 0
    for span in spans:
        first = [o for u, o in zip(utts, opened) if span.start / SAMPLE_RATE - 0.5 <= u.start_s <= span.end / SAMPLE_RATE]
        got += bool(first) and first[0]
    return got


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0, help="minutes of television (default 10)")
    parser.add_argument("--requests", type=int, default=36, help="spoken requests (default 36)")
    parser.add_argument("--rates", default="135", help="speaking rates of the requests, words per minute "
                        "(each adds --requests requests; default 135)")
    parser.add_argument("--thresholds", default=",".join(f"{t:g}" for t in THRESHOLDS))
    parser.add_argument("--max-loss", default="0,2,4", help="WakeCheck margins to report (rule 4), comma-separated")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--dump", type=Path, help="also write every utterance (start, words) and the spotter's hits "
                        "per threshold to this JSON file, to compare rules without decoding again")
    args = parser.parse_args()

    from voice_assistant.asr.select import recognizer_for
    from voice_assistant.nlu.packs import load_pack
    from voice_assistant.profile import default_profile

    wake = tuple(load_pack("en").wake_words) or ("assistant",)
    phrase = " ".join(wake)
    started = time.perf_counter()
    voices = Voices()
    tv = television(voices, args.minutes)
    asked, spans = requests(voices, args.requests, tuple(int(r) for r in args.rates.split(",")))
    print(f"synthesised {len(tv) / SAMPLE_RATE / 60:.1f} min of television and {len(spans)} requests "
          f"({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    recognizer = recognizer_for("en", replace(default_profile(), language="en"), cached=False)
    rule = WakeRule(wake)
    thresholds = [float(t) for t in args.thresholds.split(",")]
    spotted = {t: (spot(tv, phrase, t), spot(asked, phrase, t)) for t in thresholds}
    tv_utts = utterances(tv, recognizer, rule, sorted(h for (tv_hits, _), _ in spotted.values() for h in tv_hits))
    rq_utts = utterances(asked, recognizer, rule, sorted(h for _, (rq_hits, _) in spotted.values() for h in rq_hits))
    hours = len(tv) / SAMPLE_RATE / 3600
    results = {"tv_minutes": round(hours * 60, 2), "tv_utterances": len(tv_utts), "requests": len(spans),
               "baselines": {}, "thresholds": []}
    for name, hits_tv, hits_rq, anywhere in (("phrase anywhere in the transcript (old rule)", None, None, True),
                                             ("transcript's first word", None, None, False)):
        fw = sum(count(tv_utts, rule, hits_tv, anywhere))
        ok = accepted(rq_utts, count(rq_utts, rule, hits_rq, anywhere), spans)
        results["baselines"][name] = {"false_wakes_per_hour": round(fw / hours, 1), "false_wakes": fw,
                                      "miss_rate": round(1 - ok / len(spans), 3)}
    hits: dict[float, dict[str, list[float]]] = {}
    losses = [float(x) for x in args.max_loss.split(",")] if args.max_loss else []
    for threshold in thresholds:
        (hits_tv, rtf), (hits_rq, _) = spotted[threshold]
        row = {"threshold": threshold, "spotter_rtf": round(rtf, 3), "spotter_hits_per_hour": round(len(hits_tv) / hours, 1)}
        rules = [("with_transcript", rule, None), ("spotter_alone", replace(rule, need_transcript=False), None),
                 ("chosen_transcript_only", replace(rule, any_reading=False, agreement=False), None)]
        rules += [(f"with_check_{loss:g}", rule, loss) for loss in losses]
        for label, r, loss in rules:
            fw = sum(count(tv_utts, r, hits_tv, max_loss=loss))
            ok = accepted(rq_utts, count(rq_utts, r, hits_rq, max_loss=loss), spans)
            row[label] = {"false_wakes_per_hour": round(fw / hours, 1), "false_wakes": fw,
                          "miss_rate": round(1 - ok / len(spans), 3)}
        results["thresholds"].append(row)
        hits[threshold] = {"tv": hits_tv, "requests": hits_rq}
    if args.dump:
        args.dump.write_text(json.dumps({
            "wake": wake, "window": list(rule.window),
            "tv": [vars(u) for u in tv_utts], "requests": [vars(u) for u in rq_utts],
            "spans": [[s.start / SAMPLE_RATE, s.end / SAMPLE_RATE] for s in spans],
            "tv_hours": hours, "hits": {f"{t:g}": h for t, h in hits.items()}}, indent=1))
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"television: {results['tv_minutes']} min, {len(tv_utts)} utterances; requests: {len(spans)}")
    for name, r in results["baselines"].items():
        print(f"  no spotter, {name}: {r['false_wakes_per_hour']} false wakes/h ({r['false_wakes']}), "
              f"misses {r['miss_rate']:.0%}")
    for row in results["thresholds"]:
        print(f"  threshold {row['threshold']:g}: spotter {row['spotter_hits_per_hour']} hits/h, RTF {row['spotter_rtf']}")
        for label, r in row.items():
            if isinstance(r, dict):
                print(f"    {label:<24} {r['false_wakes_per_hour']:>6} false wakes/h ({r['false_wakes']:>2})   "
                      f"misses {r['miss_rate']:>6.1%}")
    for name, utts in (("television", tv_utts), ("requests", rq_utts)):
        margins = sorted(u.wake_margin for u in utts if u.wake_margin is not None)
        print(f"  rule 4 margins, {name} ({len(margins)} checked): {margins}")


if __name__ == "__main__":
    main()
