"""`sync` exit codes (0 sent or nothing to send, 1 something waits, 2 unusable settings or database, 3 refused
for good) and proxies: never one from the environment, never for loopback, only the configured one."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import yaml
from synckit import make_reading
from test_sync_cli import closed_port, run, setup_device

from voice_assistant.profile import default_profile_data


class Capture:
    """A TCP listener standing in for a proxy: records the first line of whatever connects, answers 502."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    data = conn.recv(65536)
                    self.lines.append(data.split(b"\r\n", 1)[0].decode("latin-1"))
                    conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                except OSError:
                    pass

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def proxy():
    capture = Capture()
    yield capture
    capture.close()


def refusing_server(status: int):
    """A FHIR server that refuses every resource with `status` and an OperationOutcome."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = json.dumps({"resourceType": "OperationOutcome", "issue": [
                {"severity": "error", "code": "value", "diagnostics": "implausible value"}]}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/fhir+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_exit_codes(tmp_path, hub_target):
    # 0: everything sent (the patient record of a new device), then nothing to send
    parties = hub_target.new_patient()
    env = setup_device(tmp_path / "empty", parties.patient_id, [])
    args = ["--fhir-base-url", hub_target.base_url, "--token", hub_target.device_token]
    code, out = run(env, *args)
    assert code == 0 and "1 patient record" in out, out
    code, out = run(env, *args)
    assert code == 0 and "Nothing new to send." in out, out
    # 1: something waits (server away)
    env = setup_device(tmp_path / "away", "p-1", [make_reading(0)])
    code, out = run(env, "--fhir-base-url", f"http://127.0.0.1:{closed_port()}/fhir")
    assert code == 1 and "Nothing is lost" in out, out
    # 3: refused for good; `sync status` says so in words and exits 3 too
    server = refusing_server(422)
    try:
        env = setup_device(tmp_path / "refused", "p-3", [make_reading(0)])
        code, out = run(env, "--fhir-base-url", f"http://127.0.0.1:{server.server_address[1]}/fhir")
        assert code == 3, out
        code, out = run(env, "status")
        assert code == 3 and "was refused and will not be sent again" in out, out
        assert "cannot accept" in out and "Traceback" not in out
    finally:
        server.shutdown()
    # 2: unusable settings
    code, out = run(env, "--fhir-base-url", "http://fhir.example.org/R4")
    assert code == 2 and "https" in out, out


def test_environment_proxies_are_ignored_for_loopback(tmp_path, hub_target, proxy, monkeypatch):
    parties = hub_target.new_patient()
    env = setup_device(tmp_path, parties.patient_id, [make_reading(0)])
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        env[name] = proxy.url
    env["NO_PROXY"] = env["no_proxy"] = ""
    code, out = run(env, "--fhir-base-url", hub_target.base_url, "--token", hub_target.device_token)
    assert code == 0, out
    assert proxy.lines == []  # the proxy never saw the bearer token nor the reading


def test_environment_proxies_are_ignored_and_the_configured_one_is_used(tmp_path, proxy):
    env = setup_device(tmp_path, "p-9", [make_reading(0)])
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY"):
        env[name] = "http://127.0.0.1:9"  # nothing listens there: using it would fail differently
    profile = tmp_path / "config" / "voice-assistant" / "profile.yaml"
    data = default_profile_data()
    data["clinician"] = {"fhir_base_url": "https://fhir.example.test/R4", "patient_id": "p-9", "proxy": proxy.url}
    profile.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    code, out = run(env)
    assert code == 1, out  # the proxy refused the tunnel: the reading waits
    assert proxy.lines == ["CONNECT fhir.example.test:443 HTTP/1.1"]  # a tunnel: the token stays inside TLS
