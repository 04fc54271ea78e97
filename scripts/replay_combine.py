"""Replay the combiner's decision (voice_assistant/asr/combine.py, the product code) on cached engine outputs:

    python scripts/replay_combine.py CACHE.json [--rule NAME ...]
    python scripts/replay_combine.py --eval REPORT.json [...]   # `voice-assistant eval --json` reports


CACHE.json comes from `scripts/cache_asr_pairs.py` (both engines' readings and every cross-score, per clip of
the audio dev sets). Prints per set: intent+slots for pocketsphinx alone, whisper alone, either (oracle) and the
combiner's first choice under each rule, how often a wrong glucose value or time would be read back without
the patient being asked which one was said, and how often the request was understood with its value missing
(the dialogue then asks for the value: not a wrong value); then, over all the sets, how often the combiner is
right when both engines are, when only one is, and when neither is (`--split` turns these rates into a
prediction for a set whose split is known). Nothing is decoded: a rule is measured in seconds.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from voice_assistant.asr.base import Transcript  # noqa: E402
from voice_assistant.app import load_settings  # noqa: E402
from voice_assistant.asr.select import combiner_for  # noqa: E402
from voice_assistant.asr.whisper_engine import normalize  # noqa: E402
from voice_assistant.evaluation import slot_matches  # noqa: E402
from voice_assistant.nlu import Understander  # noqa: E402


#: which engines' first readings are right, as (pocketsphinx right, whisper right), and its name
CASE_OF = [(True, True), (True, False), (False, True), (False, False)]
CASES = ["both right", "pocketsphinx only", "whisper only", "neither"]


def correct(row: dict, intent: str, slots: dict) -> bool:
    return intent == row["intent"] and all(slot_matches(k, v, slots.get(k)) for k, v in row["slots"].items())


def wrong_value(row: dict, intent: str, slots: dict) -> bool:
    """A value the patient gave (glucose, time) presented differently from what was said (a value missing is
    not presented: the dialogue asks for it; `missing_value`)."""
    for k in ("glucose_mg_dl", "time"):
        if k in row["slots"] and intent == row["intent"] and slots.get(k) is not None:
            if not slot_matches(k, row["slots"][k], slots.get(k)):
                return True
    return False


def missing_value(row: dict, intent: str, slots: dict) -> bool:
    """The request understood, but a value the patient gave (glucose, time) not heard: the dialogue asks for it."""
    return intent == row["intent"] and any(k in row["slots"] and slots.get(k) is None
                                           for k in ("glucose_mg_dl", "time"))


class Cached:
    """The cross-scores of one clip, looked up instead of computed (misses counted)."""

    def __init__(self, rows: list[dict]):
        self.rows = rows
        self.misses = 0

    def whisper(self, audio: bytes, texts):
        row = self.rows[int(audio.decode())]
        table = row["whisper_logprob"]
        out = []
        for t in texts:
            if t not in table:  # a text today's normalize() writes differently: the one whisper wrote
                t = row.get("renormalized", {}).get(t, t)
            if t not in table:
                self.misses += 1
                raise KeyError(t)
            out.append(SimpleNamespace(logprob=table[t]))
        return out

    def align(self, audio: bytes, text: str):
        table = self.rows[int(audio.decode())]["ps_align"]
        if text not in table:
            self.misses += 1
            return None
        return table[text]


RULES = {
    "today": {},
}


def eval_summary(path: Path) -> None:
    """intent+slots and wrong values read back without asking, from a `voice-assistant eval --json` report."""
    report = json.loads(path.read_text())
    cases = report["results"]
    ok = sum(bool(c["passed"]) for c in cases)
    wrong = asked = missing = 0
    for c in cases:
        row = {"intent": c["expected_intent"], "slots": c["expected_slots"]}
        ask = bool(c.get("choices"))
        asked += ask
        wrong += wrong_value(row, c["predicted_intent"], c["predicted_slots"] or {}) and not ask
        missing += missing_value(row, c["predicted_intent"], c["predicted_slots"] or {})
    print(f"{path}: {len(cases)} clips, intent+slots {ok / len(cases):.1%}, wrong value read back without asking "
          f"{wrong}, value missing (asked for) {missing}, asked which {asked}")


def renormalize(rows: list[dict]) -> None:
    """Whisper's texts as today's normalize() writes them (the cache may predate a change to it); the score of a
    text written anew is the one of what whisper wrote, unless the cache has the new text scored too (--fill)."""
    for r in rows:
        w = r["engines"]["whisper"]
        r["renormalized"] = {}
        for old in [w["text"], *(w["info"].get("alternatives") or [])]:
            if normalize(old) != old:
                r["renormalized"][normalize(old)] = old
        w["text"] = normalize(w["text"])
        alternatives = [normalize(t) for t in w["info"].get("alternatives") or []]
        w["info"]["alternatives"] = [t for t in dict.fromkeys(alternatives) if t and t != w["text"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cache", type=Path, nargs="?")
    parser.add_argument("--eval", nargs="+", type=Path, help="summarise `voice-assistant eval --json` reports")
    parser.add_argument("--rule", nargs="*", default=list(RULES), choices=list(RULES))
    parser.add_argument("--show", help="print the clips of this set the rule gets wrong")
    parser.add_argument("--split", metavar="B,P,W,N", help="also predict a set's figure from how its clips split: "
                        "both engines right, pocketsphinx only, whisper only, neither (issue 18's held-out natural "
                        "set: 76,19,12,6), at the pick rates measured here over all the sets")
    parser.add_argument("--relabel", action="store_true", help="take each clip's expected intent and slots from "
                        "today's make_audio_devset.py (a cache made before a label was fixed)")
    args = parser.parse_args()
    if args.eval:
        for path in args.eval:
            eval_summary(path)
        return
    if args.cache is None:
        parser.error("a cache file (scripts/cache_asr_pairs.py) or --eval REPORT.json")
    rows = json.loads(args.cache.read_text())
    if args.relabel:
        sys.path.insert(0, str(ROOT / "scripts"))
        from make_audio_devset import UTTERANCES

        labels = {text: (intent, slots) for text, intent, slots in UTTERANCES}
        for r in rows:
            r["intent"], r["slots"] = labels.get(r["text"], (r["intent"], r["slots"]))
    renormalize(rows)
    cached = Cached(rows)
    profile = load_settings()  # as `voice-assistant eval` reads it: the patient's medicines
    understander = Understander("en", profile)
    memo: dict = {}

    def understand(text: str):
        if text not in memo:
            memo[text] = understander.understand(text)
        return memo[text]

    sets: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        sets[r["set"]].append(i)
    combiners = {}
    for name, kw in RULES.items():
        if name in args.rule:
            combiners[name] = combiner_for("en", profile, cached.whisper, understand)
            for k, v in kw.items():
                setattr(combiners[name], k, v)
    #: per rule, per case (which engines' first readings are right): [combined right, clips]
    picks: dict[str, dict[str, list[int]]] = {rule: {c: [0, 0] for c in CASES} for rule in combiners}
    for name in sorted(sets):
        idx = sets[name]
        lines = []
        single = {}
        right: dict[int, list[bool]] = defaultdict(list)  #: clip -> [pocketsphinx right, whisper right]
        for engine in ("pocketsphinx", "whisper"):
            ok = wrong = missing = 0
            for i in idx:
                u = understand(rows[i]["engines"][engine]["text"]) if rows[i]["engines"][engine]["text"] else None
                intent, slots = (u.intent, dict(u.slots)) if u else ("none", {})
                ok += correct(rows[i], intent, slots)
                right[i].append(correct(rows[i], intent, slots))
                wrong += wrong_value(rows[i], intent, slots)
                missing += missing_value(rows[i], intent, slots)
            single[engine] = (ok, wrong, missing)
        oracle = 0
        for i in idx:
            oracle += any(correct(rows[i], *(lambda u: (u.intent, dict(u.slots)) if u else ("none", {}))(
                understand(rows[i]["engines"][e]["text"]) if rows[i]["engines"][e]["text"] else None))
                for e in ("pocketsphinx", "whisper"))
        n = len(idx)
        print(f"== {name} ({n} clips)")
        print(f"{'reading':28} {'intent+slots':>13} {'wrong value, not asked':>23} {'asked':>6} {'missing':>8}")
        for engine, (ok, wrong, missing) in single.items():
            print(f"{engine + ' alone':28} {ok / n:12.1%} {wrong:>23} {0:>6} {missing:>8}")
        print(f"{'either (oracle)':28} {oracle / n:12.1%}")
        for rule, combiner in combiners.items():
            ok = wrong = asked = missing = 0
            for i in idx:
                r = rows[i]
                a = Transcript(r["engines"]["pocketsphinx"]["text"], confidence=r["engines"]["pocketsphinx"]["confidence"],
                               engine="pocketsphinx", info=r["engines"]["pocketsphinx"]["info"])
                b = Transcript(r["engines"]["whisper"]["text"], confidence=r["engines"]["whisper"]["confidence"],
                               engine="whisper", info=r["engines"]["whisper"]["info"])
                choice = combiner.choose(str(i).encode(), a, b)
                good = correct(r, choice.first.intent, choice.first.slots)
                ok += good
                case = picks[rule][CASES[CASE_OF.index(tuple(right[i]))]]
                case[0] += good
                case[1] += 1
                ask = bool(choice.ask and choice.second is not None)
                asked += ask
                wrong += wrong_value(r, choice.first.intent, choice.first.slots) and not ask
                missing += missing_value(r, choice.first.intent, choice.first.slots)
                if args.show == name and not good:
                    lines.append(f"  {r['text']!r}: ps {a.text!r} | wh {b.text!r} -> {choice.first.transcript.engine} ({choice.reason})")
            print(f"{'combined: ' + rule:28} {ok / n:12.1%} {wrong:>23} {asked:>6} {missing:>8}")
        print("\n".join(lines))
        print()
    for rule, cases in picks.items():
        print(f"combined ({rule}), over all sets: " + ", ".join(
            f"{c} {ok}/{n}" + (f" ({ok / n:.1%})" if n else "") for c, (ok, n) in cases.items()))
        if args.split:
            split = [int(x) for x in args.split.split(",")]
            rates = [ok / n if n else 0.0 for ok, n in cases.values()]
            expected = sum(k * p for k, p in zip(split, rates))
            print(f"  a set split {args.split}: {expected:.1f} of {sum(split)} expected right "
                  f"({expected / max(sum(split), 1):.1%})")
    if cached.misses:
        print(f"({cached.misses} scores not in the cache: the rule asked for a text the cache script did not score)")


if __name__ == "__main__":
    main()
