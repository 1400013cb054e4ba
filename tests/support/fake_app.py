"""A FAKE app: a stdlib server speaking the host<->app socket protocol, scripted by a test.

Only for what the real app cannot be made to do on purpose (send a reply over the
browser limit, hold a request and then vanish). Everything else runs against the real app.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from host import protocol

Script = Callable[[socket.socket, int, Any], None]
"""Called for each REQUEST frame: (connection, seq, parsed request)."""


class FakeApp:
    def __init__(self, path: Path, on_request: Script) -> None:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(str(path))
        self._server.listen(64)
        self._on_request = on_request
        self.connections: list[socket.socket] = []
        self.hellos: list[dict[str, Any]] = []
        self.probes: list[float] = []
        """When each ALIVE arrived (``time.monotonic()``); never answered, as by a stopped
        app."""
        self.ended = threading.Event()
        self.frames: list[tuple[int, int, int]] = []
        """Every frame's header as received, in order: (kind, seq, length)."""
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            self.connections.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb")
        try:
            while header := reader.read(protocol.SOCKET_HEADER.size):
                kind, seq, length = protocol.SOCKET_HEADER.unpack(header)
                payload = reader.read(length)
                self.frames.append((kind, seq, length))
                if kind == protocol.HELLO:
                    self.hellos.append(json.loads(payload))
                elif kind == protocol.REQUEST:
                    self._on_request(conn, seq, json.loads(payload))
                elif kind == protocol.END:
                    self.ended.set()
                elif kind == protocol.ALIVE:
                    self.probes.append(time.monotonic())
        except OSError:
            pass

    @staticmethod
    def reply(conn: socket.socket, seq: int, payload: bytes) -> None:
        conn.sendall(protocol.socket_frame(protocol.REPLY, seq, payload))

    def crash(self) -> None:
        """Vanish like a killed app: every connection and the listener close at once."""
        for conn in self.connections:
            conn.shutdown(socket.SHUT_RDWR)
            conn.close()
        self._server.close()
