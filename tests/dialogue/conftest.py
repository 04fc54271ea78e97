"""A scripted conversation: a real DialogueManager over a real SQLite store, with a clock the test moves.

`chat("fr")` gives a `Chat`; `c.say("oui")` returns the reply text and checks that it is fit for the ear
(no digits, no unit symbols, no unfilled {field}); `c.later(minutes=5)` moves the clock; `c.tick(seconds=8)`
lets silence pass. Nothing sleeps: every time is injected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest

from voice_assistant.dialogue.manager import DialogueManager, Timing
from voice_assistant.dialogue.state import Reply, Turn
from voice_assistant.profile import Profile, default_profile
from voice_assistant.store import Store

# Wednesday 12 March 2025, 07:40 in the patient's time zone (the default profile's Europe/Paris)
START = (2025, 3, 12, 7, 40)

# What must never reach a speech synthesiser: digits ("08:30", "15"), unit symbols, code-like leftovers.
# The meter display words HI and LO are the only capitals-only words allowed.
_NOT_FOR_THE_EAR = [
    (re.compile(r"\d"), "a digit"),
    (re.compile(r"mg\s*/|/\s*dl|g\s*/\s*l|mmol|hba1c|\ba1c\b", re.I), "a unit symbol or abbreviation"),
    (re.compile(r"/"), "a slash"),
    (re.compile(r"[{}]"), "an unfilled {field}"),
    (re.compile(r"\bNone\b|\bTrue\b|\bFalse\b"), "a Python value"),
    (re.compile(r"_"), "an identifier (underscore)"),
    (re.compile(r"\s{2,}|\s[,.]|^\s|\s$"), "stray spaces"),  # « ça ? » is French typography
    (re.compile(r"[.?!]\s+[a-zà-ÿ]"), "a sentence starting in lower case"),
    (re.compile(r"\.\."), "a doubled full stop"),
]
_ALLOWED_CAPITALS = {"HI", "LO"}


def assert_speakable(text: str) -> None:
    """The reply can be read aloud as is: plain words, no symbols, no leftovers."""
    assert text and text.strip(), "empty reply"
    for pattern, what in _NOT_FOR_THE_EAR:
        match = pattern.search(text)
        assert match is None, f"{what} in speech: {match.group(0)!r} in {text!r}"
    for word in re.findall(r"\b[A-Z]{2,}\b", text):
        assert word in _ALLOWED_CAPITALS, f"an abbreviation in speech: {word!r} in {text!r}"


@dataclass
class Chat:
    manager: DialogueManager
    store: Store
    now: datetime
    transcript: list[tuple[str, str]] = field(default_factory=list)
    last_turn: Turn | None = None

    @property
    def profile(self) -> Profile:
        return self.manager.profile

    @property
    def expects(self) -> str:
        return self.manager.expects

    @property
    def last_reply(self) -> Reply:
        return self.last_turn.reply

    def say(self, text: str) -> str:
        """One patient utterance at the current time; returns what the assistant answers."""
        self.last_turn = self.manager.handle(text, self.now)
        reply = self.last_turn.reply
        assert_speakable(reply.text)
        self.transcript.append((text, reply.text))
        return reply.text

    def tick(self, seconds: float) -> str | None:
        """Let `seconds` of silence pass; returns what the assistant says then, if anything."""
        self.now += timedelta(seconds=seconds)
        reply = self.manager.tick(self.now)
        if reply is not None:
            assert_speakable(reply.text)
            self.transcript.append(("", reply.text))
        return reply.text if reply else None

    def later(self, **delta: float) -> None:
        self.now += timedelta(**delta)

    def at(self, days_ago: int, hour: int, minute: int = 0) -> None:
        """Move the clock to a wall-clock time in the patient's zone, `days_ago` days before the start day."""
        day = datetime(*START[:3]) - timedelta(days=days_ago)
        self.now = datetime(day.year, day.month, day.day, hour, minute, tzinfo=self.profile.zone)

    def log(self, utterance: str, yes: str) -> str:
        """Say a value and confirm it; returns the answer to the yes."""
        self.say(utterance)
        assert self.expects == "yes_no", self.transcript[-1]
        return self.say(yes)


@pytest.fixture
def profile() -> Profile:
    return default_profile()


@pytest.fixture
def store(tmp_path):
    s = Store.open(tmp_path / "a.db")
    yield s
    s.close()


@pytest.fixture(autouse=True)
def _no_user_config(tmp_path, monkeypatch):
    """Whatever happens, the tests never read or write the real user's profile or database."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


@pytest.fixture
def chat(profile, store):
    def make(lang: str, profile_: Profile | None = None, timing: Timing = Timing()) -> Chat:
        p = profile_ or profile
        manager = DialogueManager(p, store, lang, timing=timing, save_profile_changes=False)
        return Chat(manager, store, datetime(*START, tzinfo=p.zone))
    return make
