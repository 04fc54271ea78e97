"""When something happened, as patients say it: « hier soir », "last night", "this morning at seven",
« il y a deux heures », "an hour ago", « avant-hier », « maintenant ».

Understanding finds the words (`find_when`, with the pack's `when:` section) and keeps them as a `Moment`: what
was said, not yet an instant, since only the dialogue knows the clock. `Moment.resolve(now, zone)` then gives
the instant to store and whether it is exact (a clock time, "two hours ago") or only the part of a day
(« hier soir »: read back as such). A moment in the future is refused by the dialogue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Collection, Sequence

from voice_assistant.nlu.spans import PhraseSet, Span, is_int

#: Parts of the day: the hours they cover [start, end) and the hour a reading said only with the part is
#: stored at. Night is the small hours of a day (« cette nuit », said in the morning).
PARTS = {
    "night": (0, 5, 3),
    "morning": (5, 12, 8),
    "noon": (12, 14, 12),
    "afternoon": (14, 18, 15),
    "evening": (18, 24, 20),
}
#: A clock time up to this far ahead of the clock is "now" (a slow clock, a patient rounding up).
FUTURE_GRACE = timedelta(minutes=10)
#: How far back a moment may be said: older ones are not what a reading log is for.
MAX_DAYS_BACK = 2
#: The most hours, and minutes, an amount of time is said with ("48 hours", "90 minutes")
MAX_HOURS_SAID = 48
MAX_MINUTES_SAID = 240


@dataclass(frozen=True)
class WhenLexicon:
    days: dict[int, PhraseSet]  #: days back -> phrases (« hier » 1, « avant-hier » 2)
    parts: dict[str, PhraseSet]  #: part of the day -> phrases (« ce matin », "tonight")
    moments: dict[tuple[int, str], PhraseSet]  #: (days back, part) said in one phrase ("last night")
    ago_before: PhraseSet  #: « il y a » before the amount
    ago_after: PhraseSet  #: "ago" after the amount
    hours: PhraseSet  #: « heures », "hours"
    minutes: PhraseSet  #: « minutes », "minutes"
    half_hour: PhraseSet  #: « une demi-heure », "half an hour"
    now: PhraseSet  #: « maintenant », "just now"
    one: PhraseSet  #: an article meaning one before a unit: "an hour" (« une heure » is already 1 heure)
    #: a meal context -> what, said just before how long ago, makes a reading taken after it ("i had my *lunch* about 2
    #: hours ago and now it's 190": after_meal)
    ago_contexts: dict[str, PhraseSet] = field(default_factory=dict)
    quarter_hour: PhraseSet = field(default_factory=lambda: PhraseSet(()))  #: « un quart d'heure », "a quarter hour"
    #: a preposition that makes how long a delay or a length of time: "*in* 15 minutes", « *dans* deux heures », "*for*
    #: 20 minutes" (see `duration_spans`)
    delay_before: PhraseSet = field(default_factory=lambda: PhraseSet(()))
    #: words of checking again ("check again", « je recontrôle »): a bare number after one and a `delay_before`
    #: preposition is a delay in minutes ("i'll check again in 15"), no value
    rechecks: PhraseSet = field(default_factory=lambda: PhraseSet(()))
    #: the `delay_before` prepositions that count from now ("remind me *in* 30 minutes", « *dans* une heure »; not "for
    #: 20 minutes", a length of time): a request for later said with one is due after that delay (`delay_from_now`)
    from_now: PhraseSet = field(default_factory=lambda: PhraseSet(()))
    #: words that may stand with a `rechecks` phrase in a sentence that only tells a plan ("ok, I'm *going* to check
    #: again in 15 minutes"): with the pack's small words, such a sentence is small talk (no reading, no request)
    plan_words: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.days or self.parts or self.now)


@dataclass(frozen=True)
class Moment:
    """When something happened, as said (see the module doc)."""

    days_back: int | None = None  #: 0 today, 1 yesterday...; None when no day was said
    part: str | None = None  #: a key of PARTS
    clock: str | None = None  #: "HH:MM" when a time of day was said
    ago_minutes: int | None = None  #: "two hours ago" -> 120
    now: bool = False  #: « maintenant », "just now"

    def resolve(self, now: datetime, zone: tzinfo) -> tuple[datetime, bool]:
        """(the instant, whether it is exact). The instant may lie in the future: the caller refuses it."""
        local = now.astimezone(zone)
        if self.now:
            return now, True
        if self.ago_minutes is not None:
            return now - timedelta(minutes=self.ago_minutes), True
        day = (local - timedelta(days=self.days_back or 0)).date()
        if self.clock is not None:
            hour, minute = (int(x) for x in self.clock.split(":"))
            if self.part in ("afternoon", "evening") and hour < 12:
                hour += 12  # « hier soir à neuf heures »
            at = datetime(day.year, day.month, day.day, hour % 24, minute, tzinfo=zone)
            if self._day_not_over(local) and hour >= 12 and at > now + FUTURE_GRACE:
                at -= timedelta(days=1)  # "at 11 pm", said at half past midnight: the evening just gone
            return at, True
        if self.part is not None:
            start, end, typical = PARTS[self.part]
            if (self.days_back or 0) == 0 and start <= local.hour < end:
                return now, True  # « ce matin » said in the morning: now
            if self._day_not_over(local) and self.part != "night":
                day -= timedelta(days=1)  # "this morning", said at one in the morning: the day not slept on yet
            return datetime(day.year, day.month, day.day, typical, tzinfo=zone), False
        if self.days_back:
            return datetime(day.year, day.month, day.day, 12, tzinfo=zone), False
        return now, True

    def _day_not_over(self, local: datetime) -> bool:
        """Said in the small hours with no day named: a person still up after midnight means the day they have not
        slept on yet ("this evening", "my sugar was 120 this morning", "at 11 pm" at 00:40), not one to come. (A clock
        hour under 12, "at eleven", may be the morning to come as well as the evening gone: it is asked again.)"""
        return self.days_back is None and local.hour < PARTS["night"][1]

    def is_future(self, now: datetime, zone: tzinfo) -> bool:
        at, _ = self.resolve(now, zone)
        if self._day_not_over(now.astimezone(zone)):
            return at > now + FUTURE_GRACE
        if self.part is not None and self.clock is None and (self.days_back or 0) == 0:
            return PARTS[self.part][0] > now.astimezone(zone).hour  # « ce soir » said in the morning
        return at > now + FUTURE_GRACE


def find_when(tokens: Sequence[str], lex: WhenLexicon, times: Sequence[Span] = ()) -> tuple[Moment, str] | None:
    """The moment said in the tokens, with its words; `times` are the clock times the slot grammar found."""
    if not lex:
        return None
    days = part = ago = None
    said_now = False
    words: list[str] = []
    covered: set[int] = set()
    i = 0
    while i < len(tokens):
        n, found = _match(tokens, i, lex)
        if n:
            kind, value = found
            if kind == "moment":
                days, part = value
            elif kind == "day":
                days = value
            elif kind == "part":
                part = value
            elif kind == "ago":
                ago = value
            elif kind == "now":
                said_now = True
            words += tokens[i:i + n]
            covered.update(range(i, i + n))
            i += n
        else:
            i += 1
    clock = None
    ago_at = {k for a, b in ago_spans(tokens, lex) for k in range(a, b)}
    for span in times:  # a clock time wins over the part of the day inside it ("at seven in the morning")
        if not ago_at & set(range(span.start, span.end)):
            clock = span.value
            words += [t for k, t in enumerate(tokens[span.start:span.end], span.start) if k not in covered]
            break
    if days is None and part is None and ago is None and clock is None and not said_now:
        return None
    if days is not None and days > MAX_DAYS_BACK:
        days = MAX_DAYS_BACK
    return Moment(days_back=days, part=part, clock=clock, ago_minutes=ago, now=said_now), " ".join(words)


def _match(tokens: Sequence[str], i: int, lex: WhenLexicon) -> tuple[int, tuple]:
    """The longest when-phrase at tokens[i]: (length, (kind, value)), or (0, ())."""
    best: tuple[int, tuple] = (0, ())
    if (n := lex.ago_before.match(tokens, i)) and (amount := _amount(tokens, i + n, lex)):
        best = (n + amount[0], ("ago", amount[1]))
    if (amount := _amount(tokens, i, lex)) and (n := lex.ago_after.match(tokens, i + amount[0])):
        if amount[0] + n > best[0]:
            best = (amount[0] + n, ("ago", amount[1]))
    for kind, table in (("moment", lex.moments), ("day", lex.days), ("part", lex.parts)):
        for value, phrases in table.items():
            n = phrases.match(tokens, i)
            if n > best[0]:
                best = (n, (kind, value))
    if (n := lex.now.match(tokens, i)) > best[0]:
        best = (n, ("now", True))
    return best


def _amount(tokens: Sequence[str], i: int, lex: WhenLexicon, least: int = 1) -> tuple[int, int] | None:
    """"2 hours", "an hour", "30 minutes", "half an hour", « un quart d'heure » at tokens[i]: (length, minutes). A count
    under `least` is none ("0 minutes" is one only after a preposition of delay: "in 0 minutes" is then asked again)."""
    if (n := lex.half_hour.match(tokens, i)):
        return n, 30
    if (n := lex.quarter_hour.match(tokens, i)):
        return n, 15
    count, k = 1, i
    if k < len(tokens) and is_int(tokens[k], least, MAX_MINUTES_SAID):
        count, k = int(tokens[k]), k + 1
    elif (n := lex.one.match(tokens, k)):
        k += n  # "an hour"
    if (n := lex.hours.match(tokens, k)) and count <= MAX_HOURS_SAID:
        return k - i + n, 60 * count
    if (n := lex.minutes.match(tokens, k)) and k > i:
        return k - i + n, count
    return None


def ago_spans(tokens: Sequence[str], lex: WhenLexicon | None) -> list[tuple[int, int]]:
    """Where "two hours ago", « il y a une demi-heure » are: their numbers are no glucose value and no clock
    time, and they say nothing about what is asked (the slot grammar leaves them out)."""
    if lex is None:
        return []
    found = []
    i = 0
    while i < len(tokens):
        n, what = _match(tokens, i, lex)
        if n and what[0] == "ago":
            found.append((i, i + n))
            i += n
        else:
            i += 1
    return found


def duration_spans(tokens: Sequence[str], lex: WhenLexicon | None,
                   apart: Sequence[tuple[int, int]] = ()) -> list[tuple[int, int]]:
    """Where how long is said, not how long ago: "in 15 minutes", "for 20 minutes", « dans un quart d'heure », "30
    minutes after lunch", "i'll check again in 15": a delay or a length of time. Its number is no glucose value and no
    clock time, and it says nothing about what is asked (the slot grammar leaves it out, as it does `ago_spans`).

    An amount in minutes (or a half or a quarter of an hour) is one said anywhere; an amount in hours only after a
    `delay_before` preposition ("in 2 hours", « dans deux heures »: « à deux heures », "2 hours" alone stay the time
    grammar's); a bare number only after a `rechecks` phrase and such a preposition ("check again in 60"). The
    preposition belongs to the stretch. Nothing inside `apart` (the "ago" stretches, the pack's list phrases: "two
    hours after" is a meal context) is taken."""
    if lex is None:
        return []
    blocked = {k for a, b in apart for k in range(a, b)}
    found: list[tuple[int, int]] = []
    i = 0
    while i < len(tokens):
        end = _duration_at(tokens, i, lex)
        if end and not blocked & set(range(i, end)):
            found.append((i, end))
            i = end
        else:
            i += 1
    return found


def _duration_at(tokens: Sequence[str], i: int, lex: WhenLexicon) -> int:
    """The end of a duration said from tokens[i] (0 when none starts there)."""
    before = lex.delay_before.match(tokens, i)
    k = i + before
    amount = _amount(tokens, k, lex, least=0 if before else 1)
    if amount is not None and (before or (is_int(tokens[k]) and lex.minutes.match(tokens, k + 1))):
        return k + amount[0]
    if before and k < len(tokens) and is_int(tokens[k], 1, MAX_RECHECK_MINUTES) and recheck_before(tokens, i, lex) is not None:
        return k + 1
    return 0


def delay_from_now(tokens: Sequence[str], lex: WhenLexicon | None,
                   durations: Sequence[Span]) -> tuple[int, Span] | None:
    """How many minutes from now a delay says, with its span, for the first of `durations` (spans of
    `duration_spans`, a checking again left out) that opens with a `from_now` preposition ("in 30 minutes" 30, "in two
    hours" 120, « dans un quart d'heure » 15, "in 0 minutes" 0: the dialogue asks again); None when none does ("for 20
    minutes")."""
    if lex is None:
        return None
    for span in durations:
        if span.info.get("recheck"):
            continue
        n = lex.from_now.match(tokens, span.start)
        if not n:
            continue
        before = lex.delay_before.match(tokens, span.start)
        amount = _amount(tokens, span.start + max(n, before), lex, least=0)
        if amount is not None and span.start + max(n, before) + amount[0] == span.end:
            return amount[1], span
    return None


def recheck_before(tokens: Sequence[str], start: int, lex: WhenLexicon) -> int | None:
    """Where a `rechecks` phrase ending just before `start` (a duration) begins ("*check again* in 15 minutes"), or
    None."""
    longest = max((len(p) for p in lex.rechecks), default=0)  # (the pack's own phrases: a longer one is never cut)
    return next((j for j in range(max(0, start - longest), start) if lex.rechecks.match(tokens, j) == start - j), None)


def only_a_recheck(tokens: Sequence[str], lex: WhenLexicon | None, small: Collection[str], rechecked: bool) -> bool:
    """Whether the tokens say only that the patient will check again: `rechecked` (a `rechecks` phrase said with how
    long, both left out of the tokens), and nothing else but `small` words and the pack's `plan_words` ("ok i will
    check again in 15 minutes", « bon je recontrôle dans un quart d'heure »)."""
    return lex is not None and rechecked and all(t in small or t in lex.plan_words for t in tokens)


#: The longest delay in minutes a bare number after a `rechecks` phrase is read as ("check again in 60")
MAX_RECHECK_MINUTES = 120
