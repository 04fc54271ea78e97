"""Find the slot values in an utterance and replace them by "{slot}" tokens for the intent matcher.

Order matters and is fixed here: fillers go first, then times (they have the clearest markers), then
glucose values, then the pack's lists (context, period, lab test...) and the patient's medication names,
matched with spelling tolerance because recognisers mangle drug names (« met formine », "lantis").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Collection

from rapidfuzz import fuzz, process

from voice_assistant.health.glucose import GlucoseUnit
from voice_assistant.nlu.normalize import GLUED_PIECES, clean
from voice_assistant.nlu.numbers import find_glucose, tokens_with_digits
from voice_assistant.nlu.packs import Pack, drop_fillers
from voice_assistant.nlu.spans import LoosePhraseSet, PhraseSet, Span, is_int, is_number
from voice_assistant.nlu.times import find_times, split_clock_digits
from voice_assistant.nlu.when import ago_spans, duration_spans, recheck_before
from voice_assistant.profile import Medication

#: A stretch saying how long ago something happened (not a slot: see `ago_spans`).
AGO = "ago"
#: A stretch saying how long, a delay or a length of time ("in 15 minutes", « pendant vingt minutes »): not a slot,
#: never a glucose value or a time, left out of what the matcher reads (see `duration_spans`).
DURATION = "duration"
#: A number and its unit said as a quantity of medicine ("10 units", « 2 comprimés »): not a slot, never a glucose
#: value or a time; the matcher reads it as the pack's `medicine.quantity` word ("I did my 10 units" is "I did my
#: dose"), or not at all when the pack has none (the dialogue says that the amount is not noted).
DOSE = "dose"
#: A number said before a thing the pack counts ("2 cats", « 82 ans »): no glucose value and no time.
COUNTED = "counted"
#: A number said as a lab test's value ("my A1c was 6.8", « mon LDL est à 1,3 »): not a slot, never a glucose
#: value or a time, and left out of what the matcher reads (the test's name says what the sentence is about).
LAB_VALUE = "lab_value"
#: How many small words may stand between a lab test's name and its value ("my a1c *was* 6.8").
LAB_VALUE_REACH = 3

#: How close a heard word must be to a medication or lab test name (rapidfuzz ratio, 0-100): one wrong
#: letter in a short name ("lantis" for "lantus") is 83, so short names get the lower bar.
NAME_SIMILARITY = 86
SHORT_NAME_SIMILARITY = 80
SHORT_NAME_CHARS = 7
#: ... and long names heard as one word one more wrong sound ("turglicerides" for "triglycerides" is 84.6): two slips
#: in a word of twelve letters or more still leave it far from any other word
LONG_NAME_SIMILARITY = 84
LONG_NAME_CHARS = 12
#: Names shorter than this must be heard exactly: fuzzy matching "ldl" would find it everywhere.
FUZZY_MIN_CHARS = 5
#: the shortest last word of a medicine's name that is also a name of its own ("aspart", see `_short_names`)
NAME_TAIL_CHARS = 5


#: Numbers are ambiguous between times and glucose values: "one thirty three this morning" is a reading
#: of 133 for a patient logging sugar, 1:33 am in a reminder. The understander tries the other readings
#: when they differ and keeps the one that makes the better sentence for an intent that takes that slot.
DEFAULT = "default"
MORE_TIMES = "more_times"  #: unmarked hours are times too: "lantus nine thirty"
FEWER_TIMES = "fewer_times"  #: only times said with an hour word or a worded fraction (« et demie ») stay times
WORDS_ONLY = "words_only"  #: bare small numbers stay words: « appelle le quinze », "call nine one one"
READINGS = (DEFAULT, MORE_TIMES, FEWER_TIMES, WORDS_ONLY)


@dataclass(frozen=True)
class Extraction:
    """What the slot grammars found."""

    tokens: tuple[str, ...]  #: the utterance with fillers removed and slot values as "{slot}"
    spans: tuple[Span, ...]  #: every slot value found, in order
    words: tuple[str, ...]  #: the utterance's tokens before replacement (fillers removed)
    quantities: tuple[Span, ...] = ()  #: quantities of medicine said (DOSE), over `words`
    durations: tuple[Span, ...] = ()  #: how long said (DURATION), over `words`; info "recheck": with checking again
    #: the utterance's tokens as said, fillers kept ("i want to die": "i want to" is a written filler, gone from `words`)
    said: tuple[str, ...] = ()

    def first(self, slot: str) -> Span | None:
        return next((s for s in self.spans if s.slot == slot), None)

    def all(self, slot: str) -> list[Span]:
        return [s for s in self.spans if s.slot == slot]


class SlotExtractor:
    """Slot grammars for one pack and one patient's medication list."""

    def __init__(self, pack: Pack, medications: tuple[Medication, ...], meter_unit: GlucoseUnit | None,
                 is_word: Callable[[str], bool] | None = None):
        """`is_word`: whether a word is in the language's general dictionary (see language/dictionary.py): a real
        word is never read as a misheard medicine name."""
        self.pack = pack
        self.meter_unit = meter_unit
        self._is_word = is_word
        self._unit_words = {w for phrases in pack.numbers.units.values() for p in phrases for w in p}
        self._lab_named = [(self.phrase_tokens(" ".join(p)), value)
                           for value, phrases in pack.lab_named_tests.items() for p in phrases]
        self._lab_words = PhraseSet(self.phrase_tokens(" ".join(p)) for p in pack.lab_words)
        entries = [(self.phrase_tokens(name), ("medication", med.id))
                   for med in medications for name in med.names_in(pack.lang)]
        entries += self._short_names(entries, pack.vocabulary())
        for slot, values in pack.lists.items():
            entries += [(self.phrase_tokens(" ".join(p)), (slot, value)) for value, phrases in values.items() for p in phrases]
        entries = [(p, v) for p, v in entries if p]
        # A word the templates, the time grammar or the numbers use has a meaning of its own: a list phrase
        # is not shortened to it ("wake up" is fasting, "wake" asks to be woken)
        self.lists = LoosePhraseSet(entries, pack.ignore, pack.vocabulary(lists=False) - pack.ignore)
        # Spelling-tolerant lookup: a name's words glued together ("insulineglargine"), so that a
        # recogniser's split ("met formine") or merge can be compared on characters.
        fuzzy = [(p, v) for p, v in entries if v[0] == "medication" or v[0] in pack.fuzzy_lists]
        self._fuzzy_names = {"".join(p): v for p, v in fuzzy if len("".join(p)) >= FUZZY_MIN_CHARS}
        self._fuzzy_words = {"".join(p): len(p) for p, _ in fuzzy}  #: how many words each glued name has
        self._fuzzy_keys = tuple(self._fuzzy_names)
        self._acronyms = {p[0]: v for p, v in fuzzy if len(p) == 1 and len(p[0]) < FUZZY_MIN_CHARS}
        self._max_words = max((len(p) for p, _ in fuzzy), default=1)
        self._name_words = {w for p, _ in fuzzy for w in p}
        self._known_words = pack.vocabulary() | {w for p, _ in entries for w in p}
        # (and the first word of a unit as a recogniser writes it: "8.1m all")
        self._marks = pack.number_marks() | {p[0] for p in pack.written.units}
        self._fillers = PhraseSet([*pack.fillers, *pack.written.fillers])  # the pack's, and those it writes only
        self._hour_marks = pack.time.am.words() | pack.time.pm.words()  #: see `_written`
        # (a word of the pack said alone: not "aspartate" of "aspartate transaminase", which "my aspart ate" is not)
        alone = (pack.vocabulary(lists=False) - pack.ignore) | {p[0] for p, _ in entries if len(p) == 1}
        self._compounds = _compounds(pack, alone, self._known_words, [p for p, _ in entries])

    @staticmethod
    def _short_names(entries: list[tuple[tuple[str, ...], tuple[str, str]]],
                     known: Collection[str]) -> list[tuple[tuple[str, ...], tuple[str, str]]]:
        """The distinctive last word of a medicine's name of several words, alone: "aspart" for "insulin aspart",
        « asparte » for « insuline asparte » (what a patient calls it, and what a recogniser keeps of it: "my a1c
        aspart"). Only a word the pack does not use ("insulin" of "rapid insulin" is every insulin), of at least
        NAME_TAIL_CHARS letters, and of no other medicine's names."""
        owners: dict[str, set[str]] = {}
        for phrase, (_, med) in entries:
            for word in phrase:
                owners.setdefault(word, set()).add(med)
        short: list[tuple[tuple[str, ...], tuple[str, str]]] = []
        for phrase, value in entries:
            last = phrase[-1] if len(phrase) > 1 else ""
            if len(last) >= NAME_TAIL_CHARS and last.isalpha() and last not in known and owners[last] == {value[1]}:
                short.append(((last,), value))
        return short

    def phrase_tokens(self, text: str) -> tuple[str, ...]:
        """Pack phrases go through the same number conversion as speech (« deux heures après » -> 2 heures)."""
        return tuple(tokens_with_digits(clean(text), self.pack.numbers))

    def extract(self, text: str, reading: str = DEFAULT) -> Extraction:
        """Slots of one utterance, read one of three ways (see READINGS)."""
        said = self._split_listed(self._join_compounds(self._written(
            self._how_long_after(tokens_with_digits(clean(text, self._marks), self.pack.numbers)))))
        tokens = self._drop_fillers(said)
        if reading == MORE_TIMES:  # "remind me at 715": whisper writes a clock time as one number
            # in a request for later, a number just after a medicine's name is its hour ("remind me gliclazide 630")
            later = any(self.pack.later_openers.match(tokens, k) for k in range(len(tokens)))
            names = {s.end for s in self._list_spans(tokens) if s.slot == "medication"} if later else set()
            tokens = split_clock_digits(tokens, self.pack.time, names)
        ago = [Span(a, b, AGO, None) for a, b in ago_spans(tokens, self.pack.when)]
        doses = self._dose_spans(tokens)
        listed = [s for s in self._list_spans(tokens) if not any(_overlap(s, a) for a in ago)]
        listed = sorted(listed + self._ago_contexts(tokens, ago, listed), key=lambda s: s.start)
        doses += self._lab_values(tokens, listed)
        # A time absorbs a period phrase that only marks its half of the day (« huit heures ce soir »);
        # any other list phrase keeps its words (« deux heures après le repas » is a meal context).
        found_times = find_times(tokens, self.pack.time, bare=reading == MORE_TIMES)
        # (a period counted in days is no half of the day: « des 7 derniers jours » is the week, not « dès 7 »)
        times = [t for t in found_times
                 if not any(_overlap(t, s) for s in listed
                            if s.slot != "period" or any(is_number(tokens[k]) for k in range(s.start, s.end)))
                 and not any(_overlap(t, a) for a in ago + doses)]
        durations = self._durations(tokens, ago + listed, times)
        times = [t for t in times if not any(_overlap(t, d) for d in durations)]
        if reading == FEWER_TIMES:
            times = [t for t in times if t.info.get("hour_word") or t.info.get("worded")]
        listed = [s for s in listed if not any(_overlap(t, s) for t in times)]
        taken = {k for s in listed + ago + doses + durations for k in range(s.start, s.end)}
        # (two numbers written apart are not one value across where a time may begin, kept or not: "200 7 am")
        time_starts = {t.start for t in found_times}
        # (a number of how long, or how long ago, is said apart from a value beside it: "my sugar was 7 two hours ago")
        apart = {k for s in ago + durations for k in range(s.start, s.end)}
        glucose = find_glucose(tokens, self.pack.numbers, self.meter_unit, taken, time_starts, apart)
        spans = list(listed)
        for span in times:
            # "at 8" alone is a time only if no glucose reading with its unit said claims the same words; and no
            # time is a piece of a longer reading (« sept et demi millimoles » is 7.5 mmol/L, not 7:30)
            if any(g.certain and g.start <= span.start and span.end < g.end for g in glucose):
                continue
            if span.certain or reading == MORE_TIMES or not any(g.certain and _overlap(g, span) for g in glucose):
                spans.append(span)
                taken.update(range(span.start, span.end))
        spans += find_glucose(tokens, self.pack.numbers, self.meter_unit, taken, time_starts, apart)
        if reading == WORDS_ONLY:
            spans = [s for s in spans if s.certain or s.slot not in ("glucose", "time")]
        spans.sort(key=lambda s: s.start)

        out: list[str] = []
        i = 0
        # "two hours ago", "in 15 minutes" say when, not what: left out of what the matcher reads, like a lab test's
        # value. A quantity of medicine says what, not how much: "I did my 10 units" reads as "I did my dose" (without
        # it, "I did my" is anything: results, a test, a dose)
        unread = [d for d in doses if d.slot in (LAB_VALUE, DOSE)]
        quantity = self.pack.medicine.quantity
        for span in sorted(spans + ago + durations + unread, key=lambda s: s.start):
            out.extend(tokens[i:span.start])
            if span.slot == DOSE and quantity:
                out.append(quantity)
            elif span.slot not in (AGO, DURATION, LAB_VALUE, DOSE):
                out.append("{" + span.slot + "}")
            i = span.end
        out.extend(tokens[i:])
        return Extraction(tokens=tuple(out), spans=tuple(spans), words=tuple(tokens),
                          quantities=tuple(d for d in doses if d.slot == DOSE), durations=tuple(durations),
                          said=tuple(said))

    def _durations(self, tokens: list[str], said: list[Span], times: list[Span]) -> list[Span]:
        """How long, said as a delay or a length of time ("in 15 minutes", « dans un quart d'heure », "check again in
        60": see `duration_spans`), outside what `said` holds (how long ago, the pack's list phrases: "two hours
        after" is a meal context). A clock time holding its words and more is the time ("ten minutes past eight",
        « 8 heures 15 minutes »); any other time over it is none ("in 2 hours" is no 2 o'clock)."""
        when = self.pack.when
        found = [Span(a, b, DURATION, None) for a, b in duration_spans(tokens, when, [(s.start, s.end) for s in said])]
        found = [d for d in found if not any(t.start <= d.start and d.end <= t.end and t.end - t.start > d.end - d.start
                                             for t in times)]
        taken = {k for s in said for k in range(s.start, s.end)}
        out: list[Span] = []
        for d in found:
            # "check again in 15 minutes" is said as a whole: the checking again goes with how long ("my sugar was 65,
            # I'll check again in 15 minutes" is read as "my sugar was 65")
            j = recheck_before(tokens, d.start, when) if when is not None else None
            if j is not None and not taken & set(range(j, d.start)) and not any(o.end > j for o in out):
                d = Span(j, d.end, DURATION, None, info={"recheck": True})
            out.append(d)
        return out

    def _ago_contexts(self, tokens: list[str], ago: list[Span], listed: list[Span]) -> list[Span]:
        """"i had my lunch about 2 hours ago and now it's 190": a meal said just before how long ago (small words
        between) is a meal context (after it), in a sentence that says a value and no meal context of its own."""
        when = self.pack.when
        if when is None or not when.ago_contexts or any(s.slot == "context" for s in listed):
            return []
        in_ago = {k for a in ago for k in range(a.start, a.end)}
        if not any(is_number(t) for k, t in enumerate(tokens) if k not in in_ago):
            return []  # no value said: "i had dinner 3 hours ago" tells of a meal, and is no reading
        taken = {k for s in listed for k in range(s.start, s.end)}
        for a in ago:
            k = a.start
            while k > 0 and tokens[k - 1] in self.pack.ignore:
                k -= 1  # "lunch *about* 2 hours ago", "breakfast *an* hour ago" (the article is in the span already)
            for j in range(max(0, k - MEAL_WORDS), k):
                for value, phrases in when.ago_contexts.items():
                    if phrases.match(tokens, j) == k - j and not taken & set(range(j, k)):
                        return [Span(j, k, "context", value)]
        return []

    def _written(self, tokens: list[str]) -> list[str]:
        """Words as a recogniser writes them, read as the pack's ("1st" -> "first"; "before i 8 and got 101" ->
        "before i ate": a word written as a digit, after one of its phrases, with no mark of a number after it and
        another number in the sentence; "i was 8 point 1", "i 8" alone stay numbers)."""
        written = self.pack.written
        if not written.words and not written.digit_words and not written.units:
            return tokens
        out = [written.words.get(t, t) for t in tokens]
        lex = self.pack.numbers
        hour_marks = self._hour_marks
        k = 1
        while k < len(out):  # "5.8 ml per liter" -> "5.8 mmol"
            if is_number(out[k - 1]):
                # (a unit written with an hour's mark, "8.1 am all", only after a decimal: an hour has none, "at 8 am
                # all week")
                n = max((len(p) for p in written.units if tuple(out[k:k + len(p)]) == p
                         and (p[0] not in hour_marks or not out[k - 1].isdigit())), default=0)
                if n:
                    out[k:k + n] = written.units[tuple(out[k:k + n])]
            k += 1
        for k, token in enumerate(out):
            for word, (digit, after) in written.digit_words.items():
                if token != digit or not any(after.match(out, j) == k - j for j in range(max(0, k - 4), k)):
                    continue
                nxt = k + 1
                if nxt < len(out) and (is_number(out[nxt]) or out[nxt] in lex.decimal_words or out[nxt] in lex.zero_words
                                       or lex.number_neighbours.match(out, nxt) or lex.dose_words.match(out, nxt)
                                       or lex.counted.match(out, nxt)):
                    continue
                if any(is_number(t) for j, t in enumerate(out) if j != k):
                    out[k] = word
        return out

    def _join_compounds(self, tokens: list[str]) -> list[str]:
        """"lunch time", "bed time", "tri glycerides": a word of the pack that the recogniser wrote in two (see
        `_compounds`) is read as the pack's word."""
        if not self._compounds or len(tokens) < 2:
            return tokens
        out: list[str] = []
        i = 0
        while i < len(tokens):
            joined = self._compounds.get((tokens[i], tokens[i + 1])) if i + 1 < len(tokens) else None
            out.append(joined or tokens[i])
            i += 2 if joined else 1
        return out

    def _lab_values(self, tokens: list[str], listed: list[Span]) -> list[Span]:
        """The number just after a lab test's name (small words between): that test's value."""
        found = []
        for test in (s for s in listed if s.slot == "test"):
            k = test.end
            while k < len(tokens) and k - test.end < LAB_VALUE_REACH and tokens[k] in self.pack.ignore:
                k += 1
            if k < len(tokens) and is_number(tokens[k]):
                found.append(Span(k, k + 1, LAB_VALUE, None))
        return found

    def _split_listed(self, tokens: list[str]) -> list[str]:
        """A word of digits and letters kept whole by `clean` ("a1c", "hba1c", "b12") is split back when its pieces
        make a phrase of the pack's lists (the lab test "a 1 c"); otherwise it stays one word, no number."""
        out: list[str] = []
        for token in tokens:
            pieces = GLUED_PIECES.findall(token)
            if len(pieces) > 1 and any(p.isdigit() for p in pieces) and self.lists.match(pieces, 0)[0] == len(pieces):
                out += pieces
            else:
                out.append(token)
        return out

    def _dose_spans(self, tokens: list[str]) -> list[Span]:
        """"10 units", « 2 comprimés »: the number and its unit are a quantity of medicine (DOSE).
        "2 cats", « 82 ans », "20 degrees": a number just before one of the pack's counted things (years, degrees,
        pets, money...) counts that thing; it is no glucose value and no time either. (Not any unknown word: a
        recogniser writes "80 salmon" for "eighty seven".)"""
        dose_words = self.pack.numbers.dose_words
        counted = self.pack.numbers.counted
        spans = []
        for k in range(len(tokens) - 1):
            if not is_number(tokens[k]):
                continue
            length = dose_words.match(tokens, k + 1)
            if length:  # the quantity of medicine, number and unit, is left out of what the matcher reads (below)
                spans.append(Span(k, k + 1 + length, DOSE, None))
            elif counted.match(tokens, k + 1):
                spans.append(Span(k, k + 1, COUNTED, None))
        return spans

    def _drop_fillers(self, tokens: list[str]) -> list[str]:
        return drop_fillers(tokens, self._fillers, self.pack.classes, self.pack.not_words)

    def _how_long_after(self, tokens: list[str]) -> list[str]:
        """"one twenty, two hours after lunch", « cent vingt, deux heures après le repas »: said in one breath the
        number words run together ("1 22", "122") though the last one opens a phrase of the context list ("2 hours
        after", « 2 heures après »): how long after a meal, never part of the value (nor a clock time, 01:22). Split
        off when what is left is a value: hundreds ("122"), or tens right after a number or a unit ("1 22", « 1
        gramme 22 »); "at 22 hours after dinner" alone stays 22."""
        out: list[str] = []
        for k, token in enumerate(tokens):
            n = int(token) if is_int(token, 21, 999) else 0
            unit = n % 10
            if 1 <= unit <= 3 and n % 100 >= 20 and (n >= 100 or (k > 0 and (is_number(tokens[k - 1])
                                                                             or tokens[k - 1] in self._unit_words))):
                if self._opens_how_long_after([str(unit), *tokens[k + 1:k + 1 + HOW_LONG_AFTER_WORDS]]):
                    out += [str(n - unit), str(unit)]
                    continue
            out.append(token)
        return out

    def _opens_how_long_after(self, tokens: list[str]) -> bool:
        """"2 hours after", « 2 heures après le repas » (a phrase of the context list), "3 hours" then one ("after my
        lunch"), or how long ago ("2 hours ago", « 2 heures avant »)."""
        if any(start == 0 for start, _ in ago_spans(tokens, self.pack.when)):
            return True
        end, value = self.lists.match(tokens, 0)
        if value is not None and value[0] == "context" and end > 1:
            return True
        hours = self.pack.when.hours.match(tokens, 1) if self.pack.when is not None else 0
        if not hours:
            return False
        end, value = self.lists.match(tokens, 1 + hours)
        return value is not None and value[0] == "context"

    def _list_spans(self, tokens: list[str]) -> list[Span]:
        spans = []
        lab_said = bool(self._lab_named) and any(self._lab_words.match(tokens, k) for k in range(len(tokens)))
        i = 0
        while i < len(tokens):
            end, value = self.lists.match(tokens, i)
            if lab_said:
                # "the fasting glucose on my lab results": with the lab said, a test named like a reading is the test
                named = max(((len(p), v) for p, v in self._lab_named if tuple(tokens[i:i + len(p)]) == p),
                            default=None)
                if named and named[0] >= end - i:
                    end, value = i + named[0], ("test", named[1])
            if value is None:
                end, value = self._fuzzy_name(tokens, i)
            if value is None:
                end, value = self._doubled_letters(tokens, i)
            if value is None:
                i += 1
                continue
            slot, normalised = value
            spans.append(Span(i, end, slot, normalised))
            i = end
        return spans

    def _doubled_letters(self, tokens: list[str], i: int) -> tuple[int, tuple | None]:
        """"lddl", "hddl": a short name of a spelling-tolerant list (too short for `_fuzzy_name`) written with a letter
        doubled, by a recogniser running spelled letters together ("l d l"). Only a word the pack does not know."""
        token = tokens[i]
        if token in self._known_words or not token.isalpha():
            return i, None
        single = _DOUBLED.sub(r"\1", token)
        if single == token:
            return i, None
        value = self._acronyms.get(single)
        return (i + 1, value) if value else (i, None)

    def _fuzzy_name(self, tokens: list[str], i: int) -> tuple[int, tuple | None]:
        if tokens[i] in self.pack.ignore or tokens[i][0].isdigit() or not self._fuzzy_keys:
            return i, None
        if tokens[i] in self._known_words and tokens[i] not in self._name_words:
            return i, None  # a word the pack knows begins no misheard name ("did my long acting insulin")
        best: tuple[float, int, tuple | None] = (0.0, i, None)
        for n in range(1, self._max_words + 1):
            if i + n > len(tokens):
                break
            # a name is not glued across a number or what is left of a contraction ("level 1", "level's" are no
            # "k level")
            last = tokens[i + n - 1]
            if n > 1 and is_number(last):
                break
            if n > 1 and last in self.pack.ignore and (len(last) == 1 or (
                    i + n < len(tokens) and is_number(tokens[i + n]))):
                # ... nor end on one ("level s"), nor on a small word before a number: "blood glucose is" is no
                # "blood glucose test" ("my blood glucose is 5.8" is a reading; "my lipid or at 9" may still be
                # lipitor); « glycémie à jeun » goes on past « à »
                continue
            # a word the pack knows is not a misheard drug name on its own ("insuline" is not "insuline lente")
            if n == 1 and tokens[i] in self._known_words:
                continue
            glued = "".join(tokens[i:i + n])
            if len(glued) < FUZZY_MIN_CHARS:
                continue
            hit = _closest(glued, self._fuzzy_keys, one_word=n == 1)
            if hit and n > 1 and last in self.pack.ignore and self._fuzzy_words.get(hit[0], 1) > 1:
                # a name of several words does not end on a small word heard in place of its own last word: "my blood
                # glucose is by 0.8" is no "blood glucose test" (a lab result read instead of a reading); one word
                # may ("my lipid or at 9" is lipitor)
                continue
            if (hit and n == 1 and self._is_word is not None and self._fuzzy_names[hit[0]][0] == "medication"
                    and self._is_word(glued)):
                # a real word is no misheard medicine ("remind me to water the plants" is no Lantus reminder);
                # a made-up one may be ("lantis")
                continue
            if hit and hit[1] > best[0]:
                best = (hit[1], i + n, self._fuzzy_names[hit[0]])
        return best[1], best[2]


#: How many words after a number are read to tell whether it opens how long after a meal ("2 hours after my evening
#: meal", see `SlotExtractor._how_long_after`)
HOW_LONG_AFTER_WORDS = 6

#: How many words a meal said before how long ago may have ("my evening meal")
MEAL_WORDS = 3


#: The shortest piece of a pack word written in two that is read back as the word: shorter pieces are small words
#: that make other words ("we ll" is "we'll", not "well"; "no on" is no "noon").
COMPOUND_PIECE_CHARS = 3


def _compounds(pack: Pack, words: set[str], known: set[str],
               phrases: list[tuple[str, ...]]) -> dict[tuple[str, str], str]:
    """Pairs of `known` words that are one of `words` (the pack's words said alone) written in two ("lunch time" ->
    "lunchtime", "bed time" -> "bedtime"): recognisers split compounds. Not when a piece is a small word, a
    hesitation or a negation (contractions and small words make other words: "can not", "may be"), nor when the pack
    itself says the two words together ("night time" is a phrase of its own), nor for an alarm word (never guessed)."""
    small = pack.ignore | pack.not_words | {w for p in pack.fillers for w in p}
    alarms = {w for p in pack.alarm_words for w in p}
    said_together = {pair for p in phrases for pair in zip(p, p[1:])}
    said_together |= {pair for intent in pack.intents.values() for t in intent.templates
                      for pair in zip(t.tokens, t.tokens[1:])}
    found: dict[tuple[str, str], str] = {}
    for word in words:
        if word in alarms or not word.isalpha():
            continue
        for k in range(COMPOUND_PIECE_CHARS, len(word) - COMPOUND_PIECE_CHARS + 1):
            pair = (word[:k], word[k:])
            if pair[0] in known and pair[1] in known and not small & set(pair) and pair not in said_together:
                found[pair] = word
    return found


_DOUBLED = re.compile(r"(.)\1+")


def _overlap(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end


@lru_cache(maxsize=4096)
def _closest(word: str, keys: tuple[str, ...], one_word: bool = True) -> tuple[str, float] | None:
    """The name closest to `word` if close enough (`one_word`: heard as one word, not glued from several: a long name
    may then be two slips away; "blood glucose" glued is not "blood glucose test")."""
    hit = process.extractOne(word, keys, scorer=fuzz.ratio, score_cutoff=SHORT_NAME_SIMILARITY)
    if hit is None or hit[1] < (SHORT_NAME_SIMILARITY if len(hit[0]) <= SHORT_NAME_CHARS
                                else LONG_NAME_SIMILARITY if one_word and len(hit[0]) >= LONG_NAME_CHARS
                                else NAME_SIMILARITY):
        return None
    return hit[0], hit[1]
