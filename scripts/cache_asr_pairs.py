"""Decode audio dev sets once with both engines and keep everything the combiner could weigh, per clip, in JSON:

    nice -n 10 python scripts/cache_asr_pairs.py OUT.json DIR [DIR...] [--align]   # DIR: make_audio_devset.py

Per clip: the expected intent and slots, pocketsphinx's and whisper's transcripts (text, confidence, n-best
alternatives, open pass), whisper's log-probability of every candidate text (`score()`) and pocketsphinx's
forced-alignment score of it (`crosscheck.PocketsphinxAligner`, with --align; slow). Candidates: both readings, both engines'
alternatives, and each reading with the other's glucose value written in. `scripts/replay_combine.py` then
replays the combiner's decision rule on the cache in seconds (no decoding).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    from voice_assistant.asr.base import transcribe
    from voice_assistant.asr.combine import Combiner
    from voice_assistant.asr.crosscheck import PocketsphinxAligner, value_variants
    from voice_assistant.asr.select import recognizer_for
    from voice_assistant.audio.files import read_audio
    from voice_assistant.evaluation import load_corpus
    from voice_assistant.nlu import Understander

    args = [a for a in sys.argv[1:] if a != "--align"]
    out, folders = Path(args[0]), [Path(p) for p in args[1:]]
    ps = recognizer_for("en", None, "pocketsphinx")
    whisper = recognizer_for("en", None, "whisper")
    aligner = PocketsphinxAligner() if "--align" in sys.argv else None  # measured: no evidence (see crosscheck.py)
    understander = Understander("en")
    combiner = Combiner(understander.understand)
    rows = []
    for folder in folders:
        _, cases = load_corpus(folder / "corpus.yaml")
        meta = json.loads((folder / "meta.json").read_text())
        for case, m in zip(cases, meta):
            pcm = read_audio(case.audio).pcm()
            started = time.perf_counter()
            a = transcribe(ps, pcm)
            b = whisper.decode(pcm)
            ra, rb = combiner.reading(a), combiner.reading(b)
            texts = {a.text, b.text, *a.info.get("alternatives", []), *b.info.get("alternatives", []),
                     a.info.get("open_text", "") or ""}
            texts |= set(value_variants(ra, rb)) | set(value_variants(rb, ra))
            texts = sorted(t for t in texts if t.strip())
            wscores = {t: s.logprob for t, s in zip(texts, whisper.score(pcm, texts))} if texts else {}
            pscores = {t: aligner.score(pcm, t) for t in texts} if aligner else {}
            rows.append({
                "set": folder.name, "audio": str(case.audio), "intent": case.expected_intent,
                "slots": case.expected_slots, **m,
                "engines": {
                    "pocketsphinx": {"text": a.text, "confidence": a.confidence,
                                     "info": {k: a.info.get(k) for k in ("alternatives", "fit", "open_text",
                                                                          "constrained_text", "narrowband")}},
                    "whisper": {"text": b.text, "confidence": b.confidence,
                                "info": {k: b.info.get(k) for k in ("alternatives", "no_speech_prob", "logprob",
                                                                     "beam_logprob")}}},
                "whisper_logprob": wscores, "ps_align": pscores, "seconds": round(time.perf_counter() - started, 3)})
            print(len(rows), folder.name, repr(a.text), "|", repr(b.text), flush=True)
    out.write_text(json.dumps(rows))


if __name__ == "__main__":
    main()
