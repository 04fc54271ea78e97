"""What a recogniser should listen for, generated from a language pack and the patient's medications.

- `build_vocabulary(pack, medication_names)`: sentences sampled from the pack's templates, with the
  `{slot}` tokens filled by sample slot phrases (glucose values and times said in words, list phrases,
  medication names), and every word the pack can understand, spelled as a recogniser writes it
  ("o'clock", "don't", "a1c").
- `Vocabulary.arpa()`: an n-gram ARPA language model (trigram by default) trained on those sentences
  (absolute discounting, backed off to a unigram mixed with a uniform floor so every pack word stays
  reachable, and optionally with a class of everyday words for out-of-scope speech). JSGF loops are far
  too slow in pocketsphinx; this decodes "one seventy seven before dinner" at a small real-time factor.
- `Vocabulary.phrases()`: the same sentences as a phrase list for Vosk's grammar.
- `pronounce(words, lang, base)`: pronunciations for a phonetic dictionary: the pack's pronunciation file
  (`intents/pronunciations/<lang>.yaml`: drug names, A1c, LDL...) first, then the engine's dictionary (also
  "oclock" for its "o'clock"), then spelling (letters and digits), then a letter-to-sound guess; the words
  spelled or guessed are reported.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable, Iterator, Mapping, Sequence

from voice_assistant.language import LanguageDataError, folder
from voice_assistant.language import read_yaml as read_language_yaml
from voice_assistant.nlu import templates
from voice_assistant.nlu.packs import Pack, read_yaml
from voice_assistant.profile import default_profile

#: Bump when the generation below changes: cached models built by an older version are then rebuilt.
GENERATOR_VERSION = "5"
SENTENCE_START, SENTENCE_END = "<s>", "</s>"

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'"})
_NOT_SPEECH = re.compile(r"[^\w\s']|_")


def pronunciations_dir() -> Path:
    return folder("intents/pronunciations")


def number_words(n: int | float, lang: str) -> list[str]:
    """12 -> ["twelve"], 6.5 -> ["six", "point", "five"], in the language (num2words)."""
    from num2words import num2words

    try:
        text = num2words(n, lang=lang)
    except (NotImplementedError, OverflowError, ValueError):
        text = num2words(n)
    return speech_words(text, lang)


def speech_words(text: str, lang: str = "en") -> list[str]:
    """Text -> words as a recogniser writes them: lowercase, accents and inner apostrophes kept ("o'clock",
    "aujourd'hui"), hyphens split, digits said in words ("911" -> "nine one one", "30" -> "thirty")."""
    text = unicodedata.normalize("NFKC", str(text)).lower().translate(_APOSTROPHES).replace("-", " ")
    out: list[str] = []
    for token in _NOT_SPEECH.sub(" ", text).split():
        token = token.strip("'")
        if not token:
            continue
        if token.isdigit():
            if len(token) <= 2 or int(token) % 100 == 0:
                out.extend(number_words(int(token), lang))
            else:  # "911", "999": said digit by digit
                for digit in token:
                    out.extend(number_words(int(digit), lang))
        else:
            out.append(token)
    return out


def patient_medications(medications: Iterable | None) -> list:
    """The medications given (profile `Medication`s or plain names), or the demo profile's."""
    if medications is None:
        return list(default_profile().medications)
    return list(medications)


def medication_names(medications: Iterable | None, lang: str) -> list[str]:
    """Names of the patient's medications in `lang`; accepts profile `Medication`s or plain names."""
    names: list[str] = []
    for m in patient_medications(medications):
        if isinstance(m, str):
            names.append(m)
        else:
            names.extend(m.names_in(lang))
    return names


# ----------------------------------------------------------------------------------------- slot phrases

def glucose_phrases(pack: Pack, rng: random.Random, with_unit: int = 100) -> list[tuple[str, ...]]:
    """Glucose values said the ways the pack's number grammar reads them: every shape once ("one oh nine",
    "one hundred nine", "six point five"...), `with_unit` of them (drawn at random) with a unit said after.
    (A random 400 of the ~1,500 English shapes once: whether "one oh five" was in the language model at all
    was left to the draw.)"""
    lang, lex = pack.lang, pack.numbers
    w = lambda n: number_words(n, lang)  # noqa: E731
    raw = _raw(pack)
    unit_phrases = {u: [tuple(speech_words(p, lang)) for p in _as_list(ps)]
                    for u, ps in (raw.get("units") or {}).items()}
    decimal = sorted(lex.decimal_words)
    zero = [z for z in sorted(lex.zero_words) if not z.isdigit()]
    out: set[tuple[str, ...]] = set()
    # Every integer a meter shows, in full words; English also drops the "and" ("one hundred twenty").
    for n in range(20, 401):
        words = w(n)
        out.add(tuple(words))
        if "and" in words and lang == "en":
            out.add(tuple(x for x in words if x != "and"))
        if lex.hundreds_shorthand and n >= 100:  # "one seventy seven", "one oh nine"
            rest = n % 100
            tail = w(rest) if rest >= 10 else ([rng.choice(zero)] + w(rest) if zero and rest else None)
            if tail:
                out.add(tuple(w(n // 100) + tail))
    for tenths in range(20, 300):  # 2.0 .. 29.9 mmol/L (and g/L below)
        whole, frac = divmod(tenths, 10)
        for dw in decimal:
            out.add(tuple(w(whole) + [dw] + w(frac)))
    if lex.pair_shorthand_unit or lex.fraction_after_unit:  # « un vingt », « un gramme vingt »: 0.40 .. 3.99 g/L
        for cents in range(40, 400):
            whole, frac = divmod(cents, 100)
            if not whole:
                continue
            frac_words = w(frac) if frac >= 10 else ([] if frac == 0 else None)
            if frac_words is None:
                continue
            if lex.pair_shorthand_unit and frac_words:
                out.add(tuple(w(whole) + frac_words))
            for unit in lex.fraction_after_unit:
                for up in unit_phrases.get(unit.value, [])[:2]:
                    out.add(tuple(w(whole) + list(up) + frac_words))
    phrases = sorted(out)
    rng.shuffle(phrases)
    all_units = [p for ps in unit_phrases.values() for p in ps if p]
    if not all_units or with_unit <= 0:
        return phrases
    bare, said_with_unit = phrases[:-with_unit], phrases[-with_unit:]
    return bare + [tuple(p) + rng.choice(all_units) for p in said_with_unit]


def time_phrases(pack: Pack, rng: random.Random) -> list[tuple[str, ...]]:
    """Times of day as the pack's time grammar reads them ("eight pm", "half past seven", « vingt heures
    trente », « huit heures et demie »)."""
    lang = pack.lang
    t = {k: [tuple(speech_words(p, lang)) for p in _as_list(v)] for k, v in (_raw(pack).get("time") or {}).items()}
    t = {k: [p for p in v if p and all(not x.isdigit() for x in p)] for k, v in t.items()}
    w = lambda n: tuple(number_words(n, lang))  # noqa: E731
    get = lambda k: t.get(k) or []  # noqa: E731
    out: set[tuple[str, ...]] = set()
    hour_words = get("hour_words")[:3]
    minutes = [5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55]
    hours = range(1, 13) if get("past") else range(0, 24)
    for h in hours:
        hw = w(h)
        for hword in hour_words:
            out.add(hw + hword)
        for mark in get("am") + get("pm"):
            out.add(hw + mark)
            for hword in hour_words[:1]:
                out.add(hw + hword + mark)
        for m in minutes:
            out.add(hw + w(m))
            for hword in hour_words[:1]:
                out.add(hw + hword + w(m))
        if get("past"):  # "half past eight", "quarter to nine", "ten past six"
            for frac in get("half") + get("quarter"):
                for past in get("past")[:1]:
                    out.add(frac + past + hw)
            for frac in get("quarter"):
                for to in get("to")[:1]:
                    out.add(frac + to + hw)
            for m in (5, 10, 20, 25):
                out.add(w(m) + get("past")[0] + hw)
                if get("to"):
                    out.add(w(m) + get("to")[0] + hw)
        else:  # « huit heures et demie », « neuf heures moins le quart », « neuf heures moins dix »
            for hword in hour_words[:1]:
                for tail in get("half") + get("quarter") + get("quarter_to"):
                    out.add(hw + hword + tail)
                for minus in get("minus")[:1]:
                    for m in (5, 10, 20):
                        out.add(hw + hword + minus + w(m))
    for p in get("noon") + get("midnight"):
        out.add(p)
    phrases = sorted(out)
    rng.shuffle(phrases)
    return phrases


def slot_phrases(pack: Pack, medication_names: Sequence[str], rng: random.Random) -> dict[str, list[tuple[str, ...]]]:
    """Sample phrases for every slot the templates use."""
    lang = pack.lang
    slots: dict[str, list[tuple[str, ...]]] = {
        "glucose": glucose_phrases(pack, rng),
        "time": time_phrases(pack, rng),
        "medication": sorted({tuple(speech_words(n, lang)) for n in medication_names} - {()}),
    }
    for name, values in (_raw(pack).get("lists") or {}).items():
        phrases: set[tuple[str, ...]] = set()
        for value, ps in (values or {}).items():
            if value == "fuzzy":
                continue
            phrases.update(tuple(speech_words(str(p), lang)) for p in _as_list(ps))
        slots[name] = sorted(phrases - {()})
    return slots


# ----------------------------------------------------------------------------------------- sentences

class _Sampler:
    """Random walks through the pack's sentence templates, each alternative equally likely."""

    def __init__(self, pack: Pack, slots: dict[str, list[tuple[str, ...]]], rng: random.Random):
        raw = _raw(pack)
        norm = lambda text: speech_words(text, pack.lang)  # noqa: E731
        self.rules = {name: templates.parse(str(text), norm)
                      for name, text in (raw.get("expansion_rules") or {}).items()}
        self.slots = slots
        self.rng = rng
        self.norm = norm

    def sample(self, node: templates.Node, depth: int = 0) -> list[str]:
        rng = self.rng
        if isinstance(node, templates.Words):
            return list(node.words)
        if isinstance(node, templates.SlotRef):
            choices = self.slots.get(node.name) or []
            return list(rng.choice(choices)) if choices else []
        if isinstance(node, templates.RuleRef):
            rule = self.rules.get(node.name)
            return self.sample(rule, depth + 1) if rule is not None and depth < 8 else []
        if isinstance(node, templates.Alt):
            return self.sample(rng.choice(node.options), depth)
        out: list[str] = []
        for item in node.items:
            out.extend(self.sample(item, depth))
        return out


def _widest(node: templates.Node, rules: dict, depth: int = 0) -> int:
    """The largest number of alternatives at one point of a template (how many samples it deserves)."""
    if isinstance(node, templates.Alt):
        return max([len(node.options)] + [_widest(o, rules, depth) for o in node.options])
    if isinstance(node, templates.Seq):
        return max([1] + [_widest(i, rules, depth) for i in node.items])
    if isinstance(node, templates.RuleRef) and node.name in rules and depth < 8:
        return _widest(rules[node.name], rules, depth + 1)
    return 1


@dataclass(frozen=True)
class Vocabulary:
    """What one language pack (with one patient's medications) lets a person say."""

    language: str
    words: frozenset[str]  #: every word the recogniser may write, spelled as it writes them ("o'clock")
    digest: str  #: hash of everything the vocabulary was generated from (cache key)
    #: draws the training sentences (slots filled) and the intent of each, the same every time; not kept: they
    #: are needed only to write a language model or a grammar (~10 MB of Python objects at 480 per template,
    #: measured +35 MB on one assistant's peak memory when kept)
    draw: Callable[[], Iterator[tuple[tuple[str, ...], str]]] = field(compare=False, repr=False)

    def generated(self) -> tuple[tuple[tuple[str, ...], ...], tuple[str, ...]]:
        """The training sentences and the intent of each (drawn now: take them once)."""
        pairs = list(self.draw())
        return tuple(s for s, _ in pairs), tuple(i for _, i in pairs)

    @property
    def sentences(self) -> tuple[tuple[str, ...], ...]:
        return self.generated()[0]

    @property
    def intents(self) -> tuple[str, ...]:
        return self.generated()[1]

    def arpa(self, order: int = 3, discount: float = 0.5, floor: float = 0.05,
             general: Mapping[str, float] | None = None, general_weight: float = 0.0) -> str:
        """An n-gram ARPA model of the sentences (trigram by default); see `arpa_ngram`."""
        sentences = (s for s, _ in self.draw())  # one at a time: never all in memory
        return arpa_ngram(sentences, self.words, order, discount, floor, general, general_weight)

    def phrases(self, limit: int = 1500, seed: int = 0) -> list[str]:
        """Distinct sentences (at most `limit`, taken in turn from every intent), then each word those
        sentences do not use, alone: the phrase list of a Vosk grammar (every pack word stays reachable)."""
        by_intent: dict[str, list[str]] = defaultdict(list)
        seen: set[str] = set()
        sentences, intents = self.generated()
        for sentence, intent in zip(sentences, intents or ("",) * len(sentences)):
            text = " ".join(sentence)
            if text and text not in seen:
                seen.add(text)
                by_intent[intent].append(text)
        rng = random.Random(seed)
        for group in by_intent.values():
            rng.shuffle(group)
        chosen: list[str] = []
        groups = list(by_intent.values())
        while len(chosen) < limit and any(groups):
            for group in groups:
                if group and len(chosen) < limit:
                    chosen.append(group.pop())
        return chosen + sorted(self.words - {w for p in chosen for w in p.split()})


#: Sentences drawn from each template at least. The model is a random draw: the fewer sentences, the more its
#: accuracy depends on the draw. Measured through pocketsphinx alone on the audio dev sets
#: (scripts/make_audio_devset.py: 138 synthetic, 132 more natural clips), intent+slots per draw (seed):
#: 120 sentences and a random 400 glucose shapes: 59.4-65.2 % / 50.0-56.8 % over six draws;
#: 120, every glucose shape: 60.1 and 65.9 % / 58.3 and 56.8 %; 480, every shape: 65.9 and 65.2 % / 56.1 and
#: 56.8 %. 480 costs ~2 s more once, when the model is rebuilt (pack or medications changed), and a 3.2 MB
#: language model instead of 1.5 MB.
SAMPLES_PER_TEMPLATE = 480


def build_vocabulary(pack: Pack, medication_names: Iterable[str] = (), samples: int = SAMPLES_PER_TEMPLATE,
                     seed: int = 0) -> Vocabulary:
    """Sentences and words for `pack` and the patient's medication names (cached by content)."""
    meds = tuple(sorted({str(n) for n in medication_names}))
    key = (pack.lang, str(pack.path), _file_digest(pack.path), meds, samples, seed)
    if key not in _BUILT:
        if len(_BUILT) >= 8:
            _BUILT.pop(next(iter(_BUILT)))
        _BUILT[key] = _build(pack, key[2], meds, samples, seed)
    return _BUILT[key]


_BUILT: dict[tuple, Vocabulary] = {}


def _build(pack: Pack, file_digest: str, meds: tuple[str, ...], samples: int, seed: int) -> Vocabulary:
    lang = pack.lang
    raw = _raw(pack)
    slots = slot_phrases(pack, meds, random.Random(seed))
    rules = _Sampler(pack, slots, random.Random(seed)).rules
    # every word a sentence can hold: the templates', the rules', the lists', the slot phrases' (what _draw uses)
    words = _every_word(raw, lang, rules, meds)
    words.update(w for ps in slots.values() for p in ps for w in p)
    digest = hashlib.sha256("\n".join([GENERATOR_VERSION, lang, file_digest, *meds, str(samples), str(seed)])
                            .encode()).hexdigest()[:16]
    return Vocabulary(lang, frozenset(w for w in words if w), digest,
                      lambda: _draw(pack, meds, samples, seed))


def _draw(pack: Pack, meds: tuple[str, ...], samples: int, seed: int) -> Iterator[tuple[tuple[str, ...], str]]:
    """The training sentences (each template's own random stream, slots filled), each with its intent."""
    lang = pack.lang
    slots = slot_phrases(pack, meds, random.Random(seed))
    sampler = _Sampler(pack, slots, random.Random(seed))
    raw = _raw(pack)
    fillers = [tuple(speech_words(str(f), lang)) for f in _as_list(raw.get("fillers"))]
    fillers = [f for f in fillers if f]
    # Hands-free mode: the wake phrase alone, or said before a request ("assistant, my sugar is ...").
    wake = [tuple(speech_words(str(w), lang)) for w in _as_list(raw.get("wake_words"))]
    wake = [w for w in wake if w]
    for intent, body in (raw.get("intents") or {}).items():
        for text in (body or {}).get("sentences") or []:
            # Each template draws from its own random stream (seeded by its intent and wording): a sentence added
            # to the pack, or an intent, leaves the sentences of every other template as they were (one shared
            # stream made every pack edit re-draw the whole model: +-3 points of accuracy from the draw alone).
            rng = sampler.rng = random.Random(f"{seed}|{intent}|{text}")
            node = templates.parse(str(text), sampler.norm)
            n = max(samples, min(6 * _widest(node, sampler.rules), 300))
            for _ in range(n):
                words = sampler.sample(node)
                if not words:
                    continue
                if fillers and rng.random() < 0.08:
                    words = list(rng.choice(fillers)) + words
                if fillers and rng.random() < 0.05:
                    words = words + list(rng.choice(fillers))
                if wake and rng.random() < 0.1:
                    words = list(rng.choice(wake)) + words
                yield tuple(words), intent
    for w in wake:
        for _ in range(20):
            yield w, "wake"
    # Slot phrases on their own: a patient answering "what was the value?" says only the value.
    for name, phrases in slots.items():
        for p in phrases[:200]:
            yield p, "{%s}" % name


def _every_word(raw: dict, lang: str, rules: dict, meds: Sequence[str]) -> set[str]:
    """Words of every part of the pack, whether or not the sampling reached them."""
    out: set[str] = set()

    def walk(node: templates.Node) -> None:
        if isinstance(node, templates.Words):
            out.update(node.words)
        elif isinstance(node, templates.Seq):
            for i in node.items:
                walk(i)
        elif isinstance(node, templates.Alt):
            for o in node.options:
                walk(o)

    for node in rules.values():
        walk(node)
    for body in (raw.get("intents") or {}).values():
        for text in (body or {}).get("sentences") or []:
            walk(templates.parse(str(text), lambda t: speech_words(t, lang)))
    for section in ("units", "time", "lists"):
        for value in _leaves(raw.get(section)):
            out.update(speech_words(value, lang))
    for key in ("fillers", "wake_words"):
        for value in _as_list(raw.get(key)):
            out.update(speech_words(str(value), lang))
    for value in _as_list(raw.get("ignore")):  # not the pieces of contractions ("ll", "s"): never said alone
        out.update(w for w in speech_words(str(value), lang) if not contraction_piece(w))
    for value in _as_list((raw.get("numbers") or {}).get("words")):
        out.update(speech_words(str(value), lang))
    for name in meds:
        out.update(speech_words(name, lang))
    return {w for w in out if w != "fuzzy"}


#: Pieces the pack's tokenisation leaves of contractions ("we'll" -> "we ll", « qu'il » -> « qu il »).
_CONTRACTION_PIECES = {"ll", "ve", "re", "qu", "nt"}


def contraction_piece(word: str) -> bool:
    """A piece of a contraction rather than a word said on its own ("ll", "s", « qu », « j »)."""
    return len(word) < 2 and word not in ("a", "i", "y", "à", "o") or word in _CONTRACTION_PIECES or \
        not (set(word) & set("aeiouyàâéèêëîïôöùûü"))


def _leaves(value) -> Iterable[str]:
    if isinstance(value, dict):
        for k, v in value.items():
            if k != "fuzzy":
                yield from _leaves(v)
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(v)
    elif isinstance(value, str):
        yield value


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _raw(pack: Pack) -> dict:
    return _raw_yaml(str(pack.path), _file_digest(pack.path))


@lru_cache(maxsize=8)
def _raw_yaml(path: str, digest: str) -> dict:
    data = read_yaml(Path(path))

    def plain(v):
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items() if k != "__lines__"}
        if isinstance(v, list):
            return [plain(x) for x in v]
        return v

    return plain(data)


def _file_digest(path: Path) -> str:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
    except OSError:
        return "missing"


# ----------------------------------------------------------------------------------------- ARPA model

def arpa_ngram(sentences: Iterable[Sequence[str]], vocabulary: Iterable[str], order: int = 3,
               discount: float = 0.5, floor: float = 0.1, general: Mapping[str, float] | None = None,
               general_weight: float = 0.0) -> str:
    """ARPA text of an n-gram model of the sentences: interpolated absolute discounting written in backoff
    form. The unigram level mixes the counts with a uniform distribution over every vocabulary word
    (weight `floor`), so a pack word the sentences never used can still be heard, and with `general`
    (word -> probability: everyday words outside the pack) at `general_weight`, a garbage class that lets
    out-of-scope speech come out as the words said instead of being forced into pack words."""
    general = {w: p for w, p in (general or {}).items() if p > 0} if general_weight > 0 else {}
    g_total = sum(general.values()) or 1.0
    counts: list[dict[tuple[str, ...], Counter[str]]] = [defaultdict(Counter) for _ in range(order + 1)]
    said: set[str] = set()
    for s in sentences:  # one pass: `sentences` may be a generator
        said.update(s)
        seq = [SENTENCE_START] * 1 + list(s) + [SENTENCE_END]
        for i in range(1, len(seq)):
            for n in range(1, order + 1):
                if i - n + 1 < 0:
                    break
                hist = tuple(seq[max(i - n + 1, 0):i])
                if len(hist) != n - 1:
                    break
                counts[n][hist][seq[i]] += 1
    vocab = sorted(set(vocabulary) | said | set(general))
    targets = vocab + [SENTENCE_END]
    uni = counts[1][()]
    total = sum(uni.values()) or 1
    probs: list[dict[tuple[str, ...], float]] = [{} for _ in range(order + 1)]
    in_pack = set(vocabulary) | said | {SENTENCE_END}
    pack_words = len(in_pack)
    for w in targets:
        p = ((1 - floor) * uni[w] / total + floor / pack_words) if w in in_pack else 0.0
        probs[1][(w,)] = (1 - general_weight) * p + general_weight * general.get(w, 0.0) / g_total
    backoff: dict[tuple[str, ...], float] = {}

    def lower(ngram: tuple[str, ...]) -> float:
        """Probability of the last word given the shorter history, through backoffs."""
        n = len(ngram)
        if n == 1:
            return probs[1].get(ngram, 1e-9)
        if ngram in probs[n]:
            return probs[n][ngram]
        return backoff.get(ngram[:-1], 1.0) * lower(ngram[1:])

    for n in range(2, order + 1):
        for hist, following in counts[n].items():
            c = sum(following.values())
            left = discount * len(following) / c
            seen_p = seen_lower = 0.0
            for w, k in following.items():
                lo = lower(hist[1:] + (w,))
                p = max(k - discount, 0.0) / c + left * lo
                probs[n][hist + (w,)] = p
                seen_p += p
                seen_lower += lo
            backoff[hist] = max(1.0 - seen_p, 1e-12) / max(1.0 - seen_lower, 1e-12)
    lines = ["", "\\data\\"]
    sizes = [len(targets) + 1] + [len(probs[n]) for n in range(2, order + 1)]
    lines += [f"ngram {n}={size}" for n, size in enumerate(sizes, start=1)]

    def bow(ngram: tuple[str, ...], n: int) -> str:
        return f" {math.log10(backoff[ngram]):.5f}" if n < order and ngram in backoff else ""

    lines += ["", "\\1-grams:", f"-99.00000 {SENTENCE_START}{bow((SENTENCE_START,), 1) or ' 0.00000'}"]
    lines += [f"{math.log10(probs[1][(w,)]):.5f} {w}{bow((w,), 1)}" for w in targets]
    for n in range(2, order + 1):
        lines += ["", f"\\{n}-grams:"]
        lines += [f"{math.log10(p):.5f} {' '.join(g)}{bow(g, n)}" for g, p in sorted(probs[n].items())]
    lines += ["", "\\end\\", ""]
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------- pronunciations

@dataclass
class Pronunciations:
    """A phonetic dictionary for the vocabulary, and where each word's pronunciation came from."""

    entries: dict[str, list[str]]  #: word -> phone strings ("M EH T F AO R M IH N")
    from_pack: list[str] = field(default_factory=list)  #: words from intents/pronunciations/<lang>.yaml
    spelled: list[str] = field(default_factory=list)  #: words read letter by letter ("ldl", "a1c")
    guessed: list[str] = field(default_factory=list)  #: words whose pronunciation is a letter-to-sound guess

    def dictionary_text(self) -> str:
        """pocketsphinx dictionary format: "word PH ON ES", alternates as "word(2)"."""
        lines = []
        for word in sorted(self.entries):
            for i, phones in enumerate(dict.fromkeys(self.entries[word])):
                lines.append(f"{word if i == 0 else f'{word}({i + 1})'} {phones}")
        return "\n".join(lines) + "\n"


@lru_cache(maxsize=4)
def pack_pronunciations(lang: str, directory: str | None = None) -> dict:
    """`intents/pronunciations/<lang>.yaml`: {"words": {word: [phones...]}, "letters": {...}, "phones": [...]}"""
    path = Path(directory or pronunciations_dir()) / f"{lang}.yaml"
    if not path.exists():
        return {"words": {}, "letters": {}, "phones": [], "path": str(path)}
    data = read_language_yaml(path, error=PronunciationError, what="the pronunciations", mapping=False) or {}
    norm = lambda v: [" ".join(str(p).upper().split()) for p in _as_list(v)]  # noqa: E731
    out = {
        "words": {str(k).lower(): norm(v) for k, v in (data.get("words") or {}).items()},
        "letters": {str(k).lower(): norm(v)[0] for k, v in (data.get("letters") or {}).items() if v},
        "phones": [str(p).upper() for p in data.get("phones") or []],
        "path": str(path),
    }
    if out["phones"]:
        known = set(out["phones"])
        for section in ("words", "letters"):
            for word, prons in out[section].items():
                for pron in _as_list(prons):
                    if bad := [ph for ph in pron.split() if ph not in known]:
                        raise PronunciationError(f"{path}: {section}.{word}: unknown phone(s) {', '.join(bad)} "
                                                 f"(known: {' '.join(out['phones'])})")
    return out


class PronunciationError(LanguageDataError):
    """A pronunciation file cannot be used; the message names the file and the word."""


def read_dictionary(path: str) -> dict[str, list[str]]:
    """A CMU-style dictionary file: word [(n)] phones..., one a line. Not cached: the bundled English one is 33 MB
    in memory (126k words), needed only while a model is written and once when the open pass loads; kept for the
    process's life it stood under every turn's peak."""
    entries: dict[str, list[str]] = defaultdict(list)
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            parts = line.split()
            if len(parts) < 2 or line.startswith(";;;"):
                continue
            word = re.sub(r"\(\d+\)$", "", parts[0]).lower()
            entries[word].append(" ".join(parts[1:]))
    return dict(entries)


def pronounce(words: Iterable[str], lang: str, base: Mapping[str, list[str]] | None = None,
              directory: str | None = None) -> Pronunciations:
    """Pronunciations for every word: base dictionary, the pack's pronunciation file, a base word with an
    apostrophe ("oclock" -> "o'clock"), spelling (letters and digits), else a letter-to-sound guess."""
    base = base or {}
    pack_pron = pack_pronunciations(lang, directory)
    extra, letters = pack_pron["words"], pack_pron["letters"]
    no_apostrophe: dict[str, str] = {}
    for w in base:
        if "'" in w:
            no_apostrophe.setdefault(w.replace("'", ""), w)
    out = Pronunciations({})
    for word in sorted(set(words)):
        if word in extra:
            out.entries[word] = list(extra[word]) + [p for p in base.get(word, []) if p not in extra[word]]
            out.from_pack.append(word)
        elif word in base:
            out.entries[word] = list(base[word])
        elif word.replace("'", "") in no_apostrophe:
            out.entries[word] = list(base[no_apostrophe[word.replace("'", "")]])
        elif (spelled := _spell(word, lang, base, letters)) is not None:
            out.entries[word] = [spelled]
            out.spelled.append(word)
        else:
            out.entries[word] = [guess_pronunciation(word, lang)]
            out.guessed.append(word)
    return out


_VOWELS = set("aeiouy")


def _spell(word: str, lang: str, base: Mapping[str, list[str]], letters: Mapping[str, str]) -> str | None:
    """Read letter by letter when the word has digits or no vowel ("a1c", "ldl", "egfr" is caught by the
    pack file): letter names from the pack's pronunciation file, digits said as numbers."""
    has_digit = any(c.isdigit() for c in word)
    if not has_digit and (set(word) & _VOWELS) and len(word) > 1:
        return None
    if not letters:
        return None
    phones: list[str] = []
    for part in re.findall(r"\d+|[^\d]", word):
        if part.isdigit():
            for w in number_words(int(part), lang):
                if w not in base:
                    return None
                phones.append(base[w][0])
        elif part in letters:
            phones.append(letters[part])
        elif part == "'":
            continue
        else:
            return None
    return " ".join(phones) if phones else None


#: English letter-to-sound rules, longest first: (letters, phones); a rough guess for words no dictionary has.
_EN_RULES = [
    ("tion", "SH AH N"), ("sion", "ZH AH N"), ("ture", "CH ER"), ("ough", "AO"), ("augh", "AO"),
    ("igh", "AY"), ("tch", "CH"), ("dge", "JH"), ("sch", "S K"), ("ck", "K"), ("ph", "F"), ("sh", "SH"),
    ("ch", "CH"), ("th", "TH"), ("wh", "W"), ("ng", "NG"), ("qu", "K W"), ("kn", "N"), ("wr", "R"),
    ("gh", "G"), ("ee", "IY"), ("ea", "IY"), ("oo", "UW"), ("ou", "AW"), ("ow", "OW"), ("oi", "OY"),
    ("oy", "OY"), ("ai", "EY"), ("ay", "EY"), ("au", "AO"), ("aw", "AO"), ("oa", "OW"), ("ie", "IY"),
    ("ei", "EY"), ("ey", "IY"), ("ue", "UW"), ("ew", "UW"), ("ar", "AA R"), ("er", "ER"), ("ir", "ER"),
    ("ur", "ER"), ("or", "AO R"), ("a", "AE"), ("e", "EH"), ("i", "IH"), ("o", "AA"), ("u", "AH"),
    ("y", "IY"), ("b", "B"), ("d", "D"), ("f", "F"), ("g", "G"), ("h", "HH"), ("j", "JH"), ("k", "K"),
    ("l", "L"), ("m", "M"), ("n", "N"), ("p", "P"), ("r", "R"), ("s", "S"), ("t", "T"), ("v", "V"),
    ("w", "W"), ("x", "K S"), ("z", "Z"), ("c", "K"),
]


def guess_pronunciation(word: str, lang: str = "en") -> str:
    """A letter-to-sound guess (English rules; good enough to let a rare word be heard at all)."""
    w = re.sub(r"[^a-z]", "", unicodedata.normalize("NFKD", word.lower()).encode("ascii", "ignore").decode())
    if not w:
        return "AH"
    if len(w) > 3 and w.endswith("e") and w[-2] not in _VOWELS:
        w = w[:-1]  # silent final e: "glucophage"
    phones: list[str] = []
    i = 0
    while i < len(w):
        c = w[i]
        if i and w[i - 1] == c and c not in _VOWELS:  # double consonant
            i += 1
            continue
        nxt = w[i + 1] if i + 1 < len(w) else ""
        if c == "c" and nxt in ("e", "i", "y"):
            phones.append("S"); i += 1; continue  # noqa: E702
        if c == "g" and nxt in ("e", "y") and i + 1 < len(w):
            phones.append("JH"); i += 1; continue  # noqa: E702
        if c == "y" and i == 0:
            phones.append("Y"); i += 1; continue  # noqa: E702
        if c == "y" and i + 1 < len(w):
            phones.append("IH"); i += 1; continue  # noqa: E702
        for letters, ph in _EN_RULES:
            if w.startswith(letters, i):
                phones.extend(ph.split())
                i += len(letters)
                break
        else:
            i += 1
    return " ".join(phones) or "AH"
