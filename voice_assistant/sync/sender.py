"""Delivering the outbox to the clinician's FHIR R4 server: exactly once, whatever the network does.

Each pending item is sent as a *conditional create*: `POST {base}/{type}` with `If-None-Exist: identifier=...`
(a Provenance: `_tag=...`). A server that already holds it answers 200 instead of creating it again, so an
item sent twice (a response lost on the way back, a crash between the answer and `mark_sent`) is stored once.
A stopped reminder plan is a revision (`Type/key@stopped`) and goes as a conditional update
(`PUT {base}/{type}?identifier=...`).

What happens to an item, by answer:

| answer                                       | item                          | the pass                      |
| -------------------------------------------- | ----------------------------- | ----------------------------- |
| 2xx                                          | sent                          | goes on                       |
| no connection, TLS not trusted               | pending, backoff              | stops (server unreachable)    |
| timeout, connection reset or cut             | pending, backoff              | stops after in-pass retries   |
| 429, 502, 503, 504                           | pending, Retry-After/backoff  | stops                         |
| 500 and other 5xx                            | pending, backoff              | goes on                       |
| 408, 409, 425                                | pending, backoff; dead letter | goes on                       |
|                                              | after `MAX_4XX_ATTEMPTS`      |                               |
| 401, 403, 404, 407, 3xx                      | pending, backoff              | stops                         |
| 412 (several resources match) and other 4xx  | dead letter + alert           | goes on                       |

(405 is a dead letter: the server does not take that interaction, e.g. a hub that never updates. A 409 that
does not go away, e.g. an identifier another device already holds on the server, becomes a dead letter after a
few tries: a 4xx is never retried forever.)
401/403/404/407 and redirects say the credentials or the address are wrong, not the item: the item
waits, and fixing the profile sends it (parking every reading because of a wrong token would lose them).

A dead letter keeps the server's OperationOutcome in `last_error` (first line: a summary; second line: the
OperationOutcome as JSON) and raises one `Alert(kind="sync_dead_letter")`, written in the same transaction.

Backoff: exponential from `RetryPolicy.base` seconds, doubled per attempt up to `cap`, with jitter (a
uniform draw in the upper half); a server's `Retry-After` (seconds or an HTTP date) is honoured instead. A
short wait (≤ `inline_wait`) is spent in the pass itself (`sleep`); longer ones are recorded with
`mark_retry(next_attempt_at)`. When the pass stops because the server as a whole cannot take more, the
moment it may be asked again is kept (setting `sync.server_retry_at`) and honoured by the next passes
unless they are forced (`voice-assistant sync` forces: the person asked for it now).

TLS verification is always on: the system's CA list (certifi) plus, for a hub with its own certificate, a
CA bundle file. Plain http is accepted only to this machine (loopback), where nothing travels.
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote
from uuid import NAMESPACE_URL, uuid5

import certifi
import httpx

from voice_assistant.addresses import is_loopback_host, secure_url_problem
from voice_assistant.errors import ConfigurationError
from voice_assistant.store import Alert, OutboxItem, Store
from voice_assistant.sync import fhir
from voice_assistant.sync.auth import AuthError, BearerAuth, SmartBackendAuth
from voice_assistant.sync.outbox import IDENTIFIER_SCHEME, IDENTIFIER_SCHEME_SETTING, device_id, is_revision

log = logging.getLogger(__name__)

#: Explicit timeouts: 5 s to connect, 20 s for the server to take the request and answer.
DEFAULT_TIMEOUT = httpx.Timeout(20.0, connect=5.0)
FHIR_JSON = "application/fhir+json"
USER_AGENT = "voice-assistant-sync/1"

SETTING_LAST_ATTEMPT = "sync.last_attempt_at"
SETTING_LAST_SUCCESS = "sync.last_success_at"
SETTING_LAST_ERROR = "sync.last_error"
SETTING_LAST_ERROR_AT = "sync.last_error_at"
SETTING_SERVER_RETRY_AT = "sync.server_retry_at"
SETTING_BASE_URL = "sync.base_url"  #: the address the last pass sent to

#: Answers that say the server as a whole is overloaded or away: wait before asking it anything else.
_SERVER_BUSY = {429, 502, 503, 504}
#: Answers that say the device's credentials or the address are wrong, not the item.
_CONFIGURATION = {401, 403, 404, 407}
#: Client errors worth repeating as they are, a few times.
_TRANSIENT_4XX = {408, 409, 425}
#: After this many attempts answered by one of those, the item is a dead letter.
MAX_4XX_ATTEMPTS = 5


class SyncConfigError(ConfigurationError):
    """The sync settings cannot be used; the message names the setting."""


# --- configuration ---------------------------------------------------------------------------------------


def check_base_url(url: str, field_name: str = "clinician.fhir_base_url") -> str:
    """The FHIR base address without a trailing slash; https, or plain http to this machine only."""
    try:
        parsed = httpx.URL(url.strip())
    except (httpx.InvalidURL, TypeError, AttributeError):
        raise SyncConfigError(f"{field_name}: '{url}' is not an address") from None
    problem = secure_url_problem(url)  # the one rule, shared with the profile
    if problem:
        raise SyncConfigError(f"{field_name}: {problem}")
    return str(parsed).rstrip("/")


def tls_context(ca_bundle: str | Path | None = None) -> ssl.SSLContext:
    """Verification on, always: the public CAs (certifi), plus `ca_bundle` (PEM) for a hub with its own CA."""
    context = ssl.create_default_context(cafile=certifi.where())
    if ca_bundle is not None:
        try:
            context.load_verify_locations(cafile=str(Path(ca_bundle).expanduser()))
        except (OSError, ssl.SSLError) as error:
            raise SyncConfigError(f"clinician.ca_bundle: {ca_bundle} is not a readable PEM CA file ({error})") from None
    return context


def make_client(*, auth: httpx.Auth | None = None, ca_bundle: str | Path | None = None,
                timeout: httpx.Timeout = DEFAULT_TIMEOUT, transport: httpx.BaseTransport | None = None,
                proxy: str | None = None, base_url: str | None = None) -> httpx.Client:
    """An httpx client for the sender: TLS verified, explicit timeouts, no redirects followed.
    (A `transport` passed in, for tests, carries its own TLS settings.)

    Proxies: only the one configured (`clinician.proxy`), never one from the environment (`HTTP_PROXY`,
    `HTTPS_PROXY`, `ALL_PROXY` are ignored: a proxy set for the browser must not receive the bearer token and
    the patient's readings), and never for this machine (loopback is reached directly, whatever is set)."""
    if proxy and base_url and is_loopback_host(httpx.URL(base_url).host):
        proxy = None
    return httpx.Client(auth=auth, verify=tls_context(ca_bundle), timeout=timeout, transport=transport,
                        follow_redirects=False, headers={"User-Agent": USER_AGENT}, trust_env=False,
                        proxy=proxy if transport is None else None)


@dataclass(frozen=True)
class OAuthSettings:
    """SMART Backend Services client credentials (profile `clinician.oauth`)."""

    client_id: str
    token_url: str
    private_key: Path  #: PEM file: RSA (RS384) or EC P-384 (ES384)
    key_id: str | None = None  #: the `kid` of the public key registered with the server
    scope: str = "system/*.write system/*.read"


@dataclass(frozen=True)
class SyncConfig:
    """Where to send and how to sign in (profile `clinician`, overridden by the command line)."""

    base_url: str | None
    token: str | None = None
    oauth: OAuthSettings | None = None
    ca_bundle: Path | None = None
    timeout: httpx.Timeout = field(default_factory=lambda: DEFAULT_TIMEOUT)
    proxy: str | None = None  #: `clinician.proxy`: the only proxy ever used (never for loopback)

    @classmethod
    def from_profile(cls, profile: Any, base_url: str | None = None, token: str | None = None) -> SyncConfig:
        clinician = dict(getattr(profile, "clinician", None) or {})
        url = base_url or clinician.get("fhir_base_url")
        where = "--fhir-base-url" if base_url else "clinician.fhir_base_url"
        checked = check_base_url(str(url), where) if url else None
        oauth = None
        raw = clinician.get("oauth")
        if raw:
            if not isinstance(raw, dict):
                raise SyncConfigError("clinician.oauth: must be a mapping (client_id, token_url, private_key)")
            missing = [k for k in ("client_id", "token_url", "private_key") if not raw.get(k)]
            if missing:
                raise SyncConfigError(f"clinician.oauth.{missing[0]}: needed for OAuth client credentials")
            token_url = str(raw["token_url"])
            if not token_url.startswith("https://"):
                check_base_url(token_url, "clinician.oauth.token_url")
            oauth = OAuthSettings(client_id=str(raw["client_id"]), token_url=token_url,
                                  private_key=Path(str(raw["private_key"])).expanduser(),
                                  key_id=str(raw["key_id"]) if raw.get("key_id") else None,
                                  scope=str(raw.get("scope") or OAuthSettings.scope))
        bundle = clinician.get("ca_bundle")
        proxy = clinician.get("proxy") or None
        if proxy is not None:
            try:
                parsed = httpx.URL(str(proxy))
            except (httpx.InvalidURL, TypeError):
                parsed = None
            if parsed is None or parsed.scheme not in ("http", "https", "socks5") or not parsed.host:
                raise SyncConfigError(f"clinician.proxy: '{proxy}' is not a proxy address (e.g. http://proxy:3128)")
        return cls(base_url=checked, token=token or clinician.get("token") or None, oauth=oauth,
                   ca_bundle=Path(str(bundle)).expanduser() if bundle else None,
                   proxy=str(proxy) if proxy else None)

    def make_auth(self) -> httpx.Auth | None:
        """The bearer token if there is one, else SMART Backend Services if set up, else none."""
        if self.token:
            return BearerAuth(str(self.token))
        if self.oauth:
            try:
                return SmartBackendAuth.from_key_file(self.oauth.private_key, client_id=self.oauth.client_id,
                                                      token_url=self.oauth.token_url, key_id=self.oauth.key_id,
                                                      scope=self.oauth.scope)
            except AuthError as error:
                raise SyncConfigError(f"clinician.oauth.private_key: {error}") from None
        return None

    def make_client(self, transport: httpx.BaseTransport | None = None) -> httpx.Client:
        return make_client(auth=self.make_auth(), ca_bundle=self.ca_bundle, timeout=self.timeout,
                           transport=transport, proxy=self.proxy, base_url=self.base_url)


# --- retries ---------------------------------------------------------------------------------------------


@dataclass
class RetryPolicy:
    """How long to wait before the next attempt."""

    base: float = 1.0  #: seconds before the first retry (before jitter)
    cap: float = 1800.0  #: the longest wait between two attempts
    max_retry_after: float = 86400.0  #: a server's Retry-After beyond this is read as this
    inline_wait: float = 2.0  #: a wait up to this is spent in the pass, which then tries again
    inline_tries: int = 2  #: at most this many such in-pass retries per item
    rng: random.Random = field(default_factory=random.Random)

    def backoff(self, attempts: int) -> float:
        """Seconds to wait after `attempts` earlier failed attempts (0 for the first failure): exponential,
        capped, with jitter in the upper half so devices that failed together do not retry together."""
        ceiling = min(self.cap, self.base * 2 ** min(attempts, 40))
        return self.rng.uniform(ceiling / 2, ceiling)

    def delay(self, attempts: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_retry_after)
        return self.backoff(attempts)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a `Retry-After` header: delay-seconds or an HTTP date; None if absent or unreadable."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


# --- reports ---------------------------------------------------------------------------------------------

Result = Literal["sent", "retry", "dead"]


@dataclass(frozen=True)
class ItemResult:
    """What became of one item in a pass."""

    key: str
    resource_type: str
    result: Result
    error: str | None = None
    status: int | None = None  #: the HTTP status, when the server answered


@dataclass
class SyncReport:
    """One pass of the sender."""

    base_url: str
    started_at: datetime
    items: list[ItemResult] = field(default_factory=list)
    pending: int = 0  #: items still waiting after the pass
    pending_readings: int = 0  #: of which glucose readings
    dead: int = 0  #: dead letters in all (this pass and before)
    sent_total: int = 0
    offline: bool = False  #: the server could not be reached at all
    stopped: str | None = None  #: why the pass stopped before the end, if it did
    waited: bool = False  #: nothing tried: the server asked to wait (Retry-After / backoff) until `next_try_at`
    next_try_at: datetime | None = None
    last_error: str | None = None

    def of(self, result: Result) -> list[ItemResult]:
        return [item for item in self.items if item.result == result]

    @property
    def sent(self) -> list[ItemResult]:
        return self.of("sent")

    @property
    def retried(self) -> list[ItemResult]:
        return self.of("retry")

    @property
    def dead_now(self) -> list[ItemResult]:
        return self.of("dead")

    def to_json(self) -> dict[str, Any]:
        return {
            "base_url": self.base_url, "started_at": self.started_at.isoformat(),
            "sent": [i.key for i in self.sent], "retry": [i.key for i in self.retried],
            "dead_now": [{"key": i.key, "error": i.error} for i in self.dead_now],
            "pending": self.pending, "pending_readings": self.pending_readings, "dead": self.dead,
            "sent_total": self.sent_total, "offline": self.offline, "stopped": self.stopped, "waited": self.waited,
            "next_try_at": self.next_try_at.isoformat() if self.next_try_at else None, "last_error": self.last_error,
        }


@dataclass(frozen=True)
class _Attempt:
    result: Result
    error: str | None = None
    status: int | None = None
    retry_after: float | None = None
    stop_pass: bool = False  #: do not send anything else in this pass
    unreachable: bool = False  #: no connection at all
    inline: bool = True  #: may be retried within the pass after a short wait
    outcome: dict | None = None


def outcome_summary(body: Any) -> str:
    """The issues of an OperationOutcome in one line ("Missing required property (Observation.code)")."""
    if not isinstance(body, dict) or body.get("resourceType") != "OperationOutcome":
        return ""
    parts = []
    for issue in body.get("issue") or []:
        text = issue.get("diagnostics") or (issue.get("details") or {}).get("text") or issue.get("code") or ""
        where = ", ".join(issue.get("expression") or issue.get("location") or [])
        parts.append(f"{text} ({where})" if where else text)
    return "; ".join(p for p in parts if p)


def dead_letter_outcome(item: OutboxItem) -> dict | None:
    """The server's OperationOutcome kept with a dead letter, or None."""
    if item.state != "dead" or not item.last_error or "\n" not in item.last_error:
        return None
    try:
        body = json.loads(item.last_error.split("\n", 1)[1])
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def dead_letter_alert_id(resource_key: str) -> str:
    """One alert per dead item, whatever happens: its id is derived from the item's key."""
    return str(uuid5(NAMESPACE_URL, f"{fhir.SYSTEM_BASE}:sync-dead-letter:{resource_key}"))


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("the sender's clock must give aware datetimes")
    return moment.astimezone(UTC)


def _read_time(text: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


def _has_ssl_cause(error: BaseException) -> ssl.SSLError | None:
    seen = 0
    current: BaseException | None = error
    while current is not None and seen < 10:
        if isinstance(current, ssl.SSLError):
            return current
        current = current.__cause__ or current.__context__
        seen += 1
    return None


# --- the sender ------------------------------------------------------------------------------------------


class OutboxSender:
    """Sends the outbox of one `Store` to one FHIR base address. Use it from one thread (like the Store)."""

    def __init__(self, store: Store, base_url: str, auth: httpx.Auth | None = None, *,
                 client: httpx.Client | None = None, clock: Callable[[], datetime] | None = None,
                 sleep: Callable[[float], None] | None = None, policy: RetryPolicy | None = None,
                 ca_bundle: str | Path | None = None) -> None:
        """`client` defaults to `make_client(ca_bundle=ca_bundle)`; a client passed in is used as it is and is
        not closed by `close()`. `auth`, when given, signs every request (else the client's own auth)."""
        self.store = store
        self.base_url = check_base_url(base_url, "base_url")
        self.auth = auth
        self._own_client = client is None
        self.client = client if client is not None else make_client(ca_bundle=ca_bundle)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.sleep = sleep or _interruptible_sleep
        self.policy = policy or RetryPolicy()

    @classmethod
    def from_config(cls, store: Store, config: SyncConfig, transport: httpx.BaseTransport | None = None,
                    **kw: Any) -> OutboxSender:
        if not config.base_url:
            raise SyncConfigError("clinician.fhir_base_url: no clinician server is set")
        sender = cls(store, config.base_url, client=config.make_client(transport=transport), **kw)
        sender._own_client = True
        return sender

    def close(self) -> None:
        if self._own_client:
            self.client.close()

    def __enter__(self) -> OutboxSender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- one pass ------------------------------------------------------------------------------------

    def send_pending(self, now: datetime | None = None, *, force: bool = False, limit: int | None = None,
                     stop: threading.Event | None = None) -> SyncReport:
        """Try every item due at `now` once (plus short in-pass retries); return what became of them.

        `force`: also try items waiting for their backoff, and ignore the server's Retry-After (a person asked
        for this pass). `stop`: checked between items, to end the pass early (the background sender's)."""
        started = _utc(now or self.clock())
        report = SyncReport(base_url=self.base_url, started_at=started)
        if self.store.get_setting(IDENTIFIER_SCHEME_SETTING) != IDENTIFIER_SCHEME:
            device_id(self.store)  # queued items get identifiers unique on any server before anything is sent
        server_retry_at = _read_time(self.store.get_setting(SETTING_SERVER_RETRY_AT))
        if not force and server_retry_at is not None and started < server_retry_at:
            report.waited, report.next_try_at = True, server_retry_at
            return self._finish(report)
        with self.store.transaction():
            self.store.set_setting(SETTING_LAST_ATTEMPT, started.isoformat())
            self.store.set_setting(SETTING_BASE_URL, self.base_url)
        if force:
            items = self.store.outbox_items("pending")
            items = items if limit is None else items[:limit]
        else:
            items = self.store.pending_outbox(started, limit)
        for item in items:
            if stop is not None and stop.is_set():
                report.stopped = "asked to stop"
                break
            if self._deliver(item, report, stop):
                break
        if report.stopped is None and server_retry_at is not None:
            self.store.set_setting(SETTING_SERVER_RETRY_AT, "")
        return self._finish(report)

    def _deliver(self, item: OutboxItem, report: SyncReport, stop: threading.Event | None) -> bool:
        """Send one item (retrying briefly in the pass if worth it); True if the pass must stop."""
        failures = 0
        while True:
            attempt = self._attempt(item)
            now = _utc(self.clock())
            if attempt.result == "sent":
                with self.store.transaction():
                    self.store.mark_sent(item.id, now)
                    self.store.set_setting(SETTING_LAST_SUCCESS, now.isoformat())
                report.items.append(ItemResult(item.resource_key, item.resource_type, "sent", status=attempt.status))
                return False
            report.last_error = attempt.error
            if attempt.status in _TRANSIENT_4XX and item.attempts + failures + 1 >= MAX_4XX_ATTEMPTS:
                attempt = _Attempt("dead", f"{attempt.error} (refused {MAX_4XX_ATTEMPTS} times)", attempt.status,
                                   outcome=attempt.outcome)
            if attempt.result == "dead":
                self._park(item, attempt, now)
                report.items.append(ItemResult(item.resource_key, item.resource_type, "dead", attempt.error,
                                               attempt.status))
                return False
            delay = self.policy.delay(item.attempts + failures, attempt.retry_after)
            next_at = now + timedelta(seconds=delay)
            with self.store.transaction():
                self.store.mark_retry(item.id, attempt.error or "", next_at)
                self._note_error(attempt.error or "", now)
            failures += 1
            log.info("sync: %s will be retried at %s (%s)", item.resource_key, next_at.isoformat(), attempt.error)
            if (attempt.inline and not attempt.unreachable and failures <= self.policy.inline_tries
                    and delay <= self.policy.inline_wait and not (stop is not None and stop.is_set())):
                self.sleep(delay)
                continue
            report.items.append(ItemResult(item.resource_key, item.resource_type, "retry", attempt.error,
                                           attempt.status))
            if attempt.stop_pass:
                report.offline = report.offline or attempt.unreachable
                report.stopped = attempt.error
                report.next_try_at = next_at
                self.store.set_setting(SETTING_SERVER_RETRY_AT, next_at.isoformat())
                return True
            return False

    def _attempt(self, item: OutboxItem) -> _Attempt:
        payload = item.payload
        query = quote(fhir.if_none_exist(payload), safe="=|:/-_.~@,")
        headers = {"Content-Type": FHIR_JSON, "Accept": FHIR_JSON, "Prefer": "return=minimal"}
        if is_revision(item.resource_key):
            method, url = "PUT", f"{self.base_url}/{item.resource_type}?{query}"
        else:
            method, url = "POST", f"{self.base_url}/{item.resource_type}"
            headers["If-None-Exist"] = query
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        auth = self.auth if self.auth is not None else httpx.USE_CLIENT_DEFAULT
        try:
            response = self.client.request(method, url, content=body, headers=headers, auth=auth)
        except AuthError as error:
            return _Attempt("retry", f"sign-in refused: {error}", stop_pass=True, inline=False)
        except httpx.ConnectTimeout:
            return _Attempt("retry", f"no connection: {self._host()} did not answer in time", stop_pass=True,
                            unreachable=True)
        except httpx.ConnectError as error:
            ssl_error = _has_ssl_cause(error)
            if ssl_error is not None:
                return _Attempt("retry", f"the server's certificate is not trusted ({ssl_error}); set "
                                "clinician.ca_bundle for a hub with its own certificate", stop_pass=True,
                                inline=False)
            return _Attempt("retry", f"no connection to {self._host()} ({error})", stop_pass=True, unreachable=True)
        except httpx.TimeoutException as error:
            return _Attempt("retry", f"the server did not answer in time ({type(error).__name__})", stop_pass=True,
                            inline=False)
        except (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError, httpx.CloseError) as error:
            return _Attempt("retry", f"the connection was cut ({type(error).__name__}: {error or 'no answer'})",
                            stop_pass=True)
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as error:
            return _Attempt("retry", f"the address cannot be used ({error})", stop_pass=True, inline=False)
        except httpx.HTTPError as error:
            return _Attempt("retry", f"sending failed ({type(error).__name__}: {error})", stop_pass=True,
                            inline=False)
        return self._judge(response)

    def _judge(self, response: httpx.Response) -> _Attempt:
        status = response.status_code
        if 200 <= status < 300:
            return _Attempt("sent", status=status)
        try:
            body = response.json()
        except ValueError:
            body = None
        summary = outcome_summary(body) or response.text.strip().replace("\n", " ")[:300]
        error = f"HTTP {status} {response.reason_phrase}".rstrip() + (f": {summary}" if summary else "")
        if status in _SERVER_BUSY:
            retry_after = parse_retry_after(response.headers.get("Retry-After"), _utc(self.clock()))
            return _Attempt("retry", error, status, retry_after=retry_after, stop_pass=True,
                            inline=retry_after is None or retry_after <= self.policy.inline_wait)
        if status in _CONFIGURATION or 300 <= status < 400:
            if 300 <= status < 400:
                error += f" (moved to {response.headers.get('Location')}: set that address)"
            return _Attempt("retry", error, status, stop_pass=True, inline=False)
        if status >= 500 or status in _TRANSIENT_4XX:
            return _Attempt("retry", error, status, retry_after=parse_retry_after(
                response.headers.get("Retry-After"), _utc(self.clock())),
                outcome=body if isinstance(body, dict) else None)
        # 412 (several resources already match the identifier) and every other 4xx: the server will never
        # take this item as it is.
        return _Attempt("dead", error, status, outcome=body if isinstance(body, dict) else None)

    def _park(self, item: OutboxItem, attempt: _Attempt, now: datetime) -> None:
        text = attempt.error or "refused"
        if attempt.outcome is not None:
            text += "\n" + json.dumps(attempt.outcome, ensure_ascii=False)
        alert = Alert(id=dead_letter_alert_id(item.resource_key), kind="sync_dead_letter", at=now,
                      message=f"The clinician's server refused {item.resource_key} and it will not be sent again: "
                              f"{attempt.error}")
        with self.store.transaction():
            self.store.mark_dead(item.id, text)
            self.store.add_alert(alert)
            self._note_error(attempt.error or "", now)
        log.warning("sync: %s is a dead letter: %s", item.resource_key, attempt.error)

    def _note_error(self, error: str, now: datetime) -> None:
        with self.store.transaction():
            self.store.set_setting(SETTING_LAST_ERROR, error)
            self.store.set_setting(SETTING_LAST_ERROR_AT, now.isoformat())

    def _finish(self, report: SyncReport) -> SyncReport:
        status = sync_status(self.store)
        report.pending, report.pending_readings = status["pending"], status["pending_readings"]
        report.dead, report.sent_total = status["dead"], status["sent"]
        return report

    def _host(self) -> str:
        return httpx.URL(self.base_url).netloc.decode("ascii")


def _interruptible_sleep(seconds: float) -> None:
    threading.Event().wait(seconds)


def sync_status(store: Store) -> dict[str, Any]:
    """Counts and times for `sync status`: pending (and of which readings), sent, dead, last error, last
    success, and the dead letters with the server's reason."""
    pending = store.outbox_items("pending")
    dead = store.outbox_items("dead")
    return {
        "pending": len(pending),
        "pending_readings": sum(1 for i in pending if i.resource_type == "Observation"),
        "sent": len(store.outbox_items("sent")),
        "dead": len(dead),
        "last_error": store.get_setting(SETTING_LAST_ERROR) or None,
        "last_error_at": store.get_setting(SETTING_LAST_ERROR_AT) or None,
        "last_success_at": store.get_setting(SETTING_LAST_SUCCESS) or None,
        "last_attempt_at": store.get_setting(SETTING_LAST_ATTEMPT) or None,
        "last_base_url": store.get_setting(SETTING_BASE_URL) or None,
        "next_try_at": min((i.next_attempt_at.isoformat() for i in pending if i.next_attempt_at), default=None),
        "dead_letters": [{"key": i.resource_key, "error": (i.last_error or "").split("\n", 1)[0]} for i in dead],
    }


# --- in the live loop ------------------------------------------------------------------------------------


class BackgroundSender:
    """Sends the outbox from a thread of its own: a pass every `interval` seconds, or at once when poked
    (after a reading is saved). `make_sender` is called in the thread (a Store belongs to one thread); the
    sender, and its store, are closed when the thread ends. Passes honour backoff and Retry-After.

        with BackgroundSender.for_database(db_path, SyncConfig.from_profile(profile)) as background:
            ...  # the live loop; call background.poke() after saving and enqueueing a reading
    """

    def __init__(self, make_sender: Callable[[], OutboxSender], interval: float = 60.0,
                 on_report: Callable[[SyncReport], None] | None = None, name: str = "voice-assistant-sync") -> None:
        self._make_sender = make_sender
        self.interval = interval
        self._on_report = on_report
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.last_report: SyncReport | None = None
        self.last_exception: BaseException | None = None
        self.passes = 0

    @classmethod
    def for_database(cls, db_path: str | Path, config: SyncConfig, interval: float = 60.0,
                     on_report: Callable[[SyncReport], None] | None = None) -> BackgroundSender:
        """The live loop's sender: its own Store on `db_path`, the profile's server and credentials."""
        if not config.base_url:
            raise SyncConfigError("clinician.fhir_base_url: no clinician server is set")

        def make() -> OutboxSender:
            return OutboxSender.from_config(Store.open(db_path), config)

        return cls(make, interval=interval, on_report=on_report)

    def start(self) -> BackgroundSender:
        self._thread.start()
        return self

    def poke(self) -> None:
        """Run a pass now (or right after the one under way)."""
        self._wake.set()

    def stop(self, timeout: float | None = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def __enter__(self) -> BackgroundSender:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        try:
            sender = self._make_sender()
        except Exception as error:  # noqa: BLE001 - a thread must say why it ended, not die silently
            self.last_exception = error
            log.exception("sync: the background sender could not start")
            return
        try:
            while not self._stop.is_set():
                self._wake.clear()
                try:
                    report = sender.send_pending(stop=self._stop)
                    self.last_report = report
                    self.passes += 1
                    if self._on_report is not None:
                        self._on_report(report)
                except Exception as error:  # noqa: BLE001 - keep the loop alive; the outbox keeps everything
                    self.last_exception = error
                    log.exception("sync: a background pass failed")
                self._wake.wait(self.interval)
        finally:
            sender.close()
            store = getattr(sender, "store", None)
            if store is not None:
                store.close()
