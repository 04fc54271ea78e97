"""The number, unit and time grammars: every form the understanding issue lists, in both languages."""

import pytest

from voice_assistant.nlu import Understander


@pytest.fixture(scope="module")
def fr():
    return Understander("fr")


@pytest.fixture(scope="module")
def en():
    return Understander("en")


@pytest.mark.parametrize("text, mg_dl", [
    ("un gramme vingt", 120),
    ("ma glycémie est à 1,20", 120),
    ("zéro virgule soixante-huit", 68),
    ("zero virgule soixante huit gramme", 68),
    ("un gramme zéro six", 106),
    ("deux grammes", 200),
    ("j'étais à un vingt", 120),
    ("six virgule cinq millimoles", 117.1),
    ("7,2 mmol", 129.7),
    ("cent vingt milligrammes par décilitre", 120),
    ("cent vingt-huit", 128),
    ("quatre vingt huit", 88),
    ("quatre-vingt-dix-sept", 97),
    ("1,35", 135),
])
def test_french_glucose_values(fr, text, mg_dl):
    result = fr.understand(text)
    assert result.intent == "log_glucose"
    assert result.slots["glucose_mg_dl"] == pytest.approx(mg_dl, abs=0.05)


@pytest.mark.parametrize("text, mg_dl", [
    ("one eighteen", 118),
    ("one oh nine", 109),
    ("two oh five after lunch", 205),
    ("a hundred and thirty", 130),
    ("one hundred twenty five", 125),
    ("six point five mmol", 117.1),
    ("my sugar is 6.5", 117.1),
    ("142 milligrams per deciliter", 142),
    ("ninety five", 95),
    # whisper writes some numbers in digits and keeps the words around them
    ("my reading is a hundred and 12 before lunch", 112),
    ("it was 200 and 5", 205),
    ("my blood sugar was 120 mg/dL.", 120),
    ("Glucose 105, fasting.", 105),
])
def test_english_glucose_values(en, text, mg_dl):
    result = en.understand(text)
    assert result.intent == "log_glucose"
    assert result.slots["glucose_mg_dl"] == pytest.approx(mg_dl, abs=0.05)


@pytest.mark.parametrize("text, mg_dl", [
    ("my sugar was 100 in 60", 160), ("100 in 60", 160), ("it came out at 200 in 30 after lunch", 230),
    ("it was 100 in 60 milligrams", 160), ("i was 100 in 60 this morning", 160),
])
def test_whispers_in_for_the_and_of_hundreds_joins_them(en, text, mg_dl):
    # ("my sugar was 100 in 60" was read as 60, a low, the last number said)
    result = en.understand(text)
    assert result.intent == "log_glucose"
    assert result.slots["glucose_mg_dl"] == pytest.approx(mg_dl)


@pytest.mark.parametrize("text", [
    "my sugar was 100 in 60 minutes after lunch", "i walked 100 in 20 minutes", "i went from 300 in 2 days",
    "my sugar was 100 in 5", "my sugar was 700 in 60", "i took 100 in 10 units", "100 in 60 point 5",
])
def test_in_joins_no_time_no_count_no_single_digit_and_no_hundreds_above_a_meter(en, text):
    from voice_assistant.nlu.numbers import tokens_with_digits

    tokens = tokens_with_digits(text, en.pack.numbers)
    assert "in" in tokens, tokens  # left as said: two numbers


def test_in_joins_nothing_in_a_pack_without_written_joiners(fr):
    from voice_assistant.nlu.numbers import tokens_with_digits

    assert not fr.pack.numbers.written_joiners
    assert tokens_with_digits("100 in 60", fr.pack.numbers) == ["100", "in", "60"]


def test_unit_said_or_inferred_is_reported(fr):
    said = fr.understand("un gramme vingt").glucose  # one typed value: number, unit, words, mg/dL
    assert (said.value, said.unit.value, said.unit_said, said.words, said.mg_dl) == (1.2, "g/L", True,
                                                                                     "1 gramme 20", 120)
    inferred = fr.understand("j'ai 1,35").glucose
    assert inferred.unit.value == "g/L" and inferred.unit_said is False


def test_profile_meter_unit_decides_small_bare_values():
    from dataclasses import replace

    from voice_assistant.health.glucose import GlucoseUnit
    from voice_assistant.profile import default_profile

    profile = replace(default_profile(), meter_unit=GlucoseUnit.MMOL_L)
    result = Understander("fr", profile).understand("ma glycémie est à 6,5")
    assert result.slots["glucose_mg_dl"] == pytest.approx(117.1)


@pytest.mark.parametrize("text, time", [
    ("rappelle-moi la metformine à huit heures et demie", "08:30"),
    ("rappelle-moi la metformine à sept heures et quart", "07:15"),
    ("rappelle-moi la metformine à neuf heures moins le quart", "08:45"),
    ("rappelle-moi la metformine à midi", "12:00"),
    ("rappelle-moi la metformine à minuit", "00:00"),
    ("rappelle-moi la metformine à vingt-deux heures", "22:00"),
    ("rappelle-moi la metformine à neuf heures du soir", "21:00"),
    ("rappelle-moi la metformine à 8 h 30", "08:30"),
    ("rappelle-moi la metformine à 20h", "20:00"),
    ("rappelle moi la metformine a huit heures", "08:00"),
    ("rappelle-moi l'aspirine à midi et demi", "12:30"),
    ("rappelle-moi la metformine à dix-neuf heures trente", "19:30"),
    ("rappelle-moi la metformine à une heure de l'après-midi", "13:00"),
])
def test_french_times(fr, text, time):
    result = fr.understand(text)
    assert result.intent == "set_medication_reminder"
    assert result.slots == {"medication": "metformin" if "metformine" in text else "aspirin", "time": time}


@pytest.mark.parametrize("text, time", [
    ("remind me to take metformin at 8 pm", "20:00"),
    ("remind me to take metformin at half past eight in the morning", "08:30"),
    ("remind me to take metformin at quarter to seven", "06:45"),
    ("remind me to take metformin at seven fifteen", "07:15"),
    ("remind me to take metformin at noon", "12:00"),
    ("remind me to take metformin at midnight", "00:00"),
    ("remind me to take metformin at ten at night", "22:00"),
    ("remind me to take metformin at 7:45 am", "07:45"),
    ("remind me to take metformin at ten o'clock tonight", "22:00"),
    ("remind me to take metformin at twenty to six in the evening", "17:40"),
    ("remind me to take metformin at eight", "08:00"),
])
def test_english_times(en, text, time):
    result = en.understand(text)
    assert result.intent == "set_medication_reminder"
    assert result.slots == {"medication": "metformin", "time": time}


def test_a_number_is_a_time_or_a_glucose_value_by_what_the_sentence_is_about(en):
    assert en.understand("my sugar was one thirty three this morning").slots["glucose_mg_dl"] == 133
    assert en.understand("lantus nine thirty").slots == {"medication": "insulin_glargine", "time": "09:30"}


@pytest.mark.parametrize("lang, text, med", [
    ("fr", "j'ai pris mon Glucophage", "metformin"),
    ("fr", "j'ai pris ma met formine", "metformin"),
    ("fr", "j'ai pris mon kardegic", "aspirin"),
    ("fr", "j'ai fait mon insuline lente", "insulin_glargine"),
    ("en", "i took my lipiter", "atorvastatin"),
    ("en", "i took my novolog", "insulin_aspart"),
    ("en", "i took my long acting insulin", "insulin_glargine"),
])
def test_medication_names_are_matched_fuzzily(lang, text, med):
    result = Understander(lang).understand(text)
    assert result.intent == "medication_taken"
    assert result.slots.get("medication") == med


@pytest.mark.parametrize("lang, text, mg_dl", [
    ("en", "it was 250 and i took 10 units", 250),           # the last number said is a dose, not a reading
    ("en", "my sugar was two fifty and i took ten units", 250),
    ("fr", "ma glycémie était à 2,50 et j'ai fait 10 unités", 250),
])
def test_a_quantity_of_medicine_is_no_glucose_value(fr, en, lang, text, mg_dl):
    result = (fr if lang == "fr" else en).understand(text)
    assert result.slots.get("glucose_mg_dl") == pytest.approx(mg_dl)


@pytest.mark.parametrize("lang, text", [
    ("en", "i took 2 tablets"),
    ("en", "i took 10 units of insulin"),
    ("fr", "j'ai pris 2 comprimés"),
])
def test_a_quantity_of_medicine_is_no_clock_time(fr, en, lang, text):
    result = (fr if lang == "fr" else en).understand(text)
    assert "time" not in result.slots and "glucose_mg_dl" not in result.slots


def test_a_time_next_to_a_quantity_is_still_a_time(en):
    assert en.understand("remind me to take 2 pills at 8 pm").slots.get("time") == "20:00"


@pytest.mark.parametrize("text, intent, time", [
    # whisper writes "seven fifteen" as 715 or 7.15 (heard on eSpeak voices): a clock time where a time is meant
    ("remind me at 715 in the morning", "set_medication_reminder", "07:15"),
    ("remind me at 7.15 in the morning", "set_medication_reminder", "07:15"),
    ("cancel the reminder at 915", "cancel_reminder", "09:15"),
    ("cancel the reminder at 9.15", "cancel_reminder", "09:15"),
    ("remind me to take metformin at 630 pm", "set_medication_reminder", "18:30"),
    ("set a reminder for 845 tonight", "set_medication_reminder", "20:45"),
])
def test_a_clock_time_written_as_one_number(en, text, intent, time):
    result = en.understand(text)
    assert (result.intent, result.slots.get("time")) == (intent, time)
    assert "glucose_mg_dl" not in result.slots


@pytest.mark.parametrize("text, mg_dl", [
    ("i was at 115 this morning", 115),   # "one fifteen": a reading, not 1:15
    ("glucose 105 tonight", 105),
    ("i was at 115", 115),
    ("my sugar is 7.15", 128.8),
])
def test_a_reading_is_not_taken_for_a_clock_time(en, text, mg_dl):
    result = en.understand(text)
    assert result.intent == "log_glucose" and result.slots["glucose_mg_dl"] == pytest.approx(mg_dl, abs=0.05)


@pytest.mark.parametrize("lang, text, mg_dl", [
    ("en", "my sugar was seven and a half", 135.1),
    ("en", "five and a half this morning", 99.1),
    ("en", "it's 7 and a half mmol", 135.1),
    ("fr", "ma glycémie est de un gramme et demi", 150),
    ("fr", "j'ai 1 gramme et demi à jeun", 150),
    ("fr", "sept et demi millimoles", 135.1),   # 7.5 mmol/L, not 7:30
])
def test_a_half_said_after_a_small_value_is_point_five(fr, en, lang, text, mg_dl):
    """"seven and a half" was 7 mmol/L, « un gramme et demi » 1 g/L: half the value lost."""
    result = (fr if lang == "fr" else en).understand(text)
    assert result.intent == "log_glucose" and result.slots["glucose_mg_dl"] == pytest.approx(mg_dl, abs=0.05)


def test_no_half_is_added_to_a_value_in_mg_dl_and_a_time_keeps_its_half(fr, en):
    assert en.understand("i was a hundred and a half").slots.get("glucose_mg_dl") != 100.5
    assert fr.understand("rappelle-moi la metformine à sept heures et demie").slots["time"] == "07:30"


@pytest.mark.parametrize("text, time", [
    ("remind me to take my aspirin at half six in the evening", "18:30"),
    ("remind me to take metformin at half seven every evening", "19:30"),
    ("remove the metformin reminder at half seven in the morning", "07:30"),
    ("remind me to take my aspirin at half six", "06:30"),
])
def test_half_before_the_hour_is_half_past_as_said_in_britain(en, text, time):
    assert en.understand(text).slots["time"] == time


@pytest.mark.parametrize("text", [
    "remind me to water the plants tonight",
    "remind me to water the plants at six",
    "remind me about the palace",
])
def test_a_real_word_is_no_misheard_medicine_name(en, text):
    """"plants" is spelled like "lantus" (83 %), and "remind me to water the plants" set a Lantus reminder."""
    result = en.understand(text)
    assert result.intent != "set_medication_reminder" and "medication" not in result.slots


def test_a_made_up_word_may_still_be_a_misheard_medicine_name(en):
    assert en.understand("i took my lipiter").slots.get("medication") == "atorvastatin"
    assert en.understand("remind me to take my metforming at six").slots.get("medication") == "metformin"


@pytest.mark.parametrize("lang, text, mg_dl, context", [
    # said in one breath, the number words run together: "twenty two", « vingt-deux »
    ("en", "one twenty, two hours after lunch", 120, "after_meal"),        # was a reminder at 01:22
    ("en", "a hundred and twenty two hours after lunch", 120, "after_meal"),
    ("en", "one fifty, three hours after my lunch", 150, "after_meal"),
    ("en", "my sugar was one twenty two hours ago", 120, None),            # was 18 mg/dL (1 mmol/L)
    ("en", "300, 2 hours after lunch", 300, "after_meal"),                 # was no value ("300,2")
    ("fr", "un gramme vingt, deux heures après le repas", 120, "after_meal"),   # was 100
    ("fr", "cent vingt deux heures après le repas", 120, "after_meal"),          # was 122
    ("fr", "un gramme nonante, deux heures après le repas", 190, "after_meal"),  # was 192
    ("fr", "120, 2 heures après le repas", 120, "after_meal"),
])
def test_how_long_after_a_meal_is_not_part_of_the_value(fr, en, lang, text, mg_dl, context):
    result = (fr if lang == "fr" else en).understand(text)
    assert result.intent == "log_glucose" and result.slots["glucose_mg_dl"] == mg_dl, result
    assert result.slots.get("context") == context


@pytest.mark.parametrize("lang, text, slots", [
    ("en", "a hundred and twenty two", {"glucose_mg_dl": 122}),
    ("fr", "ma glycémie est à un gramme vingt-deux", {"glucose_mg_dl": 122}),
    ("fr", "ma glycémie est à 1,20", {"glucose_mg_dl": 120}),
    ("fr", "rappelle-moi la metformine à vingt-deux heures après le dîner", {"medication": "metformin",
                                                                            "time": "22:00"}),
    ("en", "remind me at twenty two hours", {"time": "22:00"}),
])
def test_a_number_alone_keeps_all_its_words(fr, en, lang, text, slots):
    result = (fr if lang == "fr" else en).understand(text)
    assert result.slots == slots, result
