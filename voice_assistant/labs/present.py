"""What the assistant says about lab results, built from data. Pure: the caller reads the store, the packs and
the clock, and passes them in.

Words come from `prompts/labs/<lang>.yaml` (names by LOINC code, spoken unit names, sentences), read as
`Prompts`; numbers are said by `Speech.number` (« sept virgule quatre », "seven point four"). Only what `gate()`
lets through is ever put into a sentence: results in progress are never read, and withheld results are announced
without their value.

The dialogue uses one `LabPresentation`: `summary` first, then `say_item(i)` for one result per turn, and
`index_of(test)` / `about(test)` for « et mon hémoglobine glyquée ? » (the NLU's `test` slot).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from num2words import num2words

from voice_assistant.language import LanguageDataError, Phrases, folder, read_yaml
from voice_assistant.speech import Speech
from voice_assistant.store import LabResult

from .gate import Disclosed, RangeStatus, comparator, gate

_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


class LabPackError(LanguageDataError):
    """A lab language file is missing or broken; the message names the file and the key."""


# --- the language data ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LabTest:
    """One LOINC code as the patient hears it."""

    loinc: str
    name: str
    """Everyday words: « hémoglobine glyquée, votre moyenne de sucre sur trois mois »."""
    test: str | None
    """The understanding's `test` slot id (hba1c, ldl...), or None when it cannot be asked for by name."""


class LabPack(Phrases):
    """One language's lab words: `prompts/labs/<lang>.yaml`, read as prompts (`raw`, `fields`; `say` takes the
    sentences under `say`), with the lookups by LOINC code."""

    error = LabPackError
    what = ""  # "missing 'say.none'"

    def __init__(self, data: Any, path: Path) -> None:
        if not isinstance(data, dict):
            raise LabPackError(f"{path}: expected a mapping with tests, units, date and say")
        super().__init__(data, path)
        self.tests: dict[str, LabTest] = {}
        for loinc, entry in self._mapping("tests").items():
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"].strip():
                raise LabPackError(f"{path}: tests.{loinc} needs a name")
            test = entry.get("test")
            if test is not None and not isinstance(test, str):
                raise LabPackError(f"{path}: tests.{loinc}.test must be a test id or null")
            self.tests[str(loinc)] = LabTest(loinc=str(loinc), name=entry["name"].strip(), test=test)
        self._units = {_unit_key(str(unit)): str(words) for unit, words in self._mapping("units").items()}
        self._mapping("date")
        self._mapping("say")

    def _mapping(self, key: str) -> dict:
        value = self.data.get(key)
        if not isinstance(value, dict):
            raise LabPackError(f"{self.path}: '{key}' must be a mapping")
        return value

    def name(self, loinc: str) -> str | None:
        test = self.tests.get(loinc)
        return test.name if test else None

    def test_id(self, loinc: str) -> str | None:
        test = self.tests.get(loinc)
        return test.test if test else None

    def loincs(self, test_id: str) -> tuple[str, ...]:
        """The LOINC codes of an NLU test id, in the pack's order (hba1c -> 4548-4, 17856-6, 59261-8)."""
        return tuple(t.loinc for t in self.tests.values() if t.test == test_id)

    def test_name(self, test_id: str) -> str | None:
        codes = self.loincs(test_id)
        return self.tests[codes[0]].name if codes else None

    def unit_name(self, unit: str | None) -> str | None:
        """« micromoles par litre » for "µmol/L", "umol/l" or "µmol / L"; None when the pack lacks the unit."""
        return None if not unit else self._units.get(_unit_key(unit))

    def order(self, loinc: str) -> int:
        """Where a test comes when reading (its place in the pack); unknown codes last."""
        for position, code in enumerate(self.tests):
            if code == loinc:
                return position
        return len(self.tests)

    def say(self, key: str, **values: Any) -> str:
        """The sentence `say.<key>` filled with `values` (already words)."""
        return _tidy(super().say(f"say.{key}", **values))

    def template_keys(self) -> set[str]:
        """Every template under `say` and `date`, dotted ("say.status.within"): the same in every language.
        (`date.day_words` is not a template: each language lists the days it says differently.)"""
        keys: set[str] = set()

        def walk(node: Any, prefix: str) -> None:
            if isinstance(node, dict):
                for key, value in node.items():
                    walk(value, f"{prefix}.{key}")
            elif isinstance(node, str):
                keys.add(prefix)

        walk(self.data.get("say"), "say")
        walk(self.data.get("date"), "date")
        return {key for key in keys if not key.startswith("date.day_words.")}


def labs_dir() -> Path:
    """`prompts/labs/`, beside the assistant's prompts (follows `VOICE_ASSISTANT_PROMPTS`)."""
    return folder("prompts/labs")


@lru_cache(maxsize=8)
def load_lab_pack(lang: str, directory: str | os.PathLike[str] | None = None) -> LabPack:
    path = Path(directory or labs_dir()) / f"{lang}.yaml"
    return LabPack(read_yaml(path, error=LabPackError, what="the lab words", mapping=False), path)


# --- what is said ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LabItem:
    """One result, ready to be said."""

    result: LabResult
    """As released (without value, range or interpretation when withheld)."""
    name: str
    """Everyday name, or the laboratory's own when the pack does not know the code."""
    test: str | None
    """The NLU test id (hba1c, ldl...), if any."""
    status: RangeStatus
    withheld: bool
    """Announced without its value: the patient hears abnormal results with their doctor."""
    text: str
    """« Hémoglobine glyquée, … : sept virgule quatre pour cent. C'est au-dessus des valeurs de référence. »"""


@dataclass(frozen=True)
class LabPresentation:
    """Everything the dialogue says about lab results, for one listening session."""

    summary: str
    """Said first: how many released results, of which date, how many outside the reference values, whether
    others are pending; or that there is none yet."""
    items: tuple[LabItem, ...]
    """The results of the most recent released day, one per turn, in the pack's order."""
    date: str | None
    """That day as the laboratory wrote it (YYYY-MM-DD), or None when nothing is released."""
    outside: int
    """Items above or below their reference values (withheld ones are not counted: they are not said)."""
    pending: int
    """Results still in progress (never read)."""
    previous_hint: str
    start_of_list: str
    """To say on « précédent » at the first result."""
    end_of_list: str
    """To say on « suivant » after the last result (also said after reading it)."""
    next_hint: str = ""
    _about: Mapping[str, str] = field(default_factory=dict, repr=False)
    _index: Mapping[str, int] = field(default_factory=dict, repr=False)

    def say_item(self, index: int) -> str:
        """Result `index` (0-based), with the hint that fits: how to go on after the first, the end after the
        last. Raises IndexError outside the list: say `start_of_list` / `end_of_list` instead."""
        if not 0 <= index < len(self.items):
            raise IndexError(f"no lab result {index} (there are {len(self.items)})")
        hint = ""
        if index == len(self.items) - 1:
            hint = self.end_of_list
        elif index == 0:
            hint = self.next_hint
        return " ".join(part for part in (self.items[index].text, hint) if part)

    def index_of(self, test: str) -> int | None:
        """Where the NLU test id's result is among `items`, or None (older, pending, or none)."""
        return self._index.get(test)

    def about(self, test: str) -> str:
        """What to say when asked for one test by its NLU id: its result in `items`, else its latest released
        result with its date, else that it is not validated yet, else that there is none.
        KeyError for an id no LOINC code of the pack carries (the tests keep the packs and the NLU in step)."""
        return self._about[test]


def present(
    results: Iterable[LabResult],
    pack: LabPack,
    speech: Speech,
    *,
    doctor_only: bool = False,
    today: date | None = None,
) -> LabPresentation:
    """Build what is said from the stored results (`Store.lab_results()`), through the disclosure gate.

    `doctor_only` is the profile's `abnormal_labs_with_doctor_only`; `today` (the patient's local date) makes
    the year said when the results are from another year. `speech` is `load_prompts(lang).speech`, in the
    same language as `pack`.
    """
    outcome = gate(results, doctor_only=doctor_only)
    released = list(outcome.released)
    latest_day = max((_day(d.result.effective_at) for d in released), default=None)
    batch = _one_per_name([d for d in released if _day(d.result.effective_at) == latest_day], pack)
    items = tuple(_item(d, pack, speech) for d in batch)
    outside = sum(1 for item in items if item.status in ("above", "below"))
    withheld = any(item.withheld for item in items)

    sentences: list[str] = []
    if items:
        date_words = _date_words(latest_day or "", pack, speech, today)
        if len(items) == 1:
            sentences.append(pack.say("summary_one", date=date_words))
        else:
            sentences.append(pack.say("summary_many", count=speech.number(len(items)), date=date_words))
        if withheld:
            sentences.append(pack.say("doctor_only_summary"))
        elif len(items) == 1:
            pass  # the result itself says where it stands
        elif outside == 0:
            sentences.append(pack.say("outside_none"))
        elif outside == 1:
            sentences.append(pack.say("outside_one"))
        else:
            sentences.append(pack.say("outside_many", outside=speech.number(outside)))
        if outcome.pending_count:
            sentences.append(pack.say("pending"))
        if len(items) > 1:
            sentences.append(pack.say("start_hint"))
    elif outcome.pending_count:
        sentences.append(pack.say("pending_only"))
    else:
        sentences.append(pack.say("none"))

    index: dict[str, int] = {}
    for position, item in enumerate(items):
        if item.test is not None:
            index.setdefault(item.test, position)
    about = {
        test: _about_test(test, items, index, released, outcome.pending_loincs, pack, speech, today)
        for test in {t.test for t in pack.tests.values() if t.test is not None}
    }
    return LabPresentation(
        summary=" ".join(_capitalized(sentence) for sentence in sentences),
        items=items,
        date=latest_day,
        outside=outside,
        pending=outcome.pending_count,
        previous_hint=pack.say("previous_hint"),
        start_of_list=pack.say("start_of_list"),
        end_of_list=pack.say("end_of_list"),
        next_hint=pack.say("next_hint") if len(items) > 1 else "",
        _about=about,
        _index=index,
    )


def item_text(disclosed: Disclosed, pack: LabPack, speech: Speech) -> str:
    """One released result as said: name, value for the ear, unit, range status; or the doctor-only notice."""
    return _item(disclosed, pack, speech).text


def loincs_for_test(test: str, pack: LabPack) -> tuple[str, ...]:
    """The LOINC codes for an NLU `test` slot id (hba1c, fasting_glucose, cholesterol_total, ldl, hdl,
    triglycerides, creatinine, egfr)."""
    return pack.loincs(test)


# --- helpers --------------------------------------------------------------------------------------


def _item(disclosed: Disclosed, pack: LabPack, speech: Speech) -> LabItem:
    result = disclosed.result
    name = pack.name(result.loinc) or result.display
    if disclosed.withheld:
        text = pack.say("doctor_only")
    elif result.value is not None:
        number = speech.number(result.value)
        bound = comparator(result)
        value = (pack.say("value_bound", comparator=pack.raw(f"say.comparators.{bound}"), number=number)
                 if bound else number)
        unit = pack.unit_name(result.unit) or result.unit or ""
        text = _status_sentence(disclosed.status, pack, name=name, value=value, unit=unit)
    elif result.value_text:
        text = _status_sentence(disclosed.status, pack, name=name, value=result.value_text, unit="")
    else:
        text = pack.say("item_no_value", name=name)
    return LabItem(result=result, name=name, test=pack.test_id(result.loinc), status=disclosed.status,
                   withheld=disclosed.withheld, text=_capitalized(text))


def _status_sentence(status: RangeStatus, pack: LabPack, **values: str) -> str:
    if status == "unknown":
        return pack.say("item_no_status", **values)
    return pack.say("item", status=pack.raw(f"say.status.{status}"), **values)


def _about_test(
    test: str, items: tuple[LabItem, ...], index: Mapping[str, int], released: list[Disclosed],
    pending_loincs: frozenset[str], pack: LabPack, speech: Speech, today: date | None,
) -> str:
    codes = set(pack.loincs(test))
    name = pack.test_name(test) or test
    pending = bool(codes & pending_loincs)
    if test in index:
        text = items[index[test]].text
    else:
        older = [d for d in released if d.result.loinc in codes]
        if not older:
            return _capitalized(pack.say("test_pending" if pending else "test_none", name=name))
        latest = max(older, key=lambda d: (d.result.effective_at, -pack.order(d.result.loinc)))
        dated = pack.say("older", date=_date_words(_day(latest.result.effective_at), pack, speech, today))
        text = f"{_capitalized(dated)} {_item(latest, pack, speech).text}"
    # A newer result of this test still waiting for validation: say so after the released one.
    if pending:
        text = f"{text} {_capitalized(pack.say('newer_pending'))}"
    return text


def _one_per_name(batch: list[Disclosed], pack: LabPack) -> list[Disclosed]:
    """In the pack's order; one result per everyday name (glucose given in g/L and mmol/L is read once)."""
    ordered = sorted(batch, key=lambda d: pack.order(d.result.loinc))
    seen: set[str] = set()
    kept = []
    for disclosed in ordered:
        name = pack.name(disclosed.result.loinc) or disclosed.result.display
        if name not in seen:
            seen.add(name)
            kept.append(disclosed)
    return kept


def _day(effective_at: str) -> str:
    """'2025-03-03T08:10:00+01:00' -> '2025-03-03' (the day as the laboratory wrote it)."""
    return effective_at[:10]


def _date_words(day: str, pack: LabPack, speech: Speech, today: date | None) -> str:
    match = _DATE.match(day)
    if not match:
        return day
    year, month, day_of_month = (int(part) if part else None for part in match.groups())
    year_words = num2words(year, lang=speech.lang, to="year")
    if month is None:
        return _fill(pack.raw("date.year"), year=year_words)
    month_words = speech.months[month - 1]
    if day_of_month is None:
        return _fill(pack.raw("date.month"), month=month_words, year=year_words)
    day_words = (pack.raw("date.day_words") or {}).get(day_of_month)
    if day_words is None:
        day_words = (num2words(day_of_month, lang=speech.lang, to="ordinal") if pack.raw("date.ordinal_days")
                     else speech.number(day_of_month))
    key = "date.day" if today is None or today.year == year else "date.day_with_year"
    return _fill(pack.raw(key), day=day_words, month=month_words, year=year_words)


def _fill(template: str, **values: str) -> str:
    return template.format(**values)


def _unit_key(unit: str) -> str:
    """Spelling differences that do not change a unit: case, spaces, braces, underscores, µ/μ/u, ², 1,73."""
    key = unit.strip().casefold().replace("µ", "u").replace("μ", "u").replace("²", "2").replace(",", ".")
    return re.sub(r"[\s{}_]", "", key)


def _tidy(text: str) -> str:
    """No double spaces, no space before '.' or ',' (an empty {unit} leaves one)."""
    return re.sub(r"\s+([.,])", r"\1", re.sub(r"\s{2,}", " ", text)).strip()


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]
