"""The first stop of every frame a client sends, once the socket server has split it:
a host's requests go to the dispatcher, the command line's commands to the control table.

The router also decides the thread: what needs nothing of the GUI thread is answered on
the socket thread at once; the rest comes back as work for the GUI thread, which the
server runs there in arrival order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

from app.core.control import ControlError, ControlTable
from app.core.dispatch import BadRequest, Client, Dispatcher, parse_request
from app.core.listeners import Listeners
from host import protocol
from host.caller import Caller

log = logging.getLogger(__name__)

HOST = "host"
CONTROL = "control"
ROLES = (HOST, CONTROL)

Work = Callable[[], None]
"""What the GUI thread runs for a frame the socket thread could not answer."""

BrowserLabel = Callable[[str | None, str], str]
"""The display name of a browser from its executable's path and family ("" unknown)."""


class Peer(Client, Protocol):
    """A client as the router sees it: a ``Client`` with the role its hello gave."""

    @property
    def role(self) -> str: ...


class Router:
    """Routes frames by the client's role. ``closed`` hears each host connection that is
    gone (its pending requests are to be cancelled), on the GUI thread."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        controls: ControlTable,
        browser_label: BrowserLabel = lambda _executable, _family: "",
    ) -> None:
        self._dispatcher = dispatcher
        self._controls = controls
        self._browser_label = browser_label
        self.closed: Listeners[[Client]] = Listeners("closed host connections")

    def identify(self, hello: dict[str, Any]) -> Caller:
        """The caller a host's hello describes (the command line's has none); unknown
        unless family and extension are strings, as the host writes them."""
        caller = hello.get("caller")
        if not isinstance(caller, dict):
            return Caller("unknown", "")
        family = caller.get("family", "unknown")
        extension = caller.get("extension", "")
        if not isinstance(family, str) or not isinstance(extension, str):
            return Caller("unknown", "")
        executable = hello.get("browser_exe")
        try:
            browser = self._browser_label(
                executable if isinstance(executable, str) else None, family
            )
        except Exception:
            log.exception("naming the browser failed")
            browser = ""
        return Caller(family, extension, browser=browser)

    def on_request(self, client: Peer, seq: int, payload: bytes) -> Work | None:
        """On the socket thread: answer ``payload`` now, or return the work that answers it
        on the GUI thread."""
        if client.role == CONTROL:
            return self._control(client, seq, payload)
        request = self._dispatcher.accept(client, seq, payload)
        if request is None:
            return None
        return lambda: self._dispatcher.run(request)

    def on_closed(self, client: Peer) -> None:
        """On the GUI thread, once per client, after its last request."""
        if client.role == HOST:
            self.closed.emit(client)

    def _control(self, client: Peer, seq: int, payload: bytes) -> Work | None:
        try:
            message = parse_request(payload)
        except BadRequest as error:
            client.send_reply(seq, protocol.error_reply(None, protocol.BAD_REQUEST, str(error)))
            return None
        name = message.get("command") if isinstance(message, dict) else None
        if not isinstance(name, str):
            reply = protocol.error_reply(
                None, protocol.BAD_REQUEST, "a command is an object with a string 'command'"
            )
            client.send_reply(seq, reply)
            return None
        handler = self._controls.get(name)
        if handler is None:
            reply = protocol.error_reply(
                None, protocol.BAD_REQUEST, f"unknown command {name[:100]!r}"
            )
            client.send_reply(seq, reply)
            return None

        def run() -> None:
            try:
                reply = protocol.ok_reply(None, handler(message))
            except ControlError as error:
                reply = protocol.error_reply(None, error.code, str(error))
            except Exception:
                log.exception("control command %r failed", name)
                reply = protocol.error_reply(
                    None, protocol.INTERNAL, "the command failed; see Bridgekeeper's log"
                )
            client.send_reply(seq, reply)

        if self._controls.any_thread(name):
            run()
            return None
        return run
