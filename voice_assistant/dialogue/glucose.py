"""Logging a glucose reading (read back, confirm, store, safety guidance) and answering about past ones."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from voice_assistant import records
from voice_assistant.dialogue.context import ConfirmQuestion, DialogueContext, Question
from voice_assistant.dialogue.state import VALUE, Reply
from voice_assistant.health.glucose import GlucoseUnit, GlucoseValue, is_plausible
from voice_assistant.health.safety import (GlucoseAssessment, MeterExtreme, Plausibility, assess_meter_extreme,
                                           check_plausibility, glucose_summary)
from voice_assistant.nlu import Understanding
from voice_assistant.nlu.understand import UNIT
from voice_assistant.reminders.engine import RECHECK_SETTING
from voice_assistant.store import Reading, StoreError

__all__ = ["AskValue", "ConfirmMeterExtreme", "ConfirmReading", "OfferRecheck", "RECHECK_SETTING", "history",
           "log_glucose"]


@dataclass(kw_only=True)
class ConfirmReading(ConfirmQuestion):
    """« J'ai compris un gramme vingt, hier soir. C'est bien ça ? »: nothing is stored before the yes."""

    value: GlucoseValue
    context: str | None
    measured_at: datetime
    when_words: str  #: how the moment was said back ("" for now)
    transcript: str
    nlu_confidence: float
    asr_confidence: float | None

    help_key = "help.confirm"
    unsaved_key = "unsaved.reading"
    takes_value = True

    no_intents = ("deny",)

    def correction(self, ctx, u, now, asr_confidence):
        correction = _value_in_context(u, self.value)
        if u.intent == "affirm" and correction is not None and likely_unit(correction).mg_dl == self.value.mg_dl:
            correction = None  # « oui, un gramme vingt »: the same value again is a plain yes
        if correction is not None and u.intent in ("log_glucose", "deny", "affirm"):
            # « non, cent vingt-huit »: the new value replaces the first and is read back again
            return read_back(ctx, u, correction, now, asr_confidence, prefix_key="glucose.corrected",
                             context=u.slots.get("context", self.context), base=self)
        return None

    def on_yes(self, ctx, now):
        if check_plausibility(self.value.mg_dl, True, self.value.value) is Plausibility.QUESTION_RANGE:
            # the unit is now confirmed, but the value in it is out of range (« douze » grammes par litre)
            return _question_range(ctx, self.value, self.context)
        return save(ctx, self, now)

    def on_no(self, ctx, now):
        return ctx.ask(AskValue(text=ctx.say("glucose.ask_again"), context=self.context,
                                measured_at=self.measured_at, when_words=self.when_words, replaces=self.value))


@dataclass(kw_only=True)
class AskValue(Question):
    """« Quelle est la valeur de votre glycémie ? »"""

    context: str | None = None
    measured_at: datetime | None = None
    when_words: str = ""
    replaces: GlucoseValue | None = None  #: the value the patient said was wrong: its unit carries over

    expects = VALUE
    help_key = "help.ask_value"
    takes_value = True

    def answer(self, ctx, u, now, asr_confidence):
        if u.glucose is not None and u.intent in ("log_glucose", "affirm", "deny", "none"):
            value = _value_in_context(u, self.replaces)
            return read_back(ctx, u, value, now, asr_confidence, context=u.slots.get("context", self.context),
                             base=self)
        extreme = u.slots.get("meter_extreme") or u.entity("meter_extreme")
        if extreme:  # asked for the reading, « LO » is the display
            return _confirm_extreme(ctx, MeterExtreme(extreme), u.text)
        return None


@dataclass(kw_only=True)
class ConfirmMeterExtreme(ConfirmQuestion):
    """« Votre lecteur affiche LO, c'est bien ça ? »: a word alone (« high », "hi there") alerts no one."""

    extreme: MeterExtreme
    heard: str

    unsaved_key = "unsaved.alert"
    no_intents = ("deny",)

    def correction(self, ctx, u, now, asr_confidence):
        if u.glucose is not None and u.intent == "log_glucose":  # the number, after all: read back as a reading
            return log_glucose(ctx, u, now, asr_confidence)
        return None

    def on_yes(self, ctx, now):
        return meter_extreme(ctx, self.extreme, self.heard, now)

    def on_no(self, ctx, now):
        said = ctx.say("glucose.meter_not_noted")
        if self.extreme is MeterExtreme.LO:
            # "I think my sugar is low" is as much a low felt as a display read: nothing noted, but what to do about a
            # low and whom to call are said all the same (a patient who feels low must not be left with a question)
            said += " " + ctx.say("safety.emergency", number=ctx.emergency_number(),
                                  human_route=ctx.say("safety.human_route", human=ctx.human_route()))
        return ctx.tell(said)


@dataclass(kw_only=True)
class OfferRecheck(ConfirmQuestion):
    """« Voulez-vous que je vous le rappelle dans quinze minutes ? »"""

    at: datetime

    def on_yes(self, ctx, now):
        ctx.store.set_setting(RECHECK_SETTING, self.at.isoformat())
        return ctx.tell(ctx.say("safety.recheck_set", time=ctx.speech.time(self.at.strftime("%H:%M"))),
                        "recheck_set")

    def on_no(self, ctx, now):
        return ctx.tell(ctx.say("safety.recheck_declined"))


def _value_in_context(u: Understanding, before: GlucoseValue | None) -> GlucoseValue | None:
    """The value said, in the unit of the value it corrects when no unit was said: « non, 6,8 » after
    « 6,2 mmol » is 6,8 mmol/L, unless the number cannot be read in that unit (« non, cent vingt »)."""
    value = u.glucose
    if value is None or value.unit_said or before is None or not before.unit_said:
        return value  # a unit only guessed is guessed again for the new number
    again = value.in_unit(before.unit, before.unit_said)
    return again if is_plausible(again.mg_dl) else value


def log_glucose(ctx: DialogueContext, u: Understanding, now: datetime, asr_confidence: float | None) -> Reply:
    if u.slots.get("meter_extreme") and u.glucose is None:
        return _confirm_extreme(ctx, MeterExtreme(u.slots["meter_extreme"]), u.text)
    if u.when is not None and u.when.is_future(now, ctx.profile.zone):
        return ctx.tell(ctx.say("glucose.future"), "future_refused")
    if u.glucose is None:
        at, words = ctx.moment(u.when, now)
        return ctx.ask(AskValue(text=ctx.say("glucose.ask_value"), context=u.slots.get("context"),
                                measured_at=at if u.when else None, when_words=words))
    return read_back(ctx, u, u.glucose, now, asr_confidence, context=u.slots.get("context"))


def read_back(ctx: DialogueContext, u: Understanding, value: GlucoseValue, now: datetime,
              asr_confidence: float | None, context: str | None, prefix_key: str | None = None,
              base: Question | None = None) -> Reply:
    """Say the value back in the patient's own unit and words, with when it was taken; store nothing yet."""
    if not value.physical:  # 400 digits, 0.001: no reading at all; never read back as one
        return ctx.ask(AskValue(text=ctx.say("glucose.impossible"), context=context))
    if u.when is not None and u.when.is_future(now, ctx.profile.zone):
        return ctx.tell(ctx.say("glucose.future"), "future_refused")
    if u.when is not None:
        at, when_words = ctx.moment(u.when, now)
    else:  # the moment said with the request, or while correcting it, still holds
        at = getattr(base, "measured_at", None) or now
        when_words = getattr(base, "when_words", "")
    verdict = check_plausibility(value.mg_dl, value.unit_said, value.value)
    if verdict is Plausibility.QUESTION_UNIT:
        value = likely_unit(value)
    if verdict is Plausibility.QUESTION_RANGE:
        return _question_range(ctx, value, context)
    if verdict is Plausibility.QUESTION_UNIT:
        # the bare number as said, then the unit it was taken in: « J'ai compris douze. C'est bien en ... ? »
        text = ctx.say("glucose.question_unit", value=ctx.speech.number(value.value),
                       unit_name=ctx.say(f"glucose.unit_names.{value.unit.value}"))
    else:
        text = ctx.say("glucose.read_back", value=ctx.speech.glucose(value.mg_dl, value.unit),
                       context=_context_words(ctx, context), when=_when_words(ctx, when_words))
    if prefix_key:
        text = ctx.say(prefix_key, read_back=text)
    return ctx.ask(ConfirmReading(text=text, value=value, context=context, measured_at=at, when_words=when_words,
                                  transcript=u.text, nlu_confidence=u.confidence, asr_confidence=asr_confidence))


def likely_unit(value: GlucoseValue) -> GlucoseValue:
    """A bare small number in the unit it is asked in: the unit guessed (the meter's, else the language's), unless
    the number is no reading in it but is one in another unit a bare small number can be in (« sept » is no 7 g/L,
    it may be 7 mmol/L; "0.9" no 0.9 mmol/L, it may be 0.9 g/L): the question then names that unit."""
    if value.unit_said or is_plausible(value.mg_dl):
        return value
    for unit in (GlucoseUnit.MMOL_L, GlucoseUnit.G_L):  # mg/dL: a bare number under 35 is never one
        other = value.in_unit(unit, False)
        if unit is not value.unit and is_plausible(other.mg_dl):
            return other
    return value


def _context_words(ctx: DialogueContext, context: str | None) -> str:
    return ctx.say("glucose.read_back_context", context=ctx.speech.context(context)) if context else ""


def _when_words(ctx: DialogueContext, words: str) -> str:
    return ctx.say("glucose.read_back_when", when=words) if words else ""


def _question_range(ctx: DialogueContext, value: GlucoseValue, context: str | None) -> Reply:
    """Outside what a meter can show: never stored, the patient is asked to say it again."""
    said = ctx.speech.glucose(value.mg_dl, value.unit)
    return ctx.ask(AskValue(text=ctx.say("glucose.question_range", value=said), context=context))


def save(ctx: DialogueContext, q: ConfirmReading, now: datetime) -> Reply:
    """Commit the reading (and any alert) before saying it is saved, then give the safety guidance."""
    try:
        done = records.reading(ctx.store, ctx.profile, q.value, measured_at=q.measured_at, transcript=q.transcript,
                               context=q.context, asr_confidence=q.asr_confidence, nlu_confidence=q.nlu_confidence)
    except StoreError:
        return ctx.tell(ctx.say("not_saved"), "save_failed")
    events = ["reading_saved"] + (["alert_recorded"] if done.alert else [])
    saved = ctx.say("glucose.saved", value=ctx.speech.glucose(q.value.mg_dl, q.value.unit),
                    context=_context_words(ctx, q.context), when=_when_words(ctx, q.when_words))
    if q.when_words and q.measured_at < now - timedelta(hours=1):
        # a value from hours ago: its guidance is about then; a low then means checking now
        if done.assessment.advise_fast_sugar:
            return ctx.tell(" ".join([saved, ctx.say("safety.past_low"), ctx.say("glucose.next")]), *events)
    return _advise(ctx, done.assessment, now, [saved], events)


def _confirm_extreme(ctx: DialogueContext, extreme: MeterExtreme, heard: str) -> Reply:
    key = "glucose.confirm_hi" if extreme is MeterExtreme.HI else "glucose.confirm_lo"
    return ctx.ask(ConfirmMeterExtreme(text=ctx.say(key), extreme=extreme, heard=heard))


def meter_extreme(ctx: DialogueContext, extreme: MeterExtreme, heard: str, now: datetime) -> Reply:
    """« mon lecteur affiche LO », confirmed: no number to store, the guidance, and the team is told."""
    assessment = assess_meter_extreme(extreme)
    try:
        records.alert(ctx.store, ctx.profile, assessment.alert_kind.value, heard, now, confirmed=True)
    except StoreError:
        return ctx.tell(ctx.say("not_saved"), "save_failed")
    said = ctx.say("glucose.meter_hi" if extreme is MeterExtreme.HI else "glucose.meter_lo")
    return _advise(ctx, assessment, now, [said], ["meter_extreme", "alert_recorded"], alert_said=True)


def _advise(ctx: DialogueContext, assessment: GlucoseAssessment, now: datetime, parts: list[str],
            events: list[str], alert_said: bool = False) -> Reply:
    """What to do about the value: fast sugar, the emergency number, the clinician's high instruction."""
    if assessment.advise_fast_sugar:
        parts.append(ctx.say("safety.low"))
    if assessment.advise_emergency_call:
        caregiver = ctx.profile.caregiver
        if caregiver and caregiver.name:
            parts.append(ctx.say("safety.severe", number=ctx.emergency_number(), caregiver=caregiver.name))
        else:
            parts.append(ctx.say("safety.severe_no_caregiver", number=ctx.emergency_number()))
    if assessment.use_high_instruction:
        instruction = ctx.profile.high_glucose_instruction.get(ctx.lang, "")
        parts.append(ctx.say("safety.high", instruction=instruction).strip())
    if alert_said and not assessment.advise_emergency_call:
        parts.append(ctx.say("safety.alert_recorded"))
    if assessment.offer_recheck_reminder_minutes:
        at = now + timedelta(minutes=assessment.offer_recheck_reminder_minutes)
        offer = ctx.say("safety.offer_recheck")
        parts.append(offer)
        return ctx.ask(OfferRecheck(text=offer, at=at), " ".join(parts), *events)
    parts.append(ctx.say("glucose.next"))
    return ctx.tell(" ".join(parts), *events)


def _reply_unit(ctx: DialogueContext, u: Understanding, readings: list[Reading]) -> GlucoseUnit:
    """The unit asked for ("in mmol"), else the patient's meter, else the unit the patient uses most in
    these readings, else the language's usual one: never simply the unit said last."""
    asked = u.entity(UNIT)
    if asked is not None:
        return asked
    if ctx.profile.meter_unit is not None:
        return ctx.profile.meter_unit
    counts = Counter(r.unit_said for r in readings).most_common(2)
    if counts and (len(counts) == 1 or counts[0][1] > counts[1][1]):
        return counts[0][0]
    return ctx.default_unit


def correct_reading(ctx: DialogueContext, u: Understanding, now: datetime, asr_confidence: float | None) -> Reply:
    """"Delete my last reading", « ma dernière glycémie était fausse »: a saved reading is the care team's record (it
    may be sent already); the assistant says it cannot change it, which one it is, and who can."""
    last = ctx.store.last_reading()
    if last is None:
        return ctx.tell(ctx.say("history.none_yet"))
    unit = _reply_unit(ctx, u, ctx.store.readings(limit=20))
    return ctx.tell(ctx.say("history.cannot_change", value=ctx.speech.glucose(last.glucose_mg_dl, unit),
                            when=ctx.speech.when(last.measured_at, now), human=ctx.human_route()), "change_refused")


def history(ctx: DialogueContext, u: Understanding, now: datetime, asr_confidence: float | None) -> Reply:
    period = u.slots.get("period", "last")
    s = ctx.speech
    last = ctx.store.last_reading()
    if last is None:
        return ctx.tell(ctx.say("history.none_yet"))
    if period == "last":
        unit = _reply_unit(ctx, u, ctx.store.readings(limit=20))
        return ctx.tell(ctx.say("history.last", value=s.glucose(last.glucose_mg_dl, unit),
                                when=s.when(last.measured_at, now)))
    local_now = now.astimezone(ctx.profile.zone)
    midnight = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
    since, until = {
        "today": (midnight, None),
        "yesterday": (midnight - timedelta(days=1), midnight),
        "week": (local_now - timedelta(days=7), None),
        "month": (local_now - timedelta(days=30), None),
    }[period]
    readings = ctx.store.readings(since=since, until=until)
    if not readings:
        return ctx.tell(ctx.say("history.none_in_period", period=s.period(period)))
    unit = _reply_unit(ctx, u, readings)
    count_words = (ctx.say("history.one_reading") if len(readings) == 1
                   else ctx.say("history.many_readings", count=s.number(len(readings))))
    if len(readings) == 1 or (period in ("today", "yesterday") and len(readings) <= 4):
        values = s.join([ctx.say("history.item", value=s.glucose(r.glucose_mg_dl, unit),
                                 when=s.when(r.measured_at, now)) for r in reversed(readings)])
        return ctx.tell(ctx.say("history.day", period=s.period_phrase(period), count_words=count_words,
                                values=values))
    summary = glucose_summary([r.glucose_mg_dl for r in readings], ctx.profile.glucose_targets)
    text = ctx.say("history.summary", period=s.period_phrase(period), count_words=count_words,
                   average=s.glucose(summary.average, unit), lowest=s.glucose(summary.lowest, unit),
                   highest=s.glucose(summary.highest, unit))
    if summary.time_in_range_percent is not None and len(readings) > 1:
        text += " " + ctx.say("history.in_range", percent=s.number(summary.time_in_range_percent))
    return ctx.tell(text)
