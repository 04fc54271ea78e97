#!/usr/bin/env python3
"""Synthesis benchmark: per engine and language, load time, time to first audio, real-time factor, and the
words per minute each engine really speaks (Piper at length_scale 1.0 re-measures the calibration constant).

    python3 scripts/bench_tts.py [--wpm 160] [--repeat 3]

Prints figures; never fails a build. "First audio" is the time from `speak()` to the first SpokenSentence
of a three-sentence reply: what a patient waits before the assistant starts talking.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout, not another installed copy

from voice_assistant.tts import SynthesizerUnavailable, synthesizer_for  # noqa: E402
from voice_assistant.tts.normalize import normalizer_for  # noqa: E402

REPLIES = {
    "en": "I saved 120 mg/dL, before dinner, at 6:45 pm. That is in your target range. Anything else?",
    "fr": "J'ai noté 1,20 g/L, avant le dîner, à 18h45. C'est dans votre objectif. Autre chose ?",
}
# Everyday sentences for the words-per-minute measurement (already words: no normalisation effect).
CALIBRATION = {
    "en": [
        "Your blood sugar is one hundred twenty milligrams per deciliter.",
        "I saved your reading from this morning at eight thirty.",
        "It is time to take your metformin with a glass of water.",
        "Your last reading was yesterday evening, before dinner.",
        "If you feel shaky or confused, please eat something sweet and call your nurse.",
        "Say yes to confirm, or no to change it.",
    ],
    "fr": [
        "Votre glycémie est de un gramme vingt.",
        "J'ai noté votre mesure de ce matin à huit heures trente.",
        "C'est l'heure de prendre votre metformine avec un verre d'eau.",
        "Votre dernière mesure date d'hier soir, avant le dîner.",
        "Si vous tremblez ou si vous êtes confuse, mangez quelque chose de sucré et appelez votre infirmière.",
        "Dites oui pour confirmer, ou non pour changer.",
    ],
}
ENGINES = [("piper", "en"), ("espeak", "en"), ("espeak", "fr"), ("piper", "fr")]


def words_per_minute(synth, lang: str, wpm: float | None = None, length_scale: float | None = None) -> float:
    words = seconds = 0.0
    for sentence in CALIBRATION[lang]:
        if length_scale is not None:  # Piper only: bypass the wpm mapping
            from piper import SynthesisConfig

            chunks = synth.voice.synthesize(sentence, syn_config=SynthesisConfig(length_scale=length_scale))
            samples = np.concatenate([c.audio_int16_array for c in chunks])
        else:
            samples = synth.synthesize(sentence, wpm)
        words += len(sentence.split())
        seconds += len(samples) / synth.sample_rate
    return 60.0 * words / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wpm", type=int, default=160)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    normalizer_for("en"), normalizer_for("fr")  # rules load in a few ms; keep them out of the engine figures

    print(f"{'engine':8} {'lang':4} {'load s':>7} {'first audio ms p50':>19} {'RTF':>6} {'wpm asked':>9} "
          f"{'wpm spoken':>10}  notes")
    for engine, lang in ENGINES:
        started = time.perf_counter()
        try:
            synth = synthesizer_for(lang, engine)
        except SynthesizerUnavailable as exc:
            print(f"{engine:8} {lang:4} {'-':>7} {'-':>19} {'-':>6} {'-':>9} {'-':>10}  not installed: {exc}")
            continue
        load = time.perf_counter() - started
        list(synth.speak("Warm up.", args.wpm))
        firsts, total_time, total_audio = [], 0.0, 0.0
        for _ in range(args.repeat):
            started = time.perf_counter()
            for i, sentence in enumerate(synth.speak(REPLIES[lang], args.wpm)):
                if i == 0:
                    firsts.append(time.perf_counter() - started)
                total_audio += sentence.audio.seconds
            total_time += time.perf_counter() - started
        spoken = words_per_minute(synth, lang, args.wpm)
        notes = ""
        if engine == "piper":
            notes = f"at length_scale 1.0: {words_per_minute(synth, lang, length_scale=1.0):.0f} wpm"
        print(f"{engine:8} {lang:4} {load:7.2f} {1000 * statistics.median(firsts):19.0f} "
              f"{total_time / total_audio:6.3f} {args.wpm:9d} {spoken:10.0f}  {notes}")


if __name__ == "__main__":
    main()
