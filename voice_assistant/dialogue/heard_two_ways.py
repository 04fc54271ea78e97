"""A glucose value the two recognisers heard differently: ask which one was said, never guess.

When speech is recognised by two engines (asr/combine.py) and they agree on the request but not on the value
("one eighteen" / "one eighty"), the turn comes with the other reading. Rather than read back the first and
hope the patient notices, the assistant asks: "Was it one hundred eighteen, or one hundred eighty?". The
answer (a value, whichever engine heard it closest to one of the two) is then read back as every value is,
and nothing is stored before the patient says yes. "No" / "neither" asks for the number again.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Sequence

from voice_assistant.dialogue import glucose
from voice_assistant.dialogue.context import DialogueContext
from voice_assistant.dialogue.state import VALUE, DraftReading, Pending, Reply
from voice_assistant.nlu import Understanding

ASK = "which_value"
TOLERANCE = 1.0  #: mg/dL: values this close are the same reading


def _same(a: float, b: float) -> bool:
    return math.isclose(a, b, abs_tol=TOLERANCE)


def question(ctx: DialogueContext, u: Understanding, others: Sequence[Understanding],
             asr_confidence: float | None) -> Reply | None:
    """The question to ask when another reading of the same words gives another glucose value; else None."""
    first = glucose.draft_from(u, asr_confidence=asr_confidence) if u.intent == "log_glucose" else None
    if first is None:
        return None
    for other in others:
        if other.intent != u.intent:
            continue
        second = glucose.draft_from(other, context=first.context, asr_confidence=asr_confidence)
        if second is not None and not _same(first.mg_dl, second.mg_dl):
            text = ctx.say("glucose.which_value", first=_said(ctx, first), second=_said(ctx, second))
            return ctx.ask(Pending(ASK, text, VALUE, {"drafts": [first, second], "context": first.context}))
    return None


def _said(ctx: DialogueContext, draft: DraftReading) -> str:
    """The number as the patient would say it (its unit only when they said one)."""
    if draft.unit_said:
        return ctx.speech.glucose(draft.mg_dl, draft.unit)
    return ctx.speech.number(draft.value_said)


def prefer_choice(pending: Pending, readings: Sequence[Understanding]) -> Understanding:
    """Of the readings of an answer, the first whose value is one of the two asked about (else the first)."""
    drafts: list[DraftReading] = pending.data["drafts"]
    for u in readings:
        value = u.slots.get("glucose_mg_dl")
        if value is not None and any(_same(float(value), d.mg_dl) for d in drafts):
            return u
    return readings[0]


def answer(ctx: DialogueContext, u: Understanding, now: datetime, asr_confidence: float | None) -> Reply | None:
    said = glucose.draft_from(u, context=ctx.pending.data.get("context"), asr_confidence=asr_confidence)
    if said is not None and u.intent in ("log_glucose", "affirm", "deny"):
        return glucose.read_back(ctx, said)  # the value the patient settled on, read back before anything is stored
    if u.intent == "deny":
        return ctx.ask(Pending(glucose.ASK_VALUE, ctx.say("glucose.ask_again"), VALUE,
                               {"context": ctx.pending.data.get("context")}))
    return None  # "yes" alone answers nothing here: the manager asks the question again
