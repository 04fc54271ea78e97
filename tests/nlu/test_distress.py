"""A wish to die is a call for help with its own words: never nothing, never a cancel, never an everyday idiom."""

import pytest

from voice_assistant.nlu import DISTRESS, RED_FLAG, Understander

UNDERSTANDERS = {lang: Understander(lang) for lang in ("fr", "en")}


@pytest.mark.parametrize("lang, text", [
    ("en", "I want to die"),                      # "i want to" is a written filler: "die" alone is left of it
    ("en", "I just want to die"),
    ("en", "I don't want to live any more"),      # read as a cancel before
    ("en", "I don't want to live anymore"),
    ("en", "I'm going to kill myself"),
    ("en", "I want to end it all"),               # read as a cancel before
    ("en", "what's the point of living"),
    ("en", "um I want to die"),
    ("en", "I feel suicidal"),
    ("en", "help me I want to die"),
    ("en", "hi I want to die"),                   # a greeting first is left out: the wish is not
    ("en", "no I don't need an ambulance I want to die"),  # a declined stretch is left out: the wish is not
    ("fr", "je veux mourir"),
    ("fr", "j'ai plus envie de vivre"),
    ("fr", "je n'ai plus envie de vivre"),        # its own negation: nothing declined
    ("fr", "je ne veux plus vivre"),
    ("fr", "je vais me suicider"),
    ("fr", "je veux en finir"),
    ("fr", "j'ai envie de mourir"),
    ("fr", "à quoi bon vivre"),
])
def test_a_wish_to_die_is_the_emergency_path_with_its_distress(lang, text):
    result = UNDERSTANDERS[lang].understand(text)
    assert result.intent == "emergency"
    assert result.confidence >= UNDERSTANDERS[lang].pack.threshold
    assert result.entity(DISTRESS) is not None
    assert result.entity(RED_FLAG) is None


def test_the_wish_is_found_in_the_words_as_said_not_only_in_what_is_left_of_the_fillers():
    understander = UNDERSTANDERS["en"]
    extraction = understander.extractor.extract("I want to die")
    assert "want" not in extraction.words  # the written filler "i want to" is gone from what the matcher reads
    assert extraction.said == ("i", "want", "to", "die")
    assert understander.understand("I want to die").entity(DISTRESS) == "want to die"


@pytest.mark.parametrize("lang, text", [
    ("en", "I don't want to die"),
    ("en", "I do not want to die"),
    ("en", "I'm not going to kill myself"),
    ("en", "I would never kill myself"),
    ("en", "I won't kill myself"),                # "won't" declines like "don't" ("I won't need an ambulance" too)
    ("en", "I wouldn't want to die"),
    ("fr", "je ne veux pas mourir"),
    ("fr", "j'ai pas envie de mourir"),
    ("fr", "je n'ai pas envie de mourir"),
    ("fr", "je ne vais pas me suicider"),
])
def test_a_declined_wish_is_no_distress(lang, text):
    # it may be fear: what the pack does with a declined alarm word (the stretch asks for nothing), not the distress
    result = UNDERSTANDERS[lang].understand(text)
    assert result.entity(DISTRESS) is None
    assert result.intent != "emergency"


@pytest.mark.parametrize("lang, text", [
    ("en", "I'm dying for a cup of tea"),
    ("en", "this heat is killing me"),
    ("en", "I'd kill for a biscuit"),
    ("en", "my phone died"),
    ("en", "my battery is dead"),
    ("en", "I'm dead tired"),
    ("en", "this is killing me"),
    ("en", "my feet are killing me"),
    ("en", "I want to diet"),
    ("en", "I want to live to a hundred"),
    ("fr", "je meurs de faim"),
    ("fr", "je suis mort de fatigue"),
    ("fr", "je suis morte de rire"),
    ("fr", "je meurs de chaud"),
    ("fr", "ça me tue"),
    ("fr", "tu vas me tuer"),
    ("fr", "mon téléphone est mort"),
    ("fr", "j'ai envie de vivre longtemps"),
])
def test_everyday_idioms_stay_out_of_the_emergency_path(lang, text):
    result = UNDERSTANDERS[lang].understand(text)
    assert result.intent != "emergency"
    assert result.entity(DISTRESS) is None
