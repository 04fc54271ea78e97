"""What every dialogue handler works with: the patient, the database, the words to say, the open question."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar
from datetime import datetime

from voice_assistant.dialogue.prompts import Prompts
from voice_assistant.dialogue.state import ANYTHING, YES_NO, Reply
from voice_assistant.health.glucose import GlucoseUnit
from voice_assistant.health.safety import crisis_line, emergency_numbers
from voice_assistant.nlu import Understanding
from voice_assistant.nlu.when import Moment
from voice_assistant.profile import Profile, save_voice_settings
from voice_assistant.speech import Speech
from voice_assistant.store import Store, StoreError


@dataclass(kw_only=True)
class Question:
    """A question the assistant asked and is waiting to hear answered. Each question is one small subclass
    carrying its own data (the value read back, the reminder to set), how it reads an answer, its help
    sentence and what silence does; the manager knows no question by name.

    Adding a question = one subclass with `answer()` (and, when the defaults do not fit, `help_key`,
    `unsaved_key`, `on_silence`); a yes/no read-back is a `ConfirmQuestion`."""

    text: str  #: the question, said again on a re-prompt or when the answer is not understood
    reprompted: bool = False

    expects: ClassVar[str] = YES_NO  #: what the live loop listens for (earcons, the no-answer timer)
    help_key: ClassVar[str] = "help.yes_no"  #: what "help" says while this question is open
    #: said when this question is left without an answer (silence, another request, goodbye): what it held
    #: was not saved. None: nothing to say (a list being read, a question about something already done).
    unsaved_key: ClassVar[str | None] = None
    #: a glucose value is what this question waits for: a value heard two ways is asked about (heard_two_ways)
    takes_value: ClassVar[bool] = False
    #: the assistant asked something (hands-free, an answer is heard without the wake phrase); False: a list being
    #: read, where only moving in it is (`DialogueManager.answers_question`)
    asks: ClassVar[bool] = True

    def prefer(self, u: Understanding, others: list[Understanding]) -> Understanding | None:
        """Of an answer heard two ways, the reading this question takes; None: the question has no say."""
        return None

    @property
    def awaits_time(self) -> bool:
        """Whether a bare number answering this question is a time of day (« à neuf »), not a glucose value."""
        return False

    def answer(self, ctx: DialogueContext, u: Understanding, now: datetime,
               asr_confidence: float | None) -> Reply | None:
        """The reply to an answer, or None when the utterance does not answer this question."""
        raise NotImplementedError

    def help(self, ctx: DialogueContext) -> str:
        return ctx.say(self.help_key, example=ctx.example_medication())

    def on_silence(self, ctx: DialogueContext, now: datetime) -> Reply:
        """Asked twice, no answer: by default the question is dropped, and the patient told what was not saved."""
        ctx.pending = None
        key = "gone_quiet_unsaved" if self.unsaved_key else "gone_quiet"
        return Reply(ctx.say(key), ANYTHING, ("gave_up",))

    def on_cancel(self, ctx: DialogueContext) -> Reply:
        return ctx.tell(ctx.say("cancelled"), "cancelled")

    def left(self, ctx: DialogueContext) -> str:
        """What is said when the patient moves on to another request while this question is open."""
        return ctx.say(self.unsaved_key) if self.unsaved_key else ""


@dataclass(kw_only=True)
class ConfirmQuestion(Question):
    """A yes/no question about one thing to do (store, send, set, remove): a yes does it, a no says it was not
    done, and an answer that changes what was read back (« non, à neuf heures ») is first read back again;
    anything else answers nothing (None: the manager asks again). A store that fails on the yes or the no is
    said here, once: nothing was saved.

    A confirmation = one subclass with `on_yes` and `on_no` (and `correction`, `yes_intents`, `no_intents`
    when the defaults do not fit)."""

    yes_intents: ClassVar[tuple[str, ...]] = ("affirm",)
    no_intents: ClassVar[tuple[str, ...]] = ("deny", "cancel")

    def answer(self, ctx: DialogueContext, u: Understanding, now: datetime,
               asr_confidence: float | None) -> Reply | None:
        changed = self.correction(ctx, u, now, asr_confidence)
        if changed is not None:
            return changed
        try:
            if self.is_yes(u):
                return self.on_yes(ctx, now)
            if u.intent in self.no_intents:
                return self.on_no(ctx, now)
        except StoreError:
            return ctx.tell(ctx.say("not_saved"), "save_failed")
        return None

    def is_yes(self, u: Understanding) -> bool:
        return u.intent in self.yes_intents

    def correction(self, ctx: DialogueContext, u: Understanding, now: datetime,
                   asr_confidence: float | None) -> Reply | None:
        """The reply to an answer that changes what was read back (read back again); None: no change said."""
        return None

    def on_yes(self, ctx: DialogueContext, now: datetime) -> Reply:
        raise NotImplementedError

    def on_no(self, ctx: DialogueContext, now: datetime) -> Reply:
        return self.on_cancel(ctx)


@dataclass
class DialogueContext:
    profile: Profile
    store: Store
    prompts: Prompts
    pending: Question | None = None
    last_reply: Reply | None = None
    misses: int = 0  #: turns in a row that were not understood
    save_profile_changes: bool = True  #: False in tests and demos that must not touch the user's config
    default_unit: GlucoseUnit = GlucoseUnit.MG_DL  #: the language's usual unit, when the profile sets none
    #: the medicine the patient just asked about ("did I take my gliclazide?") and when: "I took it at noon", said
    #: right after, names it (reminders.medication_taken)
    medicine_asked_about: tuple[str, datetime] | None = None

    @property
    def speech(self) -> Speech:
        return self.prompts.speech

    @property
    def lang(self) -> str:
        return self.prompts.lang

    def say(self, key: str, **values) -> str:
        return self.prompts.say(key, **values)

    def ask(self, question: Question, text: str | None = None, *events: str) -> Reply:
        """Ask a question and remember it: the next turn is read as its answer."""
        self.pending = question
        return Reply(text or question.text, question.expects, tuple(events))

    def tell(self, text: str, *events: str) -> Reply:
        self.pending = None
        return Reply(text, ANYTHING, tuple(events))

    def medication_name(self, med_id: str) -> str:
        med = self.profile.medication(med_id)
        names = med.names_in(self.lang) if med else ()
        return names[0] if names else med_id.replace("_", " ")

    def human_route(self) -> str:
        """Who the patient can call: « votre fils Marc ou Docteur Martin », else the emergency number."""
        people = []
        for contact in (self.profile.caregiver, self.profile.doctor):
            if contact and contact.name:
                relation = contact.relation.get(self.lang)
                people.append(self.say("speech.contact", relation=relation, name=contact.name) if relation
                              else contact.name)
        if not people:
            people.append(self.emergency_number())
        return self.speech.join_or(people)

    def example_medication(self) -> str:
        """A medicine of the patient's, for the examples help gives (« Par exemple : metformine »)."""
        meds = self.profile.medications
        return self.medication_name(meds[0].id) if meds else self.say("help.example_medicine")

    @property
    def reply_unit(self) -> GlucoseUnit:
        """The unit replies about stored values use: the patient's meter, else the language's usual unit
        (never whatever unit was said last)."""
        return self.profile.meter_unit or self.default_unit

    def moment(self, said: Moment | None, now: datetime) -> tuple[datetime, str]:
        """When it happened (the instant to store) and how to say it in a read-back ("" for now)."""
        if said is None:
            return now, ""
        at, exact = said.resolve(now, self.profile.zone)
        if abs((at - now).total_seconds()) < 60:
            return now, ""
        if exact:
            return at, self.speech.when(at, now)
        zone = self.profile.zone  # the day it fell on, not the day said: "this morning" said at 1 am is yesterday's
        days = min(max((now.astimezone(zone).date() - at.astimezone(zone).date()).days, 0), 2)
        key = f"moments.day_{days}" if said.part is None else f"moments.day_{days}_{said.part}"
        return at, self.say(key)

    def emergency_number(self) -> str:
        """The emergency number of the patient's country, in words: « quinze », "nine one one"."""
        return self.speech.phone(emergency_numbers(self.profile.country).primary)

    def crisis_line(self) -> str | None:
        """The crisis line in words (« trente et un quatorze »): the profile's, else the country's; None when there is
        none (only the emergency number is then given)."""
        number = crisis_line(self.profile.country, self.profile.crisis_line)
        return self.speech.phone(number) if number else None

    def has_own_people(self) -> bool:
        """Whether the profile names a caregiver or a doctor (else `human_route` is the emergency number)."""
        return any(c is not None and c.name for c in (self.profile.caregiver, self.profile.doctor))

    def update_profile(self, profile: Profile) -> None:
        self.profile = profile
        if self.save_profile_changes:
            save_voice_settings(profile)  # its own file: profile.yaml is written by people only
