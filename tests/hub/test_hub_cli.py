"""`voice-assistant hub` (serve, with or without TLS) and `hub token add|list|revoke`."""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
import sys
import time

import pytest
import typer
from hubkit import call, observation, reading
from typer.testing import CliRunner

from voice_assistant.hub import HubServer, TokenStore, hub_app

root = typer.Typer()
root.add_typer(hub_app, name="hub")  # as voice_assistant/cli.py mounts it
runner = CliRunner()


def test_token_add_prints_the_token_once_and_list_never_shows_it(tmp_path):
    db = tmp_path / "hub.db"
    unbound = runner.invoke(root, ["hub", "token", "add", "--device", "kitchen", "--db", str(db)])
    assert unbound.exit_code == 2 and "--patient" in unbound.output and "Traceback" not in unbound.output
    added = runner.invoke(root, ["hub", "token", "add", "--device", "kitchen", "--patient", "p-42", "--db", str(db)])
    assert added.exit_code == 0, added.output
    token = added.stdout.strip().splitlines()[0]
    assert token.startswith("vah_") and len(token) > 40
    clinician = runner.invoke(root, ["hub", "--db", str(db), "token", "add", "--clinician", "dr-martin"])
    assert clinician.exit_code == 0
    listed = runner.invoke(root, ["hub", "token", "list", "--db", str(db)])
    assert listed.exit_code == 0 and "kitchen" in listed.stdout and "dr-martin" in listed.stdout
    assert token not in listed.stdout
    as_json = json.loads(runner.invoke(root, ["hub", "--db", str(db), "token", "list", "--json"]).stdout)
    assert {(t["kind"], t["name"]) for t in as_json} == {("device", "kitchen"), ("clinician", "dr-martin")}
    again = runner.invoke(root, ["hub", "token", "add", "--device", "kitchen", "--patient", "p-42", "--db", str(db)])
    assert again.exit_code == 2 and "already exists" in again.output
    both = runner.invoke(root, ["hub", "token", "add", "--device", "a", "--clinician", "b", "--db", str(db)])
    assert both.exit_code == 2
    revoked = runner.invoke(root, ["hub", "token", "revoke", "--device", "kitchen", "--db", str(db)])
    assert revoked.exit_code == 0


def _serve(args: list[str]):
    code = "import sys; from voice_assistant.hub.cli import hub_app; hub_app(sys.argv[1:])"
    proc = subprocess.Popen([sys.executable, "-u", "-c", code, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if "FHIR endpoint" in line:
            return proc, line.split("FHIR endpoint ")[1].split(",")[0]
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise AssertionError(f"the hub did not start: {proc.stderr.read()}")


def _stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_hub_command_serves_plain_http_on_localhost(tmp_path):
    db = tmp_path / "hub.db"
    from voice_assistant.hub import HubDatabase

    token = TokenStore(HubDatabase(db)).add("clinician", "dr")
    proc, fhir_base = _serve(["--port", "0", "--db", str(db), "--quiet"])
    try:
        assert fhir_base.startswith("http://127.0.0.1:")
        assert call(f"{fhir_base}/Observation").status == 401
        assert call(f"{fhir_base}/Observation", token=token).status == 200
    finally:
        _stop(proc)


@pytest.fixture
def certificate(tmp_path):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed: cannot make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True, env={**os.environ, "OPENSSL_CONF": "/dev/null"})
    return cert, key


def test_tls_with_certfile_and_keyfile(tmp_path, certificate):
    cert, key = certificate
    server = HubServer(tmp_path / "hub.db", port=0, certfile=cert, keyfile=key, quiet=True, lang="en").start()
    try:
        tokens = TokenStore(server.app.db)
        device, clinician = tokens.add("device", "d", patient="p-42"), tokens.add("clinician", "c")
        assert server.url.startswith("https://")
        context = ssl.create_default_context(cafile=str(cert))

        class Hub:
            fhir = server.fhir_base_url

        obs = observation(reading())
        from voice_assistant.sync.fhir import if_none_exist

        created = call(f"{Hub.fhir}/Observation", "POST", device, obs, {"If-None-Exist": if_none_exist(obs)},
                       context=context)
        assert created.status == 201
        assert created.headers["location"].startswith("https://")
        assert call(f"{Hub.fhir}/Observation", token=clinician, context=context).json["total"] == 1
        # a plain-HTTP client gets nothing from the TLS port, and the server keeps serving
        with pytest.raises(Exception):
            call(server.url.replace("https://", "http://") + "/fhir/Observation", token=clinician)
        assert call(f"{Hub.fhir}/Observation", token=clinician, context=context).status == 200
        # the session cookie is Secure over TLS
        login = call(f"{server.url}/dashboard/login", "POST", raw=f"token={clinician}".encode(),
                     headers={"Content-Type": "application/x-www-form-urlencoded"}, context=context)
        assert "Secure" in login.headers["set-cookie"]
    finally:
        server.stop()


def test_hub_command_serves_https(tmp_path, certificate):
    cert, key = certificate
    proc, fhir_base = _serve(["--port", "0", "--db", str(tmp_path / "hub.db"), "--certfile", str(cert),
                              "--keyfile", str(key), "--quiet"])
    try:
        assert fhir_base.startswith("https://")
        context = ssl.create_default_context(cafile=str(cert))
        assert call(f"{fhir_base}/Observation", context=context).status == 401
    finally:
        _stop(proc)
