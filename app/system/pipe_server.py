"""The app's end of the Windows named pipe (``host.winpipe``), served from one thread.

Windows I/O completes (an I/O completion port reports each finished read, write or
connection) where the Unix socket is polled for readiness. This module turns the first
into the second, so that the socket thread (``app.qt.server``) serves both the same way:

- ``PipePoller`` has ``select.poll``'s ``register``/``modify``/``unregister``/``poll``,
  over keys that the listener and its connections hand out as ``fileno()``;
- ``PipeListener`` has a listening socket's ``accept()``;
- ``PipeConnection`` has a non-blocking socket's ``send``/``recv``/``close``: ``send``
  takes at most ``SEND_LIMIT`` bytes while the previous write is under way (as a full
  socket buffer would), ``recv`` hands out what a completed read brought.

Level-triggered like ``poll``: a connection is readable while it holds received bytes or
has ended, writable while no write is under way; the listener is readable while a client
waits to be accepted. A read is kept under way for every connection registered for
reading. Every buffer and ``OVERLAPPED`` lives until its completion has been taken from
the port, also after ``close()`` (which cancels reads at once and gives writes
``LINGER_SECONDS`` to drain, as a socket's close does).

Runs only on Windows (``host.winpipe.api()`` raises elsewhere).
"""

from __future__ import annotations

import collections
import itertools
import logging
import threading
import time
from typing import Any

from host import winpipe
from host.winpipe import (
    ERROR_IO_PENDING,
    ERROR_OPERATION_ABORTED,
    ERROR_PIPE_CONNECTED,
    PEER_GONE,
    PipeError,
    PipeInUse,
    api,
)

log = logging.getLogger(__name__)

READ, WRITE = 0x001, 0x004
"""``select.POLLIN`` and ``select.POLLOUT`` (``select`` has no ``poll`` on Windows)."""
SEND_LIMIT = winpipe.PIPE_BUFFER
"""The most one ``send`` takes: the next waits until this write is done."""
BACKLOG = 128
"""Connected clients waiting to be accepted; beyond, new clients wait for a free instance
(``ERROR_PIPE_BUSY`` and ``WaitNamedPipeW`` on their side), as ``listen(128)``."""
LINGER_SECONDS = 5.0
"""How long a closed connection's last write may take before it is cancelled."""
WAKE_KEY = 1
"""The completion key of a wake-up (I/O completions carry key 0)."""
GQCS_TIMEOUT = 258
"""``WAIT_TIMEOUT``, as ``GetLastError`` after ``GetQueuedCompletionStatus`` timed out."""


class _Operation:
    """One read, write or connection in flight, and what it needs to stay alive."""

    __slots__ = ("buffer", "end", "kind", "overlapped", "size")

    def __init__(self, end: _End, kind: str, buffer: Any = None, size: int = 0) -> None:
        self.end = end
        self.kind = kind
        self.buffer = buffer
        self.size = size
        self.overlapped = api().OVERLAPPED()

    @property
    def address(self) -> int:
        return int(api().ctypes.addressof(self.overlapped))


class _End:
    """A pipe instance handle the poller watches: the listener's or a connection's."""

    def __init__(self, poller: PipePoller, handle: int | None) -> None:
        self.poller = poller
        self.handle = handle
        self.key = next(poller.keys)
        self.pending = 0
        """Operations in flight on ``handle``."""
        self.closing = False

    def fileno(self) -> int:
        return self.key

    def arm(self, events: int) -> None:
        """Start the I/O that ``events`` needs (called with the poller's lock held)."""

    def ready(self) -> int:
        """The events that would not block now (called with the poller's lock held)."""
        return 0

    def completed(self, operation: _Operation, count: int, error: int) -> None:
        """``operation`` has ended (called with the poller's lock held)."""

    def release(self) -> None:
        """Close the handle once nothing is in flight on it."""
        if self.handle is not None and self.pending == 0:
            # CloseHandle: the instance goes once both ends are closed.
            api().CloseHandle(self.handle)
            self.handle = None


class PipeConnection(_End):
    """One connected client (see the module's description for its socket semantics)."""

    def __init__(self, poller: PipePoller, handle: int) -> None:
        super().__init__(poller, handle)
        self._received = bytearray()
        self._read_buffer = api().ctypes.create_string_buffer(winpipe.RECV_CHUNK)
        self._reading = False
        self._writing = False
        self._ended = False
        """The client has closed its end (or the connection broke): reads end."""
        self._broken = False
        """Writes can no longer reach the client."""
        self._read_operation: _Operation | None = None
        self.linger_until = 0.0

    # A socket's surface.

    def setblocking(self, _flag: bool) -> None:
        """Always non-blocking."""

    def recv(self, size: int) -> bytes:
        with self.poller.lock:
            if self._received:
                data = bytes(self._received[:size])
                del self._received[:size]
                return data
            if self._ended:
                return b""
            raise BlockingIOError("nothing received yet")

    def send(self, data: bytes | bytearray | memoryview) -> int:
        with self.poller.lock:
            if self.closing or self._broken or self.handle is None:
                raise BrokenPipeError("the client has closed the connection")
            if self._writing:
                raise BlockingIOError("the previous write is still under way")
            chunk = bytes(data[:SEND_LIMIT])
            if not chunk:
                return 0
            win = api()
            buffer = win.ctypes.create_string_buffer(chunk, len(chunk))
            operation = _Operation(self, "write", buffer, len(chunk))
            self.poller.track(operation)
            # WriteFile, overlapped on a handle tied to the port: a completion packet
            # arrives when it ends, also when it succeeds at once.
            ok = win.WriteFile(
                self.handle, buffer, len(chunk), None, win.ctypes.byref(operation.overlapped)
            )
            error = 0 if ok else win.last_error()
            if error and error != ERROR_IO_PENDING:
                self.poller.untrack(operation)  # failed at once: no packet will come
                self._broken = True
                if error in PEER_GONE:
                    raise BrokenPipeError(error, "the client has closed the connection")
                raise win.error("cannot write to the client", error)
            self._writing = True
            return len(chunk)

    def shutdown(self, _how: int) -> None:
        """Nothing to do: ``close`` ends both directions."""

    def close(self) -> None:
        """Stop reading at once; a write under way gets ``LINGER_SECONDS`` to finish."""
        with self.poller.lock:
            if self.closing:
                return
            self.closing = True
            self.poller.forget(self)
            if self._reading and self._read_operation is not None:
                # CancelIoEx on the read alone ends it with ERROR_OPERATION_ABORTED; its
                # packet still comes, and the handle is closed after the last one.
                api().CancelIoEx(self.handle, api().ctypes.byref(self._read_operation.overlapped))
            if self._writing:
                self.linger_until = time.monotonic() + LINGER_SECONDS
                self.poller.linger(self)
            self.release()

    # Who is at the other end.

    def client_pid(self) -> int:
        assert self.handle is not None
        return winpipe.client_pid(self.handle)

    def client_is_same_user(self) -> bool:
        """Whether the client process runs as this user (read while it is connected)."""
        try:
            return winpipe.process_is_same_user(self.client_pid())
        except PipeError:
            return False

    # The poller's side.

    def arm(self, events: int) -> None:
        if not events & READ or self._reading or self._received or self._ended:
            return
        if self.closing or self.handle is None:
            return
        win = api()
        operation = _Operation(self, "read", self._read_buffer, winpipe.RECV_CHUNK)
        self.poller.track(operation)
        # ReadFile, overlapped: the packet comes when bytes arrived or the client closed.
        ok = win.ReadFile(
            self.handle,
            self._read_buffer,
            winpipe.RECV_CHUNK,
            None,
            win.ctypes.byref(operation.overlapped),
        )
        error = 0 if ok else win.last_error()
        if error and error != ERROR_IO_PENDING:
            self.poller.untrack(operation)
            self._ended = True
            if error not in PEER_GONE:
                log.warning("reading from a pipe client failed: error %s", error)
            return
        self._reading = True
        self._read_operation = operation

    def ready(self) -> int:
        events = READ if (self._received or self._ended) else 0
        if not self._writing and not self.closing:
            events |= WRITE
        return events

    def completed(self, operation: _Operation, count: int, error: int) -> None:
        if operation.kind == "read":
            self._reading = False
            if error in PEER_GONE or error == ERROR_OPERATION_ABORTED:
                self._ended = True
            elif error:
                log.warning("reading from a pipe client failed: error %s", error)
                self._ended = True
            else:
                self._received += operation.buffer.raw[:count]
        else:
            self._writing = False
            if error or count != operation.size:
                self._broken = True
                if error not in PEER_GONE and error != ERROR_OPERATION_ABORTED:
                    log.warning("writing to a pipe client failed: error %s", error)

    def cancel_write(self) -> None:
        """The linger time is over: give up the write under way."""
        if self._writing and self.handle is not None:
            api().CancelIoEx(self.handle, None)


class PipeListener(_End):
    """Creates the pipe's instances and hands out connected clients (``accept``)."""

    def __init__(self, name: str, poller: PipePoller, sddl: str | None = None) -> None:
        super().__init__(poller, None)
        self.name = name
        self._sddl = sddl or winpipe.owner_only_sddl(winpipe.current_user_sid())
        self._waiting: collections.deque[PipeConnection] = collections.deque()
        self._connecting: PipeConnection | None = None
        self._created_first = False

    def listen(self) -> None:
        """Create the first instance (``PipeInUse`` when a process already has the name)
        and wait for a client."""
        with self.poller.lock:
            self._connect_next()

    def accept(self) -> tuple[PipeConnection, None]:
        """A connected client, as ``socket.accept`` returns one; ``BlockingIOError`` when
        none waits. An ``OSError`` when no new instance can be created (retried on the
        next call)."""
        with self.poller.lock:
            if self._connecting is None and len(self._waiting) < BACKLOG:
                self._connect_next()
            if not self._waiting:
                raise BlockingIOError("no client is waiting")
            connection = self._waiting.popleft()
            self.poller.adopt(connection)
            return connection, None

    def close(self) -> None:
        with self.poller.lock:
            if self.closing:
                return
            self.closing = True
            self.poller.forget(self)
            connecting, self._connecting = self._connecting, None
            if connecting is not None:
                # CancelIoEx ends the pending ConnectNamedPipe (its packet still comes).
                api().CancelIoEx(connecting.handle, None)
                connecting.closing = True
            while self._waiting:
                self._waiting.popleft().close()

    def ready(self) -> int:
        return READ if self._waiting else 0

    def arm(self, events: int) -> None:
        if events & READ and self._connecting is None and len(self._waiting) < BACKLOG:
            try:
                self._connect_next()
            except OSError as error:
                log.error("cannot create another instance of %s: %s", self.name, error)

    def completed(self, operation: _Operation, count: int, error: int) -> None:
        connection = operation.end
        assert isinstance(connection, PipeConnection)
        if self._connecting is connection:
            self._connecting = None
        if connection.closing:
            return
        if error and error != ERROR_PIPE_CONNECTED:
            # A client that came and went before the connection completed: drop the
            # instance, wait with a fresh one.
            connection.closing = True
            connection.release()
        else:
            self._waiting.append(connection)
        if not self.closing and len(self._waiting) < BACKLOG:
            try:
                self._connect_next()
            except OSError as failure:
                log.error("cannot create another instance of %s: %s", self.name, failure)

    def _connect_next(self) -> None:
        """Create an instance and wait for a client on it."""
        if self.closing:
            raise OSError("the listener is closed")
        win = api()
        first = not self._created_first
        attributes, release = winpipe.security_attributes(self._sddl)
        try:
            # CreateNamedPipeW: FILE_FLAG_FIRST_PIPE_INSTANCE on the first instance makes
            # the call fail (ERROR_ACCESS_DENIED) when any process already has this name;
            # PIPE_REJECT_REMOTE_CLIENTS refuses clients on other machines; byte mode;
            # the descriptor is checked for every later instance and every client.
            handle = win.CreateNamedPipeW(
                self.name,
                winpipe.PIPE_ACCESS_DUPLEX
                | winpipe.FILE_FLAG_OVERLAPPED
                | (winpipe.FILE_FLAG_FIRST_PIPE_INSTANCE if first else 0),
                winpipe.PIPE_TYPE_BYTE
                | winpipe.PIPE_READMODE_BYTE
                | winpipe.PIPE_WAIT
                | winpipe.PIPE_REJECT_REMOTE_CLIENTS,
                winpipe.PIPE_UNLIMITED_INSTANCES,
                winpipe.PIPE_BUFFER,
                winpipe.PIPE_BUFFER,
                0,
                win.ctypes.byref(attributes),
            )
            error = win.last_error()
        finally:
            release()
        if handle is None or handle == win.INVALID_HANDLE_VALUE:
            if first and error == winpipe.ERROR_ACCESS_DENIED:
                raise PipeInUse(
                    error,
                    f"another process already serves {self.name} (another Bridgekeeper of "
                    "this user, or a process of another user holding the name)",
                )
            raise win.error(f"cannot create {self.name}", error)
        self._created_first = True
        self.poller.attach(handle)
        connection = PipeConnection(self.poller, handle)
        operation = _Operation(connection, "connect")
        self.poller.track(operation, owner=self)
        # ConnectNamedPipe, overlapped: FALSE with ERROR_IO_PENDING while it waits for a
        # client (its packet comes then); FALSE with ERROR_PIPE_CONNECTED when a client
        # connected in between (no packet comes).
        ok = win.ConnectNamedPipe(handle, win.ctypes.byref(operation.overlapped))
        error = 0 if ok else win.last_error()
        if error == ERROR_PIPE_CONNECTED:
            self.poller.untrack(operation)
            self._waiting.append(connection)
            return
        if error and error != ERROR_IO_PENDING:
            self.poller.untrack(operation)
            connection.closing = True
            connection.release()
            raise win.error(f"cannot wait for a client on {self.name}", error)
        self._connecting = connection


class PipeWaker:
    """Wakes the thread in ``PipePoller.poll`` from any thread (``read_fd`` is its key
    for ``register``, as the read end of the wake-up pipe on Unix)."""

    def __init__(self, poller: PipePoller) -> None:
        self._poller = poller
        self.read_fd = WAKE_KEY

    def wake(self) -> None:
        self._poller.wake()

    def drain(self) -> None:
        with self._poller.lock:
            self._poller.woken = False


class PipePoller:
    """``select.poll`` over an I/O completion port, for one listener and its clients."""

    def __init__(self) -> None:
        win = api()
        # CreateIoCompletionPort(INVALID_HANDLE_VALUE, NULL, 0, 1): a new port, not yet
        # tied to any handle, for one thread.
        port = win.CreateIoCompletionPort(win.INVALID_HANDLE_VALUE, None, 0, 1)
        if not port:
            raise win.error("cannot create an I/O completion port")
        self._port = port
        self.lock = threading.RLock()
        self.keys = itertools.count(WAKE_KEY + 1)
        self.woken = False
        self._ends: dict[int, _End] = {}
        self._interest: dict[int, int] = {}
        self._flight: dict[int, tuple[_Operation, _End]] = {}
        """Operations in flight by the address of their OVERLAPPED, with the end whose
        ``completed`` takes their result."""
        self._lingering: list[PipeConnection] = []

    def waker(self) -> PipeWaker:
        return PipeWaker(self)

    def wake(self) -> None:
        # PostQueuedCompletionStatus: a packet of our own, which ends the wait in poll().
        api().PostQueuedCompletionStatus(self._port, 0, WAKE_KEY, None)

    # select.poll's surface.

    def register(self, key: int | Any, events: int) -> None:
        key = key if isinstance(key, int) else key.fileno()
        with self.lock:
            self._interest[key] = events

    def modify(self, key: int | Any, events: int) -> None:
        self.register(key, events)

    def unregister(self, key: int | Any) -> None:
        key = key if isinstance(key, int) else key.fileno()
        with self.lock:
            self._interest.pop(key, None)

    def poll(self, timeout: float | None = None) -> list[tuple[int, int]]:
        """The registered keys whose events would not block now, waiting up to
        ``timeout`` milliseconds (``None`` or negative: until one is ready)."""
        deadline = None if timeout is None or timeout < 0 else time.monotonic() + timeout / 1000
        while True:
            with self.lock:
                ready = self._ready()
            if ready or (deadline is not None and time.monotonic() >= deadline):
                return ready
            if self._take(self._wait_milliseconds(deadline)):
                while self._take(0):
                    pass

    def close(self) -> None:
        """Close the port (after the listener and every connection are closed)."""
        with self.lock:
            for connection in self._lingering:
                connection.cancel_write()
        deadline = time.monotonic() + 1.0
        while self._flight and time.monotonic() < deadline:
            self._take(50)
        api().CloseHandle(self._port)

    # For the listener and connections.

    def attach(self, handle: int) -> None:
        win = api()
        # CreateIoCompletionPort(handle, port, key, 0): the handle's I/O completes to port.
        if not win.CreateIoCompletionPort(handle, self._port, 0, 0):
            raise win.error("cannot tie a pipe instance to the completion port")

    def adopt(self, end: _End) -> None:
        self._ends[end.key] = end

    def forget(self, end: _End) -> None:
        self._ends.pop(end.key, None)
        self._interest.pop(end.key, None)

    def track(self, operation: _Operation, owner: _End | None = None) -> None:
        """Keep ``operation`` alive until its packet comes (before it is started)."""
        self._flight[operation.address] = (operation, owner or operation.end)
        operation.end.pending += 1

    def untrack(self, operation: _Operation) -> None:
        """``operation`` failed to start: no packet will come."""
        if self._flight.pop(operation.address, None) is not None:
            operation.end.pending -= 1

    def linger(self, connection: PipeConnection) -> None:
        self._lingering.append(connection)

    # Inside.

    def _ready(self) -> list[tuple[int, int]]:
        found = []
        for key, events in list(self._interest.items()):
            if key == WAKE_KEY:
                if events & READ and self.woken:
                    found.append((key, READ))
                continue
            end = self._ends.get(key)
            if end is None:
                continue
            end.arm(events)
            now = end.ready() & events
            if now:
                found.append((key, now))
        return found

    def _wait_milliseconds(self, deadline: float | None) -> int:
        now = time.monotonic()
        ends = [deadline] if deadline is not None else []
        with self.lock:
            ends += [c.linger_until for c in self._lingering]
        if not ends:
            return winpipe.INFINITE
        return max(0, int((min(ends) - now) * 1000) + 1)

    def _take(self, milliseconds: int) -> bool:
        """Take one packet from the port (waiting up to ``milliseconds``): False when none
        came in time."""
        win = api()
        ctypes = win.ctypes
        count = ctypes.c_ulong(0)
        key = ctypes.c_size_t(0)
        overlapped = ctypes.c_void_p(None)
        # GetQueuedCompletionStatus: TRUE for a successful operation; FALSE with an
        # OVERLAPPED for a failed one (GetLastError is its error); FALSE without one when
        # the wait timed out (WAIT_TIMEOUT).
        ok = win.GetQueuedCompletionStatus(
            self._port,
            ctypes.byref(count),
            ctypes.byref(key),
            ctypes.byref(overlapped),
            milliseconds,
        )
        error = 0 if ok else win.last_error()
        self._end_lingering()
        if not overlapped.value:
            if ok and key.value == WAKE_KEY:
                with self.lock:
                    self.woken = True
                return True
            if error == GQCS_TIMEOUT:
                return False
            raise win.error("cannot wait on the completion port", error)
        with self.lock:
            entry = self._flight.pop(int(overlapped.value), None)
            if entry is None:
                log.error("a completion for an unknown operation: ignored")
                return True
            operation, owner = entry
            end = operation.end
            end.pending -= 1
            owner.completed(operation, int(count.value), error)
            if end.closing:
                end.release()
        return True

    def _end_lingering(self) -> None:
        now = time.monotonic()
        with self.lock:
            for connection in list(self._lingering):
                if connection.pending == 0:
                    self._lingering.remove(connection)
                elif connection.linger_until <= now:
                    connection.cancel_write()
                    self._lingering.remove(connection)


def listen(name: str, poller: PipePoller, sddl: str | None = None) -> PipeListener:
    """A listener on ``name``, its first instance created (``PipeInUse`` when taken)."""
    listener = PipeListener(name, poller, sddl)
    poller.adopt(listener)
    listener.listen()
    return listener
