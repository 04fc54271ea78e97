"""Resources in the hub's SQLite database: insert and update with their indexes, read, search.

The functions take an open connection, so a caller can run a conditional create or a conditional update (search,
then insert or update) or a whole transaction Bundle inside one `BEGIN IMMEDIATE` transaction.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

from voice_assistant.hub import resources as res
from voice_assistant.hub.search import Query


@dataclass(frozen=True)
class Stored:
    """A stored resource with what the hub knows about it."""

    type: str
    id: str
    patient: str | None
    date: str | None
    last_updated: str
    author: str
    body: dict

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> "Stored":
        try:
            body = json.loads(row["body"])
        except (ValueError, RecursionError):
            # a row stored before the hub checked nesting and numbers: served as a bare stub, never a crash
            body = {"resourceType": row["type"], "id": row["id"]}
        return cls(row["type"], row["id"], row["patient"], row["date"], row["last_updated"], row["author"], body)

    @property
    def version(self) -> str:
        return self.body.get("meta", {}).get("versionId", "1")


def _now_text() -> str:
    return res.utc_text(datetime.now(timezone.utc))


def insert(conn: sqlite3.Connection, resource: dict, author: str, new_id: str | None = None) -> Stored:
    """Store a validated resource under a new id (or `new_id`, chosen beforehand by a transaction Bundle). A second resource with an identifier already stored for its
    type is refused with 409 (the unique index decides, whatever the callers did before)."""
    resource_type = resource["resourceType"]
    new_id = new_id or str(uuid.uuid4())
    now = _now_text()
    body = dict(resource)
    body["id"] = new_id
    meta = dict(body.get("meta") or {})
    meta["versionId"] = "1"
    meta["lastUpdated"] = res.instant(now)
    body["meta"] = meta
    body = {"resourceType": resource_type, "id": new_id, **{k: v for k, v in body.items()
                                                            if k not in ("resourceType", "id")}}
    patient = res.resource_patient(resource)
    date = res.resource_date(resource)
    status = resource.get("status") if isinstance(resource.get("status"), str) else None
    conn.execute("SAVEPOINT insert_resource")
    try:
        conn.execute("INSERT INTO resources (type, id, patient, date, status, version, last_updated, author, body) "
                     "VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?)",
                     (resource_type, new_id, patient, date, status, now, author,
                      json.dumps(body, ensure_ascii=False, separators=(",", ":"))))
        _index(conn, resource_type, new_id, resource)
    except sqlite3.IntegrityError:
        conn.execute("ROLLBACK TO insert_resource")
        conn.execute("RELEASE insert_resource")
        raise _duplicate(resource) from None
    conn.execute("RELEASE insert_resource")
    return Stored(resource_type, new_id, patient, date, now, author, body)


def _index(conn: sqlite3.Connection, resource_type: str, resource_id: str, resource: dict) -> None:
    patient = res.resource_patient(resource)
    for system, value in dict.fromkeys(res.resource_identifiers(resource)):
        conn.execute("INSERT INTO identifiers (type, system, value, id, patient) VALUES (?, ?, ?, ?, ?)",
                     (resource_type, system, value, resource_id, patient))
    for system, code in dict.fromkeys(res.resource_tags(resource)):
        conn.execute("INSERT INTO tags (type, system, code, id) VALUES (?, ?, ?, ?)",
                     (resource_type, system, code, resource_id))
    for system, code in dict.fromkeys(res.resource_codes(resource)):
        conn.execute("INSERT INTO codes (type, system, code, id) VALUES (?, ?, ?, ?)",
                     (resource_type, system, code, resource_id))


def _duplicate(resource: dict) -> res.FhirError:
    idents = ", ".join(f"{s}|{v}" for s, v in res.resource_identifiers(resource))
    return res.FhirError(409, "duplicate", f"A {resource['resourceType']} with the identifier {idents} is already "
                         "stored: send it with If-None-Exist to get the stored one back.", ["identifier"])


def update(conn: sqlite3.Connection, current: Stored, resource: dict, author: str) -> Stored:
    """Replace a stored resource by a new validated version of it, in place (same id, versionId + 1), with its
    indexes. An identifier already held by another resource of the type is refused with 409."""
    resource_type, resource_id = current.type, current.id
    version = int(current.version) + 1 if str(current.version).isdigit() else 2
    now = _now_text()
    meta = dict(resource.get("meta") or {})
    meta["versionId"] = str(version)
    meta["lastUpdated"] = res.instant(now)
    body = {"resourceType": resource_type, "id": resource_id,
            **{k: v for k, v in resource.items() if k not in ("resourceType", "id", "meta")}, "meta": meta}
    patient = res.resource_patient(resource)
    date = res.resource_date(resource)
    status = resource.get("status") if isinstance(resource.get("status"), str) else None
    conn.execute("SAVEPOINT update_resource")
    try:
        conn.execute("UPDATE resources SET patient=?, date=?, status=?, version=?, last_updated=?, author=?, body=? "
                     "WHERE type=? AND id=?",
                     (patient, date, status, version, now, author,
                      json.dumps(body, ensure_ascii=False, separators=(",", ":")), resource_type, resource_id))
        for table in ("identifiers", "tags", "codes"):
            conn.execute(f"DELETE FROM {table} WHERE type=? AND id=?", (resource_type, resource_id))
        _index(conn, resource_type, resource_id, resource)
    except sqlite3.IntegrityError:
        conn.execute("ROLLBACK TO update_resource")
        conn.execute("RELEASE update_resource")
        raise _duplicate(resource) from None
    conn.execute("RELEASE update_resource")
    return Stored(resource_type, resource_id, patient, date, now, author, body)


def read(conn: sqlite3.Connection, resource_type: str, resource_id: str) -> Stored | None:
    row = conn.execute("SELECT * FROM resources WHERE type=? AND id=?", (resource_type, resource_id)).fetchone()
    return Stored.from_row(row) if row else None


def search(conn: sqlite3.Connection, query: Query, only_patient: str | None = None,
           paged: bool = True) -> tuple[int, list[Stored]]:
    """(total, page of matches). `only_patient` confines the search to one patient's resources."""
    if only_patient is not None:
        query.where.append("r.patient = ?")
        query.args.append(only_patient)
    count_sql, args = query.sql("COUNT(*)")
    total = conn.execute(count_sql, args).fetchone()[0]
    sql, args = query.sql()
    sql += f" ORDER BY {query.sort}"
    if paged:
        sql += " LIMIT ? OFFSET ?"
        args = args + [query.count, query.offset]
    rows = conn.execute(sql, args).fetchall()
    return total, [Stored.from_row(row) for row in rows]


def patients(conn: sqlite3.Connection) -> list[str]:
    return [row[0] for row in conn.execute("SELECT DISTINCT patient FROM resources WHERE patient IS NOT NULL "
                                           "ORDER BY patient")]


def since(conn: sqlite3.Connection, patient: str | None, date_from: str) -> list[Stored]:
    """Every resource (of one patient, or all) whose clinical time or arrival is at or after `date_from`."""
    sql = "SELECT * FROM resources WHERE (date >= ? OR (date IS NULL AND last_updated >= ?))"
    args: list[object] = [date_from, date_from]
    if patient is not None:
        sql += " AND patient = ?"
        args.append(patient)
    return [Stored.from_row(row) for row in conn.execute(sql + " ORDER BY date, last_updated", args)]
