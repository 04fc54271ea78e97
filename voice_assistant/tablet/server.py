"""`voice-assistant tablet`: the talk page and its WebSocket, on one port, around the device's one Session.

HTTP (the page, its script and style, pairing) and the WebSocket share a `websockets` threading server. The live
loop (voice_assistant/live.py) runs the conversation exactly as `listen` does, with the page as its microphone and
speaker (link.py); the Session lives here, not in a connection, so a page that reconnects (a dropped Wi-Fi, a
reload, a new tab) continues the same conversation.

Who may connect: only addresses of the home network (else a 403 page), only under this device's own names or
addresses (DNS rebinding), the WebSocket only from the page's own origin and only with a paired cookie (else it
is closed with code 4401, which the page shows).
"""

from __future__ import annotations

import http
import logging
import queue
import ssl
import threading
import time
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve

from voice_assistant.assistant import Output, Session
from voice_assistant.dialogue.state import ANYTHING
from voice_assistant.live import LiveLoop, LiveOptions
from voice_assistant.tablet import messages, page
from voice_assistant.tablet.link import CLOSE_NOT_PAIRED, CLOSE_REPLACED, PageAudio, PageLink
from voice_assistant.tablet.network import Certificate, allowed_host, host_names, is_local_address, lan_addresses
from voice_assistant.tablet.pairing import PairingError, PairingStore

log = logging.getLogger(__name__)

COOKIE = "va_tablet"
COOKIE_MAX_AGE = 400 * 24 * 3600  #: the longest browsers keep a cookie; refreshed on every visit
MAX_FRAME = 64 * 1024  #: largest WebSocket message accepted (30 ms of audio is under 1 kB)


@dataclass(frozen=True)
class CannotHear:
    """No recogniser for the page's language yet: what the device says (ask for the model, write meanwhile) and
    the command that installs it. The page then shows both and takes typed sentences instead of the microphone."""

    said: str
    install: str


_TALK, _CONNECTED = object(), object()  #: typed mode: the Talk button; a page connected (both: say why no mic)


class TabletLoop(LiveLoop):
    """The live loop, telling the page each reply's words (what was heard, what is answered) before speaking it.
    With the page's screen reader speaking, the reply is only shown and announced: no voice over it; with no page
    open, nothing is synthesised (the words wait for the next page)."""

    def __init__(self, tablet: "TabletServer", *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.tablet = tablet

    def say(self, output: Output, skip: int = 0) -> bool:
        if not skip:  # a reply resumed after a cut (from sentence `skip`) is already on the page
            self.tablet.show(output)
        if not self.tablet.link.connected or not self.tablet.link.voice:  # nobody to hear it, or not in our voice
            if not skip:
                self.echo(output.text)
            return self.tablet.link.connected
        return super().say(output, skip)


class TabletServer:
    """Serves the page on `host`:`port` (HTTPS with `certificate`, else plain HTTP: loopback only) and runs
    `session` through the page. Call `start()`, then `run()` in the thread that made the session (its store is
    bound to that thread); `stop()` from anywhere."""

    def __init__(self, session: Session, pairing: PairingStore, *, host: str = "127.0.0.1", port: int = 0,
                 lang: str = "en", certificate: Certificate | None = None, options: LiveOptions | None = None,
                 echo=lambda text: None, cannot_hear: CannotHear | None = None):
        self.session = session
        self.cannot_hear = cannot_hear
        self._typed: queue.Queue = queue.Queue()  #: typed mode: sentences, _TALK and _CONNECTED, None to stop
        self.pairing = pairing
        self.lang = lang
        self.tls = certificate is not None
        self.names = host_names()
        self.link = PageLink()
        self.audio = PageAudio(self.link)
        self.state = "typing" if cannot_hear is not None else "waiting"
        self.last: messages.Reply | None = None
        self._replies = 0
        # push-to-talk; no barge-in by the wake phrase: the page's microphone is closed while it speaks
        options = options or LiveOptions(push_to_talk=True, barge_in_by_wake_phrase=False)
        self.loop = TabletLoop(self, session, options, self.audio.play, self.audio.open_microphone, echo=echo,
                               keys=None, on_state=self._on_state, can_speak=lambda: self.link.connected)
        context = None
        if certificate is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(certificate.cert_path, certificate.key_path)
        self.server: Server = serve(self._handle, host, port, ssl=context, process_request=self._http,
                                    max_size=MAX_FRAME, compression=None, logger=logging.getLogger(f"{__name__}.ws"),
                                    server_header=None)
        self.host, self.port = self.server.socket.getsockname()[:2]
        self._thread: threading.Thread | None = None
        self._stopped = False

    # --- addresses ------------------------------------------------------------------------------------------

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    @property
    def url(self) -> str:
        """The address to open: this device's LAN address when it listens on every interface."""
        host = self.host
        if host in ("0.0.0.0", "::"):
            host = (lan_addresses() or ["127.0.0.1"])[0]
        return f"{self.scheme}://{f'[{host}]' if ':' in host else host}:{self.port}"

    # --- running ----------------------------------------------------------------------------------------------

    def start(self) -> "TabletServer":
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True, name="tablet-http")
        self._thread.start()
        return self

    def run(self) -> None:
        """The conversation, until stop(). Run it in the thread that opened the session's store."""
        try:
            if self.cannot_hear is not None:
                self._run_typed()
            else:
                self.loop.run()
        finally:
            self.stop()

    def _run_typed(self) -> None:
        """No recogniser: the page's typed sentences are the patient's turns, in this same session; the replies
        are shown and spoken as usual. The Talk button, and each page that connects, hear why there is no
        microphone and which model to install."""
        self.loop.say(self.session.start())
        asking = False  #: the last reply awaits an answer: a page that reconnects keeps it on screen
        while not self.loop.stopped.is_set():
            try:
                item = self._typed.get(timeout=self.loop.options.idle_every_s)
            except queue.Empty:
                output = self.session.idle() if self.link.connected else None  # reminders wait for a page
                if output is not None:
                    self.loop.say(output)
                continue
            if item is None:
                break
            if item is _CONNECTED and asking:
                continue
            if item is _TALK or item is _CONNECTED:
                output = self.session.notice(self.cannot_hear.said)
            else:
                self._on_state("thinking")
                output = self.session.text(item)
                asking = output.reply.expects != ANYTHING
            self.loop.say(output)
            self._on_state("typing")

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self.loop.stopped.set()
        self.loop.talk_pressed.set()
        self._typed.put(None)
        connection = self.link.connection
        if connection is not None:
            try:
                connection.close(1001, "the assistant stopped")
            except Exception:
                pass
        self.server.shutdown()

    # --- what the loop tells the page ---------------------------------------------------------------------------

    def show(self, output: Output) -> None:
        """A reply is about to be spoken: its words (and what was heard) to the page, kept for a page that
        connects later."""
        self._replies += 1
        heard = output.transcript.text if output.transcript is not None else None
        if heard is None and output.turn is not None:  # a typed sentence
            heard = output.turn.heard
        self.last = messages.Reply(self._replies, output.text, heard)
        self.link.send(self.last)

    def _on_state(self, state: str) -> None:
        self.state = state
        self.audio.listening = state == "listening"
        self.link.send(messages.State(state))

    # --- HTTP ------------------------------------------------------------------------------------------------

    def _respond(self, status: int, body: str | bytes, content_type: str = "text/html; charset=utf-8",
                 extra: list[tuple[str, str]] | None = None, host: str = "") -> Response:
        data = body.encode("utf-8") if isinstance(body, str) else body
        sockets = f" ws://{host} wss://{host}" if host else ""
        headers = Headers([
            ("Content-Type", content_type), ("Content-Length", str(len(data))), ("Connection", "close"),
            ("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "no-referrer"),
            ("X-Frame-Options", "DENY"), ("Permissions-Policy", "microphone=(self), camera=(), geolocation=()"),
            ("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
             f"connect-src 'self'{sockets}; media-src 'self' blob:; form-action 'self'; base-uri 'none'; "
             "frame-ancestors 'none'"),
        ])
        if self.tls:
            headers["Strict-Transport-Security"] = "max-age=31536000"
        for name, value in extra or []:
            headers[name] = value
        return Response(status, http.HTTPStatus(status).phrase, headers, data)

    def _token(self, request: Request) -> str | None:
        try:
            cookie = SimpleCookie(request.headers.get("Cookie", ""))
        except CookieError:
            return None
        morsel = cookie.get(COOKIE)
        return morsel.value if morsel is not None else None

    def _cookie(self, token: str) -> tuple[str, str]:
        secure = "; Secure" if self.tls else ""
        return ("Set-Cookie", f"{COOKIE}={token}; Max-Age={COOKIE_MAX_AGE}; Path=/; HttpOnly; SameSite=Strict{secure}")

    def _http(self, connection: ServerConnection, request: Request) -> Response | None:
        host = request.headers.get("Host", "")
        if not is_local_address(connection.remote_address[0]):
            log.warning("refused %s: not on the home network", connection.remote_address[0])
            return self._respond(403, page.refused_page(self.lang))
        if not allowed_host(host, self.names):
            return self._respond(421, page.refused_page(self.lang))
        parts = urlsplit(request.path)
        if parts.path == "/ws":
            if request.headers.get("Origin") != f"{self.scheme}://{host}":
                return self._respond(403, "This connection must come from the tablet page.",
                                     "text/plain; charset=utf-8")
            return None  # the WebSocket handshake goes on; _handle checks the pairing
        if parts.path == "/":
            token = self._token(request)
            if self.pairing.verify(token):
                return self._respond(200, page.talk_page(self.lang, self.cannot_hear), extra=[self._cookie(token)], host=host)
            return self._respond(200, page.pairing_page(self.lang), host=host)
        if parts.path == "/pair":
            code = (parse_qs(parts.query).get("code") or [""])[0]
            try:
                token = self.pairing.redeem(code)
            except PairingError as exc:
                error = page.pairing_error(self.lang, exc.reason, exc.attempts_left)
                return self._respond(403, page.pairing_page(self.lang, error), host=host)
            return self._respond(303, "", extra=[("Location", "/"), self._cookie(token)], host=host)
        if parts.path == "/favicon.ico":
            return self._respond(204, "")
        if parts.path.startswith("/static/"):
            found = page.static_file(parts.path[len("/static/"):])
            if found is not None:
                return self._respond(200, found[0], found[1], host=host)
        return self._respond(404, "Not found", "text/plain; charset=utf-8")

    # --- WebSocket --------------------------------------------------------------------------------------------

    def _handle(self, connection: ServerConnection) -> None:
        tablet = self.pairing.verify(self._token(connection.request))
        if tablet is None:
            connection.close(CLOSE_NOT_PAIRED, "not paired")
            return
        replaced = self.link.attach(connection)
        if replaced is not None:
            try:
                replaced.close(CLOSE_REPLACED, "opened on another screen")
            except Exception:
                pass
        log.info("%s connected", tablet)
        self._watch_revocation(connection)
        self.link.send(messages.Welcome(self.state, self.lang, self.last), connection=connection)
        if self.cannot_hear is not None:
            self._typed.put(_CONNECTED)
        try:
            for message in connection:
                if self.link.connection is not connection:
                    break
                if isinstance(message, bytes):
                    self.audio.frame(message)
                else:
                    self._message(connection, message)
        except ConnectionClosed:
            pass
        finally:
            self.link.detach(connection)
            if self.link.connection is None and self.session.endpointer.held:
                self.loop.release()  # the page went away with the button down: the turn ends with what was heard
            log.info("%s disconnected", tablet)

    #: how often an open connection's tablet is checked against the pairing file (a revoke in another process)
    REVOCATION_CHECK_S = 0.5

    def _watch_revocation(self, connection: ServerConnection) -> None:
        """Close the connection as soon as its tablet is revoked (`voice-assistant tablet revoke`, another
        process): no audio in and no reply out after that, not even until the next "talk"."""
        token = self._token(connection.request)

        def watch() -> None:
            while not self._stopped and connection.state.name == "OPEN":
                time.sleep(self.REVOCATION_CHECK_S)
                try:
                    paired = self.pairing.is_paired(token)
                except Exception:  # noqa: BLE001 - a busy file is checked again next time
                    continue
                if not paired:
                    self.link.detach(connection)
                    try:
                        connection.close(CLOSE_NOT_PAIRED, "revoked")
                    except Exception:  # noqa: BLE001
                        pass
                    return

        threading.Thread(target=watch, daemon=True, name="tablet-revocation").start()

    def _message(self, connection: ServerConnection, text: str) -> None:
        message = messages.parse(text)
        if isinstance(message, messages.Talk):
            if self.pairing.verify(self._token(connection.request)) is None:  # revoked meanwhile
                connection.close(CLOSE_NOT_PAIRED, "not paired")
                return
            if self.cannot_hear is not None:
                self._typed.put(_TALK)  # nothing to record with: say why, and how to write instead
            else:
                self.loop.press()
        elif isinstance(message, messages.Text):
            if self.cannot_hear is None:
                return  # the page offers typing only while the device cannot hear
            if self.pairing.verify(self._token(connection.request)) is None:  # revoked meanwhile
                connection.close(CLOSE_NOT_PAIRED, "not paired")
                return
            self._typed.put(message.text)
        elif isinstance(message, messages.Hold):  # the Talk button still down: the turn lasts until "release"
            if self.cannot_hear is None:
                self.loop.hold()
        elif isinstance(message, messages.Release):
            if self.cannot_hear is None:
                self.loop.release()
        elif isinstance(message, messages.Stop):
            self.loop.stop_speaking.set()
        elif isinstance(message, messages.Played):
            self.link.played(message.id, message.completed)
        elif isinstance(message, messages.Settings):
            self.link.voice = message.voice
        elif isinstance(message, messages.Mic):
            log.info("the page's microphone: %s", message.error)
