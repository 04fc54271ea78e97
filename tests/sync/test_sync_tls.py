"""TLS is always verified: a server whose certificate the device does not trust gets nothing; trusting its CA
(`clinician.ca_bundle`, `--ca-bundle`) is the only way in. Also a server that wants a bearer token."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from synckit import FhirTarget, make_reading, new_patient, start_medplum

from voice_assistant.sync.auth import BearerAuth
from voice_assistant.sync.outbox import enqueue_reading
from voice_assistant.sync.sender import OutboxSender


def make_ca_and_server_cert(folder):
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test hub CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
          .not_valid_after(now + timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = {name: folder / f"{name}.pem" for name in ("ca", "cert", "key")}
    paths["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths["cert"].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths["key"].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    return paths


@pytest.fixture(scope="module")
def https_medplum(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    paths = make_ca_and_server_cert(folder)
    server = start_medplum(folder, token="device-secret", cert=paths["cert"], key=paths["key"])
    yield server, paths["ca"]
    server.stop()


def test_untrusted_certificate_gets_nothing_then_the_hub_ca_lets_it_in(https_medplum, store):
    server, ca = https_medplum
    assert server.base_url.startswith("https://127.0.0.1:")
    parties = new_patient()
    r = make_reading(0)
    with store.transaction():
        store.add_reading(r)
        enqueue_reading(store, r, parties)
    with OutboxSender(store, server.base_url, BearerAuth("device-secret")) as untrusting:
        report = untrusting.send_pending()
    assert report.sent == [] and report.stopped and "certificate is not trusted" in report.last_error
    with OutboxSender(store, server.base_url, BearerAuth("wrong"), ca_bundle=ca) as wrong_token:
        report = wrong_token.send_pending(force=True)
    assert report.sent == [] and report.last_error.startswith("HTTP 401") and store.outbox_items("dead") == []
    with OutboxSender(store, server.base_url, BearerAuth("device-secret"), ca_bundle=ca) as trusting:
        report = trusting.send_pending(force=True)
    assert len(report.sent) == 2 and report.pending == 0
    target = FhirTarget("medplum-tls", server.base_url, device_token="device-secret", ca_bundle=ca)
    assert [o["identifier"][0]["value"] for o in target.for_patient("Observation", parties.patient_id)] == [r.uuid]
