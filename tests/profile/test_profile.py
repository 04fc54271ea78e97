"""The patient profile: demo profile on first run, XDG config dir, and errors that name the field."""

from dataclasses import replace

import pytest
import yaml

from voice_assistant.health.glucose import GlucoseUnit
from voice_assistant.profile import (ProfileError, default_profile, default_profile_data, load_profile, parse_profile,
                                     profile_path, profile_to_data, save_profile)


def test_first_run_uses_the_demo_profile(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert profile_path() == tmp_path / "voice-assistant" / "profile.yaml"
    profile = load_profile()
    assert profile == default_profile()
    assert profile.language == "fr" and profile.country == "FR" and profile.timezone == "Europe/Paris"
    assert {m.id for m in profile.medications} == {"metformin", "gliclazide", "insulin_glargine", "insulin_aspart",
                                                   "sitagliptin", "atorvastatin", "ramipril", "aspirin"}
    assert profile.keep_audio is False  # privacy by default
    assert profile.glucose_targets.low == 70 and profile.glucose_targets.severe_low == 54


def test_saved_profile_is_read_back_from_the_xdg_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    changed = replace(default_profile(), language="en", country="US", meter_unit=GlucoseUnit.MG_DL,
                      words_per_minute=220)
    path = save_profile(changed)
    assert path == tmp_path / "voice-assistant" / "profile.yaml"
    assert load_profile() == changed
    assert not list(path.parent.glob("*.tmp"))  # written atomically


@pytest.mark.parametrize("change, field", [
    ({"language": "de"}, "language"),
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"meter_unit": "mg"}, "meter_unit"),
    ({"glucose_targets": {"low": 10}}, "glucose_targets.low"),
    ({"glucose_targets": {"severe_low": 90, "low": 70}}, "glucose_targets"),
    ({"medications": [{"names": {"fr": ["x"]}}]}, "medications[0].id"),
    ({"medications": [{"id": "a", "names": {"fr": ["x"]}}, {"id": "a", "names": {"fr": ["y"]}}]}, "medications[1].id"),
    ({"medications": [{"id": "a", "names": {"fr": [3]}}]}, "medications[0].names.fr"),
    ({"speech": {"words_per_minute": 900}}, "speech.words_per_minute"),
    ({"speech": {"recognizer": "kaldi"}}, "speech.recognizer"),
    ({"speech": {"recognizer_threads": 0}}, "speech.recognizer_threads"),
    ({"speech": {"voice": "siri"}}, "speech.voice"),
    ({"privacy": {"keep_audio": "yes"}}, "privacy.keep_audio"),
    ({"clinician": {"fhir_base_url": "http://clinic.example"}}, "clinician.fhir_base_url"),
])
def test_a_bad_profile_names_the_field(change, field):
    data = default_profile_data() | change
    with pytest.raises(ProfileError) as err:
        parse_profile(data, "profile.yaml")
    assert f"field '{field}'" in str(err.value)


def test_broken_yaml_is_reported_with_its_line(tmp_path):
    path = tmp_path / "profile.yaml"
    path.write_text("name: Claire\nlanguage: [fr\n", encoding="utf-8")
    with pytest.raises(ProfileError, match=r"not valid YAML at line \d"):
        load_profile(path)


def test_round_trip_through_yaml():
    data = profile_to_data(default_profile())
    assert parse_profile(yaml.safe_load(yaml.safe_dump(data, allow_unicode=True)), "x") == default_profile()


def test_the_engines_are_chosen_in_the_profile():
    data = default_profile_data() | {"speech": {"words_per_minute": 300, "recognizer": "pocketsphinx",
                                                "voice": "eSpeak"}}
    profile = parse_profile(data, "x")
    assert (profile.asr_engine, profile.tts_engine) == ("pocketsphinx", "espeak")
    assert parse_profile(profile_to_data(profile), "x") == profile
    assert (default_profile().asr_engine, default_profile().tts_engine) == (None, None)  # what is installed


def test_the_profile_voice_is_the_one_the_session_speaks_with(tmp_path):
    from voice_assistant.app import build_session
    from voice_assistant.store import Store

    profile = replace(default_profile(), language="en", tts_engine="espeak", asr_engine="pocketsphinx")
    store = Store.open(tmp_path / "a.db")
    session = build_session(profile, "en", store)
    assert session.synthesizer.name == "espeak" and session.recognizer.engine == "pocketsphinx"
    store.close()


def test_the_crisis_line_is_a_phone_number_of_the_profile_else_the_country_s():
    from voice_assistant.health.safety import crisis_line

    assert default_profile().crisis_line is None  # unset: France's national line
    assert crisis_line(default_profile().country, default_profile().crisis_line) == "3114"
    assert crisis_line("GB") is None and crisis_line("US") is None  # none known: only the emergency number is said
    for given, kept in ((3114, "3114"), ("116 123", "116 123"), (" +44 116 123 ", "+44 116 123")):
        profile = parse_profile(default_profile_data() | {"country": "GB", "crisis_line": given}, "x")
        assert profile.crisis_line == kept and crisis_line(profile.country, profile.crisis_line) == kept
        assert parse_profile(yaml.safe_load(yaml.safe_dump(profile_to_data(profile))), "x") == profile
    for wrong in ("call the samaritans", "1", True, ["3114"]):
        with pytest.raises(ProfileError, match=r"field 'crisis_line': must be a phone number, like 3114"):
            parse_profile(default_profile_data() | {"crisis_line": wrong}, "x")
