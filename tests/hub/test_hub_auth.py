"""Every request needs a valid token; device tokens write and read their own patient only; clinicians read."""

from __future__ import annotations

import json

import hashlib
import sqlite3

import pytest
from hubkit import call, observation, parties, post, reading

from voice_assistant.hub import HubDatabase, TokenError, TokenStore


@pytest.mark.parametrize("method, path", [("GET", "/fhir/Observation"), ("GET", "/fhir/Observation/x"),
                                          ("POST", "/fhir/Observation"), ("POST", "/fhir"),
                                          ("GET", "/fhir/metadata"), ("GET", "/fhir/Nothing")])
@pytest.mark.parametrize("authorization", [None, "Bearer vah_wrong", "Basic dXNlcjpwYXNz", "Bearer "])
def test_no_valid_token_is_401_with_an_operation_outcome(hub, method, path, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    body = observation(reading()) if method == "POST" else None
    answer = call(hub.url + path, method, body=body, headers=headers)
    assert answer.status == 401
    assert answer.json["resourceType"] == "OperationOutcome" and answer.json["issue"][0]["code"] == "login"
    assert answer.headers["www-authenticate"].startswith("Bearer")


def test_revoked_token_is_refused(hub):
    TokenStore(HubDatabase(hub.db_path)).revoke("device", "kitchen")
    assert post(hub, observation(reading()), hub.device).status == 401


def test_tokens_are_stored_hashed(hub):
    with sqlite3.connect(hub.db_path) as conn:
        stored = [row[0] for row in conn.execute("SELECT hash FROM tokens")]
        dump = "\n".join(conn.iterdump())
    assert hashlib.sha256(hub.clinician.encode()).hexdigest() in stored
    for token in (hub.device, hub.other_device, hub.clinician):
        assert token not in dump


def test_device_cannot_read_another_patients_data(hub):
    theirs = post(hub, observation(reading(99), who=parties("p-7")), hub.other_device).json
    mine = post(hub, observation(reading(120)), hub.device).json
    assert call(f"{hub.fhir}/Observation/{theirs['id']}", token=hub.device).status == 404  # as if it did not exist
    assert call(f"{hub.fhir}/Observation/{mine['id']}", token=hub.device).status == 200
    assert call(f"{hub.fhir}/Observation?patient=p-7", token=hub.device).status == 403
    # a search without a patient only ever returns the device's own patient
    unfiltered = call(f"{hub.fhir}/Observation", token=hub.device).json
    assert [e["resource"]["id"] for e in unfiltered["entry"]] == [mine["id"]]
    # the clinician reads everything
    assert call(f"{hub.fhir}/Observation", token=hub.clinician).json["total"] == 2
    assert call(f"{hub.fhir}/Observation/{theirs['id']}", token=hub.clinician).status == 200


def test_device_cannot_write_for_another_patient_and_clinician_cannot_write(hub):
    answer = post(hub, observation(reading(), who=parties("p-7")), hub.device)
    assert answer.status == 403 and "Patient/p-42" in answer.json["issue"][0]["diagnostics"]
    answer = post(hub, observation(reading()), hub.clinician)
    assert answer.status == 403 and answer.json["resourceType"] == "OperationOutcome"
    assert call(f"{hub.fhir}/Observation", token=hub.clinician).json.get("total") == 0


def test_a_device_token_is_bound_to_its_patient_when_made(hub):
    tokens = TokenStore(HubDatabase(hub.db_path))
    with pytest.raises(TokenError) as refused:
        tokens.add("device", "new-one")
    assert "--patient" in str(refused.value)
    token = tokens.add("device", "new-one", patient="p-99")
    assert call(f"{hub.fhir}/Observation", token=token).json["total"] == 0
    assert post(hub, observation(reading(), who=parties("p-99")), token).status == 201
    assert post(hub, observation(reading(), who=parties("p-42")), token).status == 403
    info = {t.name: t for t in tokens.list()}["new-one"]
    assert info.patient == "p-99"


def test_answers_never_reveal_another_patients_identifiers(hub):
    """The same identifier sent for two patients: both are stored (identifiers are unique per patient), and
    a device reading another patient's resource by id hears what it would for an id nobody holds."""
    mine = observation(reading(), who=parties("p-42"))
    theirs = json.loads(json.dumps(mine).replace("Patient/p-42", "Patient/p-7"))
    assert post(hub, mine, hub.device).status == 201
    assert post(hub, theirs, hub.other_device).status == 201  # no 409: nothing learnt about p-42
    assert post(hub, theirs, hub.other_device, conditional=False).status == 409  # a true duplicate, its own
    stored = call(f"{hub.fhir}/Observation?subject=Patient/p-42", token=hub.clinician).json["entry"][0]["resource"]
    foreign = call(f"{hub.fhir}/Observation/{stored['id']}", token=hub.other_device)
    missing = call(f"{hub.fhir}/Observation/no-such-id", token=hub.other_device)
    assert foreign.status == missing.status == 404
    assert "p-42" not in foreign.text and stored["id"] in foreign.text


def test_token_names_are_unique_per_kind_until_revoked(tmp_path):
    tokens = TokenStore(HubDatabase(tmp_path / "h.db"))
    first = tokens.add("clinician", "dr-a")
    with pytest.raises(TokenError):
        tokens.add("clinician", "dr-a")
    tokens.revoke("clinician", "dr-a")
    second = tokens.add("clinician", "dr-a")
    assert first != second and tokens.verify(first) is None and tokens.verify(second).name == "dr-a"
    with pytest.raises(TokenError):
        tokens.add("clinician", "dr-b", patient="p-1")


def test_dashboard_refuses_unauthenticated_and_device_tokens(hub):
    answer = call(f"{hub.url}/dashboard")
    assert answer.status == 401 and "<form" in answer.text and 'name="token"' in answer.text
    assert call(f"{hub.url}/dashboard/patients/p-42").status == 401
    assert call(f"{hub.url}/dashboard", token=hub.device).status == 403
    assert call(f"{hub.url}/dashboard", token=hub.clinician).status == 200


def test_dashboard_login_sets_a_session_cookie_and_logout_ends_it(hub):
    from urllib.parse import urlencode

    form = {"Content-Type": "application/x-www-form-urlencoded"}
    bad = call(f"{hub.url}/dashboard/login", "POST", raw=urlencode({"token": "vah_nope"}).encode(), headers=form)
    assert bad.status == 401 and 'role="alert"' in bad.text
    device = call(f"{hub.url}/dashboard/login", "POST", raw=urlencode({"token": hub.device}).encode(), headers=form)
    assert device.status == 403
    ok = call(f"{hub.url}/dashboard/login", "POST", raw=urlencode({"token": hub.clinician}).encode(), headers=form)
    assert ok.status == 303 and ok.headers["location"] == "/dashboard"
    cookie = ok.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and hub.clinician not in cookie
    session = cookie.split(";")[0]
    page = call(f"{hub.url}/dashboard", headers={"Cookie": session})
    assert page.status == 200 and "dr-martin" in page.text
    # the session cookie is no FHIR credential
    assert call(f"{hub.fhir}/Observation", headers={"Cookie": session}).status == 401
    # logging out needs the form token that goes with the session
    assert call(f"{hub.url}/dashboard/logout", "POST", raw=b"csrf=wrong", headers={**form, "Cookie": session}).status == 403
    import re

    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    out = call(f"{hub.url}/dashboard/logout", "POST", raw=f"csrf={csrf}".encode(), headers={**form, "Cookie": session})
    assert out.status == 303
    assert call(f"{hub.url}/dashboard", headers={"Cookie": session}).status == 401
