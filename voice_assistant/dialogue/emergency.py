"""A call for help: guidance at once, and an alert for the care team that a word alone cannot raise.

Heard words are not sure: a recogniser turns a cough or the television into "fit" or "help" with full
confidence (measured: white noise decoded as "fit", confidence 1.0), and typed ones can be a slip too. So a
call for help gets the guidance at once (a red flag of the language pack, "chest pain", « perdu connaissance »:
call the emergency number now; a wish to die, "I want to die", « je veux en finir »: sorry, a crisis line and the
emergency number, never sugar; any other: a low's fast sugar first), then one question: « Voulez-vous que je
prévienne votre équipe de soins ? ». Yes (or asking for help again) records the alert; no records nothing; no
answer at all records it too, marked unconfirmed, because a patient who asked for help and then went silent may
no longer be able to answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from voice_assistant import records
from voice_assistant.dialogue.context import ConfirmQuestion, DialogueContext
from voice_assistant.dialogue.state import Reply
from voice_assistant.nlu import DISTRESS, RED_FLAG, Understanding
from voice_assistant.store import StoreError


@dataclass(kw_only=True)
class ConfirmAlert(ConfirmQuestion):
    """« Voulez-vous que je prévienne votre équipe de soins ? »"""

    heard: str
    distress: bool = False  #: asked after a wish to die: a no still hears the crisis line

    yes_intents = ("affirm", "emergency")

    def answer(self, ctx, u, now, asr_confidence):
        if u.intent in self.yes_intents and (u.entity(RED_FLAG) is not None or u.entity(DISTRESS) is not None):
            # "help me", then "I can't breathe" (or "I want to die"): the yes, said after its own guidance (no sugar)
            return ask_for_help(ctx, u, now, asr_confidence)
        return super().answer(ctx, u, now, asr_confidence)

    def on_yes(self, ctx, now):
        return _record(ctx, self.heard, now)

    def on_silence(self, ctx, now):
        """Asked twice and nobody answered: the alert goes to the care team, marked as such."""
        return _record(ctx, ctx.say("safety.unconfirmed_alert", heard=self.heard), now, ctx.say("gone_quiet"),
                       confirmed=False)

    def on_cancel(self, ctx):
        if self.distress:  # "no" after "I want to die": nobody alerted, and the line to call is said again
            return ctx.tell(ctx.say("safety.distress_not_alerted", line=_crisis_route(ctx)), "alert_declined")
        return ctx.tell(ctx.say("safety.alert_not_recorded", human=ctx.human_route()), "alert_declined")


def ask_for_help(ctx: DialogueContext, u: Understanding, now: datetime, asr_confidence: float | None) -> Reply:
    # a wish to die ("I want to die", « je veux en finir ») is heard with care: a crisis line and the emergency number,
    # and the patient's own people, never a low's sugar (it wins over a red flag said with it: it names the emergency
    # number too); a red flag named ("I had chest pain last night", « il a fait des convulsions ») is the emergency
    # number first and no low's sugar; any other call for help ("I feel dizzy", "ambulance") may be a low: its sugar
    # first
    distress = u.entity(DISTRESS) is not None
    human_route = ctx.say("safety.human_route", human=ctx.human_route())
    if distress:
        # (no "you can also call fifteen" after the emergency number: only the patient's own people)
        guidance = ctx.say("safety.distress", line=_crisis_route(ctx),
                           human_route=human_route if ctx.has_own_people() else "").strip()
    else:
        key = "safety.red_flag" if u.entity(RED_FLAG) is not None else "safety.emergency"
        guidance = ctx.say(key, number=ctx.emergency_number(), human_route=human_route)
    if isinstance(ctx.pending, ConfirmAlert):  # asking for help again is the yes
        return _record(ctx, ctx.pending.heard, now, guidance)
    question = ConfirmAlert(text=ctx.say("safety.confirm_alert"), heard=u.text, distress=distress)
    return ctx.ask(question, f"{guidance} {question.text}")


def _crisis_route(ctx: DialogueContext) -> str:
    """The crisis line to call day and night, and the emergency number; only the emergency number when the profile
    and the country name no crisis line."""
    crisis = ctx.crisis_line()
    if crisis:
        return ctx.say("safety.distress_line", crisis=crisis, number=ctx.emergency_number())
    return ctx.say("safety.distress_no_line", number=ctx.emergency_number())


def _record(ctx: DialogueContext, heard: str, now: datetime, before: str = "", confirmed: bool = True) -> Reply:
    try:
        records.alert(ctx.store, ctx.profile, records.EMERGENCY, heard, now, confirmed=confirmed)
    except StoreError:
        return ctx.tell(f"{before} {ctx.say('not_saved')} {ctx.say('safety.human_route', human=ctx.human_route())}"
                        .strip(), "save_failed")
    said = ctx.say("safety.alert_recorded")
    return ctx.tell(f"{before} {said}".strip(), "alert_recorded")
