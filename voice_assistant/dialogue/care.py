"""The people around the patient and what happened earlier: the caregiver route, a reported past hypo, a
question about food sugar. Each records only after a yes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from voice_assistant import records
from voice_assistant.dialogue import glucose
from voice_assistant.dialogue.context import ConfirmQuestion, DialogueContext
from voice_assistant.dialogue.state import Reply
from voice_assistant.nlu import CARE_TEAM, Understanding
from voice_assistant.profile import Contact


@dataclass(kw_only=True)
class ConfirmCaregiverMessage(ConfirmQuestion):
    """« Voulez-vous que j'envoie un message à votre fils Marc ? »"""

    heard: str
    who: str  #: whom the message is for, as the offer named them

    unsaved_key = "unsaved.message"
    yes_intents = ("affirm", "call_caregiver")

    def on_yes(self, ctx, now):
        records.alert(ctx.store, ctx.profile, records.CAREGIVER_MESSAGE, self.heard, now, confirmed=True)
        return ctx.tell(ctx.say("caregiver.sent", who=self.who), "message_queued")

    def on_no(self, ctx, now):
        return ctx.tell(ctx.say("caregiver.not_sent"))


@dataclass(kw_only=True)
class ConfirmHypo(ConfirmQuestion):
    """« Vous avez fait une hypoglycémie cette nuit. Je le note pour votre équipe de soins ? »"""

    heard: str
    at: datetime
    advised: bool = False  #: the low's guidance was said before the question (not said twice)

    help_key = "help.confirm"
    unsaved_key = "unsaved.hypo"

    def on_yes(self, ctx, now):
        records.alert(ctx.store, ctx.profile, records.REPORTED_HYPO, self.heard, self.at, confirmed=True)
        return ctx.tell(f"{ctx.say('hypo.noted')} {self._advice(ctx)}".strip(), "alert_recorded")

    def on_no(self, ctx, now):
        return ctx.tell(f"{ctx.say('hypo.not_noted')} {self._advice(ctx)}".strip())

    def _advice(self, ctx) -> str:
        return "" if self.advised else ctx.say("hypo.advice", human=ctx.human_route())


def _contacts(ctx: DialogueContext, care_team_first: bool = False) -> list[Contact]:
    """The people the patient can call, in the order they are offered: the caregiver, then the doctor (the doctor
    first when the patient asked for the care team: "call my doctor")."""
    order = (ctx.profile.doctor, ctx.profile.caregiver) if care_team_first else (ctx.profile.caregiver,
                                                                                  ctx.profile.doctor)
    return [c for c in order if c and c.name]


def _who(ctx: DialogueContext, contact: Contact | None = None) -> str:
    """« votre fils Marc », else the doctor, else "your care team"."""
    contact = contact or next(iter(_contacts(ctx)), None)
    if contact is None:
        return ctx.say("caregiver.care_team")
    relation = contact.relation.get(ctx.lang)
    return ctx.say("speech.contact", relation=relation, name=contact.name) if relation else contact.name


def call_caregiver(ctx: DialogueContext, u: Understanding, now: datetime, asr_confidence: float | None) -> Reply:
    """The assistant cannot call: it says whom to call and the number, and offers to leave a message. "Call my
    doctor" names the doctor first, "call my son" (or no one named) the caregiver."""
    contact = next(iter(_contacts(ctx, care_team_first=u.entity(CARE_TEAM) is not None)), None)
    if contact is None:
        return ctx.tell(ctx.say("caregiver.nobody", number=ctx.emergency_number()))
    who = _who(ctx, contact)
    digits = "".join(d for d in contact.phone if d.isascii() and d.isdigit())
    if digits:
        text = ctx.say("caregiver.call", who=who, number=ctx.speech.digits(digits))
    else:
        text = ctx.say("caregiver.call_no_number", who=who)
    question = ConfirmCaregiverMessage(text=ctx.say("caregiver.offer", who=who), heard=u.text, who=who)
    return ctx.ask(question, f"{text} {question.text}")


def report_hypo(ctx: DialogueContext, u: Understanding, now: datetime, asr_confidence: float | None) -> Reply:
    """« J'ai fait une hypo cette nuit »: read back with when, noted for the care team after a yes."""
    if u.slots.get("meter_extreme") == "HI":  # "was it high": a display read out, not a low
        return glucose.log_glucose(ctx, u, now, asr_confidence)
    if u.when is not None and u.when.is_future(now, ctx.profile.zone):
        return ctx.tell(ctx.say("glucose.future"), "future_refused")
    at, when_words = ctx.moment(u.when, now)
    when = ctx.say("hypo.read_back_when", when=when_words) if when_words else ""
    question = ConfirmHypo(text=ctx.say("hypo.read_back", when=when), heard=u.text, at=at, advised=u.when is None)
    if u.when is None:
        # no time said (« je suis en hypo, je suis toute tremblante », "I'm having a low"): it may be now, so what to
        # do comes before the question, not after the answer
        return ctx.ask(question, f"{ctx.say('hypo.advice', human=ctx.human_route())} {question.text}")
    return ctx.ask(question)


def sugar_question(ctx: DialogueContext, u: Understanding, now: datetime, asr_confidence: float | None) -> Reply:
    """Food sugar is not a dose: the rule of fifteen for a low, the care team for everyday eating."""
    return ctx.tell(ctx.say("safety.sugar", human=ctx.human_route()), "sugar_advice")


def value_question(ctx: DialogueContext, u: Understanding) -> str:
    """"Is 180 too high?", "what if my sugar is 300?": the range the care team set, who can say what a value means,
    how to note one; for a low asked about, the rule of fifteen first (what every patient is taught)."""
    targets = ctx.profile.glucose_targets
    value = u.glucose
    unit = value.unit if value is not None else ctx.reply_unit  # the range in the unit of the number asked about
    if value is not None and value.mg_dl < targets.low:
        return ctx.say("safety.sugar", human=ctx.human_route())
    return ctx.say("value_question", low=ctx.speech.glucose(targets.target_low, unit),
                   high=ctx.speech.glucose(targets.target_high, unit), human=ctx.human_route())

