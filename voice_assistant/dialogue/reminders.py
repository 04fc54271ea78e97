"""Setting, listing and cancelling medication reminders by voice; recording a dose taken."""

from __future__ import annotations

from datetime import datetime

from voice_assistant.dialogue.context import DialogueContext
from voice_assistant.dialogue.state import VALUE, YES_NO, Pending, Reply
from voice_assistant.nlu import Understanding
from voice_assistant.store import MedicationEvent, Reminder
from voice_assistant.sync.outbox import device_parties, enqueue_dose, enqueue_reminder_plan

CONFIRM = "confirm_reminder"
ASK_SLOTS = "reminder_slots"
CONFIRM_CANCEL = "confirm_cancel"
ASK_TAKEN_WHICH = "taken_which"


def set_reminder(ctx: DialogueContext, u: Understanding, now: datetime, asr_confidence: float | None) -> Reply:
    return _continue(ctx, u.slots.get("medication"), u.slots.get("time"))


def _continue(ctx: DialogueContext, medication: str | None, time: str | None) -> Reply:
    """Ask for what is missing, then read the whole reminder back before storing it."""
    if medication and ctx.profile.medication(medication) is None:
        medication = None
    if not medication:
        return ctx.ask(Pending(ASK_SLOTS, ctx.say("reminders.ask_medication"), VALUE, {"time": time}))
    if not time:
        return ctx.ask(Pending(ASK_SLOTS, ctx.say("reminders.ask_time"), VALUE, {"medication": medication}))
    name = ctx.medication_name(medication)
    for existing in ctx.store.active_reminders():
        if existing.medication_id == medication and existing.time_of_day == time:
            return ctx.tell(ctx.say("reminders.already", medication=name, time=ctx.speech.time(time)))
    text = ctx.say("reminders.read_back", medication=name, time=ctx.speech.time(time))
    return ctx.ask(Pending(CONFIRM, text, YES_NO, {"medication": medication, "time": time}))


def answer_slots(ctx: DialogueContext, u: Understanding, now: datetime, asr_confidence: float | None) -> Reply | None:
    data = ctx.pending.data
    medication = u.slots.get("medication") or data.get("medication")
    time = u.slots.get("time") or data.get("time")
    if (medication, time) == (data.get("medication"), data.get("time")):
        return None  # nothing new in the answer
    return _continue(ctx, medication, time)


def answer_confirmation(ctx: DialogueContext, u: Understanding, now: datetime,
                        asr_confidence: float | None) -> Reply | None:
    data = ctx.pending.data
    if u.intent == "affirm":
        med = ctx.profile.medication(data["medication"])
        dose = med.dose.get(ctx.lang) if med else None
        with ctx.store.transaction():  # the plan and its outbox row, together
            reminder = ctx.store.add_reminder(data["medication"], data["time"], dose_text=dose)
            enqueue_reminder_plan(ctx.store, reminder, device_parties(ctx.store, ctx.profile))
        return ctx.tell(ctx.say("reminders.saved", medication=ctx.medication_name(data["medication"]),
                                time=ctx.speech.time(data["time"])), "reminder_saved")
    if u.slots.get("time") or u.slots.get("medication"):  # « non, à neuf heures »
        return _continue(ctx, u.slots.get("medication") or data["medication"], u.slots.get("time") or data["time"])
    if u.intent == "deny":
        return ctx.ask(Pending(ASK_SLOTS, ctx.say("reminders.ask_time"), VALUE, {"medication": data["medication"]}))
    return None


def _items(ctx: DialogueContext, reminders: list[Reminder]) -> str:
    return ctx.speech.join([ctx.say("reminders.item", medication=ctx.medication_name(r.medication_id),
                                    time=ctx.speech.time(r.time_of_day)) for r in reminders])


def list_reminders(ctx: DialogueContext, u: Understanding, now: datetime, asr_confidence: float | None) -> Reply:
    return ctx.tell(_list_text(ctx))


def _list_text(ctx: DialogueContext) -> str:
    reminders = sorted(ctx.store.active_reminders(), key=lambda r: r.time_of_day)
    if not reminders:
        return ctx.say("reminders.none")
    if len(reminders) == 1:
        return ctx.say("reminders.list_one", items=_items(ctx, reminders))
    return ctx.say("reminders.list_many", count=ctx.speech.number(len(reminders)), items=_items(ctx, reminders))


def cancel_reminder(ctx: DialogueContext, u: Understanding, now: datetime, asr_confidence: float | None) -> Reply:
    medication, time = u.slots.get("medication"), u.slots.get("time")
    active = ctx.store.active_reminders()
    matching = [r for r in active if (not medication or r.medication_id == medication)
                and (not time or r.time_of_day == time)]
    if not active:
        return ctx.tell(ctx.say("reminders.none"))
    if not (medication or time) and len(active) == 1:
        matching = active  # only one it can be: read it back
    elif not (medication or time):
        return ctx.ask(Pending(ASK_SLOTS + "_cancel", ctx.say("reminders.cancel_which", list=_list_text(ctx)), VALUE))
    if not matching:
        return ctx.tell(ctx.say("reminders.cancel_none", list=_list_text(ctx)))
    if len(matching) == 1:
        r = matching[0]
        text = ctx.say("reminders.cancel_read_back", medication=ctx.medication_name(r.medication_id),
                       time=ctx.speech.time(r.time_of_day))
    else:
        text = ctx.say("reminders.cancel_read_back_many", count=ctx.speech.number(len(matching)),
                       items=_items(ctx, matching))
    return ctx.ask(Pending(CONFIRM_CANCEL, text, YES_NO, {"ids": [r.id for r in matching]}))


def answer_cancel_which(ctx: DialogueContext, u: Understanding, now: datetime,
                        asr_confidence: float | None) -> Reply | None:
    if u.slots.get("medication") or u.slots.get("time"):
        return cancel_reminder(ctx, u, now, asr_confidence)
    return None


def answer_cancel_confirmation(ctx: DialogueContext, u: Understanding, now: datetime,
                               asr_confidence: float | None) -> Reply | None:
    if u.intent == "affirm":
        with ctx.store.transaction():
            cancelled = [r for rid in ctx.pending.data["ids"] for r in ctx.store.cancel_reminders(reminder_id=rid)]
            parties = device_parties(ctx.store, ctx.profile)
            for reminder in cancelled:
                enqueue_reminder_plan(ctx.store, reminder, parties)
        if len(cancelled) == 1:
            r = cancelled[0]
            return ctx.tell(ctx.say("reminders.cancelled", medication=ctx.medication_name(r.medication_id),
                                    time=ctx.speech.time(r.time_of_day)), "reminder_cancelled")
        return ctx.tell(ctx.say("reminders.cancelled_many", count=ctx.speech.number(len(cancelled))),
                        "reminder_cancelled")
    if u.intent == "deny":
        return ctx.tell(ctx.say("reminders.cancel_kept"))
    return None


def medication_taken(ctx: DialogueContext, u: Understanding, now: datetime, asr_confidence: float | None) -> Reply:
    medication = u.slots.get("medication")
    at = _taken_at(ctx, u.slots.get("time"), now)
    if not medication:
        return ctx.ask(Pending(ASK_TAKEN_WHICH, ctx.say("medication.taken_which"), VALUE, {"at": at}))
    return _record_taken(ctx, medication, at)


def _taken_at(ctx: DialogueContext, time: str | None, now: datetime) -> datetime:
    """« j'ai pris ma metformine à huit heures »: that time today if it has passed, else now."""
    if not time:
        return now
    hour, minute = (int(x) for x in time.split(":"))
    local = now.astimezone(ctx.profile.zone)
    at = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return at if at <= local else now


def _record_taken(ctx: DialogueContext, medication: str, at: datetime) -> Reply:
    event = MedicationEvent(medication_id=medication, status="taken", at=at, source="voice")
    with ctx.store.transaction():
        ctx.store.add_medication_event(event)
        enqueue_dose(ctx.store, event, device_parties(ctx.store, ctx.profile))
    return ctx.tell(ctx.say("medication.taken", medication=ctx.medication_name(medication)), "dose_taken")


def answer_taken_which(ctx: DialogueContext, u: Understanding, now: datetime,
                       asr_confidence: float | None) -> Reply | None:
    if u.slots.get("medication"):
        return _record_taken(ctx, u.slots["medication"], ctx.pending.data.get("at", now))
    if u.intent == "deny":
        return ctx.tell(ctx.say("medication.taken_skipped"))
    return None
