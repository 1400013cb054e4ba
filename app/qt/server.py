"""The app's local socket, served on a thread of its own.

The socket thread accepts hosts and command-line clients, splits their frames
(``host.protocol``), greets them and hands each request to the ``Listener`` (the router),
which answers it there and then or returns the work that answers it on the GUI thread: a
port's pings never wait for the Qt event loop. That work reaches the GUI thread in
arrival order, each client's end after its last request. Replies may be sent from either
thread; each is written whole, in the order sent. What a request means is the listener's
business; this module knows frames, threads and connections.

Unix sockets only: on Windows the app has no socket yet (nor the host a way to reach it).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import queue
import select
import socket
import sys
import threading
import time
from typing import Any, Protocol

from PySide6.QtCore import QSocketNotifier

from app.core.router import Work
from host import protocol
from host.caller import Caller

log = logging.getLogger(__name__)

RECV_CHUNK = 64 * 1024
READ, WRITE = select.POLLIN, select.POLLOUT

_ids = itertools.count(1)


class ListenError(Exception):
    """The socket could not be opened."""


class Listener(Protocol):
    """What the server tells about its clients (``app.core.router.Router``)."""

    def identify(self, hello: dict[str, Any]) -> Caller:
        """On the socket thread: who a client's (valid) hello says it calls for."""

    def on_request(self, connection: Connection, seq: int, payload: bytes) -> Work | None:
        """On the socket thread: answer the request now, or return the work that answers
        it; the server runs that on the GUI thread."""

    def on_closed(self, connection: Connection) -> None:
        """On the GUI thread, once, when the client is gone, whatever the reason. After an
        ``END`` frame, replies sent from here still reach the host; after a disconnect,
        they are dropped."""


class Connection:
    """One client on the socket (an ``app.core.router.Peer``).

    Its frames are read on the socket thread; ``send_reply`` may be called on any thread.
    """

    def __init__(self, sock: socket.socket, server: SocketServer) -> None:
        self._sock = sock
        self._server = server
        self._id = next(_ids)
        self._caller = Caller("unknown", "")
        self.role = ""
        self._frames = protocol.SocketFrames()
        self._lock = threading.Lock()
        """Guards what follows: the state replies from either thread depend on."""
        self._out = bytearray()
        """Bytes sent that the socket has not taken yet (the peer reads slowly)."""
        self._gone = False
        """The peer is gone or broke the protocol: replies are dropped."""
        self._finishing = False
        """Close once ``_out`` is written (after an END, or a refusal)."""
        self._closed_posted = False

    @property
    def client_id(self) -> int:
        return self._id

    @property
    def caller(self) -> Caller:
        return self._caller

    def fileno(self) -> int:
        return self._sock.fileno()

    def send_reply(self, seq: int, payload: bytes) -> None:
        self._send(protocol.socket_frame(protocol.REPLY, seq, payload))

    def finish(self) -> None:
        """Close the connection once everything sent so far is written."""
        with self._lock:
            if self._gone or self._finishing:
                return
            self._finishing = True
        self._server.changed(self)

    def _send(self, data: bytes) -> None:
        with self._lock:
            if self._gone or self._finishing:
                return
            if not self._out:
                try:
                    sent = self._sock.send(data)
                except BlockingIOError:
                    sent = 0
                except OSError:
                    return  # the peer is gone; the socket thread reads its end
                if sent == len(data):
                    return
                data = data[sent:]
            self._out += data
        self._server.changed(self)

    # The socket thread's side.

    def receive(self) -> bytes | None:
        """What the peer sent (empty once it has closed); ``None`` when nothing is there."""
        try:
            return self._sock.recv(RECV_CHUNK)
        except BlockingIOError:
            return None
        except OSError:
            return b""

    def received(self, data: bytes) -> None:
        """Bytes from the peer: act on every complete frame."""
        self._frames.feed(data)
        while not (self._gone or self._finishing):
            try:
                frame = self._frames.next_frame()
            except protocol.ProtocolError as error:
                self.abort(str(error))
                return
            if frame is None:
                return
            self._frame(*frame)

    def flush(self) -> bool:
        """Write what the socket will take; true when nothing is left to write."""
        with self._lock:
            if self._out and not self._gone:
                try:
                    del self._out[: self._sock.send(self._out)]
                except BlockingIOError:
                    pass
                except OSError:
                    self._out.clear()
            return not self._out

    def wants(self) -> int:
        """The poll events to wait for; 0 when the connection should be closed now."""
        with self._lock:
            if self._gone or (self._finishing and not self._out):
                return 0
            return (0 if self._finishing else READ) | (WRITE if self._out else 0)

    def abort(self, reason: str) -> None:
        log.warning("client %s: %s; closing it", self._id, reason)
        self.drop()

    def drop(self) -> None:
        """The peer is gone (or must go): drop what is unsent, tell the GUI thread once."""
        with self._lock:
            self._gone = True
            self._out.clear()
        self._server.changed(self)
        self._post_closed()

    def close_socket(self) -> None:
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()

    def _frame(self, kind: int, seq: int, payload: bytes) -> None:
        if not self.role:
            if kind != protocol.HELLO:
                self.abort("first frame is not a hello")
                return
            self._greet(payload)
        elif kind == protocol.REQUEST:
            self._server.request(self, seq, payload)
        elif kind == protocol.END:
            self._post_closed()  # the GUI thread answers what is pending, then finishes
        else:
            self.abort(f"unexpected frame kind {kind}")

    def _post_closed(self) -> None:
        if not self._closed_posted:
            self._closed_posted = True
            self._server.post(self)

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
        self._caller = self._server.identify(hello)
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
        self._send(protocol.socket_frame(protocol.REFUSED, 0, reply))
        self.finish()  # nothing more is read from it; the refusal is still written
        log.warning("client %s refused: %s", self._id, message)


class SocketServer:
    """Listens on the app's socket on its own thread; see the module's description."""

    def __init__(self, path: str, listener: Listener) -> None:
        self._path = path
        self._listener = listener
        self._listening: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._clients: dict[int, Connection] = {}
        """By file descriptor; the socket thread's alone."""
        self._changed: set[Connection] = set()
        self._changed_lock = threading.Lock()
        self._stopping = False
        self._wake_thread = _Pipe()
        self._to_gui: queue.SimpleQueue[Connection | Work] = queue.SimpleQueue()
        self._posted = False
        self._wake_gui = _Pipe()
        self._notifier = QSocketNotifier(self._wake_gui.read_fd, QSocketNotifier.Type.Read)
        self._notifier.activated.connect(self._deliver)

    def listen(self) -> None:
        """Listen on the path; the caller holds the instance lock, so a file there is stale."""
        if sys.platform == "win32":
            raise ListenError("the app's socket needs Unix domain sockets: not on Windows yet")
        listening = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._path)
            listening.bind(self._path)
            os.chmod(self._path, 0o600)
            listening.listen(128)
        except OSError as error:
            listening.close()
            raise ListenError(f"cannot listen on {self._path}: {error}") from error
        listening.setblocking(False)
        self._listening = listening
        self._thread = threading.Thread(target=self._serve, name="socket", daemon=True)
        self._thread.start()
        log.info("listening on %s", self._path)

    def close(self) -> None:
        """Stop listening and close every client (the socket file goes too)."""
        if self._thread is not None:
            self._stopping = True
            self._wake_thread.wake()
            self._thread.join(timeout=5)
            self._thread = None
        if self._listening is not None:
            self._listening.close()
            self._listening = None
            with contextlib.suppress(OSError):
                os.unlink(self._path)
        self._notifier.setEnabled(False)

    # Any thread.

    def changed(self, connection: Connection) -> None:
        """``connection`` has bytes to write or wants closing: the socket thread looks."""
        with self._changed_lock:
            self._changed.add(connection)
        if threading.current_thread() is not self._thread:
            self._wake_thread.wake()

    # The socket thread.

    def identify(self, hello: dict[str, Any]) -> Caller:
        return self._listener.identify(hello)

    def request(self, connection: Connection, seq: int, payload: bytes) -> None:
        work = self._listener.on_request(connection, seq, payload)
        if work is not None:
            self.post(work)

    def post(self, event: Connection | Work) -> None:
        """For the GUI thread: the work for a request, or a connection closed or ending."""
        self._to_gui.put(event)
        self._posted = True

    def _serve(self) -> None:
        assert self._listening is not None
        poller = select.poll()
        listening = self._listening.fileno()
        poller.register(listening, READ)
        poller.register(self._wake_thread.read_fd, READ)
        try:
            while not self._stopping:
                for fd, events in poller.poll():
                    if fd == listening:
                        self._accept(poller)
                    elif fd == self._wake_thread.read_fd:
                        self._wake_thread.drain()
                    else:
                        self._serve_client(fd, events)
                self._apply_changes(poller)
                if self._posted:
                    self._posted = False
                    self._wake_gui.wake()
        except Exception:
            log.exception("the socket thread failed; no more requests are served")
        finally:
            for connection in list(self._clients.values()):
                connection.close_socket()
            self._clients.clear()

    def _accept(self, poller: select.poll) -> None:
        assert self._listening is not None
        while True:
            try:
                sock, _ = self._listening.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as error:  # out of descriptors: it stays in the backlog
                log.error("cannot accept a client: %s", error)
                time.sleep(0.1)  # poll reports it again at once: do not spin
                return
            sock.setblocking(False)
            connection = Connection(sock, self)
            self._clients[connection.fileno()] = connection
            poller.register(connection.fileno(), READ)

    def _serve_client(self, fd: int, events: int) -> None:
        connection = self._clients.get(fd)
        if connection is None:
            return
        if events & WRITE and connection.flush():
            self.changed(connection)  # nothing left to write: stop waiting for room
        if events & ~WRITE:  # readable, or hung up
            data = connection.receive()
            if data is None:
                return
            try:
                if data:
                    connection.received(data)
                else:
                    connection.drop()
            except Exception:
                log.exception("client %s: handling its frames failed", connection.client_id)
                connection.drop()

    def _apply_changes(self, poller: select.poll) -> None:
        with self._changed_lock:
            changed, self._changed = self._changed, set()
        for connection in changed:
            fd = connection.fileno()
            if self._clients.get(fd) is not connection:
                continue  # closed already
            wants = connection.wants()
            if wants:
                poller.modify(fd, wants)
            else:
                poller.unregister(fd)
                del self._clients[fd]
                connection.close_socket()
                connection.drop()

    # The GUI thread.

    def _deliver(self) -> None:
        self._wake_gui.drain()
        while True:
            try:
                event = self._to_gui.get_nowait()
            except queue.Empty:
                return
            try:
                if isinstance(event, Connection):
                    self._listener.on_closed(event)
                    event.finish()
                else:
                    event()
            except Exception:
                log.exception("handling a client's event failed")


class _Pipe:
    """Wakes a thread that polls its read end; never blocks the waker."""

    def __init__(self) -> None:
        self.read_fd, self._write_fd = os.pipe()
        os.set_blocking(self.read_fd, False)
        os.set_blocking(self._write_fd, False)

    def wake(self) -> None:
        with contextlib.suppress(BlockingIOError):  # full: a wake-up is pending anyway
            os.write(self._write_fd, b"\0")

    def drain(self) -> None:
        try:
            while os.read(self.read_fd, 4096):
                pass
        except BlockingIOError:
            pass
