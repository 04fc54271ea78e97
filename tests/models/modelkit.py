"""Helpers for the model manager tests: a local HTTP file server on 127.0.0.1, a generated Vosk-like zip,
and a registry file pointing at the server. Nothing here touches the internet."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml


class FileServer:
    """Serves ``files`` by path; records every request; switches to misbehave."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.requests: list[dict] = []
        self.fail_after: int | None = None  # send this many body bytes, then drop the connection (once)
        self.status: int | None = None  # answer every request with this status
        self.ignore_range = False  # answer Range requests with 200 and the whole file
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.owner = self
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return f"{self.base}/{path.lstrip('/')}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        server: FileServer = self.server.owner
        requested_range = self.headers.get("Range")
        record = {"path": self.path, "range": requested_range}
        server.requests.append(record)
        if server.status is not None:
            record["status"] = server.status
            body = b"server says no"
            self.send_response(server.status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        data = server.files.get(self.path)
        if data is None:
            record["status"] = 404
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        start = 0
        match = re.match(r"bytes=(\d+)-$", requested_range or "")
        if match and not server.ignore_range:
            start = int(match.group(1))
            if start >= len(data):
                record["status"] = 416
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            record["status"] = 206
        else:
            self.send_response(200)
            record["status"] = 200
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        if server.fail_after is not None:
            cut, server.fail_after = server.fail_after, None
            self.wfile.write(body[:cut])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)


def make_vosk_zip(top: str = "vosk-model-test-0.1", seed: int = 1) -> bytes:
    """A small zip shaped like a Vosk model (am/, conf/, graph/) under one top folder, ~200 KB stored."""
    payload = hashlib.sha256(str(seed).encode()).digest() * (200_000 // 32)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{top}/", "")
        archive.writestr(f"{top}/am/final.mdl", payload, compress_type=zipfile.ZIP_STORED)
        archive.writestr(f"{top}/conf/model.conf", "--sample-frequency=16000\n")
        archive.writestr(f"{top}/graph/words.txt", "<eps> 0\nbonjour 1\n")
        archive.writestr(f"{top}/README", f"test model {seed}\n")
    return buffer.getvalue()


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class RegistryFixture:
    """The served files and the registry describing them."""

    def __init__(self, server: FileServer, tmp_path: Path, monkeypatch) -> None:
        self.server = server
        self.zip = make_vosk_zip()
        self.onnx = os.urandom(120_000)
        self.onnx_json = json.dumps({"audio": {"sample_rate": 22050}, "espeak": {"voice": "fr"}}).encode()
        server.files["/vosk/vosk-model-test-fr-0.1.zip"] = self.zip
        server.files["/piper/fr_FR-test-medium.onnx"] = self.onnx
        server.files["/piper/fr_FR-test-medium.onnx.json"] = self.onnx_json
        self.entries = [
            {"name": "vosk-model-test-fr-0.1", "language": "fr", "engine": "vosk",
             "url": server.url("vosk/vosk-model-test-fr-0.1.zip"), "size": len(self.zip),
             "checksum": f"md5:{md5(self.zip)}", "description": "test Vosk model"},
            {"name": "fr_FR-test-medium", "language": "fr", "engine": "piper",
             "url": server.url("piper/fr_FR-test-medium.onnx"), "size": len(self.onnx),
             "checksum": f"md5:{md5(self.onnx)}",
             "config": {"url": server.url("piper/fr_FR-test-medium.onnx.json"), "size": len(self.onnx_json),
                        "checksum": f"md5:{md5(self.onnx_json)}"},
             "description": "test Piper voice"},
        ]
        self.path = tmp_path / "registry.yaml"
        self.write()
        monkeypatch.setenv("VOICE_ASSISTANT_MODEL_REGISTRY", str(self.path))

    def write(self) -> None:
        self.path.write_text(yaml.safe_dump({"models": self.entries}, sort_keys=False), encoding="utf-8")

    def entry(self, name: str) -> dict:
        return next(e for e in self.entries if e["name"] == name)
