"""Text for the ear: digits, units, times, dates and abbreviations written as words, and sentence splitting.

The words come from `prompts/speech/<lang>.yaml`; this module only knows the shapes (a time, a number followed
by a unit, a range...). Numbers, decimals and times are said by `voice_assistant.speech.Speech`, as the dialogue
says its own values; this is the safety net for whatever else reaches a voice, so no digit or symbol is ever
spelled out or skipped.

    >>> normalizer_for("fr").normalize("Glycémie à 08:30 : 1,20 g/L.")
    'Glycémie à huit heures trente : un gramme vingt.'
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

from num2words import num2words

from voice_assistant.speech import Speech, SpeechRulesError, base_language, load_speech_rules, speech_rules_dir

__all__ = ["MAX_CARDINAL_DIGITS", "MAX_SENTENCE_CHARS", "Normalizer", "SpeechRulesError", "Unit", "base_language",
           "normalize", "normalizer_for", "speech_rules_dir", "split_sentences"]

#: Integers longer than this are read digit by digit (an account or batch number, not a quantity).
MAX_CARDINAL_DIGITS = 12
#: Sentences longer than this (characters) are cut at clause punctuation so the first audio comes sooner.
MAX_SENTENCE_CHARS = 220


@dataclass(frozen=True)
class Unit:
    one: str  #: the unit's words after one (French: under two) of it
    many: str  #: after any other amount, and when the symbol stands alone
    feminine: bool = False  #: French « une unité », « vingt et une heures »
    standalone: bool = True  #: expand the symbol when no number precedes it (False for "h", "g", "L"...)
    with_cents: str | None = None  #: e.g. "{whole} {unit} {cents}" for « un gramme vingt »
    cents_unit: tuple[str, str] | None = None  #: (one, many) unit words used by with_cents


def _unit(spec: dict[str, Any]) -> Unit:
    return Unit(
        one=spec["one"], many=spec["many"], feminine=bool(spec.get("feminine")),
        standalone=bool(spec.get("standalone", True)), with_cents=spec.get("with_cents"),
        cents_unit=(spec["cents_unit"]["one"], spec["cents_unit"]["many"]) if spec.get("cents_unit") else None,
    )


# ---------------------------------------------------------------------------------------------- helpers


def _alternation(keys: list[str], any_case_from: int | None = None, whole_tokens: bool = False) -> str:
    """A regex alternation, longest first. Keys of `any_case_from` characters or more match in any case;
    with `whole_tokens`, a key that starts (ends) with a letter or digit must not touch another on that side."""
    parts = []
    for key in sorted(set(keys), key=len, reverse=True):
        escaped = re.escape(key)
        if any_case_from is not None and len(key) >= any_case_from:
            escaped = f"(?i:{escaped})"
        if whole_tokens:
            left = r"(?<!\w)" if re.match(r"\w", key) else ""
            right = r"(?!\w)" if re.search(r"\w$", key) else ""
            escaped = f"{left}{escaped}{right}"
        parts.append(escaped)
    return "|".join(parts) if parts else r"(?!x)x"  # an empty list matches nothing


class Normalizer:
    """One language's rules. `normalize(text)` -> words only; `split(text)` -> sentences as written."""

    def __init__(self, rules: dict[str, Any], path: Path | str = "<rules>"):
        self.path = Path(path)
        try:
            self._load(rules)
        except (KeyError, TypeError, AttributeError) as exc:
            raise SpeechRulesError(f"{self.path}: malformed speech rules ({exc!r})") from None

    # ------------------------------------------------------------------------------------------ loading

    def _load(self, rules: dict[str, Any]) -> None:
        self.speech = Speech(rules, self.path)
        self.language = self.speech.lang
        n = rules["numbers"]
        self.minus: str = n["minus"]
        self.range_word: str = n["range_word"]
        self.fraction_word: str = n.get("fraction_word", "/")
        self.fractions: dict[str, str] = dict(n.get("fractions") or {})
        self.leading_zero_groups: int = int(n.get("leading_zero_groups", 1))
        self.plural_from = n.get("plural_from")
        self.ordinal_suffixes: list[str] = list(n.get("ordinal_suffixes") or [])
        self.time: dict[str, Any] = self.speech.clock_words
        self.dates: dict[str, Any] = rules.get("dates") or {}
        self.units: dict[str, Unit] = {}
        for symbol, spec in (rules.get("units") or {}).items():
            unit = _unit(spec)
            for alias in [str(symbol), *(spec.get("also") or [])]:
                self.units[alias] = unit
        self.prefix_units: dict[str, Unit] = {
            str(sym): _unit(spec) for sym, spec in (rules.get("prefix_units") or {}).items()
        }
        # a number said as the quantity it is (« quinze ») needs no rule: the number pass says it the same
        self.phone_numbers: dict[str, str] = {
            k: v for k, v in self.speech.phone_numbers.items() if v != self.cardinal(int(k))
        }
        self.phone_words: list[str] = [str(w) for w in n.get("phone_words") or []]
        self.abbreviations: dict[str, str] = {str(k): str(v) for k, v in (rules.get("abbreviations") or {}).items()}
        self.symbols: dict[str, str] = {str(k): str(v) for k, v in (rules.get("symbols") or {}).items()}
        self.lead_never_ends_with: set[str] = {w.lower() for w in rules.get("lead_never_ends_with") or []}
        self._number_words: set[str] | None = None  #: every word of a number said in full, made on first use
        self.no_sentence_end: set[str] = set(rules.get("no_sentence_end") or []) | {
            k for k in self.abbreviations if k.endswith(".")
        }
        self._compile(n)

    def _compile(self, n: dict[str, Any]) -> None:
        dec = "".join(re.escape(s) for s in n.get("decimal_separators") or ["."])
        thou = "".join(re.escape(s) for s in n.get("thousands_separators") or [])
        grouped = rf"\d{{1,3}}(?:[{thou}]\d{{3}})+(?!\d)" if thou else r"(?!x)x"
        loose = n.get("loose_thousands_separator")
        if loose:
            grouped += rf"|\d(?:{re.escape(loose)}\d{{3}})+(?!\d)"
            thou += re.escape(loose)
        # a number: digits with optional thousands groups and decimals; never starts inside another number
        self._num = rf"(?<!\d)(?:{grouped}|\d+)(?:[{dec}]\d+)?"
        self._dec_re = re.compile(f"[{dec}]")
        self._thou_re = re.compile(f"[{thou}]") if thou else None
        sign = r"(?:(?<![\w\d])[-−](?=\d))?"
        self._number_re = re.compile(rf"(?P<sign>{sign})(?P<num>{self._num})")
        phones = _alternation(list(self.phone_numbers))
        lead = _alternation(self.phone_words)
        self._phone_re = re.compile(
            rf"(?P<lead>(?<!\w)(?i:{lead})(?!\w)[^\d.!?]{{0,24}}?)(?<!\d)(?P<num>{phones})(?![\d,.]\d|\d)"
        ) if self.phone_numbers and self.phone_words else None

        self._abbrev_re = re.compile(_alternation(list(self.abbreviations), whole_tokens=True))
        self._symbol_re = re.compile(_alternation(list(self.symbols)))
        unit_alt = _alternation(list(self.units), any_case_from=3)
        self._unit_re = re.compile(rf"(?P<sign>{sign})(?P<num>{self._num})\s?(?P<unit>{unit_alt})(?!\w)")
        self._unit_case = {k.lower(): k for k in self.units if len(k) >= 3}
        standalone = [k for k, u in self.units.items() if u.standalone]
        self._standalone_re = re.compile(_alternation(standalone, any_case_from=3, whole_tokens=True))
        prefix_alt = _alternation(list(self.prefix_units))
        self._prefix_re = re.compile(rf"(?P<unit>{prefix_alt})\s?(?P<num>{self._num})") if self.prefix_units else None
        self._range_re = re.compile(rf"(?<![\d\-–/:.,])(?P<a>{self._num})\s?[-–]\s?(?P<b>{self._num})(?![\d\-–/:])")
        self._ordinal_re = re.compile(
            rf"(?<!\d)(?P<n>\d+)(?P<suffix>{_alternation(self.ordinal_suffixes)})(?!\w)"
        ) if self.ordinal_suffixes else None
        frac = _alternation(list(self.fractions))
        self._fraction_re = re.compile(rf"(?<![\d/])(?:(?P<known>{frac})|(?P<a>\d+)/(?P<b>\d+))(?![\d/])")
        t = self.time
        marks = _alternation(list(t.get("hour_marks") or []))
        am, pm = list(t.get("am") or []), list(t.get("pm") or [])
        ampm = _alternation(am + pm)
        self._am = set(am)
        self._clock_re = re.compile(
            rf"(?<![\d:])(?P<h>\d{{1,2}})(?::|\s?(?:{marks})\s?)(?P<m>\d{{2}})(?![\d:])(?!\s?(?:min|mn)\b)"
            rf"(?:\s?(?P<ampm>{ampm})(?!\w))?"
        )
        self._ampm_re = re.compile(rf"(?<![\d:])(?P<h>\d{{1,2}})\s?(?P<ampm>{ampm})(?!\w)") if am else None
        self._iso_date_re = re.compile(r"(?<![\d-])(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})(?![\d-])")
        self._slash_date_re = re.compile(r"(?<![\d/])(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<y>\d{4})(?![\d/])")

    # ------------------------------------------------------------------------------------------ numbers

    def cardinal(self, n: int, feminine: bool = False) -> str:
        if len(str(abs(n))) > MAX_CARDINAL_DIGITS:
            return self.digits(str(abs(n)))
        return self.speech.cardinal(n, feminine).replace(",", "")  # "one thousand two hundred": no pause

    def digits(self, digits: str) -> str:
        return self.speech.digits(digits)

    def _leading_zero(self, digits: str) -> str:
        """« 06 » -> « zéro six »; "0123" -> "zero one two three": a code or phone number, not a quantity."""
        size = max(1, self.leading_zero_groups)
        groups = [digits[i:i + size] for i in range(0, len(digits), size)]
        return " ".join(self.digits(g) if g.startswith("0") or len(g) == 1 else self.cardinal(int(g)) for g in groups)

    def _split_number(self, text: str) -> tuple[str, str]:
        """'1 200,5' -> ('1200', '5'); '7.40' -> ('7', '40')."""
        m = self._dec_re.search(text)
        whole, frac = (text[:m.start()], text[m.end():]) if m else (text, "")
        if self._thou_re is not None:
            whole = self._thou_re.sub("", whole)
        return whole, frac

    def number(self, text: str, feminine: bool = False) -> str:
        """A written number as words: « 1,20 » -> « un virgule vingt », "7.45" -> "seven point four five"."""
        whole, frac = self._split_number(text)
        if not frac:
            if len(whole) > 1 and whole.startswith("0"):
                return self._leading_zero(whole)
            return self.cardinal(int(whole), feminine)
        whole_words = self.cardinal(int(whole)) if len(whole) <= MAX_CARDINAL_DIGITS else self.digits(whole)
        return self.speech.decimal(whole_words, frac)

    def _value(self, text: str) -> float:
        whole, frac = self._split_number(text)
        return float(f"{whole}.{frac}" if frac else whole)

    def _plural(self, value: float, written: str = "") -> bool:
        if self.plural_from is None:  # English: "one gram", but "one point zero grams"
            return not (value == 1 and not self._split_number(written)[1]) if written else value != 1
        return abs(value) >= float(self.plural_from)

    def _unit_amount(self, num: str, unit: Unit) -> str:
        whole, frac = self._split_number(num)
        value = self._value(num)
        if unit.with_cents and unit.cents_unit and frac and len(frac) <= 2 and len(whole) <= 3:
            cents = int(frac.ljust(2, "0"))
            if cents:
                cents_words = f"{self.speech.zero} {self.cardinal(cents)}" if cents < 10 else self.cardinal(cents)
                unit_word = unit.cents_unit[1] if self._plural(int(whole)) else unit.cents_unit[0]
                return unit.with_cents.format(whole=self.cardinal(int(whole)), unit=unit_word, cents=cents_words)
        words = self.number(num, feminine=unit.feminine and not frac)
        return f"{words} {unit.many if self._plural(value, num) else unit.one}"

    # ------------------------------------------------------------------------------------------ times

    def clock(self, hour: int, minute: int, meridiem: str | None = None) -> str | None:
        """A time of day as it is said; None when it is not a valid time."""
        if meridiem is not None:
            if not 1 <= hour <= 12:
                return None
            hour = hour % 12 + (0 if meridiem in self._am else 12)
        if not (0 <= hour <= 23 and 0 <= minute <= 59):
            return None
        # "20:30" said "eight thirty" is ambiguous to the ear: the language may ask for the part of the day
        with_day_part = meridiem is not None or bool(self.time.get("day_part_for_24_hour"))
        return self.speech.clock(hour, minute, with_day_part=with_day_part, oclock=True)

    def date(self, year: int, month: int, day: int) -> str | None:
        d = self.dates
        if not d or not (1 <= month <= 12 and 1 <= day <= 31):
            return None
        if d.get("day_ordinal"):
            day_words = num2words(day, lang=self.language, to="ordinal")
        elif day == 1 and d.get("first_day"):
            day_words = d["first_day"]
        else:
            day_words = self.cardinal(day)
        return d["format"].format(day=day_words, month=d["months"][month - 1], year=self.cardinal(year))

    # ------------------------------------------------------------------------------------------ passes

    def _abbreviation(self, m: re.Match) -> str:
        key = m.group(0)
        words = self.abbreviations[key]
        rest = m.string[m.end():]
        # "etc." at the end of a sentence was also its full stop: keep one
        if key.endswith(".") and re.fullmatch(r"[\s»”\"')\]]*", rest):
            words += "."
        # "Dr. Smith is here" -> "Doctor Smith...": a sentence still starts with a capital
        if key[:1].isupper() and not re.search(r"\w", m.string[:m.start()]):
            words = words[:1].upper() + words[1:]
        return words

    def _clock(self, m: re.Match) -> str:
        said = self.clock(int(m.group("h")), int(m.group("m")), m.group("ampm"))
        return f" {said}{_kept_stop(m)} " if said else m.group(0)

    def _ampm(self, m: re.Match) -> str:
        said = self.clock(int(m.group("h")), 0, m.group("ampm"))
        return f" {said}{_kept_stop(m)} " if said else m.group(0)

    def _iso_date(self, m: re.Match) -> str:
        said = self.date(int(m.group("y")), int(m.group("m")), int(m.group("d")))
        return f" {said} " if said else m.group(0)

    def _slash_date(self, m: re.Match) -> str:
        a, b = int(m.group("a")), int(m.group("b"))
        day, month = (a, b) if self.dates.get("order", "dmy") == "dmy" else (b, a)
        said = self.date(int(m.group("y")), month, day)
        return f" {said} " if said else m.group(0)

    def _fraction(self, m: re.Match) -> str:
        if m.group("known"):
            return f" {self.fractions[m.group('known')]} "
        return f" {self.number(m.group('a'))} {self.fraction_word} {self.number(m.group('b'))} "

    def _range(self, m: re.Match) -> str:
        return f"{m.group('a')} {self.range_word} {m.group('b')}"

    def _ordinal(self, m: re.Match) -> str:
        n, suffix = int(m.group("n")), m.group("suffix")
        if n == 1 and self.language == "fr" and suffix in ("re", "ère"):
            return " première "
        return f" {num2words(n, lang=self.language, to='ordinal')} "

    def _unit(self, m: re.Match) -> str:
        symbol = m.group("unit")
        unit = self.units.get(symbol) or self.units[self._unit_case[symbol.lower()]]
        said = self._unit_amount(m.group("num"), unit)
        return f" {self.minus} {said} " if m.group("sign") else f" {said} "

    def _phone(self, m: re.Match) -> str:
        return f"{m.group('lead')}{self.phone_numbers[m.group('num')]}"

    def _prefix_unit(self, m: re.Match) -> str:
        return f" {self._unit_amount(m.group('num'), self.prefix_units[m.group('unit')])} "

    def _standalone(self, m: re.Match) -> str:
        symbol = m.group(0)
        unit = self.units.get(symbol) or self.units[self._unit_case[symbol.lower()]]
        return f" {unit.many} "

    def _number(self, m: re.Match) -> str:
        words = self.number(m.group("num"))
        return f" {self.minus} {words} " if m.group("sign") else f" {words} "

    def normalize(self, text: str) -> str:
        """Words only: no digit is left, symbols and abbreviations are spelled the way they are said."""
        text = unicodedata.normalize("NFC", text)  # no-break spaces stay: they group thousands in French
        passes: list[tuple[re.Pattern | None, Callable[[re.Match], str]]] = [
            (self._abbrev_re, self._abbreviation),
            (self._iso_date_re, self._iso_date),
            (self._slash_date_re, self._slash_date),
            (self._clock_re, self._clock),
            (self._ampm_re, self._ampm),
            (self._fraction_re, self._fraction),
            (self._range_re, self._range),
            (self._ordinal_re, self._ordinal),
            (self._phone_re, self._phone),
            (self._prefix_re, self._prefix_unit),
            (self._unit_re, self._unit),
            (self._number_re, self._number),
            (self._standalone_re, self._standalone),
        ]
        for pattern, replace in passes:
            if pattern is not None:
                text = pattern.sub(replace, text)
        text = self._symbol_re.sub(lambda m: f" {self.symbols[m.group(0)]} ", text) if self.symbols else text
        # anything a pattern above did not take (a stray digit): never let a voice skip or spell it
        text = re.sub(r"\d+", lambda m: f" {self.number(m.group(0))} ", text)
        text = text.replace("/", " ")
        return _tidy(text)

    # ------------------------------------------------------------------------------------------ sentences

    def split(self, text: str, max_chars: int | None = MAX_SENTENCE_CHARS) -> list[str]:
        """Sentences as written, in order; « M. », "Dr." and decimals stay inside their sentence.

        A sentence ends at . ! ? … (with any closing quote or bracket) followed by a space and a word that
        does not start in lowercase, or at a line break. Sentences longer than `max_chars` are cut at ; : or ,
        so a long reply starts playing sooner.
        """
        sentences: list[str] = []
        for line in re.split(r"\s*\n\s*", unicodedata.normalize("NFC", text)):
            line = " ".join(line.split())
            start = 0
            for m in re.finditer(r"[.!?…]+(?:\s?[»”\"')\]])*(?=\s+(?P<next>\S)|$)", line):
                nxt = m.group("next")
                if nxt is not None and nxt.islower():
                    continue
                if m.group(0).startswith(".") and not m.group(0).startswith(".."):
                    token = line[:m.start() + 1].rsplit(" ", 1)[-1]
                    if token in self.no_sentence_end and nxt is not None:
                        continue
                sentences.append(line[start:m.end()].strip())
                start = m.end()
            sentences.append(line[start:].strip())
        sentences = [s for s in sentences if re.search(r"\w", s)]
        if max_chars:
            sentences = [part for s in sentences for part in _cut_long(s, max_chars)]
        return sentences

    def sentences(self, text: str, max_chars: int | None = MAX_SENTENCE_CHARS,
                  quick_start_words: int | None = None, max_spoken_chars: int | None = None) -> list[str]:
        """Split, then normalise each sentence: what a synthesiser speaks, one item per audio clip.

        `quick_start_words`: when the first sentence has more words than this, its lead is spoken on its own
        (see `lead`), so an engine that needs time per sentence (Piper) starts talking sooner; the rest is
        synthesised while the lead plays. `max_spoken_chars`: a spoken sentence longer than this (numbers and units
        written out) is cut at its clause punctuation (; : then ,), as `split` cuts long written ones; after the
        lead is taken, so the first audio is never longer for it.
        """
        out = []
        for sentence in self.split(text, max_chars):
            spoken = self.normalize(sentence)
            if re.search(r"\w", spoken):
                out.append(spoken)
        if quick_start_words and out:
            out[0:1] = self.lead(out[0], quick_start_words)
        if max_spoken_chars:
            out = [word_piece for spoken in out for piece in _cut_long(spoken, max_spoken_chars)
                   for word_piece in self._cut_at_phrases(piece, max_spoken_chars)]
        return out

    def _cut_at_phrases(self, piece: str, max_chars: int) -> list[str]:
        """A piece still longer than `max_chars` once cut at its punctuation ("one hundred and seventy-seven
        milligrams per deciliter,") cut between words where a voice can pause, as a lead ends (`_may_end_a_lead`:
        never inside a number nor after "the", "of", "per"...), each part two words at least. Preferred, in order: a
        cut whose parts both fit, one after a number (before its unit), one before a word that opens a phrase ("at",
        "for", "in": those a lead never ends with), the most even; parts still too long are cut again. No such place: the piece whole."""
        words = piece.split()
        if len(piece) <= max_chars or len(words) < 4:
            return [piece]
        cuts = [c for c in range(2, len(words) - 1) if self._may_end_a_lead(words[c - 1], words[c])]
        if not cuts:
            return [piece]

        def sides(c: int) -> tuple[int, int]:
            return len(" ".join(words[:c])), len(" ".join(words[c:]))

        def rank(c: int) -> tuple[bool, bool, bool, int, int]:
            left, right = sides(c)
            after_number = self._is_number_word(words[c - 1])  # "one hundred and twenty | milligrams"
            opens = words[c].lower().strip(",;:") in self.lead_never_ends_with
            return max(left, right) > max_chars, not after_number, not opens, abs(left - right), c

        cut = min(cuts, key=rank)
        return [*self._cut_at_phrases(" ".join(words[:cut]), max_chars),
                *self._cut_at_phrases(" ".join(words[cut:]), max_chars)]

    def lead(self, sentence: str, most: int) -> list[str]:
        """A sentence of more than `most` words as [its lead, the rest]: the lead ends at its first comma,
        semicolon or colon within `most` words, else after the word nearest half of `most` that can end a
        phrase: never inside a number (« un gramme | vingt » is fine, "one | hundred" is not) nor on a word
        that announces more (« le », "the", "of": `lead_never_ends_with` in the language's rules)."""
        words = sentence.split()
        if len(words) <= most:
            return [sentence]
        cut = next((i + 1 for i, w in enumerate(words[:most]) if w[-1] in ",;:"), None)
        if cut is None:
            allowed = [c for c in range(2, most + 1) if self._may_end_a_lead(words[c - 1], words[c])]
            if not allowed:
                return [sentence]  # no place to pause: one piece
            cut = min(allowed, key=lambda c: (abs(c - most // 2), c))
        if len(words) - cut < 2:
            return [sentence]
        return [" ".join(words[:cut]), " ".join(words[cut:])]

    def _may_end_a_lead(self, word: str, following: str) -> bool:
        if word.endswith(("'", "’", "-")) or word.lower() in self.lead_never_ends_with:
            return False
        return not (self._is_number_word(word) and self._is_number_word(following))

    def _is_number_word(self, word: str) -> bool:
        if self._number_words is None:
            said = [self.cardinal(n) for n in (*range(0, 101), 120, 200, 1000, 1_000_000)]
            self._number_words = {w for s in said for w in re.split(r"[\s-]+", s.lower())}
            self._number_words.add(self.speech.decimal_word)
        return all(part in self._number_words for part in re.split(r"[-]+", word.lower().strip(",;:.")) if part)


def _kept_stop(m: re.Match) -> str:
    """"at 8 a.m." ending a sentence: the abbreviation's full stop was also the sentence's."""
    ampm = m.groupdict().get("ampm") or ""
    rest = m.string[m.end():]
    return "." if ampm.endswith(".") and re.match(r"\s*$|\s+[A-Z]", rest) else ""


def _tidy(text: str) -> str:
    text = " ".join(text.split())
    text = re.sub(r"(?<=\w) [-–—] (?=\w)", ", ", text)  # a dash between clauses is a pause
    text = re.sub(r" ([,.;)\]])", r"\1", text)
    text = re.sub(r"([(\[]) ", r"\1", text)
    return text.strip()


def _cut_long(sentence: str, max_chars: int) -> list[str]:
    if len(sentence) <= max_chars:
        return [sentence]
    for pattern in (r"(?<=[;:])\s+", r"(?<=,)\s+"):
        pieces = re.split(pattern, sentence)
        if len(pieces) > 1:
            out: list[str] = []
            for piece in pieces:  # regroup small pieces up to the limit
                if out and len(out[-1]) + 1 + len(piece) <= max_chars:
                    out[-1] = f"{out[-1]} {piece}"
                else:
                    out.append(piece)
            return [p for piece in out for p in _cut_long(piece, max_chars)] if len(out) > 1 else out
    return [sentence]


@lru_cache(maxsize=8)
def _normalizer(language: str, directory: str) -> Normalizer:
    return Normalizer(*load_speech_rules(language, directory))


def normalizer_for(language: str) -> Normalizer:
    """The rules for "fr", "en" (or "fr-FR", "en-us"...), loaded once from prompts/speech/."""
    return _normalizer(base_language(language), str(speech_rules_dir()))


def normalize(text: str, language: str) -> str:
    return normalizer_for(language).normalize(text)


def split_sentences(text: str, language: str, max_chars: int | None = MAX_SENTENCE_CHARS) -> list[str]:
    return normalizer_for(language).split(text, max_chars)
