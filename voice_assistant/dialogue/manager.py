"""The turn-by-turn conversation: one utterance in, one reply out, the clock passed in.

The manager owns what is pending (a value to confirm, a missing slot), the misses in a row and the
no-answer timer; the domain handlers (glucose, reminders) do the rest. Nothing reads the wall clock here:
`handle(text, now)` and `tick(now)` take the time, so every timeout is testable without sleeping.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Callable

from voice_assistant.dialogue import emergency, glucose, heard_two_ways, labs, reminder_alerts, reminders
from voice_assistant.dialogue.context import DialogueContext
from voice_assistant.dialogue.prompts import Prompts, load_prompts
from voice_assistant.dialogue.state import ANYTHING, Pending, Reply, Turn
from voice_assistant.nlu import NONE, SMALL_TALK, Understander, Understanding
from voice_assistant.nlu.slots import MORE_TIMES
from voice_assistant.profile import MAX_WPM, MIN_WPM, Profile
from voice_assistant.reminders import ReminderEngine
from voice_assistant.store import Store

Handler = Callable[[DialogueContext, Understanding, datetime, "float | None"], Reply]
Answer = Callable[[DialogueContext, Understanding, datetime, "float | None"], "Reply | None"]

#: Words per minute added or removed by "speak slower" / "speak faster".
RATE_STEP = 30


@dataclass(frozen=True)
class Timing:
    reprompt_after_s: float = 8.0  #: silence after a question before it is asked once more
    give_up_after_s: float = 8.0  #: further silence after the re-prompt before going back to waiting


class DialogueManager:
    def __init__(self, profile: Profile, store: Store, lang: str | None = None,
                 understander: Understander | None = None, prompts: Prompts | None = None,
                 timing: Timing = Timing(), save_profile_changes: bool = True):
        lang = lang or profile.language
        self.understander = understander or Understander(lang, profile)
        self.ctx = DialogueContext(profile, store, prompts or load_prompts(lang),
                                   save_profile_changes=save_profile_changes)
        self.timing = timing
        self.reminders = ReminderEngine(store, profile)
        self.last_spoken_at: datetime | None = None
        self.handlers: dict[str, Handler] = {
            "log_glucose": glucose.log_glucose,
            "glucose_history": glucose.history,
            "set_medication_reminder": reminders.set_reminder,
            "list_reminders": reminders.list_reminders,
            "cancel_reminder": reminders.cancel_reminder,
            "medication_taken": reminders.medication_taken,
            "read_lab_results": labs.read_results,
            "next": labs.nothing_to_browse,
            "previous": labs.nothing_to_browse,
            "emergency": emergency.ask_for_help,
            "dosing_question": self._dosing,
            "help": self._help,
            "repeat": self._repeat,
            "speak_slower": self._slower,
            "speak_faster": self._faster,
            "cancel": self._cancel,
            "affirm": self._stray_yes_no,
            "deny": self._stray_yes_no,
        }
        # How an open question reads the next utterance; None from an answer means "not an answer".
        self.answers: dict[str, Answer] = {
            glucose.CONFIRM: glucose.answer_confirmation,
            glucose.ASK_VALUE: glucose.answer_value,
            glucose.OFFER_RECHECK: glucose.answer_recheck,
            reminders.CONFIRM: reminders.answer_confirmation,
            reminders.ASK_SLOTS: reminders.answer_slots,
            reminders.ASK_SLOTS + "_cancel": reminders.answer_cancel_which,
            reminders.CONFIRM_CANCEL: reminders.answer_cancel_confirmation,
            reminders.ASK_TAKEN_WHICH: reminders.answer_taken_which,
            labs.BROWSING: labs.answer_browsing,
            emergency.CONFIRM: emergency.answer_confirmation,
            reminder_alerts.ANSWER: reminder_alerts.answer,
            heard_two_ways.ASK: heard_two_ways.answer,
        }

    @property
    def profile(self) -> Profile:
        return self.ctx.profile

    @property
    def expects(self) -> str:
        return self.ctx.pending.expects if self.ctx.pending else ANYTHING

    def greeting(self, now: datetime) -> Reply:
        return self._spoken(Reply(self.ctx.say("welcome", name=self.profile.name)), now)

    def announce_due(self, now: datetime) -> Reply | None:
        """A turn the assistant starts: the next reminder due (or caught up after downtime), if any.

        Only between questions: never over an open question, and the caller only asks when the patient is
        not speaking and the current turn is over."""
        if self.ctx.pending is not None:
            return None
        items = self.reminders.tick(now)
        if not items:
            return None
        return self._spoken(reminder_alerts.announce(self.ctx, self.reminders, items[0], now), now)

    def handle(self, text: str, now: datetime, asr_confidence: float | None = None,
               alternatives: tuple[str, ...] = ()) -> Turn:
        """`alternatives`: other readings of the same words the recognisers could not rule out (two engines
        heard a value differently): the patient is asked which one was said rather than one being guessed."""
        u = self._in_context(self.understander.understand(text))
        others = [self._in_context(self.understander.understand(a)) for a in alternatives if a and a != text]
        reply = None
        if others and self.ctx.pending is not None and self.ctx.pending.kind == heard_two_ways.ASK:
            u = heard_two_ways.prefer_choice(self.ctx.pending, [u, *others])
            text = u.text or text
        elif others and u.intent == "log_glucose" and (
                self.ctx.pending is None or self.ctx.pending.kind in (glucose.CONFIRM, glucose.ASK_VALUE)):
            reply = heard_two_ways.question(self.ctx, u, others, asr_confidence)
            if reply is not None:
                self.ctx.misses = 0
        if reply is None:
            reply = self._reply(u, now, asr_confidence)
        return Turn(heard=text, understanding=u, reply=self._spoken(reply, now))

    def tick(self, now: datetime) -> Reply | None:
        """Called while nothing is heard: re-prompt once after a silence, then go back to waiting."""
        pending = self.ctx.pending
        if pending is None or pending.expects == ANYTHING or self.last_spoken_at is None:
            return None  # a list being read (lab results) waits quietly for « suivant »
        silent = (now - self.last_spoken_at).total_seconds()
        if not pending.reprompted and silent >= self.timing.reprompt_after_s:
            pending.reprompted = True
            return self._spoken(Reply(self.ctx.say("reprompt", question=pending.question), pending.expects), now)
        if pending.reprompted and silent >= self.timing.give_up_after_s:
            if pending.kind == emergency.CONFIRM:
                return self._spoken(emergency.unanswered(self.ctx, pending, now), now)
            self.ctx.pending = None
            # a value or a reminder read back but never confirmed is dropped: the patient must know
            key = "gone_quiet_unsaved" if pending.kind in (glucose.CONFIRM, reminders.CONFIRM) else "gone_quiet"
            return self._spoken(Reply(self.ctx.say(key), ANYTHING, ("gave_up",)), now)
        return None

    def _in_context(self, u: Understanding) -> Understanding:
        """Read an answer in the light of the open question: when a reminder's time is awaited, a bare
        number (« à neuf », "no, at nine") is that time, not a glucose value in the patient's meter unit."""
        pending = self.ctx.pending
        if pending is None or "time" in u.slots or u.intent != "log_glucose":
            return u
        awaits_time = pending.kind == reminders.CONFIRM or (
            pending.kind == reminders.ASK_SLOTS and "medication" in pending.data)
        said = u.said.get("glucose")
        extractor = getattr(self.understander, "extractor", None)
        if not awaits_time or not said or said["unit_said"] or extractor is None:
            return u
        as_times = extractor.extract(u.text, MORE_TIMES)
        time = as_times.first("time")
        if time is None:
            return u
        # "my sugar is one twenty" stays a reading: the words around the number speak of glucose
        rest = " ".join(as_times.words[:time.start] + as_times.words[time.end:])
        if rest and self.understander.understand(rest).intent in ("log_glucose", "glucose_history"):
            return u
        slots = {k: v for k, v in u.slots.items() if k != "glucose_mg_dl"} | {"time": time.value}
        return replace(u, intent="set_medication_reminder", slots=slots, said={})

    # --- the turn ----------------------------------------------------------------------------------

    def _reply(self, u: Understanding, now: datetime, asr_confidence: float | None) -> Reply:
        ctx = self.ctx
        # Safety and conversation controls work whatever is pending; a pending question survives them.
        if u.intent in ("emergency", "dosing_question", "repeat", "speak_slower", "speak_faster", "help"):
            ctx.misses = 0
            return self.handlers[u.intent](ctx, u, now, asr_confidence)
        if u.matched == SMALL_TALK:  # « bonjour », "thank you": not a miss; say what can be said next
            return self._with_question(ctx, ctx.say("listening"))
        if ctx.pending is not None:
            if u.intent == "cancel":
                ctx.misses = 0
                return self._cancel(ctx, u, now, asr_confidence)
            answer = self.answers[ctx.pending.kind](ctx, u, now, asr_confidence)
            if answer is not None:
                ctx.misses = 0
                return answer
            if ctx.pending.expects == ANYTHING:
                ctx.pending = None  # a list being read is simply left: no question to ask again
            elif u.intent in (NONE, "affirm", "deny"):
                return self._miss(u, pending_question=ctx.pending.question)
            ctx.pending = None  # the patient moved on to another request: the open question is dropped
        if u.intent == NONE:
            return self._miss(u)
        ctx.misses = 0
        return self.handlers[u.intent](ctx, u, now, asr_confidence)

    def _miss(self, u: Understanding, pending_question: str | None = None) -> Reply:
        ctx = self.ctx
        ctx.misses += 1
        if ctx.misses >= 2:
            # two misses in a row: the examples that fit the moment, and a person to call
            examples = ctx.say(self._help_key(ctx.pending)) if ctx.pending else ctx.say("help.idle")
            text = ctx.say("not_understood_again", examples=examples, human=ctx.human_route())
        elif pending_question:
            text = f"{ctx.say('confirm_yes_no')} {pending_question}" if ctx.pending.expects == "yes_no" \
                else pending_question
            return Reply(text, ctx.pending.expects, ("not_understood",))
        elif u.matched == NONE and u.text.strip():
            text = ctx.say("out_of_scope")  # clearly something else (weather, a call): say what can be done
        else:
            text = ctx.say("not_understood", examples=ctx.say("help.idle"))
        if ctx.pending:
            text = f"{text} {ctx.pending.question}"
            return Reply(text, ctx.pending.expects, ("not_understood",))
        return Reply(text, ANYTHING, ("not_understood",))

    def _spoken(self, reply: Reply, now: datetime) -> Reply:
        self.ctx.last_reply = reply
        self.last_spoken_at = now
        return reply

    # --- conversation controls -----------------------------------------------------------------------

    def _help_key(self, pending: Pending) -> str:
        if pending.kind in (glucose.CONFIRM, reminders.CONFIRM):
            return "help.confirm"
        if pending.expects == "yes_no":
            return "help.yes_no"
        if pending.kind == reminders.ASK_SLOTS:
            return "help.ask_time" if "medication" in pending.data else "help.ask_medication"
        if pending.kind == reminders.ASK_SLOTS + "_cancel":
            return "help.cancel_which"
        if pending.kind == reminders.ASK_TAKEN_WHICH:
            return "help.ask_medication"
        if pending.kind == heard_two_ways.ASK:
            return "help.which_value"
        return "help.ask_value"

    def _help(self, ctx: DialogueContext, u, now, asr) -> Reply:
        pending = ctx.pending
        if pending is None:
            return Reply(ctx.say("help.idle"))
        example = ctx.medication_name(self.profile.medications[0].id) if self.profile.medications else ""
        return self._with_question(ctx, ctx.say(self._help_key(pending), example=example))

    def _with_question(self, ctx: DialogueContext, text: str, *events: str) -> Reply:
        """A reply given while a question is open ends with that question, so the patient knows it still is."""
        if ctx.pending is None or ctx.pending.expects == ANYTHING:
            return Reply(text, ANYTHING, events)
        return Reply(f"{text} {ctx.pending.question}", ctx.pending.expects, events)

    def _repeat(self, ctx: DialogueContext, u, now, asr) -> Reply:
        if ctx.last_reply is None:
            return Reply(ctx.say("nothing_to_repeat"), self.expects)
        return Reply(ctx.last_reply.text, self.expects)

    def _rate(self, ctx: DialogueContext, step: int) -> Reply:
        current = self.profile.words_per_minute
        target = max(MIN_WPM, min(MAX_WPM, current + step))
        if target == current:
            return self._with_question(ctx, ctx.say("rate.slowest" if step < 0 else "rate.fastest"),
                                       "rate_unchanged")
        ctx.update_profile(self.profile.with_speech_rate(target))
        key = "rate.slower" if step < 0 else "rate.faster"
        return self._with_question(ctx, ctx.say(key, example=ctx.say("speech.rate_example")), "rate_changed")

    def _slower(self, ctx, u, now, asr) -> Reply:
        return self._rate(ctx, -RATE_STEP)

    def _faster(self, ctx, u, now, asr) -> Reply:
        return self._rate(ctx, RATE_STEP)

    def _cancel(self, ctx: DialogueContext, u, now, asr) -> Reply:
        if ctx.pending is None:
            return Reply(ctx.say("nothing_to_cancel"))
        if ctx.pending.kind == labs.BROWSING:
            return ctx.tell(ctx.say("labs.stopped"))
        return ctx.tell(ctx.say("cancelled"), "cancelled")

    def _stray_yes_no(self, ctx: DialogueContext, u, now, asr) -> Reply:
        """A yes or no when nothing was asked: say what can be done rather than guess."""
        return Reply(ctx.say("help.idle"))

    # --- safety -------------------------------------------------------------------------------------------

    def _dosing(self, ctx: DialogueContext, u, now, asr) -> Reply:
        return self._with_question(ctx, ctx.say("safety.dosing", human=ctx.human_route()), "dosing_referral")
