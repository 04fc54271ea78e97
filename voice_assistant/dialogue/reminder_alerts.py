"""Turns the assistant starts: a medication reminder due now, a catch-up question, the glucose recheck.

The schedule (what is due, repeats, missed doses) is `voice_assistant.reminders`; this module only says it
and reads the answer, so « c'est fait » after a reminder records that occurrence, with its stable id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from voice_assistant.dialogue.context import ConfirmQuestion, DialogueContext
from voice_assistant.dialogue.state import Reply
from voice_assistant.nlu import Understanding
from voice_assistant.reminders import DueReminder, ReminderEngine


@dataclass(kw_only=True)
class ReminderAnswer(ConfirmQuestion):
    """« C'est l'heure de votre metformine. Quand c'est fait, dites c'est fait. » / « Est-ce que c'est fait ? »
    The announcement itself is the read-back: « c'est fait » or yes records that occurrence."""

    item: DueReminder
    engine: ReminderEngine

    yes_intents = ("medication_taken", "affirm")
    no_intents = ("deny",)

    def is_yes(self, u: Understanding) -> bool:
        return super().is_yes(u) and u.slots.get("medication", self.item.medication_id) == self.item.medication_id

    def on_yes(self, ctx, now):
        self.engine.acknowledge(self.item, now)
        return ctx.tell(ctx.say("reminder_alerts.taken", medication=ctx.medication_name(self.item.medication_id)),
                        "dose_taken")

    def on_no(self, ctx, now):
        if self.item.is_catch_up:
            self.engine.record_missed(self.item, now)
            return ctx.tell(ctx.say("reminder_alerts.not_taken"), "dose_missed")
        minutes = ctx.speech.number(self.engine.policy.repeat_after_minutes)
        return ctx.tell(ctx.say("reminder_alerts.not_yet", minutes=minutes))


def announce(ctx: DialogueContext, engine: ReminderEngine, item: DueReminder, now: datetime) -> Reply:
    values = {"time": ctx.speech.time(item.local_time)}
    if item.medication_id:
        med = ctx.profile.medication(item.medication_id)
        values |= {"medication": ctx.medication_name(item.medication_id),
                   "dose": (med.dose.get(ctx.lang) if med else None) or item.dose_text or ""}
    text = ctx.say(item.prompt_key, **values)
    engine.mark_announced(item, now)
    if item.is_recheck:
        return ctx.tell(text, "recheck_announced")
    return ctx.ask(ReminderAnswer(text=text, item=item, engine=engine), text, "reminder_announced")

