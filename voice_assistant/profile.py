"""The patient profile: who the patient is, what they take, how the assistant should talk to them.

Stored as YAML in the user config dir (`$XDG_CONFIG_HOME/voice-assistant/profile.yaml`), edited by a nurse,
a pharmacist or a caregiver. A mistake in it is reported with the name of the field, never a traceback.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs
import yaml

from voice_assistant.errors import ConfigurationError
from voice_assistant.health.glucose import GlucoseUnit
from voice_assistant.language import LANGUAGES

MIN_WPM, MAX_WPM = 100, 350


class ProfileError(ConfigurationError):
    """The profile cannot be used; the message names the field."""


@dataclass(frozen=True)
class Medication:
    id: str  #: canonical id, used in reminders, events and FHIR ("metformin")
    names: dict[str, tuple[str, ...]]  #: language -> generic and brand names the patient may say
    dose: dict[str, str] = field(default_factory=dict)  #: language -> dose text read in reminders

    def names_in(self, lang: str) -> tuple[str, ...]:
        return self.names.get(lang, ()) or tuple(n for ns in self.names.values() for n in ns)


@dataclass(frozen=True)
class GlucoseTargets:
    """Thresholds in mg/dL, set by the clinician."""

    low: float = 70
    severe_low: float = 54
    target_low: float = 70
    target_high: float = 180
    high: float = 250


@dataclass(frozen=True)
class Contact:
    name: str = ""
    phone: str = ""
    relation: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Profile:
    name: str
    language: str
    country: str
    timezone: str
    meter_unit: GlucoseUnit | None
    glucose_targets: GlucoseTargets
    high_glucose_instruction: dict[str, str]
    medications: tuple[Medication, ...]
    caregiver: Contact | None
    doctor: Contact | None
    clinician: dict[str, Any]
    words_per_minute: int
    keep_audio: bool
    abnormal_labs_with_doctor_only: bool
    asr_engine: str | None = None  #: speech.recognizer: "vosk" or "pocketsphinx"; None: what is installed
    tts_engine: str | None = None  #: speech.voice: "piper" or "espeak"; None: Piper when a voice is installed

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def medication(self, med_id: str) -> Medication | None:
        return next((m for m in self.medications if m.id == med_id), None)

    def with_speech_rate(self, wpm: int) -> "Profile":
        return replace(self, words_per_minute=max(MIN_WPM, min(MAX_WPM, int(wpm))))


def config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME")
    return Path(base) / "voice-assistant" if base else Path(platformdirs.user_config_dir("voice-assistant"))


def profile_path() -> Path:
    return config_dir() / "profile.yaml"


def default_profile_data() -> dict:
    text = resources.files("voice_assistant.data").joinpath("default_profile.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def default_profile() -> Profile:
    return parse_profile(default_profile_data(), "default profile")


def load_profile(path: Path | None = None) -> Profile:
    """The patient's profile, or the demo profile when none has been written yet."""
    path = path or profile_path()
    if not path.exists():
        return default_profile()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ProfileError(f"{path}: the profile is not valid YAML{where}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"{path}: cannot read the profile ({exc})") from None
    return parse_profile(data, str(path))


def save_profile(profile: Profile, path: Path | None = None) -> Path:
    """Write atomically: a crash mid-write must not leave a half profile behind."""
    path = path or profile_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".yaml.tmp")
    tmp.write_text(yaml.safe_dump(profile_to_data(profile), allow_unicode=True, sort_keys=False), encoding="utf-8")
    os.replace(tmp, path)
    return path


def profile_to_data(p: Profile) -> dict:
    def contact(c: Contact | None) -> dict | None:
        return None if c is None else {"name": c.name, "phone": c.phone, "relation": dict(c.relation)}

    return {
        "name": p.name,
        "language": p.language,
        "country": p.country,
        "timezone": p.timezone,
        "meter_unit": p.meter_unit.value if p.meter_unit else None,
        "glucose_targets": vars(p.glucose_targets).copy(),
        "high_glucose_instruction": dict(p.high_glucose_instruction),
        "medications": [{"id": m.id, "names": {k: list(v) for k, v in m.names.items()}, "dose": dict(m.dose)}
                        for m in p.medications],
        "caregiver": contact(p.caregiver),
        "doctor": contact(p.doctor),
        "clinician": dict(p.clinician),
        "speech": {"words_per_minute": p.words_per_minute, "recognizer": p.asr_engine or "auto",
                   "voice": p.tts_engine or "auto"},
        "privacy": {"keep_audio": p.keep_audio, "abnormal_labs_with_doctor_only": p.abnormal_labs_with_doctor_only},
    }


def parse_profile(data: Any, source: str) -> Profile:
    def fail(field_name: str, message: str) -> ProfileError:
        return ProfileError(f"{source}: field '{field_name}': {message}")

    if not isinstance(data, dict):
        raise ProfileError(f"{source}: the profile must be a mapping of fields")

    def text(key: str, default: str | None = None) -> str:
        value = data.get(key, default)
        if not isinstance(value, str) or not value.strip():
            raise fail(key, "must be a non-empty text")
        return value.strip()

    def mapping(key: str, value: Any) -> dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise fail(key, "must be a mapping")
        return value

    language = text("language", "fr")
    if language not in LANGUAGES:
        raise fail("language", f"must be one of {', '.join(LANGUAGES)}, not '{language}'")
    timezone = text("timezone", "Europe/Paris")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise fail("timezone", f"unknown time zone '{timezone}' (example: Europe/Paris)") from None
    unit_raw = data.get("meter_unit")
    try:
        meter_unit = GlucoseUnit(unit_raw) if unit_raw else None
    except ValueError:
        raise fail("meter_unit", f"must be g/L, mmol/L or mg/dL, not '{unit_raw}'") from None

    targets_raw = mapping("glucose_targets", data.get("glucose_targets"))
    targets = {}
    for name in GlucoseTargets.__dataclass_fields__:
        value = targets_raw.get(name, getattr(GlucoseTargets, name))
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 20 <= value <= 600:
            raise fail(f"glucose_targets.{name}", "must be a number of mg/dL between 20 and 600")
        targets[name] = float(value)
    t = GlucoseTargets(**targets)
    if not (t.severe_low <= t.low <= t.high and t.target_low < t.target_high):
        raise fail("glucose_targets", "must satisfy severe_low <= low <= high and target_low < target_high")

    meds = []
    seen_ids = set()
    raw_meds = data.get("medications") or []
    if not isinstance(raw_meds, list):
        raise fail("medications", "must be a list")
    for i, m in enumerate(raw_meds):
        where = f"medications[{i}]"
        if not isinstance(m, dict) or not isinstance(m.get("id"), str) or not m["id"].strip():
            raise fail(f"{where}.id", "each medication needs an id (for example: metformin)")
        if m["id"] in seen_ids:
            raise fail(f"{where}.id", f"'{m['id']}' appears twice")
        seen_ids.add(m["id"])
        names_raw = mapping(f"{where}.names", m.get("names"))
        names = {}
        for lang, ns in names_raw.items():
            if isinstance(ns, str):
                ns = [ns]
            if not isinstance(ns, list) or not all(isinstance(n, str) and n.strip() for n in ns):
                raise fail(f"{where}.names.{lang}", "must be a list of names")
            names[str(lang)] = tuple(n.strip() for n in ns)
        if not names:
            raise fail(f"{where}.names", "needs at least one name")
        dose = {str(k): str(v) for k, v in mapping(f"{where}.dose", m.get("dose")).items()}
        meds.append(Medication(id=m["id"].strip(), names=names, dose=dose))

    def contact(key: str) -> Contact | None:
        raw = data.get(key)
        if raw is None:
            return None
        raw = mapping(key, raw)
        relation = raw.get("relation") or {}
        if isinstance(relation, str):
            relation = {language: relation}
        return Contact(name=str(raw.get("name") or ""), phone=str(raw.get("phone") or ""),
                       relation={str(k): str(v) for k, v in mapping(f"{key}.relation", relation).items()})

    speech = mapping("speech", data.get("speech"))
    wpm = speech.get("words_per_minute", 160)
    if isinstance(wpm, bool) or not isinstance(wpm, int) or not MIN_WPM <= wpm <= MAX_WPM:
        raise fail("speech.words_per_minute", f"must be a whole number from {MIN_WPM} to {MAX_WPM}")
    engines = {}
    for key, choices in (("recognizer", ("vosk", "pocketsphinx")), ("voice", ("piper", "espeak"))):
        value = str(speech.get(key) or "auto").strip().lower()
        if value not in ("auto", *choices):
            raise fail(f"speech.{key}", f"must be auto, {' or '.join(choices)}")
        engines[key] = None if value == "auto" else value
    privacy = mapping("privacy", data.get("privacy"))
    for key in ("keep_audio", "abnormal_labs_with_doctor_only"):
        if not isinstance(privacy.get(key, False), bool):
            raise fail(f"privacy.{key}", "must be true or false")
    clinician = mapping("clinician", data.get("clinician"))
    url = clinician.get("fhir_base_url")
    if url is not None and (not isinstance(url, str) or not url.startswith("https://")):
        raise fail("clinician.fhir_base_url", "must be an https:// address (health data never travels unencrypted)")
    instruction = mapping("high_glucose_instruction", data.get("high_glucose_instruction"))

    return Profile(
        name=str(data.get("name") or ""),
        language=language,
        country=str(data.get("country") or "FR").upper(),
        timezone=timezone,
        meter_unit=meter_unit,
        glucose_targets=t,
        high_glucose_instruction={str(k): str(v) for k, v in instruction.items()},
        medications=tuple(meds),
        caregiver=contact("caregiver"),
        doctor=contact("doctor"),
        clinician=dict(clinician),
        words_per_minute=wpm,
        keep_audio=privacy.get("keep_audio", False),
        abnormal_labs_with_doctor_only=privacy.get("abnormal_labs_with_doctor_only", False),
        asr_engine=engines["recognizer"],
        tts_engine=engines["voice"],
    )
