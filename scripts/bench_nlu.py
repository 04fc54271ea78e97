#!/usr/bin/env python3
"""Understanding benchmark: accuracy per language over the corpora, latency per utterance, pack load time.

    python3 scripts/bench_nlu.py [--corpora tests/corpora] [--repeat 3]

Prints figures; never fails a build. Latency is measured on the same `Understander.understand` call the
assistant makes, after one warm-up pass (the live assistant loads once and then answers many turns).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from voice_assistant.evaluation import evaluate, load_corpus
from voice_assistant.nlu import Understander
from voice_assistant.nlu.packs import compile_pack, packs_dir, read_yaml

ROOT = Path(__file__).resolve().parents[1]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", type=Path, default=ROOT / "tests" / "corpora")
    parser.add_argument("--repeat", type=int, default=3, help="timing passes over every utterance")
    args = parser.parse_args()

    for lang_dir in sorted(p for p in args.corpora.iterdir() if p.is_dir()):
        lang = lang_dir.name
        path = packs_dir() / f"{lang}.yaml"
        loads = []
        for _ in range(5):
            started = time.perf_counter()
            compile_pack(read_yaml(path), path)
            loads.append(time.perf_counter() - started)
        started = time.perf_counter()
        understander = Understander(lang)
        ready = time.perf_counter() - started

        cases = intent_ok = slot_ok = 0
        bands: dict[str, list[bool]] = {}
        texts: list[str] = []
        for corpus in sorted(lang_dir.glob("*.yaml")):
            report = evaluate(corpus, understander)
            cases += report["cases"]
            intent_ok += round(report["intent_accuracy"] * report["cases"])
            slot_ok += round(report["slot_accuracy"] * report["cases"])
            for r in report["results"]:
                band = f"{min(0.9, int(r['confidence'] * 10) / 10):.1f}"
                bands.setdefault(band, []).append(r["predicted_intent"] == r["expected_intent"])
            texts += [c.text for c in load_corpus(corpus)[1] if c.text is not None]

        latencies = []
        for _ in range(args.repeat):
            for text in texts:
                started = time.perf_counter()
                understander.understand(text)
                latencies.append((time.perf_counter() - started) * 1000)

        print(f"[{lang}] {cases} cases: intent accuracy {intent_ok / cases:.1%}, slot accuracy {slot_ok / cases:.1%}")
        print(f"[{lang}] latency per utterance: p50 {percentile(latencies, 0.5):.2f} ms, "
              f"p95 {percentile(latencies, 0.95):.2f} ms, max {max(latencies):.2f} ms ({len(latencies)} calls)")
        print(f"[{lang}] pack load: median {statistics.median(loads) * 1000:.0f} ms; "
              f"understander ready (pack + profile + matcher): {ready * 1000:.0f} ms")
        templates = sum(len(i.templates) for i in understander.pack.intents.values())
        print(f"[{lang}] {len(understander.pack.intents)} intents, {templates} template expansions, "
              f"{len(understander.pack.vocabulary())} vocabulary words")
        print(f"[{lang}] intent accuracy by confidence band: " + ", ".join(
            f"{band}: {sum(ok) / len(ok):.0%} of {len(ok)}" for band, ok in sorted(bands.items())))


if __name__ == "__main__":
    main()
