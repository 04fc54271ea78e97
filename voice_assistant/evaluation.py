"""Score understanding on a corpus in the contract's format (see docs/INTENTS.md).

`eval` runs each case through the very same `Understander` the assistant uses; nothing here knows
anything about a particular corpus.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import yaml

from voice_assistant.errors import InputError
from voice_assistant.nlu import Understander, Understanding

GLUCOSE_TOLERANCE = 1.0  #: mg/dL, as the contract fixes


class CorpusError(InputError):
    """The corpus file cannot be used; the message says why and where."""


@dataclass(frozen=True)
class Case:
    expected_intent: str
    expected_slots: dict[str, Any]
    text: str | None = None
    audio: Path | None = None


def load_corpus(path: Path) -> tuple[str, list[Case]]:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise CorpusError(f"{path}: cannot read the corpus ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise CorpusError(f"{path}: not valid YAML" + (f" at line {mark.line + 1}" if mark else "")) from None
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        raise CorpusError(f"{path}: expected 'language' and a 'cases' list")
    lang = str(data.get("language") or "")
    if not lang:
        raise CorpusError(f"{path}: missing 'language'")
    cases = []
    for n, raw in enumerate(data["cases"], 1):
        if not isinstance(raw, dict) or "intent" not in raw or ("text" not in raw and "audio" not in raw):
            raise CorpusError(f"{path}: case {n} needs 'intent' and 'text' or 'audio'")
        audio = raw.get("audio")
        cases.append(Case(
            expected_intent=str(raw["intent"]),
            expected_slots=dict(raw.get("slots") or {}),
            text=None if raw.get("text") is None else str(raw["text"]),
            audio=(Path(path).parent / audio) if audio else None,
        ))
    return lang, cases


def slot_matches(name: str, expected: Any, predicted: Any) -> bool:
    if predicted is None:
        return False
    if name == "glucose_mg_dl":
        try:
            return math.isclose(float(expected), float(predicted), abs_tol=GLUCOSE_TOLERANCE)
        except (TypeError, ValueError):
            return False
    return str(expected) == str(predicted)


#: Turns an audio case into (transcript, understanding) or (transcript, understanding, details): supplied by the
#: voice layer when it exists. `details` (each engine's transcript when two recognisers were combined, the
#: readings the dialogue would ask the patient to choose between) are added to the case's result as they are.
AudioRunner = Callable[[Path], "tuple[str, Understanding] | tuple[str, Understanding, dict]"]


def evaluate(path: Path, understander: Understander | None = None,
             audio_runner: AudioRunner | None = None) -> dict:
    lang, cases = load_corpus(path)
    understander = understander or Understander(lang)
    results = []
    intent_ok = slot_ok = 0
    for case in cases:
        started = time.perf_counter()
        result: dict[str, Any] = {}
        if case.audio is not None:
            result["audio"] = str(case.audio)
            if audio_runner is None:
                transcript, got = "", Understanding("none", {}, 0.0)
                result["error"] = "audio cases need the voice layer, which is not installed"
            else:
                transcript, got, *details = audio_runner(case.audio)
                if details:
                    result.update(details[0])
            result["transcript"] = transcript
        else:
            result["text"] = case.text
            got = understander.understand(case.text or "")
        latency_ms = (time.perf_counter() - started) * 1000
        intent_right = got.intent == case.expected_intent
        slots_right = intent_right and all(
            slot_matches(k, v, got.slots.get(k)) for k, v in case.expected_slots.items())
        intent_ok += intent_right
        slot_ok += slots_right
        result.update({
            "expected_intent": case.expected_intent,
            "expected_slots": case.expected_slots,
            "predicted_intent": got.intent,
            "predicted_slots": got.slots,
            "confidence": round(got.confidence, 3),
            "latency_ms": round(latency_ms, 3),
            "passed": slots_right,
        })
        results.append(result)
    n = len(cases)
    return {
        "language": lang,
        "cases": n,
        "intent_accuracy": round(intent_ok / n, 4) if n else 0.0,
        "slot_accuracy": round(slot_ok / n, 4) if n else 0.0,
        "results": results,
    }
