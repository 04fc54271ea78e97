"""The patient profile: who the patient is, what they take, how the assistant should talk to them.

Stored as YAML in the user config dir (`$XDG_CONFIG_HOME/voice-assistant/profile.yaml`), edited by a nurse,
a pharmacist or a caregiver. A mistake in it is reported with the name of the field, never a traceback.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from voice_assistant import locations
from voice_assistant.addresses import secure_url_problem
from voice_assistant.errors import ConfigurationError
from voice_assistant.health.glucose import GlucoseTargets, GlucoseUnit
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
    asr_engine: str | None = None  #: speech.recognizer: vosk, pocketsphinx, whisper, combined; None: what is installed
    tts_engine: str | None = None  #: speech.voice: "piper" or "espeak"; None: Piper when a voice is installed
    asr_threads: int = 2  #: speech.recognizer_threads: CPU threads whisper may use (1-8)
    #: crisis_line: a line that listens day and night to someone who wants to die ("3114"); None: the country's national
    #: line where the assistant knows one (health.safety.crisis_line: FR 3114), else only the emergency number is said
    crisis_line: str | None = None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def medication(self, med_id: str) -> Medication | None:
        return next((m for m in self.medications if m.id == med_id), None)

    def with_speech_rate(self, wpm: int) -> "Profile":
        return replace(self, words_per_minute=max(MIN_WPM, min(MAX_WPM, int(wpm))))

    @classmethod
    def from_dict(cls, data: Any, source: str = "profile") -> "Profile":
        """The profile from its YAML mapping (ProfileError naming the field): `parse_profile`."""
        return parse_profile(data, source)

    def to_dict(self) -> dict:
        """The YAML mapping `save_profile` writes: `profile_to_data`."""
        return profile_to_data(self)


config_dir = locations.config_dir  # `$XDG_CONFIG_HOME/voice-assistant` (voice_assistant.locations)


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


def load_profile_with_voice_settings() -> Profile:
    """The patient's profile with what they changed by voice (`settings.yaml`, see `save_voice_settings`)."""
    return with_voice_settings(load_profile())


def voice_settings_path() -> Path:
    """`$XDG_CONFIG_HOME/voice-assistant/settings.yaml`: settings the patient changed by voice."""
    return config_dir() / "settings.yaml"


def save_voice_settings(profile: Profile, path: Path | None = None) -> Path:
    """Keep what the patient changed by voice ("speak slower": the speech rate) in its own file, mode 0600,
    written atomically. profile.yaml is only ever written by people: it keeps its comments and its mode
    (it holds the clinician's token)."""
    path = path or voice_settings_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    data = {"speech": {"words_per_minute": profile.words_per_minute}}
    text = ("# Changed by voice (\"speak slower\", \"speak faster\"); the profile itself is profile.yaml.\n"
            + yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return path


def with_voice_settings(profile: Profile, path: Path | None = None) -> Profile:
    """`profile` with the settings changed by voice applied (an unreadable settings file is ignored: the
    profile's own values stay)."""
    path = path or voice_settings_path()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return profile
    speech = data.get("speech") if isinstance(data, dict) else None
    wpm = speech.get("words_per_minute") if isinstance(speech, dict) else None
    if isinstance(wpm, int) and not isinstance(wpm, bool):
        return profile.with_speech_rate(wpm)
    return profile


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
        "crisis_line": p.crisis_line,
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
                   "voice": p.tts_engine or "auto", "recognizer_threads": p.asr_threads},
        "privacy": {"keep_audio": p.keep_audio, "abnormal_labs_with_doctor_only": p.abnormal_labs_with_doctor_only},
    }


class _Section:
    """One part of the profile as read (the whole file, or one mapping in it), with the messages that name its
    fields: `field 'speech.words_per_minute': must be...`."""

    def __init__(self, raw: Any, source: str, prefix: str = "") -> None:
        self.raw: dict = raw
        self.source = source
        self.prefix = prefix

    def fail(self, name: str, message: str) -> ProfileError:
        return ProfileError(f"{self.source}: field '{self.prefix}{name}': {message}")

    def get(self, key: str, default: Any = None) -> Any:
        return self.raw.get(key, default)

    def text(self, key: str, default: str | None = None) -> str:
        value = self.raw.get(key, default)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, "must be a non-empty text")
        return value.strip()

    def mapping(self, key: str, value: Any = None) -> dict:
        value = self.raw.get(key) if value is None else value
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(key, "must be a mapping")
        return value

    def section(self, key: str) -> _Section:
        return _Section(self.mapping(key), self.source, f"{self.prefix}{key}.")


def _language(s: _Section) -> str:
    language = s.text("language", "fr")
    if language not in LANGUAGES:
        raise s.fail("language", f"must be one of {', '.join(LANGUAGES)}, not '{language}'")
    return language


def _timezone(s: _Section) -> str:
    timezone = s.text("timezone", "Europe/Paris")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise s.fail("timezone", f"unknown time zone '{timezone}' (example: Europe/Paris)") from None
    return timezone


def _meter_unit(s: _Section) -> GlucoseUnit | None:
    unit_raw = s.get("meter_unit")
    try:
        return GlucoseUnit(unit_raw) if unit_raw else None
    except ValueError:
        raise s.fail("meter_unit", f"must be g/L, mmol/L or mg/dL, not '{unit_raw}'") from None


def _crisis_line(s: _Section) -> str | None:
    """A phone number ("3114", "116 123"), or None when unset."""
    value = s.get("crisis_line")
    if value is None:
        return None
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if not re.fullmatch(r"\+?[0-9][0-9 .-]*", text) or sum(c.isdigit() for c in text) < 2:
        raise s.fail("crisis_line", f"must be a phone number, like 3114, not {value!r}")
    return text


def _glucose_targets(s: _Section) -> GlucoseTargets:
    raw = s.section("glucose_targets")
    targets = {}
    for name in GlucoseTargets.__dataclass_fields__:
        value = raw.get(name, getattr(GlucoseTargets, name))
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 20 <= value <= 600:
            raise raw.fail(name, "must be a number of mg/dL between 20 and 600")
        targets[name] = float(value)
    t = GlucoseTargets(**targets)
    if not (t.severe_low <= t.low <= t.high and t.target_low < t.target_high):
        raise s.fail("glucose_targets", "must satisfy severe_low <= low <= high and target_low < target_high")
    return t


def _medications(s: _Section) -> tuple[Medication, ...]:
    meds = []
    seen_ids = set()
    raw_meds = s.get("medications") or []
    if not isinstance(raw_meds, list):
        raise s.fail("medications", "must be a list")
    for i, m in enumerate(raw_meds):
        where = f"medications[{i}]"
        if not isinstance(m, dict) or not isinstance(m.get("id"), str) or not m["id"].strip():
            raise s.fail(f"{where}.id", "each medication needs an id (for example: metformin)")
        if m["id"] in seen_ids:
            raise s.fail(f"{where}.id", f"'{m['id']}' appears twice")
        seen_ids.add(m["id"])
        med = _Section(m, s.source, f"{where}.")
        names = {}
        for lang, ns in med.mapping("names").items():
            if isinstance(ns, str):
                ns = [ns]
            if not isinstance(ns, list) or not all(isinstance(n, str) and n.strip() for n in ns):
                raise med.fail(f"names.{lang}", "must be a list of names")
            names[str(lang)] = tuple(n.strip() for n in ns)
        if not names:
            raise med.fail("names", "needs at least one name")
        dose = {str(k): str(v) for k, v in med.mapping("dose").items()}
        meds.append(Medication(id=m["id"].strip(), names=names, dose=dose))
    return tuple(meds)


def _contact(s: _Section, key: str, language: str) -> Contact | None:
    if s.get(key) is None:
        return None
    raw = s.section(key)
    relation = raw.get("relation") or {}
    if isinstance(relation, str):
        relation = {language: relation}
    return Contact(name=str(raw.get("name") or ""), phone=str(raw.get("phone") or ""),
                   relation={str(k): str(v) for k, v in raw.mapping("relation", relation).items()})


#: speech.recognizer and speech.voice: the engines a profile may name ("auto": what is installed).
ENGINE_CHOICES = {"recognizer": ("vosk", "pocketsphinx", "whisper", "combined"), "voice": ("piper", "espeak")}


def _recognizer_threads(s: _Section) -> int:
    """speech.recognizer_threads: CPU threads whisper may use (default 2)."""
    speech = s.section("speech")
    threads = speech.get("recognizer_threads", 2)
    if isinstance(threads, bool) or not isinstance(threads, int) or not 1 <= threads <= 8:
        raise speech.fail("recognizer_threads", "must be a whole number from 1 to 8")
    return threads


def _speech(s: _Section) -> tuple[int, str | None, str | None]:
    """(words per minute, recogniser, voice); an engine is None for "auto"."""
    speech = s.section("speech")
    wpm = speech.get("words_per_minute", 160)
    if isinstance(wpm, bool) or not isinstance(wpm, int) or not MIN_WPM <= wpm <= MAX_WPM:
        raise speech.fail("words_per_minute", f"must be a whole number from {MIN_WPM} to {MAX_WPM}")
    engines = {}
    for key, choices in ENGINE_CHOICES.items():
        value = str(speech.get(key) or "auto").strip().lower()
        if value not in ("auto", *choices):
            raise speech.fail(key, f"must be auto, {' or '.join(choices)}")
        engines[key] = None if value == "auto" else value
    return wpm, engines["recognizer"], engines["voice"]


def _privacy(s: _Section) -> tuple[bool, bool]:
    """(keep_audio, abnormal_labs_with_doctor_only): both off unless set."""
    privacy = s.section("privacy")
    for key in ("keep_audio", "abnormal_labs_with_doctor_only"):
        if not isinstance(privacy.get(key, False), bool):
            raise privacy.fail(key, "must be true or false")
    return privacy.get("keep_audio", False), privacy.get("abnormal_labs_with_doctor_only", False)


def _clinician(s: _Section) -> dict[str, Any]:
    """Where readings go: the same rule as `voice-assistant sync` (https, or plain http to this machine)."""
    clinician = s.section("clinician")
    url = clinician.get("fhir_base_url")
    if url is not None and (problem := secure_url_problem(url)):
        raise clinician.fail("fhir_base_url", problem)
    return dict(clinician.raw)


def parse_profile(data: Any, source: str) -> Profile:
    """Raw YAML -> a typed `Profile`, once, at the edge; each section is read by its own function and a mistake
    names its field (`profile.yaml: field 'speech.voice': must be auto, piper or espeak`)."""
    if not isinstance(data, dict):
        raise ProfileError(f"{source}: the profile must be a mapping of fields")
    s = _Section(data, source)
    language = _language(s)
    words_per_minute, asr_engine, tts_engine = _speech(s)
    asr_threads = _recognizer_threads(s)
    keep_audio, abnormal_labs_with_doctor_only = _privacy(s)
    return Profile(
        name=str(s.get("name") or ""),
        language=language,
        country=str(s.get("country") or "FR").upper(),
        crisis_line=_crisis_line(s),
        timezone=_timezone(s),
        meter_unit=_meter_unit(s),
        glucose_targets=_glucose_targets(s),
        high_glucose_instruction={str(k): str(v) for k, v in s.mapping("high_glucose_instruction").items()},
        medications=_medications(s),
        caregiver=_contact(s, "caregiver", language),
        doctor=_contact(s, "doctor", language),
        clinician=_clinician(s),
        words_per_minute=words_per_minute,
        keep_audio=keep_audio,
        abnormal_labs_with_doctor_only=abnormal_labs_with_doctor_only,
        asr_engine=asr_engine,
        tts_engine=tts_engine,
        asr_threads=asr_threads,
    )
