"""Setting, listing and cancelling medication reminders by voice; a dose taken; "did I take ...?"."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from voice_assistant import records
from voice_assistant.dialogue.context import ConfirmQuestion, DialogueContext, Question
from voice_assistant.dialogue.state import VALUE, Reply
from voice_assistant.nlu import DAY_PART, DELAY, QUANTITY, Understanding
from voice_assistant.reminders.schedule import local_instant, runs_on
from voice_assistant.store import MedicationEvent, Reminder

#: The delays a one-off reminder may be asked with, in minutes ("in 30 minutes"): from one minute to a day ahead
#: (« dans zéro minute », "in 30 hours" are asked again, never set as something else)
DELAY_MINUTES = (1, 24 * 60)


# --- questions ------------------------------------------------------------------------------------------

@dataclass(kw_only=True)
class ConfirmReminder(ConfirmQuestion):
    """« Un rappel pour votre metformine, tous les jours à huit heures. C'est bien ça ? »"""

    medication: str
    time: str
    once_at: datetime | None = None  #: a one-off reminder ("in 30 minutes"): the instant it rings, in the patient's zone

    help_key = "help.confirm"
    unsaved_key = "unsaved.reminder"
    no_intents = ("deny",)

    @property
    def awaits_time(self) -> bool:
        return True  # « non, à neuf heures »

    def correction(self, ctx, u, now, asr_confidence):
        # « non, à neuf heures », « non, dans une heure »; a yes that names a time (« oui, à huit heures ») is a yes
        delay = u.entity(DELAY) if not u.slots.get("time") else None
        if u.intent in ("set_medication_reminder", "deny", "none") and (
                u.slots.get("time") or u.slots.get("medication") or delay is not None):
            time = u.slots.get("time") or (None if delay is not None or self.once_at else self.time)
            return _continue(ctx, u.slots.get("medication") or self.medication, time, now=now,
                             delay=delay, once_at=None if time or delay is not None else self.once_at)
        return None

    def on_yes(self, ctx, now):
        med = ctx.profile.medication(self.medication)
        days = self.once_at.date().isoformat() if self.once_at else "daily"
        records.reminder_set(ctx.store, ctx.profile, self.medication, self.time,
                             dose_text=med.dose.get(ctx.lang) if med else None, days=days)
        name = ctx.medication_name(self.medication)
        if self.once_at is not None:
            return ctx.tell(ctx.say("reminders.saved_once", medication=name, day=_day(ctx, self.once_at, now),
                                    time=ctx.speech.time(self.time)), "reminder_saved")
        return ctx.tell(ctx.say("reminders.saved", medication=name, time=ctx.speech.time(self.time)),
                        "reminder_saved")

    def on_no(self, ctx, now):
        return ctx.ask(AskReminderSlots(text=ctx.say("reminders.ask_time"), medication=self.medication))


@dataclass(kw_only=True)
class AskReminderSlots(Question):
    """« Pour quel médicament ? » / « À quelle heure ? »: what the reminder still lacks."""

    medication: str | None = None
    time: str | None = None
    day_part: str | None = None  #: "pm" when the request said "at night" without an hour: "at ten" is 22:00
    once_at: datetime | None = None  #: a one-off reminder's instant ("in 30 minutes"), kept while the medicine is asked

    expects = VALUE

    @property
    def awaits_time(self) -> bool:
        # asked the time, or asked the medicine of a reminder that has no time yet ("at eight", answered to « which
        # medicine? », is the reminder's time, kept while the medicine is asked again; never a glucose value)
        return self.time is None and self.once_at is None

    def help(self, ctx):
        key = "help.ask_time" if self.medication else "help.ask_medication"
        return ctx.say(key, example=ctx.example_medication())

    def answer(self, ctx, u, now, asr_confidence):
        if u.intent not in ("set_medication_reminder", "none", "affirm", "deny", "medication_taken", "log_glucose"):
            return None  # another request (« annule le rappel... ») is not an answer
        medication = u.slots.get("medication") or self.medication
        time = u.slots.get("time")
        if time is not None and u.entity(DAY_PART) is None:
            time = in_day_part(time, self.day_part)  # « le tahor le soir » ... « à dix » : 22:00
        delay = u.entity(DELAY) if time is None else None  # « à quelle heure ? » ... "in an hour"
        once_at = None if time is not None or delay is not None else self.once_at
        time = time or (None if delay is not None else self.time)
        if (medication, time, once_at) == (self.medication, self.time, self.once_at) and delay is None:
            return None  # nothing new in the answer
        return _continue(ctx, medication, time, u.entity(DAY_PART) or self.day_part, now=now, delay=delay,
                         once_at=once_at)


@dataclass(kw_only=True)
class AskWhichToCancel(Question):
    """« Lequel voulez-vous supprimer ? »"""

    expects = VALUE
    help_key = "help.cancel_which"

    def answer(self, ctx, u, now, asr_confidence):
        if u.intent in ("cancel_reminder", "set_medication_reminder", "none", "medication_taken") and (
                u.slots.get("medication") or u.slots.get("time")):
            return cancel_reminder(ctx, u, now, asr_confidence)
        return None


@dataclass(kw_only=True)
class ConfirmCancel(ConfirmQuestion):
    """« Je supprime le rappel de votre metformine à huit heures. C'est bien ça ? » (one, several or all)"""

    ids: list[int] = field(default_factory=list)

    unsaved_key = "unsaved.cancel"

    def on_yes(self, ctx, now):
        cancelled = records.reminders_cancelled(ctx.store, ctx.profile, self.ids)
        if len(cancelled) == 1:
            r = cancelled[0]
            return ctx.tell(ctx.say("reminders.cancelled", medication=ctx.medication_name(r.medication_id),
                                    time=ctx.speech.time(r.time_of_day)), "reminder_cancelled")
        return ctx.tell(ctx.say("reminders.cancelled_many", count=ctx.speech.number(len(cancelled))),
                        "reminder_cancelled")

    def on_cancel(self, ctx):
        return ctx.tell(ctx.say("reminders.cancel_kept" if len(self.ids) == 1 else "reminders.cancel_kept_many"))


@dataclass(kw_only=True)
class ConfirmDose(ConfirmQuestion):
    """« Vous avez pris votre metformine ce matin. Je le note ? »: a dose is noted only after a yes."""

    medication: str
    at: datetime
    when_words: str
    amount: str = ""  #: the quantity said ("12 units"), which is not noted: the read-back says so

    help_key = "help.confirm"
    unsaved_key = "unsaved.dose"

    def correction(self, ctx, u, now, asr_confidence):
        if u.intent in ("medication_taken", "none") and u.slots.get("medication"):  # « non, le Lantus »
            return _read_back_dose(ctx, u.slots["medication"], self.at, self.when_words, self.amount)
        return None

    def on_yes(self, ctx, now):
        event = MedicationEvent(medication_id=self.medication, status="taken", at=self.at, source="voice")
        records.dose(ctx.store, ctx.profile, event)
        return ctx.tell(ctx.say("medication.taken", medication=ctx.medication_name(self.medication)), "dose_taken")

    def on_no(self, ctx, now):
        return ctx.tell(ctx.say("medication.taken_skipped"))


@dataclass(kw_only=True)
class AskDoseWhich(Question):
    """« Quel médicament avez-vous pris ? »: the answer is read back too, never noted at once."""

    at: datetime
    when_words: str
    amount: str = ""  #: the quantity said with the dose (ConfirmDose.amount)

    expects = VALUE
    help_key = "help.ask_medication"
    unsaved_key = "unsaved.dose"

    def answer(self, ctx, u, now, asr_confidence):
        if u.intent == "set_medication_reminder" and "time" in u.slots:
            # "I need to take my lantus at ten": a reminder asked for, with its hour, is another request (the medicine
            # it names was not taken: « You took your insulin glargine. Shall I note it? » was the answer before)
            return None
        if u.slots.get("medication") and u.intent in ("medication_taken", "none", "set_medication_reminder",
                                                       "affirm"):
            return _read_back_dose(ctx, u.slots["medication"], self.at, self.when_words, self.amount)
        if u.intent == "deny":
            return ctx.tell(ctx.say("medication.taken_skipped"))
        return None


# --- handlers --------------------------------------------------------------------------------------------

def set_reminder(ctx: DialogueContext, u: Understanding, now: datetime, asr_confidence: float | None) -> Reply:
    return _continue(ctx, u.slots.get("medication"), u.slots.get("time"), u.entity(DAY_PART), now=now,
                     delay=u.slots.get(DELAY))


def in_day_part(time: str, day_part: str | None) -> str:
    """An hour said without its part of the day, in the part said before: "10:00" in the evening is "22:00"."""
    hour, minute = (int(x) for x in time.split(":"))
    if day_part == "pm" and 1 <= hour < 12:
        return f"{hour + 12:02d}:{minute:02d}"
    return time


def _continue(ctx: DialogueContext, medication: str | None, time: str | None, day_part: str | None = None, *,
              now: datetime | None = None, delay: int | None = None, once_at: datetime | None = None) -> Reply:
    """Ask for what is missing, then read the whole reminder back before storing it. A `delay` in minutes ("in 30
    minutes") makes a one-off reminder at `now` plus the delay (`once_at`), read back with its clock time."""
    if delay is not None and now is not None:
        if not DELAY_MINUTES[0] <= delay <= DELAY_MINUTES[1]:
            # "in 0 minutes", "in 30 hours": no reminder set at some other time; asked again
            return ctx.ask(AskReminderSlots(text=ctx.say("reminders.delay_out_of_range"), medication=medication,
                                            day_part=day_part))
        # (the instant in UTC plus the delay: "in an hour" on the night the clocks change is an hour of life)
        once_at = (now.astimezone(UTC) + timedelta(minutes=delay)).astimezone(ctx.profile.zone)
        once_at = once_at.replace(second=0, microsecond=0)
        time = None
    if medication and ctx.profile.medication(medication) is None:
        medication = None
    if not medication:
        return ctx.ask(AskReminderSlots(text=ctx.say("reminders.ask_medication"), time=time, day_part=day_part,
                                        once_at=once_at))
    if once_at is not None:
        return _read_back_once(ctx, medication, once_at, delay, now)
    if not time:
        return ctx.ask(AskReminderSlots(text=ctx.say("reminders.ask_time"), medication=medication,
                                        day_part=day_part))
    name = ctx.medication_name(medication)
    for existing in ctx.store.active_reminders():
        if existing.medication_id == medication and existing.time_of_day == time and existing.once_on is None:
            return ctx.tell(ctx.say("reminders.already", medication=name, time=ctx.speech.time(time)))
    text = ctx.say("reminders.read_back", medication=name, time=ctx.speech.time(time))
    return ctx.ask(ConfirmReminder(text=text, medication=medication, time=time))


def _read_back_once(ctx: DialogueContext, medication: str, once_at: datetime, delay: int | None,
                    now: datetime | None) -> Reply:
    """« Dans trente minutes, aujourd'hui à dix heures quarante-cinq : un rappel pour votre metformine, une seule
    fois. C'est bien ça ? » (the delay counted again from now when the medicine was asked in between)."""
    now = now or once_at
    time = once_at.strftime("%H:%M")
    name = ctx.medication_name(medication)
    day = _day(ctx, once_at, now)
    for existing in ctx.store.active_reminders():
        if existing.medication_id == medication and existing.time_of_day == time and existing.once_on in (
                None, once_at.date()):
            key = "reminders.already" if existing.once_on is None else "reminders.already_once"
            return ctx.tell(ctx.say(key, medication=name, day=day, time=ctx.speech.time(time)))
    if delay is None:
        delay = max(0, round((once_at.astimezone(UTC) - now.astimezone(UTC)).total_seconds() / 60))
    text = ctx.say("reminders.read_back_once", delay=_delay_words(ctx, delay), day=day, medication=name,
                   time=ctx.speech.time(time))
    return ctx.ask(ConfirmReminder(text=text, medication=medication, time=time, once_at=once_at))


def _day(ctx: DialogueContext, at: datetime, now: datetime) -> str:
    """« aujourd'hui » or « demain » (a one-off rings at most a day ahead), on the patient's clock."""
    zone = ctx.profile.zone
    days = (at.astimezone(zone).date() - now.astimezone(zone).date()).days
    return ctx.say("reminders.tomorrow" if days >= 1 else "reminders.today")


def _delay_words(ctx: DialogueContext, minutes: int) -> str:
    """"thirty minutes", "an hour", "two hours and fifteen minutes" (minutes and hours are feminine in French)."""
    hours, rest = divmod(minutes, 60)
    said_minutes = ctx.say("reminders.delay_one_minute") if rest == 1 else ctx.say(
        "reminders.delay_minutes", minutes=ctx.speech.cardinal(rest, feminine=True))
    if not hours:
        return said_minutes
    said_hours = ctx.say("reminders.delay_one_hour") if hours == 1 else ctx.say(
        "reminders.delay_hours", hours=ctx.speech.cardinal(hours, feminine=True))
    return ctx.say("reminders.delay_hours_minutes", hours=said_hours, minutes=said_minutes) if rest else said_hours


def _upcoming(ctx: DialogueContext, now: datetime) -> list[Reminder]:
    """The active reminders the patient still has to come: daily ones, and one-offs whose time is still ahead (one
    that has rung is being said or is over), in the order they ring."""
    zone = ctx.profile.zone
    today = now.astimezone(zone).date()
    kept = [r for r in ctx.store.active_reminders()
            if r.once_on is None or local_instant(r.once_on, r.time_of_day, zone) > now]
    return sorted(kept, key=lambda r: ((r.once_on - today).days if r.once_on else 0, r.time_of_day))


def _items(ctx: DialogueContext, reminders: list[Reminder], now: datetime) -> str:
    zone = ctx.profile.zone
    return ctx.speech.join([
        ctx.say("reminders.item_once", medication=ctx.medication_name(r.medication_id), time=ctx.speech.time(
            r.time_of_day), day=_day(ctx, local_instant(r.once_on, r.time_of_day, zone), now)) if r.once_on else
        ctx.say("reminders.item", medication=ctx.medication_name(r.medication_id), time=ctx.speech.time(r.time_of_day))
        for r in reminders])


def list_reminders(ctx: DialogueContext, u: Understanding, now: datetime, asr_confidence: float | None) -> Reply:
    return ctx.tell(_list_text(ctx, now))


def _list_text(ctx: DialogueContext, now: datetime) -> str:
    reminders = _upcoming(ctx, now)
    if not reminders:
        return ctx.say("reminders.none")
    if len(reminders) == 1:
        return ctx.say("reminders.list_one", items=_items(ctx, reminders, now))
    return ctx.say("reminders.list_many", count=ctx.speech.number(len(reminders)),
                   items=_items(ctx, reminders, now))


def cancel_reminder(ctx: DialogueContext, u: Understanding, now: datetime, asr_confidence: float | None) -> Reply:
    medication, time = u.slots.get("medication"), u.slots.get("time")
    active = _upcoming(ctx, now)
    matching = [r for r in active if (not medication or r.medication_id == medication)
                and (not time or r.time_of_day == time)]
    if not active:
        return ctx.tell(ctx.say("reminders.none"))
    if not (medication or time) and len(active) == 1:
        matching = active  # only one it can be: read it back
    elif not (medication or time):
        return ctx.ask(AskWhichToCancel(text=ctx.say("reminders.cancel_which", list=_list_text(ctx, now))))
    if not matching:
        return ctx.tell(ctx.say("reminders.cancel_none", list=_list_text(ctx, now)))
    return _confirm_cancel(ctx, matching, now)


def _confirm_cancel(ctx: DialogueContext, matching: list[Reminder], now: datetime) -> Reply:
    if len(matching) == 1:
        r = matching[0]
        text = ctx.say("reminders.cancel_read_back", medication=ctx.medication_name(r.medication_id),
                       time=ctx.speech.time(r.time_of_day))
    else:
        text = ctx.say("reminders.cancel_read_back_many", count=ctx.speech.number(len(matching)),
                       items=_items(ctx, matching, now))
    return ctx.ask(ConfirmCancel(text=text, ids=[r.id for r in matching]))


def cancel_all_reminders(ctx: DialogueContext, u: Understanding, now: datetime,
                         asr_confidence: float | None) -> Reply:
    """« Supprime tous mes rappels »: every reminder is listed, and one yes removes them all."""
    active = _upcoming(ctx, now)
    if not active:
        return ctx.tell(ctx.say("reminders.none"))
    return _confirm_cancel(ctx, active, now)


# --- doses -----------------------------------------------------------------------------------------------

#: how long after asking about a medicine "I took it" still names it (a dose said later names its medicine itself)
MEDICINE_IN_TALK = timedelta(minutes=2)


def medication_taken(ctx: DialogueContext, u: Understanding, now: datetime, asr_confidence: float | None) -> Reply:
    """« J'ai pris ma metformine ce matin »: read back with when, noted after a yes."""
    moment = u.when
    if moment is None and u.slots.get("time"):
        at, when_words = _taken_at(ctx, u.slots["time"], now)
    else:
        if moment is not None and moment.is_future(now, ctx.profile.zone):
            return ctx.tell(ctx.say("medication.future"), "future_refused")
        at, when_words = ctx.moment(moment, now)
    medication = u.slots.get("medication")
    asked, ctx.medicine_asked_about = ctx.medicine_asked_about, None
    if not medication and asked is not None and timedelta(0) <= now - asked[1] <= MEDICINE_IN_TALK:
        medication = asked[0]  # « est-ce que j'ai pris mon Diamicron ? » ... « je l'ai pris à midi »: read back by name
    amount = u.entity(QUANTITY) or ""
    if not medication or ctx.profile.medication(medication) is None:
        return ctx.ask(AskDoseWhich(text=ctx.say("medication.taken_which"), at=at, when_words=when_words,
                                    amount=amount))
    return _read_back_dose(ctx, medication, at, when_words, amount)


def _taken_at(ctx: DialogueContext, time: str, now: datetime) -> tuple[datetime, str]:
    """« j'ai pris ma metformine à huit heures »: that time today if it has passed, else now."""
    hour, minute = (int(x) for x in time.split(":"))
    local = now.astimezone(ctx.profile.zone)
    at = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if at > local:
        return now, ""
    return at, ctx.speech.when(at, now)


def _read_back_dose(ctx: DialogueContext, medication: str, at: datetime, when_words: str, amount: str = "") -> Reply:
    """The dose read back before it is noted; a quantity said ("12 units") is no part of what is noted (the contract
    has no slot for it), and a patient who hears nothing of it would think it was: the read-back says so."""
    when = ctx.say("medication.read_back_when", when=when_words) if when_words else ""
    key = "medication.read_back_amount" if amount else "medication.read_back"
    text = ctx.say(key, medication=ctx.medication_name(medication), when=when)
    return ctx.ask(ConfirmDose(text=text, medication=medication, at=at, when_words=when_words, amount=amount))


def medication_check(ctx: DialogueContext, u: Understanding, now: datetime, asr_confidence: float | None) -> Reply:
    """« Est-ce que j'ai pris mes comprimés ? »: answered from the dose log (taken, missed, still due
    today); nothing is recorded."""
    medication = u.slots.get("medication")
    ctx.medicine_asked_about = (medication, now) if medication else None
    period = "yesterday" if u.slots.get("period") == "yesterday" else "today"
    local = now.astimezone(ctx.profile.zone)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    since, until = (midnight - timedelta(days=1), midnight) if period == "yesterday" else (midnight, None)
    events = list(reversed(ctx.store.medication_events(since=since, until=until, medication_id=medication)))
    s = ctx.speech
    parts = []
    for event in events:
        name = ctx.medication_name(event.medication_id)
        if event.status == "taken":
            parts.append(ctx.say("medication.check_taken", medication=name, when=s.when(event.at, now)))
        else:
            parts.append(ctx.say("medication.check_missed", medication=name, when=s.when(event.at, now)))
    answered = {e.medication_id for e in events}
    if period == "today":
        for r in sorted(ctx.store.active_reminders(), key=lambda r: r.time_of_day):
            if (medication and r.medication_id != medication) or r.time_of_day <= local.strftime("%H:%M"):
                continue
            if runs_on(r, local.date()):
                parts.append(ctx.say("medication.check_due", medication=ctx.medication_name(r.medication_id),
                                     time=s.time(r.time_of_day)))
    if not events:
        key = "medication.check_nothing_one" if medication else "medication.check_nothing"
        parts.insert(0, ctx.say(key, medication=ctx.medication_name(medication) if medication else "",
                                period=s.period(period)))
    if not (medication and medication in answered):
        parts.append(ctx.say("medication.check_unsure"))
    return ctx.tell(" ".join(parts), "dose_log_read")
