"""The tablet page's WebSocket messages, one small class each (wyoming's event dataclasses are the model).

Text frames are JSON objects with a "type"; audio travels in binary frames (the page's microphone as 16 kHz
16-bit mono, and after a `Play` message the clip's samples). static/tablet.js speaks the same messages.

    device -> page   Welcome  State  Reply  Play (then the samples)  Cut
    page -> device   Talk  Hold  Release  Stop  Played  Settings  Mic  Text

`to_json()` gives what is sent; each page message reads itself with `from_json(obj)`; `parse(text)` finds the
class by its type name and gives a message object, or None for anything that is not one of them (not JSON, an
unknown type, fields of the wrong kind), which is ignored.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any, ClassVar, Self, get_args

__all__ = [
    "Cut", "Hold", "Mic", "PageMessage", "Play", "Played", "Release", "Reply", "Settings", "State", "Stop", "Talk",
    "Text", "Welcome", "parse",
]


@dataclass(frozen=True)
class _Message:
    type: ClassVar[str]

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, **asdict(self)}


# --- device -> page --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply(_Message):
    """A reply about to be spoken: its words, and what was heard (None for a reply nobody asked for)."""

    type: ClassVar[str] = "reply"
    id: int
    text: str
    heard: str | None


@dataclass(frozen=True)
class Welcome(_Message):
    """First message on a new connection: the loop's state, the page's language, the last reply if any."""

    type: ClassVar[str] = "welcome"
    state: str
    lang: str
    reply: Reply | None = None

    def to_json(self) -> dict[str, Any]:
        reply = None if self.reply is None else {"id": self.reply.id, "text": self.reply.text,
                                                 "heard": self.reply.heard}
        return {"type": self.type, "state": self.state, "lang": self.lang, "reply": reply}


@dataclass(frozen=True)
class State(_Message):
    """The loop's state: "idle", "listening", "thinking", "speaking"..."""

    type: ClassVar[str] = "state"
    state: str


@dataclass(frozen=True)
class Play(_Message):
    """A clip follows in the next binary frame: `samples` 16-bit samples at `rate` Hz; `kind` speech or chime."""

    type: ClassVar[str] = "play"
    id: int
    kind: str
    rate: int
    samples: int


@dataclass(frozen=True)
class Cut(_Message):
    """Stop playing clip `id` now (the person interrupted, or said "stop")."""

    type: ClassVar[str] = "cut"
    id: int


# --- page -> device --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _FromPage(_Message):
    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Self | None:
        """The message in the page's decoded object; None, or TypeError / ValueError, when a field is not of its
        kind. By default: the message carries nothing."""
        return cls()


@dataclass(frozen=True)
class Talk(_FromPage):
    """The Talk button was pressed: a turn starts."""

    type: ClassVar[str] = "talk"


@dataclass(frozen=True)
class Hold(_FromPage):
    """The Talk button is still down after "talk": the turn lasts until `Release`."""

    type: ClassVar[str] = "hold"


@dataclass(frozen=True)
class Release(_FromPage):
    """The held Talk button was let go: the turn ends with what was heard."""

    type: ClassVar[str] = "release"


@dataclass(frozen=True)
class Stop(_FromPage):
    """The Stop button: stop speaking."""

    type: ClassVar[str] = "stop"


@dataclass(frozen=True)
class Played(_FromPage):
    """Clip `id` finished playing (`completed`) or was not heard to the end."""

    type: ClassVar[str] = "played"
    id: int = 0
    completed: bool = False

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Self | None:
        return cls(int(raw.get("id", 0)), bool(raw.get("completed")))


@dataclass(frozen=True)
class Settings(_FromPage):
    """The page's settings: `voice` False when the person's screen reader reads the replies instead."""

    type: ClassVar[str] = "settings"
    voice: bool = True

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Self | None:
        return cls(bool(raw.get("voice", True)))


@dataclass(frozen=True)
class Mic(_FromPage):
    """The page could not open its microphone: why (for the device's log)."""

    type: ClassVar[str] = "mic"
    error: str | None = None

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Self | None:
        error = raw.get("error")
        return cls(None if error is None else str(error))


@dataclass(frozen=True)
class Text(_FromPage):
    """A sentence typed on the page (the device cannot hear the language yet): a turn, as if it had been said."""

    type: ClassVar[str] = "text"
    text: str

    MAX_CHARS: ClassVar[int] = 500  #: longer is not one sentence of a patient: ignored

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Self | None:
        typed = raw.get("text")
        if not isinstance(typed, str) or not typed.strip() or len(typed) > cls.MAX_CHARS:
            return None
        return cls(" ".join(typed.split()))


PageMessage = Talk | Hold | Release | Stop | Played | Settings | Mic | Text

#: the page's messages by type name
_FROM_PAGE: dict[str, type[PageMessage]] = {cls.type: cls for cls in get_args(PageMessage)}


def parse(text: str | bytes) -> PageMessage | None:
    """A message from the page, or None when `text` is not one (it is then ignored)."""
    try:
        raw = json.loads(text)
        kind = raw.get("type")
    except (ValueError, AttributeError, TypeError, RecursionError):  # RecursionError: [[[[... nested too deep
        return None
    cls = _FROM_PAGE.get(kind) if isinstance(kind, str) else None
    if cls is None:
        return None
    try:
        return cls.from_json(raw)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an id of 1e400
        return None
