"""`voice-assistant hub`: serve the clinician hub, and manage its tokens.

Mounted by voice_assistant/cli.py with `app.add_typer(hub_app, name="hub")`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from voice_assistant.addresses import is_loopback_host
from voice_assistant.cli_options import db_option

from voice_assistant.hub.db import HubDatabase, default_hub_db_path
from voice_assistant.hub.server import HubServer
from voice_assistant.hub.tokens import CLINICIAN, DEVICE, TokenError, TokenStore
from voice_assistant.store.errors import StoreError

hub_app = typer.Typer(add_completion=False, pretty_exceptions_enable=False,
                      help="The clinician hub: receives the devices' FHIR data and shows the dashboard.")
token_app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                        help="Make, list and revoke the hub's access tokens (one per device, one per clinician).")
hub_app.add_typer(token_app, name="token")

DB_HELP = "The hub's database file (default: $XDG_DATA_HOME/voice-assistant/hub.db)."


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"voice-assistant hub: {message}", err=True)
    raise typer.Exit(code)


def _db_path(ctx: typer.Context, db: Optional[Path]) -> Path:
    return db_option(ctx, db, default_hub_db_path)


def _tokens(ctx: typer.Context, db: Optional[Path]) -> TokenStore:
    """The hub's tokens; a database that cannot be used is a sentence (StoreError), never a traceback."""
    return TokenStore(HubDatabase(_db_path(ctx, db)))


@hub_app.callback(invoke_without_command=True)
def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8790, "--port", help="Port to listen on."),
    db: Optional[Path] = typer.Option(None, "--db", help=DB_HELP),
    certfile: Optional[Path] = typer.Option(None, "--certfile", help="TLS certificate (PEM) to serve HTTPS."),
    keyfile: Optional[Path] = typer.Option(None, "--keyfile", help="TLS private key (PEM), if not in --certfile."),
    lang: str = typer.Option("fr", "--lang", help="Dashboard language: fr or en."),
    quiet: bool = typer.Option(False, "--quiet", help="Do not log each request (the log never holds query "
                               "strings or patient ids)."),
    public_url: Optional[str] = typer.Option(None, "--public-url", help="The address devices and browsers reach "
                                             "the hub at (e.g. https://hub.example.org behind a reverse proxy); "
                                             "links are built from it, never from the request's Host header."),
) -> None:
    """Serve the FHIR R4 endpoint (/fhir) and the clinician dashboard (/dashboard).

    Plain HTTP on 127.0.0.1 by default. Devices only send over HTTPS: give --certfile/--keyfile, or put the
    hub behind a TLS reverse proxy (nginx, Caddy) that forwards to 127.0.0.1:8790 and sets X-Forwarded-Proto.
    """
    if ctx.invoked_subcommand is not None:
        return
    if keyfile and not certfile:
        _fail("--keyfile needs --certfile")
    if public_url is not None and not (public_url.startswith(("https://", "http://")) and len(public_url) > 8):
        _fail(f"--public-url '{public_url}' must be an address such as https://hub.example.org")
    for path in (certfile, keyfile):
        if path is not None and not path.is_file():
            _fail(f"no such file: {path}")
    path = db or default_hub_db_path()
    try:
        server = HubServer(path, host=host, port=port, certfile=certfile, keyfile=keyfile, lang=lang, quiet=quiet,
                           public_url=public_url)
    except StoreError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    except ValueError as exc:
        _fail(str(exc))
    if not certfile and not is_loopback_host(host):
        typer.echo("voice-assistant hub: WARNING: serving health data over plain HTTP on a network address. "
                   "Use --certfile/--keyfile, or listen on 127.0.0.1 behind a TLS reverse proxy.", err=True)
    try:
        tokens = TokenStore(server.app.db).list()
    except StoreError as exc:
        _fail(str(exc))
    typer.echo(f"Clinician hub: FHIR endpoint {server.fhir_base_url}, dashboard {server.url}/dashboard")
    typer.echo(f"Database: {path}")
    if not any(t.revoked_at is None for t in tokens):
        typer.echo("No token yet: make one with `voice-assistant hub token add --device NAME` "
                   "or `--clinician NAME`; every request without a valid token is refused.")
    typer.echo("Press Ctrl+C to stop.")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        typer.echo("Stopped.")


def _kind(device: Optional[str], clinician: Optional[str]) -> tuple[str, str]:
    if bool(device) == bool(clinician):
        _fail("give exactly one of --device NAME or --clinician NAME")
    return (DEVICE, device) if device else (CLINICIAN, clinician)  # type: ignore[return-value]


@token_app.command("add")
def token_add(
    ctx: typer.Context,
    device: Optional[str] = typer.Option(None, "--device", help="Make a token for this device (it writes)."),
    clinician: Optional[str] = typer.Option(None, "--clinician", help="Make a token for this clinician (reads)."),
    patient: Optional[str] = typer.Option(None, "--patient", help="Device tokens (required): the patient id the "
                                          "device sends for (clinician.patient_id in its profile). The token "
                                          "writes and reads that patient's data only."),
    db: Optional[Path] = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Make a token and print it once: it is stored hashed and cannot be shown again."""
    kind, name = _kind(device, clinician)
    try:
        token = _tokens(ctx, db).add(kind, name, patient=patient)
    except (TokenError, StoreError) as exc:
        _fail(str(exc))
    typer.echo(token)
    where = ("Put it in the device's profile (clinician token) or pass it with --token."
             if kind == DEVICE else "Paste it once into the dashboard's sign-in page, or send it as "
             "Authorization: Bearer.")
    typer.echo(f"This {kind} token for '{name}' is shown only now. {where}", err=True)


@token_app.command("list")
def token_list(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON array."),
    db: Optional[Path] = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """List the tokens (never the tokens themselves: names, kinds, patients, dates)."""
    try:
        tokens = _tokens(ctx, db).list()
    except StoreError as exc:
        _fail(str(exc))
    if as_json:
        typer.echo(json.dumps([t.to_json() for t in tokens], ensure_ascii=False))
        return
    if not tokens:
        typer.echo("No token yet.")
        return
    for t in tokens:
        state = f"revoked {t.revoked_at[:16]}" if t.revoked_at else "active"
        patient = f" patient={t.patient}" if t.patient else (" patient=(none: writes nothing, make a new one)"
                                                             if t.kind == DEVICE else "")
        used = f" last used {t.last_used_at[:16]}" if t.last_used_at else " never used"
        typer.echo(f"{t.kind:<9} {t.name}{patient}  created {t.created_at[:16]}{used}  {state}")


@token_app.command("revoke")
def token_revoke(
    ctx: typer.Context,
    device: Optional[str] = typer.Option(None, "--device", help="Revoke this device's token."),
    clinician: Optional[str] = typer.Option(None, "--clinician", help="Revoke this clinician's token."),
    db: Optional[Path] = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Revoke a token at once (and end the dashboard sessions opened with it)."""
    kind, name = _kind(device, clinician)
    try:
        _tokens(ctx, db).revoke(kind, name)
    except (TokenError, StoreError) as exc:
        _fail(str(exc))
    typer.echo(f"Revoked the {kind} token '{name}'.")
