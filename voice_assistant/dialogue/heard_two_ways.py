"""A glucose value the two recognisers heard differently: ask which one was said, never guess.

When speech is recognised by two engines (asr/combine.py) and they agree on the request but not on the value
("one eighteen" / "one eighty"), the turn comes with the other reading. Rather than read back the first and
hope the patient notices, the assistant asks: "Was it one hundred eighteen, or one hundred eighty?". The
answer (a value, whichever engine heard it closest to one of the two) is then read back as every value is,
and nothing is stored before the patient says yes. "No" / "neither" asks for the number again.

Not asked: a second value that is only the end of the first as it is said ("seven" of "eighty-seven", "sixty-five" of
"one hundred and sixty-five"). One engine lost the start of the number, the commonest slip (the start of an
utterance is what a recogniser most often misses); "Was it eighty-seven, or seven?" sounds as if the assistant had
not listened. The longer value is read back alone, as every value is, and stored only after a yes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Sequence

from voice_assistant.dialogue import glucose
from voice_assistant.dialogue.context import DialogueContext, Question
from voice_assistant.dialogue.state import VALUE, Reply
from voice_assistant.health.glucose import GlucoseValue, is_plausible
from voice_assistant.nlu import Understanding

TOLERANCE = 1.0  #: mg/dL: values this close are the same reading


def _same(a: float, b: float) -> bool:
    return math.isclose(a, b, abs_tol=TOLERANCE)


@dataclass(kw_only=True)
class WhichValue(Question):
    """"Was it one hundred and eighteen, or one hundred and eighty?" """

    values: list[GlucoseValue] = field(default_factory=list)
    context: str | None = None
    first: Understanding | None = None  #: the request as first heard (its moment, its words)

    expects = VALUE
    help_key = "help.which_value"
    unsaved_key = "unsaved.reading"
    takes_value = True

    def prefer(self, u: Understanding, others: Sequence[Understanding]) -> Understanding:
        """Of the readings of an answer, the first whose value is one of the two asked about (else the first)."""
        for reading in (u, *others):
            value = reading.slots.get("glucose_mg_dl")
            if value is not None and any(_same(float(value), v.mg_dl) for v in self.values):
                return reading
        return u

    def _offered(self, value: GlucoseValue) -> GlucoseValue:
        """The value offered that the answer's number is, with the unit it was offered in; else the answer as it is.
        Why: "Was it seven point two millimoles per liter, or seven point three millimoles per liter?" answered
        "seven point two" names no unit, and asking "is that in millimoles per liter?" after the patient said so
        costs a turn and tells them they were not heard."""
        if value.unit_said:
            return value
        return next((v for v in self.values if math.isclose(v.value, value.value, abs_tol=0.01)), value)

    def answer(self, ctx: DialogueContext, u: Understanding, now: datetime,
               asr_confidence: float | None) -> Reply | None:
        if u.glucose is not None and u.intent in ("log_glucose", "affirm", "deny"):
            # the value the patient settled on, read back before anything is stored (with the moment said first)
            base = glucose.AskValue(text="", context=self.context)
            if self.first is not None and self.first.when is not None and u.when is None:
                base.measured_at, base.when_words = ctx.moment(self.first.when, now)
            return glucose.read_back(ctx, u, self._offered(u.glucose), now, asr_confidence,
                                     context=u.slots.get("context", self.context), base=base)
        if u.intent == "deny":
            return ctx.ask(glucose.AskValue(text=ctx.say("glucose.ask_again"), context=self.context))
        return None  # "yes" alone answers nothing here: the manager asks the question again


def question(ctx: DialogueContext, u: Understanding, others: Sequence[Understanding],
             asr_confidence: float | None) -> Reply | None:
    """The question to ask when another reading of the same words gives another glucose value; else None."""
    first = u.glucose if u.intent == "log_glucose" and "glucose_mg_dl" in u.slots else None
    if first is None:
        return None
    for other in others:
        if other.intent != u.intent or other.glucose is None or "glucose_mg_dl" not in other.slots:
            continue
        second = other.glucose
        if is_plausible(first.mg_dl) and not is_plausible(second.mg_dl):
            # no meter shows it (below 20 mg/dL it says LO, above 600 HI): "seven point two millimoles" heard
            # once as "one millimoles" is no choice to offer; the first value is read back, and confirmed, alone
            continue
        if not _same(first.mg_dl, second.mg_dl) and not _cut_short(ctx, first, second):
            text = ctx.say("glucose.which_value", first=_said(ctx, first), second=_said(ctx, second))
            return ctx.ask(WhichValue(text=text, values=[first, second], context=u.slots.get("context"), first=u))
    return None


def _cut_short(ctx: DialogueContext, longer: GlucoseValue, shorter: GlucoseValue) -> bool:
    """Whether `shorter`'s number, as the assistant says it, is the last words of `longer`'s ("seven" /
    "eighty-seven"; not "two" / "twelve", "soixante et onze" / "quatre-vingt-onze"): the start of the number lost."""
    words = ctx.speech.number(longer.value).replace("-", " ").split()
    end = ctx.speech.number(shorter.value).replace("-", " ").split()
    return 0 < len(end) < len(words) and words[-len(end):] == end


def _said(ctx: DialogueContext, value: GlucoseValue) -> str:
    """The number as the patient would say it (its unit only when they said one)."""
    if value.unit_said:
        return ctx.speech.glucose(value.mg_dl, value.unit)
    return ctx.speech.number(value.value)
