"""Reading released lab results aloud: a summary first, then one result per turn.

What may be said is decided by `voice_assistant.labs` (the disclosure gate): preliminary results are
never read, and with the patient's "doctor first" choice abnormal values are only announced.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from datetime import datetime

from voice_assistant.dialogue.context import DialogueContext, Question
from voice_assistant.dialogue.state import ANYTHING, Reply
from voice_assistant.labs import LabPresentation, load_lab_pack, present
from voice_assistant.nlu import Understanding


@dataclass(kw_only=True)
class Browsing(Question):
    """A list of results being read: « suivant », « précédent » and a test name move in it; anything else
    leaves it quietly. Silence just waits."""

    cursor: int
    presentation: LabPresentation

    expects = ANYTHING
    help_key = "help.idle"
    asks = False  #: a result read asks nothing: hands-free, only "next" or a result's name is heard without the phrase

    def answer(self, ctx, u, now, asr_confidence):
        return answer_browsing(ctx, self, u, now, asr_confidence)

    def on_cancel(self, ctx):
        return ctx.tell(ctx.say("labs.stopped"))


@dataclass(kw_only=True)
class WhichResults(Question):
    """« Mes résultats » alone: « Vos analyses de laboratoire, ou votre dernière glycémie ? »"""

    expects = ANYTHING  # any request answers it; nothing is held

    def answer(self, ctx, u, now, asr_confidence):
        if u.intent == "read_lab_results":
            return read_results(ctx, u, now, asr_confidence)
        return None


#: No laboratory number is this large: a stored value beyond it (1e308, infinity) is a broken import, read as
#: "no number" rather than as a string of words (the import refuses such values; older databases may hold them).
LARGEST_LAB_VALUE = 1e6


def _readable(value: float | None) -> float | None:
    if value is None or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) and abs(value) < LARGEST_LAB_VALUE else None


def _presentation(ctx: DialogueContext, now: datetime) -> LabPresentation:
    results = [dataclasses.replace(r, value=_readable(r.value), ref_low=_readable(r.ref_low),
                                   ref_high=_readable(r.ref_high)) for r in ctx.store.lab_results()]
    return present(results, load_lab_pack(ctx.lang), ctx.speech,
                   doctor_only=ctx.profile.abnormal_labs_with_doctor_only,
                   today=now.astimezone(ctx.profile.zone).date())


def _browse(ctx: DialogueContext, text: str, cursor: int, presentation: LabPresentation) -> Reply:
    """Keep the list open: « suivant », « précédent » and a test name move in it; anything else leaves it."""
    return ctx.ask(Browsing(text=text, cursor=cursor, presentation=presentation))


def which_results(ctx: DialogueContext, u: Understanding, now: datetime, asr_confidence: float | None) -> Reply:
    """« Mes résultats »: the lab results, or the last glucose reading? Asked, not guessed."""
    return ctx.ask(WhichResults(text=ctx.say("labs.which")))


def read_results(ctx: DialogueContext, u: Understanding, now: datetime, asr_confidence: float | None) -> Reply:
    try:
        presentation = _presentation(ctx, now)
    except (ValueError, OverflowError, ArithmeticError):  # a stored value no result can be read from
        return ctx.tell(ctx.say("labs.unreadable"), "labs_unreadable")
    test = u.slots.get("test")
    if test:
        index = presentation.index_of(test)
        return _browse(ctx, presentation.about(test), index if index is not None else -1, presentation)
    if not presentation.items:
        return ctx.tell(presentation.summary)
    return _browse(ctx, presentation.summary, -1, presentation)


def answer_browsing(ctx: DialogueContext, q: Browsing, u: Understanding, now: datetime,
                    asr_confidence: float | None) -> Reply | None:
    presentation, cursor = q.presentation, q.cursor
    if u.intent in ("next", "affirm"):
        if cursor + 1 >= len(presentation.items):
            return ctx.tell(presentation.end_of_list)
        return _browse(ctx, presentation.say_item(cursor + 1), cursor + 1, presentation)
    if u.intent == "previous":
        if cursor <= 0:
            return _browse(ctx, presentation.start_of_list, max(cursor, 0) if cursor >= 0 else -1, presentation)
        return _browse(ctx, presentation.say_item(cursor - 1), cursor - 1, presentation)
    if u.intent == "read_lab_results" and u.slots.get("test"):
        return read_results(ctx, u, now, asr_confidence)
    if u.intent == "deny":
        return ctx.tell(ctx.say("labs.stopped"))
    return None


def nothing_to_browse(ctx: DialogueContext, u: Understanding, now: datetime, asr_confidence: float | None) -> Reply:
    """« suivant » with no list open."""
    return Reply(ctx.say("help.idle"))
