"""Routes each request from a host to the handler registered for its ``type``.

Plain Python, no widgets: the socket server feeds it frames, handlers answer through
``Request.reply_*``, exactly once. An unknown type, a bad field or an untrusted caller
gets a stable error code, never an exception.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from host import protocol
from host.protocol import RequestId

log = logging.getLogger(__name__)

BROWSER_NAMES = {"chromium": "a Chromium-family browser", "firefox": "a Firefox-family browser"}


@dataclass(frozen=True)
class Caller:
    """Who asks, as the host learned it from the browser's command line."""

    family: str
    extension: str
    browser: str = ""
    """Display name of the browser ("Chromium", "Firefox"), or the family's generic name."""

    @property
    def label(self) -> str:
        return self.browser or BROWSER_NAMES.get(self.family, "an unknown program")


class Client(Protocol):
    """One connection to the app: a host relaying for a browser, or the command line."""

    @property
    def client_id(self) -> int: ...

    @property
    def caller(self) -> Caller: ...

    def send_reply(self, seq: int, payload: bytes) -> None: ...


class BadRequest(Exception):
    """A request the contract does not allow; the message names the offending field."""


@dataclass(eq=False)
class Request:
    """One request waiting for its single reply."""

    client: Client
    seq: int
    rid: RequestId
    type: str
    fields: dict[str, Any]
    answered: bool = field(default=False)

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
        self.client.send_reply(self.seq, payload)


Validator = Callable[[dict[str, Any]], dict[str, Any]]
Handler = Callable[[Request], None]


def only_fields(allowed: set[str]) -> Validator:
    """A validator for requests whose only fields are ``allowed`` (besides type and id)."""

    def validate(message: dict[str, Any]) -> dict[str, Any]:
        for name in message:
            if name not in allowed and name not in ("type", "id"):
                raise BadRequest(f"unknown field {name!r}")
        return {name: message[name] for name in allowed if name in message}

    return validate


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def parse_request(payload: bytes) -> Any:
    """The JSON value of a request frame: strict UTF-8 and strict JSON (no NaN)."""
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadRequest(f"the request is not valid UTF-8: {error}") from None
    try:
        return _DECODER.decode(text)
    except ValueError as error:
        raise BadRequest(f"the request is not valid JSON: {error}") from None


class Dispatcher:
    """The table of request types, and the checks every request passes first.

    ``is_allowed`` is asked on the socket thread too (``answer_now``): it must be safe
    to call from any thread."""

    def __init__(self, is_allowed: Callable[[Caller], bool]) -> None:
        self._is_allowed = is_allowed
        self._table: dict[str, tuple[Validator, Handler]] = {}
        self._any_thread: set[str] = set()
        self._gone_listeners: list[Callable[[Client], None]] = []

    def register(
        self, type_: str, validate: Validator, handler: Handler, *, any_thread: bool = False
    ) -> None:
        """``any_thread``: the handler touches nothing of the GUI thread, so the socket
        thread may run it (``answer_now``)."""
        if type_ in self._table:
            raise ValueError(f"request type {type_!r} registered twice")
        self._table[type_] = (validate, handler)
        if any_thread:
            self._any_thread.add(type_)

    def on_client_gone(self, listener: Callable[[Client], None]) -> None:
        self._gone_listeners.append(listener)

    def client_gone(self, client: Client) -> None:
        for listener in self._gone_listeners:
            listener(client)

    def handle(self, client: Client, seq: int, payload: bytes) -> None:
        """Answer (now or later) the request ``payload`` that ``client`` sent as ``seq``."""
        self._handle(client, seq, payload, on_gui_thread=True)

    def answer_now(self, client: Client, seq: int, payload: bytes) -> bool:
        """On any thread: answer the request if that needs no handler that was registered
        for the GUI thread only (a malformed or untrusted request needs none); say whether
        it did. The one it leaves goes to ``handle`` on the GUI thread."""
        return self._handle(client, seq, payload, on_gui_thread=False)

    def _handle(self, client: Client, seq: int, payload: bytes, *, on_gui_thread: bool) -> bool:
        try:
            message = parse_request(payload)
        except BadRequest as error:
            client.send_reply(seq, protocol.error_reply(None, protocol.BAD_REQUEST, str(error)))
            return True
        if message == "ping":
            client.send_reply(seq, b'"pong"')
            return True
        rid = protocol.request_id(message)
        request = Request(client, seq, rid, "", {})
        try:
            request.type, request.fields, handler = self._check(client, message)
        except BadRequest as error:
            request.reply_error(protocol.BAD_REQUEST, str(error))
            return True
        except UntrustedCaller as error:
            request.reply_error(protocol.UNTRUSTED_EXTENSION, str(error))
            return True
        if not on_gui_thread and request.type not in self._any_thread:
            return False
        try:
            handler(request)
        except Exception:
            log.exception("handler for %r failed", request.type)
            if not request.answered:
                request.reply_error(protocol.INTERNAL, "Bridgekeeper failed; see its log")
        return True

    def _check(self, client: Client, message: Any) -> tuple[str, dict[str, Any], Handler]:
        if not isinstance(message, dict):
            raise BadRequest('a request must be a JSON object (or the string "ping")')
        if "id" in message and protocol.request_id(message) is None:
            raise BadRequest(
                f"field 'id' must be a string of at most {protocol.MAX_ID_LENGTH} "
                "characters or an integer"
            )
        if not self._is_allowed(client.caller):
            caller = client.caller
            raise UntrustedCaller(
                f"extension {caller.extension!r} ({caller.family}) is not allowed to use "
                "Bridgekeeper; allow it with `bridgekeeper install --extension "
                f"{caller.extension or 'ID'}`"
            )
        type_ = message.get("type")
        if not isinstance(type_, str):
            raise BadRequest("field 'type' is required and must be a string")
        entry = self._table.get(type_)
        if entry is None:
            raise BadRequest(f"unknown type {type_[:100]!r}")
        validate, handler = entry
        return type_, validate(message), handler


class UntrustedCaller(Exception):
    """The caller is not in the allowed list."""
