"""`voice-assistant listen`: the microphone and the speaker around one `Session`.

Two ways to talk, both usable without a screen:
- push-to-talk: press Enter (or the space bar, or a big USB button that sends it), speak; the endpointer ends
  the turn after a pause, so older speakers can stop mid-sentence to think;
- hands-free: start with the wake phrase (« assistant », "assistant"). A keyword spotter on the continuous stream
  (asr/wake.py) decides that the phrase opened the utterance; without one, the recogniser's first word must be it.

Capture never stops: one microphone stream for the whole session writes into a ring buffer (audio/ring.py); the
loop reads it at its own pace, so speech that starts during or just after a chime or a reply is kept, and only the
samples that overlap the assistant's own sound (plus the measured echo tail) are left out. One output stream for
the session (audio/player.py) plays chimes and sentences; a reply's answer window starts when its last sample has
left the speaker. After a question (« Is that right? ») the patient answers without the key or the wake phrase.

Barge-in: the key (or the wake phrase) stops the assistant mid-sentence; with an echo canceller in front of the
microphone (`echo_cancelled`), any words do. The wake phrase over a reply is trusted as a wake at an utterance's
start is: the independent engine (whisper) must read it first once the assistant's own words heard back are left
out; otherwise (the television's "his assistant said") the reply is cut but the next words are taken only when they
would be without the barge-in or are a clearly understood request, and when they are not, the reply goes on
from the sentence cut. Earcons tell the state without words. Reminders and re-prompts are
spoken between turns, never over the patient.
"""

from __future__ import annotations

import functools

import re
import sys
import threading
import time
from collections import deque
from contextlib import closing
from dataclasses import dataclass
from typing import Callable, Iterable, Protocol

import numpy as np

from voice_assistant.asr.wake import WINDOW as WAKE_RULE_WINDOW
from voice_assistant.asr.wake import WakeCheck, WakeRule, engine_readings, likelihood_of, scorer_of
from voice_assistant.assistant import Event, Output, Session
from voice_assistant.audio.clip import SAMPLE_RATE, AudioClip
from voice_assistant.audio.earcons import Earcon, earcon
from voice_assistant.audio.ring import RELEASED, CaptureRing, EchoTail, Reader

#: The spotter's hit over the assistant's voice is checked in the recogniser's words of this much audio (seconds).
CONFIRM_S = 2.0
#: ...and the words are read this long after the spotter's hit: it fires before the phrase's last syllable ends,
#: and whisper read "assist" where the words stopped there (live: the request said over a reply was lost)
CONFIRM_AFTER_S = 0.4
#: How often the loop checks for reminders and re-prompts while nobody speaks (seconds).
IDLE_EVERY_S = 1.0

#: Ending (Ctrl+C while a reply plays), how long the barge-in watcher is waited for (seconds): it is a daemon
#: thread, and the decoding it may be inside cannot be stopped.
WATCHER_EXIT_S = 1.0

#: microphone buffering asked of the device (seconds): pocketsphinx holds Python's interpreter lock while it decodes
#: (over a second for a long utterance on a loaded machine), and the microphone's callback needs it
MIC_LATENCY_S = 0.5

__all__ = ["RELEASED", "LiveLoop", "LiveOptions", "WakeSpotter", "run_live"]


class WakeSpotter(Protocol):
    """A keyword spotter on the continuous stream (asr/wake.py)."""

    def process(self, samples: np.ndarray) -> bool:
        """Feed 16 kHz int16 samples; True when the wake phrase was just heard (its end is in these samples)."""

    def reset(self) -> None: ...


@dataclass(frozen=True)
class LiveOptions:
    push_to_talk: bool = True
    wake_words: tuple[str, ...] = ("assistant",)  #: the wake phrase's words, lowercase
    barge_in_by_wake_phrase: bool = True  #: the wake phrase said while the assistant speaks stops it
    idle_every_s: float = IDLE_EVERY_S  #: between turns, how often reminders and re-prompts are looked at
    echo_cancelled: bool = False  #: the microphone is echo-cancelled (PulseAudio/PipeWire): any words barge in
    #: push-to-talk: after the assistant's question the microphone opens by itself (no key, no chime), the answer
    #: window counted from the question's last sample (the tablet's page keeps its Talk button instead)
    answer_without_key: bool = False


def stdin_keys() -> Iterable[str]:
    """The talk key as a terminal sends it: one line (Enter, or space then Enter) per press."""
    return sys.stdin


class LiveLoop:
    """Runs one Session on audio devices (or on any source of blocks and any player, for tests).

    `play(clip, stop_event) -> bool` plays a clip and returns once it has been heard (False when `stop_event` cut
    it); a Player (audio/player.py) also says when its sounds leave the speaker, by the stream's clock, else the
    loop takes the call's start and end. `open_microphone(callback)` returns a context manager that calls
    `callback(block)` or `callback(block, t0)` with int16 blocks at 16 kHz while it is open (t0: the first
    sample's time.monotonic() time). `keys()` yields one item per press of the talk key (None: no key reader,
    press() is the only way). `spotter()` makes a wake-phrase spotter (None: the recogniser's words decide).
    `console(line)` gets one line per turn and state change, for a helper watching.
    """

    def __init__(self, session: Session, options: LiveOptions, play: Callable, open_microphone: Callable,
                 echo: Callable[[str], None] = print, keys: Callable[[], Iterable[object]] | None = stdin_keys,
                 on_state: Callable[[str], None] | None = None, can_speak: Callable[[], bool] | None = None,
                 spotter: Callable[[], WakeSpotter] | None = None, console: Callable[[str], None] | None = None):
        self.session = session
        self.on_state = on_state  #: told "listening", "thinking", "speaking", "waiting" (a screen shows it)
        self.can_speak = can_speak  #: False while nobody can hear (the tablet: no page open): reminders wait
        self.options = options
        self.wake_rule = WakeRule(options.wake_words)  #: whether an utterance opens with the wake phrase
        self._play = play
        self._open_microphone = open_microphone
        self._keys_source = keys
        self.echo = echo
        self.console = console
        # the echo tail left out after each of the assistant's sounds is measured from how the microphone's level
        # decays after them (the chime and the greeting first, then every reply); echo-cancelled: none is left out
        self.echo_tail: EchoTail | None = None if options.echo_cancelled else EchoTail()
        self.ring = CaptureRing(echo_tail_s=0.0 if self.echo_tail is None else self.echo_tail.tail_s,
                                tail_meter=self.echo_tail)
        self.reader: Reader = self.ring.reader()
        self._player_times = False
        owner = getattr(play, "__self__", None)
        if hasattr(owner, "on_sound") and not options.echo_cancelled:
            owner.on_sound.append(self._on_sound)  # the player's stream clock places each sound
            self._player_times = True
        #: the loop's spotter hears whether an utterance opens with the wake phrase: hands-free only (push-to-talk,
        #: the key opens the turn; it ran on every block for nothing)
        self.spotter = spotter() if spotter is not None and not options.push_to_talk else None
        #: the barge-in watcher's own spotter (it hears the assistant's voice too, so not the loop's), built once:
        #: building one loads the acoustic model, holding the interpreter lock ~0.4 s (0.8 s with both cores busy),
        #: long enough to starve the speaker's callback while a reply plays
        self._barge_spotter = spotter() if spotter is not None else None
        self._wakes: list[float] = []  #: endpointer stream times where the spotter heard the wake phrase end
        self._speech_from: float | None = None  #: stream time where the utterance in progress began
        #: the recogniser's latest partial of the utterance in progress opens with the wake phrase (rule 3 of
        #: asr/wake.py: every engine may still agree on it where the spotter missed it)
        self._partial_wakes = False
        self.stop_speaking = threading.Event()
        self.talk_pressed = threading.Event()
        self.pressed_at = 0.0  #: time.monotonic() of the last press
        self.stopped = threading.Event()
        self.awake = False  #: the wake phrase was said alone (or the patient barged in): the next words are ours
        self._ignored_because = "no wake phrase"  #: why the last utterance was not for the assistant (console)
        self.follow_up = False  #: push-to-talk: the assistant asked a question; listen without the key
        self._carried: list[Event] = []  #: utterances the barge-in watcher ended, for the turn that follows
        #: the wake phrase over the reply was heard, but not at the start of what the independent engine read (after
        #: the assistant's own words): the next utterance is taken only as a normal one would be, or when clearly
        #: understood (`_after_unconfirmed_barge_in`); else the cut reply goes on (`_resume_cut`)
        self.unconfirmed_barge_in = False
        #: the reply a barge-in cut, and the sentence it cut: said again from there when the barge-in came to nothing
        self._cut: tuple[Output, int] | None = None
        self._speaking_text = ""  #: the reply being said (its words heard back are the assistant's own)
        self._barge_words = ""  #: what the engines read in the last seconds over the reply (console)
        self._restart_window = False  #: the next samples after the assistant's sound open an answer window
        self._last_state = ""

    # --- output -----------------------------------------------------------------------------------

    def _on_sound(self, kind: str, t: float, handle: object) -> object:
        if kind == "start":  # `handle` is what the sound plays: its echo is found by its shape
            return self.ring.sound_started(t, handle if isinstance(handle, AudioClip) else None)
        self.ring.sound_ended(handle, t)
        return None

    def play_clip(self, clip, stop_event=None) -> bool:
        """Play through the injected player, with the sound marked in the capture ring."""
        if self._player_times or self.options.echo_cancelled:
            return self._play(clip, stop_event)
        sound = self.ring.sound_started(self.ring.clock())
        try:
            return self._play(clip, stop_event)
        finally:
            self.ring.sound_ended(sound, self.ring.clock())

    def say(self, output: Output, skip: int = 0) -> bool:
        """Speak a reply sentence by sentence (from sentence `skip`: a cut reply going on); False when barge-in cut
        it (the rest is not played; it is kept in `_cut` for an unconfirmed barge-in that comes to nothing).

        While it speaks, the microphone is still heard: the wake phrase (or, echo-cancelled, any words) stops it
        like the talk key does."""
        self.echo(output.text)
        self._state("speaking", screen=False)
        self.stop_speaking.clear()
        self.unconfirmed_barge_in = False
        self._cut = None
        done, woken = threading.Event(), threading.Event()
        watcher = self._watch_while_speaking(output.text, done, woken)
        interrupted = False
        try:
            with closing(output.sentences()) as sentences:
                for n, sentence in enumerate(sentences):
                    if n < skip:
                        continue
                    if self.stop_speaking.is_set() or not self.play_clip(sentence.audio, self.stop_speaking):
                        self._say_console("reply cut (the key, the wake phrase or the patient's words)")
                        self._cut = (output, n)
                        return False
            return True
        except BaseException:  # Ctrl+C (or a failure) while speaking: the loop is ending
            interrupted = True
            raise
        finally:
            self.session.reply_heard()  # re-prompts count the silence from the reply's end, not its start
            done.set()
            if interrupted:
                self.stop_speaking.set()  # the watcher's loop ends at its next block
            if watcher is not None:
                # the session is the loop's again; ending, the watcher is not waited for past a bound: it may be
                # inside a decoding of the last seconds (a whisper decoding took seconds with both cores busy)
                watcher.join(WATCHER_EXIT_S if interrupted else None)
            if woken.is_set() and not interrupted:
                if not self.options.push_to_talk:  # push-to-talk: the loop chimes, as for the key
                    self.awake = True
                    if not self.unconfirmed_barge_in:  # (unconfirmed: the console said what the next words must be)
                        self._say_console("wake phrase heard over the reply: the next words are taken without it")
                    if not self.options.echo_cancelled:  # echo-cancelled: the patient is already speaking
                        self.chime(Earcon.LISTENING)
                elif self.options.echo_cancelled:
                    self.talk_pressed.clear()
                    self.follow_up = True  # the words that cut the reply are the turn: no chime over them

    def _watch_while_speaking(self, text: str, done: threading.Event,
                              woken: threading.Event) -> threading.Thread | None:
        """Listen while the assistant speaks (until `done`).

        Echo-cancelled: the loop's own reader goes on; speech that starts stops the reply and is the next turn.
        Otherwise a raw reader (the assistant's voice included) looks for the wake phrase, in the spotter or in
        the words so far: heard, it stops the reply and opens a turn, as the talk key would (`woken` is set). Not
        when the reply itself says the wake phrase: with no echo cancellation the assistant would stop itself."""
        self._speaking_text = text
        if self.options.echo_cancelled:
            return self._start(self._watch_any_words, done, woken)
        wake = set(self.options.wake_words)
        if not self.options.barge_in_by_wake_phrase or not wake or wake & set(_words(text)):
            return None
        return self._start(self._watch_wake_phrase, done, woken)

    def _start(self, target, done, woken) -> threading.Thread:
        watcher = threading.Thread(target=target, args=(done, woken), daemon=True, name="barge-in")
        watcher.start()
        return watcher

    def _watch_any_words(self, done: threading.Event, woken: threading.Event) -> None:
        while not done.is_set() and not self.stop_speaking.is_set():
            samples = self.reader.read(0.05)
            if samples is None or not len(samples):
                continue
            if samples is RELEASED:  # a held button (the tablet) is never echo-cancelled
                continue
            events = self._feed(samples)
            if any(e.kind == "speech_started" for e in events) or self.session.endpointer.in_speech:
                woken.set()
                self.stop_speaking.set()
                self._carried = [e for e in events if e.kind == "utterance"]
                return

    def _watch_wake_phrase(self, done: threading.Event, woken: threading.Event) -> None:
        raw = self.ring.reader(raw=True)
        raw.seek_to(self.ring.clock())
        spotter = self._barge_spotter
        if spotter is not None:
            spotter.reset()  # nothing heard during an earlier reply counts now
        wake = set(self.options.wake_words)
        recent: deque[np.ndarray] = deque()  #: the last seconds of what the microphone heard
        confirm_in: int | None = None  #: samples still to hear after a spotter's hit before its words are checked
        fed = False
        try:
            # a hit heard as the reply ends is still checked (0.4 s more): its words are past the reply's end
            while (not done.is_set() or confirm_in is not None) and not self.stop_speaking.is_set():
                samples = raw.read(0.05)
                if samples is None or samples is RELEASED or not len(samples):
                    continue
                if spotter is not None:
                    recent.append(samples)
                    while sum(len(r) for r in recent) - len(recent[0]) >= (CONFIRM_S + CONFIRM_AFTER_S) * SAMPLE_RATE:
                        recent.popleft()
                    if spotter.process(samples) and confirm_in is None:
                        confirm_in = round(CONFIRM_AFTER_S * SAMPLE_RATE)
                    elif confirm_in is not None:
                        confirm_in -= len(samples)
                    if confirm_in is None or confirm_in > 0:
                        continue
                    confirm_in = None
                    heard = self._wake_in_words(np.concatenate(recent), wake)
                    if heard is None:
                        self._say_console(f"wake phrase spotted over the reply but not in its words: ignored "
                                          f"(“{self._barge_words}”)")
                        continue
                    woken.set()
                    self.press()
                    if heard == "unconfirmed":  # after press(), which clears it (the key is always trusted)
                        self._say_console("wake phrase over the reply, not at the start of the second recogniser's "
                                          f"words (“{self._barge_words}”): the next words must be a clear request")
                        self.unconfirmed_barge_in = True
                    return
                fed = True
                for event in self.session.feed(samples.astype("<i2").tobytes()):
                    if event.transcript is not None and wake & set(_words(event.transcript.text)):
                        woken.set()
                        self.press()
                        return
        finally:
            if fed:  # the raw audio (the reply included) is not part of what the loop hears next
                self.session.endpointer.reset()

    def _wake_in_words(self, audio: np.ndarray, wake: set[str]) -> str | None:
        """The spotter heard the wake phrase over the assistant's own voice: do the recogniser's words of the last
        seconds say it too? (The spotter alone wakes on the assistant's echo: once per long reply with the echo
        at -10 dB, see scripts/bench_bargein.py.) None: no; "confirmed": the independent engine's reading (whisper's
        of two; the one engine's otherwise) opens with the phrase once the assistant's own words heard back are left
        out (`WakeRule.opens_after`), as a wake opens an utterance; "unconfirmed": some reading has the word
        elsewhere (the television's "Sharon, his assistant said"): the reply is cut, but the next words are taken
        only when they are clearly for the assistant (`_after_unconfirmed_barge_in`)."""
        if self.session.recognizer is None:
            return "confirmed"
        transcript, _ = self.session.recognize(AudioClip(audio.astype(np.int16), SAMPLE_RATE))
        # any engine's own reading: the chosen one is built for requests, and a phrase cut off where the spotter
        # fired was chosen as pocketsphinx's "best this" over whisper's "assistant" (live, no echo: request lost)
        engines = engine_readings(transcript)
        self._barge_words = " / ".join(dict.fromkeys((transcript.text, *engines)))
        if not any(wake & set(_words(text)) for text in (transcript.text, *engines)):
            return None
        said = self._speaking_text
        own = set(_words(said)) | {re.sub(r"[^\w'-]+", "", w.lower()) for w in said.split()}
        independent = engines[-1] if len(engines) >= 2 else transcript.text
        return "confirmed" if self.wake_rule.opens_after(independent.split(), own) else "unconfirmed"

    def chime(self, kind: Earcon) -> None:
        self.play_clip(earcon(kind), None)

    # --- input ------------------------------------------------------------------------------------

    def press(self) -> None:
        """The talk key: stops the assistant mid-sentence and opens the microphone for one turn."""
        self.pressed_at = self.ring.clock()
        self.unconfirmed_barge_in = False
        self.stop_speaking.set()
        self.talk_pressed.set()

    def hold(self) -> None:
        """The talk button is still down a moment after press() (the tablet): pauses do not end this turn;
        release() does."""
        self.session.hold()

    def release(self) -> None:
        """The held button let go: the turn ends there, after the audio already received."""
        self.ring.mark_release()

    def _on_block(self, block: np.ndarray, t0: float | None = None) -> None:
        """The microphone's thread: into the ring (a minute is kept while nobody reads)."""
        self.ring.write(block, t0)

    def _read_keys(self) -> None:
        for _ in self._keys_source():
            if self.stopped.is_set():
                return
            self.press()
        if self.options.push_to_talk:  # no more key presses can come: nothing left to do
            self.echo("The talk key can no longer be read (standard input closed): stopping.")
            self.stopped.set()

    def _for_the_assistant(self, utterance: Event, text: str, readings: tuple[str, ...] = ()) -> str | None:
        """The words meant for the assistant, or None when they were not for it.

        Push-to-talk: everything heard after the key ("" too: the dialogue says it heard nothing it knows).
        Hands-free: the utterance must open with the wake phrase (the TV, a visitor, a noise are ignored), and
        the words after it are the request; after the wake phrase said alone or a barge-in, the next words without
        it; while the assistant's question is open (« C'est bien ça ? »), an answer to it without it
        (`DialogueManager.answers_question`: short, and a yes, a no, a value of the kind asked...). `readings`: each engine's
        own text when the recogniser combines two (asr/wake.py, `WakeRule`)."""
        if self.unconfirmed_barge_in and (self.options.push_to_talk or self.awake):
            return self._after_unconfirmed_barge_in(utterance, text, readings)
        if self.options.push_to_talk or self.awake:
            self.awake = False
            request = self.wake_rule.request(text.split())
            if self.options.push_to_talk or not self.wake_rule.meaningful:
                return " ".join(request)
            # hands-free, after the wake phrase said alone (or over a reply): words that mean nothing to the pack get
            # no reply either, as after the phrase (`WakeRule.meaningful_request`): "I did not understand" is an
            # answer to whoever spoke, the television too
            taken = (self.wake_rule.meaningful_request(request, [r.split() for r in readings],
                                                       self.session.manager.understander.understand)
                     if request else None)
            if taken is None and request and self.session.manager.answers_question(" ".join(request)):
                taken = request
            if taken is None:
                self._ignored_because = "after the wake phrase, words that mean nothing to the assistant"
                return None
            return " ".join(taken)
        words = text.split()
        hits = None
        if self.spotter is not None:
            hits = self._take_wakes(utterance.start_s)
        rule = self.wake_rule
        split = [r.split() for r in readings]
        understand = self.session.manager.understander.understand
        scorer = scorer_of(self.session.recognizer)
        # the utterance's PCM, made once and only if whisper's model is asked (most utterances never reach it)
        pcm = functools.cache(utterance.audio.pcm) if utterance.audio is not None else None
        # whisper's model, asked only for an unconfirmed wake's clearly understood request it did not read
        likelihood = likelihood_of(scorer, pcm) if scorer is not None and pcm is not None else None
        if rule.opens(utterance.start_s, hits, words, split):
            taken = rule.taken(utterance.start_s, hits, split, rule.request(words, split), understand,
                               likelihood=likelihood)
            if taken is not None:
                return " ".join(taken)
            self._ignored_because = ("the request after the wake phrase means nothing to the assistant"
                                     if rule.corroborated(utterance.start_s, hits, split) or hits is None
                                     or len(split) < 2 else
                                     "wake phrase not confirmed by the second recogniser, request not clearly understood")
            return None
        taken = rule.sounding_request(utterance.start_s, hits, words, split, understand)  # rule 5
        if taken is not None:
            self._say_console(f"wake phrase heard by the spotter, read as words that sound like it: “{text}”")
            return " ".join(taken)
        if scorer is not None and pcm is not None and rule.needs_check(utterance.start_s, hits, words, split):
            request = WakeCheck(self.options.wake_words, scorer).request(pcm(), words, split)
            taken = None if request is None else rule.taken(utterance.start_s, hits, split, request, understand,
                                                            likelihood=likelihood)
            if request is not None and taken is not None:
                self._say_console(f"wake phrase heard by the spotter, read as “{' '.join(words[:len(words) - len(request)])}”")
                return " ".join(taken)
        if words and self.session.manager.answers_question(text):
            return text
        return None

    def _after_unconfirmed_barge_in(self, utterance: Event, text: str, readings: tuple[str, ...]) -> str | None:
        """The first words after a barge-in the independent engine did not confirm: taken as the hands-free loop
        would take them without it (opening with the wake phrase, or answering the open question), or when they are
        a request understood as an unconfirmed wake's must be (`WakeRule.understood_request`: "stop", "my sugar is
        120"); else nothing (the cut reply then goes on, `_resume_cut`)."""
        self.unconfirmed_barge_in = False
        self.awake = False
        if not self.options.push_to_talk:
            words = self._for_the_assistant(utterance, text, readings)
            if words is not None:
                return words
        request = " ".join(self.wake_rule.request(text.split()))
        if self.options.push_to_talk and request and self.session.manager.answers_question(request):
            return request
        understood = self.wake_rule.understood_request(request.split(), [r.split() for r in readings],
                                                       self.session.manager.understander.understand)
        if understood is not None:
            return " ".join(understood)
        self._ignored_because = "wake phrase over the reply not confirmed, request not clearly understood"
        return None

    def _resume_cut(self) -> bool:
        """An unconfirmed barge-in came to nothing (words not for the assistant, or silence): the reply it cut goes
        on from the sentence it cut, whatever it was. A blind patient cannot read it again: a question must not be
        lost, nor the end of a lab result, a saved value's read-back or a reminder, because the television said the
        word; and a patient who really meant to interrupt says it again (a clear "assistant, stop" is taken). True
        when something was said."""
        cut, self._cut = self._cut, None
        self.unconfirmed_barge_in = False
        if cut is None:
            return False
        output, sentence = cut
        self._say_console("the reply goes on (the words over it were not for the assistant)")
        self.say(output, skip=sentence)
        self._after_reply(output)
        return True

    def run(self) -> None:
        if self._keys_source is not None:  # first: the key may cut the greeting too
            threading.Thread(target=self._read_keys, daemon=True, name="talk-key").start()
        try:
            self._run()
        finally:  # however it ends (Ctrl+C too): the loop's threads see it and stop
            self.stopped.set()
            self.stop_speaking.set()

    def _run(self) -> None:
        with self._open_microphone(self._on_block):
            self.say(self.session.start())  # the microphone is open: the wake phrase may cut the greeting too
            while not self.stopped.is_set():
                if self.options.push_to_talk:
                    if not self.follow_up and not self.talk_pressed.is_set():
                        if self._last_state != "waiting":  # after the greeting, a reminder
                            self._state("waiting")
                        if not self.talk_pressed.wait(self.options.idle_every_s):
                            self._idle()
                            continue
                    self.follow_up = False
                    if self.stopped.is_set():
                        break
                    if self.talk_pressed.is_set():
                        self.talk_pressed.clear()
                        pressed_at = self.pressed_at
                        self.chime(Earcon.LISTENING)
                        self.reader.seek_to(pressed_at)  # speech begun while the chime played is kept
                        self.session.endpointer.reset()
                self._state("listening")
                self._listen_for_turn()
                if not self.follow_up:
                    self._state("waiting")

    def _state(self, state: str, screen: bool = True) -> None:
        if self.on_state is not None and screen:
            self.on_state(state)
        if self.console is not None and state != self._last_state:
            self.console(f"[{state}]")
        self._last_state = state

    def _idle(self) -> None:
        if self.can_speak is not None and not self.can_speak():
            return  # re-prompts and reminders wait until someone can hear them
        output = self.session.idle()
        if output is not None:
            self.say(output)
            self._after_reply(output)

    def _after_reply(self, output: Output) -> None:
        """A reply that asks something opens the next turn without the key; its answer window starts when the
        reply's last sample has left the speaker (the samples before are the assistant's, left out)."""
        if output.reply.expects != "anything" and not self.talk_pressed.is_set() and self.options.answer_without_key:
            self.follow_up = True
        self._restart_window = True

    def _feed(self, samples: np.ndarray) -> list[Event]:
        """Samples to the session (and the spotter, on the same timeline)."""
        endpointer = self.session.endpointer
        if self.spotter is not None and self.spotter.process(samples):
            self._wakes.append(endpointer.stream_time_s + len(samples) / SAMPLE_RATE)
        events = self.session.feed(samples.astype("<i2").tobytes())
        for event in events:
            if event.kind == "speech_started":
                self._speech_from, self._partial_wakes = event.start_s, False
            elif event.kind == "partial" and event.transcript is not None:
                self._partial_wakes = self.wake_rule.transcript_opens(event.transcript.text.split())
            elif event.kind == "utterance":
                self._speech_from, self._partial_wakes = None, False
        self._drop_if_not_opened()
        return events

    def _take_wakes(self, start_s: float | None) -> list[float]:
        """The spotter's hits so far, for the utterance that began at `start_s`; those past its window stay for
        the next one."""
        hits = self._wakes
        self._wakes = [t for t in hits if start_s is None or t > start_s + WAKE_RULE_WINDOW[1]]
        return hits

    def _drop_if_not_opened(self) -> None:
        """Hands-free: once the spotter's window at an utterance's start has passed without the wake phrase, and
        no question of the assistant's is open, the utterance cannot be for the assistant: it is not decoded.
        Unless the recogniser's partial opens with the phrase: the spotter misses some voices, and every engine
        opening with it then opens the utterance (asr/wake.py, rule 3)."""
        start = self._speech_from
        if self.spotter is None or self.options.push_to_talk or self.awake or start is None \
                or not self.session.endpointer.in_speech or self.session.manager.ctx.pending is not None:
            return
        if self.session.endpointer.stream_time_s < start + WAKE_RULE_WINDOW[1]:
            return
        if not self.wake_rule.spotted_near(start, self._wakes) and not self._partial_wakes:
            self.session.not_for_assistant()

    def _listen_for_turn(self) -> None:
        """Push-to-talk: one turn (a reply, or a silence). Hands-free: until stopped, answering what opens with
        the wake phrase and speaking reminders in the pauses."""
        last_idle = time.monotonic()
        self._restart_window = False
        carried, self._carried = self._carried, []
        for event in carried:
            if event.kind == "utterance" and event.audio is not None and self._answer(event):
                if self.options.push_to_talk:
                    return
        while not self.stopped.is_set():
            endpointer = self.session.endpointer
            if self.options.push_to_talk and self.talk_pressed.is_set() and not endpointer.in_speech:
                return  # a new press: the loop chimes and listens from it
            if not self.options.push_to_talk and not self.awake and not endpointer.in_speech \
                    and time.monotonic() - last_idle >= self.options.idle_every_s:
                self._idle()  # a live microphone never stops sending blocks: look at the clock here
                self._state("listening")  # after a reminder or a re-prompt said: listening again
                last_idle = time.monotonic()
            samples = self.reader.read(min(0.1, self.options.idle_every_s))
            if samples is None:
                continue
            if self.reader.skipped:  # the assistant's sound was left out just before these samples
                self.reader.skipped = False
                if self._restart_window and not endpointer.in_speech:
                    endpointer.restart_no_speech_timer()  # the answer window opens now
                self._restart_window = False
            events = self.session.release() if samples is RELEASED else self._feed(samples)
            for event in events:
                if event.kind == "no_speech":
                    if self.unconfirmed_barge_in:  # nothing said after it: the wake phrase was not the patient's
                        self._say_console("nothing said after the wake phrase over the reply")
                        self.awake = False
                        if self._resume_cut() and not self.options.push_to_talk:
                            self._state("listening")
                            continue
                    if self.options.push_to_talk:
                        return
                    self.awake = False  # the wake phrase said alone, then silence: back to needing it
                if event.kind != "utterance" or event.audio is None:
                    continue
                if self._answer(event):
                    if self.options.push_to_talk:
                        return
                    self._state("listening")  # the reply's last sample heard: the console says so, as after the key

    def _answer(self, utterance: Event) -> bool:
        """Reply to one utterance when it is for the assistant; True when a turn was taken."""
        if utterance.undecoded:
            self._take_wakes(utterance.start_s)
            self._say_console("ignored (no wake phrase at its start; not decoded)")
            return False
        if utterance.transcript is not None:  # decoded while it was said
            transcript, seconds = utterance.transcript, utterance.asr_seconds
        else:
            transcript, seconds = self.session.recognize(utterance.audio)
        after_barge_in = self.unconfirmed_barge_in and (self.options.push_to_talk or self.awake)
        needs_wake_word = not self.options.push_to_talk and (not self.awake or after_barge_in)
        self._ignored_because = "no wake phrase"
        words = self._for_the_assistant(utterance, transcript.text, engine_readings(transcript))
        if words is None:
            self._say_console(f"ignored ({self._ignored_because}): “{transcript.text}”")
            return after_barge_in and self._resume_cut()
        if needs_wake_word and not words:  # the wake phrase alone: listening now
            self._say_console("wake phrase heard: listening")
            self.chime(Earcon.LISTENING)
            self.awake = True
            self.session.endpointer.reset()
            return False
        self._state("thinking")
        output = self.session.text(words, transcript.confidence, transcript, {"asr": seconds})
        understood = output.turn is not None and output.turn.understanding.intent != "none"
        self._report(transcript, output)
        self.chime(Earcon.UNDERSTOOD if understood else Earcon.NOT_UNDERSTOOD)
        self.say(output)
        self._after_reply(output)
        return True

    def _say_console(self, line: str) -> None:
        if self.console is not None:
            self.console(line)

    def _report(self, transcript, output: Output) -> None:
        """One line for a helper: what was heard (with the recogniser's confidence), understood and done."""
        if self.console is None:
            return
        turn = output.turn
        understood = "nothing" if turn is None else turn.understanding.intent
        if turn is not None and turn.understanding.slots:
            understood += " " + ", ".join(f"{k}={v}" for k, v in dict(turn.understanding.slots).items())
        done = ", ".join(output.reply.events) or ("asked: " + output.reply.expects if output.reply.expects !=
                                                 "anything" else "answered")
        confidence = "?" if transcript.confidence is None else f"{transcript.confidence:.2f}"
        self.console(f"heard “{transcript.text}” ({confidence}) → understood {understood} → {done}")


def run_live(session: Session, options: LiveOptions, echo: Callable[[str], None] = print,
             console: Callable[[str], None] | None = None, spotter: Callable[[], WakeSpotter] | None = None) -> None:
    """The loop on the real microphone and speaker: one input stream and one output stream for the session."""
    from functools import partial

    from voice_assistant.audio import devices

    devices.check_audio_devices()
    with devices.open_player() as player:
        # a large input buffer: a recogniser call that holds the interpreter for a moment loses no sample
        microphone = partial(devices.open_microphone, timed=True, latency=MIC_LATENCY_S)
        loop = LiveLoop(session, options, player.play, microphone, echo, spotter=spotter, console=console)
        loop.run()
        if console is not None and player.underruns:
            console(f"[speaker: {player.underruns} underruns]")
        if console is not None and loop.ring.gaps:
            console(f"[microphone: {loop.ring.gaps} gaps]")
        if console is not None and loop.echo_tail is not None and loop.echo_tail.measured:
            console(f"[echo tail: {loop.ring.echo_tail_s:.2f} s, from {len(loop.echo_tail.measured)} recent "
                    "measurements]")


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W\d_]+", text.lower())
