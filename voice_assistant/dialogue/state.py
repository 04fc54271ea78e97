"""What flows out of a turn, and what the conversation is waiting for between turns."""

from __future__ import annotations

from dataclasses import dataclass

from voice_assistant.nlu import Understanding

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
