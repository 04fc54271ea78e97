"""Numbers and glucose values, on top of text2num.

text2num's `alpha2digit` turns « cent vingt-huit » into 128 and "six point five" into 6.5, but knows
nothing of how patients say a glucose value: « un gramme vingt » (1.20 g/L), « un vingt » (same),
"one eighteen" (118), "one oh nine" (109). Those shorthands are grammar rules here, switched on and
fed with words by each language pack (`numbers:` and `units:` sections), so no French or English
word lives in this file.
"""

from __future__ import annotations

__all__ = ["GlucoseValue", "NumberLexicon", "find_glucose", "tokens_with_digits"]

import math
import re
from dataclasses import dataclass, field
from typing import Sequence

from text_to_num import alpha2digit

from voice_assistant.health.glucose import BARE_MG_DL_FROM, GlucoseUnit, GlucoseValue
from voice_assistant.nlu.normalize import fold_accents
from voice_assistant.nlu.spans import PhraseSet, Span, as_number, is_int, is_number


@dataclass(frozen=True)
class NumberLexicon:
    """The number and unit words of one language, from its pack."""

    lang: str
    small: dict[str, int]  #: words alpha2digit leaves alone when isolated ("un", "one", "zero")
    decimal_words: frozenset[str]  #: « virgule », "point"
    zero_words: frozenset[str]  #: "oh" in "one oh nine"
    hundreds_shorthand: bool  #: "one eighteen" = 118 (English meters are in mg/dL)
    pair_shorthand_unit: GlucoseUnit | None  #: « un vingt » = 1.20 g/L
    fraction_after_unit: frozenset[GlucoseUnit]  #: « un gramme vingt » = 1.20 g/L
    units: dict[GlucoseUnit, PhraseSet]  #: phrases naming each unit
    number_neighbours: PhraseSet  #: words after which an isolated small word is a number (units, hours...)
    default_unit: GlucoseUnit  #: unit of a bare small value when the profile gives none
    words: frozenset[str] = frozenset()  #: every number word (accent-folded)
    homophones: dict[str, str] = field(default_factory=dict)  #: « vin » -> « vingt », next to a number only
    joiners: frozenset[str] = frozenset()  #: "and" in "a hundred and 12" (a recogniser writing words and digits)
    #: "in" in "100 in 60", whisper's "a hundred and sixty": a joiner only between hundreds of a glucose value and two
    #: digits that no word of `time_or_count` follows ("100 in 60 minutes" stays a hundred, then a time)
    written_joiners: frozenset[str] = frozenset()
    #: words after a number that make it a time or a count ("minutes", "hours", "days", "units")
    time_or_count: PhraseSet = field(default_factory=lambda: PhraseSet(()))
    dose_words: PhraseSet = field(default_factory=lambda: PhraseSet(()))  #: "units", « comprimés »: a number
    #: before one is a quantity of medicine, never a glucose value or a clock time ("i took 10 units")
    #: things counted ("years", « ans », "degrees", "cats"): a number before one is no glucose value and no time
    counted: PhraseSet = field(default_factory=lambda: PhraseSet(()))
    #: "and a half", « et demi »: a half after a small whole value ("seven and a half" is 7.5 mmol/L, « un gramme et
    #: demi » 1.5 g/L)
    halves: PhraseSet = field(default_factory=lambda: PhraseSet(()))


#: "1.25": one to five hundred and some, said in pieces and written as a decimal (see `_glucose_at`)
_HUNDREDS_AS_DECIMAL = re.compile(r"[1-5][.,]\d\d")


def tokens_with_digits(cleaned: str, lex: NumberLexicon) -> list[str]:
    """Cleaned text -> accent-folded tokens, spelled numbers turned to digits where they are numbers."""
    if lex.homophones:
        cleaned = _fix_homophones(cleaned, lex)
    try:
        converted = alpha2digit(cleaned, lex.lang)
    except Exception:  # text2num is strict about odd input; the words then stay words
        converted = cleaned
    tokens = fold_accents(converted).split()
    out = list(tokens)
    for i, token in enumerate(tokens):
        if token not in lex.small:
            continue
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        after_number = i > 0 and is_number(out[i - 1])  # "one oh two": "two" follows a number
        if after_number or is_number(nxt) or nxt in lex.decimal_words or nxt in lex.zero_words \
                or nxt in lex.small or lex.number_neighbours.match(tokens, i + 1):
            out[i] = str(lex.small[token])
    return _join_hundreds(out, lex) if lex.joiners or lex.written_joiners else out


#: The hundreds a written joiner ("100 in 60") may follow: those of a glucose value in mg/dL (a meter reads up to 600)
WRITTEN_JOINER_HUNDREDS = (100, 500)


def _join_hundreds(tokens: list[str], lex: NumberLexicon) -> list[str]:
    """"100 and 12" -> "112": a recogniser that writes some numbers in digits (whisper) turns "a hundred and
    twelve" into "a hundred and 12", which text2num leaves as two numbers (the second then read as 12 mmol/L).
    Whisper also writes that "and" as "in" ("my sugar was 100 in 60", the last number then read as the value, 60):
    joined too, but only where "and" fits a glucose value (see `_written_join`)."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if is_int(t, 100, 900) and int(t) % 100 == 0 and i + 2 < len(tokens) and (
                (tokens[i + 1] in lex.joiners and is_int(tokens[i + 2], 1, 99)) or _written_join(tokens, i, lex)):
            out.append(str(int(t) + int(tokens[i + 2])))
            i += 3
            continue
        out.append(t)
        i += 1
    return out


def _written_join(tokens: list[str], i: int, lex: NumberLexicon) -> bool:
    """"100 in 60" at `i`: hundreds of a glucose value, a written joiner, then two digits that end the sentence or are
    followed by no further number and no word of a time or a count ("100 in 60 minutes", "200 in 30 days",
    "100 in 10 units" are not joined)."""
    low, high = WRITTEN_JOINER_HUNDREDS
    tens, after = tokens[i + 2], i + 3
    return tokens[i + 1] in lex.written_joiners and is_int(tokens[i], low, high) and is_int(tens, 10, 99) \
        and len(tens) == 2 and not (after < len(tokens) and (
            is_number(tokens[after]) or tokens[after] in lex.decimal_words or lex.time_or_count.match(tokens, after)))


def _fix_homophones(cleaned: str, lex: NumberLexicon) -> str:
    """A recogniser writes « quatre vin dix », « cent vin »: a number word's sound-alike, fixed only where a
    number stands next to it (« un verre de vin » stays wine)."""
    tokens = cleaned.split()
    folded = [fold_accents(t) for t in tokens]

    def numberish(k: int) -> bool:
        return 0 <= k < len(tokens) and (folded[k] in lex.words or folded[k][:1].isdigit()
                                         or lex.number_neighbours.match(folded, k) > 0)

    changed = False
    for i, word in enumerate(folded):
        if word in lex.homophones and (numberish(i - 1) or numberish(i + 1)):
            tokens[i] = lex.homophones[word]
            changed = True
    return " ".join(tokens) if changed else cleaned


def find_glucose(tokens: Sequence[str], lex: NumberLexicon, meter_unit: GlucoseUnit | None,
                 taken: set[int], times: frozenset[int] | set[int] = frozenset(),
                 apart: frozenset[int] | set[int] = frozenset()) -> list[Span]:
    """Every glucose value candidate, skipping token positions already used by other slots. A span whose value
    is None holds a value said but not known (digits apart, a number cut short: see `_glucose_at`). `times`: where
    a clock time may begin ("7 am"): two numbers written apart are not joined into one value across it. `apart`:
    numbers said as something else that stands on its own (how long, how long ago: "7 two hours ago"): no digits
    of a value written apart."""
    spans: list[Span] = []
    i = 0
    while i < len(tokens):
        if i in taken or not is_number(tokens[i]):
            i += 1
            continue
        span = _glucose_at(tokens, i, lex, meter_unit, taken, times, apart)
        if span is None:
            i += 1
            continue
        spans.append(span)
        i = span.end
    return spans


def _glucose_at(tokens: Sequence[str], i: int, lex: NumberLexicon, meter_unit: GlucoseUnit | None,
                taken: set[int], times: frozenset[int] | set[int] = frozenset(),
                apart: frozenset[int] | set[int] = frozenset()) -> Span | None:
    def free(k: int) -> bool:
        return k < len(tokens) and k not in taken

    value = as_number(tokens[i])
    end = i + 1
    shorthand_unit: GlucoseUnit | None = None

    # "6 virgule 5" where text2num left the pieces apart (« zéro virgule soixante-huit » once "zéro" is 0)
    if free(end + 1) and tokens[end] in lex.decimal_words and is_int(tokens[end + 1]) and float(value).is_integer():
        value = float(f"{int(value)}.{tokens[end + 1]}")
        end += 2
    # "one oh nine" -> 109
    elif lex.hundreds_shorthand and is_int(tokens[i], 1, 5) and free(end + 1) and tokens[end] in lex.zero_words \
            and is_int(tokens[end + 1], 0, 9):
        value = 100 * int(tokens[i]) + int(tokens[end + 1])
        end += 2
    # "one eighteen" -> 118; "two o five", which text2num writes "2 05" -> 205
    elif lex.hundreds_shorthand and is_int(tokens[i], 1, 5) and free(end) and (
            is_int(tokens[end], 10, 99) or (len(tokens[end]) == 2 and is_int(tokens[end], 1, 9))):
        value = 100 * int(tokens[i]) + int(tokens[end])
        end += 1
    # "one twenty five" written "1.25" (whisper, its prompt full of "6.5"): a meter in mmol/L shows one decimal,
    # never two; two decimals are the hundreds said in pieces (1.25 g/L is 125 mg/dL all the same)
    elif lex.hundreds_shorthand and _HUNDREDS_AS_DECIMAL.fullmatch(tokens[i]) and \
            _unit_at(tokens, end, lex, taken)[0] is None:
        whole, cents = tokens[i].replace(",", ".").split(".")
        value = 100 * int(whole) + int(cents)
    # "a hundred five", "a hundred eighteen" written "100 5", "100 18": one number (as "100 and 12", joined
    # earlier); not across words another slot took ("300, 2 hours after lunch")
    elif is_int(tokens[i], 100, 500) and int(tokens[i]) % 100 == 0 and free(end) and end not in times \
            and is_int(tokens[end], 1, 99) and len(tokens[end]) == len(str(int(tokens[end]))):
        value = int(tokens[i]) + int(tokens[end])
        end += 1
    # "eighty seven" written "80 7": one number
    elif is_int(tokens[i], 20, 90) and int(tokens[i]) % 10 == 0 and free(end) and end not in times \
            and is_int(tokens[end], 1, 9) and len(tokens[end]) == 1:
        value = int(tokens[i]) + int(tokens[end])
        end += 1
    # « un vingt » -> 1.20 g/L
    elif lex.pair_shorthand_unit and is_int(tokens[i], 0, 4) and free(end) and is_int(tokens[end], 10, 99) \
            and len(tokens[end]) == 2:
        value = int(tokens[i]) + int(tokens[end]) / 100
        end += 1
        shorthand_unit = lex.pair_shorthand_unit

    elif lex.hundreds_shorthand and is_int(tokens[i], 1, 9) and end < len(tokens) and tokens[end] in lex.zero_words:
        # "one oh" and nothing after it (whisper's "1o" for "one oh five" it half heard): a number cut short;
        # a value was said, but not which ("1" is not 1 mmol/L)
        return _unclear(tokens, i, end + 1, taken)

    end, value = _half_after(tokens, end, value, lex, taken)
    unit, unit_len = _unit_at(tokens, end, lex, taken)
    if unit is not None:
        end += unit_len
        # « un gramme vingt » -> 1.20 g/L ; « un gramme cinq » is read as 1.05, like « un mètre cinq »
        if unit in lex.fraction_after_unit and float(value).is_integer() and free(end) and is_int(tokens[end], 0, 99):
            value = int(value) + int(tokens[end]) / 100
            end += 1
        elif unit in lex.fraction_after_unit:  # « un gramme et demi »
            end, value = _half_after(tokens, end, value, lex, taken)
    unit_said = unit is not None or shorthand_unit is not None
    if not unit_said and value < BARE_MG_DL_FROM and float(value).is_integer() \
            and ((_number_at(tokens, end) and end not in apart) or (_number_at(tokens, i - 1) and i - 1 not in apart)):
        # a small whole number right beside another number that is not part of it ("1 2 30", "6 5"): digits a
        # recogniser wrote apart, or a time beside them; a value was said, but which one is not known (a decimal
        # written out, "6.5 7 am", is one value)
        return _unclear(tokens, i, end, taken)
    if not unit_said and value >= BARE_MG_DL_FROM and math.isfinite(value) and not float(value).is_integer():
        # "120.5" with no unit: no meter shows mg/dL with a decimal, and no other unit goes this high (whisper
        # wrote it for "one twenty five"): a value was said, but which one is not known
        return _unclear(tokens, i, end, taken)
    unit = unit or shorthand_unit
    if unit is None:
        unit = GlucoseUnit.MG_DL if value >= BARE_MG_DL_FROM else (meter_unit or lex.default_unit)
    reading = GlucoseValue.said(value, unit, unit_said, " ".join(tokens[i:end]))
    return Span(i, end, "glucose", reading, certain=unit_said or value >= BARE_MG_DL_FROM)


def _half_after(tokens: Sequence[str], end: int, value: float, lex: NumberLexicon,
                taken: set[int]) -> tuple[int, float]:
    """"seven and a half" -> 7.5, « un gramme et demi » -> 1.5: a half said after a small whole value (mmol/L, g/L;
    no meter in mg/dL shows halves, and "a hundred and a half" is nobody's reading)."""
    n = lex.halves.match(tokens, end)
    if n and float(value).is_integer() and value < BARE_MG_DL_FROM and not taken & set(range(end, end + n)):
        return end + n, value + 0.5
    return end, value


def _unclear(tokens: Sequence[str], i: int, end: int, taken: set[int]) -> Span:
    """A glucose value said whose number is not known (its words and the free numbers after them): the sentence
    still reads as a reading ("my sugar is {glucose}"), with no value; the dialogue asks for it."""
    while end < len(tokens) and end not in taken and is_number(tokens[end]):
        end += 1
    return Span(i, end, "glucose", None, certain=False, info={"unclear": True})


def _number_at(tokens: Sequence[str], k: int) -> bool:
    return 0 <= k < len(tokens) and is_number(tokens[k])


def _unit_at(tokens: Sequence[str], i: int, lex: NumberLexicon, taken: set[int]) -> tuple[GlucoseUnit | None, int]:
    if i in taken:
        return None, 0
    best: tuple[GlucoseUnit | None, int] = (None, 0)
    for unit, phrases in lex.units.items():
        n = phrases.match(tokens, i)
        if n > best[1]:
            best = (unit, n)
    return best
