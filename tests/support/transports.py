"""The app's local transport as the contract tests see it, once per kind: the Unix socket
(POSIX) and the named pipe (Windows). Each ``Transport`` gives an address in a private
folder, the client's ``connect`` (the public surface: a link with ``send``, ``receive``,
``receive_ready``, ``settimeout``, ``close``), a way to wait until a link has something
to read, and ``serve``: a real server at that address, ``FrameServer``.

``FrameServer`` runs the readiness loop the app's socket thread runs (``app.qt.server``:
``poll``, non-blocking ``accept``/``recv``/``send``) over either transport: on Windows it
drives ``app.system.pipe_server``, the app's own pipe end. It answers each REQUEST with a
REPLY of the same ``seq``; a request's JSON may ask for something else:

- ``{"size": N}``: a reply of N bytes (``"oversize": true``: a header over the limit);
- ``{"close": true}``: reply, then close the connection once the reply is written;
- ``{"silent": true}``: no reply.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import socket
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from host import protocol
from host.transport import AppLink
from tests.support.harness import short_temp_dir

READ, WRITE = 0x001, 0x004  # POLLIN, POLLOUT


class Link(Protocol):
    alive: bool

    def send(self, kind: int, seq: int, payload: bytes) -> None: ...

    def receive(self) -> tuple[int, int, bytes] | None: ...

    def receive_ready(self) -> list[tuple[int, int, bytes]] | None: ...

    def settimeout(self, seconds: float | None) -> None: ...

    def close(self) -> None: ...


class QueuingLink(Link, Protocol):
    """The surface the host's relay uses: writes that never wait."""

    unsent: int

    def queue(self, kind: int, seq: int, payload: bytes) -> None: ...

    def flush(self) -> bool: ...


@dataclass
class FrameServer:
    """A frame server on its own thread (see the module's description)."""

    listener: Any
    poller: Any
    waker: Any
    hellos: list[bytes] = field(default_factory=list)
    requests: list[bytes] = field(default_factory=list)
    accepted: int = 0
    _stopping: bool = False
    _thread: threading.Thread | None = None
    _clients: dict[int, _Client] = field(default_factory=dict)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._serve, name="frame-server", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Close every connection and the listener, as a killed app would."""
        self._stopping = True
        self.waker.wake()
        if self._thread is not None:
            self._thread.join(10)

    def _serve(self) -> None:
        listening = self.listener.fileno()
        self.poller.register(listening, READ)
        self.poller.register(self.waker.read_fd, READ)
        try:
            while not self._stopping:
                for key, events in self.poller.poll(1000):
                    if key == listening:
                        self._accept()
                    elif key == self.waker.read_fd:
                        self.waker.drain()
                    elif key in self._clients:
                        self._clients[key].serve(events)
                for key, client in list(self._clients.items()):
                    wants = client.wants()
                    if wants:
                        self.poller.modify(key, wants)
                    else:
                        self.poller.unregister(key)
                        del self._clients[key]
                        client.conn.close()
        finally:
            for client in self._clients.values():
                client.conn.close()
            self.listener.close()

    def _accept(self) -> None:
        while True:
            try:
                conn, _address = self.listener.accept()
            except BlockingIOError:
                return
            conn.setblocking(False)
            self.accepted += 1
            client = _Client(conn, self)
            self._clients[conn.fileno()] = client
            self.poller.register(conn.fileno(), READ)


@dataclass
class _Client:
    conn: Any
    server: FrameServer
    frames: protocol.SocketFrames = field(default_factory=protocol.SocketFrames)
    out: bytearray = field(default_factory=bytearray)
    closing: bool = False
    gone: bool = False

    def wants(self) -> int:
        if self.gone or (self.closing and not self.out):
            return 0
        return (0 if self.closing else READ) | (WRITE if self.out else 0)

    def serve(self, events: int) -> None:
        if events & WRITE:
            self._flush()
        if events & ~WRITE and not self.closing:
            try:
                data = self.conn.recv(64 * 1024)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            if not data:
                self.gone = True
                return
            self.frames.feed(data)
            while (frame := self.frames.next_frame()) is not None:
                self._frame(*frame)
            self._flush()

    def _frame(self, kind: int, seq: int, payload: bytes) -> None:
        if kind == protocol.HELLO:
            self.server.hellos.append(payload)
            return
        if kind != protocol.REQUEST:
            return
        self.server.requests.append(payload)
        try:
            asked = json.loads(payload)
        except ValueError:
            asked = None
        if not isinstance(asked, dict):
            asked = {}
        if asked.get("silent"):
            return
        if asked.get("oversize"):
            self.out += protocol.SOCKET_HEADER.pack(
                protocol.REPLY, seq, protocol.MAX_SOCKET_FRAME_BYTES + 1
            )
        elif "size" in asked:
            self.out += protocol.socket_frame(protocol.REPLY, seq, b"x" * int(asked["size"]))
        else:
            self.out += protocol.socket_frame(protocol.REPLY, seq, payload)
        if asked.get("close"):
            self.closing = True

    def _flush(self) -> None:
        while self.out:
            try:
                sent = self.conn.send(self.out)
            except BlockingIOError:
                return
            except OSError:
                self.gone = True
                self.out.clear()
                return
            del self.out[:sent]


class Transport(Protocol):
    name: str

    def unavailable(self) -> str | None:
        """Why this transport cannot run here (None: it can)."""

    def address(self, folder: Path) -> str:
        """A fresh address whose private parts live in ``folder``."""

    def connect(self, address: str) -> QueuingLink | None:
        """The client's connect: a link, or None when nothing serves ``address``."""

    def wait_readable(self, link: Link, timeout: float) -> bool:
        """Wait until ``link.receive_ready()`` has something (False: timed out)."""

    def wait_writable(self, link: QueuingLink, timeout: float) -> bool:
        """Wait until ``link.flush()`` can go on (False: timed out), as the relay waits."""

    def serve(self, address: str) -> contextlib.AbstractContextManager[FrameServer]:
        """A running ``FrameServer`` at ``address``."""


class UnixSocket:
    """``host.transport``'s Unix socket: the client is ``transport.connect``."""

    name = "unix-socket"

    def unavailable(self) -> str | None:
        return "Unix sockets are the POSIX transport" if sys.platform == "win32" else None

    def address(self, folder: Path) -> str:
        return str(folder / "bk.sock")

    def connect(self, address: str) -> QueuingLink | None:
        from host import transport

        return transport.connect(address)

    def wait_readable(self, link: Link, timeout: float) -> bool:
        assert isinstance(link, AppLink)
        readable, _, _ = select.select([link.fileno()], [], [], timeout)
        return bool(readable)

    def wait_writable(self, link: QueuingLink, timeout: float) -> bool:
        assert isinstance(link, AppLink)
        _, writable, _ = select.select([], [link.fileno()], [], timeout)
        return bool(writable)

    @contextlib.contextmanager
    def serve(self, address: str) -> Iterator[FrameServer]:
        if sys.platform == "win32":
            raise NotImplementedError("Unix sockets are the POSIX transport")
        listening = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listening.bind(address)
        listening.listen(128)
        listening.setblocking(False)
        server = FrameServer(listening, select.poll(), _PipeWaker())
        server.start()
        try:
            yield server
        finally:
            server.stop()


class _PipeWaker:
    """The socket thread's wake-up pipe (as ``app.qt.server._Pipe``)."""

    read_fd: int
    _write_fd: int

    def __init__(self) -> None:
        if sys.platform == "win32":
            raise NotImplementedError("the Unix socket thread's wake-up pipe")
        self.read_fd, self._write_fd = os.pipe()
        os.set_blocking(self.read_fd, False)

    def wake(self) -> None:
        os.write(self._write_fd, b"\0")

    def drain(self) -> None:
        with contextlib.suppress(BlockingIOError):
            os.read(self.read_fd, 4096)


class NamedPipe:
    """``host.winpipe``'s named pipe: the client is ``transport.connect`` (which chooses
    it on Windows), the server the app's ``app.system.pipe_server``."""

    name = "named-pipe"

    def unavailable(self) -> str | None:
        return None if sys.platform == "win32" else "named pipes are the Windows transport"

    def address(self, folder: Path) -> str:
        from host import winpipe

        return winpipe.pipe_name(winpipe.current_user_sid(), str(folder))

    def connect(self, address: str) -> QueuingLink | None:
        from host import transport

        return transport.connect(address)

    def wait_readable(self, link: Link, timeout: float) -> bool:
        from host import winpipe

        assert isinstance(link, winpipe.PipeLink)
        return winpipe.wait_any([link.wait_handle()], timeout) is not None

    def wait_writable(self, link: QueuingLink, timeout: float) -> bool:
        from host import winpipe

        assert isinstance(link, winpipe.PipeLink)
        writing = link.write_handle()
        return writing is None or winpipe.wait_any([writing], timeout) is not None

    @contextlib.contextmanager
    def serve(self, address: str) -> Iterator[FrameServer]:
        from app.system import pipe_server

        poller = pipe_server.PipePoller()
        listener = pipe_server.listen(address, poller)
        server = FrameServer(listener, poller, poller.waker())
        server.start()
        try:
            yield server
        finally:
            server.stop()
            poller.close()


TRANSPORTS: tuple[Transport, ...] = (UnixSocket(), NamedPipe())


@contextlib.contextmanager
def private_folder() -> Iterator[Path]:
    """A short 0700 folder for an address; removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="bkt", dir=short_temp_dir()))
    try:
        yield folder
    finally:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
