"""Downloads: HTTP with resume (Range), stalls and refusals said plainly, checksums verified, disk space checked."""

from __future__ import annotations

import errno
import hashlib
import os
import re
import shutil
from pathlib import Path
from typing import Optional
from urllib.parse import urlsplit


from voice_assistant.models.registry import DEFAULT_TIMEOUT, ModelError, Progress, RegistryEntry, RemoteFile
from voice_assistant.models.installed import downloads_dir


def megabytes(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def _from_file_hint(name: str) -> str:
    return f"copy the file here and run `voice-assistant models install {name} --from FILE`"


def write_chunk(handle, data: bytes | str) -> None:
    """Every byte an install writes goes through here (so tests can simulate a full disk)."""
    handle.write(data)


def _hash_file(path: Path) -> dict[str, str]:
    md5, sha256 = hashlib.md5(), hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            md5.update(block)
            sha256.update(block)
    return {"md5": md5.hexdigest(), "sha256": sha256.hexdigest()}


def disk_full_error(where: Path, name: str) -> ModelError:
    try:
        free = f" ({megabytes(shutil.disk_usage(where).free)} free)"
    except OSError:
        free = ""
    return ModelError(f"{name}: the disk is full{free} at {where}; nothing was installed and the partial files "
                      f"were removed. Free some space and run `voice-assistant models install {name}` again.")


def ensure_space(where: Path, needed: int, name: str) -> None:
    try:
        free = shutil.disk_usage(where).free
    except OSError:
        return
    if free < needed:
        raise ModelError(f"{name}: not enough disk space at {where}: {megabytes(needed)} needed, {megabytes(free)} free. "
                         f"Free some space and try again.")


def remove_quietly(path: Path) -> None:
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink()
    except OSError:
        pass


def _http_client(timeout: float = DEFAULT_TIMEOUT):
    import httpx

    # TLS certificates are always verified (httpx's default); never turned off here.
    return httpx.Client(timeout=httpx.Timeout(timeout, connect=min(timeout, 15.0)), follow_redirects=True,
                        headers={"User-Agent": "voice-assistant-model-manager"})


def _connection_error(exc: Exception, url: str, name: str) -> ModelError:
    import httpx

    host = urlsplit(url).netloc
    text = str(exc)
    lowered = text.lower()
    if isinstance(exc, httpx.TimeoutException):
        reason = "no answer in time"
    elif "certificate" in lowered or "ssl" in lowered or "tls" in lowered:
        return ModelError(f"{name}: the secure connection to {host} could not be verified ({text}). Check the "
                          f"computer's date and time and any proxy, or {_from_file_hint(name)}.")
    elif any(s in lowered for s in ("name or service not known", "nodename nor servname", "temporary failure in "
                                    "name resolution", "getaddrinfo", "no address associated", "name resolution")):
        reason = f"the name {urlsplit(url).hostname} could not be looked up: no network, or a DNS failure"
    elif "refused" in lowered:
        reason = "connection refused"
    elif "unreachable" in lowered:
        reason = "network unreachable"
    else:
        reason = text or type(exc).__name__
    return ModelError(f"{name}: cannot reach {host} ({reason}); check the connection, or {_from_file_hint(name)}.")


def _http_status_error(status: int, url: str, name: str) -> ModelError:
    host = urlsplit(url).netloc
    if status in (404, 410):
        return ModelError(f"{name}: the file is not on the server (HTTP {status} for {url}). The registry entry may "
                          f"be out of date: update voice-assistant, or {_from_file_hint(name)}.")
    if status >= 500:
        return ModelError(f"{name}: the server {host} failed (HTTP {status}). Try again later, or "
                          f"{_from_file_hint(name)}.")
    return ModelError(f"{name}: the server {host} refused the download (HTTP {status}). Try again later, or "
                      f"{_from_file_hint(name)}.")


_CONTENT_RANGE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$", re.I)


def _fetch(client, remote: RemoteFile, part: Path, name: str, progress: Optional[Progress]) -> None:
    """Bring ``part`` up to ``remote.size`` bytes, resuming from what it already holds."""
    import httpx

    have = part.stat().st_size if part.exists() else 0
    headers = {"Accept-Encoding": "identity"}
    if have:
        headers["Range"] = f"bytes={have}-"
    started = False  # the server answered
    written = 0
    too_big = False
    try:
        with client.stream("GET", remote.url, headers=headers) as response:
            started = True
            status = response.status_code
            if status == 416 and have:  # what we hold is not a prefix the server knows: start over
                remove_quietly(part)
                return _fetch(client, remote, part, name, progress)
            if status == 206 and have:
                match = _CONTENT_RANGE.match(response.headers.get("content-range", ""))
                if not match or int(match.group(1)) != have:
                    remove_quietly(part)
                    return _fetch(client, remote, part, name, progress)
                if match.group(3) != "*" and int(match.group(3)) != remote.size:
                    remove_quietly(part)
                    raise _size_changed(name, remote, int(match.group(3)))
                mode = "ab"
            elif status in (200, 206):  # 200: a fresh start, also when the server ignores Range
                have, mode = 0, "wb"
                length = response.headers.get("content-length")
                if status == 200 and length and length.isdigit() and int(length) != remote.size:
                    remove_quietly(part)
                    raise _size_changed(name, remote, int(length))
            else:
                raise _http_status_error(status, remote.url, name)
            done = have
            if progress:
                progress(remote.filename, done, remote.size)
            with open(part, mode) as handle:
                for chunk in response.iter_bytes():  # as received: nothing held back if the link drops
                    if done + len(chunk) > remote.size:
                        too_big = True
                        break
                    write_chunk(handle, chunk)
                    done += len(chunk)
                    written += len(chunk)
                    if progress:
                        progress(remote.filename, done, remote.size)
                handle.flush()
                os.fsync(handle.fileno())
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            remove_quietly(part)
            raise disk_full_error(part.parent, name) from None
        raise ModelError(f"{name}: cannot write {part}: {exc.strerror or exc}") from None
    except httpx.HTTPError as exc:
        if not started and written == 0:
            raise _connection_error(exc, remote.url, name) from None
        got = part.stat().st_size if part.exists() else 0
        reason = str(exc) or type(exc).__name__
        raise ModelError(f"{name}: the download stopped at {megabytes(got)} of {megabytes(remote.size)} ({reason}). Run "
                         f"`voice-assistant models install {name}` again to continue where it stopped.") from None
    if too_big:
        remove_quietly(part)
        raise ModelError(f"{name}: the server sent more than the expected {remote.size} bytes for "
                         f"{remote.filename}; nothing was installed. Try again later.")
    got = part.stat().st_size if part.exists() else 0
    if got < remote.size:
        raise ModelError(f"{name}: the download stopped at {megabytes(got)} of {megabytes(remote.size)}. Run "
                         f"`voice-assistant models install {name}` again to continue where it stopped.")


def _size_changed(name: str, remote: RemoteFile, actual: int) -> ModelError:
    return ModelError(f"{name}: the server's {remote.filename} is {actual} bytes, not the {remote.size} the registry "
                      f"expects; nothing was installed. The registry entry may be out of date: update "
                      f"voice-assistant, or {_from_file_hint(name)}.")


def verify(path: Path, remote: RemoteFile, name: str, sha256: Optional[str], *, delete: bool) -> dict[str, str]:
    """Check size and checksums before anything is used; on failure delete the file if ``delete``, and raise."""
    digests = _hash_file(path)
    size = path.stat().st_size
    problems = []
    if size != remote.size:
        problems.append(f"its size is {size} bytes, not {remote.size}")
    if remote.checksum and digests[remote.algorithm] != remote.digest:
        problems.append(f"its {remote.algorithm} is {digests[remote.algorithm]}, not the published {remote.digest}")
    if sha256 and digests["sha256"] != sha256:
        problems.append(f"its sha256 is {digests['sha256']}, not the {sha256} you gave")
    if not problems:
        return digests
    if delete:
        remove_quietly(path)
        fix = ("The downloaded file was removed and nothing was installed. Run the command again to download it "
               "afresh; if it fails again, the file on the server has changed or is damaged.")
    else:
        fix = "Nothing was installed. Check that FILE is the right, complete file for this model."
    raise ModelError(f"{name}: checksum mismatch for {remote.filename}: {'; '.join(problems)}. {fix}")


def download_files(entry: RegistryEntry, client, progress: Optional[Progress], sha256: Optional[str]) -> list[tuple]:
    folder = downloads_dir(entry.name)
    folder.mkdir(parents=True, exist_ok=True)
    parts = [folder / f"{remote.filename}.part" for remote in entry.files]
    for part, remote in zip(parts, entry.files):
        if part.exists() and part.stat().st_size > remote.size:
            remove_quietly(part)
    remaining = sum(r.size - (p.stat().st_size if p.exists() else 0) for p, r in zip(parts, entry.files))
    ensure_space(folder, remaining + entry.download_size, entry.name)
    own = client is None
    client = client or _http_client()
    try:
        result = []
        for part, remote in zip(parts, entry.files):
            if not part.exists() or part.stat().st_size < remote.size:
                _fetch(client, remote, part, entry.name, progress)
            elif progress:
                progress(remote.filename, remote.size, remote.size)
            digests = verify(part, remote, entry.name, sha256 if remote.url == entry.url else None, delete=True)
            result.append((part, remote, digests))
        return result
    finally:
        if own:
            client.close()
