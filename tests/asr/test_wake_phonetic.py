"""The phonetic distance asr/phonetic.py gives between a recogniser's first words and the wake phrase."""

from __future__ import annotations

import pytest

from voice_assistant.asr import phonetic


def test_pronunciations_come_from_the_dictionary_and_a_guess_for_made_up_words():
    assert phonetic.pronunciations("assistant") == (("AH", "S", "IH", "S", "T", "AH", "N", "T"),)
    assert ("AH",) in phonetic.pronunciations("a") and len(phonetic.pronunciations("the")) >= 2  # the variants too
    assert phonetic.pronunciations("Assistant,") == phonetic.pronunciations("assistant")
    guessed = phonetic.pronunciations("azistant")  # not in the dictionary: a letter-to-sound guess
    assert guessed and guessed[0][-3:] in {("AH", "N", "T"), ("AE", "N", "T")}
    assert phonetic.pronunciations("120") == () and phonetic.pronunciations("") == ()


def test_the_distance_is_cheap_for_reduced_vowels_and_voicing_and_dear_for_other_consonants():
    assert phonetic.distance(["AH0", "S"], ["AH", "S"]) == 0
    assert phonetic.distance(["IH", "S"], ["AH", "S"]) < phonetic.distance(["IY", "S"], ["AH", "S"])
    assert phonetic.distance(["AH", "Z"], ["AH", "S"]) < phonetic.distance(["AH", "K"], ["AH", "S"]) == 1.0
    assert phonetic.distance(["AH", "S", "T"], ["AH", "S"]) < phonetic.distance(["AH", "S", "K"], ["AH", "S"])
    assert phonetic.distance([], ["AH", "S"]) == phonetic.distance(["AH", "S"], [])  # symmetric gaps


@pytest.mark.parametrize("near, far", [
    ("assistant my glucose", "at least my glucose"),
    ("a system", "insist"),
    ("assessed in", "at least"),
    ("as is tent", "this is tense"),
    ("azistant", "is this"),
])
def test_nearer_spellings_of_the_phrase_are_nearer(near, far):
    d_near, _ = phonetic.closest_opening(near.split(), ["assistant"])
    d_far, _ = phonetic.closest_opening(far.split(), ["assistant"])
    assert d_near < d_far


def test_the_opening_counts_only_the_words_that_sound_like_the_phrase():
    d, k = phonetic.closest_opening("that's instant my glucose is 95".split(), ["assistant"])
    assert k == 2 and d < 0.5
    assert phonetic.closest_opening("assistant".split(), ["assistant"]) == (0.0, 1)
    assert phonetic.closest_opening([], ["assistant"])[1] == 0
