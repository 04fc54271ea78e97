"""`voice-assistant sync`: send what waits to the clinician's server (one pass), and `sync status`.

Mounted by voice_assistant/cli.py with `app.add_typer(sync_app, name="sync")`. `sync` alone runs one pass.
Nothing is ever lost: what could not be sent waits in the outbox. The exit code tells a script what happened:

| code | meaning                                                                                         |
| ---- | ----------------------------------------------------------------------------------------------- |
| 0    | everything is with the clinician (or there was nothing to send)                                 |
| 1    | something still waits: the server could not be reached, answered "later", or none is set       |
| 2    | the settings or the database cannot be used (the message names the setting or the file)        |
| 3    | the server refused something for good (a dead letter, listed by `voice-assistant sync status`) |

`sync status` exits 0, or 3 when there are dead letters, or 2 when the database cannot be read.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any, Optional

import typer

from voice_assistant.cli_options import db_option
from voice_assistant.profile import ProfileError, load_profile
from voice_assistant.store import Store, StoreError, default_db_path

from voice_assistant.sync.outbox import DEVICE_ID_SETTING, device_parties, enqueue_patient
from voice_assistant.sync.sender import OutboxSender, SyncConfig, SyncConfigError, SyncReport, sync_status

sync_app = typer.Typer(add_completion=False, pretty_exceptions_enable=False,
                       help="Send readings, doses and alerts to the clinician's FHIR server (one pass), or show "
                            "what waits (`sync status`).")

EXIT_OK, EXIT_WAITING, EXIT_UNUSABLE, EXIT_REFUSED = 0, 1, 2, 3

DB_HELP = "The assistant's database (default: $XDG_DATA_HOME/voice-assistant/assistant.db)."

#: How the things sent are named in plain words: (one, several).
_NAMES = {
    "Observation": ("reading", "readings"),
    "MedicationAdministration": ("dose", "doses"),
    "MedicationRequest": ("reminder plan", "reminder plans"),
    "Flag": ("alert", "alerts"),
    "Provenance": ("origin record", "origin records"),
    "Patient": ("patient record", "patient records"),
}


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"voice-assistant sync: {message}", err=True)
    raise typer.Exit(code)


def _count(n: int, resource_type: str) -> str:
    one, many = _NAMES.get(resource_type, ("record", "records"))
    return f"{n} {one if n == 1 else many}"


def _counts(types: list[str]) -> str:
    counter = Counter(types)
    order = [t for t in _NAMES if t in counter] + sorted(t for t in counter if t not in _NAMES)
    parts = [_count(counter[t], t) for t in order]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _db(ctx: typer.Context, db: Optional[Path]) -> Path:
    return db_option(ctx, db, default_db_path)


def _store_failed(path: Path, error: StoreError) -> None:
    _fail(str(error) if str(path) in str(error) else f"{path}: {error}")


def _open_store(path: Path):
    try:
        return Store.open(path)
    except StoreError as error:
        _store_failed(path, error)


def _exit_code(pending: int, dead: int) -> int:
    if dead:
        return EXIT_REFUSED
    return EXIT_WAITING if pending else EXIT_OK


def _profile():
    try:
        return load_profile()
    except ProfileError as error:
        _fail(str(error))


def _when(text: str | None) -> str:
    if not text:
        return "never"
    try:
        return datetime.fromisoformat(text).strftime("%Y-%m-%d %H:%M:%S %Z").strip()
    except ValueError:
        return text


def _waiting(report_or_status: Any) -> str:
    pending = report_or_status["pending"] if isinstance(report_or_status, dict) else report_or_status.pending
    readings = (report_or_status["pending_readings"] if isinstance(report_or_status, dict)
                else report_or_status.pending_readings)
    records = f"{pending} record{'' if pending == 1 else 's'}"
    return f"{_count(readings, 'Observation')} {'waits' if readings == 1 else 'wait'} on this device ({records} in all)"


def describe(report: SyncReport, host: str) -> list[str]:
    """The pass in plain sentences."""
    lines = []
    sent = [i.resource_type for i in report.sent]
    if sent:
        lines.append(f"Sent {_counts(sent)} to {host}.")
    if report.dead_now:
        lines.append(f"The server refused {_counts([i.resource_type for i in report.dead_now])}; "
                     "they will not be sent again (see `voice-assistant sync status`):")
        lines += [f"  {i.key}: {i.error}" for i in report.dead_now]
    if report.offline:
        lines.append(f"No connection to {host}: {_waiting(report)}. Nothing is lost: they will be sent at the "
                     "next sync.")
        lines.append(f"  ({report.last_error})")
    elif report.stopped:
        lines.append(f"Sending stopped: {report.stopped}. {_waiting(report)}; nothing is lost.")
        if report.next_try_at:
            lines.append(f"  Next try after {_when(report.next_try_at.isoformat())}.")
    elif report.retried:
        lines.append(f"{_counts([i.resource_type for i in report.retried])} will be tried again later "
                     f"({report.last_error}).")
    if not report.items and not report.stopped:
        lines.append("Nothing new to send." if report.pending == 0 else f"{_waiting(report)}.")
    if report.pending == 0 and not report.dead_now:
        lines.append(f"Everything is with the clinician ({report.sent_total} records sent so far).")
    elif report.pending and not report.offline and not report.stopped:
        lines.append(f"Still waiting: {report.pending}.")
    return lines


@sync_app.callback(invoke_without_command=True)
def sync(
    ctx: typer.Context,
    fhir_base_url: Optional[str] = typer.Option(
        None, "--fhir-base-url", help="The FHIR R4 base address (overrides clinician.fhir_base_url)."),
    token: Optional[str] = typer.Option(
        None, "--token", help="A bearer token for the server (overrides clinician.token and OAuth)."),
    ca_bundle: Optional[Path] = typer.Option(
        None, "--ca-bundle", help="PEM file of the CA that signed the hub's certificate (TLS is always verified)."),
    db: Optional[Path] = typer.Option(None, "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the pass as one JSON object."),
) -> None:
    """One pass: send everything that waits, then say what was sent, what waits and what was refused."""
    if ctx.invoked_subcommand is not None:
        return
    profile = _profile()
    try:
        config = SyncConfig.from_profile(profile, base_url=fhir_base_url, token=token)
        if ca_bundle is not None:
            config = SyncConfig(base_url=config.base_url, token=config.token, oauth=config.oauth, ca_bundle=ca_bundle)
    except SyncConfigError as error:
        _fail(str(error))
    path = _db(ctx, db)
    store = _open_store(path)
    try:
        code = _pass(store, profile, config, as_json)
    except StoreError as error:
        _store_failed(path, error)
    finally:
        store.close()
    raise typer.Exit(code)


def _pass(store, profile, config: SyncConfig, as_json: bool) -> int:
    """One pass, said in plain words (or JSON); returns the exit code."""
    parties = device_parties(store, profile)  # the device id, made on first use (everything recorded is queued already)
    enqueue_patient(store, profile, parties)  # the patient as the dashboard shows them, when it changed
    if not config.base_url:
        status = sync_status(store)
        if as_json:
            typer.echo(json.dumps({"configured": False, **status}, ensure_ascii=False))
        else:
            typer.echo("No clinician server is set (clinician.fhir_base_url in the profile, or --fhir-base-url). "
                       f"{_waiting(status)}; nothing is lost.")
        return _exit_code(status["pending"], status["dead"])
    try:
        sender = OutboxSender.from_config(store, config)
    except SyncConfigError as error:
        _fail(str(error))
    with sender:
        report = sender.send_pending(force=True)
    if as_json:
        typer.echo(json.dumps({"configured": True, **report.to_json()}, ensure_ascii=False))
    else:
        host = config.base_url
        for line in describe(report, host):
            typer.echo(line)
    return _exit_code(report.pending, report.dead)


@sync_app.command("status")
def status(
    ctx: typer.Context,
    db: Optional[Path] = typer.Option(None, "--db", help=DB_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """What waits to be sent, what was sent, what was refused, the last error and the last success."""
    path = _db(ctx, db)
    store = _open_store(path)
    try:
        info = sync_status(store)
        info["device_id"] = store.get_setting(DEVICE_ID_SETTING)
    except StoreError as error:
        _store_failed(path, error)
    finally:
        store.close()
    try:
        info["fhir_base_url"] = (load_profile().clinician or {}).get("fhir_base_url")
    except ValueError:
        info["fhir_base_url"] = None
    if as_json:
        typer.echo(json.dumps(info, ensure_ascii=False))
        raise typer.Exit(EXIT_REFUSED if info["dead"] else EXIT_OK)
    if info["fhir_base_url"]:
        typer.echo(f"Clinician server: {info['fhir_base_url']}")
    elif info["last_base_url"]:
        typer.echo(f"Clinician server: not set in the profile (last sync: {info['last_base_url']})")
    else:
        typer.echo("Clinician server: not set")
    typer.echo(f"Waiting to be sent: {info['pending']} ({_count(info['pending_readings'], 'Observation')})")
    typer.echo(f"Sent: {info['sent']}")
    typer.echo(f"Refused by the server (not sent again): {info['dead']}")
    for dead in info["dead_letters"]:
        kind = dead["key"].split("/", 1)[0]
        typer.echo(f"  A {_NAMES.get(kind, ('record', ''))[0]} was refused and will not be sent again: "
                   f"{_plain_refusal(dead['error'])} ({dead['key']})")
    if info["dead"]:
        typer.echo("  Tell the practice: they can see why on their server; nothing was deleted from this device.")
    typer.echo(f"Last success: {_when(info['last_success_at'])}")
    if info["last_error"]:
        typer.echo(f"Last error: {info['last_error'].splitlines()[0]} ({_when(info['last_error_at'])})")
    else:
        typer.echo("Last error: none")
    if info["pending"] and info["next_try_at"]:
        typer.echo(f"Next automatic try: {_when(info['next_try_at'])}")
    raise typer.Exit(EXIT_REFUSED if info["dead"] else EXIT_OK)


def _plain_refusal(error: str) -> str:
    """The server's refusal in words: its own explanation, after what the status means."""
    meaning = {"409": "the server already holds something with the same identifier",
               "412": "the server holds several things with its identifier",
               "422": "the server found a value it cannot accept",
               "400": "the server could not read it", "405": "the server does not take this kind of change",
               "410": "the server no longer takes it"}
    status = error.split(" ", 2)[1] if error.startswith("HTTP ") else ""
    said = meaning.get(status)
    return f"{said} ({error})" if said else error
