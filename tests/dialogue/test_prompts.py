"""The prompt packs: both languages say the same things, every key the code uses exists, and the words are
plain language written for the ear (short sentences, no digits, no abbreviations)."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path
from typing import Any, get_args

import pytest
import yaml

from voice_assistant.dialogue.prompts import PromptError, load_prompts
from voice_assistant.health.glucose import GlucoseUnit
from voice_assistant.health.safety import emergency_numbers
from voice_assistant.store.models import GlucoseContext

REPO_ROOT = Path(__file__).resolve().parents[2]

LANGS = ("fr", "en")
PROMPTS = {lang: yaml.safe_load((REPO_ROOT / "prompts" / f"{lang}.yaml").read_text(encoding="utf-8"))
           for lang in LANGS}
# the words of numbers, times and dates, shared with the voice's normaliser
SPEECH_WORDS = {lang: yaml.safe_load((REPO_ROOT / "prompts" / "speech" / f"{lang}.yaml").read_text(encoding="utf-8"))
                for lang in LANGS}
# the dialogue, and `Speech`, which frames its values with the dialogue's phrases (speech.when...)
DIALOGUE_CODE = sorted((REPO_ROOT / "voice_assistant" / "dialogue").glob("*.py")) + [
    REPO_ROOT / "voice_assistant" / "speech.py"]

# How values are said follows each language's grammar: these formats may use different {fields}, as long as
# they use only what `Speech` gives them. Every other prompt takes exactly the same fields in every language.
GRAMMAR_FORMATS = {
    "speech.units.g/L": {"grams", "gram_word", "number"},        # « un gramme » / "one gram per liter"
    "speech.units.g/L_cents": {"grams", "gram_word", "cents", "number"},  # « un gramme vingt » / "one point two"
}
MAX_AVERAGE_WORDS = 12
MAX_SENTENCE_WORDS = 16
# Abbreviations and symbols a listener cannot hear. The meter's display words HI and LO are said as shown.
ABBREVIATIONS = re.compile(r"mg\s*/\s*dl|g\s*/\s*l\b|mmol|hba1c|\ba1c\b|\bldl\b|\bhdl\b|\bdfg\b|\betc\b|/", re.I)
ALLOWED_CAPITALS = {"HI", "LO"}


def flatten(node: Any, prefix: str = "") -> dict[str, Any]:
    """'glucose.read_back' -> its text; lists and scalars are leaves."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            out.update(flatten(value, f"{prefix}{key}."))
        return out
    return {prefix[:-1]: node}


FLAT = {lang: flatten(PROMPTS[lang]) for lang in LANGS}


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def texts(lang: str) -> dict[str, str]:
    """Every piece of text in the pack (list items too), by key."""
    out = {}
    for key, value in FLAT[lang].items():
        if isinstance(value, str):
            out[key] = value
        elif isinstance(value, list):
            out.update({f"{key}[{i}]": v for i, v in enumerate(value) if isinstance(v, str)})
    return out


def spoken_sentences(lang: str) -> list[tuple[str, str]]:
    """The prompts said as sentences: everything outside `speech:` (the pieces values are built from), plus the
    speech-rate example. A {field} counts as one word."""
    keys = [k for k, v in FLAT[lang].items() if isinstance(v, str) and not k.startswith("speech.") and k != "language"]
    keys.append("speech.rate_example")
    out = []
    for key in keys:
        for sentence in re.split(r"(?<=[.?!])\s+", FLAT[lang][key].strip()):
            if sentence:
                out.append((key, sentence))
    return out


def words(sentence: str) -> list[str]:
    return [w for w in sentence.split() if re.search(r"\w", w)]  # « J'ai » is one word, « ? » none


# --- both languages say the same things ---------------------------------------------------------------

def test_both_packs_have_the_same_keys():
    assert FLAT["fr"].keys() == FLAT["en"].keys(), (
        f"only in fr: {sorted(FLAT['fr'].keys() - FLAT['en'].keys())}; "
        f"only in en: {sorted(FLAT['en'].keys() - FLAT['fr'].keys())}")


def test_lists_and_switches_have_the_same_shape():
    for key, fr in FLAT["fr"].items():
        en = FLAT["en"][key]
        assert type(fr) is type(en), key
        if isinstance(fr, list):
            assert len(fr) == len(en), key


@pytest.mark.parametrize("key", sorted(k for k, v in FLAT["fr"].items() if isinstance(v, str)))
def test_every_prompt_takes_the_same_fields_in_both_languages(key):
    fr, en = fields(FLAT["fr"][key]), fields(FLAT["en"][key])
    if key in GRAMMAR_FORMATS:
        assert fr <= GRAMMAR_FORMATS[key] and en <= GRAMMAR_FORMATS[key], (key, fr, en)
    else:
        assert fr == en, f"{key}: fr uses {sorted(fr)}, en uses {sorted(en)}"


@pytest.mark.parametrize("lang", LANGS)
def test_every_template_formats(lang):
    prompts = load_prompts(lang)
    for key, template in texts(lang).items():
        if "[" in key:
            continue
        template.format(**{name: "x" for name in fields(template)})  # no stray or broken braces
        if not key.startswith("speech."):
            prompts.say(key, **{name: "x" for name in fields(template)})


# --- every key the code uses exists ---------------------------------------------------------------------

def _used_keys() -> tuple[set[str], set[str]]:
    """Keys the dialogue code names: literal keys, and the prefixes of keys it builds (f"speech.units.{unit}").

    A literal is taken as a key when it is passed to say()/raw(), or when it looks like one ("help.confirm")
    and starts with a section of the pack: that finds keys chosen before the call (`key = "help.confirm"`).
    """
    sections = set(PROMPTS["fr"])
    literal, prefixes = set(), set()
    for path in DIALOGUE_CODE:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        f_string_parts = {id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr)
                          for part in node.values}
        for node in ast.walk(tree):
            if id(node) in f_string_parts:
                continue
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) in ("say", "raw") and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    literal.add(arg.value)
                elif isinstance(arg, ast.JoinedStr) and isinstance(arg.values[0], ast.Constant):
                    prefixes.add(arg.values[0].value)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                    re.fullmatch(r"[a-z_]+(\.[A-Za-z_/]+)+", node.value) and node.value.split(".")[0] in sections:
                literal.add(node.value)
    return literal, prefixes


USED, BUILT = _used_keys()


def test_the_code_scan_finds_the_keys():
    assert {"glucose.read_back", "help.confirm", "rate.slowest", "safety.low", "reminders.cancel_kept"} <= USED
    assert {"glucose.unit_names.", "speech.units.", "speech.when."} <= BUILT


@pytest.mark.parametrize("lang", LANGS)
def test_every_key_the_code_uses_exists(lang):
    prompts = load_prompts(lang)
    for key in sorted(USED):
        try:
            prompts.raw(key)
        except PromptError as exc:
            pytest.fail(f"the code says {key!r}, {exc}")


@pytest.mark.parametrize("lang", LANGS)
def test_every_key_the_code_builds_exists(lang):
    p = PROMPTS[lang]
    speech = p["speech"]
    for prefix in BUILT:
        node: Any = p
        for part in prefix.rsplit(".", 1)[0].split("."):  # "speech.when.yesterday_" -> speech.when
            node = node[part]  # a KeyError here names the missing section
        assert isinstance(node, dict), prefix
    units = {u.value for u in GlucoseUnit}
    assert units <= set(speech["units"]) and units <= set(p["glucose"]["unit_names"])
    assert set(get_args(GlucoseContext)) <= set(speech["contexts"])
    assert {"today", "yesterday", "week", "month"} <= set(speech["periods"])
    parts = {"morning", "afternoon", "evening", "night"}
    assert parts | {f"yesterday_{part}" for part in parts} | {"weekday", "date"} <= set(speech["when"])
    words = SPEECH_WORDS[lang]
    assert len(words["dates"]["weekdays"]) == 7 and len(words["dates"]["months"]) == 12
    for country in ("FR", "US", "CA", "GB", "DE", "ES", "JP"):
        assert emergency_numbers(country).primary in words["numbers"]["phone_numbers"], country
    # the times `Speech` says: each format uses only what it is given
    clock = words["time"]
    for key in ("on_the_hour", "one_oclock", "with_minutes", "one_with_minutes"):
        assert fields(clock[key]) <= {"hour", "minutes", "day_part"}, (key, clock[key])
    for key in ("noon_with_minutes", "midnight_with_minutes"):
        assert fields(clock[key]) <= {"minutes", "day_part"}, (key, clock[key])


# --- plain language, written for the ear ----------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
def test_sentences_are_short(lang):
    sentences = spoken_sentences(lang)
    lengths = [len(words(s)) for _, s in sentences]
    average = sum(lengths) / len(lengths)
    assert average <= MAX_AVERAGE_WORDS, f"{lang}: {average:.1f} words per sentence on average"
    too_long = [(k, s) for (k, s), n in zip(sentences, lengths) if n > MAX_SENTENCE_WORDS]
    assert not too_long, too_long


@pytest.mark.parametrize("lang", LANGS)
def test_no_digits_in_anything_said(lang):
    bad = {k: t for k, t in texts(lang).items() if re.search(r"\d", t)}
    assert not bad, f"digits are read out unpredictably, write the words: {bad}"


@pytest.mark.parametrize("lang", LANGS)
def test_no_abbreviations_or_symbols(lang):
    for key, text in texts(lang).items():
        assert not ABBREVIATIONS.search(text), f"{key}: {text!r}"
        capitals = set(re.findall(r"\b[A-Z]{2,}\b", text))
        assert capitals <= ALLOWED_CAPITALS, f"{key}: {sorted(capitals)} in {text!r}"


@pytest.mark.parametrize("lang", LANGS)
def test_the_words_per_sentence_counter(lang):
    assert len(words("J'ai compris {value}. C'est bien ça ?")) == 6
    assert len(words("I heard {value}. Is that right?")) == 6
