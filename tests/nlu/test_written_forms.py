"""What the recognisers write (whisper's digits and clock times, "8" for "ate", misheard units, compounds in two
words; small words doubled or inserted) is read as what was said, and only there: each rule is tested both ways."""

import pytest

from voice_assistant.nlu import Understander
from voice_assistant.nlu.packs import compile_pack, load_pack, packs_dir, read_yaml
from voice_assistant.nlu.times import find_times

EN = Understander("en")
FR = Understander("fr")


def _read(text, understander=EN):
    result = understander.understand(text)
    return result.intent, dict(result.slots)


@pytest.mark.parametrize("text, time", [
    ("remind me metformin at 8 every evening", "20:00"),
    ("remind me metformin at eight every evening", "20:00"),
    ("remind me to take lantus at 10 every night", "22:00"),
    ("remind me at 7 for my metformin tonight", "19:00"),
    ("remind me at 3 this afternoon for my aspirin", "15:00"),
    # the other way: a morning, a number or another time in between, an hour with its own mark
    ("remind me at 7 every morning", "07:00"),
    ("remind me at 7 in the morning and at 8 in the evening", "07:00"),
    ("remind me at 6 and at 9 tonight", "06:00"),
    ("remind me at 12 every evening", "12:00"),
])
def test_an_hour_with_the_evening_said_later_is_pm(text, time):
    intent, slots = _read(text)
    assert intent == "set_medication_reminder"
    assert slots["time"] == time


def test_the_evening_said_later_in_french():
    assert _read("rappelle-moi la metformine à 8 heures tous les soirs", FR)[1]["time"] == "20:00"
    assert _read("rappelle-moi la metformine à 8 heures tous les matins", FR)[1]["time"] == "08:00"


def test_the_evening_said_later_reaches_only_a_few_words():
    pack = load_pack("en")
    tokens = "at 8 for my pills and then much later something else tonight".split()
    (span,) = find_times(tokens, pack.time)
    assert span.value == "08:00"
    assert find_times("at 8 for my pills tonight".split(), pack.time)[0].value == "20:00"


@pytest.mark.parametrize("text, medication, time", [
    ("remind me take gliclazide 630", "gliclazide", "06:30"),
    ("remind me my januvia 1045", "sitagliptin", "10:45"),
    ("remind me lantus 915 every night", "insulin_glargine", "21:15"),
    ("remind me to take my ramipril at 830 pm", "ramipril", "20:30"),
])
def test_a_clock_time_written_as_one_number_after_a_medicine_in_a_reminder(text, medication, time):
    intent, slots = _read(text)
    assert intent == "set_medication_reminder"
    assert slots == {"medication": medication, "time": time}


@pytest.mark.parametrize("text, intent, value", [
    ("log 130", "log_glucose", 130),
    ("my sugar was 130 after my metformin", "log_glucose", 130),
])
def test_a_number_after_a_medicine_outside_a_reminder_stays_a_value(text, intent, value):
    got, slots = _read(text)
    assert got == intent
    assert slots["glucose_mg_dl"] == value
    assert "time" not in slots


def test_a_dose_said_with_a_bare_number_gets_no_clock_time():
    assert "time" not in _read("i took my metformin 130")[1]


@pytest.mark.parametrize("text, slots", [
    ("can you remind me to take my metformin at lunch time", {"medication": "metformin", "time": "12:00"}),
    ("95 at bed time", {"glucose_mg_dl": 95, "context": "bedtime"}),
    ("bed time reading 144", {"glucose_mg_dl": 144, "context": "bedtime"}),
])
def test_a_compound_written_in_two_words_is_the_word(text, slots):
    assert _read(text)[1] == slots


def test_compounds_are_only_pack_words_made_of_pack_words():
    compounds = EN.extractor._compounds
    assert compounds[("lunch", "time")] == "lunchtime"
    assert compounds[("bed", "time")] == "bedtime"
    # small words, contractions and negations make no compound ("we ll" is "we'll", "can not" stays two words)
    assert ("we", "ll") not in compounds and ("can", "not") not in compounds and ("to", "day") not in compounds
    # a phrase the pack says in two words stays two words
    assert ("night", "time") not in compounds


@pytest.mark.parametrize("text, slots", [
    ("i checked it before i 8 and got 101", {"glucose_mg_dl": 101, "context": "before_meal"}),
    ("before i 8 it was 6.2", {"glucose_mg_dl": 111.7, "context": "before_meal"}),
])
def test_ate_written_as_8(text, slots):
    intent, got = _read(text)
    assert intent == "log_glucose"
    assert got == pytest.approx(slots)


@pytest.mark.parametrize("text, value", [
    ("i was 8 point 1", 145.9),       # a decimal word after it
    ("i 8", 144.1),                  # no other number: the 8 is the value
    ("before breakfast i was 8", 144.1),
])
def test_an_8_that_is_a_value_stays_one(text, value):
    intent, slots = _read(text)
    assert intent == "log_glucose"
    assert slots["glucose_mg_dl"] == pytest.approx(value)


def test_an_8_before_a_dose_word_stays_a_number():
    words = EN.extractor.extract("i 8 units and then 4 more").words
    assert "8" in words and "ate" not in words


@pytest.mark.parametrize("text, slots", [
    ("a 1st thing this morning i was at 122", {"glucose_mg_dl": 122, "context": "fasting"}),
    ("1st thing in the morning it was 6.1", {"glucose_mg_dl": 109.9, "context": "fasting"}),
])
def test_ordinals_written_with_digits(text, slots):
    intent, got = _read(text)
    assert intent == "log_glucose"
    assert {k: got.get(k) for k in slots} == pytest.approx(slots)


@pytest.mark.parametrize("text, value", [
    ("my reading is 5.8 ml per liter", 104.5),
    ("5.8 mm all", 104.5),
    ("it was 7.2m all", 129.7),
    ("i was 6.5mm all after lunch", 117.1),
])
def test_mmol_as_whisper_writes_it(text, value):
    intent, slots = _read(text)
    assert intent == "log_glucose"
    assert slots["glucose_mg_dl"] == pytest.approx(value)


@pytest.mark.parametrize("text, slots", [
    ("glucose 168 milligrams per decilator", {"glucose_mg_dl": 168}),
    ("168 milligrams per decilator", {"glucose_mg_dl": 168}),
    ("my sugar is 168 mg per decilator", {"glucose_mg_dl": 168}),
    ("my sugar is 142 milligrams per decaliter", {"glucose_mg_dl": 142}),
    ("it was 95 milligram per deciliter before breakfast", {"glucose_mg_dl": 95, "context": "fasting"}),
])
def test_mg_dl_as_whisper_writes_it(text, slots):
    # ("milligrams" alone was read as the unit, and "per decilator" left to the matcher put the reading under the bar)
    assert _read(text) == ("log_glucose", slots)


def test_a_unit_as_written_is_read_after_a_number_only():
    tokens = EN.extractor.extract("what does milligrams per decilator mean").words
    assert "decilator" in tokens  # no number before it: left as written
    assert "decilator" not in EN.extractor.extract("168 milligrams per decilator").words


@pytest.mark.parametrize("text", ["i took 10ml", "i took 10 ml of syrup"])
def test_millilitres_are_no_glucose_value(text):
    assert "glucose_mg_dl" not in _read(text)[1]


def test_written_forms_are_no_words_of_the_pack():
    """Read by the understanding only: never taught to the recognisers through the pack's vocabulary."""
    path = packs_dir() / "en.yaml"
    data = read_yaml(path)
    assert data.get("written")
    with_them = compile_pack(data, path)
    without = compile_pack({k: v for k, v in data.items() if k != "written"}, path)
    assert with_them.written.units and not without.written.units
    assert with_them.written.fillers and not without.written.fillers
    assert with_them.vocabulary() == without.vocabulary()
    assert "huge" not in with_them.vocabulary()  # ("big" is: "i had a big low")


@pytest.mark.parametrize("text, slots", [
    ("after my big dinner it was 190", {"glucose_mg_dl": 190, "context": "after_meal"}),
    ("after a huge lunch i was two oh one", {"glucose_mg_dl": 201, "context": "after_meal"}),
])
def test_the_size_of_a_meal_changes_nothing_asked(text, slots):
    assert _read(text) == ("log_glucose", slots)


def test_a_word_dropped_from_what_is_said_stays_in_a_sentence_of_the_pack():
    # "big" in "i had a big low" is dropped (the template's [big] is optional); it never turns a low into nothing
    assert _read("i had a big low last night") == ("report_hypo", {"meter_extreme": "LO", "period": "yesterday"})
    assert _read("I had a big breakfast")[0] == "none"


@pytest.mark.parametrize("text, value", [("that meter shows two o five", 205), ("the meter says one o eight", 108)])
def test_hundreds_said_with_o(text, value):
    assert _read(text) == ("log_glucose", {"glucose_mg_dl": value})


@pytest.mark.parametrize("text, value", [
    ("i had my lunch about 2 hours ago and now it's 190", 190),
    ("i had my breakfast an hour ago and now my sugar is 173", 173),
    ("i ate 2 hours ago and it's 8.2", 147.7),
])
def test_a_meal_before_how_long_ago_is_after_the_meal(text, value):
    intent, slots = _read(text)
    assert intent == "log_glucose"
    assert slots == pytest.approx({"glucose_mg_dl": value, "context": "after_meal"})


def test_a_meal_long_ago_without_a_value_is_no_reading():
    assert _read("i had dinner 3 hours ago")[0] != "log_glucose"
    assert "context" not in _read("i had my lantus an hour ago")[1]


@pytest.mark.parametrize("text", [
    "My heart is racing and I'm sweating buckets.",
    "my heart is racing and and sweating buckets",
    "my heart is racing in and i'm sweating buckets",
    "my heart is racing",
])
def test_a_group_phrase_with_a_small_word_inside_is_the_phrase(text):
    assert _read(text)[0] == "emergency"


@pytest.mark.parametrize("text, test", [
    ("what is my lddl", "ldl"),
    ("whats my hddl", "hdl"),
    ("turglicerides please", "triglycerides"),
])
def test_lab_names_run_together_or_misspelt(text, test):
    assert _read(text) == ("read_lab_results", {"test": test})


def test_a_long_name_glued_from_several_words_keeps_the_strict_bar():
    """"blood glucose" glued is close to "blood glucose test" (85.7): a reading said with it stays a reading."""
    intent, slots = _read("my blood glucose is 5.8")
    assert intent == "log_glucose" and "test" not in slots


def test_doubled_letters_only_for_short_names_of_a_spelling_tolerant_list():
    # "loo" is "lo" (a meter's LO) with a letter doubled, but that list is read as said
    assert "meter_extreme" not in _read("i need the loo")[1]


@pytest.mark.parametrize("lang, text, time", [
    ("en", "remind me to take my lantus at 2130", "21:30"),
    ("fr", "rappelle-moi de prendre mon lantus à 2130", "21:30"),
    ("fr", "rappelle-moi la metformine 630", "06:30"),
])
def test_a_24_hour_clock_time_written_as_one_number(lang, text, time):
    intent, slots = _read(text, EN if lang == "en" else FR)
    assert intent == "set_medication_reminder"
    assert slots["time"] == time


@pytest.mark.parametrize("text, slots", [
    ("j'ai mangé il y a deux heures et là j'ai 1,80", {"glucose_mg_dl": 180, "context": "after_meal"}),
    ("j'ai déjeuné il y a une heure et ma glycémie est à 1,45", {"glucose_mg_dl": 145, "context": "after_meal"}),
])
def test_a_meal_before_how_long_ago_in_french(text, slots):
    assert _read(text, FR) == ("log_glucose", pytest.approx(slots))


def test_a_meal_long_ago_without_a_value_in_french():
    assert _read("j'ai mangé il y a deux heures", FR)[0] != "log_glucose"


def test_spelling_correction_prefers_the_word_heard_with_an_ending_added():
    """"cancelled" is as close to "called" as to "cancel" (80): the word it begins like is meant."""
    assert EN.matcher.words(("cancelled", "the", "reminder"))[0] == "<cancel_verb>"
    intent, slots = _read("cancelled the reminder for my long acting insulin at 10 at night")
    assert intent == "cancel_reminder" and slots["time"] == "22:00"


@pytest.mark.parametrize("text, value", [("my sugar was 8.1 am all", 145.9), ("it was 6.3 am all after lunch", 113.5)])
def test_mmol_written_with_an_hour_mark_after_a_decimal(text, value):
    intent, slots = _read(text)
    assert intent == "log_glucose"
    assert slots["glucose_mg_dl"] == pytest.approx(value)


def test_an_hour_mark_after_a_whole_number_stays_a_time():
    extraction = EN.extractor.extract("remind me at 8 am all week")
    assert [s.value for s in extraction.spans if s.slot == "time"] == ["08:00"]
    assert not extraction.all("glucose")


def test_nevermind_in_one_word_declines_the_ambulance():
    assert _read("nevermind ambulance")[0] == "none"
    assert _read("call an ambulance")[0] == "emergency"


def test_no_compound_of_a_word_only_said_inside_a_longer_name():
    """"aspartate" is only said in "aspartate transaminase": "my aspart ate" stays a medicine and a verb."""
    assert ("aspart", "ate") not in EN.extractor._compounds


@pytest.mark.parametrize("lang, text", [
    ("en", "i had a hypo at 3 last night"),
    ("fr", "j'ai fait une hypo à 3 heures cette nuit"),
])
def test_last_night_said_after_an_hour_keeps_the_small_hours(lang, text):
    assert _read(text, EN if lang == "en" else FR)[1]["time"] == "03:00"
