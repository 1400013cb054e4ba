"""The app's local socket, served on a thread of its own.

The socket thread accepts hosts and command-line clients (only this user's: their
credentials are checked as they connect), splits their frames (``host.protocol``), greets
them and hands each request to the ``Listener`` (the router), which answers it there and
then or returns the work that answers it on the GUI thread: a port's pings never wait for
the Qt event loop. That work reaches the GUI thread in arrival order, each client's end
after its last request, from the moment the GUI thread serves (``serve_gui_thread``): the
socket listens before Qt is loaded, and what comes meanwhile waits. Replies may be sent
from either thread; each is written whole, in the order sent. What a request means is the
listener's business; this module knows frames, threads and connections, and what each
connection may cost.

Bounds (a peer over one is closed, or refused as it connects; every other peer is still
served):
- connections: ``MAX_CONNECTIONS`` (fewer if the descriptor limit is low); over it, the
  oldest connection that has not said hello makes room, else the new one is refused.
- ``HELLO_TIMEOUT`` to say hello; ``FRAME_TIMEOUT`` for a frame's bytes to arrive once
  it has begun (and once it may be read).
- input: a frame is at most ``MAX_SOCKET_FRAME_BYTES``; a connection buffers at most
  ``SMALL_FRAME`` of a frame unless it holds one of ``LARGE_FRAME_SLOTS`` (else it is not
  read until one is free): at most 512 x 64 KiB + 16 x 1.06 MiB, about 49 MiB in all.
- output: a peer with ``PAUSE_OUTPUT`` unsent is throttled until it reads; more than
  ``MAX_UNSENT`` unsent, or a reply that would take all peers past ``OUTPUT_BUDGET``
  (32 MiB), closes it.
- work for the GUI thread: at most ``MAX_QUEUED_WORK`` requests a connection, and
  ``MAX_QUEUED_TOTAL`` in all, wait for it; past that the connection is throttled.
- a throttled connection is not read, and the frames it sent before wait unacted on in
  its buffer (at most one read's worth), so it can make the app hold no more; the memory
  of closed connections' buffers is handed back to the system.

Unix sockets only: on Windows the app has no socket yet (nor the host a way to reach it).
"""

from __future__ import annotations

import collections
import contextlib
import errno
import functools
import itertools
import json
import logging
import os
import queue
import select
import socket
import stat
import sys
import threading
import time
from typing import TYPE_CHECKING, Any, Protocol

from app.core.router import Work
from app.qt.wake import WakePipe
from host import protocol, transport
from host.caller import Caller

if TYPE_CHECKING:
    from PySide6.QtCore import QSocketNotifier

log = logging.getLogger(__name__)

RECV_CHUNK = 64 * 1024
if sys.platform == "win32":
    # Windows: the named pipe (app.system.pipe_server), behind poll's interface.
    from app.system.pipe_server import READ, WRITE, PipeConnection, PipeListener, PipePoller

    Stream = PipeConnection
    Acceptor = PipeListener
    Poller = PipePoller
else:
    READ, WRITE = select.POLLIN, select.POLLOUT
    Stream = socket.socket
    Acceptor = socket.socket
    Poller = select.poll

MAX_CONNECTIONS = 512
HELLO_TIMEOUT = 5.0
FRAME_TIMEOUT = 10.0
SMALL_FRAME = RECV_CHUNK
"""A connection holds at most this much of a frame without a large-frame slot."""
LARGE_FRAME_SLOTS = 16
PAUSE_OUTPUT = 256 * 1024
MAX_UNSENT = 4 * 1024 * 1024
OUTPUT_BUDGET = 32 * 1024 * 1024
MAX_QUEUED_WORK = 32
MAX_QUEUED_TOTAL = 256
GUI_START_TIMEOUT = 30.0
"""How long the GUI thread may take to come up (Qt is loaded after the socket listens)
while ``ALIVE`` is still answered: a slow start is not a hang, but a start that never ends
must not keep hosts waiting for good."""
TRIM_AFTER = 1024 * 1024
"""Closed connections' buffers let go of before freed memory is handed back to the system
(glibc keeps what a thread frees for that thread's later use)."""
ACCEPTS_PER_ROUND = 64
"""Accepted before the socket thread reads again: a flood of connections cannot crowd out
the hello of a host that connected among them."""

_SMALL_LIMIT = protocol.SOCKET_HEADER.size + SMALL_FRAME
_ids = itertools.count(1)


class ListenError(Exception):
    """The socket could not be opened."""


class _Waker(Protocol):
    """Wakes the socket thread's ``poll`` from another thread (``read_fd`` is registered
    with it): ``WakePipe``, or on Windows the pipe poller's."""

    read_fd: int

    def wake(self) -> None: ...

    def drain(self) -> None: ...


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

    def __init__(
        self,
        sock: Stream,
        server: SocketServer,
        pid: int | None,
        sandbox: Sandbox | None = None,
    ) -> None:
        self._sock = sock
        self._server = server
        self._id = next(_ids)
        self.pid = pid
        self.sandbox = sandbox
        """The Flatpak sandbox whose socket it came through (``None``: the app's own)."""
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
        self.queued_work = 0
        """Requests of this connection waiting for the GUI thread."""
        # The socket thread's alone:
        self.hello_by = time.monotonic() + HELLO_TIMEOUT
        self.frame_by: float | None = None
        """When the frame in progress must be complete (``None``: none, or not being read)."""
        self.slot = False
        """Holds a large-frame slot."""
        self.wants_slot = False
        """Waits for a large-frame slot: not read meanwhile."""

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
        over = ""
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
            if len(self._out) + len(data) > MAX_UNSENT:
                over = f"it does not read its replies ({len(self._out)} bytes unsent)"
            elif not self._server.reserve_output(len(data)):
                over = "replies for peers that do not read fill the output budget"
            else:
                self._out += data
        if over:
            self.abort(over)
        else:
            self._server.changed(self)

    # The socket thread's side.

    def read_limit(self) -> int:
        """How much the next receive may take: without a slot, no more of a frame than a
        small frame's worth."""
        if self.slot:
            return RECV_CHUNK
        return max(1, min(RECV_CHUNK, _SMALL_LIMIT - self._frames.buffered))

    def receive(self, limit: int) -> bytes | None:
        """What the peer sent (empty once it has closed); ``None`` when nothing is there."""
        try:
            return self._sock.recv(limit)
        except BlockingIOError:
            return None
        except OSError:
            return b""

    def received(self, data: bytes) -> None:
        """Bytes from the peer: act on its complete frames."""
        self._frames.feed(data)
        self.process()

    def process(self) -> None:
        """Act on every complete frame received, until the connection is throttled (the
        rest wait in its buffer); keep the frame clock."""
        completed = False
        while not (self._gone or self._finishing or self.throttled()):
            try:
                frame = self._frames.next_frame()
            except protocol.ProtocolError as error:
                self.abort(str(error))
                return
            if frame is None:
                break
            completed = True
            self._frame(*frame)
        if not self._frames.buffered or self.throttled():
            self.frame_by = None  # nothing in progress, or held back by us: no clock
        elif completed or self.frame_by is None:
            self.frame_by = time.monotonic() + FRAME_TIMEOUT

    def throttled(self) -> bool:
        """Its replies go unread, or its requests wait for the GUI thread: it is not read,
        and what it sent before waits, until that changes."""
        return (
            len(self._out) >= PAUSE_OUTPUT
            or self.queued_work >= MAX_QUEUED_WORK
            or self._server.queued_total >= MAX_QUEUED_TOTAL
        )

    def holds_frames(self) -> bool:
        """Whether frames received wait to be acted on (it was throttled)."""
        return self._frames.buffered >= protocol.SOCKET_HEADER.size

    def frame_in_progress(self) -> int:
        """The size (header included) of the frame in progress, 0 when none has begun."""
        return self._frames.in_progress()

    def flush(self) -> bool:
        """Write what the socket will take; true when nothing is left to write."""
        with self._lock:
            if self._out and not self._gone:
                try:
                    sent = self._sock.send(self._out)
                except BlockingIOError:
                    sent = 0
                except OSError:
                    sent = len(self._out)
                del self._out[:sent]
                self._server.release_output(sent)
            return not self._out

    def wants(self) -> int | None:
        """The poll events to wait for; ``None`` when the connection should be closed."""
        with self._lock:
            if self._gone or (self._finishing and not self._out):
                return None
            reading = not (self._finishing or self.wants_slot or self.throttled())
            return (READ if reading else 0) | (WRITE if self._out else 0)

    def work_queued(self) -> None:
        """On the socket thread: one of this connection's requests waits for the GUI."""
        with self._lock:
            self.queued_work += 1

    def work_done(self) -> None:
        """On the GUI thread: one of this connection's requests has run."""
        with self._lock:
            self.queued_work -= 1
            resume = self.queued_work == MAX_QUEUED_WORK - 1
        if resume:
            self._server.changed(self)

    def abort(self, reason: str) -> None:
        log.warning("client %s: %s; closing it", self._id, reason)
        self.drop()

    def drop(self) -> None:
        """The peer is gone (or must go): drop what is unsent, tell the GUI thread once."""
        with self._lock:
            self._gone = True
            self._server.release_output(len(self._out))
            self._out.clear()
        self._server.changed(self)
        self._post_closed()

    def close_socket(self) -> int:
        """Close the socket and let go of its buffers; how many bytes they held."""
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
        held = self._frames.buffered
        self._frames = protocol.SocketFrames()
        with self._lock:
            held += len(self._out)
            self._server.release_output(len(self._out))
            self._out = bytearray()
        return held

    def _frame(self, kind: int, seq: int, payload: bytes) -> None:
        if not self.role:
            if kind != protocol.HELLO:
                self.abort("first frame is not a hello")
                return
            self._greet(payload)
        elif kind == protocol.REQUEST:
            self._server.request(self, seq, payload)
        elif kind == protocol.ALIVE:
            if self._server.gui_responsive():
                self._send(protocol.socket_frame(protocol.ALIVE, seq, b""))
        elif kind == protocol.END:
            self._post_closed()  # the GUI thread answers what is pending, then finishes
        else:
            self.abort(f"unexpected frame kind {kind}")

    def _post_closed(self) -> None:
        with self._lock:
            if self._closed_posted:
                return
            self._closed_posted = True
        self._server.post(self)

    def _greet(self, payload: bytes) -> None:
        try:
            hello = json.loads(payload)
        except Exception:  # not UTF-8, not JSON, nested too deeply: all the same here
            hello = None
        if not isinstance(hello, dict):
            self._refuse("the hello frame is not a JSON object")
            return
        version = hello.get("protocol")
        role = hello.get("role")
        caller = hello.get("caller") or {}
        if type(version) is not int or version not in protocol.SOCKET_PROTOCOLS_ACCEPTED:
            shown = version if type(version) is int else "an unknown version"
            self._refuse(
                f"this app speaks socket protocol {protocol.SOCKET_PROTOCOL}, the host "
                f"speaks {shown}; reinstall so that both come from the same version, and "
                "restart Bridgekeeper"
            )
            return
        if role not in ("host", "control") or not isinstance(caller, dict):
            self._refuse("the hello frame is not valid")
            return
        sandbox = self.sandbox
        if sandbox is not None and (role != "host" or caller.get("family") != sandbox.family):
            self._refuse(
                f"the socket of the Flatpak {sandbox.app_id} serves only its browser's hosts "
                f"({sandbox.family} family)"
            )
            return
        try:
            self._caller = self._server.identify(hello)
        except Exception:
            log.exception("client %s: identifying its caller failed", self._id)
            self._refuse("the hello frame is not valid")
            return
        self.role = role
        self._server.greeted(self)
        log.info(
            "client %s: %s for %s extension %r (pid %s)",
            self._id,
            role,
            self._caller.family,
            self._caller.extension,
            self.pid,
        )

    def _refuse(self, message: str) -> None:
        refuse(self._send, message)
        self.finish()  # nothing more is read from it; the refusal is still written
        log.warning("client %s refused: %s", self._id, message)


def refuse(send: Any, message: str) -> None:
    """Send ``REFUSED`` with ``message`` through ``send(bytes)``."""
    reply = protocol.encode_json({"code": "refused", "message": message})
    send(protocol.socket_frame(protocol.REFUSED, 0, reply))


class _Throttled:
    """Logs a warning at most once every ``every`` seconds, with how many it held back."""

    def __init__(self, every: float = 10.0) -> None:
        self._every = every
        self._last = -every
        self._held = 0

    def warning(self, message: str, *args: object) -> None:
        now = time.monotonic()
        if now - self._last < self._every:
            self._held += 1
            return
        if self._held:
            message += f" (and {self._held} more like it)"
        self._held = 0
        self._last = now
        log.warning(message, *args)


class Sandbox:
    """A Flatpak browser the app listens for in its sandbox's runtime folder: its app id,
    and the browser family its hosts must claim (a sandbox speaks for its browser alone)."""

    __slots__ = ("app_id", "family")

    def __init__(self, app_id: str, family: str) -> None:
        self.app_id = app_id
        self.family = family


class _Listening:
    """A socket the app listens on: its own, or one in a Flatpak sandbox's folder."""

    def __init__(self, sock: Acceptor, path: str, sandbox: Sandbox | None = None) -> None:
        self.sock = sock
        self.path = path
        self.sandbox = sandbox
        self.inode = None if sys.platform == "win32" else _inode(path)
        """The socket file's, so that only ours is ever removed (a pipe has none)."""

    def fileno(self) -> int:
        return self.sock.fileno()

    def remove_file(self) -> None:
        """Remove the socket file, if it is still the one this socket made."""
        if self.inode is not None and _inode(self.path) == self.inode:
            with contextlib.suppress(OSError):
                os.unlink(self.path)


def _inode(path: str) -> tuple[int, int] | None:
    try:
        info = os.lstat(path)
    except OSError:
        return None
    return (info.st_dev, info.st_ino) if stat.S_ISSOCK(info.st_mode) else None


def _bind(path: str) -> socket.socket:
    """A socket listening at ``path`` (0600), in place of whatever had that name: the
    caller holds the instance lock and the folder is ours, so anything there is stale or
    planted. Bound under a name of its own and renamed once it listens, so that the path
    never names a socket that refuses connections (a host would take the app for gone)."""
    if sys.platform == "win32":
        raise OSError("Windows has no Unix domain sockets: the app serves a named pipe")
    listening = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    fresh = f"{path}~"
    try:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(fresh)
        listening.bind(fresh)
        os.chmod(fresh, 0o600)
        listening.listen(128)
        os.replace(fresh, path)
    except BaseException:
        listening.close()
        with contextlib.suppress(OSError):
            os.unlink(fresh)
        raise
    listening.setblocking(False)
    return listening


class SocketServer:
    """Listens on the app's socket on its own thread; see the module's description."""

    def __init__(self, path: str, listener: Listener) -> None:
        self._path = path
        self._listener = listener
        self._listening: _Listening | None = None
        self._sandboxes: dict[str, _Listening] = {}
        """The Flatpak sandboxes' sockets by app id (the GUI thread's)."""
        self._listeners: dict[int, _Listening] = {}
        """Every socket listened on, by file descriptor (the socket thread's)."""
        self._listener_changes: list[tuple[bool, _Listening]] = []
        """Sockets to start (True) or stop listening on, for the socket thread."""
        self._thread: threading.Thread | None = None
        self._clients: dict[int, Connection] = {}
        """By file descriptor; the socket thread's alone."""
        self._no_hello: dict[Connection, None] = {}
        """Connections yet to say hello, oldest first (socket thread)."""
        self._clocked: set[Connection] = set()
        """Connections whose frame clock runs (``frame_by`` set; socket thread)."""
        self._slots: set[Connection] = set()
        self._slot_queue: collections.deque[Connection] = collections.deque()
        self._max_connections = _connection_limit()
        self._spare_fd: int | None = None
        """Kept open to be closed when out of descriptors, to refuse a client."""
        self._listen_paused_until = 0.0
        self._released = 0
        """Bytes of closed connections' buffers let go of since memory was last returned."""
        self._refusals = _Throttled()
        self._changed: set[Connection] = set()
        self._changed_lock = threading.Lock()
        self._output_lock = threading.Lock()
        self._unsent_total = 0
        self.queued_total = 0
        """Requests of all connections waiting for the GUI thread."""
        self._gui_waiting_since: float | None = None
        self._gui_start_by: float | None = time.monotonic() + GUI_START_TIMEOUT
        """Until the GUI thread serves (``serve_gui_thread``): when it must have come up."""
        self._stopping = False
        self._poller: Poller
        """The socket thread's ``poll``: ``select.poll``, or on Windows the pipe's."""
        self._wake_thread: _Waker
        if sys.platform == "win32":
            self._poller = PipePoller()
            self._wake_thread = self._poller.waker()
        else:
            self._poller = select.poll()
            self._wake_thread = WakePipe()
        self._to_gui: queue.SimpleQueue[Connection | tuple[Connection, Work]] = queue.SimpleQueue()
        self._posted = False
        self._wake_gui = WakePipe()
        self._notifier: QSocketNotifier | None = None
        """Wakes the GUI thread for its work (made by ``serve_gui_thread``)."""

    @property
    def connections(self) -> int:
        return len(self._clients)

    def listen(self) -> None:
        """Listen on the path; the caller holds the instance lock, so a file there is stale.
        On Windows the path is the pipe's name: its first instance is created owner-only
        (``PipeInUse`` when another process holds the name: nothing is served then)."""
        try:
            if sys.platform == "win32":
                from app.system import pipe_server

                listening = _Listening(pipe_server.listen(self._path, self._poller), self._path)
            else:
                transport.ensure_private_dir(os.path.dirname(self._path))
                listening = _Listening(_bind(self._path), self._path)
        except (OSError, transport.SocketPathError) as error:
            raise ListenError(f"cannot listen on {self._path}: {error}") from error
        self._listening = listening
        with self._changed_lock:
            self._listener_changes.append((True, listening))
        self._spare_fd = _open_spare()
        self._thread = threading.Thread(target=self._serve, name="socket", daemon=True)
        self._thread.start()
        log.info("listening on %s (up to %d connections)", self._path, self._max_connections)

    def close(self) -> None:
        """Stop listening and close every client (the socket file goes too)."""
        if self._thread is not None:
            self._stopping = True
            self._wake_thread.wake()
            self._thread.join(timeout=5)
            self._thread = None
        # The socket thread has ended: nobody polls these any more.
        for listening in [self._listening, *self._sandboxes.values()]:
            if listening is not None:
                listening.remove_file()
        for listening in [*self._listeners.values(), *(c[1] for c in self._listener_changes)]:
            listening.sock.close()
        self._listening = None
        self._sandboxes.clear()
        self._listeners.clear()
        self._listener_changes.clear()
        if self._spare_fd is not None:
            os.close(self._spare_fd)
            self._spare_fd = None
        if sys.platform == "win32":
            self._poller.close()  # after its listener and connections
        if self._notifier is not None:
            self._notifier.setEnabled(False)

    def serve_sandboxes(self, wanted: dict[str, str]) -> dict[str, str]:
        """Listen in the runtime folder of each Flatpak sandbox in ``wanted`` (app id →
        the browser family its hosts must claim), and no longer in the others; a socket
        whose file has gone is made again. What could not be served, by app id, and why
        (the same rules as the app's own socket's folder: ``transport.ensure_sandbox_dirs``).
        On the GUI thread."""
        if sys.platform == "win32":
            return dict.fromkeys(wanted, "Flatpak sandboxes exist only on Linux")
        problems: dict[str, str] = {}
        for app_id, listening in list(self._sandboxes.items()):
            sandbox = listening.sandbox
            assert sandbox is not None
            if wanted.get(app_id) != sandbox.family or _inode(listening.path) != listening.inode:
                del self._sandboxes[app_id]
                listening.remove_file()
                self._stop_listening(listening)
                log.info("no longer listening for the Flatpak %s at %s", app_id, listening.path)
        for app_id, family in wanted.items():
            if app_id in self._sandboxes:
                continue
            try:
                path = transport.sandbox_socket_path(app_id)
                transport.ensure_sandbox_dirs(app_id)
                listening = _Listening(_bind(path), path, Sandbox(app_id, family))
            except transport.SocketPathError as error:
                problems[app_id] = str(error)
            except OSError as error:
                problems[app_id] = f"cannot listen in its folder: {error}"
            else:
                self._sandboxes[app_id] = listening
                with self._changed_lock:
                    self._listener_changes.append((True, listening))
                self._wake_thread.wake()
                log.info("listening for the Flatpak %s at %s", app_id, path)
        for app_id, problem in problems.items():
            log.warning("cannot listen for the Flatpak %s: %s", app_id, problem)
        return problems

    def sandbox_sockets(self) -> dict[str, str]:
        """The Flatpak sandboxes listened for: app id → socket path (GUI thread)."""
        return {app_id: listening.path for app_id, listening in self._sandboxes.items()}

    def _stop_listening(self, listening: _Listening) -> None:
        with self._changed_lock:
            if self._thread is None:  # not serving yet: it was never polled
                with contextlib.suppress(ValueError):
                    self._listener_changes.remove((True, listening))
                listening.sock.close()
                return
            self._listener_changes.append((False, listening))
        self._wake_thread.wake()

    # Any thread.

    def changed(self, connection: Connection) -> None:
        """``connection`` has bytes to write, wants closing, or may be read again: the
        socket thread looks."""
        with self._changed_lock:
            self._changed.add(connection)
        if threading.current_thread() is not self._thread:
            self._wake_thread.wake()

    def reserve_output(self, size: int) -> bool:
        """Count ``size`` more unsent bytes, unless that takes all peers past the budget."""
        with self._output_lock:
            if self._unsent_total + size > OUTPUT_BUDGET:
                return False
            self._unsent_total += size
            return True

    def release_output(self, size: int) -> None:
        with self._output_lock:
            self._unsent_total -= size

    def gui_responsive(self) -> bool:
        """Whether the GUI thread picks up the work it is handed (the liveness check); while
        it comes up, whether it is still within ``GUI_START_TIMEOUT``."""
        start_by = self._gui_start_by
        if start_by is not None:
            return time.monotonic() < start_by
        since = self._gui_waiting_since
        return since is None or time.monotonic() - since < protocol.LIVENESS_TIMEOUT

    # The socket thread.

    def identify(self, hello: dict[str, Any]) -> Caller:
        return self._listener.identify(hello)

    def request(self, connection: Connection, seq: int, payload: bytes) -> None:
        try:
            work = self._listener.on_request(connection, seq, payload)
        except Exception:  # the router answers everything; if it failed, still one reply
            log.exception("client %s: a request failed unanswered", connection.client_id)
            connection.send_reply(
                seq,
                protocol.error_reply(None, protocol.INTERNAL, "Bridgekeeper failed; see its log"),
            )
            return
        if work is not None:
            connection.work_queued()
            with self._changed_lock:
                self.queued_total += 1
            self.post((connection, work))

    def post(self, event: Connection | tuple[Connection, Work]) -> None:
        """For the GUI thread: the work for a request, or a connection closed or ending."""
        if self._gui_waiting_since is None:
            self._gui_waiting_since = time.monotonic()
        self._to_gui.put(event)
        self._posted = True

    def _serve(self) -> None:
        poller = self._poller
        listeners = self._listeners
        poller.register(self._wake_thread.read_fd, READ)
        listening_watched = True
        try:
            while not self._stopping:
                if self._listener_changes:
                    self._apply_listener_changes(poller, listening_watched)
                timed = bool(self._no_hello or self._clocked or self._listen_paused_until)
                for fd, events in poller.poll(self._timeout_ms() if timed else -1):
                    if fd in listeners:
                        self._accept(listeners[fd], poller)
                    elif fd == self._wake_thread.read_fd:
                        self._wake_thread.drain()
                    else:
                        self._serve_client(fd, events)
                if timed:
                    self._expire()
                if self._changed:
                    self._apply_changes(poller)
                paused = bool(self._listen_paused_until)
                if paused == listening_watched:
                    for fd in listeners:
                        poller.modify(fd, 0 if paused else READ)
                    listening_watched = not paused
                if self._posted:
                    self._posted = False
                    self._wake_gui.wake()
        except Exception:
            log.exception("the socket thread failed; no more requests are served")
        finally:
            for connection in list(self._clients.values()):
                connection.close_socket()
            self._clients.clear()

    def _apply_listener_changes(self, poller: Poller, watched: bool) -> None:
        with self._changed_lock:
            changes, self._listener_changes = self._listener_changes, []
        for start, listening in changes:
            fd = listening.fileno()
            if start:
                self._listeners[fd] = listening
                poller.register(fd, READ if watched else 0)
            elif self._listeners.get(fd) is listening:
                del self._listeners[fd]
                poller.unregister(fd)
                listening.sock.close()

    def _timeout_ms(self) -> int:
        """Until the next deadline of a connection (or listening again); -1 when none."""
        deadlines = [c.frame_by for c in self._clocked if c.frame_by is not None]
        if self._no_hello:
            deadlines.append(next(iter(self._no_hello)).hello_by)  # the oldest's is first
        if self._listen_paused_until:
            deadlines.append(self._listen_paused_until)
        if not deadlines:
            return -1
        return max(0, int((min(deadlines) - time.monotonic()) * 1000) + 1)

    def _expire(self) -> None:
        now = time.monotonic()
        for connection in list(self._no_hello):
            if connection.hello_by > now:
                break  # oldest first: the rest are younger
            connection.abort(f"no hello within {HELLO_TIMEOUT:.0f} s")
            self._forget(connection)
        for connection in list(self._clocked):
            if connection.frame_by is not None and connection.frame_by <= now:
                connection.abort(f"a frame took longer than {FRAME_TIMEOUT:.0f} s to arrive")
                self._forget(connection)
        if self._listen_paused_until and now >= self._listen_paused_until:
            self._listen_paused_until = 0.0

    def _accept(self, listening: _Listening, poller: Poller) -> None:
        for _ in range(ACCEPTS_PER_ROUND):
            try:
                sock, _ = listening.sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as error:
                if error.errno in (errno.EMFILE, errno.ENFILE) and self._shed(listening):
                    continue
                log.error("cannot accept a client: %s", error)
                self._listen_paused_until = time.monotonic() + 0.1  # not a busy loop
                return
            self._admit(sock, poller, listening.sandbox)

    def _admit(self, sock: Stream, poller: Poller, sandbox: Sandbox | None = None) -> None:
        same, pid = self._peer(sock)
        if not same:
            sock.close()
            return
        if len(self._clients) >= self._max_connections and not self._make_room():
            self._refusals.warning(
                "refused a client (pid %s): %d connections are open", pid, len(self._clients)
            )
            _refuse_now(sock, f"Bridgekeeper serves too many connections ({len(self._clients)})")
            return
        sock.setblocking(False)
        connection = Connection(sock, self, pid, sandbox)
        self._clients[connection.fileno()] = connection
        self._no_hello[connection] = None
        poller.register(connection.fileno(), READ)

    def _peer(self, sock: Stream) -> tuple[bool, int | None]:
        """Whether the client runs as this user (a refusal is logged), and its pid
        (``None``: unknown): its credentials (``SO_PEERCRED``, or on Windows the client
        process's token user, read while it is connected)."""
        if sys.platform == "win32":
            try:
                pid = sock.client_pid()
            except OSError as error:
                self._refusals.warning("refused a client whose process is unknown: %s", error)
                return False, None
            if not sock.client_is_same_user():
                self._refusals.warning(
                    "refused a client of another user (pid %s): only this user's programs "
                    "may use Bridgekeeper",
                    pid,
                )
                return False, pid
            return True, pid
        try:
            uid, pid = transport.peer_credentials(sock)
        except OSError as error:
            self._refusals.warning("refused a client whose credentials are unknown: %s", error)
            return False, None
        if uid != os.geteuid():
            self._refusals.warning(
                "refused a client of another user (uid %s, pid %s): only this user's "
                "programs may use Bridgekeeper",
                uid,
                pid,
            )
            return False, pid
        return True, pid

    def _make_room(self) -> bool:
        """Close the oldest connection yet to say hello, if any."""
        for connection in self._no_hello:
            connection.abort("no hello yet, and a new client needs its place")
            self._forget(connection)
            return True
        return False

    def _shed(self, listening: _Listening) -> bool:
        """Out of descriptors: accept one client with the spare descriptor, refuse it."""
        if self._spare_fd is None:
            return False
        os.close(self._spare_fd)
        self._spare_fd = None
        try:
            sock, _ = listening.sock.accept()
        except OSError:
            return False
        else:
            self._refusals.warning("out of file descriptors: refused a client")
            _refuse_now(sock, "Bridgekeeper is out of file descriptors")
            return True
        finally:
            self._spare_fd = _open_spare()

    def _serve_client(self, fd: int, events: int) -> None:
        connection = self._clients.get(fd)
        if connection is None:
            return
        if events & WRITE:
            connection.flush()
            self.changed(connection)  # may read again, or stop waiting for room
        if not events & ~WRITE:
            return
        if not events & READ:
            connection.drop()  # hung up or failed while it was not being read: it is gone
            return
        data = connection.receive(connection.read_limit())
        if data is None:
            return
        try:
            if data:
                connection.received(data)
                self._after_receive(connection)
            else:
                connection.drop()
        except Exception:
            log.exception("client %s: handling its frames failed", connection.client_id)
            connection.drop()

    def greeted(self, connection: Connection) -> None:
        """``connection`` has said hello: it no longer has a deadline for it."""
        self._no_hello.pop(connection, None)

    def _resume(self, connection: Connection) -> None:
        try:
            connection.process()
            self._after_receive(connection)
        except Exception:
            log.exception("client %s: handling its frames failed", connection.client_id)
            connection.drop()

    def _after_receive(self, connection: Connection) -> None:
        if connection.frame_in_progress() > _SMALL_LIMIT:
            if not connection.slot and not connection.wants_slot:
                if len(self._slots) < LARGE_FRAME_SLOTS:
                    self._grant(connection)
                else:
                    connection.wants_slot = True
                    connection.frame_by = None  # not read meanwhile: no clock
                    self._slot_queue.append(connection)
                    self.changed(connection)
        elif connection.slot:
            self._release_slot(connection)
        if connection.frame_by is not None:
            self._clocked.add(connection)
        elif self._clocked:
            self._clocked.discard(connection)

    def _grant(self, connection: Connection) -> None:
        connection.slot = True
        connection.wants_slot = False
        connection.frame_by = time.monotonic() + FRAME_TIMEOUT
        self._clocked.add(connection)
        self._slots.add(connection)
        self.changed(connection)

    def _release_slot(self, connection: Connection) -> None:
        connection.slot = False
        self._slots.discard(connection)
        while self._slot_queue and len(self._slots) < LARGE_FRAME_SLOTS:
            waiting = self._slot_queue.popleft()
            if waiting.wants_slot and self._clients.get(waiting.fileno()) is waiting:
                self._grant(waiting)

    def _forget(self, connection: Connection) -> None:
        """Connection closed: it holds no place, no slot, no deadline."""
        self._no_hello.pop(connection, None)
        self._clocked.discard(connection)
        connection.frame_by = None
        connection.wants_slot = False
        if connection.slot:
            self._release_slot(connection)

    def _apply_changes(self, poller: Poller) -> None:
        with self._changed_lock:
            changed, self._changed = self._changed, set()
        for connection in changed:
            fd = connection.fileno()
            if self._clients.get(fd) is not connection:
                continue  # closed already
            if connection.holds_frames() and not connection.throttled():
                self._resume(connection)  # what it sent while throttled
            wants = connection.wants()
            if wants is not None:
                poller.modify(fd, wants)
            else:
                poller.unregister(fd)
                del self._clients[fd]
                self._forget(connection)
                self._released += connection.close_socket()
                connection.drop()
        if self._released >= TRIM_AFTER:
            self._released = 0
            _return_free_memory()

    # The GUI thread.

    def serve_gui_thread(self) -> None:
        """From now on the GUI thread runs the work posted for it, what waits already first.
        Call it on the GUI thread once Qt is up (its event loop runs the work). Until then
        the socket thread answers what it can (a ping, a malformed or untrusted request) and
        the rest waits: Qt is loaded after the socket listens."""
        # Not imported with the module: the socket serves before Qt is loaded.
        from PySide6.QtCore import QSocketNotifier

        if self._notifier is not None:
            return
        self._notifier = QSocketNotifier(self._wake_gui.read_fd, QSocketNotifier.Type.Read)
        self._notifier.activated.connect(self._deliver)
        self._gui_waiting_since = time.monotonic()  # cleared once it has taken what waits
        self._gui_start_by = None
        self._deliver()  # what waited, now: a dialog starts painting with the event loop

    def _deliver(self) -> None:
        self._wake_gui.drain()
        while True:
            try:
                event = self._to_gui.get_nowait()
            except queue.Empty:
                break
            try:
                if isinstance(event, Connection):
                    self._listener.on_closed(event)
                    event.finish()
                else:
                    connection, work = event
                    try:
                        work()
                    finally:
                        self._work_done(connection)
            except Exception:
                log.exception("handling a client's event failed")
        self._gui_waiting_since = None

    def _work_done(self, connection: Connection) -> None:
        with self._changed_lock:
            self.queued_total -= 1
            resume_all = self.queued_total == MAX_QUEUED_TOTAL - 1
        connection.work_done()
        if resume_all:
            for client in list(self._clients.values()):
                self.changed(client)


def _refuse_now(sock: Stream, message: str) -> None:
    """Tell a client it is refused, without waiting for it, and close it."""
    sock.setblocking(False)
    with contextlib.suppress(OSError):
        refuse(sock.send, message)
    sock.close()


def _return_free_memory() -> None:
    """Hand memory freed on the socket thread back to the system (glibc's ``malloc_trim``;
    elsewhere nothing: other allocators return it themselves or keep it)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None  # not glibc


def _open_spare() -> int | None:
    if sys.platform == "win32":
        return None  # pipe instances are handles: there is no descriptor limit to meet
    try:
        return os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None


def _connection_limit() -> int:
    """``MAX_CONNECTIONS``, or fewer when the process may not open that many descriptors
    (Qt and the rest keep a hundred or so), but never fewer than 16."""
    if sys.platform == "win32":
        return MAX_CONNECTIONS  # handles, not descriptors
    try:
        import resource

        soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (ImportError, OSError, ValueError):
        return MAX_CONNECTIONS
    if soft == resource.RLIM_INFINITY:
        return MAX_CONNECTIONS
    return min(MAX_CONNECTIONS, max(16, soft - 128))
