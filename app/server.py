"""The app's local socket: accepts hosts and command-line clients, parses their frames
(``host.protocol``) and emits them; it decides nothing itself."""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Callable
from typing import Any, Protocol

from PySide6.QtCore import QObject
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from app.core.dispatch import Caller
from host import protocol

log = logging.getLogger(__name__)

MAX_INBOUND_FRAME = protocol.MAX_VALID_REQUEST_BYTES
"""Hosts never forward larger requests, so a larger frame means a broken peer."""

_ids = itertools.count(1)


class ListenError(Exception):
    """The socket could not be opened."""


class Listener(Protocol):
    """What the server tells about its clients (called directly: the request path is hot)."""

    def on_request(self, connection: Connection, seq: int, payload: bytes) -> None:
        """A REQUEST frame after a valid hello."""

    def on_closed(self, connection: Connection) -> None:
        """Once when the client is gone, whatever the reason. After an ``END`` frame,
        replies sent from here still reach the host; after a disconnect, they are dropped."""


class Connection:
    """One client on the socket. Implements ``app.core.dispatch.Client``."""

    def __init__(
        self,
        socket: QLocalSocket,
        on_request: Callable[[Connection, int, bytes], None],
        on_closed: Callable[[Connection], None],
    ) -> None:
        self._socket = socket
        self._on_request = on_request
        self._on_closed = on_closed
        self._buffer = bytearray()
        self._id = next(_ids)
        self._caller = Caller(family="unknown", extension="")
        self.role = ""
        self.hello: dict[str, Any] = {}
        self._gone = False
        socket.readyRead.connect(self._read)
        socket.disconnected.connect(self._on_disconnected)

    @property
    def client_id(self) -> int:
        return self._id

    @property
    def caller(self) -> Caller:
        return self._caller

    @property
    def is_open(self) -> bool:
        return not self._gone

    def send_reply(self, seq: int, payload: bytes) -> None:
        if self._gone:
            return
        self._socket.write(protocol.socket_frame(protocol.REPLY, seq, payload))
        self._socket.flush()

    def abort(self, reason: str) -> None:
        log.warning("client %s: %s; closing it", self._id, reason)
        self._socket.abort()
        self._on_disconnected()

    def _read(self) -> None:
        self._buffer += self._socket.readAll().data()
        header = protocol.SOCKET_HEADER
        while len(self._buffer) >= header.size and not self._gone:
            kind, seq, length = header.unpack_from(self._buffer)
            if length > MAX_INBOUND_FRAME:
                self.abort(f"frame of {length} bytes is over the limit")
                return
            end = header.size + length
            if len(self._buffer) < end:
                return
            payload = bytes(self._buffer[header.size : end])
            del self._buffer[:end]
            self._frame(kind, seq, payload)

    def _frame(self, kind: int, seq: int, payload: bytes) -> None:
        if not self.role:
            if kind != protocol.HELLO:
                self.abort("first frame is not a hello")
                return
            self._greet(payload)
        elif kind == protocol.REQUEST:
            self._on_request(self, seq, payload)
        elif kind == protocol.END:
            self._end()
        else:
            self.abort(f"unexpected frame kind {kind}")

    def _greet(self, payload: bytes) -> None:
        try:
            hello = json.loads(payload)
            version = hello["protocol"]
            role = hello["role"]
            caller = hello.get("caller") or {}
        except (ValueError, KeyError, TypeError):
            self._refuse("the hello frame is not valid")
            return
        if version != protocol.SOCKET_PROTOCOL:
            self._refuse(
                f"this app speaks socket protocol {protocol.SOCKET_PROTOCOL}, the host "
                f"speaks {version}; reinstall so that both come from the same version"
            )
            return
        if role not in ("host", "control") or not isinstance(caller, dict):
            self._refuse("the hello frame is not valid")
            return
        self.role = role
        self.hello = hello
        self._caller = Caller(
            family=str(caller.get("family", "unknown")),
            extension=str(caller.get("extension", "")),
            browser=browser_name(hello.get("browser_exe"), str(caller.get("family"))),
        )
        log.info(
            "client %s: %s for %s extension %r (pid %s)",
            self._id,
            role,
            self._caller.family,
            self._caller.extension,
            hello.get("pid"),
        )

    def _refuse(self, message: str) -> None:
        reply = protocol.encode_json({"code": "refused", "message": message})
        self._socket.write(protocol.socket_frame(protocol.REFUSED, 0, reply))
        self._socket.flush()
        self._socket.disconnectFromServer()
        log.warning("client %s refused: %s", self._id, message)

    def _end(self) -> None:
        """The browser's input ended: listeners answer what is pending, then we close."""
        if self._gone:
            return
        self._on_closed(self)
        self._gone = True
        self._socket.disconnectFromServer()
        self._socket.deleteLater()

    def _on_disconnected(self) -> None:
        if self._gone:
            return
        self._gone = True
        self._on_closed(self)
        self._socket.deleteLater()


_BROWSER_NAMES = {
    "chrome": "Google Chrome",
    "chromium": "Chromium",
    "msedge": "Microsoft Edge",
    "brave": "Brave",
    "vivaldi": "Vivaldi",
    "opera": "Opera",
    "firefox": "Firefox",
    "firefox-esr": "Firefox ESR",
    "librewolf": "LibreWolf",
    "waterfox": "Waterfox",
}


def browser_name(executable: object, family: str) -> str:
    """A display name for the browser that started the host, from its executable path."""
    if not isinstance(executable, str) or not executable:
        return ""
    base = executable.replace("\\", "/").rsplit("/", 1)[-1].lower().removesuffix(".exe")
    for key in sorted(_BROWSER_NAMES, key=len, reverse=True):
        if base == key or base.startswith(key + "-") or base.startswith(key + "_"):
            return _BROWSER_NAMES[key]
    if "tor" in executable.lower() and family == "firefox":
        return "Tor Browser"
    return ""


class SocketServer(QObject):
    """Listens on the app's socket and hands each client over as a ``Connection``."""

    def __init__(self, path: str, listener: Listener, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._path = path
        self._listener = listener
        self._connections: set[Connection] = set()
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._accept)

    def listen(self) -> None:
        """Listen on the path; the caller holds the instance lock, so a file there is stale."""
        QLocalServer.removeServer(self._path)
        if not self._server.listen(self._path):
            raise ListenError(f"cannot listen on {self._path}: {self._server.errorString()}")
        log.info("listening on %s", self._path)

    def close(self) -> None:
        self._server.close()

    def _accept(self) -> None:
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            self._connections.add(Connection(socket, self._listener.on_request, self._closed))

    def _closed(self, connection: Connection) -> None:
        self._connections.discard(connection)
        self._listener.on_closed(connection)
