"""Decode audio dev sets once with both engines and keep everything the combiner could weigh, per clip, in JSON:

    nice -n 10 python scripts/cache_asr_pairs.py OUT.json DIR [DIR...] [--align]   # DIR: make_audio_devset.py
    nice -n 10 python scripts/cache_asr_pairs.py --fill CACHE.json                 # after a combiner change

--fill replays today's combiner on every cached clip and has whisper score, on the clip's audio, each text the
combiner asks about that the cache has no score for (a repaired medicine name, a new kind of candidate), so
`replay_combine.py` measures what `voice-assistant eval` would (it counts the scores still missing).

Per clip: the expected intent and slots, pocketsphinx's and whisper's transcripts (text, confidence, n-best
alternatives, open pass), whisper's log-probability of every candidate text (`score()`) and pocketsphinx's
forced-alignment score of it (`PocketsphinxAligner` below, with --align; slow; measured: no evidence, so the
product does not use it). Candidates: both readings, both engines'
alternatives, and each reading with the other's glucose value written in. `scripts/replay_combine.py` then
replays the combiner's decision rule on the cache in seconds (no decoding).
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import re
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

log = logging.getLogger(__name__)

_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_MAX_VARIANTS = 8


def number_sayings(token: str) -> list[list[str]]:
    """The ways a written number is said in English: "142" -> one hundred forty two / one forty two / ..."""
    from voice_assistant.asr.vocabulary import number_words

    if "." in token:
        whole, frac = token.split(".", 1)
        return [number_words(int(whole), "en") + ["point"] + [w for d in frac for w in number_words(int(d), "en")]]
    n = int(token)
    out = [number_words(n, "en")]
    if 100 < n < 1000 and n % 100:
        hundreds, rest = divmod(n, 100)
        head = number_words(hundreds, "en")
        tail = number_words(rest, "en") if rest >= 10 else ["oh"] + number_words(rest, "en")
        out.append(head + tail)  # "one forty two", "one oh five"
        out.append(head + ["hundred"] + number_words(rest, "en"))  # "one hundred forty two"
    seen: list[list[str]] = []
    for s in out:
        if s not in seen:
            seen.append(s)
    return seen


def spoken_forms(text: str) -> list[str]:
    """`text` with every number written out the ways it may have been said (at most a few variants)."""
    tokens = text.split()
    choices = [number_sayings(t) if _NUMBER.fullmatch(t) else [[t]] for t in tokens]
    forms = []
    for combo in itertools.islice(itertools.product(*choices), _MAX_VARIANTS):
        forms.append(" ".join(w for part in combo for w in part))
    return forms


class PocketsphinxAligner:
    """Pocketsphinx's forced alignment of a text to the audio: the acoustic fit of that exact word sequence."""

    def __init__(self, model_dir: Path | None = None, sample_rate: int = 16000):
        from pocketsphinx import Decoder

        from voice_assistant.asr.pocketsphinx_engine import bundled_model_dir

        folder = Path(model_dir) if model_dir else bundled_model_dir()
        self._decoder = Decoder(hmm=str(folder / "en-us"), dict=str(folder / "cmudict-en-us.dict"), lm=None,
                                samprate=sample_rate, loglevel="FATAL")
        self._known: set[str] = set()
        self._lock = threading.Lock()

    def _ensure_words(self, words: list[str]) -> None:
        from voice_assistant.asr.vocabulary import guess_pronunciation

        for w in words:
            if w in self._known:
                continue
            if self._decoder.lookup_word(w) is None:
                phones = guess_pronunciation(w)
                if not phones:
                    raise ValueError(f"no pronunciation for {w!r}")
                self._decoder.add_word(w, phones, True)
            self._known.add(w)

    def _align(self, pcm: bytes, text: str) -> float | None:
        words = text.split()
        if not words:
            return None
        self._ensure_words(words)
        d = self._decoder
        d.set_align_text(text)
        d.start_utt()
        d.process_raw(pcm, full_utt=True)
        d.end_utt()
        hyp = d.hyp()
        if hyp is None or hyp.score <= 0:
            return None
        return math.log(hyp.score)

    def score(self, pcm: bytes, text: str) -> float | None:
        """The best alignment log-score over the ways `text` may have been said; None when it cannot be aligned."""
        best = None
        with self._lock:
            for form in spoken_forms(text):
                try:
                    s = self._align(pcm, form)
                except (RuntimeError, ValueError) as exc:
                    log.debug("cannot align %r: %s", form, exc)
                    continue
                if s is not None and (best is None or s > best):
                    best = s
        return best



def fill(path: Path) -> None:
    """Score, on each clip's audio, every text today's combiner asks whisper about that `path` has no score for."""
    from voice_assistant.app import load_settings
    from voice_assistant.asr.base import Transcript
    from voice_assistant.asr.select import combiner_for, recognizer_for
    from voice_assistant.asr.whisper_engine import normalize
    from voice_assistant.audio.files import read_audio
    from voice_assistant.nlu import Understander

    rows = json.loads(path.read_text())
    whisper = recognizer_for("en", None, "whisper")
    profile = load_settings()  # as `voice-assistant eval` reads it
    understander = Understander("en", profile)
    added = 0
    for i, row in enumerate(rows):
        table = row["whisper_logprob"]
        pcm = read_audio(row["audio"]).pcm()

        def scorer(audio: bytes, texts, table=table, pcm=pcm):
            nonlocal added
            missing = [t for t in dict.fromkeys(texts) if t not in table]
            if missing:
                for t, s in zip(missing, whisper.score(pcm, missing)):
                    table[t] = s.logprob
                added += len(missing)
            return [SimpleNamespace(logprob=table[t]) for t in texts]

        combiner = combiner_for("en", profile, scorer, understander.understand)
        engines = row["engines"]
        a = Transcript(engines["pocketsphinx"]["text"], confidence=engines["pocketsphinx"]["confidence"],
                       engine="pocketsphinx", info=engines["pocketsphinx"]["info"])
        wtext = normalize(engines["whisper"]["text"])  # as today's normalize() writes them (replay_combine.py)
        alternatives = [t for t in dict.fromkeys(normalize(t) for t in engines["whisper"]["info"].get(
            "alternatives") or []) if t and t != wtext]
        b = Transcript(wtext, confidence=engines["whisper"]["confidence"], engine="whisper",
                       info=dict(engines["whisper"]["info"], alternatives=alternatives))
        combiner.choose(pcm, a, b)
    path.write_text(json.dumps(rows))
    print(f"{added} scores added to {path}")


def main() -> None:
    if sys.argv[1:2] == ["--fill"]:
        fill(Path(sys.argv[2]))
        return
    from voice_assistant.asr.base import transcribe
    from voice_assistant.asr.combine import Combiner
    from voice_assistant.asr.crosscheck import value_variants
    from voice_assistant.asr.select import recognizer_for
    from voice_assistant.audio.files import read_audio
    from voice_assistant.evaluation import load_corpus
    from voice_assistant.nlu import Understander

    args = [a for a in sys.argv[1:] if a != "--align"]
    out, folders = Path(args[0]), [Path(p) for p in args[1:]]
    ps = recognizer_for("en", None, "pocketsphinx")
    whisper = recognizer_for("en", None, "whisper")
    aligner = PocketsphinxAligner() if "--align" in sys.argv else None  # measured: no evidence (see above)
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
