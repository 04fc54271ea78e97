#!/usr/bin/env python3
"""Replay the hands-free loop's wake rule on `scripts/bench_wake.py --dump` files, without decoding again.

    python scripts/replay_wake.py DUMP.json [DUMP.json ...] [--threshold 0.05] [--before] [--set FIELD=VALUE]
                                  [--list] [--answers] [--verbose]

The dump keeps every utterance (its start, the chosen words, each engine's reading, rule 4's margins) and the
spotter's hits per threshold; this applies today's `WakeRule` (asr/wake.py) to them as bench_wake.py's
"loop (check 2 + gate)" row does (`bench_wake.count`, with the pack's understanding), and prints false wakes and
missed requests per dump. `--answers` also says what the loop would have answered each false wake (a fresh
dialogue on an empty store, the request as the loop passes it; nothing is saved anywhere), so a false wake that
would only have said "I did not understand" is seen to speak too. Besides the misses, each request acted on is
counted as acted on as said (the intent the pack gives its words said cleanly, "assistant" left out), as another
request, or as nothing the pack knows; `--verbose` lists them. `--before`: the rule without the meaning gates
(`WakeRule.meaningful`, `WakeRule.independent_meaning`) too; `--set meaningful=0`: any WakeRule field.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import replace
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_wake import Utterance, count, false_wake_detail, in_span, likelihood_from, missed  # noqa: E402

from voice_assistant.asr.wake import CHECK_MAX_LOSS, WakeRule  # noqa: E402
from voice_assistant.nlu import Understander  # noqa: E402


class Said:
    def __init__(self, d: dict):
        self.__dict__.update(d)


class Span:
    def __init__(self, start_s: float, end_s: float):
        from voice_assistant.audio.clip import SAMPLE_RATE

        self.start, self.end = start_s * SAMPLE_RATE, end_s * SAMPLE_RATE


def _value(text: str):
    if text in ("1", "0"):
        return text == "1"
    try:
        return float(text)
    except ValueError:
        return text


def load(path: Path) -> dict:
    d = json.loads(path.read_text())
    d["tv"] = [Utterance(**u) for u in d["tv"]]
    d["requests"] = [Utterance(**u) for u in d["requests"]]
    d["spans"] = [Span(*s) for s in d["spans"]]
    d["tv_script"] = [Said(s) for s in d["tv_script"]]
    return d


def answer_of(request: str) -> str:
    """What a fresh dialogue answers to `request` (an empty store in a temporary folder)."""
    from voice_assistant.dialogue.manager import DialogueManager
    from voice_assistant.profile import default_profile
    from voice_assistant.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "a.db")
        try:
            manager = DialogueManager(default_profile(), store, "en", save_profile_changes=False)
            turn = manager.handle(request, datetime(2026, 3, 20, 10, 0, tzinfo=default_profile().zone))
            return f"[{turn.understanding.intent} {turn.understanding.confidence:.2f}] {turn.reply.text}"
        finally:
            store.close()


def taken_request(rule: WakeRule, u: Utterance, hits: list[float], understand) -> list[str]:
    """The words the loop acts on for an utterance the rule acted on (as `count` reads it)."""
    return (rule.taken(u.start_s, hits, u.readings, rule.request(u.words, u.readings), understand,
                       lambda u=u: u.phrase_margin, likelihood_from(u))
            or rule.sounding_request(u.start_s, hits, u.words, u.readings, understand) or [])


def served(d: dict, rule: WakeRule, hits: list[float], opened: list[bool], understand,
           verbose: bool = False) -> tuple[int, int, int]:
    """Of the requests acted on: how many were taken as the intent their words have said cleanly, how many as
    another intent, and how many as nothing the pack knows (the loop says "I did not understand" / "I cannot")."""
    right = wrong = unknown = 0
    for span, (text, _) in zip(d["spans"], d["request_texts"]):
        first = [(u, o) for u, o in zip(d["requests"], opened)
                 if in_span(u, span)]
        if not first or not first[0][1]:
            continue
        u = first[0][0]
        wanted = understand(text.split(" ", 1)[1]).intent
        got = understand(" ".join(taken_request(rule, u, hits, understand)) or "").intent
        if verbose:
            print(f"    request {text!r}: wanted {wanted}, acted on as {got}")
        if got == wanted:
            right += 1
        elif got == "none":
            unknown += 1
        else:
            wrong += 1
    return right, wrong, unknown


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dumps", nargs="+", type=Path)
    parser.add_argument("--threshold", default="0.05", help="the spotter threshold whose hits are replayed")
    parser.add_argument("--list", action="store_true", help="print every false wake and missed request")
    parser.add_argument("--set", action="append", default=[], help="a WakeRule field to replay with: name=1, name=0 (repeatable)")
    parser.add_argument("--verbose", action="store_true", help="each request acted on: the intent wanted and got")
    parser.add_argument("--before", action="store_true", help="also replay the rule without the meaning gates")
    parser.add_argument("--answers", action="store_true", help="with --list: what the loop would answer")
    args = parser.parse_args()
    understand = Understander("en").understand
    total_fw = total_miss = total_rq = 0
    total_min = 0.0
    for path in args.dumps:
        d = load(path)
        flags = dict(kv.split("=", 1) for kv in args.set)
        rule = WakeRule(tuple(d["wake"]), **{k: _value(v) for k, v in flags.items()})
        hits = d["hits"][args.threshold]
        minutes = d["tv_hours"] * 60
        if args.before:
            before = replace(rule, meaningful=False, independent_meaning=False)
            woke = count(d["tv"], before, hits["tv"], max_loss=CHECK_MAX_LOSS, understand=understand)
            opened = count(d["requests"], before, hits["requests"], max_loss=CHECK_MAX_LOSS, understand=understand)
            right, wrong, unknown = served(d, before, hits["requests"], opened, understand, args.verbose)
            print(f"{path.name} (without the meaning gates): {sum(woke)} false wakes in {minutes:.1f} min, "
                  f"{len(missed(d['requests'], opened, d['spans']))} of {len(d['spans'])} requests missed; acted on "
                  f"as said {right}, as another request {wrong}, as nothing known {unknown}")
        woke = count(d["tv"], rule, hits["tv"], max_loss=CHECK_MAX_LOSS, understand=understand)
        opened = count(d["requests"], rule, hits["requests"], max_loss=CHECK_MAX_LOSS, understand=understand)
        misses = missed(d["requests"], opened, d["spans"])
        right, wrong, unknown = served(d, rule, hits["requests"], opened, understand, args.verbose)
        print(f"{path.name}: {sum(woke)} false wakes in {minutes:.1f} min, {len(misses)} of {len(d['spans'])} "
              f"requests missed; acted on as said {right}, as another request {wrong}, as nothing known {unknown}")
        total_fw, total_miss, total_rq, total_min = (total_fw + sum(woke), total_miss + len(misses),
                                                     total_rq + len(d["spans"]), total_min + minutes)
        if not args.list:
            continue
        for w, u in zip(false_wake_detail(d["tv"], woke, d["tv_script"]), [u for u, o in zip(d["tv"], woke) if o]):
            print(f"  false wake at {w['at_s']} s: said {' / '.join(w['said'])!r}\n    heard {w['heard']!r} "
                  f"readings {w['readings']} margins {w['wake_margin']} {w['phrase_margin']}")
            if args.answers:
                request = (rule.taken(u.start_s, hits["tv"], u.readings, rule.request(u.words, u.readings),
                                      understand, lambda u=u: u.phrase_margin, likelihood_from(u))
                           or rule.sounding_request(u.start_s, hits["tv"], u.words, u.readings, understand) or [])
                print(f"    request {' '.join(request)!r} -> {answer_of(' '.join(request)) if request else '(chime)'}")
        for n in misses:
            text, voice = d["request_texts"][n]
            heard = [(" ".join(u.words), [" ".join(r) for r in u.readings]) for u in d["requests"]
                     if in_span(u, d["spans"][n])]
            print(f"  missed {text!r} ({voice}): {heard}")
    if len(args.dumps) > 1:
        print(f"all: {total_fw} false wakes in {total_min:.1f} min, {total_miss} of {total_rq} requests missed")


if __name__ == "__main__":
    main()
