"""Language packs: `intents/<lang>.yaml` read, checked and compiled for matching.

A pack is written by clinicians and translators, not programmers, so every mistake is reported with the
file, the intent and the line: bad YAML, a duplicate intent, a template that does not parse, a reference
to a slot list or rule that does not exist.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any


from voice_assistant.health.glucose import GlucoseUnit
from voice_assistant.language import LanguageDataError, folder, plain
from voice_assistant.language import read_yaml as read_language_yaml
from voice_assistant.nlu import templates
from voice_assistant.nlu.normalize import clean, fold_accents
from voice_assistant.nlu.numbers import NumberLexicon, tokens_with_digits
from voice_assistant.nlu.spans import Phrase, PhraseSet
from voice_assistant.nlu.times import TimeLexicon
from voice_assistant.nlu.when import PARTS, WhenLexicon

#: Slots filled by a grammar in code rather than by a list in the pack.
BUILTIN_SLOTS = {"glucose", "time", "medication"}
#: Name a slot carries in the understanding result, when it differs from the template name.
SLOT_OUTPUT_NAMES = {"glucose": "glucose_mg_dl"}


class PackError(LanguageDataError):
    """A language pack cannot be used; the message names the file, the intent and the line."""


def packs_dir() -> Path:
    return folder("intents")


def words(text: str) -> list[str]:
    """How pack text is tokenised: the same cleaning and accent folding as the patient's words."""
    return fold_accents(clean(text)).split()


def phrase(text: str) -> Phrase:
    return tuple(words(text))


@dataclass(frozen=True)
class Template:
    text: str
    line: int
    tokens: tuple[str, ...]  #: one expansion, stop words removed, slots as "{name}"


@dataclass
class IntentDef:
    name: str
    line: int
    slots: frozenset[str]  #: template slot names this intent can fill
    templates: list[Template] = field(default_factory=list)


@dataclass
class Pack:
    lang: str
    path: Path
    threshold: float  #: below this matcher score the result is `none`
    fillers: PhraseSet  #: removed before anything else (« euh », "um")
    ignore: frozenset[str]  #: small words the matcher does not count
    numbers: NumberLexicon
    time: TimeLexicon
    lists: dict[str, dict[str, list[Phrase]]]  #: slot -> value -> phrases
    fuzzy_lists: frozenset[str]  #: lists matched with spelling tolerance (lab test names)
    intents: dict[str, IntentDef]
    number_words: frozenset[str]
    classes: "WordClasses"
    wake_words: tuple[str, ...] = ()  #: hands-free mode: what the patient says before a request
    #: words that always mean a call for help ("ambulance", « SAMU »), whatever the recogniser made of the rest;
    #: the `red_flags` are among them
    alarm_words: tuple[Phrase, ...] = ()
    #: alarm words that name a sign no one should be left alone with ("chest pain", « perdu connaissance »): the
    #: guidance is to call the emergency number now, never a low's sugar
    red_flags: tuple[Phrase, ...] = ()
    #: lab tests named the way a reading is said ("fasting glucose", « glycémie à jeun »: a reading taken fasting),
    #: test id -> phrases: the test only in a sentence that also says one of `lab_words` ("the fasting glucose on my
    #: lab results", « le labo a trouvé combien pour la glycémie à jeun »)
    lab_named_tests: dict[str, PhraseSet] = field(default_factory=dict)
    lab_words: PhraseSet = field(default_factory=lambda: PhraseSet(()))
    #: alarm words that tell a wish to die or to end one's life ("want to die", « envie d'en finir »): the reply
    #: acknowledges, gives a crisis line and the emergency number, never a low's sugar. Matched on what was said,
    #: before the fillers are dropped ("i want to" is a written filler); one holding a negation ("don't want to
    #: live", « plus envie de vivre ») is no declined thing: it says the not-wanting itself
    distress: tuple[Phrase, ...] = ()
    #: words that turn a sentence around ("not", « pas »): a sentence with one does not read like a template
    #: without one, nor the other way round ("I haven't taken my insulin" is no dose taken)
    not_words: frozenset[str] = frozenset()
    #: groups of words that contradict each other (all is well: "fine", « bien »; a low or a high: "{meter_extreme}",
    #: "hypo"), as the matcher sees them: a sentence that says only one group's words does not read like a template
    #: holding only another's ("my sugar was fine this morning" is no "my sugar was low this morning")
    contraries: tuple[frozenset[str], ...] = ()
    #: phrases opening a question ("did I", « est-ce que »): a question never records anything, so the intents
    #: of `records` are not candidates for it
    question_openers: PhraseSet = field(default_factory=lambda: PhraseSet(()))
    records: frozenset[str] = frozenset()  #: intents that record a reading, a dose or a low
    #: phrases opening a request for later ("remind me", « rappelle-moi »): nothing is happening now, so the intents of
    #: `not_later` (a call for help, a call now) are not candidates for it, unless an alarm word is said
    later_openers: PhraseSet = field(default_factory=lambda: PhraseSet(()))
    #: words that open a sentence carrying on the last request ("and my lipitor at night", « et le tahor le soir »)
    continuations: PhraseSet = field(default_factory=lambda: PhraseSet(()))
    not_later: frozenset[str] = frozenset()
    #: intents whose sentences may say when with a part of the day and no hour ("remind me to take lipitor *tonight*",
    #: "... *at bedtime*"): for them a period or a meal context said is when, no slot; they are read without it too
    part_of_day_intents: frozenset[str] = frozenset()
    #: what a reminder can be for: a request for later that names no medicine and says a word that no sentence of
    #: these intents holds ("remind me to call my daughter", « rappelle-moi d'acheter du pain ») asks a reminder the
    #: assistant cannot set (`later_when` words, "tomorrow", count as theirs)
    reminders_for: frozenset[str] = frozenset()
    later_when: PhraseSet = field(default_factory=lambda: PhraseSet(()))
    #: medicines, and questions about them (`medicine:` in the pack, see `MedicineRules`)
    medicine: "MedicineRules" = field(default_factory=lambda: MedicineRules())
    #: words spelling correction never guesses: a verb that creates, records or deletes ("rate" is no "create")
    never_guessed: frozenset[str] = frozenset()
    #: "was 7 too high": a being-verb first, a number next, a judgement after; a question, never a reading
    value_questions: "ValueQuestions" = field(default_factory=lambda: ValueQuestions())
    #: greetings that are also meter display words ("hi"): opening a longer sentence, they are left out
    greetings: PhraseSet = field(default_factory=lambda: PhraseSet(()))
    #: who the patient means when calling the care team, not the family ("call my doctor", « appelle l'infirmière »)
    care_team: PhraseSet = field(default_factory=lambda: PhraseSet(()))
    #: how the recognisers write some words (`written:` in the pack): "1st", "before i 8"
    written: "WrittenForms" = field(default_factory=lambda: WrittenForms())
    #: intent -> words one of which a sentence must say to be that intent (`needs:`): its sentences share a word group
    #: with others ("i had a *chest pain*" reads like "i had a *hypo*" to the matcher); these words tell them apart
    needs: dict[str, PhraseSet] = field(default_factory=dict)
    #: "I don't need an ambulance", « pas la peine d'appeler les pompiers », "I'm not dizzy": what is declined asks nothing
    declines: "Declines" = field(default_factory=lambda: Declines())
    when: WhenLexicon | None = None  #: « hier soir », "two hours ago": when a reading or a dose happened
    #: whole answers made only of small words (« c'est ça », "that's it"), matched as said: intent -> phrases
    exact: dict[tuple[str, ...], str] = field(default_factory=dict)
    load_seconds: float = 0.0

    def number_marks(self) -> frozenset[str]:
        """Words that may be glued to a number and say what it is: units, hour and day-part words, dose words
        ("120mg", "7am", "8h30", "10units")."""
        sets = [*self.numbers.units.values(), *vars(self.time).values(), self.numbers.dose_words]
        if self.when is not None:
            sets += [self.when.hours, self.when.minutes]
        return frozenset(w for ps in sets if isinstance(ps, PhraseSet) for w in ps.words())

    def vocabulary(self, medication_names: Sequence[str] = (), lists: bool = True) -> set[str]:
        """Every word the pack can understand: what a recogniser should be constrained to (`lists=False`:
        without the words of the slot lists, which are only known as parts of their phrases)."""
        vocab: set[str] = set(self.number_words) | set(self.wake_words)
        for intent in self.intents.values():
            for t in intent.templates:
                vocab.update(w for w in t.tokens if not w.startswith(("{", "<")))
        vocab.update(self.classes.words())
        vocab.update(self.ignore)
        for values in self.lists.values() if lists else ():
            for phrases in values.values():
                for p in phrases:
                    vocab.update(p)
        for name in medication_names:
            vocab.update(words(name))
        for lexicon in (self.numbers.units.values(), vars(self.time).values()):
            for ps in lexicon:
                vocab.update(ps.words())
        return {w for w in vocab if w and not w.isdigit()}


@dataclass(frozen=True)
class WrittenForms:
    """The pack's `written:` section: words as a recogniser writes them (whisper above all), read as the pack's own
    words by the understanding only (the recognisers are never taught them)."""

    #: a word written with digits -> the pack's word ("1st" -> "first")
    words: dict[str, str] = field(default_factory=dict)
    #: word -> (the digit written for it, the phrases it follows): "before i 8 and got 101" is "before i ate". Read
    #: as the word only after one of the phrases, with no mark of a number after it and another number in the sentence
    digit_words: dict[str, tuple[str, PhraseSet]] = field(default_factory=dict)
    #: a unit as written after a number ("5.8 ml per liter", "8.1 mm all": whisper's "mmol") -> the pack's own words
    #: for it (its first phrase under `units`)
    units: dict[Phrase, Phrase] = field(default_factory=dict)
    #: words that change nothing asked ("after my *big* dinner"), dropped like the pack's fillers; here, not among
    #: the fillers, because every pack word also shapes pocketsphinx's language model, and these need not
    fillers: PhraseSet = field(default_factory=lambda: PhraseSet(()))


@dataclass(frozen=True)
class MedicineRules:
    """The pack's `medicine:` section: what counts as a medicine, and what a question about one is."""

    #: tokens that name a medicine, as the matcher reads them ("<medicine>", "dosage"); the profile's medicines
    #: ("{medication}") and the dose words ("units", « comprimés ») count too
    words: frozenset[str] = frozenset()
    #: intents that record a dose: only when what was taken is a medicine, or nothing else is named
    doses: frozenset[str] = frozenset()
    #: the intent of a question asking leave or advice about a medicine ("can I take my pills now")
    advice: str | None = None
    advice_openers: PhraseSet = field(default_factory=lambda: PhraseSet(()))
    #: tokens that make such a sentence a request all the same ("can I have a *reminder* for my pills")
    requests: frozenset[str] = frozenset()
    #: "too much", "a double dose", « trop de »: said with a medicine, too much of it was taken (not asked)
    too_much: PhraseSet = field(default_factory=lambda: PhraseSet(()))
    #: tokens that say a dose was taken ("took", « pris », "done"), not only had: without one (nor a medicine), a
    #: bare number at a part of the day is as much a reading as a time ("I had 7 this morning")
    taking: frozenset[str] = frozenset()
    #: ... and words that tell of a dose had ("had", « j'ai »): a dose sentence holds a medicine, or one of these
    having: frozenset[str] = frozenset()
    #: the word a quantity of medicine ("10 units", « 8 unités ») reads as for choosing the intent: "I did my 10 units"
    #: is "I did my dose" (the quantity itself is no slot: the dialogue says that it is not noted)
    quantity: str | None = None


@dataclass(frozen=True)
class ValueQuestions:
    """The pack's `value_questions:` section ("was 7 too high", "were 180 ok")."""

    verbs: PhraseSet = field(default_factory=lambda: PhraseSet(()))
    judgements: PhraseSet = field(default_factory=lambda: PhraseSet(()))
    #: openers of a question about a value supposed ("what if my sugar is 300", « et si j'ai 3 grammes »): with a number
    #: said, what a value means is asked, whatever else the sentence looks like
    suppose: PhraseSet = field(default_factory=lambda: PhraseSet(()))


@dataclass(frozen=True)
class Declines:
    """The pack's `declines:` section: a negation, then only `between` words, then one of `things` (or an alarm
    word): that stretch says what is *not* wanted or felt, and asks for nothing."""

    negations: PhraseSet = field(default_factory=lambda: PhraseSet(()))
    between: frozenset[str] = frozenset()  #: words a negation reaches over ("need", « besoin », « appeler »)
    after: PhraseSet = field(default_factory=lambda: PhraseSet(()))  #: words that end it ("anymore", « plus »)
    #: negations that decline only the thing right after them ("no paramedics"; "no, call an ambulance" calls)
    direct: PhraseSet = field(default_factory=lambda: PhraseSet(()))
    things: PhraseSet = field(default_factory=lambda: PhraseSet(()))  #: with their word groups' phrases


class WordClasses:
    """Synonym groups of the pack: each phrase of a group reads as the group's token ("<noter>")."""

    def __init__(self, phrases: dict[Phrase, str]):
        self.phrases = phrases
        self._set = PhraseSet(phrases)

    def canonical(self, tokens: tuple[str, ...] | list[str]) -> tuple[str, ...]:
        out, i = [], 0
        while i < len(tokens):
            n = self._set.match(tokens, i)
            if n:
                out.append(self.phrases[tuple(tokens[i:i + n])])
                i += n
            else:
                out.append(tokens[i])
                i += 1
        return tuple(out)

    def words(self) -> set[str]:
        return {w for p in self.phrases for w in p}

    def longest(self, tokens: Sequence[str], i: int) -> int:
        """Length of the longest group phrase starting at tokens[i], 0 if none."""
        return self._set.match(tokens, i)


def drop_fillers(tokens: Sequence[str], fillers: PhraseSet, classes: "WordClasses",
                 not_words: frozenset[str]) -> list[str]:
    """`tokens` without their fillers (« euh », "um", "well"), except where a filler word is meant: inside a
    phrase of the pack's word groups ("I don't feel well") or right after a "not" ("not well")."""
    tokens = list(tokens)
    if not fillers:
        return tokens
    meant: set[int] = set()
    for i, token in enumerate(tokens):
        meant.update(range(i, i + classes.longest(tokens, i)))
        if token in not_words:
            meant.add(i + 1)
    out, i = [], 0
    while i < len(tokens):
        n = fillers.match(tokens, i)
        if n and not meant & set(range(i, i + n)):
            i += n
        else:
            out.append(tokens[i])
            i += 1
    return out


def read_yaml(path: Path) -> dict:
    """YAML with duplicate keys refused and line numbers kept (under "__lines__" in each mapping)."""
    return read_language_yaml(path, error=PackError, keep_lines=True)


@lru_cache(maxsize=8)
def load_pack(lang: str, directory: str | None = None) -> Pack:
    """Load and compile `intents/<lang>.yaml` (cached: packs do not change while running)."""
    folder = Path(directory) if directory else packs_dir()
    path = folder / f"{lang}.yaml"
    if not path.exists():
        available = sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []
        raise PackError(f"{path}: no language pack for '{lang}' (available: {', '.join(available) or 'none'})")
    started = time.perf_counter()
    pack = compile_pack(read_yaml(path), path)
    pack.load_seconds = time.perf_counter() - started
    return pack


def compile_pack(data: dict, path: Path) -> Pack:
    """A pack as read (`read_yaml`, lines kept) -> the compiled `Pack`, one section at a time; every mistake is
    a PackError naming the file, the intent and the line."""
    r = _PackReader(data, path)
    lang, settings = r.header()
    number_lex, time_lex = r.numbers_and_time(lang, settings)
    lists, fuzzy_lists = r.lists()
    known_slots = BUILTIN_SLOTS | set(lists)

    def norm(text: str) -> list[str]:
        """Template words read like speech: « sept jours », "call nine one one" have their numbers as digits."""
        return tokens_with_digits(clean(text), number_lex)

    rules, classes = r.expansion_rules(norm, known_slots)
    ignore = frozenset(w for p in r.phrase_list(data.get("ignore"), "ignore") for w in p)
    wake_words = r.phrase_list(data.get("wake_words"), "wake_words")
    # the wake word only calls the assistant: like a filler, it says nothing about the request
    fillers = PhraseSet(r.phrase_list(data.get("fillers"), "fillers") + wake_words)
    not_words = r.not_words(ignore)
    intents = r.intents(norm, rules, known_slots, classes, ignore,
                        lambda tokens: drop_fillers(tokens, fillers, classes, not_words))
    when, exact = r.when_and_exact(norm, intents, lists)
    threshold = float(settings.get("threshold", 0.6))
    if not 0 < threshold < 1:
        raise r.fail("'settings.threshold' must lie between 0 and 1", line=r.lines.get("settings"))
    return Pack(
        lang=lang,
        path=path,
        threshold=threshold,
        fillers=fillers,
        ignore=ignore,
        numbers=number_lex,
        time=time_lex,
        lists=lists,
        fuzzy_lists=frozenset(fuzzy_lists),
        intents=intents,
        number_words=number_lex.words,
        classes=classes,
        wake_words=tuple(w for p in wake_words for w in p),
        alarm_words=tuple(r.alarm_words()),
        red_flags=tuple(r.red_flags()),
        **r.lab_named(lists),
        distress=tuple(r.distress()),
        not_words=not_words,
        contraries=r.contraries(classes, ignore, not_words),
        question_openers=PhraseSet(r.phrase_list(data.get("question_openers"), "question_openers")),
        records=r.intent_names(intents, "records"),
        later_openers=PhraseSet(r.phrase_list(data.get("later_openers"), "later_openers")),
        continuations=PhraseSet(r.phrase_list(data.get("continuations"), "continuations")),
        not_later=r.intent_names(intents, "not_later"),
        part_of_day_intents=r.intent_names(intents, "part_of_day_intents"),
        reminders_for=r.intent_names(intents, "reminders_for"),
        later_when=PhraseSet(r.phrase_list(data.get("later_when"), "later_when")),
        medicine=r.medicine(intents, classes),
        never_guessed=r.never_guessed(classes),
        value_questions=ValueQuestions(r.phrase_set(r.section("value_questions"), "verbs", "value_questions"),
                                       r.phrase_set(r.section("value_questions"), "judgements", "value_questions"),
                                       r.phrase_set(r.section("value_questions"), "suppose", "value_questions")),
        declines=r.declines(classes, not_words),
        greetings=PhraseSet(r.phrase_list(data.get("greetings"), "greetings")),
        care_team=PhraseSet(r.phrase_list(data.get("care_team"), "care_team")),
        written=r.written(),
        needs=r.needs(intents),
        when=when,
        exact=exact,
    )


class _PackReader:
    """One pack file as read, section by section: `header`, `numbers_and_time`, `lists`, `expansion_rules`,
    `intents`; `fail` builds the PackError that names the file, the intent and the line."""

    def __init__(self, data: dict, path: Path) -> None:
        self.data = data
        self.where = str(path)
        self.lines: dict = data.get("__lines__", {})

    def fail(self, message: str, intent: str | None = None, line: int | None = None) -> PackError:
        parts = [self.where]
        if intent:
            parts.append(f"intent '{intent}'")
        if line:
            parts.append(f"line {line}")
        return PackError(", ".join(parts) + ": " + message)

    def phrase_list(self, value: Any, what: str) -> list[Phrase]:
        if value is None:
            return []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) for v in value):
            raise self.fail(f"'{what}' must be a list of words or phrases", line=self.lines.get(what.split(".")[0]))
        return [p for p in (phrase(str(v)) for v in value) if p]

    def phrase_set(self, section: dict, key: str, prefix: str) -> PhraseSet:
        return PhraseSet(self.phrase_list(section.get(key), f"{prefix}.{key}"))

    def unit(self, value: Any, what: str) -> GlucoseUnit:
        try:
            return GlucoseUnit(value)
        except ValueError:
            raise self.fail(f"'{what}' must be one of {', '.join(u.value for u in GlucoseUnit)}, "
                            f"not '{value}'") from None

    # --- language, settings ---------------------------------------------------------------------------

    def header(self) -> tuple[str, dict]:
        for key in ("language", "intents"):
            if key not in self.data:
                raise self.fail(f"missing top-level key '{key}'")
        settings = self.data.get("settings") or {}
        if not isinstance(settings, dict):
            raise self.fail("'settings' must be a mapping", line=self.lines.get("settings"))
        return str(self.data["language"]), settings

    def red_flags(self) -> list[Phrase]:
        """`red_flags`: alarm words that name a sign no one should be left alone with ("chest pain"), each listed
        once: here or under `alarm_words`, not both."""
        flags = self.phrase_list(self.data.get("red_flags"), "red_flags")
        twice = set(flags) & set(self.phrase_list(self.data.get("alarm_words"), "alarm_words"))
        if twice:
            raise self.fail(f"'red_flags' are alarm words already: list {', '.join(sorted(' '.join(p) for p in twice))}"
                            " under 'red_flags' only", line=self.lines.get("red_flags"))
        return flags

    def lab_named(self, lists: dict[str, dict[str, list[Phrase]]]) -> dict[str, Any]:
        """`lab_named`: `words` of the lab and its results, and `tests`: lab test id -> phrases that name it only in a
        sentence saying one of those words (see `Pack.lab_named_tests`). Every id must be a value of the `test` list."""
        section = self.section("lab_named")
        tests = section.get("tests") or {}
        if not isinstance(tests, dict):
            raise self.fail("'lab_named.tests' must map lab test ids to phrases", line=self.lines.get("lab_named"))
        known = set(lists.get("test", {}))
        unknown = sorted(str(t) for t in tests if t != "__lines__" and t not in known)
        if unknown:
            raise self.fail(f"'lab_named.tests': {', '.join(unknown)} not in the 'test' list",
                            line=self.lines.get("lab_named"))
        return {"lab_words": self.phrase_set(section, "words", "lab_named"),
                "lab_named_tests": {str(t): PhraseSet(self.phrase_list(p, f"lab_named.tests.{t}"))
                                    for t, p in tests.items() if t != "__lines__"}}

    def distress(self) -> list[Phrase]:
        """`distress`: alarm words that tell a wish to die ("want to die"), each listed once: here, not under
        `alarm_words` or `red_flags`."""
        said = self.phrase_list(self.data.get("distress"), "distress")
        twice = set(said) & set(self.phrase_list(self.data.get("alarm_words"), "alarm_words") + self.red_flags())
        if twice:
            raise self.fail(f"'distress' phrases are alarm words already: list {', '.join(sorted(' '.join(p) for p in twice))}"
                            " under 'distress' only", line=self.lines.get("distress"))
        return said

    def alarm_words(self) -> list[Phrase]:
        """`alarm_words`, the `red_flags` and the `distress` phrases: every word that always means a call for help."""
        return self.phrase_list(self.data.get("alarm_words"), "alarm_words") + self.red_flags() + self.distress()

    def not_words(self, ignore: frozenset[str]) -> frozenset[str]:
        """`not_words`: single words, none of them a small word the matcher skips (it would never see it)."""
        found = self.phrase_list(self.data.get("not_words"), "not_words")
        for p in found:
            if len(p) != 1 or p[0] in ignore:
                raise self.fail(f"'not_words' holds single words that are not in 'ignore', not '{' '.join(p)}'",
                                line=self.lines.get("not_words"))
        return frozenset(p[0] for p in found)

    def contraries(self, classes: "WordClasses", ignore: frozenset[str], not_words: frozenset[str]
                   ) -> tuple[frozenset[str], ...]:
        """`contraries`: a list of word groups, each word one token as the matcher sees it (its word group's token
        when it has one, "{slot}" for a slot's value), none of them a small word the matcher skips or a "not"."""
        raw = self.data.get("contraries")
        if raw is None:
            return ()
        line = self.lines.get("contraries")
        if not isinstance(raw, list) or len(raw) < 2 or not all(isinstance(g, list) and g for g in raw):
            raise self.fail("'contraries' is a list of at least two non-empty lists of words", line=line)
        groups = []
        for group in raw:
            tokens = set()
            for word in group:
                token = str(word) if str(word).startswith("{") else None
                if token is None:
                    p = phrase(str(word))
                    canonical = classes.canonical(p)
                    if len(canonical) != 1 or canonical[0] in ignore or canonical[0] in not_words:
                        raise self.fail(f"'contraries' holds single words the matcher sees, not '{word}'", line=line)
                    token = canonical[0]
                tokens.add(token)
            groups.append(frozenset(tokens))
        for a, b in itertools.combinations(groups, 2):
            if a & b:
                raise self.fail(f"'contraries': {', '.join(sorted(a & b))} in two groups", line=line)
        return tuple(groups)

    def intent_names(self, intents: dict[str, "IntentDef"], key: str) -> frozenset[str]:
        """A top-level list of intents of this pack (empty when absent)."""
        names = self.data.get(key) or []
        if not isinstance(names, list) or any(n not in intents for n in names):
            raise self.fail(f"'{key}' lists intents of this pack, not {names!r}", line=self.lines.get(key))
        return frozenset(names)

    def needs(self, intents: dict[str, "IntentDef"]) -> dict[str, PhraseSet]:
        """The `needs:` section: intent -> the words (or phrases) one of which its sentences must say."""
        found: dict[str, PhraseSet] = {}
        for intent, phrases in plain(self.section("needs")).items():
            if intent not in intents:
                raise self.fail(f"'needs' names '{intent}', no intent of this pack", line=self.lines.get("needs"))
            found[intent] = PhraseSet(self.phrase_list(phrases, f"needs.{intent}"))
            if not found[intent]:
                raise self.fail(f"'needs.{intent}' lists no words", line=self.lines.get("needs"))
        return found

    def section(self, key: str) -> dict:
        value = self.data.get(key) or {}
        if not isinstance(value, dict):
            raise self.fail(f"'{key}' must be a mapping", line=self.lines.get(key))
        return value

    def tokens(self, value: Any, what: str, classes: "WordClasses") -> frozenset[str]:
        """Words, phrases or word groups ("<medicine>") as the matcher reads them: each phrase in its group's
        token when it belongs to one."""
        found: set[str] = set()
        for entry in value or []:
            text = str(entry).strip()
            if text.startswith("<") and text.endswith(">"):
                if text not in set(classes.phrases.values()):
                    raise self.fail(f"'{what}' names an unknown word group {text}", line=self.lines.get(what.split(".")[0]))
                found.add(text)
            else:
                found.update(classes.canonical(phrase(text)))
        return frozenset(found)

    def medicine(self, intents: dict[str, "IntentDef"], classes: "WordClasses") -> MedicineRules:
        section = self.section("medicine")
        doses = section.get("doses") or []
        advice = section.get("advice")
        if not isinstance(doses, list) or any(n not in intents for n in doses) or (advice and advice not in intents):
            raise self.fail("'medicine.doses' and 'medicine.advice' name intents of this pack",
                            line=self.lines.get("medicine"))
        words = self.tokens(section.get("words"), "medicine.words", classes)
        return MedicineRules(
            words=words,
            doses=frozenset(doses),
            advice=str(advice) if advice else None,
            advice_openers=self.phrase_set(section, "advice_openers", "medicine"),
            requests=self.tokens(section.get("requests"), "medicine.requests", classes),
            too_much=self.phrase_set(section, "too_much", "medicine"),
            taking=self.tokens(section.get("taking"), "medicine.taking", classes),
            having=self.tokens(section.get("having"), "medicine.having", classes),
            quantity=self.quantity_word(section.get("quantity"), classes, words),
        )

    def quantity_word(self, value: Any, classes: "WordClasses", words: frozenset[str]) -> str | None:
        """`medicine.quantity`: one word, which the matcher reads as a medicine (one of `medicine.words`, or in one
        of their word groups)."""
        if value is None:
            return None
        said = phrase(str(value))
        if len(said) != 1 or classes.canonical(said)[0] not in words:
            raise self.fail(f"'medicine.quantity' is one word of 'medicine.words' or their groups, not {value!r}",
                            line=self.lines.get("medicine"))
        return said[0]

    def declines(self, classes: "WordClasses", not_words: frozenset[str] = frozenset()) -> Declines:
        """`declines:` (negations, between, things); a word group (<symptom>) in `things` stands for its phrases,
        and the pack's alarm words (red flags included) are things too; not a `distress` phrase that holds a
        negation, a `not_words` word or an `after` word ("don't want to live", « plus envie de vivre »): it says the
        not-wanting itself, and « je n'ai plus envie de vivre » declines nothing."""
        section = self.section("declines")
        negative = PhraseSet(self.phrase_list(section.get("negations"), "declines.negations")
                             + self.phrase_list(section.get("after"), "declines.after"))
        distress = {p for p in self.distress()
                    if set(p) & not_words or any(negative.match(p, i) for i in range(len(p)))}
        things: list[Phrase] = [p for p in self.alarm_words() if p not in distress]
        for entry in section.get("things") or []:
            text = str(entry).strip()
            if text.startswith("<") and text.endswith(">"):
                if text not in set(classes.phrases.values()):
                    raise self.fail(f"'declines.things' names an unknown word group {text}",
                                    line=self.lines.get("declines"))
                things += [p for p, group in classes.phrases.items() if group == text]
            else:
                things += self.phrase_list(text, "declines.things")
        between = frozenset(w for p in self.phrase_list(section.get("between"), "declines.between") for w in p)
        return Declines(negations=self.phrase_set(section, "negations", "declines"), between=between,
                        things=PhraseSet(things), after=self.phrase_set(section, "after", "declines"),
                        direct=self.phrase_set(section, "direct", "declines"))

    def never_guessed(self, classes: "WordClasses") -> frozenset[str]:
        """`never_guessed`: words, and the words of word groups, that spelling correction never produces."""
        tokens = self.tokens(self.data.get("never_guessed"), "never_guessed", classes)
        return frozenset({t for t in tokens if not t.startswith("<")}
                         | {w for p, group in classes.phrases.items() if group in tokens for w in p})

    # --- numbers, units, time -------------------------------------------------------------------------

    def numbers_and_time(self, lang: str, settings: dict) -> tuple[NumberLexicon, TimeLexicon]:
        data, lines = self.data, self.lines
        numbers = data.get("numbers") or {}
        units_section = data.get("units") or {}
        if not isinstance(numbers, dict) or not isinstance(units_section, dict):
            raise self.fail("'numbers' and 'units' must be mappings")
        units = {self.unit(k, "units"): PhraseSet(self.phrase_list(v, "units"))
                 for k, v in plain(units_section).items()}
        time_section = data.get("time") or {}
        time_lex = TimeLexicon(**{
            name: self.phrase_set(time_section, name, "time")
            for name in TimeLexicon.__dataclass_fields__
        })
        unknown_time = set(plain(time_section)) - set(TimeLexicon.__dataclass_fields__)
        if unknown_time:
            raise self.fail(f"unknown key(s) in 'time': {', '.join(sorted(unknown_time))}", line=lines.get("time"))
        neighbours: list[Phrase] = []
        for ps_list in plain(units_section).values():
            neighbours.extend(self.phrase_list(ps_list, "units"))
        neighbours += self.phrase_list(time_section.get("hour_words"), "time.hour_words")
        neighbours += (self.phrase_list(time_section.get("am"), "time.am")
                       + self.phrase_list(time_section.get("pm"), "time.pm"))
        small = {fold_accents(str(k)).lower(): int(v) for k, v in plain(numbers.get("small") or {}).items()}
        number_words = frozenset(w for p in self.phrase_list(numbers.get("words"), "numbers.words") for w in p)
        homophones = {fold_accents(str(k)).lower(): str(v)
                      for k, v in plain(numbers.get("homophones") or {}).items()}
        pair_unit = numbers.get("pair_shorthand_unit")
        number_lex = NumberLexicon(
            lang=lang,
            small=small,
            decimal_words=frozenset(w for p in self.phrase_list(numbers.get("decimal_words"), "numbers") for w in p),
            zero_words=frozenset(w for p in self.phrase_list(numbers.get("zero_words"), "numbers") for w in p),
            hundreds_shorthand=bool(numbers.get("hundreds_shorthand", False)),
            pair_shorthand_unit=self.unit(pair_unit, "numbers.pair_shorthand_unit") if pair_unit else None,
            fraction_after_unit=frozenset(self.unit(u, "numbers.fraction_after_unit")
                                          for u in numbers.get("fraction_after_unit") or []),
            units=units,
            number_neighbours=PhraseSet(neighbours),
            default_unit=self.unit(settings.get("default_glucose_unit", "mg/dL"), "settings.default_glucose_unit"),
            words=number_words,
            homophones=homophones,
            joiners=frozenset(w for p in self.phrase_list(numbers.get("joiners"), "numbers.joiners") for w in p),
            written_joiners=frozenset(w for p in self.phrase_list(numbers.get("written_joiners"),
                                                                  "numbers.written_joiners") for w in p),
            time_or_count=PhraseSet(self._time_or_count(numbers, time_section)),
            dose_words=self.phrase_set(numbers, "dose_words", "numbers"),
            counted=self.phrase_set(numbers, "counted", "numbers"),
            halves=self.phrase_set(numbers, "halves", "numbers"),
        )
        return number_lex, time_lex

    def _time_or_count(self, numbers: dict, time_section: dict) -> list[Phrase]:
        """The words after a number that make it a time or a count: hour and minute words (`time:`, and the hours and
        minutes of `when:`), things counted and dose words (`numbers:`). Not the parts of the day: "100 in 60 this
        morning" is a value said with when."""
        when = self.data.get("when") or {}
        found: list[Phrase] = []
        for key in ("hour_words", "minute_words"):
            found += self.phrase_list(time_section.get(key), f"time.{key}")
        for key in ("hours", "minutes"):
            found += self.phrase_list(when.get(key) if isinstance(when, dict) else None, f"when.{key}")
        for key in ("counted", "dose_words"):
            found += self.phrase_list(numbers.get(key), f"numbers.{key}")
        return found

    def written(self) -> WrittenForms:
        section = self.section("written")
        written = {str(k).lower(): " ".join(words(str(v))) for k, v in plain(section.get("words") or {}).items()}
        digit_words: dict[str, tuple[str, PhraseSet]] = {}
        for word, body in plain(section.get("digit_words") or {}).items():
            if not isinstance(body, dict) or not str(body.get("digit", "")).isdigit():
                raise self.fail(f"'written.digit_words.{word}' needs a 'digit' and its 'after' phrases",
                                line=self.lines.get("written"))
            digit_words[str(word).lower()] = (str(body["digit"]),
                                              PhraseSet(self.phrase_list(body.get("after"), f"written.{word}")))
        units: dict[Phrase, Phrase] = {}
        own = plain(self.data.get("units") or {})
        for unit, phrases in plain(section.get("units") or {}).items():
            name = self.unit(unit, "written.units")
            said = self.phrase_list(own.get(name.value), "units")
            if not said:
                raise self.fail(f"'written.units.{unit}': the pack says no '{unit}' under 'units'",
                                line=self.lines.get("written"))
            units.update({p: said[0] for p in self.phrase_list(phrases, f"written.units.{unit}")})
        return WrittenForms(written, digit_words, units,
                            PhraseSet(self.phrase_list(section.get("fillers"), "written.fillers")))

    # --- slot lists -----------------------------------------------------------------------------------

    def lists(self) -> tuple[dict[str, dict[str, list[Phrase]]], set[str]]:
        lists_raw = self.data.get("lists") or {}
        if not isinstance(lists_raw, dict):
            raise self.fail("'lists' must be a mapping", line=self.lines.get("lists"))
        lists: dict[str, dict[str, list[Phrase]]] = {}
        fuzzy_lists = set()
        for list_name, values in lists_raw.items():
            if list_name == "__lines__":
                continue
            line = lists_raw["__lines__"].get(list_name)
            if not isinstance(values, dict):
                raise self.fail(f"list '{list_name}' must map each value to its phrases", line=line)
            if values.get("fuzzy"):
                fuzzy_lists.add(list_name)
            lists[list_name] = {str(v): self.phrase_list(ps, f"lists.{list_name}.{v}")
                                for v, ps in values.items() if v not in ("__lines__", "fuzzy")}
            if list_name in BUILTIN_SLOTS:
                raise self.fail(f"list '{list_name}' has the name of a built-in slot", line=line)
        return lists, fuzzy_lists

    # --- expansion rules ------------------------------------------------------------------------------

    def expansion_rules(self, norm: Callable[[str], list[str]], known_slots: set[str],
                        ) -> tuple[dict[str, templates.Node], WordClasses]:
        rules_raw = self.data.get("expansion_rules") or {}
        if not isinstance(rules_raw, dict):
            raise self.fail("'expansion_rules' must be a mapping", line=self.lines.get("expansion_rules"))
        rules: dict[str, templates.Node] = {}
        for name, text in rules_raw.items():
            if name == "__lines__":
                continue
            line = rules_raw["__lines__"].get(name)
            try:
                rules[name] = templates.parse(str(text), norm)
            except templates.TemplateError as exc:
                raise self.fail(f"rule <{name}>: {exc}", line=line) from None
        for name, node in rules.items():
            slot_refs, rule_refs = templates.references(node)
            if missing := rule_refs - set(rules):
                raise self.fail(f"rule <{name}> refers to unknown rule(s) "
                                f"{', '.join('<%s>' % r for r in sorted(missing))}",
                                line=rules_raw["__lines__"].get(name))
            if missing := slot_refs - known_slots:
                raise self.fail(f"rule <{name}> refers to unknown slot list(s) {', '.join(sorted(missing))}",
                                line=rules_raw["__lines__"].get(name))
        # A rule that is only a set of synonyms becomes one word class: « note », « enregistre », « inscris »
        # all read as <noter> in templates and in what the patient says. This keeps templates from multiplying
        # into millions of sentences and lets a synonym added once work in every sentence.
        word_classes: dict[Phrase, str] = {}
        for name, node in list(rules.items()):
            phrases = templates.flat_phrases(node)
            if phrases is None:
                continue
            for p in phrases:
                if p in word_classes and word_classes[p] != f"<{name}>":
                    raise self.fail(f"'{' '.join(p)}' is in two word groups, {word_classes[p]} and <{name}>: "
                                    "keep it in one", line=rules_raw["__lines__"].get(name))
                word_classes[p] = f"<{name}>"
            rules[name] = templates.Words((f"<{name}>",))
        return rules, WordClasses(word_classes)

    # --- intents --------------------------------------------------------------------------------------

    def intents(self, norm: Callable[[str], list[str]], rules: dict[str, templates.Node], known_slots: set[str],
                classes: WordClasses, ignore: frozenset[str],
                unfill: Callable[[Sequence[str]], list[str]] = list) -> dict[str, IntentDef]:
        """`unfill` drops fillers as the matcher drops them from what is said: a template is written as people
        say it ("I feel very well now") and the matcher still sees what it will be given ("i feel very now"); the
        speech recogniser's language model, drawn from the templates as written, learns the whole sentence."""
        def reduce(tokens: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(t for t in classes.canonical(unfill(tokens)) if t not in ignore)

        intents_raw = self.data["intents"]
        if not isinstance(intents_raw, dict):
            raise self.fail("'intents' must be a mapping of intent names", line=self.lines.get("intents"))
        intents: dict[str, IntentDef] = {}
        for name, body in intents_raw.items():
            if name == "__lines__":
                continue
            line = intents_raw["__lines__"].get(name)
            sentences = body.get("sentences") if isinstance(body, dict) else None
            if not isinstance(sentences, list) or not sentences:
                raise self.fail("needs a non-empty 'sentences' list", intent=name, line=line)
            intents[name] = self._intent(name, line, sentences, norm, rules, known_slots, reduce)
        return intents

    def _intent(self, name: str, line: int | None, sentences: list, norm: Callable[[str], list[str]],
                rules: dict[str, templates.Node], known_slots: set[str],
                reduce: Callable[[tuple[str, ...]], tuple[str, ...]]) -> IntentDef:
        intent = IntentDef(name=name, line=line, slots=frozenset())
        slots: set[str] = set()
        seen: set[tuple[str, ...]] = set()
        for sentence in sentences:
            s_line = getattr(sentence, "line", line)
            if not isinstance(sentence, str):
                raise self.fail(f"sentence must be text, not {type(sentence).__name__}", intent=name, line=s_line)
            try:
                node = templates.parse(sentence, norm)
                slot_refs, rule_refs = templates.references(node)
                if missing := rule_refs - set(rules):
                    raise templates.TemplateError(
                        f"unknown rule(s) {', '.join('<%s>' % r for r in sorted(missing))}")
                if missing := slot_refs - known_slots:
                    raise templates.TemplateError(
                        f"unknown slot list(s) {', '.join('{%s}' % s for s in sorted(missing))}; "
                        f"known: {', '.join(sorted(known_slots))}")
                expansions = templates.expand(node, rules, reduce)
            except templates.TemplateError as exc:
                raise self.fail(str(exc), intent=name, line=s_line) from None
            slots |= _slots_in(expansions)
            for kept in expansions:
                if kept and kept not in seen:
                    seen.add(kept)
                    intent.templates.append(Template(text=str(sentence), line=s_line, tokens=kept))
        intent.slots = frozenset(slots)
        return intent

    def when_and_exact(self, norm: Callable[[str], list[str]], intents: dict[str, IntentDef],
                       lists: dict[str, dict[str, list[Phrase]]]
                       ) -> tuple[WhenLexicon | None, dict[tuple[str, ...], str]]:
        """The `when:` section (nlu/when.py) and the `exact:` whole answers (« c'est ça » -> affirm)."""
        def spoken_phrases(value: Any, what: str) -> list[Phrase]:
            """Phrases read like speech (numbers as digits: « une demi-heure »), for grammars that match them."""
            return [p for p in (tuple(norm(" ".join(p))) for p in self.phrase_list(value, what)) if p]

        when = _when_lexicon(self.data.get("when"), spoken_phrases, self.fail)
        contexts = set(lists.get("context", {}))
        for value in (when.ago_contexts if when else {}):
            if value not in contexts:
                raise self.fail(f"'when.ago_contexts': '{value}' is no value of the 'context' list",
                                line=self.lines.get("when"))
        exact: dict[tuple[str, ...], str] = {}
        exact_raw = self.data.get("exact") or {}
        if not isinstance(exact_raw, dict):
            raise self.fail("'exact' must map intent names to whole answers", line=self.lines.get("exact"))
        for name, phrases in plain(exact_raw).items():
            if name not in intents:
                raise self.fail(f"'exact' names an unknown intent '{name}'", line=self.lines.get("exact"))
            for p in self.phrase_list(phrases, f"exact.{name}"):
                exact[tuple(norm(" ".join(p)))] = name
        return when, exact


def _when_lexicon(raw: Any, phrase_list, fail) -> WhenLexicon | None:
    """The pack's `when:` section (see nlu/when.py), or None when the pack has none."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise fail("'when' must be a mapping")
    raw = plain(raw)

    def words(key: str) -> PhraseSet:
        return PhraseSet(phrase_list(raw.get(key), f"when.{key}"))

    def keyed(key: str) -> dict:
        section = raw.get(key) or {}
        if not isinstance(section, dict):
            raise fail(f"'when.{key}' must map each value to its phrases")
        return section

    days = {}
    for k, v in keyed("days").items():
        if not str(k).isdigit():
            raise fail(f"'when.days' keys are numbers of days back, not '{k}'")
        days[int(k)] = PhraseSet(phrase_list(v, "when.days"))
    parts = {}
    for k, v in keyed("parts").items():
        if k not in PARTS:
            raise fail(f"'when.parts' keys are {', '.join(PARTS)}, not '{k}'")
        parts[k] = PhraseSet(phrase_list(v, "when.parts"))
    moments = {}
    for k, v in keyed("moments").items():
        number, _, part = str(k).partition(" ")
        if not number.isdigit() or part not in PARTS:
            raise fail(f"'when.moments' keys are 'DAYS PART' like '1 evening', not '{k}'")
        moments[(int(number), part)] = PhraseSet(phrase_list(v, "when.moments"))
    ago_contexts = {str(k): PhraseSet(phrase_list(v, "when.ago_contexts")) for k, v in keyed("ago_contexts").items()}
    if (loose := set(words("from_now")) - set(words("delay_before"))):
        # (a delay is only found after a `delay_before` preposition: one missing there would never count from now)
        raise fail(f"'when.from_now' phrases must be 'when.delay_before' phrases too: {sorted(' '.join(p) for p in loose)}")
    return WhenLexicon(days=days, parts=parts, moments=moments, ago_before=words("ago_before"),
                       ago_after=words("ago_after"), hours=words("hours"), minutes=words("minutes"),
                       half_hour=words("half_hour"), now=words("now"), one=words("one"), ago_contexts=ago_contexts,
                       quarter_hour=words("quarter_hour"), delay_before=words("delay_before"),
                       rechecks=words("rechecks"), from_now=words("from_now"),
                       plan_words=frozenset(w for p in phrase_list(raw.get("plan_words"), "when.plan_words") for w in p))


def _slots_in(expansions: set[tuple[str, ...]]) -> set[str]:
    return {t[1:-1] for tokens in expansions for t in tokens if t.startswith("{")}
