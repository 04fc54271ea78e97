"""Values said the way they are said: numbers, decimals, times of day, dates, emergency numbers.

One `Speech` per language serves both voices of the assistant: the dialogue writes its values with it
(« un gramme vingt », "eight thirty in the morning", « hier soir à vingt heures ») and the synthesiser's
normaliser (`tts/normalize.py`) uses it for whatever still reaches a voice with digits. The words come from
`prompts/speech/<lang>.yaml` (numbers, time, dates); the dialogue's phrases that frame a value (« ce matin à
{time} », the glucose units, the list joins) stay in its prompts (`prompts/<lang>.yaml`, under `speech:`).

    >>> speech_for("fr").time("21:01")
    'vingt et une heures une'
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from num2words import num2words

from voice_assistant.health.glucose import GlucoseUnit, from_mg_dl
from voice_assistant.language import LanguageDataError, Phrases, base_language, folder, read_yaml



class SpeechRulesError(LanguageDataError):
    """The rules for a language are missing or broken; the message names the file."""


def speech_rules_dir() -> Path:
    return folder("prompts/speech")


@lru_cache(maxsize=8)
def load_speech_rules(language: str, directory: str | None = None) -> tuple[dict[str, Any], Path]:
    """`prompts/speech/<language>.yaml` as read (shared: do not change it) and its path."""
    path = Path(directory or speech_rules_dir()) / f"{language}.yaml"
    if not path.is_file():
        raise SpeechRulesError(f"no speech rules for language '{language}'; add prompts/speech/{language}.yaml",
                               file=path)
    data = read_yaml(path, error=SpeechRulesError, what="the speech rules", mapping=False)
    if not isinstance(data, dict):
        raise SpeechRulesError("expected a mapping of speech rules", file=path)
    return data, path


def speech_for(language: str, prompts: Phrases | None = None) -> Speech:
    """The `Speech` of "fr", "en" (or "fr-FR"...); `prompts` gives it the dialogue's phrases (`glucose`, `when`...)."""
    language = base_language(language)
    return Speech(*load_speech_rules(language, str(speech_rules_dir())), prompts=prompts)


class Speech:
    """Numbers, glucose values, times and moments written as they are said, never as digits or symbols."""

    def __init__(self, rules: dict[str, Any], path: Path | str = "<rules>", prompts: Phrases | None = None):
        self.path = Path(path)
        self.p = prompts
        try:
            self.lang = base_language(str(rules["language"]))
            n = rules["numbers"]
            self.decimal_word: str = n["decimal_word"]
            self.digit_by_digit = bool(n.get("decimals_digit_by_digit"))
            self.zero: str = n["zero"]
            feminine = n.get("feminine") or {}
            self.one_word, self.one_feminine = feminine.get("one"), feminine.get("one_feminine")
            self.phone_numbers = {str(k): str(v) for k, v in (n.get("phone_numbers") or {}).items()}
            self.clock_words: dict[str, Any] = rules["time"]
            dates = rules.get("dates") or {}
            self.months: list[str] = list(dates.get("months") or [])
            self.weekdays: list[str] = list(dates.get("weekdays") or [])
        except (KeyError, TypeError, AttributeError) as exc:
            raise SpeechRulesError(f"{self.path}: malformed speech rules ({exc!r})") from None

    @property
    def _phrases(self) -> Phrases:
        if self.p is None:
            raise SpeechRulesError(f"{self.path}: this Speech has no dialogue prompts for its phrases")
        return self.p

    # ------------------------------------------------------------------------------------------ numbers

    def cardinal(self, n: int, feminine: bool = False) -> str:
        """A whole number; `feminine` where the language says « vingt et une heures », « une unité »."""
        words = num2words(n, lang=self.lang)
        if feminine and self.one_word and self.one_feminine:
            words = re.sub(rf"(^|[\s-]){re.escape(self.one_word)}$", rf"\g<1>{self.one_feminine}", words)
        return words

    def digits(self, digits: str) -> str:
        """Digit by digit: "911" -> "nine one one"."""
        return " ".join(num2words(int(d), lang=self.lang) for d in digits)

    def decimal(self, whole_words: str, decimals: str) -> str:
        """The whole part (already words) and the decimals as written ("05", "45"): "seven point four five"
        digit by digit in English; « zéro virgule soixante-huit » in French, but « un virgule zéro cinq »
        where a zero leads, and digit by digit past three decimals."""
        if self.digit_by_digit or decimals.startswith("0") or len(decimals) > 3:
            said = self.digits(decimals)
        else:
            said = num2words(int(decimals), lang=self.lang)
        return f"{whole_words} {self.decimal_word} {said}"

    def number(self, value: float) -> str:
        value = round(float(value), 2)
        if value.is_integer():
            return num2words(int(value), lang=self.lang)
        whole, _, decimals = f"{value:.2f}".rstrip("0").partition(".")
        return self.decimal(num2words(int(whole), lang=self.lang), decimals)

    def glucose(self, mg_dl: float, unit: GlucoseUnit) -> str:
        p = self._phrases
        value = from_mg_dl(mg_dl, unit)
        if unit is GlucoseUnit.G_L:
            grams = int(value)
            cents = int(round((value - grams) * 100))
            gram_word = p.raw("speech.gram") if grams <= 1 else p.raw("speech.grams")
            if cents == 0:
                return p.say("speech.units.g/L", grams=self.number(grams), gram_word=gram_word,
                             number=self.number(value))
            cents_words = f"{self.zero} {self.number(cents)}" if cents < 10 else self.number(cents)
            return p.say("speech.units.g/L_cents", grams=self.number(grams), gram_word=gram_word,
                         cents=cents_words, number=self.number(value))
        return p.say(f"speech.units.{unit.value}", number=self.number(value))

    def phone(self, number: str) -> str:
        """An emergency or phone number as it is said: « quinze », « cent douze », "nine one one"."""
        if number in self.phone_numbers:
            return self.phone_numbers[number]
        return self.digits("".join(d for d in number if d.isdigit()))

    # ------------------------------------------------------------------------------------------ times

    def clock(self, hour: int, minute: int, with_day_part: bool = True, oclock: bool = False) -> str:
        """A valid time of day (0-23, 0-59). On a twelve-hour clock, `with_day_part` says "in the morning"...;
        without it, `oclock` says "eight o'clock" on the hour where the language has such a word."""
        t = self.clock_words
        minutes = self.cardinal(minute, feminine=True)
        if minute and minute < 10 and "minutes_under_ten" in t:
            minutes = t["minutes_under_ten"].format(minutes=minutes)
        if hour == 12 and minute == 0:
            return t["noon"]
        if hour == 0 and minute == 0:
            return t["midnight"]
        if hour in (0, 12):  # "twelve forty in the afternoon", « midi quarante »; without the day part when the
            # sentence already says it ("this afternoon at twelve forty")
            day_part = t["day_parts"][_day_part(hour)] if with_day_part and t.get("twelve_hour") else ""
            key = "noon_with_minutes" if hour == 12 else "midnight_with_minutes"
            return " ".join(t[key].format(minutes=minutes, day_part=day_part).split())
        spoken, day_part = hour, ""
        if t.get("twelve_hour"):
            spoken = hour % 12 or 12
            if with_day_part:
                part = "morning" if hour < 12 else "afternoon" if hour < 18 else "evening" if hour < 22 else "night"
                day_part = t["day_parts"][part]
            elif oclock and minute == 0 and t.get("oclock"):
                day_part = t["oclock"]
        if spoken == 1:
            key = "one_with_minutes" if minute else "one_oclock"
        else:
            key = "with_minutes" if minute else "on_the_hour"
        said = t[key].format(hour=self.cardinal(spoken, feminine=True), minutes=minutes, day_part=day_part)
        return " ".join(said.split())

    def time(self, hhmm: str, with_day_part: bool = True) -> str:
        hour, minute = (int(x) for x in hhmm.split(":"))
        return self.clock(hour, minute, with_day_part)

    def when(self, moment: datetime, now: datetime) -> str:
        """« ce matin à sept heures quarante », "last night at ten in the evening", « lundi à ... »."""
        p = self._phrases
        moment = moment.astimezone(now.tzinfo)
        days_ago = (now.date() - moment.date()).days
        part = _day_part(moment.hour)
        time_words = self.time(moment.strftime("%H:%M"), with_day_part=days_ago > 1)
        if days_ago == 0:
            return p.say(f"speech.when.{part}", time=time_words)
        if days_ago == 1:
            return p.say(f"speech.when.yesterday_{part}", time=time_words)
        if 1 < days_ago < 7:
            return p.say("speech.when.weekday", weekday=self.weekdays[moment.weekday()], time=time_words)
        return p.say("speech.when.date", day=self.number(moment.day), month=self.months[moment.month - 1],
                     time=time_words)

    # ------------------------------------------------------------------------------------------ phrases

    def context(self, context: str | None) -> str:
        return self._phrases.raw(f"speech.contexts.{context}") if context else ""

    def period(self, period: str) -> str:
        return self._phrases.raw(f"speech.periods.{period}")

    def period_phrase(self, period: str) -> str:
        """The period as it opens a sentence: « Aujourd'hui », "In the last seven days"."""
        words = self.period(period)
        return words[:1].upper() + words[1:]

    def join(self, items: list[str], last: str = "speech.list_and") -> str:
        if len(items) <= 1:
            return "".join(items)
        return ", ".join(items[:-1]) + self._phrases.raw(last) + items[-1]

    def join_or(self, items: list[str]) -> str:
        return self.join(items, "speech.list_or")


def _day_part(hour: int) -> str:
    return "night" if hour < 5 or hour >= 22 else "morning" if hour < 12 else "afternoon" if hour < 18 else "evening"
