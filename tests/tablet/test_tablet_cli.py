"""`voice-assistant tablet` as a caregiver runs it: a clear message and a non-zero exit for what cannot work, the
code and address printed, Ctrl+C stops it; `tablet pair`, `list` and `revoke`."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import urllib.request

import pytest
from typer.testing import CliRunner

from voice_assistant.cli import app
from voice_assistant.tablet.pairing import PairingStore
from tabletkit import start_tablet_command, stop_tablet_command


def run(*args: str, env: dict | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "voice_assistant", "tablet", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


def free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as s:
        return s.getsockname()[1]


@pytest.mark.parametrize("args, env, message", [
    (["--host", "no.such.host.invalid"], {}, "is not an address of this computer"),
    (["--host", "192.0.2.250", "--port", "8799"], {}, "use an address of this computer"),
    (["--port", "70000"], {}, "between 1 and 65535"),
])
def test_what_cannot_work_is_said_in_one_line_without_a_traceback(args, env, message):
    args = [str(free_port()) if a == "PORT" else a for a in args]
    done = run(*args, env=env)
    assert done.returncode != 0 and message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_a_port_in_use_is_said_at_once():
    with socket.create_server(("127.0.0.1", 0)) as taken:
        done = run("--host", "127.0.0.1", "--port", str(taken.getsockname()[1]), "--lang", "en")
    assert done.returncode == 1 and "is already in use" in done.stderr and "Traceback" not in done.stderr


def test_serves_prints_the_code_and_stops_on_ctrl_c():
    port = free_port()
    proc, out = start_tablet_command("--port", str(port), "--lang", "en")
    try:
        assert f"The talk page: http://127.0.0.1:{port}" in out and "Pairing code: " in out, out
        assert f"http://127.0.0.1:{port}/pair?code=" in out
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/") as page:
            assert page.status == 200 and b"Pair this tablet" in page.read()
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=15)
        err = proc.stderr.read()
        assert code in (0, 130) and "Traceback" not in err, (code, err)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_without_the_languages_recogniser_it_starts_and_the_page_says_which_model_to_install():
    """The demo profile is French; no French model is installed here (`models install` is the only way)."""
    port = free_port()
    proc, out = start_tablet_command("--port", str(port))
    try:
        assert f"The talk page: http://127.0.0.1:{port}" in out and "Pairing code: " in out, out
        code = out.split("Pairing code: ")[1][:7].replace(" ", "")
        token = PairingStore().redeem(code)
        request = urllib.request.Request(f"http://127.0.0.1:{port}/", headers={"Cookie": f"va_tablet={token}"})
        with urllib.request.urlopen(request) as response:
            page = response.read().decode("utf-8")
        assert '<html lang="fr">' in page
        assert "voice-assistant models install vosk-model-small-fr-0.22</code>" in page, page
        assert 'id="typed-text"' in page and "Écrivez votre message" in page
    finally:
        err = stop_tablet_command(proc)
    assert "voice-assistant models install vosk-model-small-fr-0.22" in err, err


def test_pair_list_and_revoke(tmp_path):
    runner = CliRunner()
    done = runner.invoke(app, ["tablet", "pair", "--lang", "en"])
    assert done.exit_code == 0 and "Pairing code: " in done.output, done.output
    code = done.output.split("Pairing code: ")[1][:7].replace(" ", "")
    store = PairingStore()
    store.redeem(code)
    assert "tablet 1" in runner.invoke(app, ["tablet", "list"]).output
    assert runner.invoke(app, ["tablet", "revoke", "tablet 9"]).exit_code == 2
    done = runner.invoke(app, ["tablet", "revoke", "--all"])
    assert done.exit_code == 0 and "1 tablet(s) unpaired." in done.output
    assert "No tablet is paired." in runner.invoke(app, ["tablet", "list"]).output
