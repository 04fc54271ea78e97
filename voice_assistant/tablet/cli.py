"""`voice-assistant tablet`: serve the talk page on the home network; pair, list and revoke tablets.

Mounted by voice_assistant/cli.py with `app.add_typer(tablet_app, name="tablet")`; the session, store and sender
come from the composition root (`voice_assistant.app`), as for every other front end.
"""

from __future__ import annotations

import errno
import os
import signal
import socket
from typing import Optional

import typer

from voice_assistant import app as app_root
from voice_assistant.addresses import is_loopback_host
from voice_assistant.asr.select import RecognizerUnavailable, install_hint
from voice_assistant.errors import ConfigurationError, EngineUnavailable, LanguageDataError
from voice_assistant.profile import Profile
from voice_assistant.store import Store, StoreError, default_db_path
from voice_assistant.audio import devices
from voice_assistant.command import no_recogniser_words
from voice_assistant.tablet.page import spoken_code
from voice_assistant.tablet.pairing import CODE_MINUTES, PairingStore
from voice_assistant.tablet.network import ensure_certificate, host_names, lan_addresses
from voice_assistant.tablet.server import CannotHear, TabletServer
from voice_assistant.tts import synthesizer_for

tablet_app = typer.Typer(add_completion=False, pretty_exceptions_enable=False,
                         help="The tablet: a one-button talk page for the home network (pair it with a spoken code).")

DEFAULT_PORT = 8766


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"voice-assistant tablet: {message}", err=True)
    raise typer.Exit(code)


def _profile_and_language(lang: Optional[str]) -> tuple[Profile, str]:
    """The profile and the page's language; a profile or a language that cannot be used ends the command."""
    try:
        profile = app_root.load_settings()
        return profile, app_root.language_for(lang, profile)
    except ConfigurationError as exc:  # ProfileError too
        _fail(str(exc), 2)
        raise  # not reached: _fail exits


def _open_store() -> Store:
    try:
        return app_root.open_store()
    except StoreError as exc:
        _fail(str(exc), 2)
        raise


def _pairing():
    try:
        return PairingStore()
    except Exception as exc:  # sqlite3.Error, OSError: an unwritable data folder
        _fail(f"cannot open the pairing file: {exc}")


def announce_code(pairing, lang: str, url: str | None, synthesizer=None) -> None:
    """Make a pairing code, print it with the page's address and a QR code of both, and say it aloud on the
    device's speaker when there is one (no speaker: printed only)."""
    code = pairing.new_code()
    typer.echo(f"Pairing code: {code.code[:3]} {code.code[3:]} (valid {CODE_MINUTES} minutes, one tablet)")
    if url:
        link = f"{url}/pair?code={code.code}"
        typer.echo(f"On the tablet, open {url} and type the code, or scan this QR code:")
        try:
            import segno

            segno.make(link, error="m").terminal(compact=True)
        except Exception:  # no QR code (segno missing, a terminal that cannot draw it): the address is printed
            pass
        typer.echo(link)
    _say_aloud(spoken_code(lang, code.code), lang, synthesizer, "The code")


def _say_aloud(text: str, lang: str, synthesizer, what: str) -> None:
    """`text` on the device's own speaker when there is one (none: what was printed is enough)."""
    try:
        devices.check_audio_devices(need_input=False, need_output=True)
        voice = synthesizer or synthesizer_for(lang)
        for sentence in voice.speak(text):
            devices.play(sentence.audio)
    except Exception as exc:  # no speaker, no voice
        typer.echo(f"({what} is not said aloud: {exc})", err=True)


def _session(profile: Profile, language: str, store: Store):
    """The session, and what to say when the language's recogniser is missing (the page then takes typed
    sentences until the model is installed): CannotHear, or None."""
    try:
        return app_root.build_session(profile, language, store), None
    except RecognizerUnavailable as exc:
        said, shown = no_recogniser_words(language, exc, tablet=True)
        typer.echo(shown, err=True)
        session = app_root.build_session(profile, language, store, recognizer=None)
        _say_aloud(said, language, session.synthesizer, "This")
        return session, CannotHear(said, install_hint(language))


def _listen_failed(exc: OSError, host: str, port: int) -> None:
    if exc.errno == errno.EADDRINUSE:
        _fail(f"port {port} is already in use (is the tablet page already running? else choose another --port)")
    if exc.errno in (errno.EADDRNOTAVAIL, errno.EACCES):
        _fail(f"cannot listen on {host}:{port} ({os.strerror(exc.errno)}): use an address of this computer, or a port "
              "above 1023")
    _fail(f"cannot listen on {host}:{port}: {exc}")


@tablet_app.callback(invoke_without_command=True)
def tablet(
    ctx: typer.Context,
    host: str = typer.Option("0.0.0.0", "--host", help="Address to listen on (default: every interface of "
                             "the home network, over HTTPS). 127.0.0.1: this computer only, plain HTTP."),
    port: int = typer.Option(DEFAULT_PORT, "--port", help="Port of the page."),
    lang: Optional[str] = typer.Option(None, "--lang", help="fr or en (default: the profile's language)."),
    pair: bool = typer.Option(False, "--pair", help="Make a new pairing code now (one is made anyway while no "
                              "tablet is paired)."),
    https: bool = typer.Option(False, "--https", help="HTTPS on 127.0.0.1 too (always on for the network)."),
) -> None:
    """Serve the talk page: a tablet on the home network talks with the assistant by voice."""
    if ctx.invoked_subcommand is not None:
        return
    if not 0 < port < 65536:
        _fail(f"the port must be between 1 and 65535, not {port}", 2)
    try:
        socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        _fail(f"'{host}' is not an address of this computer (try 0.0.0.0, or 127.0.0.1 for this computer only)", 2)
    try:  # before loading the voice and the recogniser: a port in use or a foreign address is said at once
        socket.create_server((host, port), family=socket.AF_INET6 if ":" in host else socket.AF_INET).close()
    except OSError as exc:
        _listen_failed(exc, host, port)
    profile, language = _profile_and_language(lang)
    pairing = _pairing()
    certificate = None
    if https or not is_loopback_host(host):
        try:
            certificate = ensure_certificate(default_db_path().parent, lan_addresses(), host_names())
        except Exception as exc:
            _fail(f"cannot make the page's certificate: {exc}")
    store = _open_store()
    server = None
    try:
        session, cannot_hear = _session(profile, language, store)
        try:
            # replies are not printed: what the patient says and hears is health data, and a terminal's
            # output ends up in logs (journald, nohup.out)
            server = TabletServer(session, pairing, host=host, port=port, lang=language, certificate=certificate,
                                  echo=lambda text: None, cannot_hear=cannot_hear)
        except OSError as exc:
            _listen_failed(exc, host, port)
        pairing.remember_url(server.url)
        typer.echo(f"The talk page: {server.url}")
        if certificate is not None:
            typer.echo("The tablet will warn about this device's own certificate once; check that its SHA-256 "
                       f"fingerprint is {certificate.fingerprint}")
        if pair or not pairing.tablets():
            announce_code(pairing, language, server.url, session.synthesizer)
        else:
            typer.echo(f"{len(pairing.tablets())} tablet(s) paired. A new code: voice-assistant tablet pair")
        sender = app_root.background_sender(
            profile, lambda message: typer.echo(f"voice-assistant: {message}", err=True))
        server.start()
        signal.signal(signal.SIGTERM, lambda *_: server.stop())  # a service manager stops it like Ctrl+C
        typer.echo("Ctrl+C to stop.")
        try:
            server.run()
        finally:
            if sender is not None:
                sender.stop()
    except (EngineUnavailable, LanguageDataError) as exc:
        _fail(str(exc))
    finally:
        if server is not None:
            server.stop()
        store.close()


@tablet_app.command("pair")
def pair_command(lang: Optional[str] = typer.Option(None, "--lang", help="fr or en (default: the profile's).")) -> None:
    """Make a new pairing code (the old one stops working), print it and say it aloud."""
    pairing = _pairing()
    announce_code(pairing, _profile_and_language(lang)[1], pairing.url())


@tablet_app.command("list")
def list_command() -> None:
    """The paired tablets."""
    tablets = _pairing().tablets()
    if not tablets:
        typer.echo("No tablet is paired.")
    for t in tablets:
        typer.echo(f"{t.name:<10} paired {t.paired_at[:16].replace('T', ' ')}  last seen "
                   f"{(t.last_seen_at or '-')[:16].replace('T', ' ')}")


@tablet_app.command("revoke")
def revoke_command(
    name: Optional[str] = typer.Argument(None, help="The tablet's name, as `tablet list` shows it."),
    everything: bool = typer.Option(False, "--all", help="Every paired tablet."),
) -> None:
    """Unpair a tablet: its page goes back to the pairing screen."""
    if (name is None) == (not everything):
        _fail("name one tablet (voice-assistant tablet list) or give --all", 2)
    count = _pairing().revoke(None if everything else name)
    if name is not None and count == 0:
        _fail(f"no paired tablet named '{name}' (voice-assistant tablet list)", 2)
    typer.echo(f"{count} tablet(s) unpaired.")
