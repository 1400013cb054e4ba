"""Checks every request from a host and runs the handler registered for its ``type``.

Plain Python, no widgets: the router hands it request frames; handlers answer through
``Request.reply_*``, exactly once. An unknown type, a bad field or an untrusted caller
gets a stable error code, never an exception. A request is parsed and checked once, on
the socket thread (``accept``); its handler then runs there or on the GUI thread
(``run``), as it was registered.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from host import protocol
from host.caller import Caller
from host.protocol import RequestId

log = logging.getLogger(__name__)


class Client(Protocol):
    """One connection to the app: a host relaying for a browser, or the command line."""

    @property
    def client_id(self) -> int: ...

    @property
    def caller(self) -> Caller: ...

    def send_reply(self, seq: int, payload: bytes) -> None: ...


class BadRequest(Exception):
    """A request the contract does not allow; the message names the offending field."""


class UntrustedCaller(Exception):
    """The caller is not in the allowed list."""


Validator = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(eq=False)
class Request:
    """One request waiting for its single reply."""

    client: Client
    seq: int
    rid: RequestId
    type: str = ""
    fields: dict[str, Any] = field(default_factory=dict)
    handler: Handler | None = None
    answered: bool = False

    @property
    def caller(self) -> Caller:
        return self.client.caller

    def reply_ok(self, result: dict[str, Any]) -> None:
        self._send(protocol.ok_reply(self.rid, result))

    def reply_error(self, code: str, message: str) -> None:
        self._send(protocol.error_reply(self.rid, code, message))

    def _send(self, payload: bytes) -> None:
        if self.answered:
            log.error("request %s of client %s answered twice", self.rid, self.client.client_id)
            return
        self.answered = True
        if len(payload) > protocol.MAX_REPLY_BYTES:
            # Browsers refuse a larger message; the extension hears why instead.
            log.warning("a %s reply of %d bytes replaced by too_large", self.type, len(payload))
            payload = protocol.error_reply(
                self.rid,
                protocol.TOO_LARGE,
                f"the reply is {len(payload)} bytes; browsers accept at most "
                f"{protocol.MAX_REPLY_BYTES} bytes",
            )
        self.client.send_reply(self.seq, payload)


Handler = Callable[[Request], None]


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def parse_request(payload: bytes) -> Any:
    """The JSON value of a request frame: strict UTF-8 and strict JSON (no NaN).

    Any frame at all either parses or raises ``BadRequest``: invalid UTF-8, nesting deeper
    than the parser goes (``RecursionError``), a number too long to convert, or anything
    else the parser may raise. Duplicate keys keep the last value; a lone surrogate
    (``"\\ud800"``) is a string like any other, and replies stay ASCII."""
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadRequest(f"the request is not valid UTF-8: {error}") from None
    try:
        return _DECODER.decode(text)
    except RecursionError:
        raise BadRequest("the request is nested too deeply") from None
    except ValueError as error:
        raise BadRequest(f"the request is not valid JSON: {error}") from None
    except Exception as error:  # MemoryError and the like: still one reply
        raise BadRequest(f"the request cannot be read: {type(error).__name__}") from None


class Dispatcher:
    """The table of request types, and the checks every request passes first.

    ``is_allowed`` is asked on the socket thread: it must be safe to call from any
    thread."""

    def __init__(self, is_allowed: Callable[[Caller], bool]) -> None:
        self._is_allowed = is_allowed
        self._table: dict[str, tuple[Validator, Handler]] = {}
        self._any_thread: set[str] = set()

    def register(
        self, type_: str, validate: Validator, handler: Handler, *, any_thread: bool = False
    ) -> None:
        """``any_thread``: the handler touches nothing of the GUI thread, so it runs on the
        socket thread, at once."""
        if type_ in self._table:
            raise ValueError(f"request type {type_!r} registered twice")
        self._table[type_] = (validate, handler)
        if any_thread:
            self._any_thread.add(type_)

    def accept(self, client: Client, seq: int, payload: bytes) -> Request | None:
        """On any thread: parse and check the request ``payload`` that ``client`` sent as
        ``seq``. A malformed or untrusted request is answered here, and so is one whose
        handler may run on any thread. Returns the checked request whose handler must run
        on the GUI thread (pass it to ``run``), or ``None``."""
        try:
            message = parse_request(payload)
        except BadRequest as error:
            client.send_reply(seq, protocol.error_reply(None, protocol.BAD_REQUEST, str(error)))
            return None
        if message == "ping" and self._is_allowed(client.caller):
            client.send_reply(seq, b'"pong"')  # MDN's ping_pong; others: untrusted_extension
            return None
        request = Request(client, seq, protocol.request_id(message))
        try:
            request.type, request.fields, request.handler = self._check(client, message)
        except BadRequest as error:
            request.reply_error(protocol.BAD_REQUEST, str(error))
            return None
        except UntrustedCaller as error:
            request.reply_error(protocol.UNTRUSTED_EXTENSION, str(error))
            return None
        except RecursionError:  # a validator walking a value nested too deeply
            request.reply_error(protocol.BAD_REQUEST, "the request is nested too deeply")
            return None
        except Exception:
            log.exception("checking a request failed")
            request.reply_error(protocol.INTERNAL, "Bridgekeeper failed; see its log")
            return None
        if request.type in self._any_thread:
            self.run(request)
            return None
        return request

    def run(self, request: Request) -> None:
        """Run the handler of a request ``accept`` returned (on the GUI thread)."""
        assert request.handler is not None
        try:
            request.handler(request)
        except Exception:
            log.exception("handler for %r failed", request.type)
            if not request.answered:
                request.reply_error(protocol.INTERNAL, "Bridgekeeper failed; see its log")

    def handle(self, client: Client, seq: int, payload: bytes) -> None:
        """``accept`` then ``run``, on the GUI thread."""
        request = self.accept(client, seq, payload)
        if request is not None:
            self.run(request)

    def _check(self, client: Client, message: Any) -> tuple[str, dict[str, Any], Handler]:
        if not self._is_allowed(client.caller):  # before anything else: it learns nothing more
            caller = client.caller
            raise UntrustedCaller(
                f"extension {caller.extension!r} ({caller.family}) is not allowed to use "
                "Bridgekeeper; allow it with `bridgekeeper install --extension "
                f"{caller.extension or 'ID'}`"
            )
        if not isinstance(message, dict):
            raise BadRequest('a request must be a JSON object (or the string "ping")')
        if "id" in message and protocol.request_id(message) is None:
            raise BadRequest(
                f"field 'id' must be a string of at most {protocol.MAX_ID_LENGTH} "
                "characters or an integer"
            )
        type_ = message.get("type")
        if not isinstance(type_, str):
            raise BadRequest("field 'type' is required and must be a string")
        entry = self._table.get(type_)
        if entry is None:
            raise BadRequest(f"unknown type {type_[:100]!r}")
        validate, handler = entry
        return type_, validate(message), handler
