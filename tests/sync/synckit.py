"""Shared helpers for the sync tests: the Medplum server, FHIR targets, fault injection, a fake clock.

A *target* is a FHIR server the same sync suite runs against (`TARGETS`: name -> the session fixture that
yields a `FhirTarget`). Medplum's engine is one, the clinician hub (voice_assistant/hub) the other; both
fixtures are in conftest.py.
"""

from __future__ import annotations

import json
import os
import random
import select
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from uuid import NAMESPACE_URL, uuid4, uuid5

import httpx
import pytest

from voice_assistant.health.glucose import GlucoseUnit
from voice_assistant.store import Reading, Store
from voice_assistant.sync import fhir
from voice_assistant.sync.auth import BearerAuth
from voice_assistant.sync.sender import OutboxSender, RetryPolicy

HERE = Path(__file__).parent
MEDPLUM_DIR = HERE / "medplum"
PARIS = timezone(timedelta(hours=1))

#: target name -> name of the session fixture (in conftest.py) that yields a FhirTarget.
TARGETS: dict[str, str] = {"medplum": "medplum_target", "hub": "hub_target"}


# --- Medplum -----------------------------------------------------------------------------------------------


def medplum_installed() -> str | None:
    """None if the Medplum test server is installed, else why not (the only reason its tests skip: the tests
    never download; `.ci/run` installs it)."""
    if not (MEDPLUM_DIR / "node_modules" / "@medplum" / "fhir-router").is_dir():
        return ("the Medplum test server is not installed: run `npm ci --prefix tests/sync/medplum` "
                "(.ci/run does it)")
    return None


@dataclass
class NodeServer:
    process: subprocess.Popen
    base_url: str
    log_path: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if self.process.stdout:
            self.process.stdout.close()


def start_medplum(log_dir: Path, *, token: str | None = None, cert: Path | None = None,
                  key: Path | None = None) -> NodeServer:
    """Start tests/sync/medplum/server.mjs on a free loopback port (skip the test if it is not installed)."""
    reason = medplum_installed()
    if reason:
        pytest.skip(reason)
    if shutil.which("node") is None:
        raise RuntimeError("the Medplum test server is installed but Node.js is not (apt-get install nodejs)")
    args = ["node", "server.mjs", "--port", "0"]
    if token:
        args += ["--token", token]
    if cert:
        args += ["--cert", str(cert), "--key", str(key or cert)]
    log_path = log_dir / f"medplum-{uuid4().hex[:8]}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(args, cwd=MEDPLUM_DIR, stdout=subprocess.PIPE, stderr=log)
    ready, _, _ = select.select([process.stdout], [], [], 60)
    line = process.stdout.readline() if ready else b""
    if not line:
        process.kill()
        raise RuntimeError(f"the Medplum server did not start: {log_path.read_text()[-2000:]}")
    info = json.loads(line)
    scheme = "https" if cert else "http"
    return NodeServer(process, f"{scheme}://127.0.0.1:{info['port']}{info['base']}", log_path)


# --- targets -----------------------------------------------------------------------------------------------


@dataclass
class FhirTarget:
    """A FHIR server under test: where the device sends, and how the tests read back."""

    name: str
    base_url: str
    device_token: str | None = None  #: the bearer token the device signs in with (None: no sign-in)
    reader_token: str | None = None  #: the token the tests read back with (a clinician's token on the hub)
    ca_bundle: Path | None = None
    #: for a server whose device tokens are bound to one patient (the hub): make one for this patient id
    enroll_patient: Callable[[str], str] | None = None
    #: whether the server takes conditional updates (a stopped reminder plan); an append-only one answers 405
    supports_update: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    def new_patient(self) -> fhir.Parties:
        """A patient of its own for a test (so tests do not see each other's resources), enrolled on the server
        if it needs that: `device_token` is then the token for this patient's device."""
        parties = new_patient()
        if self.enroll_patient is not None:
            self.device_token = self.enroll_patient(parties.patient_id)
        return parties

    @property
    def device_auth(self) -> httpx.Auth | None:
        return BearerAuth(self.device_token) if self.device_token else None

    def reader(self) -> httpx.Client:
        from voice_assistant.sync.sender import tls_context

        token = self.reader_token or self.device_token
        return httpx.Client(auth=BearerAuth(token) if token else None, verify=tls_context(self.ca_bundle),
                            timeout=10)

    def post(self, resource: dict, if_none_exist: str | None = None) -> httpx.Response:
        """Write straight to the server with the device's token (as another client would), bypassing the
        outbox."""
        from voice_assistant.sync.sender import tls_context

        headers = {"Content-Type": "application/fhir+json"}
        if if_none_exist:
            headers["If-None-Exist"] = if_none_exist
        with httpx.Client(auth=self.device_auth, verify=tls_context(self.ca_bundle), timeout=10) as client:
            return client.post(f"{self.base_url}/{resource['resourceType']}", json=resource, headers=headers)

    def search(self, resource_type: str, **params: str) -> list[dict]:
        """Every resource of a type matching the search parameters (all pages)."""
        found = []
        with self.reader() as client:
            url: str | None = f"{self.base_url}/{resource_type}"
            query: dict[str, str] | None = {"_count": "1000", **params}
            while url:
                response = client.get(url, params=query)
                response.raise_for_status()
                bundle = response.json()
                found += [entry["resource"] for entry in bundle.get("entry") or []]
                url = next((link["url"] for link in bundle.get("link") or [] if link.get("relation") == "next"),
                           None)
                query = None
        return found

    def for_patient(self, resource_type: str, patient_id: str) -> list[dict]:
        param = "patient" if resource_type == "Provenance" else "subject"
        return self.search(resource_type, **{param: f"Patient/{patient_id}"})

    def provenances_of(self, target_type: str, key: str) -> list[dict]:
        return self.search("Provenance", _tag=f"{fhir.PROVENANCE_SYSTEM}|{target_type}/{key}")

    def transport(self) -> httpx.HTTPTransport:
        """A fresh connection per request (so per-connection faults apply to each request)."""
        from voice_assistant.sync.sender import tls_context

        return httpx.HTTPTransport(verify=tls_context(self.ca_bundle), limits=httpx.Limits(max_keepalive_connections=0))


def identifiers(resources: list[dict]) -> list[str]:
    return [r["identifier"][0]["value"] for r in resources]


# --- the device side ---------------------------------------------------------------------------------------


class FakeClock:
    """A clock the tests move by hand; `sleep` moves it too (and records what was slept)."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime.now(UTC)
        self.slept: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.advance(seconds)


def new_patient() -> fhir.Parties:
    return fhir.Parties(patient_id=f"pt-{uuid4().hex[:12]}", device_id=f"dev-{uuid4().hex[:8]}")


def make_reading(i: int = 0, *, tag: str = "", value: float | None = None, at: datetime | None = None) -> Reading:
    mg = value if value is not None else 90.0 + (i % 150)
    return Reading(
        glucose_mg_dl=mg, unit_said=GlucoseUnit.MG_DL, value_said=mg, words_said=f"{mg:g}",
        measured_at=at or datetime(2026, 11, 24, 7, 0, tzinfo=PARIS) + timedelta(minutes=i),
        transcript=f"ma glycémie est de {mg:g}", context="fasting", asr_confidence=0.9, nlu_confidence=0.95,
        uuid=str(uuid5(NAMESPACE_URL, f"reading-{tag}-{i}")) if tag else str(uuid4()),
    )


def sender_for(store: Store, target: FhirTarget, *, transport: httpx.BaseTransport | None = None,
               clock: Callable[[], datetime] | None = None, sleep: Callable[[float], None] | None = None,
               policy: RetryPolicy | None = None, timeout: float = 10.0) -> OutboxSender:
    client = httpx.Client(transport=transport or target.transport(), timeout=httpx.Timeout(timeout, connect=2.0),
                          follow_redirects=False)
    sender = OutboxSender(store, target.base_url, target.device_auth, client=client, clock=clock,
                          sleep=sleep or (lambda s: None), policy=policy or RetryPolicy(rng=random.Random(7)))
    sender._own_client = True  # close it with the sender
    return sender


# --- faults ------------------------------------------------------------------------------------------------


class FaultTransport(httpx.BaseTransport):
    """Wraps the real transport; answers from `faults` first (one per request, in order), then passes through.

    A fault is one of:
      ("status", code, headers)  the server answers this instead (the request never reaches it)
      ("raise", exception)       the request fails on the way (never reaches the server)
      ("lost", exception)        the request reaches the server, its answer is lost on the way back
      "pass"                     this one goes through
    """

    def __init__(self, inner: httpx.BaseTransport, faults: list | None = None) -> None:
        self.inner = inner
        self.faults = list(faults or [])
        self.requests: list[tuple[str, str]] = []
        self.always: Any = None  #: a fault repeated for every request while set (e.g. server down)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append((request.method, str(request.url)))
        fault = self.always if self.always is not None else (self.faults.pop(0) if self.faults else "pass")
        if fault == "pass":
            return self.inner.handle_request(request)
        kind = fault[0]
        if kind == "status":
            body = json.dumps({"resourceType": "OperationOutcome", "issue": [
                {"severity": "error", "code": "transient", "diagnostics": f"injected {fault[1]}"}]}).encode()
            return httpx.Response(fault[1], headers={"Content-Type": "application/fhir+json", **(fault[2] or {})},
                                  content=body, request=request)
        if kind == "raise":
            raise fault[1]
        if kind == "lost":
            response = self.inner.handle_request(request)
            response.read()
            response.close()
            raise fault[1]
        raise AssertionError(f"unknown fault {fault!r}")

    def close(self) -> None:
        self.inner.close()


class FlakyProxy:
    """A TCP proxy on 127.0.0.1 in front of a real server, for faults a real network makes.

    mode "forward": bytes go both ways; "reset": the connection is accepted, the request read, then reset
    (RST); "lost": the request is forwarded and the server answers, but the client's connection is reset
    instead of getting the answer; "hang": accepted and never answered. `down()` closes the listening
    socket (connection refused) until `up()`.
    """

    def __init__(self, upstream: str) -> None:
        url = httpx.URL(upstream)
        self.upstream = (url.host, url.port)
        self.mode = "forward"
        self.script: list[str] = []  #: modes for the next connections, in order, before `mode` applies again
        self.connections = 0
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._closing = False
        self._listener: socket.socket | None = None
        self.port = 0
        self.up()

    def url(self, base_url: str) -> str:
        url = httpx.URL(base_url)
        return str(url.copy_with(host="127.0.0.1", port=self.port))

    def up(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.2)
        self.port = listener.getsockname()[1]
        self._listener = listener
        thread = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        thread.start()
        self._threads.append(thread)

    def down(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        for thread in self._threads:
            thread.join(timeout=2)
        self._threads = [t for t in self._threads if t.is_alive()]

    def close(self) -> None:
        self._closing = True
        self.down()

    def _accept(self, listener: socket.socket) -> None:
        while self._listener is listener and not self._closing:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self.connections += 1
                mode = self.script.pop(0) if self.script else self.mode
            threading.Thread(target=self._serve, args=(client, mode), daemon=True).start()

    @staticmethod
    def _reset(sock: socket.socket) -> None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        sock.close()

    @staticmethod
    def _read_request(sock: socket.socket) -> bytes:
        """One HTTP/1.1 request with a Content-Length body (what httpx sends here)."""
        data = b""
        sock.settimeout(5)
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                return data
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
        return head + b"\r\n\r\n" + body

    def _serve(self, client: socket.socket, mode: str) -> None:
        try:
            if mode == "hang":
                time.sleep(3)
                client.close()
                return
            if mode == "reset":
                self._read_request(client)
                self._reset(client)
                return
            upstream = socket.create_connection(self.upstream, timeout=5)
            if mode == "lost":
                request = self._read_request(client)
                upstream.sendall(request)
                upstream.recv(65536)  # the server has answered: it did the work
                upstream.close()
                self._reset(client)
                return
            self._pipe(client, upstream)
        except OSError:
            client.close()

    @staticmethod
    def _pipe(a: socket.socket, b: socket.socket) -> None:
        def copy(src: socket.socket, dst: socket.socket) -> None:
            try:
                while chunk := src.recv(65536):
                    dst.sendall(chunk)
            except OSError:
                pass
            finally:
                for s in (src, dst):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

        threading.Thread(target=copy, args=(b, a), daemon=True).start()
        copy(a, b)


REPO = HERE.parent.parent


def env_for_subprocess(tmp_path: Path) -> dict[str, str]:
    """A child's environment: its own data and config folders, and this checkout's code first on the path
    (whatever another editable install says)."""
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    return dict(os.environ, XDG_DATA_HOME=str(tmp_path / "data"), XDG_CONFIG_HOME=str(tmp_path / "config"),
                PYTHONUNBUFFERED="1", PYTHONPATH=path)
