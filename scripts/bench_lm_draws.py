"""pocketsphinx alone on audio dev sets, once per draw of its pack language model (the training sentences are a
random draw from the pack's templates; a figure from one draw can be luck):

    nice -n 10 python scripts/bench_lm_draws.py DIR [DIR...] [--seeds 0,1] [--samples 480] [--out TEXTS.json]

DIR: a folder made by scripts/make_audio_devset.py (corpus.yaml, meta.json, clips/). Prints intent+slots per set
and draw. Each draw's model is built in a private cache folder (the user's is left alone). Measured this way
(138 synthetic / 132 natural clips): 120 sentences per template and a random 400 glucose shapes, six draws:
59.4-65.2 % / 50.0-56.8 %; 480 sentences and every shape, two draws: 65.2-65.9 % / 56.1-56.8 %.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--seeds", default="0,1", help="draws (random seeds), comma-separated")
    parser.add_argument("--samples", type=int, default=None, help="sentences per template (default: the product's)")
    parser.add_argument("--out", type=Path, help="write every transcript here (JSON: seed -> set -> texts)")
    args = parser.parse_args()
    os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="va-lm-draws-")

    from voice_assistant.asr import pocketsphinx_engine, vocabulary
    from voice_assistant.asr.base import transcribe
    from voice_assistant.audio.files import read_audio
    from voice_assistant.evaluation import load_corpus, slot_matches
    from voice_assistant.nlu import Understander

    understander = Understander("en")
    sets = {folder.name: load_corpus(folder / "corpus.yaml")[1] for folder in args.folders}
    texts: dict = {}
    for seed in [int(s) for s in args.seeds.split(",")]:
        samples = args.samples or vocabulary.SAMPLES_PER_TEMPLATE
        pocketsphinx_engine.build_vocabulary = (  # type: ignore[assignment]
            lambda pack, names=(), _seed=seed, _n=samples: vocabulary.build_vocabulary(pack, names, _n, _seed))
        recognizer = pocketsphinx_engine.PocketsphinxRecognizer("en")
        texts[seed] = {}
        for name, cases in sets.items():
            ok = 0
            heard = []
            for case in cases:
                text = transcribe(recognizer, read_audio(case.audio).pcm()).text
                u = understander.understand(text) if text else None
                intent, slots = (u.intent, dict(u.slots)) if u else ("none", {})
                ok += intent == case.expected_intent and all(
                    slot_matches(k, v, slots.get(k)) for k, v in case.expected_slots.items())
                heard.append(text)
            texts[seed][name] = heard
            print(f"draw {seed} ({samples} per template)  {name}: {ok}/{len(cases)} = {ok / len(cases):.1%}",
                  flush=True)
    if args.out:
        args.out.write_text(json.dumps(texts))


if __name__ == "__main__":
    main()
