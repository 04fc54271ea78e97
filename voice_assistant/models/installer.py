"""Installing and removing a model: verified files unpacked next to the final folder and swapped into place
in one step, under a lock; an interrupted install is recovered."""

from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
import time
import zipfile
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Iterator, Mapping, Optional, Sequence


from voice_assistant.models.registry import (CHECKSUM_RE, CHUNK, MANIFEST, NAME_RE, ModelError, Progress, registry_of,
                                             RegistryEntry)
from voice_assistant.models.installed import (data_dir, downloads_dir, installed_model, installed_models,
                                              InstalledModel, models_dir, package_models, user_model)
from voice_assistant.models.download import (disk_full_error, download_files, ensure_space, remove_quietly, verify,
                                             write_chunk)


@contextmanager


def _install_lock(name: str) -> Iterator[None]:
    folder = data_dir() / "downloads"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        yield
        return
    with open(folder / f".{name}.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise ModelError(f"{name}: another `voice-assistant models install {name}` is running; "
                             f"wait for it to finish") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _local_files(entry: RegistryEntry, source: Path, sha256: Optional[str]) -> list[tuple]:
    if not source.exists():
        raise ModelError(f"{entry.name}: {source} does not exist")
    if entry.engine == "vosk":
        if not source.is_file():
            raise ModelError(f"{entry.name}: --from needs the .zip archive as downloaded "
                             f"({entry.main.filename}), not a folder")
        paths = [source]
    elif entry.engine == "whisper":
        folder = source if source.is_dir() else source.parent
        paths = [folder / remote.filename for remote in entry.files]
        missing = [p.name for p in paths if not p.is_file()]
        if missing:
            raise ModelError(f"{entry.name}: {folder} lacks {', '.join(missing)}; give the folder holding "
                             f"{', '.join(r.filename for r in entry.files)}")
    else:
        main_name, config_name = entry.main.filename, entry.config.filename
        if source.is_dir():
            paths = [source / main_name, source / config_name]
        elif source.name.endswith(".onnx.json"):
            paths = [source.with_name(source.name[: -len(".json")]), source]
        else:
            paths = [source, source.with_name(source.name + ".json")]
        for path in paths:
            if not path.is_file():
                raise ModelError(f"{entry.name}: {path} is missing; a Piper voice needs both {main_name} and "
                                 f"{config_name} (give the .onnx, its .onnx.json beside it, or their folder)")
    result = []
    for path, remote in zip(paths, entry.files):
        digests = verify(path, remote, entry.name, sha256 if remote.url == entry.url else None, delete=False)
        result.append((path, remote, digests))
    return result


def _safe_members(archive: zipfile.ZipFile, name: str) -> tuple[list[zipfile.ZipInfo], str]:
    infos = [i for i in archive.infolist() if not i.filename.startswith("__MACOSX/")]  # macOS zip litter
    if not infos:
        raise ModelError(f"{name}: the archive is empty; nothing was installed")
    for info in infos:
        parts = PurePosixPath(info.filename.replace("\\", "/")).parts
        if info.filename.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
            raise ModelError(f"{name}: the archive contains an unsafe path ({info.filename!r}); nothing was installed")
        if (info.external_attr >> 16) & 0o170000 == 0o120000:
            raise ModelError(f"{name}: the archive contains a symbolic link ({info.filename!r}); nothing was installed")
    tops = {PurePosixPath(i.filename).parts[0] for i in infos if PurePosixPath(i.filename).parts}
    prefix = ""
    if len(tops) == 1:
        top = next(iter(tops))
        if all(i.filename.startswith(top + "/") or i.filename.rstrip("/") == top for i in infos):
            prefix = top + "/"
    return infos, prefix


def _unzip(source: Path, destination: Path, name: str) -> None:
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ModelError(f"{name}: {source.name} is not a readable zip archive ({exc}); nothing was installed"
                         ) from None
    with archive:
        infos, prefix = _safe_members(archive, name)
        ensure_space(destination, int(sum(i.file_size for i in infos) * 1.02) + (1 << 20), name)
        for info in infos:
            relative = info.filename[len(prefix):] if prefix else info.filename
            if not relative or relative.rstrip("/") == "":
                continue
            target = destination.joinpath(*PurePosixPath(relative).parts)
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with archive.open(info) as src, open(target, "wb") as out:
                    for block in iter(lambda: src.read(CHUNK), b""):
                        write_chunk(out, block)
            except (zipfile.BadZipFile, EOFError) as exc:
                raise ModelError(f"{name}: the archive is damaged ({exc}); nothing was installed") from None
    if not ((destination / "am").is_dir() and (destination / "conf").is_dir()):
        raise ModelError(f"{name}: the archive does not hold a Vosk model (no am/ and conf/ folders); "
                         f"nothing was installed")


def _place(source: Path, target: Path) -> None:
    """Put a verified file into the staging folder: a hard link when possible, else a copy."""
    try:
        os.link(source, target)
        return
    except OSError:
        pass
    with open(source, "rb") as src, open(target, "wb") as out:
        for block in iter(lambda: src.read(1 << 20), b""):
            write_chunk(out, block)


def _recover(name: str) -> None:
    """Tidy up after a crash: restore a model moved aside but not replaced, drop stale temp folders."""
    root = models_dir()
    if not root.is_dir():
        return
    target = root / name
    for leftover in sorted(root.glob(f".old-{name}-*")):
        if not target.exists():
            try:
                os.replace(leftover, target)
                continue
            except OSError:
                pass
        remove_quietly(leftover)
    for leftover in root.glob(f".staging-{name}-*"):
        remove_quietly(leftover)
    for leftover in root.glob(f".removing-{name}-*"):
        remove_quietly(leftover)


def _swap_into_place(staging: Path, target: Path) -> None:
    old = None
    if target.exists():
        old = target.with_name(f".old-{target.name}-{os.getpid()}-{time.monotonic_ns()}")
        os.replace(target, old)
    try:
        os.replace(staging, target)
    except OSError:
        if old is not None:
            os.replace(old, target)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _install_verified(entry: RegistryEntry, files: Sequence[tuple], origin: str) -> InstalledModel:
    root = models_dir()
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".staging-{entry.name}-", dir=root))
    try:
        if entry.engine == "vosk":
            _unzip(files[0][0], staging, entry.name)
            model, config = ".", None
        elif entry.engine == "whisper":
            for path, remote, _ in files:
                _place(path, staging / remote.filename)
            model, config = ".", None
        else:
            model, config = f"{entry.name}.onnx", f"{entry.name}.onnx.json"
            _place(files[0][0], staging / model)
            _place(files[1][0], staging / config)
        manifest = {
            "format": 1, "name": entry.name, "language": entry.language, "engine": entry.engine,
            "model": model, "config": config, "origin": origin,
            "installed_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "files": [{"file": remote.filename, "url": remote.url, "size": remote.size,
                       "published_checksum": remote.checksum, "md5": digests["md5"], "sha256": digests["sha256"]}
                      for _, remote, digests in files],
        }
        with open(staging / MANIFEST, "w", encoding="utf-8") as handle:
            write_chunk(handle, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        _swap_into_place(staging, root / entry.name)
    except OSError as exc:
        remove_quietly(staging)
        if exc.errno == errno.ENOSPC:
            raise disk_full_error(root, entry.name) from None
        raise ModelError(f"{entry.name}: cannot install into {root}: {exc.strerror or exc}; nothing was installed"
                         ) from None
    except BaseException:
        remove_quietly(staging)
        raise
    installed = user_model(root / entry.name)
    assert installed is not None
    return installed


def install(name: str, from_file: "str | os.PathLike[str] | None" = None, *, sha256: Optional[str] = None,
            force: bool = False, progress: Optional[Progress] = None,
            registry: "str | os.PathLike[str] | Mapping[str, RegistryEntry] | None" = None,
            client=None) -> InstalledModel:
    """Install a registry model into the user data dir and return it.

    Downloads (resuming an earlier partial download) unless ``from_file`` is given, in which case the network
    is never used. The publisher's checksum is verified before anything is unpacked; ``sha256`` (hex) adds a
    check of the main file and is required for an entry whose checksum is null. Already installed (here or by
    a package) and not ``force``: returns the existing model without downloading. ``client`` is an optional
    ``httpx.Client`` (tests, proxies); by default one with TLS verification and a 30 s stall timeout is used.
    Raises :class:`ModelError` with a plain message and the fix.
    """
    entries = registry_of(registry)
    entry = entries.get(name)
    if entry is None:
        known = ", ".join(entries) or "none"
        raise ModelError(f"unknown model {name!r}; the registry has: {known}")
    if sha256 is not None:
        sha256 = sha256.strip().lower()
        if not CHECKSUM_RE["sha256"].match(sha256):
            raise ModelError(f"{name}: --sha256 must be 64 hexadecimal digits")
    with _install_lock(name):
        _recover(name)
        existing = installed_model(name, entries)
        if existing is not None and not force:
            return existing
        missing = [f.filename for f in entry.files if f.checksum is None]
        if missing and (sha256 is None or missing != [entry.main.filename]):
            raise ModelError(
                f"{name}: the publisher gives no checksum for {', '.join(missing)}, so it is not installed "
                f"blindly. Download it yourself, check it, then run `voice-assistant models install {name} "
                f"--from FILE --sha256 HEX` with the sha256 you checked.")
        if from_file is not None:
            source = Path(from_file).expanduser()
            files = _local_files(entry, source, sha256)
            origin = f"file:{source.resolve()}"
        else:
            files = download_files(entry, client, progress, sha256)
            origin = entry.url
        model = _install_verified(entry, files, origin)
        if from_file is None:
            remove_quietly(downloads_dir(name))
        return model


def remove(name: str) -> Path:
    """Delete a model installed in the user data dir (and any partial download); returns its old folder."""
    if not NAME_RE.match(name):
        raise ModelError(f"{name!r} is not a model name")
    target = models_dir() / name
    _recover(name)
    if not target.is_dir():
        for model in package_models():
            if model.name == name:
                package = model.location.removeprefix("package ")
                raise ModelError(f"{name} comes with the Python package {package}; remove it with "
                                 f"`pip uninstall {package}`")
        names = [m.name for m in installed_models() if not m.from_package]
        listed = ", ".join(names) if names else "none"
        raise ModelError(f"{name} is not installed (installed in the user data dir: {listed})")
    trash = target.with_name(f".removing-{name}-{os.getpid()}-{time.monotonic_ns()}")
    try:
        os.replace(target, trash)
    except OSError as exc:
        raise ModelError(f"cannot remove {target}: {exc.strerror or exc}") from None
    shutil.rmtree(trash, ignore_errors=True)
    remove_quietly(downloads_dir(name))
    return target
