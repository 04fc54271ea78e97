"""The hands-free wake rule (asr/wake.py, `WakeRule`) with two engines' readings: which utterances open with the
wake phrase, and which words are the request after it. Pure rules, no audio (the spotter's ear and the loop are
tested in tests/live/test_wake_spotter.py)."""

from __future__ import annotations

import math

import pytest

from voice_assistant.asr.base import Transcript
from voice_assistant.asr.wake import (WakeCheck, WakeRule, clearly_understood, engine_readings, likelihood_of,
                                       scorer_of)

RULE = WakeRule(("assistant",))
START = 10.0
NEAR = [10.8]  #: the spotter heard the phrase end 0.8 s into the utterance


def w(text: str) -> list[str]:
    return text.split()


def test_one_engine_opening_with_the_phrase_is_enough_when_the_spotter_heard_it():
    chosen = w("that's instant my glucose is 95")
    readings = [w("assistant my glucose is ninety five"), chosen]
    assert RULE.opens(START, NEAR, chosen, readings)
    # without the other engine's reading, the chosen words alone do not open with it
    assert not RULE.opens(START, NEAR, chosen)
    assert not WakeRule(("assistant",), any_reading=False).opens(START, NEAR, chosen, readings)


def test_one_engine_is_not_enough_when_the_spotter_heard_nothing_near_the_start():
    chosen = w("that's instant my glucose is 95")
    readings = [w("assistant my glucose is ninety five"), chosen]
    assert not RULE.opens(START, [], chosen, readings)
    assert not RULE.opens(START, [13.5], chosen, readings)  # heard later in the utterance
    # the TV: one engine's language model loves the word, the other heard something else
    assert not RULE.opens(START, [], w("assistant coach will lead"), [w("assistant coach will lead"),
                                                                     w("the assistant coach will lead")])


def test_every_engine_opening_with_the_phrase_stands_for_a_spotter_that_missed_it():
    both = [w("assistant help"), w("assistant help")]
    assert RULE.opens(START, [], w("assistant help"), both)
    assert not WakeRule(("assistant",), agreement=False).opens(START, [], w("assistant help"), both)
    # one engine alone (no second reading) is not an agreement
    assert not RULE.opens(START, [], w("assistant help"), [w("assistant help")])
    assert not RULE.opens(START, [], w("assistant help"))


def test_no_spotter_for_the_language_keeps_the_chosen_transcript_as_the_gate():
    """French here: no keyphrase model, the recogniser's chosen words decide, « assistant » first."""
    rule = WakeRule(("assistant",))
    assert rule.opens(START, None, w("assistant ma glycémie est de cent vingt"))
    assert not rule.opens(START, None, w("l'assistant du chef a dit"), [w("assistant du chef a dit")] * 2)


def test_the_chosen_words_are_compared_without_case_or_punctuation():
    assert RULE.opens(START, NEAR, w("Assistant, what time is it?"))
    assert RULE.request(w("Assistant, what time is it")) == w("what time is it")


@pytest.mark.parametrize("chosen, other, wanted", [
    ("that's instant my glucose is 95", "assistant my glucose is ninety five", "my glucose is 95"),
    ("assessedin how was my week", "assistant how was my week", "how was my week"),
    ("assistant help", "assistant help", "help"),
    ("assistant assistant what time is it", "assistant what time is it", "what time is it"),
    ("assistant", "assistant", ""),
    # the word after the phrase is not among the chosen reading's first words: nothing is dropped
    ("that's instant my glucose is 95", "assistant the glucose", "that's instant my glucose is 95"),
    ("a b c d my glucose is 95", "assistant my glucose", "a b c d my glucose is 95"),
])
def test_the_request_leaves_out_the_words_put_in_the_phrase_s_place(chosen, other, wanted):
    assert RULE.request(w(chosen), [w(other), w(chosen)]) == w(wanted)


def test_engine_readings_are_each_engine_s_text_from_a_combined_transcript():
    combined = Transcript("that's instant my glucose is 95", engine="whisper", info={"engines": {
        "pocketsphinx": {"text": "assistant my glucose is ninety five", "confidence": 0.7},
        "whisper": {"text": "that's instant my glucose is 95", "confidence": 0.8}}})
    assert engine_readings(combined) == ("assistant my glucose is ninety five", "that's instant my glucose is 95")
    assert engine_readings(Transcript("assistant help", engine="pocketsphinx")) == ()
    assert engine_readings(Transcript("x", info={"engines": "broken"})) == ()


class Scored:
    def __init__(self, text: str, token_probs: tuple[float, ...]):
        self.text, self.token_probs = text, token_probs


def scorer_reading(heard: str, other: float = 0.2):
    """A second engine's model for the tests: each word of `heard` at its place scores 0.9, any other word
    `other` (one token a word, as a stand-in for whisper's teacher-forced `score`)."""
    said = heard.split()

    def score(audio: bytes, texts):
        assert audio == b"pcm"
        out = []
        for t in texts:
            words = t.split()
            out.append(Scored(t, tuple(0.9 if i < len(said) and w == said[i] else other
                                       for i, w in enumerate(words))))
        return out
    return score


def test_the_check_needs_the_spotter_near_the_start_and_no_reading_opening_with_the_phrase():
    misheard = w("that isn't speak more slowly")
    assert RULE.needs_check(START, NEAR, misheard, [misheard, w("uh seeing students speak more slowly")])
    assert not RULE.needs_check(START, [], misheard)  # the spotter heard nothing near the start
    assert not RULE.needs_check(START, None, misheard)  # no spotter for the language (French here)
    assert not RULE.needs_check(START, NEAR, w("assistant speak more slowly"))  # already open
    assert not RULE.needs_check(START, NEAR, [])  # nothing heard


def test_the_check_opens_an_utterance_that_reads_as_well_with_the_phrase_at_its_start():
    # the audio says "assistant speak more slowly"; the transcript put two words in the phrase's place
    check = WakeCheck(("assistant",), scorer_reading("assistant speak more slowly"), max_loss=0.0)
    margin, replaced = check.margin(b"pcm", w("that isn't speak more slowly"))
    assert replaced == 2 and margin > 0
    assert check.request(b"pcm", w("that isn't speak more slowly")) == w("speak more slowly")


def test_the_check_keeps_out_talk_that_reads_worse_with_the_phrase_at_its_start():
    # the TV says "it needs about forty minutes": the phrase in place of any of its first words reads worse
    heard = "it needs about forty minutes check it with a skewer"
    check = WakeCheck(("assistant",), scorer_reading(heard, other=0.05), max_loss=2.0)
    margin, _ = check.margin(b"pcm", w(heard))
    assert margin < -2.0
    assert check.request(b"pcm", w(heard)) is None
    # a looser check lets it through: the bound is what keeps it out
    assert WakeCheck(("assistant",), scorer_reading(heard, other=0.05), max_loss=-margin + 0.1).request(b"pcm", w(heard))


def test_the_check_is_silent_when_the_scorer_fails():
    def broken(audio, texts):
        raise RuntimeError("no model")

    check = WakeCheck(("assistant",), broken)
    assert check.margin(b"pcm", w("that isn't help")) is None and check.request(b"pcm", w("that isn't help")) is None


def test_the_scorer_is_the_combined_recogniser_s_second_model_or_the_engine_s_own():
    def score(audio, texts):
        return []

    class Combiner:
        scorer = staticmethod(score)

    class Combined:
        combiner = Combiner()

    class Whisper:
        def score(self, audio, texts):
            return []

    assert scorer_of(Combined()) is score
    assert scorer_of(Whisper()) is not None
    assert scorer_of(object()) is None


def test_the_check_weighs_the_phrase_against_the_best_reading_not_only_the_chosen_one():
    """The TV's "a healthy meal has some protein", the chosen reading garbled: the phrase in front of the garbled
    words reads better than they do, but not better than the other engine's reading, so the TV stays out."""
    garbled, good = "my a1c dolazide some protein", "a healthy meal has some protein"
    totals = {garbled: -15.0, "assistant a1c dolazide some protein": -10.0, good: -3.0}

    def score(audio, texts):  # one "token" a text, its probability giving the text's total log-probability
        return [Scored(t, (math.exp(totals.get(t, -19.0)),)) for t in texts]

    check = WakeCheck(("assistant",), score, max_loss=0.0)
    assert check.margin(b"pcm", w(garbled))[0] == pytest.approx(5.0)  # against the chosen reading alone
    margin, _ = check.margin(b"pcm", w(garbled), [w(good), w(garbled)])
    assert margin == pytest.approx(-7.0)
    assert check.request(b"pcm", w(garbled), [w(good), w(garbled)]) is None


def test_a_reading_with_the_wake_word_later_is_not_re_read_with_the_words_before_it_replaced():
    """Held-out TV, "Sharon, his assistant said the results were fine": the spotter fired on "assistant" near the
    start, and replacing "sharon his" by the phrase reads better than the reading itself ("assistant said ..."),
    but the reading heard words before the phrase: it is not re-read, and nothing wakes."""
    heard = "sharon his assistant said the results were fine"
    flat = scorer_reading("assistant said the results were fine", other=0.05)
    check = WakeCheck(("assistant",), flat, max_loss=2.0)
    assert check.margin(b"pcm", w(heard)) is None
    assert check.request(b"pcm", w(heard)) is None
    assert check.request(b"pcm", w(heard), [w("sharon is assistant said the results were fine")]) is None
    # another reading with the word later is scored as it is only: a misheard patient's reading still wakes
    said = "assistant speak more slowly"
    check = WakeCheck(("assistant",), scorer_reading(said), max_loss=0.0)
    readings = [w("that isn't speak more slowly"), w("the assistant speak more slowly")]
    margin, replaced = check.margin(b"pcm", w("that isn't speak more slowly"), readings)
    assert replaced == 2 and margin > 0
    # the rule is what keeps the TV out: the same words without the later "assistant" are re-read
    assert WakeCheck(("assistant",), flat, max_loss=2.0).request(b"pcm", w("sharon his said the results were fine")) \
        is not None


def test_a_barge_in_opens_with_the_phrase_once_the_assistant_s_own_words_are_left_out():
    """Over a reply, the engine reads the assistant's own words (its echo) before the patient's phrase: those are
    left out (numbers too), other words are not ("sharon his assistant said" on the television)."""
    own = {"in", "the", "last", "seven", "days", "you", "have", "readings"}
    assert RULE.opens_after(w("assistant stop"), own)
    assert RULE.opens_after(w("the last seven days. Assistant, stop"), own)
    assert RULE.opens_after(w("you have 3 assistant"), own)
    assert RULE.opens_after(w("days asistant my sugar"), own)  # a spelling of it no dictionary has
    assert not RULE.opens_after(w("sharon his assistant said"), own)
    assert not RULE.opens_after(w("the assistant manager"), {"in"})
    assert not RULE.opens_after(w("seven days you have"), own)
    assert not RULE.opens_after([], own)


# --- a wake the independent engine did not confirm (recorded on held-out television, bench_wake.py) ---------------

def _understander():
    from voice_assistant.nlu import Understander

    return Understander("en").understand


@pytest.mark.parametrize("pocketsphinx, whisper", [
    ("assistant my glucose is one twenty", "assistant my glucose is 120"),
    ("assistant my glucose is one twenty", "asistant my glucose is 120"),  # a spelling no dictionary has
    ("assistant slow down please", "as is tent slow down please"),
    ("that is done what is it today", "azistant what day is it today"),
])
def test_a_wake_the_second_engine_confirms_is_corroborated(pocketsphinx, whisper):
    assert RULE.corroborated(START, NEAR, [w(pocketsphinx), w(whisper)])


@pytest.mark.parametrize("pocketsphinx, whisper", [
    ("assistant monitor reads or does the shot", "the assistant manager is on his feet"),  # the word, later
    ("assistant now every clear and says", "this is tense now every clearance is greeted"),
    ("assistant number twelve of the season", "assist number 12 of the season"),  # "assist" is a word
    ("assistant of water butts", "a system of water butts"),
])
def test_a_wake_only_pocketsphinx_and_the_spotter_heard_is_not_corroborated(pocketsphinx, whisper):
    assert not RULE.corroborated(START, NEAR, [w(pocketsphinx), w(whisper)])


def test_an_unconfirmed_wake_is_acted_on_only_for_a_clearly_understood_request():
    understand = _understander()
    readings = [w("assistant what was my last reading"), w("a system what was my last reading")]
    assert RULE.acts_on(START, NEAR, readings, w("what was my last reading"), understand)
    tv = [w("assistant monitor reads or does the shot done often"), w("the assistant manager is on his feet")]
    assert not RULE.acts_on(START, NEAR, tv, w("monitor reads or does the shot done often"), understand)
    assert not RULE.acts_on(START, NEAR, tv, [], understand)  # the phrase alone, unconfirmed: no chime
    # confirmed by the second engine: acted on whatever the request means to the pack, so long as it means something
    confirmed = [w("assistant monitor reads"), w("assistant monitor reads")]
    assert RULE.acts_on(START, NEAR, confirmed, w("monitor reads"), understand)


def test_a_confirmed_wake_is_acted_on_only_for_a_request_that_means_something():
    """The word itself at a sentence's start on television ("Assistant referee..."): the spotter and whisper both
    heard it, and what follows means nothing to the pack, or is only weakly read as a request. Acted on, the loop
    said "I did not understand" (or acted on the weak reading) over the programme; now it is not acted on. A
    request the pack knows, small talk, a question about a value and the phrase alone (a chime) still are."""
    understand = _understander()
    for tv in (w("referee says the match will start again after the break"),  # intent none
               w("shares fell slightly this afternoon after a week of steady gains")):  # an intent, at 0.34
        readings = [["assistant", *tv], ["Assistant", *tv]]
        assert RULE.corroborated(START, NEAR, readings)
        assert RULE.taken(START, NEAR, readings, tv, understand) is None, tv
        assert not RULE.acts_on(START, NEAR, readings, tv, understand)
        assert WakeRule(("assistant",), meaningful=False).taken(START, NEAR, readings, tv, understand) == tv
        # no second engine or no spotter to confirm it against: the same
        assert RULE.taken(START, None, [], tv, understand) is None
    for said in ("what was my last reading", "thank you", "is 180 too high"):
        assert RULE.taken(START, NEAR, [w("assistant " + said)] * 2, w(said), understand) == w(said), said
    assert RULE.taken(START, NEAR, [], w("what was my last reading"), understand) == w("what was my last reading")
    assert RULE.taken(START, NEAR, [w("assistant")] * 2, [], understand) == []  # the phrase alone: a chime
    # the chosen request means nothing: pocketsphinx's reading of it is not asked for a clearer one (it reads what
    # it did not follow as the pack's words: "panel" is a lab panel)
    misheard = [w("assistant panel the"), w("assistant held")]
    assert RULE.taken(START, NEAR, misheard, w("held"), understand) is None


def test_an_unconfirmed_wake_needs_the_independent_engine_to_read_the_same_request():
    """Unconfirmed (whisper did not write the phrase at the start), pocketsphinx's request clearly understood: taken
    only when whisper's reading means the same or says nearly the same words; pocketsphinx reads the television it
    did not follow as the pack's words."""
    understand = _understander()
    tv = [w("assistant what was my last reading"), w("the assistant coach will lead the team")]
    assert not RULE.corroborated(START, NEAR, tv)
    assert RULE.taken(START, NEAR, tv, w("what was my last reading"), understand) is None
    before = WakeRule(("assistant",), independent_meaning=False)
    assert before.taken(START, NEAR, tv, w("what was my last reading"), understand) == w("what was my last reading")
    garbled = [w("assistant i took my metformin"), w("persistent time king mine met for men")]
    assert RULE.taken(START, NEAR, garbled, w("i took my metformin"), understand) is None
    # whisper heard the same request after a misheard opening: its words, or its meaning
    for whisper in ("persistent i am taking my metformin", "a system i took my metformin"):
        readings = [w("assistant i took my metformin"), w(whisper)]
        assert RULE.taken(START, NEAR, readings, w("i took my metformin"), understand) == w("i took my metformin")
    assert RULE.independent_agrees(w("i took my metformin"), [w("i took my metformin")], understand)  # one engine


def test_a_call_for_help_or_an_out_of_scope_question_after_the_phrase_is_still_answered():
    """Two exceptions to the meaning gates, both measured on bench_wake's dumps (scripts/replay_wake.py): a call for
    help pocketsphinx heard clearly is taken though whisper garbled it (in a room "assistant, I feel dizzy" was lost
    3 times), and one of the pack's own out-of-scope sentences ("what time is it") gets "I cannot do that", not
    silence (seen set: 5 requests back, no false wake)."""
    understand = _understander()
    dizzy = [w("assistant i feel dizzy"), w("the system is busy")]
    assert not RULE.corroborated(START, NEAR, dizzy)
    assert RULE.taken(START, NEAR, dizzy, w("i feel dizzy"), understand) == w("i feel dizzy")
    # television whose request only pocketsphinx made into pack words, weakly: whisper read none of it (a live try)
    tv = [w("assistant the last you"), w("assistant to last years winner silver lace is tucked in on the rails")]
    assert RULE.corroborated(START, NEAR, tv)
    assert RULE.taken(START, NEAR, tv, w("the last you"), understand) is None
    assert RULE.taken(START, NEAR, [w("assistant the last you")] * 2, w("the last you"), understand) == w("the last you")
    # a request the pack knows whose sibling intent is close behind (calibrated 0.397): heard in a live try
    readings = [w("assistant reading my blood test results")] * 2
    assert RULE.taken(START, NEAR, readings, readings[0][1:], understand) == readings[0][1:]
    for said in ("what time is it", "play some music"):
        readings = [w("assistant " + said)] * 2
        assert RULE.taken(START, NEAR, readings, w(said), understand) == w(said), said
    # television after the word whose best match is a request below the pack's threshold: still nothing
    tv = w("commissioner hale wants an answer by the morning")
    assert RULE.taken(START, NEAR, [["assistant", *tv]] * 2, tv, understand) is None


def test_an_unconfirmed_wake_takes_the_request_the_engine_that_heard_it_best_gives():
    """Whisper wrote the phrase as words that sound like it ("as a student": not confirmed) and heard the request;
    pocketsphinx wrote the phrase and garbled the request. The gate asks about both requests, and the one acted on
    is the one understood: the patient's dose, not a speed change."""
    understand = _understander()
    chosen = w("assistant ah completely it slowly")
    readings = [chosen, w("as a student i took my metformin")]
    request = RULE.request(chosen, readings)
    assert request == w("ah completely it slowly")
    assert RULE.taken(START, NEAR, readings, request, understand) == w("i took my metformin")
    assert RULE.acts_on(START, NEAR, readings, request, understand)
    # the reverse: the chosen request is the clear one and is kept
    readings = [w("assistant my sugar is one twenty"), w("as a student my sugar is one twenty")]
    assert RULE.taken(START, NEAR, readings, w("my sugar is one twenty"), understand) == w("my sugar is one twenty")


def test_an_engine_s_reading_gives_a_request_only_after_an_opening_that_is_or_sounds_like_the_phrase():
    readings = [w("assistant what can you do"), w("that's eastern what can you go"), w("the weather is fine today"),
                w("the assistant manager said so"), w("assistant")]
    found = RULE.requests_read(readings)
    assert w("what can you do") in found
    assert any(r[-2:] == w("you go") and "eastern" not in r for r in found)  # the sound-alike opening left out
    assert not any("weather" in r for r in found)  # opens with nothing like the phrase
    assert not any("manager" in r for r in found)  # the word itself, later: not a misheard opening
    assert len(found) == 2  # the phrase alone gives no request


def test_an_unconfirmed_wake_is_taken_when_both_engines_wrote_the_same_request_and_understand_it_alike():
    """"stop the morning reminder" is understood at 0.47 only (no time to cancel): not clear enough alone, but both
    engines wrote it after an opening that is or sounds like the phrase ("assessant": not confirmed)."""
    understand = _understander()
    alike = [w("assistant stop the morning reminder"), w("assessant stop the morning reminder")]
    assert not RULE.corroborated(START, NEAR, alike)
    assert RULE.clearest_request(w("stop the morning reminder"), alike, understand)[1] < 0.7
    assert RULE.taken(START, NEAR, alike, w("stop the morning reminder"), understand) == w("stop the morning reminder")
    # the same words after an opening that sounds nothing like the phrase: no request read from that engine
    other = [w("assistant stop the morning reminder"), w("the weather stop the morning reminder")]
    assert RULE.taken(START, NEAR, other, w("stop the morning reminder"), understand) is None
    # words the engines wrote differently: no agreement
    apart = [w("assistant stop the morning reminder"), w("assessant shop for morning dinner")]
    assert RULE.taken(START, NEAR, apart, w("stop the morning reminder"), understand) is None
    # the same words, meaning nothing to the pack (the television heard right): not taken
    tv = [w("assistant trainer is slowly away"), w("assessant trainer is slowly away")]
    assert RULE.agreed_request(tv, understand) is None


def test_no_agreement_is_taken_when_understanding_fails():
    def broken(_text):
        raise RuntimeError("pack not loaded")

    alike = [w("assistant stop the morning reminder"), w("assessant stop the morning reminder")]
    assert RULE.agreed_request(alike, broken) is None
    assert RULE.taken(START, NEAR, alike, w("stop the morning reminder"), broken) is None


def test_an_unconfirmed_wake_whose_readings_all_mean_nothing_is_not_taken():
    understand = _understander()
    tv = [w("assistant trader we slowly away and leave"), w("a sister ship to the titanic was launched")]
    assert RULE.taken(START, NEAR, tv, w("trader we slowly away and leave"), understand) is None


def test_without_a_second_engine_or_a_spotter_the_gate_does_not_apply():
    understand = _understander()
    assert RULE.acts_on(START, NEAR, [], w("monitor reads"), understand)  # one recogniser: nothing to ask
    assert RULE.acts_on(START, None, [w("assistant x"), w("y")], w("monitor reads"), understand)  # no spotter


# --- whisper's first words that sound like the phrase, weighed by its own model (bench_wake.py's seen set) --------
# (tried and left off in the loop, WakeRule.phonetic: it woke on held-out television; bench_wake.py measures it)
PHONETIC = WakeRule(("assistant",), phonetic=True)

@pytest.mark.parametrize("whisper", [
    "a system my glucose is 95", "that's instant what are my reminders", "assessed in how was my week",
    "assist repeat that please", "at least my glucose is high in 25", "that's it and my glucose is 95",
    "as is tent slow down please",
])
def test_first_words_that_sound_like_the_phrase(whisper):
    assert RULE.sounds_like(w(whisper))


@pytest.mark.parametrize("whisper", [
    "the assistant manager is on his feet",  # the word itself, later: not the phrase misheard
    "my kitchen assistant has chopped the herbs",
    "our next contestant is a retired teacher from leeds", "mercury is the right answer", "the piano of course",
    "your pharmacist can assist you with questions", "good evening here is the news", "",
])
def test_first_words_that_do_not_sound_like_the_phrase(whisper):
    """(Loose on purpose: "first question for 10 points" is near enough, 0.51; the margin keeps such words out.)"""
    assert not RULE.sounds_like(w(whisper))


def test_words_that_sound_like_the_phrase_confirm_it_only_when_the_model_reads_the_audio_as_well_with_it():
    readings = [w("us east and my glucose is going up"), w("a system my glucose is 95")]
    assert PHONETIC.corroborated(START, NEAR, readings, margin=-1.0)
    assert not PHONETIC.corroborated(START, NEAR, readings)  # no margin: words alone are no evidence
    assert not PHONETIC.corroborated(START, NEAR, readings, margin=-6.0)  # "a system of water butts": the TV's words
    assert not PHONETIC.corroborated(START, [], readings, margin=-1.0)  # neither the spotter nor the first engine
    far = [w("assistant number twelve"), w("mercury is the right answer")]
    assert not PHONETIC.corroborated(START, NEAR, far, margin=3.0)  # sounds nothing like it, whatever the margin
    assert not RULE.corroborated(START, NEAR, readings, margin=-1.0)  # the loop's rule: off


def test_the_gate_asks_the_margin_only_when_nothing_else_settles_it():
    understand = _understander()
    asked = []

    def margin(value):
        def ask():
            asked.append(value)
            return value
        return ask

    garbled = [w("less east and my glucose is ninety iron"), w("at least my glucose is nighty iron")]
    request = w("and my glucose is ninety iron")
    assert PHONETIC.acts_on(START, NEAR, garbled, request, understand, margin=margin(1.7))
    assert not PHONETIC.acts_on(START, NEAR, garbled, request, understand, margin=margin(-4.4))
    assert not PHONETIC.acts_on(START, NEAR, garbled, request, understand)  # no scorer: as before
    assert asked == [1.7, -4.4]
    confirmed = [w("assistant what was my last reading"), w("assistant what was my last reading")]
    assert PHONETIC.acts_on(START, NEAR, confirmed, w("what was my last reading"), understand, margin=margin(-9.0))
    understood = [w("assistant what was my last reading"), w("a system what was my last reading")]
    assert PHONETIC.acts_on(START, NEAR, understood, w("what was my last reading"), understand, margin=margin(-9.0))
    tv = [w("assistant now every clear and says"), w("our next contestant is a retired teacher")]
    assert not PHONETIC.acts_on(START, NEAR, tv, w("now every clear and says"), understand, margin=margin(0.5))
    assert asked == [1.7, -4.4]  # neither confirmed, understood nor a sound-alike asked for it

    def broken():
        raise RuntimeError("scorer failed")
    assert not PHONETIC.acts_on(START, NEAR, garbled, request, understand, margin=broken)


def test_a_sound_alike_before_words_that_mean_nothing_is_not_acted_on():
    understand = _understander()
    tv = [w("assistant of water butts can save you a fortune"), w("a system of water butts can save you a fortune")]
    assert not PHONETIC.acts_on(START, NEAR, tv, w("of water butts can save you a fortune"), understand,
                            margin=lambda: 0.5)
    request = [w("assistant and my glucose is ninety iron"), w("a system my glucose is nighty iron")]  # 0.66
    assert PHONETIC.acts_on(START, NEAR, request, w("and my glucose is ninety iron"), understand, margin=lambda: 0.5)
    assert not PHONETIC.acts_on(START, NEAR, request, w("and my glucose is ninety iron"), understand, margin=lambda: -5)
    assert not RULE.acts_on(START, NEAR, request, w("and my glucose is ninety iron"), understand, margin=lambda: 0.5)


def test_when_the_spotter_missed_whisper_may_write_the_phrase_as_a_made_up_spelling():
    """Rule 3: pocketsphinx heard the word, whisper a spelling of it no dictionary has: two engines agree."""
    pocketsphinx, whisper = w("assistant slow it please"), w("asistant slow down please")
    assert RULE.opens(START, [], whisper, [pocketsphinx, whisper])
    assert RULE.request(whisper, [pocketsphinx, whisper]) == w("slow down please")
    assert RULE.corroborated(START, [], [pocketsphinx, whisper])
    # a real word is not the phrase misheard, and one engine alone is not enough
    assert not RULE.opens(START, [], w("assist slow down"), [pocketsphinx, w("assist slow down")])
    assert not RULE.opens(START, [], whisper, [w("us east and slow it please"), whisper])



def test_when_the_spotter_missed_whisper_alone_does_not_open():
    """Two ears must agree: whisper's reading opening with the word, pocketsphinx's not, is not enough (tried:
    no false wake more on four sets of television, but no request more heard on the one held out for it)."""
    readings = [w("best east and show me my cholesterol results"), w("assistant show me my cholesterol results")]
    assert not RULE.opens(START, [], readings[1], readings)


@pytest.mark.parametrize("request_words, wanted", [
    ("my sugar is one twenty", True),
    ("stop", True),
    ("the weather in the north tomorrow", False),  # means nothing to the pack
    ("", False),
])
def test_clearly_understood_takes_only_requests_the_pack_understands_well(request_words, wanted):
    assert clearly_understood(request_words.split(), _understander()) is wanted


def test_clearly_understood_is_false_when_understanding_fails():
    def broken(_text):
        raise RuntimeError("pack not loaded")

    assert not clearly_understood(["my", "sugar", "is", "120"], broken)


# --- rule 5: a sound-alike opening after a spotter hit, before a clearly understood request ------------------------
FIVE = WakeRule(("assistant",), sound_alike=True)


def test_a_sound_alike_opening_after_a_spotter_hit_before_a_clear_request_is_taken():
    """Piper's joe in a room: whisper wrote "assessment log of blood sugar 174", pocketsphinx's reading did not open
    with the phrase either. `opens` says no (no reading opens with the phrase); rule 5 takes whisper's request."""
    understand = _understander()
    readings = [w("a sentence lot of blood sugar one seventy four"), w("assessment log of blood sugar 174")]
    words = readings[1]
    assert not FIVE.opens(START, NEAR, words, readings)
    assert FIVE.sounding_request(START, NEAR, words, readings, understand) == w("log of blood sugar 174")
    # never without the spotter's hit near the start, a second engine, or when switched off
    assert FIVE.sounding_request(START, [], words, readings, understand) is None
    assert FIVE.sounding_request(START, [13.5], words, readings, understand) is None  # heard later
    assert FIVE.sounding_request(START, None, words, readings, understand) is None  # no spotter (French)
    assert FIVE.sounding_request(START, NEAR, words, readings[1:], understand) is None  # one engine
    assert WakeRule(("assistant",), sound_alike=False).sounding_request(START, NEAR, words, readings,
                                                                        understand) is None
    # a reading that opens with the phrase is rules 1-4's, not this one's
    opened = [w("assistant log of blood sugar 174"), words]
    assert FIVE.opens(START, NEAR, words, opened) and FIVE.sounding_request(START, NEAR, words, opened,
                                                                            understand) is None


def test_a_sound_alike_opening_is_taken_when_both_engines_wrote_the_request_alike():
    understand = _understander()
    alike = [w("assessant stop the morning reminder"), w("a system stop the morning reminder")]  # 0.47 alone
    assert FIVE.sounding_request(START, NEAR, alike[1], alike, understand) == w("stop the morning reminder")
    assert FIVE.sounding_request(START, [], alike[1], alike, understand) is None


@pytest.mark.parametrize("pocketsphinx, whisper", [
    # the television's sound-alikes, as bench_wake.py's held-out sets recorded them, the spotter near the start
    ("assistance comes from unlikely place that when the sale flea it's a good about the rage",
     "a system comes from an unlikely glaze that wind itself lifts the burden on the ridge"),
    ("and system pressure from the favorite as they prompt for all", "insistent pressure from the favorite as they "
                                                                     "turn for home"),
    ("i see stuff off the telly the knicks completely earth day be bought and seeking sees that sees it on",
     "at least i must be telling the next county will take the emergency cases that is the plan"),
    # pocketsphinx's reading is the pack's words (understood at 0.7), whisper's the television's: not taken
    ("less easy a bit the doesn't we did i logged a doctor at all of seems off the at",
     "assessing the figures waiting times have gone up by a dog since last year"),
    ("assistance from the public", "assistance from the public was overwhelming"),
    ("a system of water butts can save you a fortune", "a system of water butts can save you a fortune"),
    ("that's instant yeast", "that's instant yeast, so no need to wait for it to prove"),
])
def test_the_television_s_sound_alikes_are_not_taken(pocketsphinx, whisper):
    understand = _understander()
    readings = [w(pocketsphinx), w(whisper)]
    for words in readings:
        assert FIVE.sounding_request(START, NEAR, words, readings, understand) is None


def recorded_likelihood(recorded: dict[str, tuple[float, int]]):
    """Whisper's scores recorded by bench_wake.py's dump (`--room`, the seen set): text -> (total log-probability,
    tokens), as a scorer's token probabilities, through `likelihood_of` as the live loop builds it."""
    calls = []

    def score(audio: bytes, texts):
        assert audio == b"pcm"
        calls.append(list(texts))
        return [Scored(t, (math.exp(recorded[t][0] / recorded[t][1]),) * recorded[t][1]) for t in texts]
    return likelihood_of(score, b"pcm"), calls


def test_an_unconfirmed_wake_whisper_garbled_is_taken_when_its_model_reads_the_request_nearly_as_well():
    """In a room whisper garbles a request pocketsphinx heard right ("what are my reminders" read "that's the instant
    well talked line with my mind goes"): it neither means nor says the same, so the old rule dropped it; whisper's own
    model reads the audio as "assistant what's on my reminder" 2.89 a token worse than its reading (within
    MODEL_MAX_LOSS). A request pocketsphinx heard wrong ("will it my last three" for "what was my last reading")
    reads 3.6 a token worse than whisper's reading: still not taken. The scorer is asked only when the old rule
    refused a clearly understood request."""
    understand = _understander()
    heard_right = [w("assistant what's on my reminder"), w("that's the instant well talked line with my mind goes")]
    likelihood, calls = recorded_likelihood({
        "assistant what's on my reminder": (-28.008, 6),
        "that's the instant well talked line with my mind goes": (-19.563, 11),
        "assistant that's the instant well talked line with my mind goes": (-54.1, 12),
        "assistant the instant well talked line with my mind goes": (-48.369, 10),
        "assistant instant well talked line with my mind goes": (-44.019, 9),
        "assistant well talked line with my mind goes": (-28.072, 8)})
    request = w("what's on my reminder")
    assert not RULE.corroborated(START, NEAR, heard_right)
    assert RULE.taken(START, NEAR, heard_right, request, understand) is None  # the old rule: no model asked
    assert WakeRule(("assistant",), model_evidence=False).taken(START, NEAR, heard_right, request, understand,
                                                                likelihood=likelihood) is None
    assert RULE.model_margin(request, heard_right, likelihood) == pytest.approx(-2.89, abs=0.01)
    assert RULE.taken(START, NEAR, heard_right, request, understand, likelihood=likelihood) == request
    heard_wrong = [w("assistant will it my last three"), w("assisted what was my last reading")]
    likelihood, _ = recorded_likelihood({
        "assistant will it my last three": (-27.569, 6),
        "assisted what was my last reading": (-5.685, 6),
        "assistant assisted what was my last reading": (-21.886, 7),
        "assistant what was my last reading": (-5.837, 6),
        "assistant was my last reading": (-8.943, 5),
        "assistant my last reading": (-13.734, 4)})
    request = w("will it my last three")
    assert RULE.model_margin(request, heard_wrong, likelihood) == pytest.approx(-3.65, abs=0.01)
    assert RULE.taken(START, NEAR, heard_wrong, request, understand, likelihood=likelihood) is None
    # a confirmed wake, or one whisper read the same, never asks the model
    calls.clear()
    agreed = [w("assistant i took my metformin"), w("a system i took my metformin")]
    likelihood, calls = recorded_likelihood({})
    assert RULE.taken(START, NEAR, agreed, w("i took my metformin"), understand, likelihood=likelihood) \
        == w("i took my metformin")
    assert calls == []
    # a scorer that fails says nothing: not taken
    assert RULE.taken(START, NEAR, heard_right, w("what's on my reminder"), understand,
                      likelihood=lambda texts: 1 / 0) is None


def test_the_audio_is_made_only_when_whisper_is_asked():
    """The live loop passes how to get the utterance's PCM: most utterances never need whisper's model."""
    made = []

    def pcm() -> bytes:
        made.append(1)
        return b"pcm"

    def score(audio: bytes, texts):
        assert audio == b"pcm"
        return [Scored(t, (0.5,) * 2) for t in texts]

    likelihood = likelihood_of(score, pcm)
    assert made == []
    assert likelihood(["assistant what was my last reading"]) == [pytest.approx(math.log(0.5))]
    assert made == [1]
