"""Try `voice-assistant listen --lang en` as a patient would, and as the held-out live check does: a private PulseAudio
daemon (tests/live/pulsekit.py), the patient's voice into the virtual microphone with human timing, the console read
as a helper would, "no" when the read-back is wrong, then `readings --json`.

    python3 scripts/try_live.py                          # push-to-talk (Enter), dry voice, joe
    python3 scripts/try_live.py --condition room --seed 3
    python3 scripts/try_live.py --condition phone --voice en-us+m3 --busy
    python3 scripts/try_live.py --hands-free --condition room --tv 5   # "assistant, ..." with television between

What it does, per turn: a request (push-to-talk: Enter, the chime's end, 100 ms; hands-free: "assistant, " first,
said again once when the console says it was let pass), then the patient's answer to any question 300 ms after its
last sample: "yes" when the read-back holds what was said, the right value when asked "was it X, or Y?", else "no";
asked for the right number after a "no", the value alone once (as a person would), else "cancel". The requests are drawn by `--seed` from PHRASINGS: readings said in many ways (mg/dL and mmol/L),
questions, a reminder, a dose. Hands-free, the television (scripts/bench_wake.py's programmes, "assistant" inside
its sentences) talks between requests and must get no answer.

Prints one line per turn and a summary: requests, read-backs right, stored as confirmed, stored NOT confirmed (must be
0), confirmed but not stored (must be 0), television answered (must be 0), wake phrase missed. Exit 1 when a must-be-0
is not. A benchmark for people, not a unit test: it prints what happened; the tests in tests/live/ assert the rules.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "tests" / "live"))

from pulsekit import Listen, Mouth, Pulse, pulse_daemon  # noqa: E402

REPLY = r"^(?!\d\d:\d\d:\d\d )\S"  #: a reply's words (console lines start with the time)
QUESTION = r"(\?|Please answer)"


@dataclass(frozen=True)
class Phrasing:
    """Something the patient says; `value`: the reading in mg/dL it gives (None: no reading); `expect`: words the
    read-back must hold to be right (the value as the assistant says it, a medicine's name)."""

    text: str
    value: float | None = None
    expect: tuple[str, ...] = ()
    again: str = ""  #: how the patient says the value alone, when asked which of two it was


def reading(text: str, mg_dl: float, *expect: str, again: str = "") -> Phrasing:
    return Phrasing(text, mg_dl, expect, again)


#: Phrasings not in the project's corpora on purpose (a try, not a score to tune): readings as people say them.
PHRASINGS = [
    reading("my sugar is one eighteen", 118, "one hundred and eighteen", again="one hundred eighteen"),
    reading("blood sugar this morning was a hundred and five", 105, "one hundred and five",
            again="a hundred and five"),
    reading("I just checked, it says ninety two", 92, "ninety-two", again="ninety two"),
    reading("my glucose reading is one forty three after lunch", 143, "one hundred and forty-three",
            again="one forty three"),
    reading("fasting sugar one twenty six", 126, "one hundred and twenty-six", again="one twenty six"),
    reading("it was seven point two millimoles", 129.7, "seven point two", again="seven point two"),
    reading("my meter says two hundred and ten", 210, "two hundred and ten", again="two hundred and ten"),
    reading("sugar level eighty seven before dinner", 87, "eighty-seven", again="eighty seven"),
    reading("I got one sixty five after breakfast", 165, "one hundred and sixty-five", again="one sixty five"),
    reading("my blood glucose is five point eight", 104.5, "five point eight", again="five point eight"),
    reading("the reading was one thirty", 130, "one hundred and thirty", again="one thirty"),
    reading("today's number is ninety eight", 98, "ninety-eight", again="ninety eight"),
]
OTHERS = [
    Phrasing("what was my last reading"),
    Phrasing("do I have any reminders"),
    Phrasing("remind me to take metformin at eight pm", expect=("metformin", "eight in the evening")),
    Phrasing("I took my lantus", expect=("glargine",)),
    Phrasing("read me my blood test results"),
]


def holds(said: Phrasing, reply: str) -> bool:
    """Whether a read-back holds what was said (every expected word)."""
    return bool(said.expect) and all(w.lower() in reply.lower() for w in said.expect)


def clip_of(voices, text: str, voice: str, condition: str, rng: np.random.Generator) -> np.ndarray:
    """What the patient says as the microphone hears it: the voice, then the room or the telephone line."""
    import make_audio_devset as devset

    x = voices.say(text, voice, int(rng.integers(125, 165)))
    if condition in ("room", "room+phone"):
        x = devset.reverb(x, rng)
    if condition in ("phone", "room+phone"):
        x = devset.phone(x)
    return x.astype(np.float64) * 0.7


class Trial:
    def __init__(self, args: argparse.Namespace, pulse: Pulse, folder: Path):
        from bench_wake import MATERIAL, Voices, television

        self.args, self.pulse, self.folder = args, pulse, folder
        self.rng = np.random.default_rng(args.seed)
        self.voices = Voices([args.voice, *MATERIAL[args.programmes].voices])
        self.env = {**pulse.env, "PYTHONPATH": str(ROOT), "XDG_CONFIG_HOME": str(folder / "config"),
                    "XDG_DATA_HOME": str(folder / "data"), "PYTHONUNBUFFERED": "1"}
        self.tv: list[np.ndarray] = []
        if args.hands_free and args.tv > 0:
            audio, _ = television(self.voices, args.tv, MATERIAL[args.programmes], (0.6, 1.4))
            self.tv = np.array_split(audio.astype(np.float64) * 0.5, max(1, args.turns))
        self.confirmed: list[float] = []
        self.stats = {"requests": 0, "read back right": 0, "asked which": 0, "said no": 0, "said the value again": 0,
                      "wake missed": 0, "television answered": 0}
        self.clips: dict[str, np.ndarray] = {}

    def say(self, text: str) -> np.ndarray:
        if text not in self.clips:
            self.clips[text] = clip_of(self.voices, text, self.args.voice, self.args.condition, self.rng)
        return self.clips[text]

    def run(self) -> int:
        args = self.args
        picks = random.Random(args.seed).sample(PHRASINGS, min(len(PHRASINGS), args.turns - 2))
        picks += random.Random(args.seed + 1).sample(OTHERS, 2)
        random.Random(args.seed + 2).shuffle(picks)
        command = [sys.executable, "-m", "voice_assistant", "listen", "--lang", "en"]
        command += ["--hands-free"] if args.hands_free else []
        hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)] if args.busy else []
        self.mouth = Mouth(self.pulse)
        self.proc = subprocess.Popen(command, cwd=self.folder, env=self.env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
        self.listen = Listen(self.proc)
        threading.Thread(target=self.listen.read, daemon=True).start()
        try:
            self.listen.wait(r"\[waiting\]|\[listening\]", 0, timeout=180)
            for k, said in enumerate(picks):
                if self.tv:
                    self.watch(self.tv[k % len(self.tv)])
                self.turn(said)
        finally:
            self.mouth.close()
            for hog in hogs:
                hog.kill()
                hog.wait()
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGINT)
                try:
                    self.proc.wait(30)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
        return self.report()

    def quiet(self, seconds: float = 4.0) -> None:
        """Until the console has been still for `seconds` (a decode may take 2-3 s)."""
        seen, still = self.listen.count, time.monotonic()
        while time.monotonic() - still < seconds:
            time.sleep(0.1)
            if self.listen.count != seen:
                seen, still = self.listen.count, time.monotonic()

    def watch(self, programme: np.ndarray) -> None:
        start = self.listen.count
        self.mouth.say(programme)
        while self.mouth.speaking:
            time.sleep(0.05)
        self.quiet()
        answered = [line for line in self.listen.text().splitlines()[start:] if "heard “" in line]
        self.stats["television answered"] += len(answered)
        for line in answered:
            print(f"  TV ANSWERED: {line}")

    def request(self, said: Phrasing) -> tuple[int, str] | None:
        self.stats["requests"] += 1
        text = f"assistant, {said.text}" if self.args.hands_free else said.text
        for attempt in range(2):
            start = self.listen.count
            if self.args.hands_free:
                self.quiet(1.0)
            else:
                self.listen.wait(r"\[waiting\]", max(0, start - 1), timeout=90)
                self.listen.press()
                i, _ = self.listen.wait(r"\[listening\]", start, timeout=60)
                time.sleep(0.1)
            self.mouth.say(self.say(text))
            while self.mouth.speaking:
                time.sleep(0.02)
            said_by = time.monotonic()  #: a line before this is the television's (decoded late under load)
            try:
                i, line = self.listen.wait(r"heard “|ignored \(", start, timeout=60)
                while "heard “" not in line and not self.of_request(line, said.text, self.listen.lines[i][0] >= said_by):
                    i, line = self.listen.wait(r"heard “|ignored \(", i + 1, timeout=60)  # the television's
            except AssertionError:
                print(f"  no answer to: {text}")
                return None
            if "heard “" in line:
                return i, line
            self.stats["wake missed"] += 1
            print(f"  let pass ({attempt + 1}): {line.strip()}")
        return None

    @staticmethod
    def of_request(line: str, text: str, after_it: bool) -> bool:
        """Whether an "ignored" line is the request's (not the television's, decoded late under load): one that
        came after the request was said and was let pass undecoded, or one whose words are mostly the request's."""
        if "not decoded" in line:
            return after_it
        from rapidfuzz import fuzz

        heard = line.partition("“")[2].rstrip("”")
        return fuzz.partial_ratio(heard.lower(), text.lower()) >= 60

    def answer(self, word: str, after: int) -> tuple[int, str] | None:
        try:
            i, _ = self.listen.wait(r"\[listening\]", after, timeout=60)
        except AssertionError:
            return None
        time.sleep(0.3)
        start = self.listen.count
        self.mouth.say(self.say(word))
        try:
            return self.listen.wait(r"heard “", start, timeout=60)
        except AssertionError:
            return None

    def reply_after(self, i: int) -> tuple[int, str]:
        """The reply's first line and all of its words until the next state line."""
        j, first = self.listen.wait(REPLY, i + 1, timeout=60)
        self.quiet(1.0)
        lines = self.listen.text().splitlines()[j:]
        words = [first]
        for line in lines[1:]:
            if not re.match(REPLY, line):
                break
            words.append(line)
        return j, " ".join(words)

    def exchange(self, word: str, after: int) -> tuple[int, str] | None:
        """The patient answers `word` to the question of the reply at `after`: the assistant's reply to it."""
        got = self.answer(word, after)
        if got is None:
            print(f"    (no answer heard to {word!r})")
            return None
        i, line = got
        j, reply = self.reply_after(i)
        print(f"    patient: {word!r} -> {line.strip()}\n    {reply}")
        return j, reply

    def turn(self, said: Phrasing) -> None:
        heard = self.request(said)
        if heard is None:
            print(f"- {said.text!r}: not heard")
            return
        i, line = heard
        j, reply = self.reply_after(i)
        print(f"- {said.text!r}\n    {line.strip()}\n    {reply}")
        right = holds(said, reply)
        if right:
            self.stats["read back right"] += 1
        said_again = False
        for _ in range(4):
            if not re.search(QUESTION, reply):
                return
            if right and " or " not in reply:
                word = "yes"
            elif said.value is not None and " or " in reply and said.expect[0] in reply and said.again:
                word = said.again  # "was it X, or Y?": the patient says the value again
                self.stats["asked which"] += 1
            else:  # heard wrong, or a question about something the patient never meant
                word = "no"
            if word == "no":
                self.stats["said no"] += 1
            got = self.exchange(word, j)
            if got is None:
                return
            j, reply = got
            if word == "yes" and reply.startswith("Saved:") and said.value is not None:
                self.confirmed.append(said.value)
            if word == "no":
                if said.again and not said_again and re.search(QUESTION, reply) and " or " not in reply:
                    # "What is the right number?": as a person would, the patient says the value again, once
                    said_again = True
                    self.stats["said the value again"] += 1
                    got = self.exchange(said.again, j)
                    if got is None:
                        return
                    j, reply = got
                    right = holds(said, reply)
                    continue
                if re.search(QUESTION, reply):
                    self.exchange("cancel", j)
                return
            right = holds(said, reply)

    def report(self) -> int:
        readings = subprocess.run([sys.executable, "-m", "voice_assistant", "readings", "--json"], env=self.env,
                                  capture_output=True, text=True, timeout=60, cwd=self.folder)
        try:
            stored = sorted(round(r["glucose_mg_dl"], 1) for r in json.loads(readings.stdout))
        except (json.JSONDecodeError, KeyError, TypeError):
            print(readings.stdout, readings.stderr)
            stored = []
        confirmed = sorted(round(v, 1) for v in self.confirmed)
        not_confirmed = [v for v in stored if v not in confirmed]
        not_stored = [v for v in confirmed if v not in stored]
        stderr = self.proc.stderr.read() if self.proc.stderr else ""
        tracebacks = (self.listen.text() + stderr).count("Traceback")
        print(f"\n{self.args.condition}, voice {self.args.voice}, {'hands-free' if self.args.hands_free else 'push'}"
              f"{', busy' if self.args.busy else ''}, seed {self.args.seed}")
        for key, value in self.stats.items():
            print(f"  {key}: {value}")
        print(f"  stored as confirmed: {len(confirmed) - len(not_stored)} {confirmed}")
        print(f"  stored NOT confirmed: {not_confirmed}  confirmed NOT stored: {not_stored}  tracebacks: {tracebacks}")
        log = self.folder / "console.txt"
        log.write_text(self.listen.text() + "\n--- stderr ---\n" + stderr, encoding="utf-8")
        print(f"  console: {log}")
        if self.args.console:
            print(self.listen.text())
        bad = not_confirmed or not_stored or tracebacks or self.stats["television answered"]
        return 1 if bad else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hands-free", action="store_true")
    parser.add_argument("--condition", choices=("dry", "room", "phone", "room+phone"), default="dry")
    parser.add_argument("--voice", default="joe", help="joe, joe@F (F times the pace), or an eSpeak NG voice")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument("--busy", action="store_true", help="both cores kept busy by two other processes")
    parser.add_argument("--tv", type=float, default=3.0, help="hands-free: minutes of television in all")
    parser.add_argument("--programmes", default="fourth", help="bench_wake.py's material for the television")
    parser.add_argument("--console", action="store_true", help="print the whole console at the end")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="va-try-"))
    # the live tests' daemon (virtual microphone and speaker), with PortAudio pointed at it and all undone after
    with contextmanager(pulse_daemon)() as pulse:
        return Trial(args, pulse, folder).run()


if __name__ == "__main__":
    sys.exit(main())
