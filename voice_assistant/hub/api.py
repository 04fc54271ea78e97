"""The FHIR operations of the hub, with who may do what.

- A device token creates resources for its own patient (conditionally with `If-None-Exist`, or in `batch` /
  `transaction` Bundles with `request.ifNoneExist`) and reads and searches that patient's resources only.
- A clinician token reads and searches everything and writes nothing.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http import HTTPStatus
from urllib.parse import parse_qsl, urlencode

from voice_assistant.hub import resources as res
from voice_assistant.hub import search as srch
from voice_assistant.hub import store
from voice_assistant.hub.db import HubDatabase
from voice_assistant.hub.resources import FhirError
from voice_assistant.hub.tokens import Principal, TokenStore


@dataclass
class Result:
    status: int
    body: dict | None
    headers: dict[str, str] = field(default_factory=dict)


def status_line(status: int) -> str:
    return f"{status} {HTTPStatus(status).phrase}"


def _stored_headers(item: store.Stored, base_url: str) -> dict[str, str]:
    return {"Location": f"{base_url}/{item.type}/{item.id}/_history/{item.version}",
            "ETag": f'W/"{item.version}"', "Last-Modified": item.body["meta"]["lastUpdated"]}


def _check_type(resource_type: str) -> None:
    if resource_type not in res.SUPPORTED_TYPES:
        raise FhirError(404, "not-supported", f"This hub does not store {resource_type} resources "
                        f"(it stores {', '.join(res.SUPPORTED_TYPES)}).")


def _rewrite_references(node: object, mapping: dict[str, str]) -> object:
    if isinstance(node, dict):
        return {k: (mapping.get(v, v) if k == "reference" and isinstance(v, str) else _rewrite_references(v, mapping))
                for k, v in node.items()}
    if isinstance(node, list):
        return [_rewrite_references(v, mapping) for v in node]
    return node


class FhirApi:
    def __init__(self, db: HubDatabase, tokens: TokenStore, clock: Callable[[], datetime] | None = None):
        self.db = db
        self.tokens = tokens
        self.clock = clock or (lambda: datetime.now(timezone.utc))

    # -- writes -----------------------------------------------------------------------------------------------

    def _writer(self, conn, principal: Principal, resource: dict) -> Principal:
        """Check that `principal` may write `resource`; bind an unbound device token to its patient."""
        if not principal.is_device:
            raise FhirError(403, "forbidden", "A clinician token reads; only a device token writes resources.")
        patient = res.resource_patient(resource)
        if patient is None:
            raise FhirError(400, "required", f"The {resource['resourceType']} must name its patient "
                            "(subject: {\"reference\": \"Patient/ID\"}).", ["subject"])
        if not principal.patient:
            # tokens made before device tokens were bound when made: they write nothing
            raise FhirError(403, "forbidden", "This device token is not bound to a patient: make a new one with "
                            "voice-assistant hub token add --device NAME --patient ID.")
        if principal.patient != patient:
            raise FhirError(403, "forbidden", f"This device token writes for Patient/{principal.patient} only "
                            "(the patient it was made for).", ["subject"])
        return principal

    def _create_in(self, conn, principal: Principal, resource: dict, if_none_exist: str | None,
                   base_url: str, new_id: str | None = None) -> tuple[Result, store.Stored]:
        resource_type = resource["resourceType"]
        principal = self._writer(conn, principal, resource)
        if if_none_exist:
            query = srch.parse_conditional(resource_type, if_none_exist)
            total, matches = store.search(conn, query, only_patient=principal.patient, paged=False)
            if total > 1:
                raise FhirError(412, "multiple-matches", f"If-None-Exist '{if_none_exist}' matches {total} "
                                f"{resource_type} resources; it must match at most one.")
            if total == 1:
                found = matches[0]
                return Result(200, found.body, _stored_headers(found, base_url)), found
        created = store.insert(conn, resource, principal.label, new_id=new_id)
        return Result(201, created.body, _stored_headers(created, base_url)), created

    def create(self, principal: Principal, resource_type: str, body: object, if_none_exist: str | None,
               base_url: str) -> Result:
        _check_type(resource_type)
        if not principal.is_device:
            raise FhirError(403, "forbidden", "A clinician token reads; only a device token writes resources.")
        resource = res.validate(body, resource_type, self.clock())
        with self.db.transaction() as conn:
            result, _ = self._create_in(conn, principal, resource, if_none_exist, base_url)
        return result

    def _update_in(self, conn, principal: Principal, resource: dict, query_string: str,
                   base_url: str) -> tuple[Result, store.Stored]:
        """A conditional update (`PUT {type}?search`): no match creates the resource (201), one match is
        replaced in place (200, same id, next version), several are refused with 412. A device token sees and
        writes its own patient's resources only."""
        resource_type = resource["resourceType"]
        principal = self._writer(conn, principal, resource)
        query = srch.parse_conditional(resource_type, query_string, "conditional update")
        total, matches = store.search(conn, query, only_patient=principal.patient, paged=False)
        if total > 1:
            raise FhirError(412, "multiple-matches", f"The conditional update '{resource_type}?{query_string}' "
                            f"matches {total} {resource_type} resources; it must match at most one.")
        if total == 0:
            # Another patient's resources are never looked at: whether they hold the identifier is not this
            # device's business (and identifiers are unique per patient, so creating is safe).
            if resource.get("id"):
                raise FhirError(400, "invalid", f"No {resource_type} matches '{query_string}' and this hub "
                                "chooses the ids of the resources it creates: send the resource without an id.",
                                ["id"])
            created = store.insert(conn, resource, principal.label)
            return Result(201, created.body, _stored_headers(created, base_url)), created
        found = matches[0]
        if resource.get("id") not in (None, found.id):
            raise FhirError(400, "invalid", f"The resource's id '{resource['id']}' is not the id of the "
                            f"{resource_type} the update matches ({found.id}).", ["id"])
        updated = store.update(conn, found, resource, principal.label)
        return Result(200, updated.body, _stored_headers(updated, base_url)), updated

    def conditional_update(self, principal: Principal, resource_type: str, query_string: str, body: object,
                           base_url: str) -> Result:
        _check_type(resource_type)
        if not principal.is_device:
            raise FhirError(403, "forbidden", "A clinician token reads; only a device token writes resources.")
        if not query_string.strip():
            raise FhirError(405, "not-supported", f"PUT {resource_type} needs search parameters (a conditional "
                            f"update, e.g. PUT {resource_type}?identifier=system|value).")
        resource = res.validate(body, resource_type, self.clock())
        with self.db.transaction() as conn:
            result, _ = self._update_in(conn, principal, resource, query_string, base_url)
        return result

    # -- reads ------------------------------------------------------------------------------------------------

    def _reader_patient(self, principal: Principal) -> str | None:
        """The one patient a device may read (an unbound device reads nothing), or None for a clinician."""
        if principal.is_clinician:
            return None
        return principal.patient or "\x00unbound"

    def read(self, principal: Principal, resource_type: str, resource_id: str, base_url: str) -> Result:
        _check_type(resource_type)
        with self.db.connect() as conn:
            found = store.read(conn, resource_type, resource_id)
        if found is None:
            raise FhirError(404, "not-found", f"{resource_type}/{resource_id} is not known.")
        only = self._reader_patient(principal)
        if only is not None and found.patient != only:
            # the same answer as for an id nobody holds: another patient's data is not even confirmed to exist
            raise FhirError(404, "not-found", f"{resource_type}/{resource_id} is not known.")
        return Result(200, found.body, _stored_headers(found, base_url))

    def search(self, principal: Principal, resource_type: str, params: list[tuple[str, str]],
               base_url: str) -> Result:
        _check_type(resource_type)
        query = srch.parse(resource_type, params)
        only = self._reader_patient(principal)
        if only is not None and query.patients is not None and any(p != only for p in query.patients):
            raise FhirError(403, "forbidden", "This device token reads its own patient's data only.",
                            ["patient"])
        with self.db.connect() as conn:
            total, found = store.search(conn, query, only_patient=only)
        bundle = {"resourceType": "Bundle", "id": str(uuid.uuid4()), "type": "searchset", "total": total,
                  "link": [{"relation": "self", "url": f"{base_url}/{resource_type}?{urlencode(params)}"}],
                  "entry": [{"fullUrl": f"{base_url}/{item.type}/{item.id}", "resource": item.body,
                             "search": {"mode": "match"}} for item in found]}
        if query.offset + len(found) < total:
            more = [(k, v) for k, v in params if k != "_offset"] + [("_offset", str(query.offset + len(found)))]
            bundle["link"].append({"relation": "next", "url": f"{base_url}/{resource_type}?{urlencode(more)}"})
        if not bundle["entry"]:
            del bundle["entry"]
        return Result(200, bundle)

    def _get(self, principal: Principal, url: str, base_url: str) -> Result:
        path, _, query = url.partition("?")
        parts = [p for p in path.strip("/").split("/") if p]
        if len(parts) == 1:
            return self.search(principal, parts[0], parse_qsl(query, keep_blank_values=True), base_url)
        if len(parts) == 2:
            return self.read(principal, parts[0], parts[1], base_url)
        raise FhirError(400, "not-supported", f"GET {url} is not supported in a Bundle.")

    # -- Bundles ----------------------------------------------------------------------------------------------

    def bundle(self, principal: Principal, body: object, base_url: str) -> Result:
        if not isinstance(body, dict) or body.get("resourceType") != "Bundle":
            raise FhirError(400, "invalid", "POST /fhir takes a Bundle of type batch or transaction.",
                            ["resourceType"])
        kind = body.get("type")
        if kind not in ("batch", "transaction"):
            raise FhirError(400, "invalid", f"A Bundle of type '{kind}' cannot be processed: "
                            "send type batch or transaction.", ["Bundle.type"])
        entries = body.get("entry") or []
        if not isinstance(entries, list):
            raise FhirError(400, "structure", "Bundle.entry must be a list.", ["Bundle.entry"])
        res.check_plausible(body, self.clock())
        self._validate_envelope(body)
        if kind == "batch":
            return Result(200, {"resourceType": "Bundle", "id": str(uuid.uuid4()), "type": "batch-response",
                                "entry": [self._batch_entry(principal, entry, i, base_url)
                                          for i, entry in enumerate(entries)]})
        return self._transaction(principal, entries, base_url)

    @staticmethod
    def _validate_envelope(body: dict) -> None:
        envelope = copy.deepcopy(body)
        for entry in envelope.get("entry") or []:
            if isinstance(entry, dict):
                entry.pop("resource", None)
        from pydantic import ValidationError

        try:
            res._model("Bundle").model_validate(envelope)
        except ValidationError as exc:
            problems = [res.issue("invalid", f"{res._path('Bundle', e.get('loc', ()))}: {e.get('msg')}",
                                  [res._path("Bundle", e.get("loc", ()))]) for e in exc.errors()[:20]]
            raise FhirError(400, "invalid", problems[0]["diagnostics"], issues=problems) from None

    @staticmethod
    def _entry_request(entry: object, index: int) -> tuple[str, str, dict]:
        if not isinstance(entry, dict) or not isinstance(entry.get("request"), dict):
            raise FhirError(400, "required", f"Bundle.entry[{index}] has no request.",
                            [f"Bundle.entry[{index}].request"])
        request = entry["request"]
        method, url = str(request.get("method", "")).upper(), str(request.get("url", ""))
        if method not in ("POST", "GET", "PUT"):
            raise FhirError(405, "not-supported", f"Bundle.entry[{index}]: {method or 'no method'} is not "
                            "supported here (POST to create, PUT Type?identifier=... to update by identifier, "
                            "GET to read or search).", [f"Bundle.entry[{index}].request.method"])
        if method == "PUT" and "?" not in url:
            raise FhirError(405, "not-supported", f"Bundle.entry[{index}]: PUT {url} is not supported: this hub "
                            "updates by identifier only (PUT Type?identifier=system|value).",
                            [f"Bundle.entry[{index}].request.url"])
        return method, url, request

    def _post_entry_resource(self, entry: dict, url: str, index: int) -> dict:
        resource_type = url.split("?")[0].strip("/")
        _check_type(resource_type)
        if "resource" not in entry:
            raise FhirError(400, "required", f"Bundle.entry[{index}] posts no resource.",
                            [f"Bundle.entry[{index}].resource"])
        try:
            return res.validate(entry["resource"], resource_type, self.clock())
        except FhirError as exc:
            for item in exc.issues:
                item["expression"] = [f"Bundle.entry[{index}].resource." + e.split(".", 1)[-1]
                                      if "." in e else f"Bundle.entry[{index}].resource"
                                      for e in item.get("expression", [])]
            raise

    def _batch_entry(self, principal: Principal, entry: object, index: int, base_url: str) -> dict:
        try:
            method, url, request = self._entry_request(entry, index)
            if method == "GET":
                result = self._get(principal, url, base_url)
            elif method == "PUT":
                resource = self._post_entry_resource(entry, url, index)
                with self.db.transaction() as conn:
                    result, _ = self._update_in(conn, principal, resource, url.split("?", 1)[1], base_url)
            else:
                resource = self._post_entry_resource(entry, url, index)
                with self.db.transaction() as conn:
                    result, _ = self._create_in(conn, principal, resource, request.get("ifNoneExist"), base_url)
        except FhirError as exc:
            return {"response": {"status": status_line(exc.status), "outcome": exc.outcome}}
        return _entry_response(result, base_url)

    def _transaction(self, principal: Principal, entries: list, base_url: str) -> Result:
        out: list[dict | None] = [None] * len(entries)
        index = -1
        try:
            with self.db.transaction() as conn:
                posts, puts, gets = [], [], []
                for index, entry in enumerate(entries):
                    method, url, request = self._entry_request(entry, index)
                    {"POST": posts, "PUT": puts, "GET": gets}[method].append((index, entry, url, request))
                # Resolve conditional creates and give new resources their ids, so references between
                # entries (fullUrl urn:uuid:...) can be rewritten before anything is stored.
                mapping, planned = {}, []
                for index, entry, url, request in posts:
                    resource = self._post_entry_resource(entry, url, index)
                    principal = self._writer(conn, principal, resource)
                    new_id, existing = str(uuid.uuid4()), None
                    if request.get("ifNoneExist"):
                        query = srch.parse_conditional(resource["resourceType"], request["ifNoneExist"])
                        total, matches = store.search(conn, query, only_patient=principal.patient, paged=False)
                        if total > 1:
                            raise FhirError(412, "multiple-matches", f"ifNoneExist '{request['ifNoneExist']}' "
                                            f"matches {total} resources; it must match at most one.")
                        existing = matches[0] if matches else None
                    full_url = entry.get("fullUrl")
                    if isinstance(full_url, str) and full_url:
                        mapping[full_url] = f"{resource['resourceType']}/{existing.id if existing else new_id}"
                    planned.append((index, resource, new_id, existing))
                for index, resource, new_id, existing in planned:
                    if existing is not None:
                        out[index] = _entry_response(Result(200, existing.body, _stored_headers(existing, base_url)),
                                                     base_url)
                        continue
                    resource = _rewrite_references(resource, mapping)
                    created = store.insert(conn, resource, principal.label, new_id=new_id)
                    out[index] = _entry_response(Result(201, created.body, _stored_headers(created, base_url)),
                                                 base_url)
                # Conditional updates after the creates (references to new entries are rewritten first).
                for index, entry, url, _request in puts:
                    resource = _rewrite_references(self._post_entry_resource(entry, url, index), mapping)
                    result, _ = self._update_in(conn, principal, resource, url.split("?", 1)[1], base_url)
                    out[index] = _entry_response(result, base_url)
            for index, _entry, url, _request in gets:
                out[index] = _entry_response(self._get(principal, url, base_url), base_url)
        except FhirError as exc:
            if index >= 0:
                for item in exc.issues:
                    if not item["diagnostics"].startswith("Bundle.entry["):
                        item["diagnostics"] = f"Bundle.entry[{index}]: {item['diagnostics']}"
            exc.issues.append(res.issue("processing", "The transaction was rolled back: nothing was stored.",
                                        severity="information"))
            raise
        return Result(200, {"resourceType": "Bundle", "id": str(uuid.uuid4()), "type": "transaction-response",
                            "entry": out})


def _entry_response(result: Result, base_url: str) -> dict:
    response = {"status": status_line(result.status)}
    if "Location" in result.headers:
        response["location"] = result.headers["Location"].removeprefix(base_url + "/")
        response["etag"] = result.headers["ETag"]
        response["lastModified"] = result.headers["Last-Modified"]
    entry = {"response": response}
    if result.body is not None:
        entry = {"resource": result.body, **entry}
    return entry
