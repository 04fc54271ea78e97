"""`voice-assistant listen`: the microphone and the speaker around one `Session`.

Two ways to talk, both usable without a screen:
- push-to-talk: press Enter (or the space bar, or a big USB button that sends it), speak; the endpointer ends
  the turn after a pause, so older speakers can stop mid-sentence to think;
- hands-free: speak after the wake phrase (« assistant », "assistant"), which the recogniser hears like any
  word of the pack.
Barge-in: the key stops the assistant mid-sentence. Earcons tell the state without words. Reminders and
re-prompts are spoken between turns, never over the patient.
"""

from __future__ import annotations

import queue
import re
import sys
import threading
import time
from contextlib import closing
from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np

from voice_assistant.assistant import Event, Output, Session
from voice_assistant.audio.earcons import Earcon, earcon

#: How often the loop checks for reminders and re-prompts while nobody speaks (seconds).
IDLE_EVERY_S = 1.0
#: Microphone blocks kept while nobody reads them (30 s of 30 ms blocks); older ones are dropped.
MAX_QUEUED_BLOCKS = 1000
#: Queued after the microphone's blocks when a held talk button is let go: the turn ends there, in order.
RELEASED = np.zeros(0, dtype=np.int16)


@dataclass(frozen=True)
class LiveOptions:
    push_to_talk: bool = True
    wake_words: tuple[str, ...] = ("assistant",)  #: the wake phrase's words, lowercase
    barge_in_by_wake_phrase: bool = True  #: the wake phrase said while the assistant speaks stops it
    idle_every_s: float = IDLE_EVERY_S  #: between turns, how often reminders and re-prompts are looked at


def stdin_keys() -> Iterable[str]:
    """The talk key as a terminal sends it: one line (Enter, or space then Enter) per press."""
    return sys.stdin


class LiveLoop:
    """Runs one Session on audio devices (or on any source of blocks and any player, for tests).

    `play(clip, stop_event) -> bool` plays a clip (False when `stop_event` cut it); `open_microphone(callback)`
    returns a context manager that calls `callback` with int16 blocks at 16 kHz while it is open; `keys()`
    yields one item per press of the talk key (None: no key reader, press() is the only way).
    """

    def __init__(self, session: Session, options: LiveOptions, play: Callable, open_microphone: Callable,
                 echo: Callable[[str], None] = print, keys: Callable[[], Iterable[object]] | None = stdin_keys,
                 on_state: Callable[[str], None] | None = None, can_speak: Callable[[], bool] | None = None):
        self.session = session
        self.on_state = on_state  #: told "listening", "thinking", "waiting" (a screen shows it; the tablet)
        self.can_speak = can_speak  #: False while nobody can hear (the tablet: no page open): reminders wait
        self.options = options
        self._play = play
        self._open_microphone = open_microphone
        self._keys_source = keys
        self.echo = echo
        self.blocks: queue.Queue[np.ndarray] = queue.Queue(maxsize=MAX_QUEUED_BLOCKS)
        self.stop_speaking = threading.Event()
        self.talk_pressed = threading.Event()
        self.stopped = threading.Event()
        self.awake = False  #: the wake phrase was said alone: the next utterance is for the assistant

    # --- output -----------------------------------------------------------------------------------

    def say(self, output: Output) -> bool:
        """Speak a reply sentence by sentence; False when barge-in cut it (the rest is not played).

        While it speaks, the microphone is still heard: the wake phrase stops it like the talk key does."""
        self.echo(output.text)
        self.stop_speaking.clear()
        done, woken = threading.Event(), threading.Event()
        watcher = self._watch_for_wake_phrase(output.text, done, woken)
        try:
            with closing(output.sentences()) as sentences:
                for sentence in sentences:
                    if self.stop_speaking.is_set() or not self._play(sentence.audio, self.stop_speaking):
                        return False
            return True
        finally:
            done.set()
            if watcher is not None:
                watcher.join()  # the session is the loop's again
            if woken.is_set() and not self.options.push_to_talk:  # push-to-talk: the loop chimes, as for the key
                self.awake = True
                self.chime(Earcon.LISTENING)

    def _watch_for_wake_phrase(self, text: str, done: threading.Event,
                               woken: threading.Event) -> threading.Thread | None:
        """Listen while the assistant speaks (until `done`): the wake phrase heard, in the words so far or in a
        whole utterance, stops the reply and opens a turn, as the talk key would (`woken` is set). Not when the
        reply itself says the wake phrase: with no echo cancellation the assistant would stop itself."""
        wake = set(self.options.wake_words)
        if not self.options.barge_in_by_wake_phrase or not wake or wake & set(_words(text)):
            return None

        def watch() -> None:
            self._drain()  # what was heard before the reply started is not an answer to it
            while not done.is_set() and not self.stop_speaking.is_set():
                try:
                    block = self.blocks.get(timeout=0.05)
                except queue.Empty:
                    continue
                if block is RELEASED:  # for the turn that follows
                    self._on_block(block)
                    return
                for event in self.session.feed(block.astype("<i2").tobytes()):
                    if event.transcript is not None and wake & set(_words(event.transcript.text)):
                        woken.set()
                        self.press()
                        return

        watcher = threading.Thread(target=watch, daemon=True, name="wake-phrase-barge-in")
        watcher.start()
        return watcher

    def chime(self, kind: Earcon) -> None:
        self._play(earcon(kind), None)

    # --- input ------------------------------------------------------------------------------------

    def press(self) -> None:
        """The talk key: stops the assistant mid-sentence and opens the microphone for one turn."""
        self.stop_speaking.set()
        self.talk_pressed.set()

    def hold(self) -> None:
        """The talk button is still down a moment after press() (the tablet): pauses do not end this turn;
        release() does."""
        self.session.hold()

    def release(self) -> None:
        """The held button let go: the turn ends there, after the audio already received."""
        self._on_block(RELEASED)

    def _on_block(self, block: np.ndarray) -> None:
        """The microphone's thread: queue the block; waiting hours for the key keeps only the last 30 s."""
        while True:
            try:
                self.blocks.put_nowait(block)
                return
            except queue.Full:
                try:
                    self.blocks.get_nowait()
                except queue.Empty:
                    pass

    def _read_keys(self) -> None:
        for _ in self._keys_source():
            if self.stopped.is_set():
                return
            self.press()
        if self.options.push_to_talk:  # no more key presses can come: nothing left to do
            self.echo("The talk key can no longer be read (standard input closed): stopping.")
            self.stopped.set()

    def _for_the_assistant(self, text: str) -> str | None:
        """The words meant for the assistant, or None when they were not for it.

        Push-to-talk: everything heard after the key ("" too: the dialogue says it heard nothing it knows).
        Hands-free: the words after the wake phrase (the TV, a visitor, a noise are ignored); after the wake phrase
        said alone, or while a question is open (« C'est bien ça ? »), the next words without it."""
        if self.options.push_to_talk or self.awake:
            self.awake = False
            return text
        words = text.split()
        for i, word in enumerate(words):
            if word in self.options.wake_words:
                return " ".join(words[i + 1:])
        if words and self.session.manager.ctx.pending is not None:
            return text
        return None

    def run(self) -> None:
        if self._keys_source is not None:  # first: the key may cut the greeting too
            threading.Thread(target=self._read_keys, daemon=True, name="talk-key").start()
        with self._open_microphone(self._on_block):
            self.say(self.session.start())  # the microphone is open: the wake phrase may cut the greeting too
            while not self.stopped.is_set():
                if self.options.push_to_talk:
                    if not self.talk_pressed.wait(self.options.idle_every_s):
                        self._idle()
                        continue
                    self.talk_pressed.clear()
                    if self.stopped.is_set():
                        break
                    self.chime(Earcon.LISTENING)
                self._drain()  # after the chime: its echo in the microphone is not the patient
                self._state("listening")
                self._listen_for_turn()
                self._state("waiting")

    def _state(self, state: str) -> None:
        if self.on_state is not None:
            self.on_state(state)

    def _idle(self) -> None:
        if self.can_speak is not None and not self.can_speak():
            return  # re-prompts and reminders wait until someone can hear them
        output = self.session.idle()
        if output is not None:
            self.say(output)
            self._drain()

    def _drain(self) -> None:
        """Forget what the microphone heard so far (the assistant's own voice and chimes, old noise); a held
        button let go meanwhile still ends the turn."""
        released = False
        while True:
            try:
                released |= self.blocks.get_nowait() is RELEASED
            except queue.Empty:
                break
        self.session.endpointer.reset()
        if released:
            self._on_block(RELEASED)

    def _listen_for_turn(self) -> None:
        """Push-to-talk: one turn (a reply, or a silence). Hands-free: until stopped, answering what is said
        after the wake phrase and speaking reminders in the pauses."""
        last_idle = time.monotonic()
        while not self.stopped.is_set():
            if not self.options.push_to_talk and not self.awake and not self.session.endpointer.in_speech \
                    and time.monotonic() - last_idle >= self.options.idle_every_s:
                self._idle()  # a live microphone never stops sending blocks: look at the clock here
                last_idle = time.monotonic()
            try:
                block = self.blocks.get(timeout=self.options.idle_every_s)
            except queue.Empty:
                continue
            events = self.session.release() if block is RELEASED else self.session.feed(block.astype("<i2").tobytes())
            for event in events:
                if event.kind == "no_speech":
                    if self.options.push_to_talk:
                        return
                    self.awake = False  # the wake phrase said alone, then silence: back to needing it
                if event.kind != "utterance" or event.audio is None:
                    continue
                if self._answer(event):
                    if self.options.push_to_talk:
                        return
                    break  # the rest of this block was heard before the reply, like the drained echo

    def _answer(self, utterance: Event) -> bool:
        """Reply to one utterance when it is for the assistant; True when a turn was taken."""
        if utterance.transcript is not None:  # decoded while it was said
            transcript, seconds = utterance.transcript, utterance.asr_seconds
        else:
            transcript, seconds = self.session.recognize(utterance.audio)
        needs_wake_word = not self.options.push_to_talk and not self.awake
        words = self._for_the_assistant(transcript.text)
        if words is None:
            return False
        if needs_wake_word and not words:  # the wake phrase alone: listening now
            self.chime(Earcon.LISTENING)
            self.awake = True
            self._drain()
            return False
        self._state("thinking")
        output = self.session.text(words, transcript.confidence, transcript, {"asr": seconds})
        understood = output.turn is not None and output.turn.understanding.intent != "none"
        self.chime(Earcon.UNDERSTOOD if understood else Earcon.NOT_UNDERSTOOD)
        self.say(output)
        self._drain()  # what the microphone heard meanwhile is the assistant's own voice
        return True


def run_live(session: Session, options: LiveOptions, echo: Callable[[str], None] = print) -> None:
    from voice_assistant.audio import devices

    devices.check_audio_devices()
    LiveLoop(session, options, devices.play, devices.open_microphone, echo).run()


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W\d_]+", text.lower())
