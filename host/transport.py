"""The app's local socket, for both ends: where it lives (shared by host and app so they
always agree), and the client's end of it. The host and the command line ``connect()``
and speak the frames of ``host.protocol`` over the ``AppLink`` it returns.

``BRIDGEKEEPER_HOME`` puts everything under one folder (tests, portable set-ups).
Otherwise the per-user runtime folder of the platform. Socket paths stay short: Unix
sockets fail past ~104 bytes.

Built on ``_socket`` rather than ``socket``: the wrapper module pulls in enum and
selectors, a quarter of the host's start-up, for nothing a link uses. Paths and link are
one module because the host imports both on every browser call.
"""

from __future__ import annotations

import _socket
import os
import sys

from host import protocol

SOCKET_NAME = "bk.sock"
LAUNCH_LOCK_NAME = "launch.lock"
MAX_SOCKET_PATH = 100


class SocketPathError(Exception):
    """The socket path cannot be used (too long, or the folder is not ours)."""


def runtime_dir() -> str:
    """The folder holding the socket and locks; created 0700 by whoever needs it first."""
    home = os.environ.get("BRIDGEKEEPER_HOME")
    if home:
        return os.path.join(os.path.abspath(home), "run")
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.expanduser("~")
        return os.path.join(base, "Bridgekeeper", "run")
    if sys.platform == "darwin":
        base = os.environ.get("TMPDIR") or f"/tmp/bridgekeeper-{os.getuid()}"
        return os.path.join(base, "bridgekeeper")
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    if xdg and os.path.isdir(xdg):
        return os.path.join(xdg, "bridgekeeper")
    return f"/tmp/bridgekeeper-{os.getuid()}"


def socket_path() -> str:
    """The app's socket: a file path on Unix, a pipe name on Windows."""
    if sys.platform == "win32" and not os.environ.get("BRIDGEKEEPER_HOME"):
        user = os.environ.get("USERNAME", "user")
        return rf"\\.\pipe\bridgekeeper-{user}"
    path = os.path.join(runtime_dir(), SOCKET_NAME)
    if len(path.encode()) > MAX_SOCKET_PATH:
        raise SocketPathError(
            f"socket path is {len(path.encode())} bytes, over the {MAX_SOCKET_PATH} a local "
            f"socket allows: {path} (use a shorter BRIDGEKEEPER_HOME)"
        )
    return path


def ensure_private_dir(path: str) -> None:
    """Create ``path`` 0700, and refuse one that another user owns or others can open."""
    os.makedirs(path, mode=0o700, exist_ok=True)
    if sys.platform == "win32":
        return
    st = os.stat(path)
    if st.st_uid != os.getuid():
        raise SocketPathError(f"{path} belongs to another user (uid {st.st_uid})")
    if st.st_mode & 0o077:
        os.chmod(path, 0o700)


RECV_CHUNK = 64 * 1024
"""Below glibc's mmap threshold: a receive costs no mmap/munmap."""


class AppUnavailable(Exception):
    """The app cannot be reached; the message says why and what to do."""


class AppLink:
    """A connection to the app's socket, speaking the frames of ``host.protocol``."""

    def __init__(self, sock: _socket.socket) -> None:
        self._sock = sock
        self._frames = protocol.SocketFrames()
        self.alive = True
        self.outstanding: dict[int, bytes] = {}
        """Requests sent on this link and not answered yet, in the order they were sent."""

    def send(self, kind: int, seq: int, payload: bytes) -> None:
        self._sock.sendall(protocol.socket_frame(kind, seq, payload))

    def settimeout(self, seconds: float | None) -> None:
        """Make ``send``/``receive`` raise ``TimeoutError`` past ``seconds``."""
        self._sock.settimeout(seconds)

    def fileno(self) -> int:
        return self._sock.fileno()

    def receive(self) -> tuple[int, int, bytes] | None:
        """The next frame, or ``None`` once the app has closed the connection."""
        while (frame := self._frames.next_frame()) is None:
            if not self._receive_some():
                return None
        return frame

    def receive_ready(self) -> list[tuple[int, int, bytes]] | None:
        """The frames that one receive completes (call it when the socket is readable),
        or ``None`` once the app has closed the connection."""
        if not self._receive_some():
            return None
        frames = []
        while (frame := self._frames.next_frame()) is not None:
            frames.append(frame)
        return frames

    def _receive_some(self) -> bool:
        chunk = self._sock.recv(RECV_CHUNK)
        self._frames.feed(chunk)
        return bool(chunk)

    def close(self) -> None:
        """Close the connection (again: no effect)."""
        if not self.alive:
            return
        self.alive = False
        try:
            self._sock.shutdown(_socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()


def connect(path: str) -> AppLink | None:
    """A link to a listening app, or ``None`` when nothing listens at ``path``."""
    if sys.platform == "win32":
        raise AppUnavailable("this host build cannot reach the app on Windows yet")
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.connect(path)
    except (FileNotFoundError, ConnectionRefusedError):
        sock.close()
        return None
    except OSError as error:
        sock.close()
        raise AppUnavailable(f"cannot connect to {path}: {error}") from error
    return AppLink(sock)
