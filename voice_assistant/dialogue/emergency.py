"""A call for help: guidance at once, and an alert for the care team that a noise cannot raise on its own.

Typed words are sure: the alert is recorded with the guidance. Heard words are not: a recogniser turns a
cough or the television into "fit" or "help" with full confidence (measured: white noise decoded as "fit",
confidence 1.0). So a spoken call for help gets the same guidance at once, then one question: « Voulez-vous
que je prévienne votre équipe de soins ? ». Yes (or asking for help again) records the alert; no records
nothing; no answer at all records it too, marked unconfirmed, because a patient who asked for help and then
went silent may no longer be able to answer.
"""

from __future__ import annotations

from datetime import datetime

from voice_assistant.dialogue.context import DialogueContext
from voice_assistant.dialogue.state import YES_NO, Pending, Reply
from voice_assistant.nlu import Understanding
from voice_assistant.store import Alert

CONFIRM = "confirm_alert"


def ask_for_help(ctx: DialogueContext, u: Understanding, now: datetime, asr_confidence: float | None) -> Reply:
    guidance = ctx.say("safety.emergency", number=ctx.emergency_number(),
                       human_route=ctx.say("safety.human_route", human=ctx.human_route()))
    asked_before = ctx.pending is not None and ctx.pending.kind == CONFIRM
    if asr_confidence is None or asked_before:
        return _record(ctx, ctx.pending.data["heard"] if asked_before else u.text, now, guidance)
    pending = Pending(CONFIRM, ctx.say("safety.confirm_alert"), YES_NO, {"heard": u.text}, asked_at=now)
    return ctx.ask(pending, f"{guidance} {pending.question}")


def answer_confirmation(ctx: DialogueContext, u: Understanding, now: datetime,
                        asr_confidence: float | None) -> Reply | None:
    if u.intent == "affirm":
        return _record(ctx, ctx.pending.data["heard"], now)
    if u.intent in ("deny", "cancel"):
        return ctx.tell(ctx.say("safety.alert_not_recorded", human=ctx.human_route()), "alert_declined")
    return None


def unanswered(ctx: DialogueContext, pending: Pending, now: datetime) -> Reply:
    """The question was asked twice and nobody answered: the alert goes to the care team, marked as such."""
    message = ctx.say("safety.unconfirmed_alert", heard=pending.data["heard"])
    return _record(ctx, message, now, ctx.say("gone_quiet"), confirmed=False)


def _record(ctx: DialogueContext, heard: str, now: datetime, before: str = "", confirmed: bool = True) -> Reply:
    ctx.record_alert(Alert(kind="emergency", message=heard, at=now, confirmed=confirmed))
    said = ctx.say("safety.alert_recorded")
    return ctx.tell(f"{before} {said}".strip(), "alert_recorded")
