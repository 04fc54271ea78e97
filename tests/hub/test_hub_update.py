"""The hub's conditional update (`PUT /fhir/{type}?identifier=system|value`), which a device sends when the
patient stops a reminder plan: no match creates, one match is updated in place, several are refused with 412;
a device token updates its own patient's resources only."""

from __future__ import annotations

from urllib.parse import quote

from hubkit import call, observation, parties, plan, post, reading

from voice_assistant.sync import fhir


def put_url(hub, resource: dict, query: str | None = None) -> str:
    query = query or fhir.if_none_exist(resource)
    return f"{hub.fhir}/{resource['resourceType']}?{quote(query, safe='=|:/-_.~@,')}"


def stopped(resource: dict) -> dict:
    return {**resource, "status": "stopped"}


def plans(hub, token: str | None = None) -> list[dict]:
    bundle = call(f"{hub.fhir}/MedicationRequest", token=token or hub.clinician).json
    return [entry["resource"] for entry in bundle.get("entry") or []]


def test_conditional_update_with_no_match_creates(hub):
    active = plan()
    answer = call(put_url(hub, active), "PUT", hub.device, stopped(active))
    assert answer.status == 201, answer.text
    body = answer.json
    assert body["id"] and body["status"] == "stopped" and body["meta"]["versionId"] == "1"
    assert answer.headers["location"] == f"{hub.fhir}/MedicationRequest/{body['id']}/_history/1"
    assert [p["id"] for p in plans(hub)] == [body["id"]]


def test_conditional_update_with_one_match_updates_in_place(hub):
    active = plan()
    created = post(hub, active, hub.device)
    assert created.status == 201
    answer = call(put_url(hub, active), "PUT", hub.device, stopped(active))
    assert answer.status == 200, answer.text
    body = answer.json
    assert body["id"] == created.json["id"] and body["status"] == "stopped"
    assert body["meta"]["versionId"] == "2" and answer.headers["etag"] == 'W/"2"'
    assert answer.headers["location"] == f"{hub.fhir}/MedicationRequest/{body['id']}/_history/2"
    [stored] = plans(hub)
    assert stored == body
    # the indexes follow the new version: status search, identifier search, and again the same update
    assert call(f"{hub.fhir}/MedicationRequest?status=active", token=hub.clinician).json["total"] == 0
    assert call(f"{hub.fhir}/MedicationRequest?status=stopped", token=hub.clinician).json["total"] == 1
    ident = active["identifier"][0]
    found = call(f"{hub.fhir}/MedicationRequest?identifier={ident['system']}|{ident['value']}", token=hub.clinician)
    assert found.json["total"] == 1
    again = call(put_url(hub, active), "PUT", hub.device, stopped(active))
    assert again.status == 200 and again.json["id"] == body["id"] and again.json["meta"]["versionId"] == "3"
    assert len(plans(hub)) == 1
    # and a conditional create of the original now finds the updated one rather than making a second
    assert post(hub, active, hub.device).json["status"] == "stopped"


def test_conditional_update_honours_prefer_return_minimal(hub):
    active = plan()
    post(hub, active, hub.device)
    answer = call(put_url(hub, active), "PUT", hub.device, stopped(active), {"Prefer": "return=minimal"})
    assert answer.status == 200 and answer.text == "" and answer.headers["etag"] == 'W/"2"'


def test_conditional_update_matching_several_is_412_with_an_outcome(hub):
    for value in (100, 110):
        assert post(hub, observation(reading(value)), hub.device).status == 201
    obs = observation(reading(120))
    answer = call(put_url(hub, obs, f"code={fhir.LOINC}|{fhir.GLUCOSE_LOINC}"), "PUT", hub.device, obs)
    assert answer.status == 412
    assert answer.json["resourceType"] == "OperationOutcome"
    assert answer.json["issue"][0]["code"] == "multiple-matches"
    assert call(f"{hub.fhir}/Observation", token=hub.clinician).json["total"] == 2


def test_conditional_update_is_for_the_device_of_that_patient_only(hub):
    mine = plan()
    created = post(hub, mine, hub.device).json
    # another patient's device cannot update it, through its own patient or by naming the other patient
    theirs = plan(who=parties(patient="p-7"))
    # the same identifier for another patient is that patient's own plan: created, without a word about p-42's
    own = call(put_url(hub, theirs), "PUT", hub.other_device, stopped(theirs))
    assert own.status == 201 and own.json["subject"]["reference"] == "Patient/p-7"
    wrong_patient = call(put_url(hub, mine), "PUT", hub.other_device, stopped(mine))
    assert wrong_patient.status == 403
    # a clinician reads, never writes; no token is 401
    assert call(put_url(hub, mine), "PUT", hub.clinician, stopped(mine)).status == 403
    assert call(put_url(hub, mine), "PUT", None, stopped(mine)).status == 401
    [stored] = [p for p in plans(hub) if p["subject"]["reference"] == "Patient/p-42"]
    assert stored == created and stored["status"] == "active"


def test_conditional_update_refuses_what_it_cannot_do(hub):
    active = plan()
    created = post(hub, active, hub.device).json
    # an id that is not the matched resource's
    assert call(put_url(hub, active), "PUT", hub.device, {**stopped(active), "id": "other"}).status == 400
    # the matched resource's own id is fine
    assert call(put_url(hub, active), "PUT", hub.device, {**stopped(active), "id": created["id"]}).status == 200
    # an update by id, and a PUT without search parameters, are not supported
    assert call(f"{hub.fhir}/MedicationRequest/{created['id']}", "PUT", hub.device, active).status == 405
    assert call(f"{hub.fhir}/MedicationRequest", "PUT", hub.device, active).status == 405
    # an invalid resource, or one of another type than the URL's
    assert call(put_url(hub, active), "PUT", hub.device, {**active, "authoredOn": "not a date"}).status == 400
    assert call(f"{hub.fhir}/Flag?identifier=a|b", "PUT", hub.device, active).status == 400
    # changing the identifier to one another resource holds is a conflict
    other = plan(reminder_id=9)
    post(hub, other, hub.device)
    clash = call(put_url(hub, active), "PUT", hub.device, {**active, "identifier": other["identifier"]})
    assert clash.status == 409 and clash.json["issue"][0]["code"] == "duplicate"
    assert sorted(p["status"] for p in plans(hub)) == ["active", "stopped"]


def test_conditional_update_in_batch_and_transaction_bundles(hub):
    active = plan()
    post(hub, active, hub.device)
    url = f"MedicationRequest?{fhir.if_none_exist(active)}"
    batch = call(hub.fhir, "POST", hub.device, {"resourceType": "Bundle", "type": "batch", "entry": [
        {"resource": stopped(active), "request": {"method": "PUT", "url": url}},
        {"resource": plan(reminder_id=5), "request": {"method": "PUT", "url": "MedicationRequest/x"}}]})
    assert batch.status == 200
    statuses = [e["response"]["status"] for e in batch.json["entry"]]
    assert statuses == ["200 OK", "405 Method Not Allowed"]
    new = plan(reminder_id=6)
    transaction = call(hub.fhir, "POST", hub.device, {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": new, "request": {"method": "PUT", "url": f"MedicationRequest?{fhir.if_none_exist(new)}"}}]})
    assert transaction.status == 200 and transaction.json["entry"][0]["response"]["status"] == "201 Created"
    assert sorted(p["status"] for p in plans(hub)) == ["active", "stopped"]


def test_capability_statement_announces_conditional_update(hub):
    statement = call(f"{hub.fhir}/metadata", token=hub.clinician).json
    for resource in statement["rest"][0]["resource"]:
        assert resource["conditionalUpdate"] is True
        assert {"code": "update"} in resource["interaction"]
