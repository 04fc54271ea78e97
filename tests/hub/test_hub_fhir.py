"""The hub's FHIR API: create, conditional create, batch and transaction Bundles, read, search, validation."""

from __future__ import annotations

from datetime import datetime, timedelta

from hubkit import PARIS, call, dose, flag, observation, plan, post, provenance, reading

from voice_assistant.sync import fhir


def test_create_then_read_returns_the_resource_with_hub_id_and_meta(hub):
    r = reading(132)
    obs = observation(r)
    created = post(hub, obs, hub.device, conditional=False)
    assert created.status == 201
    body = created.json
    assert body["resourceType"] == "Observation" and body["id"]
    assert body["meta"]["versionId"] == "1" and body["meta"]["lastUpdated"].endswith("Z")
    assert created.headers["location"] == f"{hub.fhir}/Observation/{body['id']}/_history/1"
    assert created.headers["content-type"].startswith("application/fhir+json")
    read = call(f"{hub.fhir}/Observation/{body['id']}", token=hub.clinician)
    assert read.status == 200 and read.json == body
    assert read.json["valueQuantity"] == {"value": 132, "unit": "mg/dL", "system": fhir.UCUM, "code": "mg/dL"}
    assert read.json["note"][0]["text"] == f"Said: \u201c{r.transcript}\u201d"
    assert read.headers["etag"] == 'W/"1"'


def test_conditional_create_on_identifier_returns_the_stored_one(hub):
    obs = observation(reading())
    first = post(hub, obs, hub.device)
    again = post(hub, obs, hub.device)
    assert (first.status, again.status) == (201, 200)
    assert again.json["id"] == first.json["id"]
    ident = obs["identifier"][0]
    found = call(f"{hub.fhir}/Observation?identifier={ident['system']}|{ident['value']}", token=hub.clinician)
    assert found.json["total"] == 1


def test_conditional_create_on_tag_for_provenance(hub):
    r = reading()
    obs = observation(r)
    prov = provenance(obs, r)
    assert fhir.if_none_exist(prov).startswith("_tag=")
    first, again = post(hub, prov, hub.device), post(hub, prov, hub.device)
    assert (first.status, again.status) == (201, 200) and first.json["id"] == again.json["id"]
    tag = prov["meta"]["tag"][0]
    found = call(f"{hub.fhir}/Provenance?_tag={tag['system']}|{tag['code']}", token=hub.device)
    assert found.json["total"] == 1
    assert found.json["entry"][0]["resource"]["extension"] == prov["extension"]


def test_plain_create_of_a_stored_identifier_is_a_conflict_not_a_duplicate(hub):
    obs = observation(reading())
    assert post(hub, obs, hub.device, conditional=False).status == 201
    again = post(hub, obs, hub.device, conditional=False)
    assert again.status == 409
    assert again.json["resourceType"] == "OperationOutcome" and again.json["issue"][0]["code"] == "duplicate"
    assert call(f"{hub.fhir}/Observation", token=hub.clinician).json["total"] == 1


def test_conditional_create_matching_two_resources_is_412(hub):
    for value in (100, 110):
        assert post(hub, observation(reading(value)), hub.device).status == 201
    obs = observation(reading(120))
    answer = call(f"{hub.fhir}/Observation", "POST", hub.device, obs,
                  {"If-None-Exist": f"code={fhir.LOINC}|{fhir.GLUCOSE_LOINC}"})
    assert answer.status == 412 and answer.json["issue"][0]["code"] == "multiple-matches"


def test_every_resource_kind_the_device_sends_is_accepted(hub):
    r = reading()
    obs = observation(r)
    for resource in (obs, provenance(obs, r), flag(), dose("taken"), dose("missed", reminder_id=4), plan()):
        answer = post(hub, resource, hub.device)
        assert answer.status == 201, answer.text


def test_batch_bundle_with_if_none_exist_creates_once_and_reports_each_entry(hub):
    r = reading(88)
    obs = observation(r)
    entries = [obs, provenance(obs, r), flag("hypoglycaemia")]
    bundle = {"resourceType": "Bundle", "type": "batch", "entry": [
        {"resource": res, "request": {"method": "POST", "url": res["resourceType"],
                                      "ifNoneExist": fhir.if_none_exist(res)}} for res in entries]}
    first = call(hub.fhir, "POST", hub.device, bundle)
    assert first.status == 200 and first.json["type"] == "batch-response"
    assert [e["response"]["status"] for e in first.json["entry"]] == ["201 Created"] * 3
    assert first.json["entry"][0]["response"]["location"].startswith("Observation/")
    second = call(hub.fhir, "POST", hub.device, bundle)
    assert [e["response"]["status"] for e in second.json["entry"]] == ["200 OK"] * 3
    assert [e["resource"]["id"] for e in second.json["entry"]] == [e["resource"]["id"] for e in first.json["entry"]]
    for kind in ("Observation", "Provenance", "Flag"):
        assert call(f"{hub.fhir}/{kind}", token=hub.clinician).json["total"] == 1


def test_batch_entries_fail_alone(hub):
    good = observation(reading(150))
    bad = observation(reading(151))
    bad["valueQuantity"]["value"] = "a lot"
    bundle = {"resourceType": "Bundle", "type": "batch", "entry": [
        {"resource": good, "request": {"method": "POST", "url": "Observation", "ifNoneExist": fhir.if_none_exist(good)}},
        {"resource": bad, "request": {"method": "POST", "url": "Observation"}},
        {"request": {"method": "GET", "url": "Observation?patient=p-42"}},
    ]}
    answer = call(hub.fhir, "POST", hub.device, bundle)
    assert answer.status == 200
    statuses = [e["response"]["status"] for e in answer.json["entry"]]
    assert statuses == ["201 Created", "400 Bad Request", "200 OK"]
    outcome = answer.json["entry"][1]["response"]["outcome"]
    assert outcome["resourceType"] == "OperationOutcome"
    assert "valueQuantity" in outcome["issue"][0]["diagnostics"]
    assert answer.json["entry"][2]["resource"]["type"] == "searchset"


def test_transaction_is_all_or_nothing_and_resolves_urn_uuid(hub):
    obs = observation(reading(70))
    note = flag("hypoglycaemia")
    note["subject"] = {"reference": "Patient/p-42"}
    bad = observation(reading(71))
    del bad["status"]
    failing = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": "urn:uuid:0b5b9e4e-0000-4000-8000-000000000001", "resource": obs,
         "request": {"method": "POST", "url": "Observation", "ifNoneExist": fhir.if_none_exist(obs)}},
        {"resource": bad, "request": {"method": "POST", "url": "Observation"}}]}
    answer = call(hub.fhir, "POST", hub.device, failing)
    assert answer.status == 400
    assert any("entry[1]" in i["diagnostics"] for i in answer.json["issue"])
    assert call(f"{hub.fhir}/Observation", token=hub.clinician).json["total"] == 0
    # now a good one, with a reference between entries
    prov = {"resourceType": "Provenance", "target": [{"reference": "urn:uuid:0b5b9e4e-0000-4000-8000-000000000001"}],
            "recorded": obs["effectiveDateTime"], "agent": [{"who": {"reference": "Patient/p-42"}}]}
    good = {"resourceType": "Bundle", "type": "transaction", "entry": [failing["entry"][0],
            {"resource": prov, "request": {"method": "POST", "url": "Provenance"}}]}
    answer = call(hub.fhir, "POST", hub.device, good)
    assert answer.status == 200 and answer.json["type"] == "transaction-response"
    obs_id = answer.json["entry"][0]["resource"]["id"]
    assert answer.json["entry"][1]["resource"]["target"][0]["reference"] == f"Observation/{obs_id}"
    again = call(hub.fhir, "POST", hub.device, good)
    assert again.json["entry"][0]["response"]["status"] == "200 OK"
    assert call(f"{hub.fhir}/Observation", token=hub.clinician).json["total"] == 1


def test_search_by_patient_code_date_and_identifier(hub):
    now = datetime.now(PARIS).replace(microsecond=0)
    old = reading(101, at=now - timedelta(days=20))
    recent = reading(202, at=now - timedelta(days=1))
    for r in (old, recent):
        assert post(hub, observation(r), hub.device).status == 201
    assert post(hub, observation(reading(99), who=__import__("hubkit").parties("p-7")), hub.other_device).status == 201
    assert post(hub, dose(), hub.device).status == 201

    def values(query):
        answer = call(f"{hub.fhir}/Observation?{query}", token=hub.clinician)
        assert answer.status == 200, answer.text
        assert answer.json["type"] == "searchset"
        return sorted(e["resource"]["valueQuantity"]["value"] for e in answer.json.get("entry", []))

    assert values("patient=p-42") == [101, 202]
    assert values("subject=Patient/p-42") == [101, 202]
    assert values("patient=Patient/p-7") == [99]
    assert values(f"code={fhir.LOINC}|{fhir.GLUCOSE_LOINC}") == [99, 101, 202]
    assert values("code=41653-7&patient=p-42") == [101, 202]
    assert values("code=9999-9") == []
    since = (now - timedelta(days=14)).date().isoformat()
    assert values(f"patient=p-42&date=ge{since}") == [202]
    assert values(f"patient=p-42&date=lt{since}") == [101]
    assert values(f"date=ge{since}&date=le{now.date().isoformat()}&patient=p-42") == [202]
    assert values(f"identifier={fhir.READING_SYSTEM}|{recent.uuid}") == [202]
    assert values(f"identifier={recent.uuid}") == [202]
    page = call(f"{hub.fhir}/Observation?_count=1&_sort=-date", token=hub.clinician).json
    assert page["total"] == 3 and len(page["entry"]) == 1
    assert any(link["relation"] == "next" for link in page["link"])
    doses = call(f"{hub.fhir}/MedicationAdministration?code=metformin&patient=p-42", token=hub.clinician).json
    assert doses["total"] == 1


def test_unknown_search_parameter_and_bad_date_are_400(hub):
    answer = call(f"{hub.fhir}/Observation?pateint=p-42", token=hub.clinician)
    assert answer.status == 400 and "pateint" in answer.json["issue"][0]["diagnostics"]
    answer = call(f"{hub.fhir}/Observation?date=geyesterday", token=hub.clinician)
    assert answer.status == 400 and answer.json["issue"][0]["expression"] == ["date"]


def test_validation_errors_name_the_problem(hub):
    obs = observation(reading())
    obs["valueQuantity"]["value"] = "one twenty"
    obs["colour"] = "blue"
    answer = call(f"{hub.fhir}/Observation", "POST", hub.device, obs)
    assert answer.status == 400
    outcome = answer.json
    assert outcome["resourceType"] == "OperationOutcome"
    expressions = [e for i in outcome["issue"] for e in i["expression"]]
    assert "Observation.valueQuantity.value" in expressions and "Observation.colour" in expressions
    missing = observation(reading())
    del missing["code"]
    answer = call(f"{hub.fhir}/Observation", "POST", hub.device, missing)
    assert answer.status == 400 and answer.json["issue"][0]["expression"] == ["Observation.code"]
    assert call(f"{hub.fhir}/Observation", token=hub.clinician).json["total"] == 0


def test_malformed_requests(hub):
    obs = observation(reading())
    wrong_type = call(f"{hub.fhir}/Flag", "POST", hub.device, obs)
    assert wrong_type.status == 400 and "URL names Flag" in wrong_type.json["issue"][0]["diagnostics"]
    not_json = call(f"{hub.fhir}/Observation", "POST", hub.device, raw=b"{not json",
                    headers={"Content-Type": "application/fhir+json"})
    assert not_json.status == 400 and not_json.json["issue"][0]["code"] == "structure"
    unsupported = call(f"{hub.fhir}/Encounter", "POST", hub.device, {"resourceType": "Encounter"})
    assert unsupported.status == 404
    no_patient = dict(obs)
    del no_patient["subject"]
    answer = call(f"{hub.fhir}/Observation", "POST", hub.device, no_patient)
    assert answer.status == 400 and "patient" in answer.json["issue"][0]["diagnostics"]
    assert call(f"{hub.fhir}/Observation/nope", token=hub.clinician).status == 404
    assert call(f"{hub.fhir}/Observation/x", "DELETE", hub.clinician).status == 405
    assert call(hub.fhir, "POST", hub.device, {"resourceType": "Bundle", "type": "collection"}).status == 400
    assert call(f"{hub.fhir}/metadata", token=hub.clinician).json["fhirVersion"] == "4.0.1"
