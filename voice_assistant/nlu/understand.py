"""Understanding: one utterance in, one intent with normalised slots and a confidence out.

The same object serves the live assistant, `chat`, `understand` and `eval`: there is no other path.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial
from collections.abc import Sequence
from typing import Any

from rapidfuzz import fuzz, process

from voice_assistant.health.glucose import GlucoseValue, is_physical
from voice_assistant.language.dictionary import dictionary_file, is_word
from voice_assistant.nlu.matcher import CORRECT_MIN_CHARS, WORD_SIMILARITY, IntentMatcher, IntentScore
from voice_assistant.nlu.packs import SLOT_OUTPUT_NAMES, Pack, load_pack
from voice_assistant.nlu.spans import PhraseSet, is_number
from voice_assistant.nlu.when import Moment, delay_from_now, find_when, only_a_recheck
from voice_assistant.nlu.slots import FEWER_TIMES, MORE_TIMES, WORDS_ONLY, Extraction, SlotExtractor
from voice_assistant.profile import Profile, default_profile

NONE = "none"
GLUCOSE = "glucose_mg_dl"
WHEN = "when"  #: entity: a Moment (« hier soir »)
UNIT = "unit"  #: entity: a GlucoseUnit named without a number ("in mmol")
#: slot and entity: minutes from now, a delay said with a `when.from_now` preposition ("remind me to take my metformin
#: *in 30 minutes*": 30); a slot only of DELAY_INTENTS said with no clock time
DELAY = "delay_minutes"
DELAY_INTENTS = ("set_medication_reminder",)
#: entity: "am" or "pm", a part of the day said without an hour ("remind me about my lipitor *at night*"): the hour
#: answered next ("at ten") is in it
DAY_PART = "day_part"
#: entity: a quantity of medicine said ("12 units", « deux comprimés »), its words: the contract has no slot for it,
#: so a dose read back says that the amount is not noted
QUANTITY = "quantity"
#: entity: the care team named ("call my *doctor*", « appelle *l'infirmière* »), its words: the caregiver route then
#: names the doctor before the family
CARE_TEAM = "care_team"
#: entity: a red flag of the pack named in a call for help, and not declined ("I had *chest pain* last night", « j'ai
#: *perdu connaissance* »), its words: the emergency path then says to call the emergency number first, no low's sugar
RED_FLAG = "red_flag"
#: entity: a `distress` phrase of the pack said, and not declined ("I want to die", « je veux en finir »), its words:
#: the emergency path then acknowledges and gives a crisis line and the emergency number, no low's sugar
DISTRESS = "distress"
#: `matched` of an utterance made only of politeness and hesitation (« bonjour », "thank you", « euh »), or of
#: one of the pack's `small_talk` sentences ("how are you", « je vais bien »); the intent is then "none".
SMALL_TALK = "small_talk"
#: entity of a small-talk utterance that tells a plan to check the sugar again ("ok, I'll check again in 15 minutes",
#: « je recontrôle dans un quart d'heure »): the dialogue acknowledges it rather than offering help
RECHECK_PLAN = "recheck_plan"
#: `matched` of a question about what a value means ("is 180 too high?", « est-ce que 1,80 c'est trop haut ? »):
#: no request the pack serves, and no miss either (dialogue: who can say, and how to note a reading)
VALUE_QUESTION = "value_question"
#: `matched` of a request for a reminder of something that is no medicine ("remind me to call my daughter", « rappelle-moi
#: d'acheter du pain »): the intent is "none"; the dialogue says what it can remind of
OTHER_REMINDER = "other_reminder"
#: the slots that say a part of the day without an hour ("tonight", "at bedtime"): when a reminder rings, for the
#: pack's `part_of_day_intents`
PART_OF_DAY_SLOTS = ("period", "context")
#: what a meal context or a moment tells of the half of the day, for the hour answered next ("at ten" after "at
#: bedtime" is 22:00)
CONTEXT_DAY_PARTS = {"fasting": "am", "bedtime": "pm"}
#: how close to the best intent one of `part_of_day_intents` must score before the sentence is read again without its
#: parts of the day (a reminder said with "tonight" scores 0.03-0.05 under a check or a dose question)
PART_OF_DAY_REACH = 0.2
MOMENT_DAY_PARTS = {"morning": "am", "afternoon": "pm", "evening": "pm"}
EMERGENCY = "emergency"
TIE_BREAK = 0.001
#: How much better another reading of the numbers must make the sentence before it is preferred.
READING_MARGIN = 0.05
#: ... and how far above the pack's threshold it must be: a half-matching sentence made of a number read another
#: way ("dinner is at 6" as a reading of 6, "is 7 high" as a time) is no request.
OTHER_READING_BAR = 0.2
#: A sentence reads as a dose taken when a dose intent scores this close to the best intent (or better).
DOSE_MARGIN = 0.15


@dataclass(frozen=True)
class Entity:
    """A value found in the utterance, typed, with the words that carried it (hassil's MatchEntity)."""

    name: str  #: the slot's name in the contract: "glucose_mg_dl", "time", "when", "unit"...
    value: Any  #: the typed value: a GlucoseValue, a When, "08:30", a GlucoseUnit...
    text: str  #: the words said (after normalisation)


@dataclass(frozen=True)
class Understanding:
    """What the patient asked for."""

    intent: str  #: an intent name of the contract, or "none"
    slots: dict[str, Any]  #: normalised slot values; slots not said are absent
    confidence: float  #: 0..1; under the pack threshold the intent is "none"
    text: str = ""  #: the utterance as heard
    entities: tuple[Entity, ...] = ()  #: the typed values found, with their words (a glucose value, a moment)
    alternatives: tuple[tuple[str, float], ...] = ()  #: next-best intents, for the dialogue's clarifications
    matched: str = NONE  #: the intent whose sentences came closest, even under the threshold ("none" when
    #: the pack's out-of-scope sentences did: the dialogue then says what it cannot do)

    def to_json(self) -> dict:
        return {"intent": self.intent, "slots": dict(self.slots), "confidence": round(self.confidence, 3)}

    def entity(self, name: str) -> Any:
        """The typed value of an entity, or None."""
        return next((e.value for e in self.entities if e.name == name), None)

    @property
    def glucose(self) -> GlucoseValue | None:
        """The glucose value said, with its unit and words (also one outside what a body can have, which the
        dialogue refuses: it is then absent from `slots`)."""
        return self.entity(GLUCOSE)

    @property
    def when(self) -> Moment | None:
        """When it happened, as said (« hier soir », "two hours ago"), or None."""
        return self.entity(WHEN)


class Understander:
    """Understands one language for one patient (the medication names come from the profile)."""

    def __init__(self, lang: str, profile: Profile | None = None, pack: Pack | None = None):
        profile = profile or default_profile()
        self.lang = lang
        self.pack = pack or load_pack(lang)
        words = partial(is_word, lang) if dictionary_file(lang) is not None else None
        self.extractor = SlotExtractor(self.pack, profile.medications, profile.meter_unit, words)
        self.matcher = IntentMatcher(self.pack)
        self._alarms = [self.extractor.phrase_tokens(" ".join(p)) for p in self.pack.alarm_words]
        self._red_flags = [self.extractor.phrase_tokens(" ".join(p)) for p in self.pack.red_flags]
        self._distress = [self.extractor.phrase_tokens(" ".join(p)) for p in self.pack.distress]
        self._declined_things = PhraseSet(self.extractor.phrase_tokens(" ".join(p)) for p in self.pack.declines.things)
        # the words each dose intent's sentences hold: a sentence naming a thing none of them holds, and no
        # medicine, took something else ("I had a coffee")
        self._dose_words = {name: {t for tpl in self.pack.intents[name].templates for t in tpl.tokens}
                            for name in self.pack.medicine.doses}
        # the words every intent's sentences hold; and those a request for later may say of a medicine reminder
        self._intent_words = {name: frozenset(t for tpl in intent.templates for t in tpl.tokens)
                              for name, intent in self.pack.intents.items()}
        lex = self.pack.time
        when_phrases = [p for ps in (lex.am, lex.pm, lex.noon, lex.midnight, self.pack.later_when) for p in ps]
        if self.pack.when is not None:  # "this afternoon", "in ten minutes"
            w = self.pack.when
            when_phrases += [p for ps in (*w.parts.values(), w.hours, w.minutes, w.half_hour) for p in ps]
        self._reminder_words = frozenset().union(
            *(self._intent_words[name] for name in self.pack.reminders_for),
            *(self.matcher.words(p) for p in when_phrases))

    def understand(self, text: str) -> Understanding:
        extraction = self.extractor.extract(text or "")
        # (on the whole sentence as said: a declined stretch or a greeting left out below leaves it whole)
        distress = self._distress_said(extraction)
        read: list[Extraction] = []  # the reading of the numbers kept: its times, not the default's, say when
        declined = self.declined(extraction.words)
        if declined:
            # "I don't need an ambulance", « pas la peine d'appeler les pompiers », "I'm not dizzy": what is
            # declined asks for nothing (no call, no reminder cancelled); the rest is understood on its own ("no I
            # don't need an ambulance, my sugar is 120" is a reading; "... but I feel dizzy" still the emergency)
            rest = " ".join(w for k, w in enumerate(extraction.words) if k not in declined)
            extraction = self.extractor.extract(rest)
            if not self._more_than(extraction, ""):
                return Understanding(NONE, {}, 1.0, text, matched=SMALL_TALK)
            result = replace(self._understand(rest, extraction, read), text=text)
        elif (greeting := self._greeting_first(extraction)):
            # "hi, my sugar is 7", "hi there, how are you": the greeting says nothing of the request
            rest = " ".join(extraction.words[greeting:])
            extraction = self.extractor.extract(rest)
            result = replace(self._understand(rest, extraction, read), text=text)
        else:
            result = self._understand(text, extraction, read)
        extra = self._moment_and_unit(extraction, self._times_said(extraction, read[-1] if read else extraction,
                                                                   result))
        if distress and result.intent != EMERGENCY and EMERGENCY in self.pack.intents:
            # "I want to die" ("i want to" is a filler of what is written: "die" is left), "I don't want to live any
            # more" (it reads like a cancel): a call for help, whatever else the words look like
            runner_up = ((result.matched, round(result.confidence, 3)),) + result.alternatives[:1]
            result = Understanding(EMERGENCY, {}, max(result.confidence, self.pack.threshold), text, (), runner_up,
                                   EMERGENCY)
            extra = ()
        if result.intent == EMERGENCY:
            extra += self._red_flag(extraction.words) + distress
        kept = read[-1] if read else extraction
        if (found := delay_from_now(kept.words, self.pack.when, kept.durations)) is not None:
            delay, span = found
            # "remind me to take my metformin in 30 minutes": a delay from now, never a clock time here (only the
            # dialogue knows the clock); an entity for any answer ("in an hour", to « at what time? »), a slot of a
            # reminder asked with no time
            extra += (Entity(DELAY, delay, " ".join(kept.words[span.start:span.end])),)
            if result.intent in DELAY_INTENTS and "time" not in result.slots:
                result = replace(result, slots={**result.slots, DELAY: delay})
        return replace(result, entities=result.entities + extra) if extra else result

    @staticmethod
    def _times_said(extraction: Extraction, kept: Extraction, result: Understanding) -> list:
        """The clock times of the sentence, less the number that the reading kept took as the value ("I had 7
        this morning": 7 is the reading, taken this morning, not at 7)."""
        times = extraction.all("time")
        value = result.glucose
        if value is None or kept is extraction or kept.words != extraction.words:
            return times
        used = [g for g in kept.all("glucose") if g.value == value]
        return [t for t in times if not any(g.start < t.end and t.start < g.end for g in used)]

    def _moment_and_unit(self, extraction: Extraction, times: list) -> tuple[Entity, ...]:
        """When it happened (« hier soir »), and a unit named on its own ("my average in mmol")."""
        found: list[Entity] = []
        if self.pack.when is not None:
            said = find_when(extraction.words, self.pack.when, times)
            if said is not None:
                found.append(Entity(WHEN, said[0], said[1]))
        words = extraction.words
        for i in range(len(words)):
            for unit, phrases in self.pack.numbers.units.items():
                n = phrases.match(words, i)
                if n and not (i > 0 and is_number(words[i - 1])) and not any(
                        s.slot == "glucose" and s.start <= i < s.end for s in extraction.spans):
                    return (*found, Entity(UNIT, unit, " ".join(words[i:i + n])))
        return tuple(found)

    def _understand(self, text: str, extraction: Extraction, read: list[Extraction] | None = None) -> Understanding:
        """`read`, when given, receives the reading of the numbers kept."""
        if not extraction.tokens:
            return Understanding(NONE, {}, 1.0, text, matched=SMALL_TALK if (text or "").strip() else NONE)
        exact = self.pack.exact.get(tuple(extraction.words))
        if exact is not None:  # « c'est ça », "that's it": only small words, said as a whole answer
            return Understanding(NONE if exact == SMALL_TALK else exact, {}, 1.0, text, matched=exact)
        if only_a_recheck(extraction.tokens, self.pack.when, self.pack.ignore,
                          any(d.info.get("recheck") for d in extraction.durations)):
            # "ok, I'll check again in 15 minutes", « je recontrôle dans un quart d'heure », said after a low's advice:
            # a plan told, no reading to ask for and nothing to repeat
            said = " ".join(extraction.words)
            return Understanding(NONE, {}, 1.0, text, (Entity(RECHECK_PLAN, said, said),), matched=SMALL_TALK)
        scores = self._score(extraction)
        # A dose naming no medicine at a bare hour ("I had 7 this morning", « j'avais 7 ce matin »): the number is
        # as much a reading; read as one if it makes a good sentence (« j'ai pris mon insuline à 7 heures », "I
        # took it at 7" stay doses)
        value_first = self._time_may_be_a_value(extraction, scores)
        # The same numbers read as more or fewer times: kept only if it makes a clearly better sentence
        # for an intent that takes the slot it created ("lantus nine thirty" -> time; "one thirty three
        # this morning" after "my sugar was" -> glucose).
        for reading, slot in ((MORE_TIMES, "time"), (FEWER_TIMES, "glucose"), (WORDS_ONLY, None)):
            if reading == FEWER_TIMES and self._only_an_hour(extraction):
                continue  # "at ten", « vers huit »: an hour said alone, never a glucose value to read back
            other = self.extractor.extract(text or "", reading)
            if other.tokens == extraction.tokens:
                continue
            other_scores = self._score(other)
            margin = -1.0 if value_first and reading == FEWER_TIMES else READING_MARGIN
            if other_scores[0].score > scores[0].score + margin and (
                    other_scores[0].score >= self.pack.threshold + OTHER_READING_BAR) and (
                    slot is None or slot in self.pack.intents[other_scores[0].intent].slots):
                extraction, scores = other, other_scores
                if margin < 0:  # the value it is: no later reading makes it a dose time again
                    break
        if read is not None:
            read.append(extraction)
        # "i had a chest pain" is no hypo told: an intent is chosen only when one of the words it needs is said. It
        # still counts as the sentence's closest other reading: the confidence says how close that came (left out of
        # the ranking instead, "shares fell slightly this afternoon" rose from 0.34 to 0.52, a television wake acted on)
        chosen = next((s for s in scores if s.intent not in self.pack.needs
                       or self._says_one_of(extraction, self.pack.needs[s.intent])), None)
        best = chosen or IntentScore(NONE, 0.0, "")
        others = [s for s in scores if s is not chosen]
        second = others[0].score if others else 0.0
        confidence = calibrate(best.score, second)
        alternatives = tuple((s.intent, round(s.score, 3)) for s in others[:2])
        if chosen is not None and chosen is not scores[0]:
            scores = [chosen, *others]
        advice = self.pack.medicine.advice
        if advice and not (best.intent == EMERGENCY and best.score >= self.pack.threshold) and \
                self.asks_advice_about_medicine(extraction) and not self._calls_for_help(extraction.words):
            # "can I take my pills now", « est-ce que je peux sauter mon insuline »: no dose taken, no reminder,
            # whatever else its words look like: the assistant gives no dosing advice and says who does
            # (the rule, not the margin, decides: the confidence says how close it is to the pack's dosing sentences)
            own = next((s.score for s in scores if s.intent == advice), 0.0)
            slots, entities = self._slots_for(advice, extraction)
            runner_up = tuple((s.intent, round(s.score, 3)) for s in scores if s.intent != advice)[:2]
            return Understanding(advice, slots, round(max(self.pack.threshold, own), 3), text, entities, runner_up,
                                 advice)
        sure_emergency = best.intent == EMERGENCY and best.score >= self.pack.threshold
        if not sure_emergency and EMERGENCY in self.pack.intents and self.took_too_much(extraction):
            # "I took too much insulin", « j'ai pris deux fois mes cachets »: too much of a medicine (insulin: a
            # severe low to come) is no dose to log but the emergency path (confirmed before anyone is alerted)
            runner_up = ((best.intent, round(best.score, 3)),) + alternatives[:1]
            return Understanding(EMERGENCY, {}, max(confidence, self.pack.threshold), text, (), runner_up, EMERGENCY)
        if best.intent != EMERGENCY and self.took_something_else(extraction):
            # "I took a shower", « j'ai pris mon café », "I had my breakfast": a dose sentence whose object is no
            # medicine tells of something the assistant does not keep; no request (never a dose)
            return Understanding(NONE, {}, confidence, text, (), alternatives, SMALL_TALK)
        if self.reminds_of_something_else(extraction, best):
            # "remind me to call my daughter", « rappelle-moi d'acheter du pain »: a reminder the assistant cannot set
            # (never a reminder without its medicine, the list of reminders, a reading or a call)
            return Understanding(NONE, {}, confidence, text, (), alternatives, OTHER_REMINDER)
        if best.intent == NONE and not self._calls_for_help(extraction.words):
            # the pack's own out-of-scope sentences: confidently out of scope; not with an alarm word said ("my
            # husband passed out" has the shape of "my husband called"): that is the emergency path, below
            return Understanding(NONE, {}, confidence, text, (), alternatives, NONE)
        if best.intent in self.pack.medicine.doses and not self._tells_of_taking(extraction):
            # "the morning", « le soir », "morning dear": a word of a dose sentence, no dose told (no medicine, no
            # word of taking or having): under the threshold, whatever the score
            return Understanding(NONE, {}, round(1.0 - confidence, 3), text, (), alternatives, best.intent)
        if not sure_emergency and EMERGENCY in self.pack.intents and self._calls_for_help(extraction.words):
            # A recogniser that mangles "call an ambulance" into "tell an ambulance" must not turn a call for
            # help into a request for instructions: the emergency path is offered (a spoken one is confirmed
            # before anyone is alerted, see dialogue/emergency.py); nor a long sentence that matches nothing well
            # ("can I call an ambulance, I took too much insulin") into nothing at all.
            runner_up = ((best.intent, round(best.score, 3)),) + alternatives[:1]
            return Understanding(EMERGENCY, {}, max(confidence, self.pack.threshold), text, (), runner_up, EMERGENCY)
        supposed = self.supposes_a_value(extraction)
        # "was 180 okay", "is 95 normal": a being-verb, a number, a judgement ask what a value means whatever sentence
        # of the pack comes closest ("was I okay" of the history); a looser question only when nothing else is asked
        if supposed or (not sure_emergency and self.asks_about_a_value(extraction, as_glucose=True)) or (
                (best.score < self.pack.threshold or best.intent == SMALL_TALK)
                and self.asks_what_a_value_means(extraction)):
            # the value asked about is kept as an entity (no slot: nothing is to be stored): the answer may depend on it
            _, entities = self._slots_for("log_glucose", extraction) if "log_glucose" in self.pack.intents else ({}, ())
            return Understanding(NONE, {}, round(1.0 - confidence, 3), text, entities, alternatives, VALUE_QUESTION)
        if best.score < self.pack.threshold:
            return Understanding(NONE, {}, round(1.0 - confidence, 3), text, (), alternatives, best.intent)
        if best.intent == SMALL_TALK:  # the pack's politeness ("how are you", « je vais bien »): no request
            return Understanding(NONE, {}, confidence, text, (), alternatives, SMALL_TALK)
        slots, entities = self._slots_for(best.intent, extraction)
        if "meter_extreme" in slots and GLUCOSE not in slots and not self._more_than(extraction, "{meter_extreme}"):
            # "hi", "hi there", "low", "was it high": a greeting or a word, not a meter display. Kept as an
            # entity: the dialogue that asked for the reading may take it as the display.
            entity = Entity("meter_extreme", slots["meter_extreme"], "")
            return Understanding(NONE, {}, confidence, text, (entity,), alternatives, SMALL_TALK)
        if "time" not in slots:
            entities += self._day_part(extraction)
        entities += tuple(Entity(QUANTITY, " ".join(extraction.words[q.start:q.end]), "")
                          for q in extraction.quantities)
        entities += self._care_team(extraction.words)
        return Understanding(best.intent, slots, confidence, text, entities, alternatives, best.intent)

    def _care_team(self, words: Sequence[str]) -> tuple[Entity, ...]:
        """The first words naming the care team ("doctor", « infirmière »), as an entity (empty when none)."""
        for i in range(len(words)):
            n = self.pack.care_team.match(words, i)
            if n:
                said = " ".join(words[i:i + n])
                return (Entity(CARE_TEAM, said, said),)
        return ()

    def _day_part(self, extraction: Extraction) -> tuple[Entity, ...]:
        """"at night", "in the morning", « le soir » said with no hour: the day part entity (empty when none, or
        when both are said). Else a moment of the day ("this afternoon", « au dîner ») or a meal context that
        tells the half of the day ("at bedtime", « au coucher »: pm; "before breakfast": am)."""
        lex, words = self.pack.time, extraction.words
        found = {part for part, phrases in (("am", lex.am), ("pm", lex.pm))
                 for i in range(len(words)) if phrases.match(words, i)}
        if not found and self.pack.when is not None:
            moment = find_when(words, self.pack.when, [])
            part = MOMENT_DAY_PARTS.get(moment[0].part or "") if moment is not None else None
            found = {part} if part else set()
        if not found:
            found = {CONTEXT_DAY_PARTS[s.value] for s in extraction.all("context") if s.value in CONTEXT_DAY_PARTS}
        return (Entity(DAY_PART, found.pop(), ""),) if len(found) == 1 else ()

    def _time_may_be_a_value(self, extraction: Extraction, scores: list[IntentScore]) -> bool:
        """A dose intent first, no medicine named, no word of taking ("took", « pris », "done"), and every
        time said a bare number: no hour word, no worded minutes ("I had 7 this morning", « j'étais à 7 ce matin »;
        not « à 7 heures », "half past 7", "I took 2 this morning")."""
        times = extraction.all("time")
        if not times or not scores or scores[0].intent not in self.pack.medicine.doses:
            return False
        words = self.matcher.words(extraction.tokens)
        if self._medicine_named(extraction, words) or any(t.info.get("hour_word") or t.info.get("worded")
                                                           for t in times):
            return False
        return not any(w in self.pack.medicine.taking for w in words)

    def _greeting_first(self, extraction: Extraction) -> int:
        """How many words open the sentence as a greeting that is also a display word ("*hi*, my sugar is 7", "*hi
        there*, how are you"), with more said after it; 0 if none ("hi" alone, "hi reading": the display)."""
        words = extraction.words
        n = self.pack.greetings.match(words, 0)
        first = extraction.first("meter_extreme")
        if not n or n >= len(words) or (first is not None and first.start == 0 and first.end > n):
            return 0
        return n

    def _tells_of_taking(self, extraction: Extraction) -> bool:
        """A medicine named, or a word of taking or having ("took", "done", "had", « pris », « c'est fait »)."""
        words = self.matcher.words(extraction.tokens)
        rules = self.pack.medicine
        return self._medicine_named(extraction, words) or any(w in rules.taking or w in rules.having for w in words)

    def _more_than(self, extraction: Extraction, token: str) -> bool:
        """Whether the utterance says anything besides `token` and small words."""
        return any(t != token and t not in self.pack.ignore
                   for t in self.pack.classes.canonical(extraction.tokens))

    def declined(self, words: tuple[str, ...]) -> set[int]:
        """The positions of the stretches that decline something: a negation of the pack's `declines`, only
        `between` words (or more negations) after it, then an alarm word or one of the `things`, then any `after`
        words ("I don't *need* an ambulance", "I'm not dizzy anymore", « je n'ai pas *besoin* d'aide »); or a `direct`
        negation and a thing right after it ("no paramedics", "never mind the ambulance"). "No, call an ambulance",
        "I can't breathe, ambulance", « je sais pas, appelle le samu » decline nothing: "no" is only direct, "can't"
        and « appelle » are neither negations nor between words."""
        rules = self.pack.declines
        found: set[int] = set()
        for i in range(len(words)):
            d = rules.direct.match(words, i)
            if d and self._declined_things.match(words, i + d):
                found.update(range(i, i + d + self._declined_things.match(words, i + d)))
                continue
            n = rules.negations.match(words, i)
            if not n:
                continue
            k = i + n
            while k < len(words):
                thing = self._declined_things.match(words, k)
                if thing:
                    end = k + thing
                    while end < len(words) and (rules.after.match(words, end) or rules.negations.match(words, end)):
                        end += rules.after.match(words, end) or rules.negations.match(words, end)
                    found.update(range(i, end))
                    break
                if words[k] in rules.between:
                    k += 1
                elif rules.negations.match(words, k):  # « je n'ai *pas* besoin d'aide »
                    k += rules.negations.match(words, k)
                else:
                    break
        return found

    def _calls_for_help(self, words: tuple[str, ...]) -> bool:
        """An alarm word of the pack that is not declined ("I don't need an ambulance"; but "I don't know what to
        do, call an ambulance", « je sais pas, appelle le samu » call)."""
        return self._said_not_declined(words, self._alarms) is not None

    def _red_flag(self, words: tuple[str, ...]) -> tuple[Entity, ...]:
        """The first red flag of the pack said and not declined ("I had chest pain last night"; not "no chest
        pain"), as an entity (empty when none)."""
        said = self._said_not_declined(words, self._red_flags)
        return (Entity(RED_FLAG, said, said),) if said is not None else ()

    def _distress_said(self, extraction: Extraction) -> tuple[Entity, ...]:
        """The first `distress` phrase of the pack said and not declined, as an entity (empty when none): looked for
        in the words as said, fillers kept ("i want to die": "i want to" is a filler of what is written), then without
        them ("kill, um, myself"). "I don't want to die", « je ne veux pas mourir »: declined, none."""
        said = self._said_not_declined(extraction.said, self._distress) if extraction.said else None
        if said is None:
            said = self._said_not_declined(extraction.words, self._distress)
        return (Entity(DISTRESS, said, said),) if said is not None else ()

    def _said_not_declined(self, words: tuple[str, ...], phrases: list[tuple[str, ...]]) -> str | None:
        """The words of the first of `phrases` said outside a declined stretch, or None."""
        declined = self.declined(words)
        for phrase in phrases:
            n = len(phrase)
            for i in range(len(words) - n + 1):
                if words[i:i + n] == phrase and i not in declined:
                    return " ".join(phrase)
        return None

    def _score(self, extraction: Extraction) -> list[IntentScore]:
        """Matcher scores, ties broken towards the intent that needs fewer slots the patient did not say. A
        question ("did I take my pills", "is 7 high", « est-ce que j'ai pris... ») records nothing: the pack's
        recording intents are left out for it; a request for later ("remind me to...") is no call now."""
        said = {s.slot for s in extraction.spans}
        asks = self.asks(extraction.words) or self.asks_about_a_value(extraction)
        left_out = set(self.pack.records) if asks else set()
        if self.pack.later_openers.match(extraction.words, 0) and not self._calls_for_help(extraction.words):
            # "remind me to call the doctor", « rappelle-moi d'appeler mon fils »: a request for later is no call
            # for help now, nor a call to make now
            left_out |= self.pack.not_later
        if self.pack.medicine.doses and self.names_something_else(extraction):
            left_out |= self.pack.medicine.doses
        scores = [IntentScore(s.intent, s.score - TIE_BREAK * len(self.pack.intents[s.intent].slots - said), s.template)
                  for s in self._part_of_day_read(extraction) if s.intent not in left_out]
        return sorted(scores, key=lambda s: s.score, reverse=True) or [IntentScore(NONE, 0.0, "")]

    def _says_one_of(self, extraction: Extraction, phrases: PhraseSet) -> bool:
        """Whether one of `phrases` is said, a long word also when misspelt the way the matcher forgives ("hypoo")."""
        words = extraction.words
        if any(phrases.match(words, i) for i in range(len(words))):
            return True
        singles = [p[0] for p in phrases if len(p) == 1 and len(p[0]) >= CORRECT_MIN_CHARS]
        return any(process.extractOne(w, singles, scorer=fuzz.ratio, score_cutoff=WORD_SIMILARITY) is not None
                   for w in words if len(w) >= CORRECT_MIN_CHARS) if singles else False

    def _part_of_day_read(self, extraction: Extraction) -> list[IntentScore]:
        """Matcher scores; the pack's `part_of_day_intents` also read the sentence without its parts of the day
        ("remind me to take lipitor *tonight*": when it rings, no slot of theirs), and keep the better score."""
        scores = self.matcher.score(extraction.tokens)
        parts = {"{" + slot + "}" for slot in PART_OF_DAY_SLOTS}
        if not self.pack.part_of_day_intents or not parts & set(extraction.tokens) or not any(
                s.intent in self.pack.part_of_day_intents and s.score >= scores[0].score - PART_OF_DAY_REACH
                for s in scores):
            return scores  # (a reading "120 this morning": no reminder comes close, the second reading is spared)
        bare = tuple(t for t in extraction.tokens if t not in parts)
        if not any(t not in self.pack.ignore for t in bare):
            return scores
        better = {s.intent: s for s in self.matcher.score(bare) if s.intent in self.pack.part_of_day_intents}
        return [better[s.intent] if s.intent in better and better[s.intent].score > s.score else s for s in scores]

    def reminds_of_something_else(self, extraction: Extraction, best: IntentScore) -> bool:
        """A request for later ("remind me", « rappelle-moi ») that names no medicine and says a word that no sentence
        of the pack's `reminders_for` holds, nor one of the best intent's, if it is a request of the pack ("remind me
        to call my daughter", "remind me about my appointment", « rappelle-moi d'acheter du pain »; not "remind me at
        eight", "remind me if I took it", "remind me of my last reading"). A call for help stays one."""
        words = extraction.words
        opener = self.pack.later_openers.match(words, 0)
        if not opener or not self.pack.reminders_for or self._calls_for_help(words):
            return False
        if self._medicine_named(extraction, self.matcher.words(extraction.tokens)):
            return False
        rest = self.extractor.extract(" ".join(words[opener:]))
        if any(d.info.get("recheck") for d in rest.durations):
            return True  # "remind me to check again in 15 minutes": checking again is no medicine (its words are gone)
        own = self._intent_words.get(best.intent, frozenset()) if best.intent not in (
            NONE, SMALL_TALK, *self.pack.not_later) else frozenset()
        return any(not w.startswith("{") and not is_number(w) and w not in self._reminder_words and w not in own
                   for w in self.matcher.words(rest.tokens))

    def _reads_as_a_dose(self, tokens: tuple[str, ...] | list[str]) -> bool:
        """Whether a dose intent's sentences are (as good as) the closest to these tokens."""
        scores = self.matcher.score(tuple(tokens))
        dose = max(s.score for s in scores if s.intent in self.pack.medicine.doses)
        return dose >= max(self.pack.threshold, scores[0].score - DOSE_MARGIN)

    def carries_on_without_taking(self, text: str, only_when: bool = False) -> bool:
        """A sentence opening with a word that carries on the last request ("and", « et ») that says no word of
        taking or having ("and my lipitor at night"; not "and I took my lipitor"): it tells no dose taken. With
        `only_when`, it says nothing but a medicine and when ("and my lipitor tonight"; not "and can I skip my
        lipitor", a question)."""
        extraction = self.extractor.extract(text or "")
        if not self.pack.continuations.match(extraction.words, 0):
            return False
        rules = self.pack.medicine
        words = self.matcher.words(extraction.tokens)
        if only_when and not all(w.startswith("{") or w in self._reminder_words for w in words):
            return False
        return not any(w in rules.taking or w in rules.having for w in words)

    def _only_an_hour(self, extraction: Extraction) -> bool:
        """Nothing said but a preposition of time and an hour ("at ten", "around eight", « vers huit »): the answer
        to « at what time? », or the time of something said before; "I'm at ten" and "ten" alone may be a value."""
        return extraction.tokens == ("{time}",) and self.pack.time.prepositions.match(extraction.words, 0) > 0

    def asks(self, words: tuple[str, ...]) -> bool:
        """Whether the words open with a question (fillers are gone: "um, did I..." opens with "did I"; a
        question word further on may belong to a statement: "this is my check before bed, 144")."""
        return self.pack.question_openers.match(words, 0) > 0

    def asks_about_a_value(self, extraction: Extraction, as_glucose: bool = False) -> bool:
        """"was 7 too high", "were 180 ok": a being-verb, then a number, then a judgement: what a value means is
        asked, no reading given ("was 7 this morning" gives one). With `as_glucose`, only when that number is read as
        a glucose value ("is 10 units too much" asks of a dose, "is 8 am okay" of a time)."""
        vq = self.pack.value_questions
        words = extraction.words
        n = vq.verbs.match(words, 0)
        if not n or n >= len(words) or not is_number(words[n]) or (as_glucose and not any(
                s.slot == "glucose" and s.start == n for s in extraction.spans)):
            return False
        return any(vq.judgements.match(words, i) for i in range(n + 1, len(words)))

    def asks_what_a_value_means(self, extraction: Extraction) -> bool:
        """A question holding a number and a judgement ("is 180 too high", "was 7 too high", « est-ce que 1,80 c'est
        trop haut »): what a value means for the patient, which only their care team can say."""
        words = extraction.words
        if not (self.asks(words) or self.asks_about_a_value(extraction)) or not any(is_number(w) for w in words):
            return False
        return any(self.pack.value_questions.judgements.match(words, i) for i in range(len(words)))

    def supposes_a_value(self, extraction: Extraction) -> bool:
        """"what if my sugar is 300", « et si j'ai 3 grammes »: a value supposed, not told (no reading, no request);
        a call for help said with it stays one."""
        words = extraction.words
        return bool(self.pack.value_questions.suppose.match(words, 0)) and any(is_number(w) for w in words) \
            and not self._calls_for_help(words)

    def _medicine_named(self, extraction: Extraction, words: list[str]) -> bool:
        """A medicine word of the pack, a medicine of the patient's profile or a dose word ("units")."""
        return "{medication}" in words or any(w in self.pack.medicine.words for w in words) or any(
            self.pack.numbers.dose_words.match(extraction.words, i) for i in range(len(extraction.words)))

    def asks_advice_about_medicine(self, extraction: Extraction) -> bool:
        """Leave or advice asked about a medicine ("can I take my pills now", "should I skip my insulin", « est-ce
        que je peux doubler ma dose »), not a reminder or a log asked for in so many words."""
        rules = self.pack.medicine
        if not rules.advice_openers.match(extraction.words, 0):
            return False
        words = self.matcher.words(extraction.tokens)
        return self._medicine_named(extraction, words) and not any(w in rules.requests for w in words)

    def took_too_much(self, extraction: Extraction) -> bool:
        """Too much of a medicine taken, said (not asked): "I took too much insulin", "I gave myself a double dose
        of my lantus", « j'ai pris trop de cachets »; not "I ate too much cake", not "did I take too much"."""
        said = extraction.words
        if not any(self.pack.medicine.too_much.match(said, i) for i in range(len(said))):
            return False
        if self.pack.question_openers.match(said, 0):
            return False
        return self._medicine_named(extraction, self.matcher.words(extraction.tokens))

    def names_something_else(self, extraction: Extraction) -> bool:
        """"I had a coffee", « j'ai pris mon café », "I took a walk": no medicine named, and after the taking a word
        that no sentence of a dose intent holds. "I took it", « c'est fait », "I took my pills", "ok, I took it"
        name nothing else."""
        return self._other_thing(extraction) is not None

    def _other_thing(self, extraction: Extraction) -> tuple[list[str], tuple[str, ...]] | None:
        """(the words, the words that dose sentences hold) of a sentence that takes something else than a
        medicine, or None."""
        if not self._dose_words:
            return None
        words = self.matcher.words(extraction.tokens)
        if self._medicine_named(extraction, words):
            return None
        known = set().union(*self._dose_words.values())
        taking = next((k for k, w in enumerate(words) if w in known and not w.startswith("{")), None)
        if taking is None or all(w in known or is_number(w) for w in words[taking + 1:]):
            return None
        return words, tuple(w for w in words if w in known)

    def took_something_else(self, extraction: Extraction) -> bool:
        """A sentence taking something else than a medicine, named in plain words, that reads as a dose taken with
        and without those words: "I took [a shower]", « j'ai pris [mon café] », "I had [a good sleep] last night". A
        word group or a value of another intent says what it is about instead ("my *sugar* was 7 after my walk",
        "I had a *hypo*")."""
        found = self._other_thing(extraction)
        if found is None:
            return False
        words, kept = found
        if any(w.startswith(("<", "{")) and w not in kept for w in words):
            return False
        return self._reads_as_a_dose(extraction.tokens) and self._reads_as_a_dose(kept)

    def _slots_for(self, intent: str, extraction: Extraction) -> tuple[dict[str, Any], tuple[Entity, ...]]:
        wanted = self.pack.intents[intent].slots
        slots: dict[str, Any] = {}
        glucose: GlucoseValue | None = None
        for span in extraction.spans:
            if span.slot not in wanted:
                continue
            name = SLOT_OUTPUT_NAMES.get(span.slot, span.slot)
            if span.slot == "glucose":
                if span.value is None:  # a value said, but not which one (nlu/numbers.py): none, it is asked
                    continue
                value: GlucoseValue = span.value
                # A correction (« non, cent vingt-huit ») or a run-on sentence can hold several numbers:
                # a value with its unit said beats one without; otherwise the last one said wins.
                if glucose is not None and glucose.unit_said and not value.unit_said:
                    continue
                glucose = value
            elif name not in slots:
                slots[name] = span.value
        entities: list[Entity] = []
        if glucose is not None:
            entities.append(Entity(GLUCOSE, glucose, glucose.words))
            # 400 digits or 0.001 is no reading: never a slot (the entity stays: the dialogue refuses it, or asks
            # the unit of a bare « douze » that is only impossible in the unit guessed)
            if glucose.physical and is_physical(glucose.mg_dl):
                slots[GLUCOSE] = glucose.as_slot()
        return slots, tuple(entities)


def calibrate(best: float, second: float) -> float:
    """Matcher score -> confidence that the intent is right.

    A template match is trustworthy when it is both close (high score) and unambiguous (clear margin over
    the next intent). The mapping is checked against the corpora by `scripts/bench_nlu.py`, which prints
    accuracy per confidence band.
    """
    margin = max(0.0, best - second)
    return round(max(0.0, min(1.0, best * (0.6 + 0.4 * min(1.0, margin / 0.25)))), 3)


_cache: dict[tuple[str, int], Understander] = {}


def understand(text: str, lang: str, profile: Profile | None = None) -> Understanding:
    """Convenience for one-off calls: `understand("ma glycémie est de cent vingt", "fr")`."""
    key = (lang, id(profile))
    if key not in _cache:
        _cache[key] = Understander(lang, profile)
    return _cache[key].understand(text)
