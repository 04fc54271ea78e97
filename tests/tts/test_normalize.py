"""Text for the ear: times, units, decimals, abbreviations per language; no digit ever reaches a voice."""

import re

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from voice_assistant.tts.normalize import SpeechRulesError, normalizer_for, speech_rules_dir


@pytest.fixture(scope="module")
def fr():
    return normalizer_for("fr")


@pytest.fixture(scope="module")
def en():
    return normalizer_for("en")


@pytest.mark.parametrize("text, said", [
    ("08:30", "huit heures trente"),
    ("à 8h30", "à huit heures trente"),
    ("à 20 h 15", "à vingt heures quinze"),
    ("à 21:01", "à vingt et une heures une"),
    ("1h05", "une heure cinq"),
    ("12:00", "midi"),
    ("00:00", "minuit"),
    ("à 8h", "à huit heures"),
    ("120 mg/dL", "cent vingt milligrammes par décilitre"),
    ("120 mg/dl", "cent vingt milligrammes par décilitre"),
    ("1,20 g/L", "un gramme vingt"),
    ("1,05 g/L", "un gramme zéro cinq"),
    ("0,95 g/L", "zéro gramme quatre-vingt-quinze"),
    ("2 g/L", "deux grammes par litre"),
    ("6,5 mmol/L", "six virgule cinq millimoles par litre"),
    ("1 mmol/L", "une millimole par litre"),
    ("21 mmol/mol", "vingt et une millimoles par mole"),
    ("7,4 %", "sept virgule quatre pour cent"),
    ("7.4%", "sept virgule quatre pour cent"),
    ("0,68", "zéro virgule soixante-huit"),
    ("Votre HbA1c", "Votre hémoglobine glyquée"),
    ("l'HbA1c", "l'hémoglobine glyquée"),
    ("Le Dr Martin", "Le docteur Martin"),
    ("M. Dupont et Mme Durand", "Monsieur Dupont et madame Durand"),
    ("21 UI", "vingt et une unités"),
    ("1 comprimé", "un comprimé"),
    ("de 70-180 mg/dL", "de soixante-dix à cent quatre-vingts milligrammes par décilitre"),
    ("-5 °C", "moins cinq degrés"),
    ("le 1er mars", "le premier mars"),
    ("la 2e dose", "la deuxième dose"),
    ("le 12/03/2024", "le douze mars deux mille vingt-quatre"),
    ("1 200 mg", "mille deux cents milligrammes"),
    ("12\u202f000 pas", "douze mille pas"),
    ("110 120 135", "cent dix cent vingt cent trente-cinq"),
    ("1/2 comprimé", "un demi comprimé"),
    ("2 cp/j", "deux comprimés par jour"),
    ("2 h 30 min", "deux heures trente minutes"),
    ("Appelez le 15.", "Appelez le quinze."),
    ("06 12 34 56 78", "zéro six douze trente-quatre cinquante-six soixante-dix-huit"),
    ("en mg/dL", "en milligrammes par décilitre"),
    ("vitamine B12", "vitamine B douze"),
    ("etc.", "et cetera."),
])
def test_french(fr, text, said):
    assert fr.normalize(text) == said


@pytest.mark.parametrize("text, said", [
    ("08:30", "eight thirty in the morning"),
    ("at 20:30", "at eight thirty in the evening"),
    ("8:05 pm", "eight oh five in the evening"),
    ("8 am", "eight in the morning"),
    ("at 8 a.m.", "at eight in the morning."),
    ("12 pm", "noon"),
    ("00:00", "midnight"),
    ("120 mg/dL", "one hundred and twenty milligrams per deciliter"),
    ("6.5 mmol/L", "six point five millimoles per liter"),
    ("7.4 %", "seven point four percent"),
    ("7.4%", "seven point four percent"),
    ("0.68", "zero point six eight"),
    ("1 g/L", "one gram per liter"),
    ("1.0 g/L", "one point zero grams per liter"),
    ("Your HbA1c is 7.4%.", "Your A one C is seven point four percent."),
    ("Dr. Smith", "Doctor Smith"),
    ("ask Dr Smith", "ask doctor Smith"),
    ("1 unit, 2 units", "one unit, two units"),
    ("10 U", "ten units"),
    ("70-180 mg/dL", "seventy to one hundred and eighty milligrams per deciliter"),
    ("-3.5", "minus three point five"),
    ("1,200 mg", "one thousand two hundred milligrams"),
    ("the 1st and 22nd", "the first and twenty-second"),
    ("2024-03-12", "March twelfth, two thousand and twenty-four"),
    ("03/12/2024", "March twelfth, two thousand and twenty-four"),
    ("$5.50", "five dollars fifty"),
    ("Call 911.", "Call nine one one."),
    ("1/2 tablet", "one half tablet"),
    ("e.g. a snack", "for example a snack"),
    ("A1c < 7%", "A one C below seven percent"),
])
def test_english(en, text, said):
    assert en.normalize(text) == said


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_unit_and_abbreviation_in_the_rules_is_said_in_words(lang):
    rules = yaml.safe_load((speech_rules_dir() / f"{lang}.yaml").read_text(encoding="utf-8"))
    n = normalizer_for(lang)
    for symbol, spec in rules["units"].items():
        for alias in [symbol, *(spec.get("also") or [])]:
            said = n.normalize(f"2 {alias}")
            assert not re.search(r"\d", said), (alias, said)
            assert said.endswith(spec["many"]), (alias, said)
    for abbreviation, words in rules["abbreviations"].items():
        said = n.normalize(f"x {abbreviation} y")
        assert said == f"x {words} y", (abbreviation, said)


SCRAPS = ["0", "1", "7", "12", "08", "2024", ",", ".", ":", "/", "-", " ", "%", "h", "mg/dL", "g/L", "mmol/L",
          "°C", "am", "pm", "er", "e", "st", "Dr.", "M.", "HbA1c", "a", "U", "1/2", "$", "€", "+", "<"]


@pytest.mark.parametrize("lang", ["fr", "en"])
@settings(max_examples=150, deadline=None)
@given(parts=st.lists(st.sampled_from(SCRAPS), min_size=1, max_size=12))
def test_no_digit_is_ever_left(lang, parts):
    said = normalizer_for(lang).normalize("".join(parts))
    assert not re.search(r"\d", said)


def test_sentences_keep_abbreviations_and_decimals_whole(fr, en):
    assert fr.split("M. Dupont a 1.5 g/L. Le Dr. Martin est prévenu ! Vraiment ? Oui.") == [
        "M. Dupont a 1.5 g/L.", "Le Dr. Martin est prévenu !", "Vraiment ?", "Oui."]
    assert en.split("Dr. Smith says 7.4% is fine. Call Mrs. Jones, e.g. today. Done") == [
        "Dr. Smith says 7.4% is fine.", "Call Mrs. Jones, e.g. today.", "Done"]
    assert fr.split("« C'est noté. » Autre chose ?") == ["« C'est noté. »", "Autre chose ?"]
    assert fr.split("Première ligne\nDeuxième ligne") == ["Première ligne", "Deuxième ligne"]
    assert fr.split("Il est 8 h. puis on verra.") == ["Il est 8 h. puis on verra."]
    assert fr.split("  ...  ") == []


def test_a_long_sentence_is_cut_at_clauses(en):
    long = "; ".join(["this clause is about forty characters long"] * 8) + "."
    parts = en.split(long, max_chars=100)
    assert len(parts) > 1 and all(len(p) <= 100 for p in parts)
    assert " ".join(parts) == long


def test_a_long_first_sentence_starts_with_its_first_clause(en):
    text = "I saved 120 mg/dL, before dinner, at 6:45 pm. Anything else?"
    assert en.sentences(text, quick_start_words=12) == [
        "I saved one hundred and twenty milligrams per deciliter,",
        "before dinner, at six forty-five in the evening.", "Anything else?"]
    assert len(en.sentences(text)) == 2



def test_a_long_spoken_sentence_is_cut_at_its_clauses_but_never_inside_a_number(en):
    """Written short, spoken long ("177 mg/dL" is 54 characters said): `max_spoken_chars` cuts the spoken sentence
    at its commas (Piper's working memory grows with the clip), then a clause still too long between its words
    where a voice can pause (after the number, before its unit), never inside a number."""
    text = "I heard 177 mg/dL, before a meal. Is that right?"
    assert en.sentences(text) == ["I heard one hundred and seventy-seven milligrams per deciliter, before a meal.",
                                  "Is that right?"]
    assert en.sentences(text, max_spoken_chars=40) == [
        "I heard one hundred and seventy-seven", "milligrams per deciliter,", "before a meal.", "Is that right?"]
    assert en.sentences(text, quick_start_words=6, max_spoken_chars=40) == [
        "I heard", "one hundred and seventy-seven", "milligrams per deciliter,", "before a meal.", "Is that right?"]
    # the lead first: the first audio is no longer for the cut ("You can say, for example:" would be)
    assert en.sentences("You can say, for example: my sugar is 120.", quick_start_words=6, max_spoken_chars=40) == [
        "You can say,", "for example:", "my sugar is one hundred and twenty."]


@pytest.mark.parametrize("lang, text, pieces", [
    ("en", "You already have a reminder for metformin at 8 pm.",  # was one 66-character piece
     ["You already have a reminder", "for metformin at eight in the evening."]),
    ("en", "Your last reading was 210 mg/dL this morning before breakfast.",
     ["Your last reading", "was two hundred and ten", "milligrams per deciliter", "this morning before breakfast."]),
    ("en", "I will remind you to take metformin every day at 8 pm.",  # never "every | day"
     ["I will remind you to take metformin", "every day at eight in the evening."]),
    ("fr", "Je vous rappellerai de prendre votre metformine tous les jours à 20 h.",  # never « tous | les jours »
     ["Je vous rappellerai de prendre", "votre metformine", "tous les jours à vingt heures."]),
])
def test_a_long_clause_without_punctuation_is_cut_between_its_phrases(lang, text, pieces, en, fr):
    normalizer = {"en": en, "fr": fr}[lang]
    assert normalizer.sentences(text, max_spoken_chars=40) == pieces
    assert all(len(p) <= 40 for p in pieces)


def test_a_clause_with_no_place_to_pause_stays_whole(en):
    """A phone number said digit group by digit group is all number words: no cut inside it."""
    assert en.sentences("Call 555 0100.", max_spoken_chars=20) == ["Call five hundred and fifty-five zero one zero zero."]

@pytest.mark.parametrize("lang, text, lead", [
    ("en", "I heard 120 mg/dL. Is that right?", "I heard"),  # never "I heard one | hundred"
    ("en", "125 mg/dL is in your range today.", "one hundred and twenty-five"),
    ("en", "You have one reminder: metformin at 8 am.", "You have one reminder:"),
    ("en", "Take your medicine with a glass of water after the meal.", "Take your medicine"),  # not "...your"
    ("fr", "Je vous rappellerai votre metformine tous les jours à 20 h.", "Je vous rappellerai"),
    ("fr", "Votre dernière glycémie est de 1,20 g/L ce matin.", "Votre dernière glycémie"),
    ("fr", "J'ai compris sept virgule deux millimoles par litre.", "J'ai compris"),
])
def test_the_lead_of_a_long_first_sentence_ends_where_a_voice_can_pause(lang, text, lead):
    sentences = normalizer_for(lang).sentences(text, quick_start_words=6)
    assert sentences[0] == lead
    assert " ".join(sentences[:2]) == normalizer_for(lang).sentences(text)[0]


def test_a_short_first_sentence_is_spoken_whole(en):
    assert en.sentences("Done. I will remind you.", quick_start_words=6) == ["Done.", "I will remind you."]


def test_sentences_are_normalised_per_sentence(fr):
    assert fr.sentences("Le Dr Martin a noté 1,20 g/L à 08:30. C'est bien.") == [
        "Le docteur Martin a noté un gramme vingt à huit heures trente.", "C'est bien."]


def test_region_codes_use_the_language_rules():
    assert normalizer_for("fr-FR") is normalizer_for("fr")
    assert normalizer_for("en_US") is normalizer_for("en")


def test_missing_rules_name_the_file():
    with pytest.raises(SpeechRulesError, match=r"de\.yaml"):
        normalizer_for("de")
