"""What flows out of a turn, and what the conversation is waiting for between turns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from voice_assistant.nlu import Understanding

if TYPE_CHECKING:
    from voice_assistant.dialogue.context import DialogueContext

# What the assistant expects next: the live loop uses it for earcons and for the no-answer timer.
ANYTHING = "anything"
YES_NO = "yes_no"
VALUE = "value"


@dataclass(frozen=True)
class Reply:
    """What the assistant says at the end of a turn."""

    text: str  #: the sentence(s), written for the ear
    expects: str = ANYTHING  #: ANYTHING, YES_NO or VALUE: an answer is awaited unless ANYTHING
    events: tuple[str, ...] = ()  #: what happened, for logs and tests: "reading_saved", "alert_recorded"...


@dataclass(frozen=True)
class Turn:
    """One exchange: what was heard, what it meant, what the assistant answered."""

    heard: str
    understanding: Understanding
    reply: Reply

    def to_json(self) -> dict:
        return {"heard": self.heard, "intent": self.understanding.intent,
                "slots": dict(self.understanding.slots), "reply": self.reply.text}


@dataclass(kw_only=True)
class Question:
    """A question the assistant asked and is waiting to hear answered. Each question is one small subclass
    carrying its own data (the value read back, the reminder to set), how it reads an answer, its help
    sentence and what silence does; the manager knows no question by name.

    Adding a question = one subclass with `answer()` (and, when the defaults do not fit, `help_key`,
    `unsaved_key`, `on_silence`)."""

    text: str  #: the question, said again on a re-prompt or when the answer is not understood
    reprompted: bool = False

    expects: ClassVar[str] = YES_NO  #: what the live loop listens for (earcons, the no-answer timer)
    help_key: ClassVar[str] = "help.yes_no"  #: what "help" says while this question is open
    #: said when this question is left without an answer (silence, another request, goodbye): what it held
    #: was not saved. None: nothing to say (a list being read, a question about something already done).
    unsaved_key: ClassVar[str | None] = None
    #: a glucose value is what this question waits for: a value heard two ways is asked about (heard_two_ways)
    takes_value: ClassVar[bool] = False

    def prefer(self, u: Understanding, others: "list[Understanding]") -> Understanding | None:
        """Of an answer heard two ways, the reading this question takes; None: the question has no say."""
        return None

    @property
    def awaits_time(self) -> bool:
        """Whether a bare number answering this question is a time of day (« à neuf »), not a glucose value."""
        return False

    def answer(self, ctx: "DialogueContext", u: Understanding, now: datetime,
               asr_confidence: float | None) -> Reply | None:
        """The reply to an answer, or None when the utterance does not answer this question."""
        raise NotImplementedError

    def help(self, ctx: "DialogueContext") -> str:
        return ctx.say(self.help_key, example=ctx.example_medication())

    def on_silence(self, ctx: "DialogueContext", now: datetime) -> Reply:
        """Asked twice, no answer: by default the question is dropped, and the patient told what was not saved."""
        ctx.pending = None
        key = "gone_quiet_unsaved" if self.unsaved_key else "gone_quiet"
        return Reply(ctx.say(key), ANYTHING, ("gave_up",))

    def on_cancel(self, ctx: "DialogueContext") -> Reply:
        return ctx.tell(ctx.say("cancelled"), "cancelled")

    def left(self, ctx: "DialogueContext") -> str:
        """What is said when the patient moves on to another request while this question is open."""
        return ctx.say(self.unsaved_key) if self.unsaved_key else ""
