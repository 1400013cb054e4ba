"""A client of the app's socket that speaks the host<->app frames by hand and skips every
check of ``host.transport``: what a hostile or broken local program sends."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

from host import protocol

HOST_HELLO = {
    "protocol": protocol.SOCKET_PROTOCOL,
    "role": "host",
    "caller": {"family": "chromium", "extension": "jkdnicfhmapgokpkghnoknfplbgkmjan"},
    "pid": 1,
    "browser_exe": None,
}


class RawClient:
    def __init__(self, path: Path | str, hello: dict[str, object] | None = HOST_HELLO) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(str(path))
        self._frames = protocol.SocketFrames()
        self.closed = False
        if hello is not None:
            self.send(protocol.HELLO, 0, json.dumps(hello).encode())

    def send(self, kind: int, seq: int, payload: bytes) -> None:
        self.sock.sendall(protocol.socket_frame(kind, seq, payload))

    def request(self, seq: int, message: object) -> None:
        payload = message if isinstance(message, bytes) else json.dumps(message).encode()
        self.send(protocol.REQUEST, seq, payload)

    def receive(self, timeout: float = 5.0) -> tuple[int, int, bytes] | None:
        """The next frame; ``None`` once the app has closed the connection."""
        deadline = time.monotonic() + timeout
        while (frame := self._frames.next_frame()) is None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no frame from the app")
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(1 << 20)
            except ConnectionResetError:
                data = b""
            if not data:
                self.closed = True
                return None
            self._frames.feed(data)
        return frame

    def reply(self, timeout: float = 5.0) -> tuple[int, object]:
        """The next REPLY: its seq and parsed JSON."""
        frame = self.receive(timeout)
        assert frame is not None, "the app closed the connection"
        kind, seq, payload = frame
        assert kind == protocol.REPLY, (kind, payload)
        return seq, json.loads(payload)

    def until_closed(self, timeout: float = 10.0) -> list[tuple[int, int, bytes]]:
        """Every frame the app sends until it closes the connection."""
        frames = []
        deadline = time.monotonic() + timeout
        while (frame := self.receive(max(0.01, deadline - time.monotonic()))) is not None:
            frames.append(frame)
        return frames

    def close(self) -> None:
        self.sock.close()
