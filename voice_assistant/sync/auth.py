"""How the device proves who it is to the clinician's FHIR server: a bearer token, or OAuth2 client credentials
with a signed JWT assertion as in SMART Backend Services (https://hl7.org/fhir/smart-app-launch/backend-services.html).

Both are `httpx.Auth`, so they plug into any `httpx.Client`. The JWT is signed RS384 (RSA key) or ES384 (EC
P-384 key) with the `cryptography` package; the access token is cached until shortly before it expires, and
fetched again once if the server answers 401 (a token revoked or expired early).
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import httpx

from voice_assistant.addresses import is_loopback_url
from voice_assistant.errors import RemoteError

CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#: How long before its stated expiry a cached access token is no longer used.
EXPIRY_MARGIN_S = 30.0
#: SMART asks for an assertion that expires in no more than five minutes.
ASSERTION_LIFETIME_S = 300


class AuthError(RemoteError):
    """The token endpoint refused the device's credentials or could not be used."""


class BearerAuth(httpx.Auth):
    """A fixed bearer token (made by the hub or the server's administrator for this device)."""

    def __init__(self, token: str) -> None:
        if not token or any(c in token for c in "\r\n"):
            raise ValueError("a bearer token must be a non-empty single line")
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def load_private_key(pem: bytes, password: bytes | None = None) -> Any:
    """An RSA or EC private key from PEM bytes (needs the `cryptography` package)."""
    try:
        from cryptography.hazmat.primitives.serialization import load_pem_private_key
    except ImportError as error:  # pragma: no cover - cryptography is a dependency
        raise AuthError("signing a SMART Backend Services assertion needs the 'cryptography' package") from error
    try:
        return load_pem_private_key(pem, password=password)
    except (ValueError, TypeError) as error:
        raise AuthError(f"the private key cannot be read ({error})") from error


def algorithm_for(key: Any) -> str:
    """RS384 for an RSA key, ES384 for an EC P-384 key (the two SMART Backend Services requires servers to
    accept)."""
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    if isinstance(key, rsa.RSAPrivateKey):
        return "RS384"
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp384r1":
        return "ES384"
    raise AuthError("the private key must be RSA (RS384) or EC on the P-384 curve (ES384)")


def sign_jwt(claims: dict[str, Any], key: Any, key_id: str | None = None) -> str:
    """A compact JWS of `claims`, signed RS384 or ES384 according to the key."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    alg = algorithm_for(key)
    header = {"alg": alg, "typ": "JWT"} | ({"kid": key_id} if key_id else {})
    signing_input = ".".join(_b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims))
    if alg == "RS384":
        signature = key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA384())
    else:
        r, s = decode_dss_signature(key.sign(signing_input.encode("ascii"), ec.ECDSA(hashes.SHA384())))
        signature = r.to_bytes(48, "big") + s.to_bytes(48, "big")  # JWS wants r || s, not DER
    return f"{signing_input}.{_b64url(signature)}"


class SmartBackendAuth(httpx.Auth):
    """OAuth2 client credentials with a `private_key_jwt` assertion (SMART Backend Services).

    The first request (and any after the token's expiry) first asks `token_url` for an access token with a
    freshly signed assertion (iss = sub = client_id, aud = token_url, a unique jti, exp in five minutes).
    """

    requires_response_body = True

    def __init__(self, client_id: str, token_url: str, private_key: Any, key_id: str | None = None,
                 scope: str = "system/*.write system/*.read", clock: Callable[[], float] = time.time) -> None:
        if not client_id or not token_url:
            raise ValueError("SMART Backend Services needs a client_id and a token_url")
        if not token_url.startswith("https://") and not is_loopback_url(token_url):
            raise ValueError("the token_url must be an https:// address")
        self.client_id = client_id
        self.token_url = token_url
        self.key = load_private_key(private_key) if isinstance(private_key, bytes) else private_key
        algorithm_for(self.key)  # refuse an unusable key now, not at the first send
        self.key_id = key_id
        self.scope = scope
        self._clock = clock
        self._token: str | None = None
        self._expires_at = 0.0
        self.tokens_fetched = 0  #: how many access tokens were asked for (for status and tests)

    @classmethod
    def from_key_file(cls, path: str | Path, **kw: Any) -> SmartBackendAuth:
        try:
            pem = Path(path).expanduser().read_bytes()
        except OSError as error:
            raise AuthError(f"the private key file {path} cannot be read ({error.strerror})") from error
        return cls(private_key=load_private_key(pem), **kw)

    def assertion(self) -> str:
        now = int(self._clock())
        claims = {"iss": self.client_id, "sub": self.client_id, "aud": self.token_url, "jti": str(uuid.uuid4()),
                  "iat": now, "exp": now + ASSERTION_LIFETIME_S}
        return sign_jwt(claims, self.key, self.key_id)

    def token_request(self) -> httpx.Request:
        return httpx.Request("POST", self.token_url, data={
            "grant_type": "client_credentials",
            "scope": self.scope,
            "client_assertion_type": CLIENT_ASSERTION_TYPE,
            "client_assertion": self.assertion(),
        }, headers={"Accept": "application/json"})

    def _take_token(self, response: httpx.Response) -> None:
        if response.status_code != 200:
            detail = response.text[:300]
            raise AuthError(f"the token endpoint answered HTTP {response.status_code}: {detail}")
        try:
            body = response.json()
            token = body["access_token"]
            lifetime = float(body.get("expires_in", 300))
        except (ValueError, KeyError, TypeError) as error:
            raise AuthError("the token endpoint's answer has no access_token") from error
        if str(body.get("token_type", "bearer")).lower() != "bearer":
            raise AuthError(f"the token endpoint gave a {body.get('token_type')} token, not a bearer token")
        self._token = token
        self._expires_at = self._clock() + max(0.0, lifetime - EXPIRY_MARGIN_S)
        self.tokens_fetched += 1

    def _valid_token(self) -> str | None:
        return self._token if self._token and self._clock() < self._expires_at else None

    def invalidate(self) -> None:
        self._token = None

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self._valid_token()
        if token is None:
            self._take_token((yield self.token_request()))
            token = self._token
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 401:
            # Revoked or expired early: one fresh token, one more try.
            self._take_token((yield self.token_request()))
            request.headers["Authorization"] = f"Bearer {self._token}"
            yield request


