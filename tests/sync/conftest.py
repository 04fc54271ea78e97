from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from synckit import TARGETS, FhirTarget, start_medplum  # noqa: E402


@pytest.fixture(scope="session")
def medplum_server(tmp_path_factory):
    """Medplum's FHIR engine on a free loopback port, for the whole session."""
    server = start_medplum(tmp_path_factory.mktemp("medplum"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def medplum_target(medplum_server) -> FhirTarget:
    return FhirTarget(name="medplum", base_url=medplum_server.base_url)


# Another FHIR server joins the suite with a session fixture yielding a FhirTarget and an entry in
# synckit.TARGETS.


@pytest.fixture(scope="session")
def hub_target(tmp_path_factory) -> FhirTarget:
    """The clinician hub on a free loopback port (plain http: the sender allows it to this machine only),
    with a clinician token to read back and a device token per test patient."""
    from voice_assistant.hub import HubServer, TokenStore

    server = HubServer(tmp_path_factory.mktemp("hub") / "hub.db", host="127.0.0.1", port=0, lang="en",
                       quiet=True)
    tokens = TokenStore(server.app.db)
    clinician = tokens.add("clinician", "sync-suite")
    server.start()
    yield FhirTarget("hub", server.fhir_base_url, reader_token=clinician,
                     enroll_patient=lambda pid: tokens.add("device", pid, patient=pid))
    server.stop()


@pytest.fixture(scope="session", params=sorted(TARGETS))
def fhir_target(request) -> FhirTarget:
    """Every FHIR server the sync suite runs against (see synckit.TARGETS)."""
    return request.getfixturevalue(TARGETS[request.param])


@pytest.fixture
def store(tmp_path):
    from voice_assistant.store import Store

    with Store.open(tmp_path / "assistant.db") as opened:
        yield opened
