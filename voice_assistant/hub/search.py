"""FHIR search parameters -> SQL over the hub's index tables.

Supported on every stored type: `patient` / `subject` (`Patient/ID` or `ID`), `code` and `identifier` and `_tag`
(tokens: `system|code`, `code`, `system|`, `|code`), `date` and `_lastUpdated` (prefixes eq, ne, lt, le, gt, ge,
at the value's precision), `status`, `_id`; and `_count`, `_offset`, `_sort` (`date`, `-date`, `_lastUpdated`,
`-_lastUpdated`). Repeated parameters are combined with AND, comma-separated values with OR. Anything else is
refused with 400, so a misspelt parameter never silently returns everything.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from voice_assistant.hub.resources import FhirError, date_range, patient_id, utc_text

DEFAULT_COUNT = 100
MAX_COUNT = 1000
RESULT_PARAMS = ("_count", "_offset", "_sort", "_format", "_pretty", "_summary", "_total")
SORTS = {"date": "date ASC, last_updated ASC", "-date": "date DESC, last_updated DESC",
         "_lastUpdated": "last_updated ASC", "-_lastUpdated": "last_updated DESC"}
PREFIXES = ("eq", "ne", "lt", "le", "gt", "ge", "sa", "eb", "ap")


@dataclass
class Query:
    """A parsed search: SQL conditions over `resources` (aliased r) and their parameters."""

    resource_type: str
    where: list[str] = field(default_factory=list)
    args: list[object] = field(default_factory=list)
    patients: list[str] | None = None  #: the patients the search names, if it names any
    count: int = DEFAULT_COUNT
    offset: int = 0
    sort: str = SORTS["-date"]

    def sql(self, select: str = "r.*") -> tuple[str, list[object]]:
        where = " AND ".join(["r.type = ?"] + self.where)
        return f"SELECT {select} FROM resources r WHERE {where}", [self.resource_type] + self.args


def _token(value: str) -> tuple[str | None, str | None]:
    """`system|code` -> (system, code); `code` -> (None, code); `system|` -> (system, None); `|code` -> ('', code)."""
    if "|" not in value:
        return None, value
    system, code = value.split("|", 1)
    return system, (code or None)


def _token_clause(table: str, key: str, values: list[str]) -> tuple[str, list[object]]:
    ors, args = [], []
    for value in values:
        system, code = _token(value)
        parts, part_args = [f"{table}.type = r.type", f"{table}.id = r.id"], []
        if system is not None:
            parts.append(f"{table}.system = ?")
            part_args.append(system)
        if code is not None:
            parts.append(f"{table}.{key} = ?")
            part_args.append(code)
        ors.append(f"EXISTS (SELECT 1 FROM {table} WHERE {' AND '.join(parts)})")
        args.extend(part_args)
    return "(" + " OR ".join(ors) + ")", args


def _date_clause(column: str, values: list[str], name: str) -> tuple[str, list[object]]:
    ors, args = [], []
    for value in values:
        prefix = value[:2] if value[:2] in PREFIXES else "eq"
        text = value[2:] if value[:2] in PREFIXES else value
        try:
            start, end = date_range(text)
        except ValueError:
            raise FhirError(400, "invalid", f"Search parameter {name}: '{value}' is not a FHIR date "
                            "(use e.g. ge2026-11-24 or le2026-11-24T08:00:00+01:00).", [name]) from None
        lo, hi = utc_text(start), utc_text(end)
        if prefix in ("eq", "ap"):
            ors.append(f"({column} >= ? AND {column} < ?)")
            args += [lo, hi]
        elif prefix == "ne":
            ors.append(f"({column} < ? OR {column} >= ?)")
            args += [lo, hi]
        elif prefix in ("lt", "eb"):
            ors.append(f"{column} < ?")
            args.append(lo)
        elif prefix == "le":
            ors.append(f"{column} < ?")
            args.append(hi)
        elif prefix in ("gt", "sa"):
            ors.append(f"{column} >= ?")
            args.append(hi)
        else:  # ge
            ors.append(f"{column} >= ?")
            args.append(lo)
    return f"({column} IS NOT NULL AND (" + " OR ".join(ors) + "))", args


def _int(name: str, value: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise FhirError(400, "invalid", f"Search parameter {name} must be a whole number, not '{value}'.",
                        [name]) from None
    return max(low, min(high, number))


def parse(resource_type: str, params: list[tuple[str, str]]) -> Query:
    query = Query(resource_type)
    for raw_name, raw_value in params:
        name, _, modifier = raw_name.partition(":")
        values = [v for v in raw_value.split(",") if v != ""]
        if name in RESULT_PARAMS:
            if name == "_count":
                query.count = _int(name, raw_value, 0, MAX_COUNT)
            elif name == "_offset":
                query.offset = _int(name, raw_value, 0, 10**9)
            elif name == "_sort":
                if raw_value not in SORTS:
                    raise FhirError(400, "not-supported", f"_sort={raw_value} is not supported "
                                    f"(use one of {', '.join(SORTS)}).", ["_sort"])
                query.sort = SORTS[raw_value]
            continue
        if modifier and not (name == "identifier" and modifier == "exact"):
            raise FhirError(400, "not-supported", f"The modifier :{modifier} is not supported on {name}.",
                            [raw_name])
        if not values:
            raise FhirError(400, "invalid", f"Search parameter {name} has no value.", [name])
        if name in ("patient", "subject"):
            ids = [patient_id(v if "/" in v else f"Patient/{v}") for v in values]
            if None in ids:
                raise FhirError(400, "invalid", f"Search parameter {name} must name a Patient "
                                "(Patient/ID or ID).", [name])
            query.where.append("r.patient IN (" + ",".join("?" * len(ids)) + ")")
            query.args.extend(ids)
            query.patients = [p for p in ids if query.patients is None or p in query.patients]
        elif name == "code":
            clause, args = _token_clause("codes", "code", values)
            query.where.append(clause)
            query.args.extend(args)
        elif name == "identifier":
            clause, args = _token_clause("identifiers", "value", values)
            query.where.append(clause)
            query.args.extend(args)
        elif name == "_tag":
            clause, args = _token_clause("tags", "code", values)
            query.where.append(clause)
            query.args.extend(args)
        elif name == "date":
            clause, args = _date_clause("r.date", values, name)
            query.where.append(clause)
            query.args.extend(args)
        elif name == "_lastUpdated":
            clause, args = _date_clause("r.last_updated", values, name)
            query.where.append(clause)
            query.args.extend(args)
        elif name == "status":
            query.where.append("r.status IN (" + ",".join("?" * len(values)) + ")")
            query.args.extend(values)
        elif name == "_id":
            query.where.append("r.id IN (" + ",".join("?" * len(values)) + ")")
            query.args.extend(values)
        else:
            raise FhirError(400, "not-supported", f"The search parameter '{name}' is not supported on "
                            f"{resource_type} (supported: patient, subject, code, date, identifier, _tag, "
                            "status, _id, _lastUpdated, _count, _offset, _sort).", [name])
    return query


def parse_conditional(resource_type: str, query_string: str, what: str = "conditional create") -> Query:
    """The query of an `If-None-Exist` header or a Bundle entry's `request.ifNoneExist` (a conditional create),
    or of the URL of a conditional update (`PUT Type?identifier=...`)."""
    from urllib.parse import parse_qsl

    text = query_string.strip()
    if "?" in text:  # tolerate a full "Observation?identifier=..." form
        text = text.split("?", 1)[1]
    params = parse_qsl(text, keep_blank_values=True)
    if not params:
        raise FhirError(400, "invalid", f"The {what} query '{query_string}' has no parameter.")
    for name, _ in params:
        if name.startswith("_") and name not in ("_tag", "_id"):
            raise FhirError(400, "invalid", f"'{name}' cannot be used in a {what}.")
    return parse(resource_type, params)
