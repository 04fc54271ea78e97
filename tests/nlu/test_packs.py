"""Language packs: what they yield, and how a mistake in one is reported."""

import shutil
from pathlib import Path

import pytest

from voice_assistant.nlu import PackError, load_pack
from voice_assistant.nlu.packs import compile_pack, read_yaml
from voice_assistant.profile import default_profile

REPO_ROOT = Path(__file__).resolve().parents[2]


def write_pack(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "xx.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def load(path: Path):
    return compile_pack(read_yaml(path), path)


MINIMAL = """\
language: xx
intents:
  greet:
    sentences:
      - "hello [there]"
"""


def test_minimal_pack_loads(tmp_path):
    pack = load(write_pack(tmp_path, MINIMAL))
    assert [t.tokens for t in pack.intents["greet"].templates] == [("hello",), ("hello", "there")] or \
        sorted(t.tokens for t in pack.intents["greet"].templates) == [("hello",), ("hello", "there")]


def test_bad_yaml_names_file_and_line(tmp_path):
    path = write_pack(tmp_path, MINIMAL + "  bad: [unclosed\n")
    with pytest.raises(PackError) as err:
        load(path)
    assert str(path) in str(err.value) and "line" in str(err.value) and "not valid YAML" in str(err.value)


def test_duplicate_intent_names_the_line(tmp_path):
    path = write_pack(tmp_path, MINIMAL + '  greet:\n    sentences: ["hi"]\n')
    with pytest.raises(PackError) as err:
        load(path)
    assert "duplicate key 'greet'" in str(err.value) and "line 6" in str(err.value) and "line 3" in str(err.value)


def test_unknown_slot_list_names_intent_and_line(tmp_path):
    path = write_pack(tmp_path, MINIMAL + '  ask:\n    sentences:\n      - "ok"\n      - "what about {colour}"\n')
    with pytest.raises(PackError) as err:
        load(path)
    message = str(err.value)
    assert "intent 'ask'" in message and "line 9" in message and "{colour}" in message


def test_unknown_rule_and_unbalanced_template(tmp_path):
    with pytest.raises(PackError, match=r"intent 'greet', line 5: unknown rule\(s\) <wave>"):
        load(write_pack(tmp_path, MINIMAL.replace('"hello [there]"', '"hello <wave>"')))
    with pytest.raises(PackError, match=r"intent 'greet', line 5: missing '\]'"):
        load(write_pack(tmp_path, MINIMAL.replace('"hello [there]"', '"hello [there"')))


def test_word_in_two_groups_is_refused(tmp_path):
    body = MINIMAL + 'expansion_rules:\n  a: "(hi|hey)"\n  b: "(hey|yo)"\n'
    with pytest.raises(PackError, match="'hey' is in two word groups"):
        load(write_pack(tmp_path, body))


def test_missing_pack_lists_available_languages(tmp_path):
    shutil.copy(REPO_ROOT / "intents" / "en.yaml", tmp_path / "en.yaml")
    with pytest.raises(PackError, match=r"no language pack for 'de' \(available: en\)"):
        load_pack("de", str(tmp_path))


def test_pack_is_not_a_mapping(tmp_path):
    with pytest.raises(PackError, match="expected a mapping"):
        load(write_pack(tmp_path, "- just a list\n"))


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_vocabulary_covers_templates_numbers_and_medications(lang):
    pack = load_pack(lang)
    names = [n for m in default_profile().medications for n in m.names_in(lang)]
    vocab = pack.vocabulary(names)
    for word in {"fr": ["glycemie", "rappel", "vingt", "virgule", "metformine", "lantus", "jeun", "midi"],
                 "en": ["sugar", "reminder", "twenty", "point", "metformin", "lipitor", "fasting", "noon"]}[lang]:
        assert word in vocab
    assert not any(w.startswith(("{", "<")) for w in vocab)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_contract_intent_has_sentences(lang):
    contract = {"log_glucose", "glucose_history", "read_lab_results", "set_medication_reminder", "list_reminders",
                "cancel_reminder", "medication_taken", "emergency", "help", "repeat", "speak_slower",
                "speak_faster", "affirm", "deny", "cancel"}
    assert contract <= set(load_pack(lang).intents)


def test_templates_are_written_as_said_and_matched_without_their_fillers(tmp_path):
    # A template may hold a filler ("well"): the matcher drops it from the template as from what is said, so the
    # template is written as people say it (the speech recogniser's language model learns it whole), and a word
    # group or a "not" keeps the filler word where it is meant.
    pack = load(write_pack(tmp_path, """\
language: xx
fillers: [well, um, you know]
not_words: [not]
expansion_rules:
  unwell: "(unwell|feeling well)"
intents:
  fine:
    sentences:
      - "i feel [very] well [you know]"
  ill:
    sentences:
      - "i am not well"
      - "i am not <unwell>"
"""))
    assert sorted(t.tokens for t in pack.intents["fine"].templates) == [("i", "feel"), ("i", "feel", "very")]
    ill = {t.tokens for t in pack.intents["ill"].templates}
    assert ill == {("i", "am", "not", "well"), ("i", "am", "not", "<unwell>")}


def test_a_filler_in_a_template_does_not_change_what_is_understood():
    from voice_assistant.nlu import Understander

    understander = Understander("en")
    for said in ("I feel well", "I feel really well", "well, I feel very well now"):
        assert understander.understand(said).intent == "none", said
    for said in ("I don't feel well", "I feel dizzy", "well I feel really dizzy"):
        assert understander.understand(said).intent == "emergency", said


def test_medicine_rules_name_intents_and_word_groups_of_the_pack(tmp_path):
    body = MINIMAL + "expansion_rules:\n  med: \"(pill|pills)\"\nmedicine:\n  words: [<med>, dose]\n"
    pack = load(write_pack(tmp_path, body + "  doses: [greet]\n  advice_openers: [can i]\n"))
    assert pack.medicine.words == {"<med>", "dose"} and pack.medicine.doses == {"greet"}
    assert pack.medicine.advice_openers.match(("can", "i", "go"), 0) == 2
    with pytest.raises(PackError, match="'medicine.doses' and 'medicine.advice' name intents"):
        load(write_pack(tmp_path, body + "  doses: [nothing_like_it]\n"))
    with pytest.raises(PackError, match=r"unknown word group <meds>"):
        load(write_pack(tmp_path, MINIMAL + "medicine:\n  words: [<meds>]\n"))


def test_never_guessed_holds_the_words_of_its_groups(tmp_path):
    body = MINIMAL + "expansion_rules:\n  log: \"(log|record|jot down)\"\nnever_guessed: [<log>, create]\n"
    assert load(write_pack(tmp_path, body)).never_guessed == {"log", "record", "jot", "down", "create"}


def test_declines_things_hold_the_alarm_words_and_the_phrases_of_their_groups(tmp_path):
    body = MINIMAL + ("expansion_rules:\n  ill: \"(dizzy|not well)\"\nalarm_words: [ambulance]\n"
                      "declines:\n  negations: [don't]\n  between: [need, an]\n  things: [<ill>, help]\n"
                      "  direct: [\"no\"]\n")
    declines = load(write_pack(tmp_path, body)).declines
    assert declines.negations.match(("don", "t", "need"), 0) == 2 and declines.between == {"need", "an"}
    assert all(declines.things.match(p, 0) == len(p) for p in [("ambulance",), ("dizzy",), ("not", "well"), ("help",)])
    assert declines.direct.match(("no", "ambulance"), 0) == 1
    with pytest.raises(PackError, match=r"'declines.things' names an unknown word group <sick>"):
        load(write_pack(tmp_path, MINIMAL + "declines:\n  things: [<sick>]\n"))


def test_red_flags_are_alarm_words_and_declined_things_listed_once(tmp_path):
    body = MINIMAL + "alarm_words: [ambulance]\nred_flags: [chest pain, seizure]\ndeclines:\n  negations: [no]\n"
    pack = load(write_pack(tmp_path, body))
    assert pack.red_flags == (("chest", "pain"), ("seizure",))
    assert pack.alarm_words == (("ambulance",), ("chest", "pain"), ("seizure",))
    assert pack.declines.things.match(("chest", "pain"), 0) == 2  # "no chest pain" asks for nothing
    with pytest.raises(PackError, match=r"'red_flags' are alarm words already: list seizure under 'red_flags' only"):
        load(write_pack(tmp_path, MINIMAL + "alarm_words: [ambulance, seizure]\nred_flags: [seizure]\n"))
    with pytest.raises(PackError, match=r"'red_flags' must be a list of words or phrases"):
        load(write_pack(tmp_path, MINIMAL + "red_flags: {chest: pain}\n"))


def test_distress_phrases_are_alarm_words_listed_once_and_declined_unless_they_hold_a_negation(tmp_path):
    body = MINIMAL + ("alarm_words: [ambulance]\nred_flags: [seizure]\n"
                      "distress: [want to die, don't want to live, plus envie de vivre]\nnot_words: [t]\n"
                      "declines:\n  negations: [don't, never]\n  after: [plus]\n")
    pack = load(write_pack(tmp_path, body))
    assert pack.distress == (("want", "to", "die"), ("don", "t", "want", "to", "live"), ("plus", "envie", "de", "vivre"))
    assert set(pack.distress) < set(pack.alarm_words) and ("seizure",) in pack.alarm_words
    assert pack.declines.things.match(("want", "to", "die"), 0) == 3  # "I don't want to die" asks for nothing
    # a phrase holding its own negation says the not-wanting: "I really don't want to live", « je n'ai plus envie... »
    assert not pack.declines.things.match(("don", "t", "want", "to", "live"), 0)
    assert not pack.declines.things.match(("plus", "envie", "de", "vivre"), 0)
    with pytest.raises(PackError, match=r"'distress' phrases are alarm words already: list suicide under 'distress'"):
        load(write_pack(tmp_path, MINIMAL + "alarm_words: [suicide]\ndistress: [suicide]\n"))
    with pytest.raises(PackError, match=r"'distress' must be a list of words or phrases"):
        load(write_pack(tmp_path, MINIMAL + "distress: {want: die}\n"))


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_shipped_packs_have_red_flags_among_their_alarm_words(lang):
    pack = load_pack(lang)
    assert pack.red_flags and set(pack.red_flags) < set(pack.alarm_words)


def test_part_of_day_and_reminder_rules_name_intents_and_the_quantity_is_one_word(tmp_path):
    pack = load(write_pack(tmp_path, MINIMAL + "part_of_day_intents: [greet]\nreminders_for: [greet]\n"
                                              "later_when: [tomorrow]\nmedicine:\n  words: [dose]\n  quantity: dose\n"))
    assert pack.part_of_day_intents == {"greet"} and pack.reminders_for == {"greet"}
    assert pack.later_when.match(["tomorrow"], 0) == 1 and pack.medicine.quantity == "dose"
    with pytest.raises(PackError, match="'part_of_day_intents' lists intents of this pack"):
        load(write_pack(tmp_path, MINIMAL + "part_of_day_intents: [remind]\n"))
    for word in ("my dose", "cake"):  # one word, and a medicine
        with pytest.raises(PackError, match="'medicine.quantity' is one word of 'medicine.words'"):
            load(write_pack(tmp_path, MINIMAL + f"medicine:\n  words: [dose]\n  quantity: {word}\n"))


def test_a_lab_named_test_must_be_a_test_of_the_pack(tmp_path):
    path = write_pack(tmp_path, MINIMAL + "lab_named:\n  words: [lab]\n  tests:\n    fasting_sugar: [fasting sugar]\n")
    with pytest.raises(PackError, match="fasting_sugar not in the 'test' list"):
        load(path)
