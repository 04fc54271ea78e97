"""Signing in: a bearer token, or SMART Backend Services (client credentials with a signed JWT assertion)."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from urllib.parse import parse_qs

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from synckit import FakeClock, make_reading, new_patient

from voice_assistant.profile import default_profile
from voice_assistant.sync.auth import CLIENT_ASSERTION_TYPE, AuthError, SmartBackendAuth, sign_jwt
from voice_assistant.sync.outbox import enqueue_reading
from voice_assistant.sync.sender import OutboxSender, SyncConfig, SyncConfigError

BASE = "https://fhir.example.org/R4"
TOKEN_URL = "https://auth.example.org/oauth2/token"


def b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def verify(jwt: str, public_key) -> tuple[dict, dict]:
    """Check a compact JWS the way a server does; return (header, claims)."""
    head, body, sig = jwt.split(".")
    header, claims = json.loads(b64decode(head)), json.loads(b64decode(body))
    data, signature = f"{head}.{body}".encode(), b64decode(sig)
    if header["alg"] == "RS384":
        public_key.verify(signature, data, padding.PKCS1v15(), hashes.SHA384())
    else:
        assert header["alg"] == "ES384" and len(signature) == 96
        der = encode_dss_signature(int.from_bytes(signature[:48], "big"), int.from_bytes(signature[48:], "big"))
        public_key.verify(der, data, ec.ECDSA(hashes.SHA384()))
    return header, claims


class Server:
    """A token endpoint that checks the assertion, and a FHIR endpoint that checks the token."""

    def __init__(self, public_key, lifetime: int = 300) -> None:
        self.public_key = public_key
        self.lifetime = lifetime
        self.tokens: list[str] = []
        self.assertions: list[tuple[dict, dict]] = []
        self.revoked: set[str] = set()
        self.fhir_calls = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if str(request.url) == TOKEN_URL:
            form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
            assert form["grant_type"] == "client_credentials"
            assert form["client_assertion_type"] == CLIENT_ASSERTION_TYPE
            self.assertions.append(verify(form["client_assertion"], self.public_key))
            token = f"access-{len(self.tokens)}"
            self.tokens.append(token)
            return httpx.Response(200, json={"access_token": token, "token_type": "bearer",
                                             "expires_in": self.lifetime, "scope": form["scope"]})
        self.fhir_calls += 1
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self.tokens or token in self.revoked:
            return httpx.Response(401, json={"resourceType": "OperationOutcome", "issue": []})
        return httpx.Response(201)


@pytest.fixture(params=["RS384", "ES384"])
def key(request):
    if request.param == "RS384":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP384R1())


def queue(store, n: int = 1) -> None:
    parties = new_patient()
    for i in range(n):
        r = make_reading(i)
        with store.transaction():
            store.add_reading(r)
            enqueue_reading(store, r, parties)


def test_assertion_is_signed_as_smart_backend_services_asks(key):
    clock = FakeClock()
    auth = SmartBackendAuth("device-7", TOKEN_URL, key, key_id="kid-1", clock=lambda: clock.now.timestamp())
    header, claims = verify(auth.assertion(), key.public_key())
    assert header == {"alg": "RS384" if isinstance(key, rsa.RSAPrivateKey) else "ES384", "typ": "JWT", "kid": "kid-1"}
    assert claims["iss"] == claims["sub"] == "device-7" and claims["aud"] == TOKEN_URL
    assert 0 < claims["exp"] - claims["iat"] <= 300 and claims["jti"]
    assert auth.assertion() != auth.assertion()  # a new jti each time


def test_token_is_cached_until_it_expires_then_fetched_again(store, key):
    server = Server(key.public_key(), lifetime=300)
    clock = FakeClock()
    auth = SmartBackendAuth("device-7", TOKEN_URL, key, clock=lambda: clock.now.timestamp())
    sender = OutboxSender(store, BASE, auth, client=httpx.Client(transport=httpx.MockTransport(server)), clock=clock)
    queue(store, 2)
    assert len(sender.send_pending().sent) == 4
    assert len(server.tokens) == 1  # four requests, one token
    queue(store, 1)
    clock.advance(290)  # within 30 s of expiry: not used any more
    assert len(sender.send_pending().sent) == 2
    assert len(server.tokens) == 2 and server.fhir_calls == 6


def test_a_revoked_token_is_replaced_once(store, key):
    server = Server(key.public_key())
    clock = FakeClock()
    auth = SmartBackendAuth("device-7", TOKEN_URL, key, clock=lambda: clock.now.timestamp())
    sender = OutboxSender(store, BASE, auth, client=httpx.Client(transport=httpx.MockTransport(server)), clock=clock)
    queue(store, 1)
    sender.send_pending()
    server.revoked.add(server.tokens[0])
    queue(store, 1)
    assert len(sender.send_pending().sent) == 2 and len(server.tokens) == 2


def test_a_refused_assertion_keeps_everything_pending(store, key):
    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"error": "invalid_client"})

    clock = FakeClock()
    sender = OutboxSender(store, BASE, SmartBackendAuth("device-7", TOKEN_URL, key),
                          client=httpx.Client(transport=httpx.MockTransport(refuse)), clock=clock)
    queue(store, 1)
    report = sender.send_pending()
    assert report.stopped and "invalid_client" in report.last_error and report.pending == 2
    assert store.outbox_items("dead") == []


def test_oauth_from_the_profile(tmp_path, key):
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    (tmp_path / "device.pem").write_bytes(pem)
    profile = replace(default_profile(), clinician={
        "fhir_base_url": BASE, "oauth": {"client_id": "device-7", "token_url": TOKEN_URL, "key_id": "k1",
                                         "private_key": str(tmp_path / "device.pem")}})
    auth = SyncConfig.from_profile(profile).make_auth()
    assert isinstance(auth, SmartBackendAuth) and auth.key_id == "k1"
    # a bearer token given on the command line wins
    assert not isinstance(SyncConfig.from_profile(profile, token="t").make_auth(), SmartBackendAuth)
    (tmp_path / "bad.pem").write_text("not a key")
    bad = replace(profile, clinician={**profile.clinician, "oauth": {**profile.clinician["oauth"],
                                                                      "private_key": str(tmp_path / "bad.pem")}})
    with pytest.raises(SyncConfigError, match="private_key"):
        SyncConfig.from_profile(bad).make_auth()


def test_unusable_keys_are_refused():
    with pytest.raises(AuthError):
        sign_jwt({}, ec.generate_private_key(ec.SECP256R1()))
    with pytest.raises(ValueError):
        SmartBackendAuth("d", "http://auth.example.org/token", ec.generate_private_key(ec.SECP384R1()))
