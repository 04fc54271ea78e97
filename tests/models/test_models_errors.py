"""Network failures give one plain message with the fix, and leave nothing installed."""

from __future__ import annotations

import socket
import ssl

import httpx
import pytest

from voice_assistant import models
from voice_assistant.models import ModelError

VOSK = "vosk-model-test-fr-0.1"


def test_http_404(registry, xdg):
    del registry.server.files["/vosk/vosk-model-test-fr-0.1.zip"]
    with pytest.raises(ModelError) as info:
        models.install(VOSK)
    text = str(info.value)
    assert "HTTP 404" in text and "not on the server" in text and f"models install {VOSK} --from FILE" in text
    assert models.installed_path(VOSK) is None


@pytest.mark.parametrize("status", [500, 503])
def test_http_server_error(registry, xdg, status):
    registry.server.status = status
    with pytest.raises(ModelError) as info:
        models.install(VOSK)
    text = str(info.value)
    assert f"HTTP {status}" in text and "Try again later" in text and "--from FILE" in text
    assert models.installed_path(VOSK) is None
    assert not list((xdg / "voice-assistant").rglob("*.part"))


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_server(registry, xdg):
    port = closed_port()
    registry.entry(VOSK)["url"] = f"http://127.0.0.1:{port}/vosk/{VOSK}.zip"
    registry.write()
    with pytest.raises(ModelError) as info:
        models.install(VOSK)
    text = str(info.value)
    assert f"cannot reach 127.0.0.1:{port}" in text and "check the connection" in text
    assert f"`voice-assistant models install {VOSK} --from FILE`" in text
    assert "Traceback" not in text


def failing_client(exc: Exception) -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    return httpx.Client(transport=httpx.MockTransport(handler))


@pytest.mark.parametrize("exc, expected", [
    (httpx.ConnectError("[Errno -2] Name or service not known"),
     "could not be looked up: no network, or a DNS failure"),
    (httpx.ConnectError("[Errno -3] Temporary failure in name resolution"), "DNS failure"),
    (httpx.ConnectTimeout("timed out"), "no answer in time"),
    (httpx.ReadTimeout("timed out"), "no answer in time"),
    (httpx.ConnectError("[Errno 101] Network is unreachable"), "network unreachable"),
])
def test_network_failures_are_explained(registry, exc, expected):
    with pytest.raises(ModelError) as info:
        models.install(VOSK, client=failing_client(exc))
    text = str(info.value)
    assert "cannot reach 127.0.0.1" in text and expected in text and "--from FILE" in text


def test_tls_failure_is_explained(registry):
    exc = httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    with pytest.raises(ModelError, match="secure connection .* could not be verified.*date and time"):
        models.install(VOSK, client=failing_client(exc))


def test_tls_verification_is_on(registry, tmp_path):
    """A local https server with a self-signed certificate is refused, with the TLS message."""
    import shutil
    import subprocess
    import threading
    from http.server import ThreadingHTTPServer

    from modelkit import _Handler

    if not shutil.which("openssl"):
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.owner = registry.server
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        registry.entry(VOSK)["url"] = f"https://127.0.0.1:{httpd.server_address[1]}/vosk/{VOSK}.zip"
        registry.write()
        with pytest.raises(ModelError, match="secure connection to 127.0.0.1:.* could not be verified"):
            models.install(VOSK)
        assert models.installed_path(VOSK) is None
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_stalled_download_times_out_and_can_resume(registry, xdg):
    """The server sends part of the body then stops talking: a read timeout, the .part is kept."""
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    size = registry.entry(VOSK)["size"]
    stop = threading.Event()

    def serve():
        conn, _ = listener.accept()
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size + registry.zip[:1000])
        stop.wait(5)
        conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    registry.entry(VOSK)["url"] = f"http://127.0.0.1:{port}/{VOSK}.zip"
    registry.write()
    try:
        with pytest.raises(ModelError, match="stopped at 0.0 MB.*again to continue"):
            models.install(VOSK, client=httpx.Client(timeout=0.5))
    finally:
        stop.set()
        thread.join(5)
        listener.close()
    part = xdg / "voice-assistant" / "downloads" / VOSK / f"{VOSK}.zip.part"
    assert part.stat().st_size == 1000
