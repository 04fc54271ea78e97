"""The dashboard's words, in French and English (plain words, no abbreviations the clinician must decode).

The words live in prompts/hub/<lang>.yaml (read through voice_assistant.language, like every other word of the
project): `strings` (the sentences, with {names} filled here), `days` and `months` (short names for dates).
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from voice_assistant.language import LanguageDataError, language_file, read_yaml

LANGUAGES = ("fr", "en")


@lru_cache(maxsize=None)
def _load(lang: str) -> tuple[dict[str, str], tuple[str, ...], tuple[str, ...]]:
    path = language_file("prompts/hub", lang)
    data = read_yaml(path, what="the dashboard's words")
    strings, days, months = data.get("strings"), data.get("days"), data.get("months")
    if not isinstance(strings, dict) or not all(isinstance(v, str) for v in strings.values()):
        raise LanguageDataError("'strings' must map each key to a sentence", file=path, key="strings")
    if not (isinstance(days, list) and len(days) == 7 and isinstance(months, list) and len(months) == 12):
        raise LanguageDataError("'days' needs 7 names and 'months' 12", file=path)
    return {str(k): v for k, v in strings.items()}, tuple(map(str, days)), tuple(map(str, months))


def strings(lang: str) -> dict[str, str]:
    """Every sentence of the dashboard in `lang`, by key."""
    return dict(_load(lang)[0])


class Words:
    def __init__(self, lang: str):
        if lang not in LANGUAGES:
            raise ValueError(f"unknown dashboard language '{lang}': use one of {', '.join(LANGUAGES)}")
        self.lang = lang
        self._strings, self._days, self._months = _load(lang)

    def __call__(self, key: str, **values) -> str:
        return self._strings[key].format(**values)

    def get(self, key: str, default: str) -> str:
        return self._strings.get(key, default)

    def day(self, moment: datetime) -> str:
        """`Tue 24 Nov` / `mar. 24 nov.`"""
        return f"{self._days[moment.weekday()]} {moment.day} {self._months[moment.month - 1]}"

    def when(self, moment: datetime) -> str:
        """`Tue 24 Nov 2026, 07:40` in the moment's own offset."""
        return f"{self.day(moment)} {moment.year}, {moment:%H:%M}"

    def context(self, code: str | None) -> str:
        return self.get(f"ctx_{code}", code or "") if code else ""

    def alert(self, kind: str, fallback: str) -> str:
        return self.get(f"alert_{kind}", fallback)

    def number(self, value: float) -> str:
        text = f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"
        return text.replace(".", ",") if self.lang == "fr" else text
