"""The live loop without audio hardware: LiveLoop on a fake microphone (30 ms blocks of requests spoken by eSpeak
NG, resampled to 16 kHz, between stretches of faint noise) and a fake speaker that records what would be heard and
honours the stop event. The endpointer, the dialogue, the store and the assistant's voice (eSpeak NG) are the real ones.

Most tests hear through `KnownClips`, which turns each spoken clip back into its words only when the endpointer
delivered it whole: the loop's rules are tested exactly, whatever the engine makes of eSpeak's voice. Two tests
(`real_session`) go through the real recogniser with requests it hears reliably.

The patient acts in a thread (`Harness.run`): presses the talk key, waits for the listening chime, speaks.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from loopkit import EVENING, FakeMicrophone, FakePlayer, Harness
from voice_assistant.audio.clip import SAMPLE_RATE, AudioClip
from voice_assistant.audio.earcons import Earcon
from voice_assistant.live import LiveLoop, LiveOptions

PUSH_TO_TALK = LiveOptions(push_to_talk=True, idle_every_s=0.05, answer_without_key=True)
HANDS_FREE = LiveOptions(push_to_talk=False, wake_words=("assistant",), idle_every_s=0.05)
REQUEST = "my glucose is one twenty"
READ_BACK = "one hundred and twenty milligrams per deciliter"
YES = "yes that's right"
LAST = "what was my last reading"

LISTENING, UNDERSTOOD, NOT_UNDERSTOOD = (e.value for e in (Earcon.LISTENING, Earcon.UNDERSTOOD,
                                                           Earcon.NOT_UNDERSTOOD))


def hum(seconds: float = 1.0) -> AudioClip:
    """A patient humming while thinking ("hmmm"): voiced, loud enough to be an utterance, no words in it."""
    t = np.arange(round(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    wave = 6000 * np.sin(2 * np.pi * 150 * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t))
    return AudioClip(wave.astype(np.int16))


def stored(session) -> list[float]:
    return [r.glucose_mg_dl for r in session.manager.ctx.store.readings()]


def earcons(h: Harness) -> list[str]:
    return [k for k in h.player.kinds() if k != "speech"]


def log_a_reading(session) -> None:
    """A reading of 120 mg/dL saved before the test, by text."""
    session.text(REQUEST)
    assert session.text("yes").text.startswith("Saved:")


def set_the_metformin_reminder(session) -> None:
    """Metformin every day at eight in the evening, set by text at seven."""
    session.text("remind me to take metformin at eight pm")
    assert session.text("yes").text.startswith("Done.")


# --- push-to-talk -------------------------------------------------------------------------------------------

def test_push_to_talk_turn_reads_the_value_back_then_saves_it(session, patient, hearing):
    h = Harness(session, PUSH_TO_TALK)

    def patient_acts(h: Harness) -> None:
        h.wait_said(1)  # the greeting
        h.speak_when_listening(patient.says(REQUEST))
        h.wait_said(2)
        h.speak_when_listening(patient.says(YES))
        h.wait_said(3)

    h.run(patient_acts)
    greeting, read_back, saved = h.said
    assert greeting.text.startswith("Hello") and greeting.completed
    assert h.heard == [REQUEST, YES], (h.heard, hearing.scores)  # each clip reached the recogniser whole
    assert READ_BACK in read_back.text and read_back.text.endswith("Is that right?"), read_back.text
    assert read_back.completed and read_back.played and all(p.completed for p in read_back.played)
    assert sum(p.seconds_played for p in read_back.played) > 2.0  # the reply was spoken, not just printed
    assert saved.text.startswith("Saved: " + READ_BACK), saved.text
    assert stored(session) == [120.0]
    assert earcons(h) == [LISTENING, UNDERSTOOD, LISTENING, UNDERSTOOD]
    assert h.echoed == [s.text for s in h.said]  # each reply is also printed, for a sighted helper


def test_push_to_talk_through_the_real_recogniser(real_session, patient):
    log_a_reading(real_session)
    h = Harness(real_session, PUSH_TO_TALK)

    def patient_acts(h: Harness) -> None:
        h.wait_said(1)
        h.speak_when_listening(patient.says("assistant, " + LAST))  # the wake word out of habit: harmless
        h.wait_said(2)

    h.run(patient_acts)
    reply = h.said[1].text
    assert reply.startswith("Your last reading was " + READ_BACK), (h.heard, reply)
    assert earcons(h) == [LISTENING, UNDERSTOOD]


def test_a_held_talk_button_keeps_a_long_pause_inside_the_turn(session, patient, hearing):
    """The tablet's Talk button held down: « my glucose is… (thinks for 2.5 s) …one twenty » is one turn, ended
    when the button is let go; the same words with a tap would be cut at the pause."""
    start, end = patient.says(REQUEST).samples[:10_000], patient.says(REQUEST).samples[10_000:]
    pause = np.zeros(round(2.5 * SAMPLE_RATE), np.int16)
    thinking = AudioClip(np.concatenate([start, pause, end]))
    hearing.learn(thinking, REQUEST)
    h = Harness(session, PUSH_TO_TALK)

    def patient_acts(h: Harness) -> None:
        h.wait_said(1)
        h.loop.press()
        h.loop.hold()
        h.wait_played(Earcon.LISTENING)
        h.mic.speak(thinking, pause_s=3.0)  # the button still down well after the last word
        h.wait_until(lambda: not h.mic.speaking, "the patient to finish")
        h.loop.release()
        h.wait_said(2)

    h.run(patient_acts)
    assert h.heard == [REQUEST], (h.heard, hearing.scores)
    assert READ_BACK in h.said[1].text


def test_speech_before_the_key_is_not_a_turn_and_silence_ends_one(session, patient):
    """Push-to-talk ignores the room: a request said before the key is dropped when it is pressed; pressed, then
    nothing said, the turn ends after the endpointer's silence timeout and the loop waits for the key again."""
    h = Harness(session, PUSH_TO_TALK)

    def patient_acts(h: Harness) -> None:
        h.wait_said(1)
        h.mic.speak(patient.says(REQUEST), lead_in_s=0.1)  # no key pressed
        h.wait_until(lambda: not h.mic.speaking, "the request to be sent")
        h.loop.press()
        h.wait_played(Earcon.LISTENING)
        blocks = h.mic.blocks_sent
        h.wait_until(lambda: h.mic.blocks_sent - blocks > 300, "9 s of microphone silence")
        h.loop.press()
        h.wait_played(Earcon.LISTENING, 2)  # the loop came back for the key

    h.run(patient_acts)
    assert h.heard == [] and len(h.said) == 1
    assert stored(session) == [] and session.manager.ctx.pending is None


# --- hands-free ---------------------------------------------------------------------------------------------

def test_hands_free_needs_the_wake_word(session, patient):
    """Said without « assistant » (the TV, a visitor): no reply, no chime, nothing stored. Said with it: answered,
    and the question that follows is answered without it."""
    h = Harness(session, HANDS_FREE)

    def patient_acts(h: Harness) -> None:
        h.wait_said(1)
        h.mic.speak(patient.says(REQUEST))
        h.wait_heard(1)
        h.mic.speak(patient.says(LAST))
        h.wait_heard(2)
        assert len(h.said) == 1 and session.manager.ctx.pending is None  # (the store is the loop thread's)
        h.mic.speak(patient.says("assistant, " + REQUEST))
        h.wait_said(2)  # the read-back question
        h.mic.speak(patient.says(YES))  # an answer needs no wake word
        h.wait_said(3)

    h.run(patient_acts)
    assert h.heard == [REQUEST, LAST, "assistant " + REQUEST, YES]
    assert READ_BACK in h.said[1].text and h.said[2].text.startswith("Saved: " + READ_BACK)
    assert stored(session) == [120.0]
    assert earcons(h) == [UNDERSTOOD, UNDERSTOOD]  # no chime at all for what was not for the assistant


def test_hands_free_television_talking_on_after_a_question_is_no_answer(session, patient):
    """A question is open (the read-back) and the television goes on talking: its sentences are no answer (long, no
    yes, no value asked for); they are ignored, the question stays open, and the patient's "yes" still answers it."""
    console: list[str] = []
    h = Harness(session, HANDS_FREE, console=console.append)
    tv = "every clearance is greeted with a huge cheer from the crowd at the far end"

    def patient_acts(h: Harness) -> None:
        h.wait_said(1)
        h.mic.speak(patient.says("assistant, " + REQUEST))
        h.wait_said(2)  # the read-back question
        h.mic.speak(patient.says(tv))
        h.wait_heard(2)
        h.mic.speak(patient.says(YES))
        h.wait_said(3)

    h.run(patient_acts)
    assert h.heard == ["assistant " + REQUEST, tv, YES], "\n".join(console)
    assert len(h.said) == 3 and h.said[2].text.startswith("Saved: " + READ_BACK)
    assert any(line.startswith("ignored") and "clearance" in line for line in console), console
    assert stored(session) == [120.0]


def test_hands_free_console_says_listening_again_once_each_reply_is_heard(session, patient):
    """A helper (or a test) reading the console knows when the patient may answer: after each reply's last sample,
    "[listening]" again, as push-to-talk prints after the read-back."""
    console: list[str] = []
    h = Harness(session, HANDS_FREE, console=console.append)

    def patient_acts(h: Harness) -> None:
        h.wait_said(1)
        h.mic.speak(patient.says("assistant, " + REQUEST))
        h.wait_said(2)  # the read-back question
        h.wait_until(lambda: console[-1:] == ["[listening]"], "listening again after the read-back")
        h.mic.speak(patient.says(YES))
        h.wait_said(3)

    h.run(patient_acts)
    states = [line for line in console if line.startswith("[")]
    # greeting, read-back, "Saved": each followed by listening (nothing in between but thinking; then the stop)
    assert states[:8] == ["[speaking]", "[listening]", "[thinking]", "[speaking]", "[listening]", "[thinking]",
                      "[speaking]", "[listening]"], console
    assert stored(session) == [120.0]


def test_hands_free_through_the_real_recogniser(real_session, patient):
    log_a_reading(real_session)
    h = Harness(real_session, HANDS_FREE)

    def patient_acts(h: Harness) -> None:
        h.wait_said(1)
        h.mic.speak(patient.says(LAST))  # no wake word
        h.wait_heard(1)
        h.mic.speak(patient.says("assistant, " + LAST))
        h.wait_said(2)

    h.run(patient_acts)
    assert len(h.said) == 2, (h.heard, [s.text for s in h.said])  # the first request was ignored
    assert h.said[1].text.startswith("Your last reading was " + READ_BACK), (h.heard, h.said[1].text)


def test_hands_free_wake_word_alone_then_a_reminder_in_a_pause(session, patient, clock):
    """The wake word alone chimes and makes the next utterance the assistant's; a reminder that falls due is
    spoken in the next pause (a live microphone never stops sending blocks: the loop looks at the clock itself)."""
    set_the_metformin_reminder(session)
    h = Harness(session, HANDS_FREE)

    def patient_acts(h: Harness) -> None:
        h.wait_said(1)
        h.mic.speak(patient.says("assistant"))
        h.wait_played(Earcon.LISTENING)
        h.mic.speak(patient.says(LAST))
        h.wait_said(2)
        clock.now = EVENING.replace(hour=20)
        h.wait_said(3)

    h.run(patient_acts)
    assert h.heard == ["assistant", LAST]
    assert h.said[1].text.startswith("You have no readings saved yet."), h.said[1].text
    assert h.said[2].text.startswith("It is eight in the evening. It is time for your metformin"), h.said[2].text
    assert earcons(h) == [LISTENING, UNDERSTOOD]


def test_hands_free_wake_word_alone_expires_after_a_silence(session, patient):
    """« assistant », then nothing for the endpointer's silence timeout: the next words need the wake word again."""
    h = Harness(session, HANDS_FREE)

    def patient_acts(h: Harness) -> None:
        h.wait_said(1)
        h.mic.speak(patient.says("assistant"))
        h.wait_played(Earcon.LISTENING)
        blocks = h.mic.blocks_sent
        h.wait_until(lambda: h.mic.blocks_sent - blocks > 300, "9 s of silence")
        h.mic.speak(patient.says(LAST))
        h.wait_heard(2)

    h.run(patient_acts)
    assert h.heard == ["assistant", LAST] and len(h.said) == 1 and earcons(h) == [LISTENING]


# --- barge-in -----------------------------------------------------------------------------------------------

def test_barge_in_stops_the_reply_and_opens_the_microphone(session, patient):
    """The key pressed while the assistant speaks: playback stops within a block, the rest of the reply is
    neither played nor synthesised, and the microphone opens for the patient."""
    player = FakePlayer(pace_s=0.01)  # 50 ms of audio every 10 ms: slow enough to be interrupted
    h = Harness(session, PUSH_TO_TALK, player=player)

    def patient_acts(h: Harness) -> None:
        h.wait_until(lambda: player.speech() and player.speech()[0].seconds_played >= 0.3,
                     "the greeting to be under way")
        h.loop.press()  # what the key reader does on Enter
        h.wait_played(Earcon.LISTENING)
        h.mic.speak(patient.says(REQUEST))
        h.wait_said(2)

    h.run(patient_acts)
    greeting, reply = h.said
    assert greeting.sentences == 3 and greeting.completed is False
    [cut] = greeting.played  # one sentence of three, cut in the middle
    assert cut.completed is False and 0.3 <= cut.seconds_played < cut.clip.seconds - 0.1
    assert h.player.kinds()[:3] == ["speech", LISTENING, UNDERSTOOD]
    assert READ_BACK in reply.text and reply.completed


class EagerSpotter:
    """A keyword spotter that hears the wake phrase in everything: the assistant's own voice leaking back into the
    microphone does that to the real one (once per long reply with the echo at -10 dB, scripts/bench_bargein.py)."""

    def __init__(self) -> None:
        self.fed = 0

    def process(self, samples) -> bool:
        """A hit every half second of audio."""
        before, self.fed = self.fed, self.fed + len(samples)
        return self.fed // (SAMPLE_RATE // 2) > before // (SAMPLE_RATE // 2)

    def reset(self) -> None:
        pass


@pytest.mark.parametrize("options,spotter", [(HANDS_FREE, None), (PUSH_TO_TALK, None), (PUSH_TO_TALK, "eager")],
                         ids=["hands-free", "push-to-talk", "spotter-and-words"])
def test_the_wake_phrase_said_while_the_assistant_speaks_stops_it(session, patient, options, spotter):
    """« assistant » heard over the greeting: the greeting stops mid-sentence, the listening chime sounds and
    the next words are a turn, as with the talk key. With a spotter, its hit and the recogniser's words agree."""
    player = FakePlayer(pace_s=0.04)  # near real time: the greeting lasts while « assistant » is decoded
    h = Harness(session, options, player=player, **({"spotter": EagerSpotter} if spotter else {}))

    def patient_acts(h: Harness) -> None:
        h.wait_until(lambda: player.speech() and player.speech()[0].seconds_played >= 0.2,
                     "the greeting to be under way")
        h.mic.speak(patient.says("assistant"), lead_in_s=0.1)
        h.wait_played(Earcon.LISTENING)
        h.mic.speak(patient.says(LAST))
        h.wait_said(2)

    h.run(patient_acts)
    greeting, reply = h.said
    assert greeting.completed is False and len(greeting.played) < greeting.sentences
    assert earcons(h)[:2] == [LISTENING, UNDERSTOOD]
    assert reply.text.startswith("You have no readings") and reply.completed


def test_a_spotter_hit_over_the_reply_without_the_phrase_in_the_words_does_not_stop_it(session):
    """The spotter fires every half second while the assistant speaks and nobody else does: the recogniser's words
    of the last seconds do not say « assistant », so the greeting plays to its end."""
    player = FakePlayer(pace_s=0.04)
    h = Harness(session, PUSH_TO_TALK, mic=FakeMicrophone(pace_s=0.025), player=player, spotter=EagerSpotter)

    def patient_acts(h: Harness) -> None:
        h.wait_said(1)

    h.run(patient_acts)
    greeting = h.said[0]
    assert greeting.completed and len(greeting.played) == greeting.sentences, h.describe()
    assert h.heard.count("") >= 2, "the spotter's hits were not checked against the recogniser's words"


def test_a_spotter_hit_over_the_reply_is_confirmed_by_any_engines_reading(session, monkeypatch):
    """Two engines combined: the chosen reading of the last seconds ("best this", pocketsphinx) lacks « assistant »
    but whisper's own reading has it: the patient said it, the reply stops."""
    from voice_assistant.asr.base import Transcript

    heard = Transcript("best this", engine="pocketsphinx",
                       info={"engines": {"pocketsphinx": {"text": "best this"}, "whisper": {"text": "assistant"}}})
    monkeypatch.setattr(session, "recognize", lambda clip: (heard, 0.01))
    player = FakePlayer(pace_s=0.04)
    h = Harness(session, PUSH_TO_TALK, mic=FakeMicrophone(pace_s=0.025), player=player, spotter=EagerSpotter)

    def patient_acts(h: Harness) -> None:
        h.wait_said(1)
        h.wait_until(lambda: h.said[0].finished, "the greeting to end")

    h.run(patient_acts)
    assert not h.said[0].completed, "a hit confirmed by whisper's reading did not stop the reply"


class OverTheReply:
    """What the recogniser's engines read in the last seconds of the microphone while the assistant speaks (the
    barge-in watcher's check of a spotter hit): nothing until `reading` is set, then pocketsphinx's and whisper's."""

    def __init__(self, session, monkeypatch):
        self.reading: tuple[str, str] | None = None
        self.asked = 0
        monkeypatch.setattr(session, "recognize", self)

    def __call__(self, clip):
        from voice_assistant.asr.base import Transcript

        self.asked += 1
        if self.reading is None:
            return Transcript("", engine="known-clips"), 0.01
        first, second = self.reading
        return Transcript(first, engine="pocketsphinx", info={"engines": {
            "pocketsphinx": {"text": first}, "whisper": {"text": second}}}), 0.01


@pytest.mark.parametrize("options", [HANDS_FREE, PUSH_TO_TALK], ids=["hands-free", "push-to-talk"])
def test_television_barging_in_over_a_question_is_ignored_and_the_question_goes_on(session, patient, monkeypatch,
                                                                                    options):
    """The read-back is being said; the television says "Sharon, his assistant said..." (both engines read the word,
    but not at the start of what they heard after the assistant's own words): the reply is cut, and the television's
    next sentence is no request. It is ignored, the read-back goes on from the sentence it cut (its question is not
    lost), and the patient's "yes" still saves the value; nothing else is stored."""
    over = OverTheReply(session, monkeypatch)
    console: list[str] = []
    h = Harness(session, options, mic=FakeMicrophone(pace_s=0.025), player=FakePlayer(pace_s=0.04),
                spotter=EagerSpotter, console=console.append)
    tv = "every clearance is greeted with a huge cheer from the crowd at the far end"

    def patient_acts(h: Harness) -> None:
        h.wait_said(1)
        if options.push_to_talk:
            h.speak_when_listening(patient.says(REQUEST))
        else:
            h.mic.speak(patient.says("assistant, " + REQUEST))
        h.wait_until(lambda: len(h.said) >= 2, "the read-back")
        over.reading = ("sharon his assistant said", "sharon his assistant said the")
        h.wait_until(lambda: "reply cut" in " ".join(console), "the television to cut the read-back")
        over.reading = None
        h.mic.speak(patient.says(tv), lead_in_s=0.3)
        h.wait_said(3)  # the read-back again, from the sentence cut
        h.mic.speak(patient.says(YES), lead_in_s=0.3)
        h.wait_said(4)

    h.run(patient_acts)
    read_back, again, saved = h.said[1:4]
    assert read_back.completed is False and READ_BACK in read_back.text, h.describe()
    assert again.text == read_back.text and again.completed and again.played, h.describe()
    assert again.skip == len(read_back.played) - 1  # from the sentence cut, not from the start
    assert again.played[-1].completed  # "Is that right?" said to its end
    assert any("not at the start" in line for line in console), console
    assert any(line.startswith("ignored (wake phrase over the reply not confirmed") and "clearance" in line
               for line in console), console
    assert saved.text.startswith("Saved: " + READ_BACK)
    assert stored(session) == [120.0]


def test_television_barging_in_over_an_answer_is_ignored_and_the_answer_goes_on(session, patient, monkeypatch):
    """The greeting (no question in it) cut by the television's "his assistant": its next sentence is ignored, and
    the greeting goes on from the sentence it cut (what the assistant was saying is not lost to the television);
    the patient's own request later is answered."""
    over = OverTheReply(session, monkeypatch)
    console: list[str] = []
    h = Harness(session, HANDS_FREE, mic=FakeMicrophone(pace_s=0.025), player=FakePlayer(pace_s=0.04),
                spotter=EagerSpotter, console=console.append)
    tv = "every clearance is greeted with a huge cheer from the crowd at the far end"

    def patient_acts(h: Harness) -> None:
        over.reading = ("his assistant said", "his assistant said")
        h.wait_played(Earcon.LISTENING)
        over.reading = None
        h.mic.speak(patient.says(tv), lead_in_s=0.3)
        h.wait_said(2)  # the greeting again, from the sentence cut
        h.mic.speak(patient.says("assistant, " + LAST), lead_in_s=1.0)
        h.wait_said(3)

    h.run(patient_acts)
    greeting, again, reply = h.said
    assert greeting.completed is False, h.describe()
    assert any(line.startswith("ignored") and "clearance" in line for line in console), console
    assert again.text == greeting.text and again.completed, h.describe()
    assert again.skip == len(greeting.played) - 1  # from the sentence cut, not from the start
    assert reply.text.startswith("You have no readings"), h.describe()
    assert len(h.said) == 3 and not stored(session)


@pytest.mark.parametrize("words", [REQUEST, "assistant, " + REQUEST])
def test_the_patient_barging_in_unconfirmed_is_still_heard_when_the_request_is_clear(session, patient, monkeypatch,
                                                                                     words):
    """Whisper read the wake phrase after a word that is not the assistant's own ("um assistant"): not confirmed,
    but the patient's clear request after the chime ("my glucose is one twenty", with the phrase again or not) is
    taken."""
    over = OverTheReply(session, monkeypatch)
    h = Harness(session, HANDS_FREE, mic=FakeMicrophone(pace_s=0.025), player=FakePlayer(pace_s=0.04),
                spotter=EagerSpotter)

    def patient_acts(h: Harness) -> None:
        over.reading = ("um assistant", "um assistant")
        h.wait_played(Earcon.LISTENING)
        over.reading = None
        h.mic.speak(patient.says(words), lead_in_s=0.3)
        h.wait_said(2)

    h.run(patient_acts)
    greeting, read_back = h.said[:2]
    assert greeting.completed is False and READ_BACK in read_back.text, h.describe()


def test_a_barge_in_whisper_confirms_takes_the_next_words_whole(session, patient, monkeypatch):
    """Whisper's reading of the last seconds is the greeting's own words, then « assistant »: confirmed, as a wake
    at an utterance's start is; the next words are the turn even though they are no clear request (understood at
    0.66: an unconfirmed barge-in would want 0.7). Words that mean nothing to the pack would get no reply, as after
    any wake (tests/live/test_wake_spotter.py)."""
    over = OverTheReply(session, monkeypatch)
    console: list[str] = []
    h = Harness(session, HANDS_FREE, mic=FakeMicrophone(pace_s=0.025), player=FakePlayer(pace_s=0.04),
                spotter=EagerSpotter, console=console.append)

    def patient_acts(h: Harness) -> None:
        over.reading = ("hello claire i am", "Hello Claire. Assistant,")
        h.wait_played(Earcon.LISTENING)
        over.reading = None
        h.mic.speak(patient.says("tell me my latest blood test"), lead_in_s=0.3)
        h.wait_said(2)

    h.run(patient_acts)
    assert h.said[0].completed is False and len(h.said) == 2, h.describe()
    assert not any(line.startswith("ignored") for line in console), console


def test_the_barge_in_check_reads_the_independent_engine_after_the_assistant_s_own_words(session, monkeypatch):
    """`_wake_in_words` on its own: no reading with the word -> None; whisper's reading opening with it once the
    reply's own words are left out -> confirmed; the word after other words, or only in pocketsphinx's reading ->
    unconfirmed; one engine: its reading decides the same way."""
    from voice_assistant.asr.base import Transcript

    loop = LiveLoop(session, HANDS_FREE, lambda clip, stop: True, None, echo=lambda text: None, keys=None)
    loop._speaking_text = "In the last seven days, you have 3 readings."
    audio = np.zeros(SAMPLE_RATE, np.int16)

    def heard(first: str, second: str | None = None):
        engines = {} if second is None else {"pocketsphinx": {"text": first}, "whisper": {"text": second}}
        transcript = Transcript(first, engine="x", info={"engines": engines} if engines else {})
        monkeypatch.setattr(session, "recognize", lambda clip: (transcript, 0.01))
        return loop._wake_in_words(audio, {"assistant"})

    assert heard("seven days you have", "seven days, you have") is None
    assert heard("best this", "assistant") == "confirmed"
    assert heard("days you", "seven days you have 3 assistant stop") == "confirmed"
    assert heard("sharon his assistant said", "sharon his assistant said") == "unconfirmed"
    assert heard("assistant", "a system") == "unconfirmed"  # pocketsphinx (the spotter's model) alone
    assert heard("the last assistant") == "confirmed"
    assert heard("the manager's assistant") == "unconfirmed"


def test_the_talk_key_after_an_unconfirmed_barge_in_is_trusted(session, patient, monkeypatch):
    """Push-to-talk: the television cut the greeting (not confirmed), then the patient presses the key and asks
    something no gate would let through on its own: the key is the patient's, the words are the turn."""
    over = OverTheReply(session, monkeypatch)
    console: list[str] = []
    h = Harness(session, PUSH_TO_TALK, mic=FakeMicrophone(pace_s=0.025), player=FakePlayer(pace_s=0.04),
                spotter=EagerSpotter, console=console.append)

    def patient_acts(h: Harness) -> None:
        over.reading = ("his assistant said", "his assistant said")
        h.wait_until(lambda: "reply cut" in " ".join(console), "the television to cut the greeting")
        over.reading = None
        h.wait_played(Earcon.LISTENING)
        h.speak_when_listening(patient.says("what is the weather like today"))
        h.wait_said(2)

    h.run(patient_acts)
    assert h.loop.unconfirmed_barge_in is False and len(h.said) == 2, h.describe()
    assert not any(line.startswith("ignored") for line in console), console


def test_a_reply_that_says_the_wake_phrase_is_not_watched(session):
    """No echo cancellation: a reply saying « assistant » would hear itself and stop."""
    loop = LiveLoop(session, HANDS_FREE, lambda clip, stop: True, None, echo=lambda text: None, keys=None)
    done, woken = threading.Event(), threading.Event()
    assert loop._watch_while_speaking("I am your assistant.", done, woken) is None
    watcher = loop._watch_while_speaking("Your last reading was fine.", done, woken)
    assert watcher is not None
    done.set()
    watcher.join(2)
    assert not watcher.is_alive() and not woken.is_set()


def test_say_returns_false_when_cut_and_plays_nothing_more(session):
    """LiveLoop.say on its own: the stop event set during the first sentence ends the reply there, and a press
    during an earlier reply does not cut the next one."""
    played: list[AudioClip] = []
    cut = True

    def play(clip, stop) -> bool:
        played.append(clip)
        if cut:
            loop.press()  # the key, mid-sentence: the real player stops and returns False
        return not stop.is_set()

    loop = LiveLoop(session, PUSH_TO_TALK, play, None, echo=lambda text: None, keys=None)
    assert loop.say(session.start()) is False and len(played) == 1  # the greeting has three sentences
    cut = False
    played.clear()
    assert loop.say(session.start()) is True and len(played) == 3


# --- reminders and earcons ----------------------------------------------------------------------------------

def test_reminder_due_is_spoken_between_turns_never_over_the_patient(session, patient, clock):
    set_the_metformin_reminder(session)
    h = Harness(session, PUSH_TO_TALK)

    def patient_acts(h: Harness) -> None:
        h.wait_said(1)
        h.loop.press()
        h.wait_played(Earcon.LISTENING)
        clock.now = EVENING.replace(hour=20)  # due now, while the patient is talking
        h.mic.speak(patient.says(LAST))
        h.wait_said(3)

    h.run(patient_acts)
    greeting, answer, reminder = (s.text for s in h.said)
    assert answer.startswith("You have no readings saved yet."), answer  # the patient's turn first...
    assert reminder.startswith("It is eight in the evening. It is time for your metformin"), reminder  # ...then
    assert h.said[1].completed and h.said[2].completed


def test_earcons_tell_listening_understood_and_not_understood(session, patient):
    h = Harness(session, PUSH_TO_TALK)

    def patient_acts(h: Harness) -> None:
        h.wait_said(1)
        h.speak_when_listening(patient.says(LAST))
        h.wait_said(2)
        h.speak_when_listening(patient.says("what is the weather like today"))
        h.wait_said(3)
        h.speak_when_listening(hum())
        h.wait_said(4)

    h.run(patient_acts)
    assert earcons(h) == [LISTENING, UNDERSTOOD, LISTENING, NOT_UNDERSTOOD, LISTENING, NOT_UNDERSTOOD]
    assert h.said[2].text.startswith("I cannot do that."), h.said[2].text  # out of scope, said so
    assert h.heard[2] == "" and "did not understand" in h.said[3].text, h.said[3].text  # the hum: no words
    kinds = h.player.kinds()  # each earcon comes just before the words it announces
    assert all(kinds[i + 1] == "speech" for i, k in enumerate(kinds) if k in (UNDERSTOOD, NOT_UNDERSTOOD))


# --- the key reader -----------------------------------------------------------------------------------------

def test_key_reader_is_injected_and_its_end_stops_push_to_talk(session, patient):
    """`keys` replaces sys.stdin: each item is a press; when it ends, push-to-talk has no way to talk: stop."""
    h = Harness(session, PUSH_TO_TALK)
    replied = threading.Event()

    def keys():
        h.wait_said(1)
        yield "\n"  # Enter
        h.wait_played(Earcon.LISTENING)
        h.mic.speak(patient.says(REQUEST))
        h.wait_said(2)
        replied.set()

    h.loop._keys_source = keys
    watchdog = threading.Timer(40, h.loop.stopped.set)
    watchdog.start()
    try:
        h.loop.run()  # ends by itself when the keys end
    finally:
        watchdog.cancel()
    assert replied.is_set() and READ_BACK in h.said[1].text
    assert h.echoed[-1].startswith("The talk key can no longer be read")


def test_push_to_talk_builds_only_the_barge_in_spotter():
    """The loop's spotter says whether an utterance opens with the wake phrase: hands-free only. Push-to-talk keeps
    the barge-in watcher's (the wake phrase said over a reply stops it)."""
    class Spotter:
        def process(self, samples) -> bool:
            return False

        def reset(self) -> None:
            pass

    built: list[Spotter] = []

    def spotter() -> Spotter:
        built.append(Spotter())
        return built[-1]

    def loop(options: LiveOptions) -> LiveLoop:
        return LiveLoop(object(), options, lambda clip, stop_event=None: True, lambda callback: None,
                        echo=lambda line: None, keys=None, spotter=spotter)

    push = loop(PUSH_TO_TALK)
    assert push.spotter is None and push._barge_spotter is built[0] and len(built) == 1
    free = loop(HANDS_FREE)
    assert free.spotter is built[1] and free._barge_spotter is built[2]
