"""What the recognisers are told to listen for: sentences, words, language model, pronunciations."""

from __future__ import annotations

import math
import re

import pytest

from voice_assistant.asr.vocabulary import (PronunciationError, arpa_ngram, build_vocabulary, contraction_piece,
                                            guess_pronunciation, medication_names, pack_pronunciations, pronounce,
                                            speech_words)
from voice_assistant.nlu.packs import load_pack, words as pack_words
from voice_assistant.profile import default_profile


@pytest.fixture(scope="module")
def en_vocabulary():
    return build_vocabulary(load_pack("en"), medication_names(None, "en"))


def test_speech_words_keep_apostrophes_and_say_digits():
    assert speech_words("Don't forget: 8 O'Clock!") == ["don't", "forget", "eight", "o'clock"]
    assert speech_words("call 911", "en") == ["call", "nine", "one", "one"]
    assert speech_words("vingt-deux heures", "fr") == ["vingt", "deux", "heures"]
    assert speech_words("HbA1c") == ["hba1c"]


def test_every_word_the_pack_understands_can_be_heard(en_vocabulary):
    meds = medication_names(None, "en")
    heard = {piece for w in en_vocabulary.words for piece in pack_words(w)}
    pack = load_pack("en")
    assert {w for w in pack.vocabulary(meds) - heard if not (w in pack.ignore and contraction_piece(w))} == set()
    for word in ("metformin", "lantus", "januvia", "a1c", "o'clock", "seventy", "assistant"):
        assert word in en_vocabulary.words


def test_sentences_fill_slots_with_spoken_values(en_vocabulary):
    text = {" ".join(s) for s in en_vocabulary.sentences}
    joined = "\n".join(text)
    # English meters' shorthand ("one seventy seven"): some such value, whichever the sampling drew
    assert re.search(r"\bone (twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety) "
                     r"(one|two|three|four|five|six|seven|eight|nine)\b", joined)
    assert "one hundred and twenty" in joined
    assert re.search(r"\bsix point five\b", joined)
    assert re.search(r"\b(eight|nine) pm\b", joined)
    assert "metformin" in joined
    assert not any("{" in w or "<" in w for s in en_vocabulary.sentences for w in s)
    assert len(en_vocabulary.sentences) > 2000


def test_vocabulary_is_cached_and_keyed_by_medications():
    pack = load_pack("en")
    a = build_vocabulary(pack, ["metformin"])
    assert build_vocabulary(pack, ["metformin"]) is a
    b = build_vocabulary(pack, ["metformin", "zorblaxitol"])
    assert b.digest != a.digest and "zorblaxitol" in b.words


def test_french_vocabulary_builds():
    v = build_vocabulary(load_pack("fr"), medication_names(default_profile().medications, "fr"))
    joined = "\n".join(" ".join(s) for s in v.sentences)
    assert "metformine" in v.words
    assert "cent vingt" in joined
    assert "heures" in joined


def _read_arpa(text: str):
    probs, backoffs, order = {}, {}, 0
    for line in text.splitlines():
        m = re.match(r"\\(\d)-grams:", line)
        if m:
            order = int(m.group(1))
            continue
        parts = line.split()
        if order and len(parts) >= order + 1 and not line.startswith("\\"):
            gram = tuple(parts[1:order + 1])
            probs[gram] = float(parts[0])
            if len(parts) > order + 1:
                backoffs[gram] = float(parts[order + 1])
    return probs, backoffs


@pytest.mark.parametrize("order", [2, 3])
def test_arpa_model_is_normalised(order):
    sentences = [("my", "sugar", "is", "one", "twenty"), ("my", "sugar", "was", "high"), ("yes",), ("no",)]
    vocab = ["my", "sugar", "is", "was", "one", "twenty", "high", "yes", "no", "cancel"]
    text = arpa_ngram(sentences, vocab, order=order, general={"weather": 0.5, "paris": 0.5}, general_weight=0.2)
    probs, backoffs = _read_arpa(text)

    def logp(gram):
        if gram in probs:
            return probs[gram]
        return backoffs.get(gram[:-1], 0.0) + logp(gram[1:])

    targets = vocab + ["weather", "paris", "</s>"]
    histories = [(), ("my",), ("<s>",), ("sugar",), ("cancel",)] + [("<s>", "my"), ("my", "sugar")] * (order - 2)
    for history in histories:
        total = sum(10 ** logp(history + (w,)) for w in targets)
        assert math.isclose(total, 1.0, abs_tol=1e-3), (history, total)
    assert probs[("cancel",)] > -99  # a pack word no sentence used is still reachable


def test_pronunciations_come_from_the_pack_file_and_spelling():
    base = {"the": ["DH AH"], "one": ["W AH N"], "seven": ["S EH V AH N"], "o'clock": ["AH K L AA K"]}
    pron = pronounce(["metformin", "lantus", "a1c", "xq7", "oclock", "the", "zorblaxitol"], "en", base)
    assert pron.entries["metformin"][0] == "M EH T F AO R M IH N"
    assert {"metformin", "lantus", "a1c"} <= set(pron.from_pack)
    assert pron.entries["oclock"] == ["AH K L AA K"]  # the dictionary's "o'clock"
    assert "xq7" in pron.spelled  # read letter by letter: no vowel and a digit
    assert pron.guessed == ["zorblaxitol"]
    assert "zorblaxitol (" not in pron.dictionary_text()
    assert pron.dictionary_text().splitlines()[0].split()[0] == "a1c"


def test_pack_pronunciations_use_known_phones_only():
    data = pack_pronunciations("en")
    known = set(data["phones"])
    for word in ("metformin", "glucophage", "lantus", "januvia", "lipitor", "gliclazide", "novolog", "sitagliptin",
                 "atorvastatin", "ramipril", "altace", "a1c", "ldl", "hdl", "mmol", "egfr"):
        assert word in data["words"], word
        for pron in data["words"][word]:
            assert set(pron.split()) <= known


def test_a_typo_in_the_pronunciation_file_is_reported(tmp_path):
    (tmp_path / "en.yaml").write_text("phones: [M, EH, T]\nwords:\n  met: [M EH TT]\n", encoding="utf-8")
    with pytest.raises(PronunciationError, match=r"words\.met: unknown phone\(s\) TT"):
        pack_pronunciations("en", str(tmp_path))


def test_letter_to_sound_guess_is_plausible():
    assert guess_pronunciation("zorblax").split()[0] == "Z"
    assert guess_pronunciation("chat") == "CH AE T"
    assert guess_pronunciation("") == "AH"
