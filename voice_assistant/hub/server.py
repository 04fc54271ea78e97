"""The hub's HTTP service (standard library only): the FHIR R4 endpoint under /fhir and the dashboard under
/dashboard, on a threading HTTP server, optionally with TLS (`certfile`/`keyfile`).

Every request needs a valid token: `Authorization: Bearer <token>` for /fhir (401 with an OperationOutcome
otherwise), the same header or the dashboard's session cookie for /dashboard (401 with the sign-in page
otherwise). Only the stylesheet is served to anyone.
"""

from __future__ import annotations

import json
import socket
import ssl
import sys
import threading
from datetime import datetime, timezone, tzinfo
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qsl, unquote, urlsplit

from voice_assistant.fhir import checks
from voice_assistant.hub import dashboard as views
from voice_assistant.hub import resources as res
from voice_assistant.hub.api import FhirApi, Result
from voice_assistant.hub.db import HubDatabase
from voice_assistant.hub.i18n import Words
from voice_assistant.hub.resources import FhirError
from voice_assistant.hub.summary import WINDOW_DAYS, mark_reviewed, summarize_all, summarize_patient
from voice_assistant.hub.tokens import SESSION_HOURS, Principal, TokenStore, csrf_token

FHIR_JSON = "application/fhir+json; charset=utf-8"
MAX_BODY = 16 * 1024 * 1024
SESSION_COOKIE = "hub_session"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
HTML_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
}


def loggable_path(raw: str) -> str:
    """'/fhir/Observation/abc?subject=Patient/p-42' -> '/fhir/Observation/*'; '/dashboard/patients/p-42' ->
    '/dashboard/patients/*': what a log may say about a request."""
    parts = [p for p in urlsplit(raw).path.split("/") if p][:4]
    if len(parts) >= 3 and parts[0] == "fhir":
        parts = parts[:2] + ["*"] + (parts[3:] if parts[2] != "_search" else [])
        if raw.split("?")[0].rstrip("/").endswith("/_search"):
            parts = parts[:2] + ["_search"]
    elif len(parts) >= 3 and parts[:2] == ["dashboard", "patients"]:
        parts = parts[:2] + ["*"] + parts[3:]
    return "/" + "/".join(parts)


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number FHIR allows")


class HubApp:
    """What the handlers share: the database, the tokens, the FHIR operations and the dashboard's settings."""

    def __init__(self, db_path: str | Path, lang: str = "fr", clock: Callable[[], datetime] | None = None,
                 local_tz: tzinfo | None = None, days: int = WINDOW_DAYS):
        self.db = HubDatabase(db_path)
        self.tokens = TokenStore(self.db)
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self.api = FhirApi(self.db, self.tokens, self.clock)
        self.words = Words(lang)
        self.local_tz = local_tz or datetime.now().astimezone().tzinfo
        self.days = days


def capability_statement(base_url: str) -> dict:
    params = [{"name": n, "type": t} for n, t in (("patient", "reference"), ("subject", "reference"),
                                                  ("code", "token"), ("date", "date"), ("identifier", "token"),
                                                  ("_tag", "token"), ("status", "token"), ("_id", "token"),
                                                  ("_lastUpdated", "date"))]
    return {
        "resourceType": "CapabilityStatement", "status": "active", "date": "2026-01-01", "kind": "instance",
        "fhirVersion": "4.0.1", "format": ["application/fhir+json"],
        "software": {"name": "voice-assistant hub"},
        "implementation": {"description": "voice-assistant clinician hub", "url": base_url},
        "rest": [{"mode": "server",
                  "security": {"description": "Authorization: Bearer <token>, one token per device and per "
                                              "clinician (voice-assistant hub token add)."},
                  "resource": [{"type": t, "interaction": [{"code": "create"}, {"code": "update"},
                                                           {"code": "read"}, {"code": "search-type"}],
                                "updateCreate": False, "conditionalCreate": True, "conditionalUpdate": True,
                                "searchParam": params} for t in res.SUPPORTED_TYPES],
                  "interaction": [{"code": "batch"}, {"code": "transaction"}]}],
    }


class HubHandler(BaseHTTPRequestHandler):
    server: "HubHTTPServer"
    protocol_version = "HTTP/1.1"
    server_version = "voice-assistant-hub"
    sys_version = ""
    timeout = 60  # seconds a client may stay silent before its connection is closed

    @property
    def app(self) -> HubApp:
        return self.server.app

    # -- plumbing ---------------------------------------------------------------------------------------------

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        if not self.server.quiet:
            sys.stderr.write(f"hub: {self.address_string()} {format % args}\n")

    def log_request(self, code: object = "-", size: object = "-") -> None:
        """One line per request with no health data: the method, the path without its query string and with
        ids replaced by '*' (a query or a path names patients), and the status."""
        method = getattr(self, "command", None) or "-"
        self.log_message("%s %s %s", method, loggable_path(getattr(self, "path", "") or ""), code)

    def _https(self) -> bool:
        return self.server.tls or self.headers.get("X-Forwarded-Proto", "").lower() == "https"

    def _base_url(self) -> str:
        """The FHIR base in links (Location, Bundle links, fullUrl): the configured public address, else the
        address the hub listens on; never the request's Host header, which a client chooses."""
        return self.server.public_url + "/fhir"

    def _send(self, status: int, body: bytes, content_type: str, headers: dict | None = None) -> None:
        unread = int(self.headers.get("Content-Length") or 0) > 0 and not getattr(self, "_body_read", False)
        if unread or self.headers.get("Transfer-Encoding"):
            # a body left unread would be taken for the next request on this connection: close it instead
            self.close_connection = True
            headers = {**(headers or {}), "Connection": "close"}
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in {**SECURITY_HEADERS, **(headers or {})}.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _send_fhir(self, status: int, resource: dict | None, headers: dict | None = None) -> None:
        body = b"" if resource is None else json.dumps(resource, ensure_ascii=False).encode("utf-8")
        self._send(status, body, FHIR_JSON, headers)

    def _send_error(self, exc: FhirError) -> None:
        self._send_fhir(exc.status, exc.outcome, exc.headers)

    def _send_html(self, status: int, html: str, headers: dict | None = None) -> None:
        self._send(status, html.encode("utf-8"), "text/html; charset=utf-8", {**HTML_HEADERS, **(headers or {})})

    def _redirect(self, location: str, headers: dict | None = None) -> None:
        self._send(303, b"", "text/plain; charset=utf-8", {"Location": location, **(headers or {})})

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            raise FhirError(411, "structure", "Send the body with a Content-Length (chunked bodies are not read).")
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            raise FhirError(400, "structure", "Content-Length is not a number.") from None
        if length > MAX_BODY:
            self.close_connection = True
            raise FhirError(413, "too-costly", f"The body is larger than {MAX_BODY // (1024 * 1024)} MiB.")
        self._body_read = True
        return self.rfile.read(length) if length > 0 else b""

    def _json(self) -> object:
        raw = self._body()
        if not raw.strip():
            raise FhirError(400, "required", "The request has no body: send a FHIR resource as JSON.")
        try:
            return json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise FhirError(400, "structure", f"The body is not valid JSON: {exc}.") from None
        except RecursionError:
            raise FhirError(422, "structure", f"The body is nested more than {checks.MAX_DEPTH} levels deep.") from None
        except ValueError as exc:  # NaN / Infinity, or an integer too long for Python to read
            raise FhirError(422, "value", f"The body holds a number that is not a finite value: {exc}.") from None

    def _bearer(self) -> str | None:
        header = self.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        return token.strip() if scheme.lower() == "bearer" and token.strip() else None

    def _cookie(self, name: str) -> str | None:
        raw = self.headers.get("Cookie")
        if not raw:
            return None
        try:
            jar = SimpleCookie(raw)
        except Exception:
            return None
        return jar[name].value if name in jar else None

    # -- dispatch ---------------------------------------------------------------------------------------------

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_HEAD(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def _dispatch(self, method: str) -> None:
        self._body_read = False
        url = urlsplit(self.path)
        path = url.path
        try:
            if path == "/fhir" or path.startswith("/fhir/"):
                self._fhir(method, path, url.query)
            elif path == "/dashboard/style.css" and method == "GET":
                self._send(200, views.STYLE.encode("utf-8"), "text/css; charset=utf-8",
                           {"Cache-Control": "max-age=3600"})
            elif path in ("/", "/dashboard/") and method == "GET":
                self._redirect("/dashboard")
            elif path == "/dashboard" or path.startswith("/dashboard/"):
                self._dashboard(method, path)
            else:
                raise FhirError(404, "not-found", f"Nothing at {path}: the FHIR API is under /fhir, "
                                "the dashboard under /dashboard.")
        except FhirError as exc:
            self._send_error(exc)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as exc:  # never leave a client without an answer
            self.log_message("internal error: %s", type(exc).__name__)  # never its text: it may quote health data
            self._send_error(FhirError(500, "exception", "The hub failed to process the request."))

    # -- FHIR -------------------------------------------------------------------------------------------------

    def _fhir_principal(self) -> Principal:
        principal = self.app.tokens.verify(self._bearer())
        if principal is None:
            raise FhirError(401, "login", "A valid token is required: send Authorization: Bearer <token> "
                            "(voice-assistant hub token add).",
                            headers={"WWW-Authenticate": 'Bearer realm="voice-assistant hub"'})
        return principal

    def _fhir(self, method: str, path: str, query: str) -> None:
        principal = self._fhir_principal()
        parts = [unquote(p) for p in path.split("/")[2:] if p]
        base = self._base_url()
        result: Result
        if not parts:
            if method != "POST":
                raise FhirError(405, "not-supported", "POST a batch or transaction Bundle to /fhir.")
            result = self.app.api.bundle(principal, self._json(), base)
        elif parts == ["metadata"] and method == "GET":
            result = Result(200, capability_statement(base))
        elif len(parts) == 1 and method == "POST":
            body = self._json()
            result = self.app.api.create(principal, parts[0], body, self.headers.get("If-None-Exist"), base)
            if "return=minimal" in (self.headers.get("Prefer") or ""):
                result = Result(result.status, None, result.headers)
        elif len(parts) == 1 and method == "PUT":
            body = self._json()
            result = self.app.api.conditional_update(principal, parts[0], query, body, base)
            if "return=minimal" in (self.headers.get("Prefer") or ""):
                result = Result(result.status, None, result.headers)
        elif len(parts) == 1 and method == "GET":
            result = self.app.api.search(principal, parts[0], parse_qsl(query, keep_blank_values=True), base)
        elif len(parts) == 2 and parts[1] == "_search" and method == "POST":
            form = parse_qsl(self._body().decode("utf-8", "replace"), keep_blank_values=True)
            result = self.app.api.search(principal, parts[0], parse_qsl(query, keep_blank_values=True) + form, base)
        elif len(parts) == 2 and method == "GET":
            result = self.app.api.read(principal, parts[0], parts[1], base)
        else:
            raise FhirError(405, "not-supported", f"{method} {path} is not supported: this hub creates (POST), "
                            "updates by identifier (conditional update: PUT Type?identifier=system|value), "
                            "reads and searches (GET); it never updates by id or deletes.")
        self._send_fhir(result.status, result.body, result.headers)

    # -- dashboard --------------------------------------------------------------------------------------------

    def _dashboard_principal(self) -> tuple[Principal | None, str | None]:
        """(principal, session): from the Authorization header, else from the session cookie."""
        bearer = self._bearer()
        if bearer:
            return self.app.tokens.verify(bearer), None
        session = self._cookie(SESSION_COOKIE)
        principal = self.app.tokens.session_principal(session)
        return principal, (session if principal else None)

    def _login_required(self, error: str | None = None, status: int = 401) -> None:
        self._send_html(status, views.login_page(self.app.words, error),
                        {"WWW-Authenticate": 'Bearer realm="voice-assistant hub"'} if status == 401 else None)

    def _form(self) -> dict[str, str]:
        return dict(parse_qsl(self._body().decode("utf-8", "replace"), keep_blank_values=True))

    def _dashboard(self, method: str, path: str) -> None:
        words = self.app.words
        if path == "/dashboard/login" and method == "POST":
            principal = self.app.tokens.verify(self._form().get("token"))
            if principal is None:
                return self._login_required(words("signin_bad"))
            if not principal.is_clinician:
                return self._login_required(words("signin_device"), status=403)
            session = self.app.tokens.open_session(principal)
            cookie = (f"{SESSION_COOKIE}={session}; Path=/; HttpOnly; SameSite=Strict; "
                      f"Max-Age={SESSION_HOURS * 3600}" + ("; Secure" if self._https() else ""))
            return self._redirect("/dashboard", {"Set-Cookie": cookie})
        principal, session = self._dashboard_principal()
        if principal is None:
            return self._login_required()
        if not principal.is_clinician:
            return self._send_html(403, views.message_page(words, words("forbidden"), words("signin_device")))
        csrf = csrf_token(session) if session else None
        if method == "POST":
            form = self._form()
            if session is not None and form.get("csrf") != csrf:
                return self._send_html(403, views.message_page(words, words("forbidden"), "CSRF"))
        parts = [unquote(p) for p in path.split("/")[2:] if p]
        common = dict(signed_in=principal.name, csrf=csrf, can_sign_out=session is not None)
        now = self.app.clock()
        if not parts and method == "GET":
            summaries = summarize_all(self.app.db, now, self.app.days)
            return self._send_html(200, views.patients_page(words, summaries, self.app.days, **common))
        if parts == ["logout"] and method == "POST":
            self.app.tokens.close_session(session)
            return self._redirect("/dashboard", {"Set-Cookie": f"{SESSION_COOKIE}=; Path=/; Max-Age=0; "
                                                               "HttpOnly; SameSite=Strict"})
        if len(parts) in (2, 3) and parts[0] == "patients":
            patient = parts[1]
            summary = summarize_patient(self.app.db, patient, now, self.app.days)
            known = summary.readings or summary.alerts or summary.medications or summary.latest_arrival
            if not known:
                with self.app.db.connect() as conn:
                    known = conn.execute("SELECT 1 FROM resources WHERE patient=? LIMIT 1", (patient,)).fetchone()
            if not known:
                return self._send_html(404, views.message_page(words, words("not_found", patient=patient),
                                                               words("not_found", patient=patient), principal.name))
            if len(parts) == 2 and method == "GET":
                return self._send_html(200, views.patient_page(words, summary, self.app.days, self.app.local_tz,
                                                               now, **common))
            if len(parts) == 3 and parts[2] == "reviewed" and method == "POST":
                mark_reviewed(self.app.db, patient, principal.name)
                return self._redirect("/dashboard")
        raise FhirError(404, "not-found", f"Nothing at {method} {path}.")


class HubHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], app: HubApp, ssl_context: ssl.SSLContext | None = None,
                 quiet: bool = False, public_url: str | None = None):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.app = app
        self.quiet = quiet
        self.tls = ssl_context is not None
        super().__init__(address, HubHandler)
        host, port = self.server_address[0], self.server_address[1]
        shown = f"[{host}]" if ":" in host else host
        self.public_url = (public_url or f"{'https' if self.tls else 'http'}://{shown}:{port}").rstrip("/")
        if ssl_context is not None:
            self.socket = ssl_context.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)

    def finish_request(self, request, client_address) -> None:
        if isinstance(request, ssl.SSLSocket):  # the handshake runs in the request's thread, not in accept()
            request.settimeout(HubHandler.timeout)
            try:
                request.do_handshake()
            except (ssl.SSLError, OSError):
                return
        super().finish_request(request, client_address)

    def handle_error(self, request, client_address) -> None:
        if not self.quiet:
            super().handle_error(request, client_address)


def tls_context(certfile: str | Path, keyfile: str | Path | None = None) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(str(certfile), str(keyfile) if keyfile else None)
    return context


class HubServer:
    """The hub, ready to serve: `HubServer(db).start()` in a thread (tests), or `.serve_forever()`."""

    def __init__(self, db_path: str | Path, host: str = "127.0.0.1", port: int = 8790,
                 certfile: str | Path | None = None, keyfile: str | Path | None = None, lang: str = "fr",
                 clock: Callable[[], datetime] | None = None, local_tz: tzinfo | None = None, quiet: bool = False,
                 public_url: str | None = None):
        """`public_url`: the address devices and browsers reach the hub at (e.g. https://hub.example.org behind
        a TLS reverse proxy); links are built from it. Default: the address it listens on."""
        self.app = HubApp(db_path, lang=lang, clock=clock, local_tz=local_tz)
        context = tls_context(certfile, keyfile) if certfile else None
        self.httpd = HubHTTPServer((host, port), self.app, context, quiet=quiet, public_url=public_url)
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        return self.httpd.server_address[0]

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.httpd.tls else 'http'}://{host}:{self.port}"

    @property
    def fhir_base_url(self) -> str:
        return self.url + "/fhir"

    def serve_forever(self) -> None:
        try:
            self.httpd.serve_forever(poll_interval=0.5)
        finally:
            self.httpd.server_close()

    def start(self) -> "HubServer":
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="hub", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> "HubServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
