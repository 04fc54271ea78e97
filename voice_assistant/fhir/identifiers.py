"""Identifiers a device mints: unique on any server, whoever else sends there.

Two patients who both set "metformin at 8" must never send the same identifier (a server keeps one resource per
identifier: the second device would be refused, or worse, merged). Readings and most alerts are numbered with
a UUID already; everything a device numbers locally (reminder 1, 2, ...; the dose of reminder 1 at 08:00 on a
day; the missed-dose alert of that dose) gets the device's id in front: `<device id>:<local id>`.
"""

from __future__ import annotations

import re

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
SEPARATOR = ":"


def is_uuid(value: str) -> bool:
    return bool(_UUID.fullmatch(value))


def device_scoped(device_id: str, local: str) -> str:
    """The identifier value of a thing this device numbered `local`: the local id itself when it is a UUID,
    else `<device id>:<local>` (already scoped values are returned as they are)."""
    local = str(local)
    if is_uuid(local) or local.startswith(device_id + SEPARATOR):
        return local
    return f"{device_id}{SEPARATOR}{local}"


#: What devices numbered locally before identifiers were scoped: reminder ids, reminder doses, their alerts.
_LOCAL = re.compile(r"\d+|reminder-\d+-\d{4}-\d{2}-\d{2}T\d{2}:\d{2}|missed-dose-reminder-\d+-.+")


def is_local(value: str) -> bool:
    """Whether an identifier value is one a device numbered locally (unique on that device only)."""
    return bool(_LOCAL.fullmatch(value))


def is_scoped(value: str) -> bool:
    """Whether an identifier value is unique beyond this device (not a local number)."""
    return not is_local(value)
