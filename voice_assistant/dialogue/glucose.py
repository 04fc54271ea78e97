"""Logging a glucose reading (read back, confirm, store, safety guidance) and answering about past ones."""

from __future__ import annotations

from datetime import datetime, timedelta

from voice_assistant.dialogue.context import DialogueContext
from voice_assistant.dialogue.state import VALUE, YES_NO, DraftReading, Pending, Reply
from voice_assistant.health.glucose import GlucoseUnit
from voice_assistant.health.safety import (GlucoseAssessment, MeterExtreme, Plausibility, assess_glucose,
                                           assess_meter_extreme, check_plausibility, glucose_summary)
from voice_assistant.nlu import Understanding
from voice_assistant.reminders.engine import RECHECK_SETTING
from voice_assistant.store import Alert, Reading
from voice_assistant.sync.outbox import device_parties, enqueue_alert, enqueue_reading

CONFIRM = "confirm_reading"
ASK_VALUE = "glucose_value"
OFFER_RECHECK = "offer_recheck"


def draft_from(u: Understanding, context: str | None = None, asr_confidence: float | None = None) -> DraftReading | None:
    said = u.said.get("glucose")
    if "glucose_mg_dl" not in u.slots or not said:
        return None
    return DraftReading(
        mg_dl=float(u.slots["glucose_mg_dl"]), unit=GlucoseUnit(said["unit"]), value_said=float(said["value"]),
        words_said=said["words"], unit_said=bool(said["unit_said"]), context=u.slots.get("context", context),
        transcript=u.text, nlu_confidence=u.confidence, asr_confidence=asr_confidence)


def log_glucose(ctx: DialogueContext, u: Understanding, now: datetime, asr_confidence: float | None) -> Reply:
    if u.slots.get("meter_extreme") and "glucose_mg_dl" not in u.slots:
        return meter_extreme(ctx, u, now)
    draft = draft_from(u, asr_confidence=asr_confidence)
    if draft is None:
        return ctx.ask(Pending(ASK_VALUE, ctx.say("glucose.ask_value"), VALUE,
                               {"context": u.slots.get("context")}))
    return read_back(ctx, draft)


def read_back(ctx: DialogueContext, draft: DraftReading, prefix_key: str | None = None) -> Reply:
    """Say the value back in the patient's own unit and words; store nothing until they say yes."""
    verdict = check_plausibility(draft.mg_dl, draft.unit_said, draft.value_said)
    if verdict is Plausibility.QUESTION_RANGE:
        return _question_range(ctx, draft)
    if verdict is Plausibility.QUESTION_UNIT:
        # the bare number as said, then the unit it was taken in: « J'ai compris douze. C'est bien en ... ? »
        text = ctx.say("glucose.question_unit", value=ctx.speech.number(draft.value_said),
                       unit_name=ctx.say(f"glucose.unit_names.{draft.unit.value}"))
    else:
        context = ctx.say("glucose.read_back_context", context=ctx.speech.context(draft.context)) if draft.context else ""
        text = ctx.say("glucose.read_back", value=ctx.speech.glucose(draft.mg_dl, draft.unit), context=context)
    if prefix_key:
        text = ctx.say(prefix_key, read_back=text)
    return ctx.ask(Pending(CONFIRM, text, YES_NO, {"draft": draft}))


def _question_range(ctx: DialogueContext, draft: DraftReading) -> Reply:
    """Outside what a meter can show: never stored, the patient is asked to say it again."""
    value = ctx.speech.glucose(draft.mg_dl, draft.unit)
    return ctx.ask(Pending(ASK_VALUE, ctx.say("glucose.question_range", value=value), VALUE,
                           {"context": draft.context}))


def answer_confirmation(ctx: DialogueContext, u: Understanding, now: datetime,
                        asr_confidence: float | None) -> Reply | None:
    """The patient's answer to « C'est bien ça ? ». None: not an answer, let the manager handle it."""
    draft: DraftReading = ctx.pending.data["draft"]
    correction = draft_from(u, context=draft.context, asr_confidence=asr_confidence)
    if u.intent == "affirm" and correction is not None and correction.mg_dl == draft.mg_dl:
        correction = None  # « oui, un gramme vingt »: the same value again is a plain yes
    if correction is not None and u.intent in ("log_glucose", "deny", "affirm"):
        # « non, cent vingt-huit »: the new value replaces the first and is read back again
        return read_back(ctx, correction, prefix_key="glucose.corrected")
    if u.slots.get("meter_extreme") and u.intent == "log_glucose":
        return meter_extreme(ctx, u, now)
    if u.intent == "affirm":
        if check_plausibility(draft.mg_dl, True, draft.value_said) is Plausibility.QUESTION_RANGE:
            # the unit is now confirmed, but the value in it is out of range (« douze » grammes par litre)
            return _question_range(ctx, draft)
        return save(ctx, draft, now)
    if u.intent == "deny":
        return ctx.ask(Pending(ASK_VALUE, ctx.say("glucose.ask_again"), VALUE, {"context": draft.context}))
    return None


def answer_value(ctx: DialogueContext, u: Understanding, now: datetime, asr_confidence: float | None) -> Reply | None:
    draft = draft_from(u, context=ctx.pending.data.get("context"), asr_confidence=asr_confidence)
    if draft is None and u.slots.get("meter_extreme"):
        return meter_extreme(ctx, u, now)
    return read_back(ctx, draft) if draft else None


def save(ctx: DialogueContext, draft: DraftReading, now: datetime) -> Reply:
    """Commit the reading (and any alert) before saying it is saved, then give the safety guidance."""
    reading = Reading(
        glucose_mg_dl=draft.mg_dl, unit_said=draft.unit, value_said=draft.value_said, words_said=draft.words_said,
        measured_at=now, transcript=draft.transcript, context=draft.context, asr_confidence=draft.asr_confidence,
        nlu_confidence=draft.nlu_confidence)
    assessment = assess_glucose(draft.mg_dl, ctx.profile.glucose_targets)
    # The reading, its alert and their outbox rows commit together: the clinician gets each exactly once.
    with ctx.store.transaction():
        parties = device_parties(ctx.store, ctx.profile)
        ctx.store.add_reading(reading)
        enqueue_reading(ctx.store, reading, parties, origin="spoken" if draft.asr_confidence is not None else "typed")
        if assessment.alert_kind is not None:
            alert = Alert(kind=assessment.alert_kind.value, message=draft.transcript, at=now,
                          reading_uuid=reading.uuid)
            ctx.store.add_alert(alert)
            enqueue_alert(ctx.store, alert, parties)
    events = ["reading_saved"] + (["alert_recorded"] if assessment.alert_kind else [])
    context = ctx.say("glucose.read_back_context", context=ctx.speech.context(draft.context)) if draft.context else ""
    saved = ctx.say("glucose.saved", value=ctx.speech.glucose(draft.mg_dl, draft.unit), context=context)
    return _advise(ctx, assessment, now, [saved], events)


def meter_extreme(ctx: DialogueContext, u: Understanding, now: datetime) -> Reply:
    """« mon lecteur affiche LO »: no number to store, but the guidance comes at once and the team is told."""
    extreme = MeterExtreme(u.slots["meter_extreme"])
    assessment = assess_meter_extreme(extreme)
    ctx.record_alert(Alert(kind=assessment.alert_kind.value, message=u.text, at=now))
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
        parts.append(ctx.say("safety.offer_recheck"))
        reply = ctx.ask(Pending(OFFER_RECHECK, ctx.say("safety.offer_recheck"), YES_NO, {"at": at}), " ".join(parts))
        return Reply(reply.text, reply.expects, tuple(events))
    parts.append(ctx.say("glucose.next"))
    return ctx.tell(" ".join(parts), *events)


def answer_recheck(ctx: DialogueContext, u: Understanding, now: datetime, asr_confidence: float | None) -> Reply | None:
    at: datetime = ctx.pending.data["at"]
    if u.intent == "affirm":
        ctx.store.set_setting(RECHECK_SETTING, at.isoformat())
        return ctx.tell(ctx.say("safety.recheck_set", time=ctx.speech.time(at.strftime("%H:%M"))), "recheck_set")
    if u.intent in ("deny", "cancel"):
        return ctx.tell(ctx.say("safety.recheck_declined"))
    return None


def history(ctx: DialogueContext, u: Understanding, now: datetime, asr_confidence: float | None) -> Reply:
    period = u.slots.get("period", "last")
    s = ctx.speech
    last = ctx.store.last_reading()
    if last is None:
        return ctx.tell(ctx.say("history.none_yet"))
    unit = ctx.profile.meter_unit or last.unit_said
    if period == "last":
        return ctx.tell(ctx.say("history.last", value=s.glucose(last.glucose_mg_dl, last.unit_said),
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
