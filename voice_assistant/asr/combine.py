"""Two recognisers heard the same utterance: one reading per utterance, chosen from evidence, and the
disagreements that matter left for the patient to settle.

`CombinedRecognizer` takes any two engines behind the `Recognizer` protocol (pocketsphinx + whisper here, Vosk +
whisper where a Vosk model is installed). Both decode every utterance, in parallel; the first streams partials
while the patient speaks. `choose()` then weighs what each reading *means* (the pack's understanding of it),
never the particular words:

- both understood the same request and values: that reading (they agree: right 96-97 % of the time);
- both understood the same request and agree on every value both heard, but one heard more (a time, a
  medicine the other missed): the fuller reading (on the dev sets never wrong where the other was right);
- one heard a request and the other nothing the pack knows, or nothing at all: the request (on the dev sets
  the other engine had missed it far more often than noise had been read as a request), unless the second
  engine's next reading (its n-best) is a request the pack understands clearly and at least as well ("i need
  hope now" / "i need help now"): that one is then weighed against the first engine's as below; and unless
  the second engine's model finds the first engine's words far less likely than its own reading on the same
  audio (`UNLIKELY_WORDS`: "where is son" / "place them either" for "play some music"), or the request is
  barely understood and the other reading is clearly one the pack knows is out of scope ("place some music" as
  "speak faster" / "play some music"): then nothing is done (a call for help is never dropped);
- both heard a request, but not the same, and one of them, with no glucose value or time in it, is among the
  other engine's next readings (its n-best) while the other is not among the first's: that one, whichever
  engine it is (two different models heard it; on the two dev sets, of the clips where the engines disagreed,
  such a request was right in 25 of 26, the other with no right reading at all); the second engine's model,
  which prefers what it wrote itself, does not get the last word against it (a value is not confirmed this
  way: "eighty", a number cut short in pocketsphinx's n-best, once confirmed whisper's "80 salmon"), unless the
  other reading is understood clearly better and its engine is at least as sure of it: both are then weighed as
  below;
- both heard a request, but not the same: the second engine's model scores both readings on the same audio
  (whisper can give the log-probability of any text), and the reading that reads better as a pack request
  gains too (`margin`); the second engine's reading comes first only when that evidence favours it by more
  than `threshold` (0.5); the second engine's next readings (its n-best) are weighed the same way and may
  come first instead, if the pack understands them at least as well as its first reading (its model alone
  likes short common words) and they did not hear less of the same request ("120.5" after "125");
- whatever comes first, its own engine's next reading (n-best) may replace it when it goes on where the first
  stopped and heard the same request and more of it, adding no value, no medicine, and reads at least as well ("what did the lab say about my" /
  "... about my creation": creatinine; on the two dev sets, 1 clip, none made worse);
- they agree on the request but not on a value the patient is giving (a glucose value, a time): for a glucose
  value the second engine's model scores its own sentence with either value written in (only the number
  differs, so the engines' ways of writing numbers do not count) and the likelier value comes first (on the dev
  sets whisper's value was right in 6 of 8 such clips, pocketsphinx's in none); both readings are passed on (`Transcript.info["choices"]`) so the dialogue asks which one
  was said instead of guessing ("Was it one hundred eighteen, or one hundred eighty?"); whatever is then
  chosen is read back before anything is stored, as always.

Before any of this, a medicine name an engine mangled ("stop the rample reminder": whisper often hears the first
syllable of a name it rarely met and makes up the rest) is read as the patient's medicine that begins the same way
or is spelled most like it ("lantitor": lantus or lipitor, the audio tells), when the pack then understands the
request better and the second engine's model finds it not much less likely on the same audio (`medicine_repair`;
on the natural dev set, 3 of 132 clips, none made up). And a short command an engine turned into a near word
("sower please", "i forgot it", "hell") is read as the pack word spelled most like it, when the pack then
understands a request clearly (no call for help, no value, no medicine: those are never read into a word) and the
second engine's model finds it not much less likely (`word_repair`; on the nine cached dev sets, 1,834 clips:
5 right that were wrong, none made wrong).

The Transcript returned carries each engine's reading in `info["engines"]` (eval reports them).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Sequence

from voice_assistant.asr.base import BufferedRecognizer, Recognizer, Transcript
from voice_assistant.asr.crosscheck import value_variants
from voice_assistant.memory import release_free_memory

log = logging.getLogger(__name__)

ENGINE = "combined"
#: Slots whose value the patient gives and the assistant stores: a disagreement on one is asked about.
VALUE_SLOTS = ("glucose_mg_dl", "time")
#: What a reading never takes from its engine's next readings alone (`fuller_next`): a value the patient gives, a
#: medicine (a made-up one would be logged or reminded of)
NOT_FROM_NEXT_READINGS = frozenset({*VALUE_SLOTS, "medication", "meter_extreme"})
#: How clearly the pack must understand an engine's next reading for it to replace the other engine's request
#: when the engine's first reading was no request (calibrated confidence, nlu/understand.py `calibrate`).
CLEAR_NEXT_READING = 0.75
#: Under this calibrated confidence a request loses to the other engine's clearly out-of-scope reading.
WEAK_REQUEST = 0.5
#: A request one engine heard is dropped for the other engine's reading that is no request when the second engine's
#: model finds the request's words this much less likely (mean log-probability per token) on the same audio.
#: Measured on the two dev sets (replay_combine.py), in this case: requests the first engine had right reached 4.1;
#: above that only wrong ones (4.6-11.4, out-of-scope sentences among them); 4.5-6 helps both sets, 5 between.
UNLIKELY_WORDS = 5.0
#: ... and only this much less likely when the second engine is itself sure of its reading (its confidence at least
#: SURE_READING; whisper's: the probability per token of its own words). Out of the pack's domain ("I had my
#: breakfast", "put the radio on") pocketsphinx, which decodes against the pack's sentences, still writes pack
#: words ("i had a low", "what are you for"); whisper writes what was said, fluently and surely. Measured
#: (replay_combine.py): on the two dev sets and a set of the corpora's phrasings, requests pocketsphinx had right
#: against a sure whisper reading reached 1.95 (the one at 3.58, "5.8 ml per liter", is understood since);
#: requests it made up from out-of-scope speech started at 1.9.
UNLIKELY_WORDS_SURE = 2.0
SURE_READING = 0.6
GLUCOSE_TOLERANCE = 1.0  #: mg/dL: two readings this close are the same value (6.5 mmol/L = 117.1 mg/dL)
#: A word the pack does not know that begins like one of the patient's medicines ("rample", "ramkroll" for
#: ramipril: whisper hears the first syllable of a name it rarely met, then makes up the rest) is read as that
#: medicine when the second engine's model finds the sentence with the name at most this much less likely (mean
#: log-probability per token) and the pack understands it better. Names share at least MEDICINE_ONSET letters.
MEDICINE_ONSET = 3
MEDICINE_MAX_LOSS = 4.0
#: ...or that is spelled like it (rapidfuzz ratio, 0-100: "lantitor" / lipitor 67, "lantyr" / lantus 67), the
#: MEDICINE_NEAREST nearest such names weighed by the model together (the audio tells "lantitor" from lantus)
MEDICINE_SIMILAR = 60.0
MEDICINE_NEAREST = 3
#: `word_repair`: a short utterance (at most SHORT_UTTERANCE words) that means nothing to the pack, one word of which
#: the pack does not know ("sower please", "i forgot it", "cancelled that"), is tried with each of the WORD_NEAREST
#: pack words spelled most like it (rapidfuzz ratio >= WORD_SIMILAR; words of WORD_MIN_CHARS letters or more): a
#: short command is what an engine most often turns into a near word ("slower" / "sower", "help" / "hell"), and a
#: whole sentence gives the understanding nothing to tell a near word from the right one
SHORT_UTTERANCE = 3
WORD_SIMILAR = 70.0
WORD_NEAREST = 3
WORD_MIN_CHARS = 3
#: a reading the other engine's next readings hold comes first, unless the other reading is understood this much
#: better and its engine is at least as sure of it (replayed on the cached dev sets: 0.10-0.15 gain 4 clips and lose
#: none; 0.20 and more gain fewer)
HELD_NLU_MARGIN = 0.15
#: the repaired request must be one the pack understands this clearly, and the second engine's model must find it at
#: most WORD_MAX_LOSS less likely on the audio than the reading it repairs
WORD_REPAIR_CLEAR = 0.8
WORD_MAX_LOSS = 4.0


@dataclass(frozen=True)
class Reading:
    """One engine's transcript and what the pack makes of it."""

    transcript: Transcript
    intent: str
    slots: dict
    nlu_confidence: float
    glucose: Any = field(default=None, compare=False)  #: the glucose value as said (GlucoseValue: value, words)
    matched: str = field(default="none", compare=False)  #: the intent whose sentences came closest ("none": the
    #: pack's out-of-scope sentences, "play some music")

    @property
    def out_of_scope(self) -> bool:
        """Understood as something the pack knows the assistant does not do."""
        return not self.empty and self.intent == "none" and self.matched == "none"

    @property
    def text(self) -> str:
        return self.transcript.text

    @property
    def empty(self) -> bool:
        return not self.transcript.text.strip()

    @property
    def request(self) -> bool:
        """Something the assistant can act on (not `none`)."""
        return not self.empty and self.intent != "none"


def same_meaning(a: Reading, b: Reading) -> bool:
    if a.intent != b.intent or set(a.slots) != set(b.slots):
        return False
    return all(_same_value(k, a.slots[k], b.slots[k]) for k in a.slots)


def _same_value(name: str, x, y) -> bool:
    if name == "glucose_mg_dl":
        try:
            return math.isclose(float(x), float(y), abs_tol=GLUCOSE_TOLERANCE)
        except (TypeError, ValueError):
            return False
    return str(x) == str(y)


def fuller(a: Reading, b: Reading) -> Reading | None:
    """The reading that heard more of the same request: both understood the same request and agree on every
    value both heard, and one heard values the other missed ("... aspart at noon" / "... aspart at"). None
    otherwise. Losing words is far commoner than an engine making up a value that fits the request."""
    if a.intent != b.intent or not a.request or not b.request or set(a.slots) == set(b.slots):
        return None
    if not all(_same_value(k, a.slots[k], b.slots[k]) for k in set(a.slots) & set(b.slots)):
        return None
    if set(a.slots) > set(b.slots):
        return a
    if set(b.slots) > set(a.slots):
        return b
    return None


def value_disagreement(a: Reading, b: Reading) -> str | None:
    """The value slot two readings of the same request give differently (the rest agreeing), or None."""
    if a.intent != b.intent or a.intent == "none":
        return None
    differ = [k for k in set(a.slots) | set(b.slots)
              if k not in a.slots or k not in b.slots or not _same_value(k, a.slots[k], b.slots[k])]
    if len(differ) == 1 and differ[0] in VALUE_SLOTS and differ[0] in a.slots and differ[0] in b.slots:
        return differ[0]
    return None


@dataclass(frozen=True)
class Choice:
    first: Reading
    second: Reading | None  #: the other reading, when it is a real alternative
    reason: str
    ask: str | None = None  #: the value slot the patient should be asked about


class Combiner:
    """Decides between two engines' readings of one utterance (see the module's notes)."""

    def __init__(self, understand: Callable[[str], Any], scorer: Callable[[bytes, Sequence[str]], list] | None
                 = None, *, threshold: float = 0.5, nlu_weight: float = 3.0, value_threshold: float = 0.0,
                 medicines: Sequence[str] = (), vocabulary: frozenset[str] | set[str] = frozenset(),
                 is_word: Callable[[str], bool] | None = None):
        """`understand`: text -> Understanding (the assistant's own); `scorer`: (audio, texts) -> objects with a
        `logprob` (whisper's `score`): the second engine's model, weighing both readings. `threshold`: how much
        the evidence must favour the second engine's reading for it to come first (see `margin`); measured on
        the two dev sets (make_audio_devset.py, plain and --natural; replay_combine.py): 0-1.0 equally good on the
        plain one, 0-0.5 on the natural one, where 1.5 lost two readings whisper had right; at 0.5 no reading
        pocketsphinx had right was lost on either. `medicines`: the
        patient's medicine names (one word each: "ramipril", "lipitor"), `vocabulary`: every word the pack knows,
        `is_word`: whether the language's general dictionary has a word; together they let a mangled medicine
        name be repaired (`medicine_repair`)."""
        self.understand = understand
        self.scorer = scorer
        self.threshold = threshold
        self.nlu_weight = nlu_weight
        self.value_threshold = value_threshold
        self.medicines = tuple(dict.fromkeys(m.lower() for m in medicines if len(m) > MEDICINE_ONSET and " " not in m))
        self.vocabulary = frozenset(vocabulary)
        self.is_word = is_word
        #: the pack's words a misheard one may be read as (`word_repair`), sorted on first use
        self._known: list[str] | None = None
        self._local = threading.local()  #: `memo`: the understanding of each text, during one choose()

    def reading(self, transcript: Transcript) -> Reading:
        u = self._understood(transcript.text) if transcript.text.strip() else None
        if u is None:
            return Reading(transcript, "none", {}, 0.0)
        return Reading(transcript, u.intent, dict(u.slots), float(u.confidence), getattr(u, "glucose", None),
                       getattr(u, "matched", "none"))

    def _understood(self, text: str):
        """The pack's understanding of `text`, once per utterance (the same next reading is weighed by several
        rules)."""
        memo = getattr(self._local, "memo", None)
        if memo is None:  # outside choose(): nothing kept
            return self.understand(text)
        if text not in memo:
            memo[text] = self.understand(text)
        return memo[text]

    def choose(self, audio: bytes, a: Transcript, b: Transcript) -> Choice:
        """`a` and `b`: the two engines' transcripts of `audio`; `b` is the scorer's engine's when there is one."""
        self._local.memo = {}  # per thread: choose() may run in several at once
        try:
            return self._chosen(audio, a, b)
        finally:
            self._local.memo = None

    def _chosen(self, audio: bytes, a: Transcript, b: Transcript) -> Choice:
        choice = self._choose(audio, a, b)
        more = self.fuller_next(choice.first)
        if more is None:
            return choice
        return replace(choice, first=more, reason=choice.reason + "; its own next reading heard more")

    def fuller_next(self, r: Reading) -> Reading | None:
        """The next reading of `r`'s own engine (its n-best) that goes on where `r` stopped and heard the same request
        and more of it, when what it adds is no value the patient gives and no medicine (a lab test, a period, a
        meal: "what did the lab say about my" / "... about my creation": the end of an utterance is what an engine
        most often loses), it agrees on everything else and the pack understands it at least as well; None
        otherwise."""
        if not r.request:
            return None
        for text in r.transcript.info.get("alternatives") or ():
            if not text.startswith(r.text + " "):  # it goes on where the first reading stopped (no understanding
                continue                            # spent on the others: this runs on every utterance)
            alt = self.reading(Transcript(text, confidence=r.transcript.confidence, engine=r.transcript.engine,
                                          constrained=r.transcript.constrained, info={"alternative_of": r.text}))
            added = set(alt.slots) - set(r.slots)
            if fuller(r, alt) is alt and not added & NOT_FROM_NEXT_READINGS \
                    and alt.nlu_confidence >= r.nlu_confidence:
                return alt
        return None

    def _choose(self, audio: bytes, a: Transcript, b: Transcript) -> Choice:
        ra, rb = (self.word_repair(audio, self.medicine_repair(audio, self.reading(t))) for t in (a, b))
        if ra.empty and rb.empty:
            return Choice(ra, None, "both heard nothing")
        if same_meaning(ra, rb):
            first = ra if ra.nlu_confidence >= rb.nlu_confidence else rb
            return Choice(first, None, "agree")
        more = fuller(ra, rb)
        if more is not None:
            return Choice(more, rb if more is ra else ra, "agree, one heard more")
        if ra.request != rb.request:
            # one engine heard a request, the other nothing the pack knows (or nothing): the request; measured on
            # the dev sets, the other engine had missed it far more often than the request was made up
            first, second = (ra, rb) if ra.request else (rb, ra)
            if ra.request and not rb.empty:
                # ... unless the second engine's next reading is a request too ("i need hope now" / "i need help
                # now"): it is then weighed against the first engine's like any two requests
                picked, _ = self.next_reading(audio, ra, rb, [])
                if picked is not None:
                    return picked
            if ra.request and not rb.empty and ra.intent != "emergency" and self.unlikely_words(audio, ra, rb):
                # the request was read from words the second engine's model finds far less likely on this audio
                # than its own reading, which is no request ("where is son" / "place them either" for "play some
                # music"): nothing is done, the patient is asked to say it again (a call for help never dropped)
                return Choice(rb, ra, "the request's words unlikely on the audio")
            if first.nlu_confidence < WEAK_REQUEST and second.out_of_scope and first.intent != "emergency" \
                    and second.nlu_confidence >= first.nlu_confidence:
                # "place some music" read as "speak faster", barely, against "play some music", clearly out of
                # scope: the request is the likelier mishearing (a call for help is never dropped this way)
                return Choice(second, first, "out of scope, the request barely understood")
            return Choice(first, second, "only one heard a request")
        slot = value_disagreement(ra, rb)
        value_margin = self.value_margin(audio, ra, rb) if slot == "glucose_mg_dl" else None
        if value_margin is not None:
            # the same sentence with either value, in the second engine's own writing: only the number differs
            first, second = (rb, ra) if value_margin > self.value_threshold else (ra, rb)
            return Choice(first, second, f"value margin {value_margin:.2f}", ask=slot)
        # one engine's request is among the other engine's next readings (its n-best), and not the other way
        # round: two different models heard it; that one comes first, whichever engine it is
        held_a, held_b = self.held_by(ra, rb), self.held_by(rb, ra)
        if held_a != held_b:
            first, second = (ra, rb) if held_a else (rb, ra)
            # ... unless the other reading is understood clearly better (HELD_NLU_MARGIN) and its engine is at least
            # as sure of it: that is evidence too, the audio then weighs both (below). Pocketsphinx's next readings
            # are its pack's sentences: "got my lantus shock" was among them, under its "done my lantus shot"
            # (0.76 sure, understood 0.78 against 0.36)
            if not (second.nlu_confidence - first.nlu_confidence >= HELD_NLU_MARGIN
                    and second.transcript.confidence >= first.transcript.confidence):
                return Choice(first, second, "the other engine's next reading agrees", ask=slot)
        # the second engine's next readings are candidates too, weighed the same way (a word its first reading
        # got wrong is often right in the next: "aspart afternoon" / "aspart as noon")
        picked, margin = self.next_reading(audio, ra, rb, [rb])
        return picked or Choice(ra, rb, f"margin {margin:.2f}", ask=slot)

    def next_reading(self, audio: bytes, ra: Reading, rb: Reading,
                     candidates: list[Reading]) -> tuple[Choice | None, float]:
        """The best of `candidates` and of the second engine's next readings, if the evidence clearly favours
        it over `ra` (see `margin`), and the first candidate's margin; (None, margin) when `ra` stays first.
        A next reading is a candidate only when the pack understands it at least as well as the engine's first
        reading: the scorer alone prefers short, common words ("what was my one bee" over "what was my a1c")."""
        if ra.request:
            # the next reading must read at least as well as what it would replace: the engine's own first
            # reading, or, when that was no request, the other engine's request and clearly so
            floor = rb.nlu_confidence if rb.request else max(ra.nlu_confidence, CLEAR_NEXT_READING)
            candidates = candidates + [alt for alt in self.alternatives(rb) if alt.nlu_confidence >= floor]
        if not candidates:
            return None, 0.0
        margins = self.margins(audio, ra, candidates)
        best = max(range(len(candidates)), key=margins.__getitem__)
        if margins[best] <= self.threshold:
            return None, margins[0]
        first, note = candidates[best], f"margin {margins[best]:.2f}"
        if first is rb:
            return Choice(first, ra, note, ask=value_disagreement(ra, first)), margins[0]
        note += " (its next reading)"
        changed = value_disagreement(rb, first) if rb.request else None
        if changed:  # its next reading has another value than its first: ask which one
            return Choice(first, rb, note, ask=changed), margins[0]
        return Choice(first, ra, note, ask=value_disagreement(ra, first)), margins[0]

    def held_by(self, r: Reading, other: Reading) -> bool:
        """Whether `r` is a request one of `other`'s next readings (its engine's n-best) means too. Never for a
        reading with a value the patient gives: a number cut short in a next reading ("eighty" for "eighty seven")
        would confirm a wrong one ("80 salmon"); values are weighed as values."""
        if not r.request or any(k in r.slots for k in VALUE_SLOTS):
            return False
        for text in other.transcript.info.get("alternatives") or ():
            if text and text != other.text and same_meaning(r, self.reading(Transcript(text, engine=other.transcript.engine))):
                return True
        return False

    def unlikely_words(self, audio: bytes, ra: Reading, rb: Reading) -> bool:
        """Whether the scorer's model finds `ra`'s words more than UNLIKELY_WORDS less likely (mean log-probability
        per token) than `rb`'s on `audio` (UNLIKELY_WORDS_SURE when `rb`'s engine is sure of it); False without a
        score."""
        if self.scorer is None or not ra.text or not rb.text:
            return False
        try:
            sa, sb = self.scorer(audio, [ra.text, rb.text])
        except Exception as exc:
            log.warning("scoring the readings failed: %s", exc)
            return False
        limit = UNLIKELY_WORDS_SURE if rb.transcript.confidence >= SURE_READING else UNLIKELY_WORDS
        return sb.logprob - sa.logprob > limit

    def medicine_repair(self, audio: bytes, r: Reading) -> Reading:
        """`r` with a mangled medicine name read as the patient's medicine ("stop the rample reminder" -> "stop the
        ramipril reminder"), or `r` itself. A word is repaired only when neither the pack nor the language's dictionary
        knows it (a word made up, not a real one misheard: "land" is no "lantus"), it begins with the same
        MEDICINE_ONSET letters as exactly one of the patient's medicine names or is spelled near some (`names_like`;
        the scorer's model picks among them), the pack then understands a request naming that medicine better than
        before, and the scorer's model (the audio itself) finds the repaired sentence at most MEDICINE_MAX_LOSS less
        likely. Whatever comes of it is read back before it is
        logged or changes a reminder, as always."""
        if r.empty or not self.medicines or not self.vocabulary or self.scorer is None:
            return r
        words = r.text.split()
        variants: list[str] = []
        for k, word in enumerate(words):
            if len(word) <= MEDICINE_ONSET or word in self.vocabulary or not word.isalpha():
                continue
            if word in self.medicines or (self.is_word is not None and self.is_word(word)):
                continue
            for name in self.names_like(word):
                variants.append(" ".join(words[:k] + [name] + words[k + 1:]))
        better = []
        for text in variants:
            v = self.reading(Transcript(text, (), r.transcript.confidence, r.transcript.final,
                                        r.transcript.engine, r.transcript.constrained, dict(r.transcript.info)))
            if v.request and "medication" in v.slots and "medication" not in r.slots \
                    and v.nlu_confidence > r.nlu_confidence:
                better.append(v)
        return self._likeliest_repair(audio, r, better, MEDICINE_MAX_LOSS, "a medicine name")

    def word_repair(self, audio: bytes, r: Reading) -> Reading:
        """`r` with one word the pack does not know read as the pack word spelled most like it ("sower please" ->
        "slower please", "i forgot it" -> "i forget it"), or `r` itself. Only for a short utterance
        (SHORT_UTTERANCE words) that means nothing to the pack, when the repaired one is a request it understands
        clearly (WORD_REPAIR_CLEAR), neither a call for help nor one with a value, a medicine or a meter display in
        it, and the scorer's model finds it at most WORD_MAX_LOSS less likely on the audio (the likeliest of them,
        if several)."""
        words = r.text.split()
        if r.request or r.empty or len(words) > SHORT_UTTERANCE or not self.vocabulary or self.scorer is None:
            return r
        from rapidfuzz import fuzz, process

        known = self._known_words()
        better: list[Reading] = []
        for k, word in enumerate(words):
            if len(word) < WORD_MIN_CHARS or word in self.vocabulary or not word.isalpha():
                continue
            for near, _, _ in process.extract(word, known, scorer=fuzz.ratio, score_cutoff=WORD_SIMILAR,
                                              limit=WORD_NEAREST):
                text = " ".join(words[:k] + [near] + words[k + 1:])
                v = self.reading(replace(r.transcript, text=text))
                # no call for help made up (unanswered, it alerts the care team) and no value, medicine or meter
                # display read into a word the engine did not hear as one ("flour please" is no "four please")
                if v.request and v.nlu_confidence >= WORD_REPAIR_CLEAR and v.intent != "emergency" \
                        and not set(v.slots) & NOT_FROM_NEXT_READINGS:
                    better.append(v)
        return self._likeliest_repair(audio, r, better, WORD_MAX_LOSS, "a repaired word")

    def _likeliest_repair(self, audio: bytes, r: Reading, better: list[Reading], max_loss: float,
                          what: str) -> Reading:
        """The repaired reading among `better` the scorer's model finds likeliest on `audio`, marked as repaired from
        `r`, if it is at most `max_loss` less likely than `r`; else `r` (and when scoring fails)."""
        if not better or self.scorer is None:
            return r
        try:
            own, *scores = self.scorer(audio, [r.text] + [v.text for v in better])
        except Exception as exc:
            log.warning("scoring %s failed: %s", what, exc)
            return r
        best = max(range(len(better)), key=lambda i: scores[i].logprob)
        if scores[best].logprob < own.logprob - max_loss:
            return r
        v = better[best]
        return replace(v, transcript=replace(v.transcript, info=dict(v.transcript.info, repaired_from=r.text)))

    def _known_words(self) -> list[str]:
        """The pack's words a misheard one may be read as (WORD_MIN_CHARS letters or more), sorted once."""
        if self._known is None:
            self._known = sorted(w for w in self.vocabulary if len(w) >= WORD_MIN_CHARS and w.isalpha())
        return self._known

    def names_like(self, word: str) -> list[str]:
        """The patient's medicine names `word` may be a mishearing of: the one it begins like (when only one does),
        and the MEDICINE_NEAREST spelled most like it."""
        from rapidfuzz import fuzz, process

        onset = [m for m in self.medicines if m[:MEDICINE_ONSET] == word[:MEDICINE_ONSET]]
        near = process.extract(word, self.medicines, scorer=fuzz.ratio, score_cutoff=MEDICINE_SIMILAR,
                               limit=MEDICINE_NEAREST)
        return list(dict.fromkeys((onset if len(onset) == 1 else []) + [m for m, _, _ in near]))

    def alternatives(self, r: Reading) -> list[Reading]:
        """The engine's next readings (`info["alternatives"]`) that are requests meaning something else, less those
        that heard less of the same request ("let me go as 120.5", a value not known, after "... as 125")."""
        out: list[Reading] = []
        for text in r.transcript.info.get("alternatives") or ():
            if not text or text == r.text:
                continue
            alt = self.reading(Transcript(text, confidence=r.transcript.confidence, engine=r.transcript.engine,
                                          constrained=r.transcript.constrained, info={"alternative_of": r.text}))
            if alt.request and not same_meaning(alt, r) and fuller(r, alt) is not r \
                    and not any(same_meaning(alt, o) for o in out):
                out.append(alt)
        return out

    def value_margin(self, audio: bytes, ra: Reading, rb: Reading) -> float | None:
        """How much likelier `rb`'s glucose value is than `ra`'s under the scorer's model, both written into
        `rb`'s own sentence (a fair test of the number alone: the engines write numbers differently), or None."""
        variants = value_variants(rb, ra)
        if self.scorer is None or not variants:
            return None
        other = variants[0]
        try:
            s_own, s_other = self.scorer(audio, [rb.text, other])
        except Exception as exc:
            log.warning("scoring the values failed: %s", exc)
            return None
        return s_own.logprob - s_other.logprob

    def margin(self, audio: bytes, ra: Reading, rb: Reading) -> float:
        """How much the evidence favours `rb` over `ra`: the scorer's model's log-probability of `rb`'s words
        over `ra`'s (per token, on the same audio), plus how much better `rb` reads as a pack request."""
        return self.margins(audio, ra, [rb])[0]

    def margins(self, audio: bytes, ra: Reading, others: Sequence[Reading]) -> list[float]:
        """`margin` of each of `others` over `ra`, scored in one call."""
        gaps = [0.0] * len(others)
        if self.scorer is not None and ra.text and others and all(o.text for o in others):
            try:
                sa, *so = self.scorer(audio, [ra.text] + [o.text for o in others])
                gaps = [min(max(s.logprob - sa.logprob, -10.0), 10.0) for s in so]
            except Exception as exc:  # no score: the other evidence decides
                log.warning("scoring the readings failed: %s", exc)
        return [g + self.nlu_weight * (o.nlu_confidence - ra.nlu_confidence) for g, o in zip(gaps, others)]


class CombinedRecognizer(BufferedRecognizer):
    """Two recognisers behind the one `Recognizer` protocol; `decode()` runs both in parallel (the audio is
    kept as BufferedRecognizer keeps it; the first engine also hears it as it comes, for partials)."""

    engine = ENGINE

    def __init__(self, first: Recognizer, second: Recognizer, combiner: Combiner):
        super().__init__()
        self.first, self.second, self.combiner = first, second, combiner
        #: pocketsphinx's open pass is not run here: the second engine (whisper) is the open reading of every
        #: utterance. That pass loads pocketsphinx's general English model and its whole dictionary on the first
        #: utterance the pack's model reads unsure (overheard television, the reply heard back by the barge-in
        #: check): +94 MB resident for the rest of the run, +127 MB while it loads, 14 s on a loaded machine; the
        #: size of the hands-free loop's unexplained 560-580 MB runs (README, Memory).
        self._first_options = {"open_pass": False} if hasattr(first, "open_pass") else {}
        self.language = first.language
        self.sample_rate = first.sample_rate
        self._lock = threading.Lock()

    def accept(self, pcm: bytes) -> Transcript | None:
        super().accept(pcm)
        return self.first.accept(pcm)

    def reset(self) -> None:
        super().reset()
        self.first.reset()
        self.second.reset()

    def decode(self, audio: bytes) -> Transcript:
        with self._lock:
            started = time.perf_counter()
            other: dict = {}

            def run_second() -> None:
                began = time.perf_counter()
                try:
                    other["t"] = _decode(self.second, audio)
                except Exception as exc:  # one engine failing must not silence the other
                    log.warning("%s failed on an utterance: %s", _name(self.second), exc)
                    other["t"] = Transcript("", engine=_name(self.second), info={"error": str(exc)})
                other["seconds"] = time.perf_counter() - began

            prepare = getattr(self.second, "prepare", None)
            if prepare is not None:  # its interpreter-bound part first, not beside pocketsphinx (whisper_engine)
                try:
                    prepare(audio)
                except Exception as exc:  # decode() will meet the same problem and say it
                    log.warning("%s could not prepare an utterance: %s", _name(self.second), exc)
            prepared = time.perf_counter()
            thread = threading.Thread(target=run_second, daemon=True, name="second-recogniser")
            thread.start()
            try:
                a = _decode(self.first, audio, **self._first_options)
            except Exception as exc:
                log.warning("%s failed on an utterance: %s", _name(self.first), exc)
                a = Transcript("", engine=_name(self.first), info={"error": str(exc)})
            first_done = time.perf_counter()
            thread.join()
            release_free_memory()  # both decoders' working buffers, freed: back to the system (memory.py)
            b = other["t"]
            joined = time.perf_counter()
            choice = self.combiner.choose(audio, a, b)
            t = choice.first.transcript
            info = dict(t.info)
            info.update(engine=t.engine, reason=choice.reason,
                        engines={_name(self.first): _summary(a), _name(self.second): _summary(b)},
                        decode_seconds=round(time.perf_counter() - started, 4),
                        # where the time went (scripts/bench_voice.py --breakdown): the second engine's own
                        # preparation, each engine's decoding (in parallel), the wait for the second after the
                        # first was done, and choose()
                        seconds={"prepare": round(prepared - started, 4),
                                 _name(self.first): round(first_done - prepared, 4),
                                 _name(self.second): round(other.get("seconds", 0.0), 4),
                                 "wait_second": round(joined - first_done, 4),
                                 "choose": round(time.perf_counter() - joined, 4)})
            if choice.ask and choice.second is not None:
                info["choices"] = [choice.first.text, choice.second.text]
                info["ask"] = choice.ask
            return Transcript(t.text, t.words, t.confidence, True, t.engine or ENGINE, t.constrained, info)


def _decode(recognizer: Recognizer, audio: bytes, **options) -> Transcript:
    decode = getattr(recognizer, "decode", None)
    if decode is not None:
        return decode(audio, **options)
    recognizer.reset()
    for i in range(0, len(audio), 8000):
        recognizer.accept(audio[i:i + 8000])
    return recognizer.finish()


def _name(recognizer) -> str:
    return getattr(recognizer, "engine", type(recognizer).__name__)


def _summary(t: Transcript) -> dict:
    return {"text": t.text, "confidence": t.confidence}
