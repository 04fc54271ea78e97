"""`voice-assistant storage`: where the patient's data is kept, and encryption at rest.

Mounted by voice_assistant/cli.py with `app.add_typer(storage_app, name="storage")`.

- `storage status`: the database, its folder and file modes, whether it is encrypted and where its key is;
- `storage encrypt`: turn SQLCipher encryption on (a 256-bit key in a 0400 key file outside the data folder,
  by default $XDG_CONFIG_HOME/voice-assistant/keys/assistant.db.key; an existing database is rewritten
  encrypted). Keep a copy of the key file somewhere safe: without it the data cannot be read back.

Exit codes: 0 done, 2 the database or the key cannot be used (the message says why).
"""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Optional

import typer

from voice_assistant.cli_options import db_option
from voice_assistant.store.encryption import default_key_path, encrypt_database, is_encrypted_file
from voice_assistant.store.errors import StoreError
from voice_assistant.store.paths import default_db_path

storage_app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                          help="Where the patient's data is kept; encryption at rest (SQLCipher).")

DB_HELP = "The assistant's database (default: $XDG_DATA_HOME/voice-assistant/assistant.db)."


def _fail(message: str) -> None:
    typer.echo(f"voice-assistant storage: {message}", err=True)
    raise typer.Exit(2)


def _db(ctx: typer.Context, db: Optional[Path]) -> Path:
    return db_option(ctx, db, default_db_path)


@storage_app.command("encrypt")
def encrypt(
    ctx: typer.Context,
    db: Optional[Path] = typer.Option(None, "--db", help=DB_HELP),
    key_file: Optional[Path] = typer.Option(None, "--key-file", help="Where to make the key (default: "
                                            "$XDG_CONFIG_HOME/voice-assistant/keys/<database name>.key)."),
) -> None:
    """Encrypt the patient's database at rest (SQLCipher, AES-256) with a new key kept outside the data folder."""
    path = _db(ctx, db)
    key_path = key_file or default_key_path(path)
    if key_path.resolve().parent == path.resolve().parent or path.resolve().parent in key_path.resolve().parents:
        _fail(f"the key file must be kept outside the data folder ({path.parent}): a copy of that folder must "
              "not carry its own key")
    try:
        made = encrypt_database(path, key_path)
    except StoreError as exc:
        _fail(str(exc))
    typer.echo(f"{path} is encrypted. Its key: {made} (readable by you only). Keep a copy of the key somewhere "
               "safe: without it the readings cannot be read back.")


@storage_app.command("status")
def status(ctx: typer.Context, db: Optional[Path] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """The database, its folder, their modes, and whether it is encrypted."""
    path = _db(ctx, db)
    typer.echo(f"Database: {path}")
    if not path.exists():
        typer.echo("  not made yet (it is made at the first use, private: folder 0700, file 0600)")
        return
    for shown in (path.parent, path):
        typer.echo(f"  {shown}: mode {stat.S_IMODE(shown.stat().st_mode):04o}")
    if is_encrypted_file(path):
        typer.echo(f"  encrypted (SQLCipher); key file: {default_key_path(path)}")
    else:
        typer.echo("  not encrypted (voice-assistant storage encrypt turns it on)")
