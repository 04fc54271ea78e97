"""Optional encryption at rest for the patient's database (SQLCipher, AES-256, through `sqlcipher3`).

Off by default. `voice-assistant storage encrypt` turns it on for one database:

1. it makes a random 256-bit key in a key file **outside the data folder**, by default
   `$XDG_CONFIG_HOME/voice-assistant/keys/<database file name>.key`, mode 0400 in a 0700 folder (a backup of
   the data folder alone is then unreadable; keep a copy of the key somewhere safe: without it the readings
   cannot be read back);
2. it rewrites an existing plain database as an encrypted one (`sqlcipher_export`), keeping the plain copy
   aside only for the time of the copy.

Opening needs no setting: a database file whose first bytes are not SQLite's plain header is encrypted, and
is opened with the key from its key file (`key_for`); a new database is created encrypted when its key file
exists. A wrong or missing key is a plain sentence, never a traceback.

Install the driver with `pip install sqlcipher3-binary` (or `sqlcipher3` built against a system SQLCipher).
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path


from voice_assistant.locations import config_dir

from .errors import StoreError
from .sqlite import open_connection, private_file, sqlcipher_module, tighten

PLAIN_HEADER = b"SQLite format 3\x00"
KEY_BYTES = 32
KEY_MODE = 0o400


def keys_folder() -> Path:
    return config_dir() / "keys"


def default_key_path(db_path: Path) -> Path:
    return keys_folder() / f"{Path(db_path).name}.key"


def is_encrypted_file(db_path: Path) -> bool:
    """Whether an existing, non-empty file is not a plain SQLite database (an SQLCipher one, or garbage)."""
    try:
        with open(db_path, "rb") as handle:
            head = handle.read(len(PLAIN_HEADER))
    except OSError:
        return False
    return len(head) > 0 and head != PLAIN_HEADER


def make_key(key_path: Path) -> bytes:
    """A new random key written to `key_path` (mode 0400, folder 0700); refuses to replace an existing one."""
    key_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(key_path.parent, 0o700)
    key = secrets.token_bytes(KEY_BYTES)
    try:
        fd = os.open(key_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        raise StoreError(f"{key_path} already exists: the database keeps the key it has.", "other") from None
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key.hex() + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(key_path, KEY_MODE)
    return key


def read_key(key_path: Path) -> bytes:
    """The key in `key_path`; refused when others than its owner may read it."""
    try:
        info = key_path.stat()
        text = key_path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise StoreError(f"The database is encrypted but its key file {key_path} is missing: put the key file "
                         "back (from where you kept its copy).", "cannot_open") from None
    except (OSError, UnicodeDecodeError) as error:
        raise StoreError(f"The key file {key_path} cannot be read ({error}).", "cannot_open") from None
    if stat.S_IMODE(info.st_mode) & 0o077:
        raise StoreError(f"The key file {key_path} can be read by other users (mode "
                         f"{stat.S_IMODE(info.st_mode):04o}): make it private (chmod 400) before it is used.",
                         "cannot_open")
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise StoreError(f"The key file {key_path} does not hold a key (64 hexadecimal digits).", "corrupt") from None
    if len(key) != KEY_BYTES:
        raise StoreError(f"The key file {key_path} does not hold a 256-bit key.", "corrupt")
    return key


def key_for(db_path: Path, key_path: Path | None = None) -> bytes | None:
    """The key to open `db_path` with: None for a plain database (or a new one with no key file)."""
    db_path = Path(db_path)
    key_path = key_path or default_key_path(db_path)
    if db_path.exists() and db_path.stat().st_size > 0:
        if not is_encrypted_file(db_path):
            return None
        if not key_path.exists():
            raise StoreError(f"{db_path} is damaged or is not a database of this assistant (it does not start "
                             "like one). If it is an encrypted database, its key file is missing: put "
                             f"{key_path} back. Nothing was changed.", "corrupt")
        return read_key(key_path)
    return read_key(key_path) if key_path.exists() else None


def encrypt_database(db_path: Path, key_path: Path | None = None) -> Path:
    """Turn encryption on for `db_path`: make its key file, and rewrite the database encrypted if it exists.
    Returns the key file's path."""
    db_path = Path(db_path)
    key_path = key_path or default_key_path(db_path)
    if db_path.exists() and db_path.stat().st_size > 0 and is_encrypted_file(db_path):
        read_key(key_path)
        raise StoreError(f"{db_path} is already encrypted (key: {key_path}).", "other")
    driver = sqlcipher_module()
    key = make_key(key_path)
    if not db_path.exists():
        open_connection(db_path, key=key).close()
        return key_path
    plain = open_connection(db_path)
    version = plain.execute("PRAGMA user_version").fetchone()[0]
    plain.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    plain.close()
    staged = db_path.with_name(db_path.name + ".encrypting")
    for leftover in (staged, staged.with_name(staged.name + "-wal"), staged.with_name(staged.name + "-shm")):
        leftover.unlink(missing_ok=True)
    private_file(staged)
    connection = driver.connect(str(db_path), isolation_level=None)
    try:
        connection.execute("ATTACH DATABASE ? AS encrypted KEY \"x'" + key.hex() + "'\"", (str(staged),))
        connection.execute("SELECT sqlcipher_export('encrypted')")
        connection.execute(f"PRAGMA encrypted.user_version = {int(version)}")
        connection.execute("DETACH DATABASE encrypted")
    finally:
        connection.close()
    os.replace(staged, db_path)
    for suffix in ("-wal", "-shm"):
        db_path.with_name(db_path.name + suffix).unlink(missing_ok=True)
    tighten(db_path)
    return key_path
