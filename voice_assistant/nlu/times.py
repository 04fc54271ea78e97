"""Times of day as patients say them, to 24-hour "HH:MM".

Covers « huit heures et demie », « neuf heures moins le quart », « midi », « vingt-deux heures »,
« neuf heures du soir », "8 pm", "half past eight in the morning", "quarter to seven", "seven fifteen".
The words come from the pack's `time:` section; the shapes below are shared by both languages.
An hour from 1 to 11 without a morning/evening mark is taken as said (morning), as the contract fixes.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Sequence

from voice_assistant.nlu.spans import PhraseSet, Span, is_int, is_number


@dataclass(frozen=True)
class TimeLexicon:
    hour_words: PhraseSet  #: « heures », « h », "o'clock"
    half: PhraseSet  #: « et demie » (after the hour) / "half" (before "past")
    quarter: PhraseSet  #: « et quart » (after the hour) / "quarter" (before "past"/"to")
    quarter_to: PhraseSet  #: « moins le quart » (after the hour)
    minus: PhraseSet  #: « moins » in « neuf heures moins dix »
    past: PhraseSet  #: "past", "after" in "ten past eight"
    to: PhraseSet  #: "to", "till" in "ten to eight"
    noon: PhraseSet
    midnight: PhraseSet
    am: PhraseSet  #: « du matin », "am", "in the morning"
    pm: PhraseSet  #: « du soir », « de l'après-midi », "pm", "at night"
    prepositions: PhraseSet  #: « à », « vers », "at", "around": a bare hour after them is a time
    minute_words: PhraseSet  #: "minutes" in "ten minutes past"
    #: the half of the day said further on in the sentence ("at 8 *every evening*", « à 8 heures *tous les soirs* "):
    #: an hour 1-11 with no mark of its own is then pm
    pm_later: PhraseSet = PhraseSet(())


def find_times(tokens: Sequence[str], lex: TimeLexicon, bare: bool = False) -> list[Span]:
    """Times in the tokens. With `bare`, an hour with no mark at all ("metformin six thirty") counts too,
    as an uncertain time: the caller tries that reading only when a reminder is what the sentence is about."""
    spans: list[Span] = []
    i = 0
    while i < len(tokens):
        span = _time_at(tokens, i, lex, bare)
        if span:
            spans.append(_evening_said_before(tokens, span, lex))
            i = span.end
        else:
            i += 1
    return [_evening_said_after(tokens, span, spans[k + 1].start if k + 1 < len(spans) else len(tokens), lex)
            for k, span in enumerate(spans)]


#: How many words may stand between an hour and the half of the day said after it ("at 8 *for my metformin* every
#: evening").
PM_LATER_REACH = 4


def _evening_said_after(tokens: Sequence[str], span: Span, until: int, lex: TimeLexicon) -> Span:
    """"remind me metformin at 8 every evening", "at 10 for my lantus at night": the half of the day said a few words
    after the hour (not right after it: that is the hour's own mark, "8 pm"), before any other number or time."""
    hour, minute = (int(x) for x in span.value.split(":"))
    if not 1 <= hour < 12 or span.info.get("day_part"):
        return span
    for k in range(span.end, min(until, span.end + PM_LATER_REACH + 1)):
        if is_number(tokens[k]) or lex.am.match(tokens, k):
            return span
        if lex.pm_later.match(tokens, k):
            return Span(span.start, span.end, "time", _fmt(hour + 12, minute), span.certain,
                        span.info | {"day_part": True})
    return span


#: A clock time written as one number, as whisper writes it: "715", "1130", "9.15", « 2130 » (two-digit minutes).
_CLOCK_DIGITS = re.compile(r"(2[0-3]|1[0-9]|0?[1-9])\.?([0-5][0-9])")


def split_clock_digits(tokens: Sequence[str], lex: TimeLexicon, after: Collection[int] = ()) -> list[str]:
    """"remind me at 715 in the morning", "cancel the reminder at 9.15" -> "... 7 15 ...", "... 9 15": a clock
    time written as one number is split into hour and minutes where a time may be meant (a preposition before
    it, a day part or an hour word after it). Only for the reading with more times (see slots.READINGS): the
    understanding keeps it only when it makes a clearly better sentence for an intent that takes a time, so
    "i was at 115 this morning" stays a reading of 115. `after`: positions where a number may be a time with no
    mark around it (just after a medicine's name: "remind me take gliclazide 630", as "lantus nine thirty")."""
    out: list[str] = []
    for k, token in enumerate(tokens):
        m = _CLOCK_DIGITS.fullmatch(token)
        if m and (lex.am.match(tokens, k + 1) or lex.pm.match(tokens, k + 1) or lex.hour_words.match(tokens, k + 1)
                  or (k > 0 and lex.prepositions.match(tokens, k - 1) == 1) or k in after):
            out += [str(int(m.group(1))), m.group(2)]
        else:
            out.append(token)
    return out


def _evening_said_before(tokens: Sequence[str], span: Span, lex: TimeLexicon) -> Span:
    """« le soir à neuf heures », "tonight at nine": the half of the day can come before the hour."""
    hour, minute = (int(x) for x in span.value.split(":"))
    if not 1 <= hour < 12 or span.info.get("day_part"):
        return span
    for k in range(max(0, span.start - 4), span.start):
        if lex.pm.match(tokens, k) == span.start - k:
            return Span(span.start, span.end, "time", _fmt(hour + 12, minute), span.certain,
                        span.info | {"day_part": True})
    return span


def _fmt(hour: int, minute: int) -> str:
    return f"{hour % 24:02d}:{minute:02d}"


def _time_at(tokens: Sequence[str], i: int, lex: TimeLexicon, bare: bool) -> Span | None:
    start = i
    certain = True
    after_prep = lex.prepositions.match(tokens, i)
    i += after_prep
    if i >= len(tokens):
        return None
    # "quarter to seven", "half past eight", "ten past nine"
    minutes_before = None
    j = i
    if (n := lex.half.match(tokens, i)):
        minutes_before, j = 30, i + n
    elif (n := lex.quarter.match(tokens, i)):
        minutes_before, j = 15, i + n
    elif is_int(tokens[i], 1, 59) and i + 1 < len(tokens):
        j = i + 1 + lex.minute_words.match(tokens, i + 1)
        if lex.past.match(tokens, j) or lex.to.match(tokens, j):
            minutes_before = int(tokens[i])
    if minutes_before is not None:
        sign = 1 if (n := lex.past.match(tokens, j)) else -1 if (n := lex.to.match(tokens, j)) else 0
        if sign and j + n < len(tokens):
            base = _base_hour(tokens, j + n, lex)
            if base is not None:
                hour, k = base
                hour, minute = (hour, minutes_before) if sign > 0 else (hour - 1, 60 - minutes_before)
                hour, k = _day_part(tokens, k, hour, lex)
                return Span(start, k, "time", _fmt(hour, minute), info={"worded": True})
        if not sign and lex.half.match(tokens, i) and j < len(tokens) and is_int(tokens[j], 1, 12):
            # "half six": half past six, as said in Britain and Ireland (never "half to"); the half of the day
            # may follow ("half seven in the morning")
            hour, k = _day_part(tokens, j + 1, int(tokens[j]), lex)
            return Span(start, k, "time", _fmt(hour, 30), info={"worded": True, "day_part": k > j + 1})
    if (n := lex.noon.match(tokens, i)):
        hour, minute, k = 12, 0, i + n
        hour, minute, k = _minutes_after(tokens, k, hour, minute, lex)
        return Span(start, k, "time", _fmt(hour, minute), info={"worded": True})
    if (n := lex.midnight.match(tokens, i)):
        hour, minute, k = 0, 0, i + n
        hour, minute, k = _minutes_after(tokens, k, hour, minute, lex)
        return Span(start, k, "time", _fmt(hour, minute), info={"worded": True})
    if not is_int(tokens[i], 0, 24):
        return None
    hour, k = int(tokens[i]), i + 1
    hour_word = lex.hour_words.match(tokens, k)
    k += hour_word
    hour, minute, k2 = _minutes_after(tokens, k, hour, 0, lex)
    bare_minutes = k2 == k + 1 and is_int(tokens[k], 0, 59)
    marked_minutes = k2 > k and not bare_minutes  # « et demie », « moins le quart »: only times say that
    k = k2
    # "o'clock" may follow the minutes-less hour ("seven o'clock"); « heures » comes before the minutes
    if not hour_word and (n := lex.hour_words.match(tokens, k)):
        hour_word, k = n, k + n
    hour2, k3 = _day_part(tokens, k, hour, lex)
    day_part = k3 > k
    hour, k = hour2, k3
    if not (hour_word or day_part or after_prep or marked_minutes or (bare and 1 <= hour <= 12)):
        return None
    if not (hour_word or day_part or marked_minutes):
        certain = False  # "at 8" alone: most likely a time, but the caller decides
    if hour > 24:
        return None
    return Span(start, k, "time", _fmt(hour, minute), certain=certain,
                info={"hour_word": bool(hour_word), "worded": marked_minutes, "day_part": day_part})


def _base_hour(tokens: Sequence[str], k: int, lex: TimeLexicon) -> tuple[int, int] | None:
    if (n := lex.noon.match(tokens, k)):
        return 12, k + n
    if (n := lex.midnight.match(tokens, k)):
        return 24, k + n
    if is_int(tokens[k], 1, 23):
        k2 = k + 1
        k2 += lex.hour_words.match(tokens, k2)
        return int(tokens[k]), k2
    return None


def _minutes_after(tokens: Sequence[str], k: int, hour: int, minute: int,
                   lex: TimeLexicon) -> tuple[int, int, int]:
    """« et demie », « et quart », « moins le quart », « moins dix », or the minutes as a number."""
    if (n := lex.half.match(tokens, k)):
        return hour, 30, k + n
    if (n := lex.quarter.match(tokens, k)):
        return hour, 15, k + n
    if (n := lex.quarter_to.match(tokens, k)):
        return hour - 1, 45, k + n
    if (n := lex.minus.match(tokens, k)) and k + n < len(tokens) and is_int(tokens[k + n], 1, 59):
        return hour - 1, 60 - int(tokens[k + n]), k + n + 1 + lex.minute_words.match(tokens, k + n + 1)
    if k < len(tokens) and is_int(tokens[k], 0, 59) and len(tokens[k]) == 2:
        # "seven fifteen", « huit heures trente »: a time only with another mark around it (the caller checks)
        return hour, int(tokens[k]), k + 1 + lex.minute_words.match(tokens, k + 1)
    return hour, minute, k


def _day_part(tokens: Sequence[str], k: int, hour: int, lex: TimeLexicon) -> tuple[int, int]:
    if (n := lex.am.match(tokens, k)):
        return (0 if hour == 12 else hour), k + n
    if (n := lex.pm.match(tokens, k)):
        return (hour + 12 if hour < 12 else hour), k + n
    return hour, k
