"""What the assistant says: `prompts/<lang>.yaml`, and values written for the ear.

Code never builds a French or English sentence: it picks a prompt by key and fills it with values that
`Speech` has already turned into words (« un gramme vingt », "eight thirty in the morning", « hier soir »).
"""

from __future__ import annotations

import os
import string
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from num2words import num2words

from voice_assistant.health.glucose import GlucoseUnit, from_mg_dl
from voice_assistant.nlu.packs import REPO_ROOT


class PromptError(ValueError):
    """A prompt pack is missing or broken; the message names the file and the key."""


def prompts_dir() -> Path:
    return Path(os.environ.get("VOICE_ASSISTANT_PROMPTS", REPO_ROOT / "prompts"))


class Prompts:
    """One language's prompts. `say("glucose.saved", value=...)` -> the sentence."""

    def __init__(self, data: dict, path: Path):
        self.data = data
        self.path = path
        self.lang = str(data.get("language", path.stem))
        self.speech = Speech(self)

    def raw(self, key: str) -> Any:
        node: Any = self.data
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                raise PromptError(f"{self.path}: missing prompt '{key}'")
            node = node[part]
        return node

    def say(self, key: str, **values: Any) -> str:
        template = self.raw(key)
        if not isinstance(template, str):
            raise PromptError(f"{self.path}: prompt '{key}' must be text")
        try:
            return template.format(**values)
        except (KeyError, IndexError) as exc:
            raise PromptError(f"{self.path}: prompt '{key}' uses {exc}, which is not given") from None

    def fields(self, key: str) -> set[str]:
        """The {names} a prompt expects: the tests check every language asks for the same."""
        return {f for _, f, _, _ in string.Formatter().parse(self.raw(key)) if f}


@lru_cache(maxsize=8)
def load_prompts(lang: str, directory: str | None = None) -> Prompts:
    path = Path(directory or prompts_dir()) / f"{lang}.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PromptError(f"{path}: cannot read the prompts ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise PromptError(f"{path}: not valid YAML" + (f" at line {mark.line + 1}" if mark else "")) from None
    if not isinstance(data, dict):
        raise PromptError(f"{path}: expected a mapping of prompts")
    return Prompts(data, path)


class Speech:
    """Numbers, glucose values, times and moments written as they are said, never as digits or symbols."""

    def __init__(self, prompts: Prompts):
        self.p = prompts
        self.lang = prompts.lang

    def number(self, value: float) -> str:
        value = round(float(value), 2)
        if value.is_integer():
            return num2words(int(value), lang=self.lang)
        whole, _, decimals = f"{value:.2f}".rstrip("0").partition(".")
        # "zero point six eight" digit by digit in English; « zéro virgule soixante-huit » in French,
        # but « un virgule zéro cinq » where a zero leads
        if decimals.startswith("0") or self.p.data.get("speech", {}).get("decimals_digit_by_digit"):
            words = " ".join(num2words(int(d), lang=self.lang) for d in decimals)
        else:
            words = num2words(int(decimals), lang=self.lang)
        return f"{num2words(int(whole), lang=self.lang)} {self.p.raw('speech.decimal_word')} {words}"

    def glucose(self, mg_dl: float, unit: GlucoseUnit) -> str:
        value = from_mg_dl(mg_dl, unit)
        if unit is GlucoseUnit.G_L:
            grams = int(value)
            cents = int(round((value - grams) * 100))
            gram_word = self.p.raw("speech.gram") if grams <= 1 else self.p.raw("speech.grams")
            if cents == 0:
                return self.p.say("speech.units.g/L", grams=self.number(grams), gram_word=gram_word,
                                  number=self.number(value))
            cents_words = (f"{self.p.raw('speech.zero')} {self.number(cents)}" if cents < 10
                           else self.number(cents))
            return self.p.say("speech.units.g/L_cents", grams=self.number(grams), gram_word=gram_word,
                              cents=cents_words, number=self.number(value))
        return self.p.say(f"speech.units.{unit.value}", number=self.number(value))

    def phone(self, number: str) -> str:
        """An emergency or phone number as it is said: « quinze », « cent douze », "nine one one"."""
        known = self.p.raw("speech.phone_numbers")
        if number in known:
            return known[number]
        return " ".join(num2words(int(d), lang=self.lang) for d in number if d.isdigit())

    def _feminine(self, words: str) -> str:
        """« vingt et une heures », « huit heures une »: hours and minutes are feminine in some languages."""
        one, feminine = self.p.raw("speech.one"), self.p.raw("speech.one_feminine")
        head, _, last = words.rpartition(" ")
        return f"{head} {feminine}".strip() if last == one else words

    def time(self, hhmm: str, with_day_part: bool = True) -> str:
        hour, minute = (int(x) for x in hhmm.split(":"))
        t = self.p.raw("speech.time")
        minutes = self._feminine(self.number(minute))
        if minute and minute < 10 and "minutes_under_ten" in t:
            minutes = t["minutes_under_ten"].format(minutes=minutes)
        if hour == 12 and minute == 0:
            return t["noon"]
        if hour == 0 and minute == 0:
            return t["midnight"]
        if hour == 12:
            return t["noon_with_minutes"].format(minutes=minutes)
        if hour == 0:
            return t["midnight_with_minutes"].format(minutes=minutes)
        day_part = ""
        spoken_hour = hour
        if t.get("twelve_hour"):
            part = "morning" if hour < 12 else "afternoon" if hour < 18 else "evening" if hour < 22 else "night"
            day_part = t["day_parts"][part] if with_day_part else ""
            spoken_hour = hour % 12 or 12
        if spoken_hour == 1:
            key = "one_with_minutes" if minute else "one_oclock"
        else:
            key = "with_minutes" if minute else "on_the_hour"
        return t[key].format(hour=self._feminine(self.number(spoken_hour)), minutes=minutes,
                             day_part=day_part).strip()

    def when(self, moment: datetime, now: datetime) -> str:
        """« ce matin à sept heures quarante », "last night at ten in the evening", « lundi à ... »."""
        moment = moment.astimezone(now.tzinfo)
        days_ago = (now.date() - moment.date()).days
        part = _day_part(moment.hour)
        time_words = self.time(moment.strftime("%H:%M"), with_day_part=days_ago > 1)
        if days_ago == 0:
            return self.p.say(f"speech.when.{part}", time=time_words)
        if days_ago == 1:
            return self.p.say(f"speech.when.yesterday_{part}", time=time_words)
        if 1 < days_ago < 7:
            weekday = self.p.raw("speech.weekdays")[moment.weekday()]
            return self.p.say("speech.when.weekday", weekday=weekday, time=time_words)
        month = self.p.raw("speech.months")[moment.month - 1]
        return self.p.say("speech.when.date", day=self.number(moment.day), month=month, time=time_words)

    def context(self, context: str | None) -> str:
        return self.p.raw(f"speech.contexts.{context}") if context else ""

    def period(self, period: str) -> str:
        return self.p.raw(f"speech.periods.{period}")

    def period_phrase(self, period: str) -> str:
        """The period as it opens a sentence: « Aujourd'hui », "In the last seven days"."""
        words = self.period(period)
        return words[:1].upper() + words[1:]

    def join(self, items: list[str], last: str = "speech.list_and") -> str:
        if len(items) <= 1:
            return "".join(items)
        return ", ".join(items[:-1]) + self.p.raw(last) + items[-1]

    def join_or(self, items: list[str]) -> str:
        return self.join(items, "speech.list_or")


def _day_part(hour: int) -> str:
    return "night" if hour < 5 or hour >= 22 else "morning" if hour < 12 else "afternoon" if hour < 18 else "evening"


def recheck_time(now: datetime, minutes: int) -> datetime:
    return now + timedelta(minutes=minutes)
