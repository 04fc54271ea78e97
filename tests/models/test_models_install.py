"""Installing from the local server: download, resume, verify, atomic unpack, offline --from FILE."""

from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest

from voice_assistant import models
from voice_assistant.models import ModelError

from modelkit import make_vosk_zip, md5, sha256

VOSK = "vosk-model-test-fr-0.1"
PIPER = "fr_FR-test-medium"


def leftovers(xdg: Path) -> list[str]:
    """Temporary or partial files anywhere under the data dir."""
    root = xdg / "voice-assistant"
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")
                  if p.name.startswith((".staging-", ".old-", ".removing-")) or p.name.endswith(".part"))


def test_install_vosk_downloads_verifies_and_unpacks(registry, xdg):
    seen = []
    model = models.install(VOSK, progress=lambda label, done, total: seen.append((label, done, total)))
    target = xdg / "voice-assistant" / "models" / VOSK
    assert model.path == target and model.engine == "vosk" and model.language == "fr"
    assert (target / "am" / "final.mdl").is_file() and (target / "conf" / "model.conf").is_file()
    assert not (target / "vosk-model-test-0.1").exists()  # the archive's top folder is stripped
    manifest = json.loads((target / "install.json").read_text())
    assert manifest["files"][0]["md5"] == md5(registry.zip)
    assert manifest["files"][0]["sha256"] == sha256(registry.zip)
    assert manifest["origin"] == registry.entry(VOSK)["url"]
    assert seen[-1] == (f"{VOSK}.zip", len(registry.zip), len(registry.zip))
    assert models.installed_path(VOSK) == target
    assert leftovers(xdg) == [] and not (xdg / "voice-assistant" / "downloads" / VOSK).exists()
    assert registry.server.requests[-1]["range"] is None


def test_install_piper_voice_and_find_it(registry, xdg):
    model = models.install(PIPER)
    folder = xdg / "voice-assistant" / "models" / PIPER
    assert model.path == folder / f"{PIPER}.onnx" and model.config_path == folder / f"{PIPER}.onnx.json"
    assert model.path.read_bytes() == registry.onnx and model.config_path.read_bytes() == registry.onnx_json
    assert [f["file"] for f in json.loads((folder / "install.json").read_text())["files"]] == [
        f"{PIPER}.onnx", f"{PIPER}.onnx.json"]
    for language in ("fr", "fr-FR", "fr_FR", "FR"):
        assert models.find_voice(language, "piper") == model
    assert models.find_voice("fr", "vosk") is None
    assert models.installed_path(PIPER) == model.path


def test_installing_twice_does_not_download_again(registry):
    models.install(VOSK)
    count = len(registry.server.requests)
    models.install(VOSK)
    assert len(registry.server.requests) == count
    models.install(VOSK, force=True)
    assert len(registry.server.requests) == count + 1


def test_resume_after_a_dropped_connection(registry, xdg):
    registry.server.fail_after = 50_000
    with pytest.raises(ModelError) as info:
        models.install(VOSK)
    assert "stopped" in str(info.value) and f"models install {VOSK}` again" in str(info.value)
    part = xdg / "voice-assistant" / "downloads" / VOSK / f"{VOSK}.zip.part"
    assert part.stat().st_size == 50_000
    assert models.installed_path(VOSK) is None

    models.install(VOSK)
    last = registry.server.requests[-1]
    assert last["range"] == "bytes=50000-" and last["status"] == 206
    assert md5((xdg / "voice-assistant" / "models" / VOSK / "am" / "final.mdl").read_bytes()) == md5(
        make_vosk_zip_member(registry.zip))
    assert leftovers(xdg) == []


def make_vosk_zip_member(data: bytes) -> bytes:
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read("vosk-model-test-0.1/am/final.mdl")


def test_resume_when_the_server_ignores_range(registry, xdg):
    registry.server.fail_after = 30_000
    with pytest.raises(ModelError):
        models.install(PIPER)
    registry.server.ignore_range = True
    model = models.install(PIPER)
    ranged = [r for r in registry.server.requests if r["range"]]
    assert ranged and ranged[-1]["range"] == "bytes=30000-" and ranged[-1]["status"] == 200
    assert model.path.read_bytes() == registry.onnx
    assert leftovers(xdg) == []


def test_a_complete_part_file_is_verified_without_downloading(registry, xdg):
    folder = xdg / "voice-assistant" / "downloads" / VOSK
    folder.mkdir(parents=True)
    (folder / f"{VOSK}.zip.part").write_bytes(registry.zip)
    models.install(VOSK)
    assert registry.server.requests == []


def test_checksum_mismatch_installs_nothing(registry, xdg):
    registry.server.files["/vosk/vosk-model-test-fr-0.1.zip"] = make_vosk_zip(seed=2)  # same size, other bytes
    with pytest.raises(ModelError) as info:
        models.install(VOSK)
    text = str(info.value)
    assert "checksum mismatch" in text and "nothing was installed" in text and "removed" in text
    assert md5(registry.zip) in text
    assert not (xdg / "voice-assistant" / "models" / VOSK).exists()
    assert leftovers(xdg) == []


def test_a_server_file_of_another_size_is_refused_early(registry, xdg):
    registry.server.files["/piper/fr_FR-test-medium.onnx"] = registry.onnx + b"more"
    with pytest.raises(ModelError, match="not the 120000 the registry expects"):
        models.install(PIPER)
    assert models.installed_path(PIPER) is None and leftovers(xdg) == []


def test_from_file_is_offline(registry, xdg, tmp_path):
    registry.server.status = 500  # any network use would fail
    archive = tmp_path / "copied.zip"
    archive.write_bytes(registry.zip)
    model = models.install(VOSK, from_file=archive)
    assert (model.path / "am" / "final.mdl").is_file()
    assert json.loads((model.path / "install.json").read_text())["origin"] == f"file:{archive.resolve()}"
    voice = tmp_path / "voice"
    voice.mkdir()
    (voice / f"{PIPER}.onnx").write_bytes(registry.onnx)
    (voice / f"{PIPER}.onnx.json").write_bytes(registry.onnx_json)
    assert models.install(PIPER, from_file=voice / f"{PIPER}.onnx").path.read_bytes() == registry.onnx
    assert models.install(PIPER, from_file=voice, force=True).config_path.read_bytes() == registry.onnx_json
    assert registry.server.requests == []
    assert archive.exists() and (voice / f"{PIPER}.onnx").exists()  # the user's files are left alone


def test_from_a_wrong_file_keeps_the_file_and_installs_nothing(registry, xdg, tmp_path):
    wrong = tmp_path / "wrong.zip"
    wrong.write_bytes(make_vosk_zip(seed=3))
    with pytest.raises(ModelError, match="checksum mismatch.*Nothing was installed"):
        models.install(VOSK, from_file=wrong)
    assert wrong.exists() and models.installed_path(VOSK) is None
    with pytest.raises(ModelError, match="needs both"):
        models.install(PIPER, from_file=tmp_path / "wrong.zip")
    with pytest.raises(ModelError, match="does not exist"):
        models.install(VOSK, from_file=tmp_path / "missing.zip")


def test_an_entry_without_checksum_needs_from_file_and_sha256(registry, xdg, tmp_path):
    registry.entry(VOSK)["checksum"] = None
    registry.write()
    with pytest.raises(ModelError, match="gives no checksum.*--from FILE --sha256 HEX"):
        models.install(VOSK)
    archive = tmp_path / "model.zip"
    archive.write_bytes(registry.zip)
    with pytest.raises(ModelError, match="gives no checksum"):
        models.install(VOSK, from_file=archive)
    with pytest.raises(ModelError, match="not the " + "0" * 64 + " you gave"):
        models.install(VOSK, from_file=archive, sha256="0" * 64)
    assert models.install(VOSK, from_file=archive, sha256=sha256(registry.zip)).path.is_dir()
    assert registry.server.requests == []


def test_sha256_is_checked_on_download_too(registry):
    with pytest.raises(ModelError, match="sha256"):
        models.install(VOSK, sha256="f" * 64)
    with pytest.raises(ModelError, match="64 hexadecimal"):
        models.install(VOSK, sha256="abc")


def disk_fills_after(monkeypatch, limit: int) -> None:
    written = {"n": 0}
    real = models.download.write_chunk

    def write(handle, data):
        written["n"] += len(data)
        if written["n"] > limit:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(handle, data)

    monkeypatch.setattr(models.download, "write_chunk", write)  # downloads
    monkeypatch.setattr(models.installer, "write_chunk", write)  # unpacking


def test_disk_full_during_download(registry, xdg, monkeypatch):
    disk_fills_after(monkeypatch, 100_000)
    with pytest.raises(ModelError) as info:
        models.install(VOSK)
    assert "disk is full" in str(info.value) and "partial files were removed" in str(info.value)
    assert models.installed_path(VOSK) is None and leftovers(xdg) == []


def test_disk_full_during_unpack_keeps_the_previous_install(registry, xdg, monkeypatch, tmp_path):
    first = models.install(VOSK)
    before = {p.relative_to(first.path): p.read_bytes() for p in first.path.rglob("*") if p.is_file()}
    archive = tmp_path / "again.zip"
    archive.write_bytes(registry.zip)
    disk_fills_after(monkeypatch, 100_000)
    with pytest.raises(ModelError, match="disk is full"):
        models.install(VOSK, from_file=archive, force=True)
    after = {p.relative_to(first.path): p.read_bytes() for p in first.path.rglob("*") if p.is_file()}
    assert after == before and leftovers(xdg) == []


def test_an_unsafe_or_foreign_archive_is_refused(registry, xdg, tmp_path):
    import io
    import zipfile

    def archive(members: dict[str, bytes]) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as z:
            for name, data in members.items():
                z.writestr(name, data)
        return buffer.getvalue()

    for members, message in (({"../evil.txt": b"x", "am/a": b"", "conf/c": b""}, "unsafe path"),
                             ({"model/readme.txt": b"not a vosk model"}, "does not hold a Vosk model")):
        data = archive(members)
        path = tmp_path / "a.zip"
        path.write_bytes(data)
        registry.entry(VOSK).update(size=len(data), checksum=f"md5:{md5(data)}")
        registry.write()
        with pytest.raises(ModelError, match=message):
            models.install(VOSK, from_file=path)
        assert models.installed_path(VOSK) is None and leftovers(xdg) == []
    assert not (tmp_path / "evil.txt").exists() and not (xdg / "voice-assistant" / "evil.txt").exists()


def test_a_crash_between_the_two_renames_is_repaired(registry, xdg):
    model = models.install(VOSK)
    aside = model.path.with_name(f".old-{VOSK}-123")
    model.path.rename(aside)
    assert models.installed_path(VOSK) is None
    models.install(VOSK)  # recovers the moved-aside copy instead of downloading
    assert models.installed_path(VOSK) == model.path and not aside.exists()
    assert len(registry.server.requests) == 1


def test_unknown_model(registry):
    with pytest.raises(ModelError, match="unknown model 'nope'.*vosk-model-test-fr-0.1"):
        models.install("nope")
