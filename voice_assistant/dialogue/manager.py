"""The turn-by-turn conversation: one utterance in, one reply out, the clock passed in.

The manager owns what is pending (a value to confirm, a missing slot), the misses in a row and the
no-answer timer; the domain handlers (glucose, reminders) do the rest. Nothing reads the wall clock here:
`handle(text, now)` and `tick(now)` take the time, so every timeout is testable without sleeping.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Callable

from voice_assistant.dialogue import care, emergency, glucose, heard_two_ways, labs, reminder_alerts, reminders
from voice_assistant.dialogue.context import DialogueContext
from voice_assistant.dialogue.guard import log_turn_error
from voice_assistant.dialogue.prompts import Prompts, load_prompts
from voice_assistant.dialogue.state import ANYTHING, YES_NO, Reply, Turn
from voice_assistant.health.glucose import GlucoseUnit
from voice_assistant.nlu import NONE, OTHER_REMINDER, RECHECK_PLAN, SMALL_TALK, VALUE_QUESTION, Understander, Understanding
from voice_assistant.nlu.normalize import clean_input
from voice_assistant.nlu.slots import MORE_TIMES
from voice_assistant.profile import MAX_WPM, MIN_WPM, Profile
from voice_assistant.reminders import ReminderEngine
from voice_assistant.store import Store

Handler = Callable[[DialogueContext, Understanding, datetime, "float | None"], Reply]

#: how long after a reminder was set "and my lipitor at night" still carries it on (a pause, then a new request)
REMINDER_CARRIED_ON = timedelta(minutes=2)
#: Requests that never drop the open question: it is asked again at the end of their reply.
KEEP_QUESTION = ("dosing_question", "repeat", "speak_slower", "speak_faster", "help", "sugar_question")

#: Words per minute added or removed by "speak slower" / "speak faster".
RATE_STEP = 30

#: Hands-free, words said without the wake phrase while a question is open are an answer only if they are one of
#: these (a yes, a no, a stop, "say it again", help) or carry a value of the kind asked, and are short. A call for
#: help is always heard (it is confirmed before anyone is alerted).
ANSWER_INTENTS = frozenset({"affirm", "deny", "cancel", "repeat", "help", "speak_slower", "speak_faster"})
#: An answer is a few words ("yes", "no, it was one hundred and twenty"): a television sentence after a question
#: is longer. A longer answer needs the wake phrase.
MAX_ANSWER_WORDS = 10
#: What answers a question that takes any request (a list of results being read: "next", "the cholesterol").
BROWSING_INTENTS = frozenset({"next", "previous", "read_lab_results", "which_results"})


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
                                   save_profile_changes=save_profile_changes,
                                   default_unit=self.understander.pack.numbers.default_unit
                                   if hasattr(self.understander, "pack") else GlucoseUnit.MG_DL)
        self.timing = timing
        self.reminders = ReminderEngine(store, profile)
        self.last_spoken_at: datetime | None = None
        self.handlers: dict[str, Handler] = {
            "log_glucose": glucose.log_glucose,
            "glucose_history": glucose.history,
            "correct_reading": glucose.correct_reading,
            "set_medication_reminder": reminders.set_reminder,
            "list_reminders": reminders.list_reminders,
            "cancel_reminder": reminders.cancel_reminder,
            "medication_taken": reminders.medication_taken,
            "medication_check": reminders.medication_check,
            "cancel_all_reminders": reminders.cancel_all_reminders,
            "read_lab_results": labs.read_results,
            "which_results": labs.which_results,
            "call_caregiver": care.call_caregiver,
            "report_hypo": care.report_hypo,
            "sugar_question": care.sugar_question,
            "goodbye": self._goodbye,
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

    @property
    def profile(self) -> Profile:
        return self.ctx.profile

    @property
    def expects(self) -> str:
        return self.ctx.pending.expects if self.ctx.pending else ANYTHING

    def answers_question(self, text: str) -> bool:
        """Whether words said without the wake phrase (hands-free) answer the question the assistant has just
        asked: short, and a yes, a no, a stop, "repeat", help, or a value of the kind the question is about (a
        number, a time, a medicine: "no, at nine"), or for a list being read "next" or a result's name; a call for
        help always. Anything else was not said to the assistant: on a held-out sports commentary, a false wake's
        question made every next sentence of the television an answer, each one a new question."""
        pending = self.ctx.pending
        if pending is None:
            return False
        text = clean_input(text)
        try:
            u = self._in_context(self.understander.understand(text))
        except Exception as exc:  # noqa: BLE001 - not understood: not an answer (the words are only ignored)
            log_turn_error(exc, "answer check")
            return False
        if u.intent == "emergency":
            return True
        if len(text.split()) > MAX_ANSWER_WORDS:
            return False
        if not pending.asks:
            # a list being read asked nothing: only what it invites ("next", a result's name) is taken without the
            # phrase, not a yes, a no, a "repeat" or a "stop" the television says (no follow-up but to a question)
            return u.intent in BROWSING_INTENTS
        if u.intent in ANSWER_INTENTS or u.intent in getattr(pending, "yes_intents", ()) \
                or u.intent in getattr(pending, "no_intents", ()):  # "done" to a reminder, "call him" to an offer
            return True
        if pending.expects == ANYTHING:
            return u.intent in BROWSING_INTENTS
        return bool(u.slots) or any(e.value is not None for e in u.entities)

    def greeting(self, now: datetime) -> Reply:
        return self._spoken(Reply(self.ctx.say("welcome", name=self.profile.name)), now)

    def announce_due(self, now: datetime) -> Reply | None:
        try:
            return self._announce_due(now)
        except Exception as exc:  # noqa: BLE001
            return self._spoken(self._failed(exc, "reminder"), now)

    def _announce_due(self, now: datetime) -> Reply | None:
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
        """One turn. Every front end (chat, the microphone loop, the tablet) comes through here, so this is
        where a turn is guarded: whatever goes wrong, the patient hears a sentence and the conversation goes
        on (the error is logged privately, see dialogue/guard.py).

        `alternatives`: other readings of the same words the recognisers could not rule out (two engines
        heard a value differently): the patient is asked which one was said rather than one being guessed."""
        text = clean_input(text)  # invalid Unicode, control characters: cleaned before anything reads it
        try:
            u = self._in_context(self.understander.understand(text), now)
            others = [self._in_context(self.understander.understand(clean_input(a)))
                      for a in alternatives if a and a != text]
            reply = None
            pending = self.ctx.pending
            chosen = pending.prefer(u, others) if others and pending is not None else None
            if chosen is not None:  # the question asked which value: the reading that is one of the two
                u, text = chosen, chosen.text or text
            elif others and u.intent == "log_glucose" and (pending is None or pending.takes_value):
                reply = heard_two_ways.question(self.ctx, u, others, asr_confidence)
                if reply is not None:
                    self.ctx.misses = 0
            if reply is None:
                reply = self._reply(u, now, asr_confidence)
        except Exception as exc:  # noqa: BLE001 - the one place a turn's failure becomes a sentence
            return Turn(heard=text, understanding=Understanding(NONE, {}, 0.0, text),
                        reply=self._spoken(self._failed(exc, "turn"), now))
        return Turn(heard=text, understanding=u, reply=self._spoken(reply, now))

    def _failed(self, exc: Exception, where: str) -> Reply:
        log_turn_error(exc, where)
        self.ctx.pending = None  # the question may be what failed: nothing half-done is kept
        self.ctx.misses = 0
        return Reply(self.ctx.say("something_wrong"), ANYTHING, ("error",))

    def tick(self, now: datetime) -> Reply | None:
        """Called while nothing is heard: re-prompt once after a silence, then go back to waiting."""
        try:
            return self._tick(now)
        except Exception as exc:  # noqa: BLE001
            return self._spoken(self._failed(exc, "tick"), now)

    def _tick(self, now: datetime) -> Reply | None:
        pending = self.ctx.pending
        if pending is None or pending.expects == ANYTHING or self.last_spoken_at is None:
            return None  # a list being read (lab results) waits quietly for « suivant »
        silent = (now - self.last_spoken_at).total_seconds()
        if not pending.reprompted and silent >= self.timing.reprompt_after_s:
            pending.reprompted = True
            return self._spoken(Reply(self.ctx.say("reprompt", question=pending.text), pending.expects), now)
        if pending.reprompted and silent >= self.timing.give_up_after_s:
            # each question knows what silence means: a read-back is dropped (and the patient told it was
            # not saved), a call for help is sent marked unconfirmed
            return self._spoken(pending.on_silence(self.ctx, now), now)
        return None

    def _in_context(self, u: Understanding, now: datetime | None = None) -> Understanding:
        """Read an answer in the light of the open question: when a reminder's time is awaited, a bare
        number (« à neuf », "no, at nine") is that time, not a glucose value in the patient's meter unit. And a
        sentence carrying on a reminder just set ("and my lipitor at night") is another reminder, not a dose."""
        pending = self.ctx.pending
        if pending is None and now is not None and self._carries_on_a_reminder(u, now):
            slots = {k: v for k, v in u.slots.items() if k in ("medication", "time")}
            return replace(u, intent="set_medication_reminder", slots=slots)
        if pending is None or "time" in u.slots or u.intent != "log_glucose":
            return u
        awaits_time = pending is not None and pending.awaits_time
        said = u.glucose
        extractor = getattr(self.understander, "extractor", None)
        if not awaits_time or said is None or said.unit_said or extractor is None:
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
        return replace(u, intent="set_medication_reminder", slots=slots,
                       entities=tuple(e for e in u.entities if e.value is not said))

    def _carries_on_a_reminder(self, u: Understanding, now: datetime) -> bool:
        """Right after a reminder was set (its "done" the last thing said, within REMINDER_CARRIED_ON), a dose sentence
        that opens with "and" and says no taking ("and my lipitor at night", « et le tahor le soir »); or a medicine and
        a part of the day read as a question of dose ("and my lipitor tonight"), when it says nothing else."""
        last, at = self.ctx.last_reply, self.last_spoken_at
        if u.intent not in ("medication_taken", "dosing_question") or last is None or at is None or \
                "reminder_saved" not in last.events:
            return False
        if not timedelta(0) <= now - at <= REMINDER_CARRIED_ON:
            return False
        carries_on = getattr(self.understander, "carries_on_without_taking", None)
        return carries_on is not None and carries_on(u.text, only_when=u.intent == "dosing_question")

    # --- the turn ----------------------------------------------------------------------------------

    def _reply(self, u: Understanding, now: datetime, asr_confidence: float | None) -> Reply:
        ctx = self.ctx
        # Conversation controls and safety work whatever is pending; the open question survives them.
        if u.intent in KEEP_QUESTION:
            ctx.misses = 0
            return self.handlers[u.intent](ctx, u, now, asr_confidence)
        left = ""
        if ctx.pending is not None:
            if u.intent == "cancel":
                ctx.misses = 0
                return ctx.pending.on_cancel(ctx)
            answer = ctx.pending.answer(ctx, u, now, asr_confidence)
            if answer is not None:
                ctx.misses = 0
                return answer
        if u.matched == SMALL_TALK and u.entity(RECHECK_PLAN) is not None:
            # "ok, I'll check again in 15 minutes" (after a low's advice): acknowledged; the open question stays
            return self._with_question(ctx, ctx.say("recheck_plan"))
        if u.matched == SMALL_TALK:  # « bonjour », "thank you": not a miss; say what can be said next
            return self._with_question(ctx, ctx.say("listening"))
        if u.matched == VALUE_QUESTION:  # "is 180 too high?": who can say, how to note it; no advice, no miss
            ctx.misses = 0
            return self._with_question(ctx, care.value_question(ctx, u))
        if u.matched == OTHER_REMINDER:  # "remind me to call my daughter": what it can remind of; no miss
            ctx.misses = 0
            return self._with_question(ctx, ctx.say("reminders.only_medicines"), "other_reminder")
        if ctx.pending is not None:
            if ctx.pending.expects == ANYTHING:
                ctx.pending = None  # a list being read, an open choice: simply left
            elif u.intent in (NONE, "affirm", "deny"):
                return self._miss(u, pending_question=ctx.pending.text)
            else:
                # One policy for every question: a clearly different request wins, and the question is
                # dropped aloud (« Je n'ai pas enregistré la glycémie. ») before the new request is served.
                left = ctx.pending.left(ctx)
                ctx.pending = None
        if u.intent == NONE:
            return self._miss(u)
        ctx.misses = 0
        reply = self.handlers[u.intent](ctx, u, now, asr_confidence)
        return Reply(f"{left} {reply.text}", reply.expects, reply.events + ("question_left",)) if left else reply

    def _miss(self, u: Understanding, pending_question: str | None = None) -> Reply:
        ctx = self.ctx
        ctx.misses += 1
        if ctx.misses >= 2:
            # two misses in a row: the examples that fit the moment, and a person to call
            examples = ctx.pending.help(ctx) if ctx.pending else ctx.say("help.idle")
            text = ctx.say("not_understood_again", examples=examples, human=ctx.human_route())
        elif pending_question:
            if ctx.pending.expects == YES_NO:
                text = f"{ctx.say('confirm_yes_no')} {pending_question}"
            elif u.intent in ("affirm", "deny"):
                # a yes or a no to « which medicine? »: the same question alone would not help; what to answer first
                text = f"{ctx.pending.help(ctx)} {pending_question}"
            else:
                text = pending_question
            return Reply(text, ctx.pending.expects, ("not_understood",))
        elif u.matched == NONE and u.text.strip():
            text = ctx.say("out_of_scope")  # clearly something else (weather, a call): say what can be done
        else:
            text = ctx.say("not_understood", examples=ctx.say("help.idle"))
        if ctx.pending:
            text = f"{text} {ctx.pending.text}"
            return Reply(text, ctx.pending.expects, ("not_understood",))
        return Reply(text, ANYTHING, ("not_understood",))

    def _spoken(self, reply: Reply, now: datetime) -> Reply:
        self.ctx.last_reply = reply
        self.last_spoken_at = now
        return reply

    def reply_heard(self, now: datetime) -> None:
        """The last reply's last word has just been heard (a voice takes seconds to say it): the silence that
        re-prompts and gives up counts from here, so every question gets the same time to be answered."""
        if self.last_spoken_at is not None and now > self.last_spoken_at:
            self.last_spoken_at = now

    # --- conversation controls -----------------------------------------------------------------------

    def _help(self, ctx: DialogueContext, u, now, asr) -> Reply:
        if ctx.pending is None:
            return Reply(ctx.say("help.idle"))
        return self._with_question(ctx, ctx.pending.help(ctx))

    def _with_question(self, ctx: DialogueContext, text: str, *events: str) -> Reply:
        """A reply given while a question is open ends with that question, so the patient knows it still is."""
        if ctx.pending is None or ctx.pending.expects == ANYTHING:
            return Reply(text, ANYTHING, events)
        return Reply(f"{text} {ctx.pending.text}", ctx.pending.expects, events)

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
        return ctx.pending.on_cancel(ctx)

    def _goodbye(self, ctx: DialogueContext, u, now, asr) -> Reply:
        """A polite close: goodbye, and the human route; anything left unconfirmed was said just before."""
        return ctx.tell(ctx.say("goodbye", human=ctx.human_route()), "goodbye")

    def _stray_yes_no(self, ctx: DialogueContext, u, now, asr) -> Reply:
        """A yes or no when nothing was asked: say what can be done rather than guess."""
        return Reply(ctx.say("help.idle"))

    # --- safety -------------------------------------------------------------------------------------------

    def _dosing(self, ctx: DialogueContext, u, now, asr) -> Reply:
        return self._with_question(ctx, ctx.say("safety.dosing", human=ctx.human_route()), "dosing_referral")
