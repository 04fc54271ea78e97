"""Rules written once: the https-or-loopback rule (profile, sync, models) and the XDG places."""

from __future__ import annotations

from pathlib import Path

import platformdirs
import pytest

from voice_assistant import locations
from voice_assistant.addresses import is_loopback_host, secure_url_problem
from voice_assistant.profile import ProfileError, config_dir, default_profile_data, parse_profile
from voice_assistant.store import default_db_path
from voice_assistant.sync.sender import SyncConfigError, check_base_url


@pytest.mark.parametrize("url", ["https://clinic.example/fhir", "http://127.0.0.1:8790/fhir",
                                 "http://localhost:8790/fhir", "http://[::1]:8790/fhir"])
def test_the_profile_and_sync_accept_the_same_addresses(url):
    data = default_profile_data() | {"clinician": {"fhir_base_url": url}}
    assert parse_profile(data, "profile.yaml").clinician["fhir_base_url"] == url
    assert check_base_url(url) == url.rstrip("/")
    assert secure_url_problem(url) is None


@pytest.mark.parametrize("url", ["http://clinic.example/fhir", "http://192.168.1.20:8790/fhir", "ftp://x/fhir",
                                 "clinic.example"])
def test_the_profile_and_sync_refuse_the_same_addresses_with_the_same_words(url):
    data = default_profile_data() | {"clinician": {"fhir_base_url": url}}
    with pytest.raises(ProfileError) as profile_err:
        parse_profile(data, "profile.yaml")
    with pytest.raises(SyncConfigError) as sync_err:
        check_base_url(url)
    problem = secure_url_problem(url)
    assert problem and problem in str(profile_err.value) and problem in str(sync_err.value)
    assert "field 'clinician.fhir_base_url'" in str(profile_err.value)


@pytest.mark.parametrize("host, loopback", [("127.0.0.1", True), ("127.8.0.1", True), ("::1", True),
                                            ("[::1]", True), ("localhost", True), ("LocalHost", True),
                                            ("192.168.1.2", False), ("0.0.0.0", False), ("example.org", False)])
def test_loopback_hosts(host, loopback):
    assert is_loopback_host(host) is loopback


def test_every_file_place_follows_xdg_from_one_module(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert locations.data_dir() == tmp_path / "data" / "voice-assistant"
    assert default_db_path() == locations.data_dir() / "assistant.db"
    assert config_dir() == tmp_path / "config" / "voice-assistant"
    assert locations.cache_dir() == tmp_path / "cache" / "voice-assistant"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/data")  # not absolute: ignored, as the XDG spec says
    assert locations.data_dir() == Path(platformdirs.user_data_dir("voice-assistant", appauthor=False))
