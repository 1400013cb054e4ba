"""The app's local socket, for both ends: where it lives (shared by host and app so they
always agree), the checks that say whether it is ours, and the client's end of it. The
host and the command line ``connect()`` and speak the frames of ``host.protocol`` over
the link it returns: an ``AppLink`` on a Unix socket, or on Windows a
``host.winpipe.PipeLink`` on this user's named pipe (``socket_path()`` is then the pipe's
name). Both have the surface of ``Link``.

``BRIDGEKEEPER_HOME`` puts everything under one folder (tests, portable set-ups).
Otherwise the per-user runtime folder of the platform. Socket paths stay short: Unix
sockets fail past ~104 bytes.

The trust rules (SPEC "The local socket"), in one place for both ends:
- ``check_private_dir``: the socket's folder is a real folder (never a symlink, which is
  never followed) owned by this user, mode 0700. Anything else is refused, never
  repaired: ``ensure_private_dir`` creates a missing one and checks an existing one.
- ``check_peer``: the process at the other end of a connection runs as this user
  (``SO_PEERCRED`` on Linux, ``LOCAL_PEERCRED``, what ``getpeereid`` reads, on macOS
  and FreeBSD). ``connect`` checks it before the first byte; the app checks its peers.
On Windows ``host.winpipe`` makes both checks for the pipe: a per-user name and an
owner-only descriptor in place of the folder, the server process's token user in place
of the peer's credentials, checked before a byte is sent.

Built on ``_socket`` rather than ``socket``: the wrapper module pulls in enum and
selectors, a quarter of the host's start-up, for nothing a link uses. Paths and link are
one module because the host imports both on every browser call.
"""

from __future__ import annotations

import _socket
import os
import stat
import struct
import sys

from host import protocol

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Protocol

    class PeerSocket(Protocol):
        """What the checks need of a connected socket (``_socket`` or ``socket`` alike)."""

        def getsockopt(self, level: int, option: int, buffersize: int, /) -> bytes: ...


SOCKET_NAME = "bk.sock"
LAUNCH_LOCK_NAME = "launch.lock"
MAX_SOCKET_PATH = 100
HOW_TO_FIX = "Start it with `bridgekeeper`, or run `bridgekeeper doctor` to see what is wrong."
FLATPAK_INFO = "/.flatpak-info"
"""Written by Flatpak into every sandbox (read-only there): its ``[Application]`` ``name``
is the sandbox's app id. Absent outside a sandbox."""
SANDBOX_FOLDER = "bridgekeeper"
"""Ours, inside the runtime folder Flatpak shares with a sandbox."""
MAX_APP_ID = 255


class SocketPathError(Exception):
    """The socket path cannot be used (too long, or its folder is not safely ours).
    ``problem`` says what is wrong, ``fix`` what the user can do."""

    def __init__(self, problem: str, fix: str = "") -> None:
        super().__init__(f"{problem}. Fix: {fix}" if fix else problem)
        self.problem = problem
        self.fix = fix


class AppUnavailable(Exception):
    """The app cannot be reached; the message says why and what to do."""


class AppBusy(AppUnavailable):
    """Something listens but does not accept connections now (its backlog is full: the
    app is stopped, hung, or out of descriptors). Worth trying again until a deadline."""


class ForeignPeer(AppUnavailable):
    """The socket (Windows: the pipe) is served by a process of another user: nothing is
    sent to it. ``who`` names it; ``uid`` is ``None`` on Windows, where ``message`` says
    what was found."""

    def __init__(
        self, path: str, uid: int | None, pid: int | None, message: str | None = None
    ) -> None:
        self.path = path
        self.uid = uid
        self.pid = pid
        at = "" if pid is None else f"pid {pid}"
        if uid is None:
            who = f"a process of another user ({at or 'pid unknown'})"
        else:
            who = f"user {_user_name(uid)} (uid {uid}{at and ', ' + at})"
        self.who = who
        super().__init__(
            message
            or f"the socket {path} is served by {who}, not by you: it is not your "
            "Bridgekeeper, and nothing was sent to it. Run `bridgekeeper doctor`."
        )


def runtime_dir() -> str:
    """The folder holding the socket and locks; created 0700 by whoever needs it first.
    Inside a Flatpak sandbox: ours in the runtime folder Flatpak shares with it."""
    sandbox = flatpak_app_id()
    if sandbox is not None:
        return sandbox_runtime_dir(sandbox)
    return _runtime_dir_outside()


def _runtime_dir_outside() -> str:
    home = os.environ.get("BRIDGEKEEPER_HOME")
    if home:
        return os.path.join(os.path.abspath(home), "run")
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.expanduser("~")
        return os.path.join(base, "Bridgekeeper", "run")
    if sys.platform == "darwin":
        from host import darwin

        folder = darwin.runtime_dir()
        if folder is None:
            raise SocketPathError(
                "macOS reports no private temporary folder for you, and $TMPDIR is not a "
                "folder only you can open, so there is nowhere safe for Bridgekeeper's socket",
                "log in through the desktop (which sets it up), or set BRIDGEKEEPER_HOME to a "
                "folder only you can write to",
            )
        return folder
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    if xdg and os.path.isdir(xdg):
        return os.path.join(xdg, "bridgekeeper")
    return f"/tmp/bridgekeeper-{os.getuid()}"


def socket_path() -> str:
    """The app's socket: a file path on Unix, a pipe name on Windows. Inside a Flatpak
    sandbox, the sandbox's socket, once Flatpak's folder above ours is known to be safe
    (``SocketPathError`` otherwise)."""
    sandbox = flatpak_app_id()
    if sandbox is not None:
        check_private_dir(flatpak_runtime_dir(sandbox), _flatpak_fix)
        return sandbox_socket_path(sandbox)
    if sys.platform == "win32":
        from host import winpipe

        try:
            return winpipe.user_pipe_name()  # per user, and per BRIDGEKEEPER_HOME
        except (OSError, ValueError) as error:
            raise SocketPathError(f"cannot name this user's pipe: {error}") from error
    path = os.path.join(_runtime_dir_outside(), SOCKET_NAME)
    return _short_enough(path, "use a shorter BRIDGEKEEPER_HOME")


def _short_enough(path: str, fix: str) -> str:
    if len(path.encode()) > MAX_SOCKET_PATH:
        raise SocketPathError(
            f"socket path is {len(path.encode())} bytes, over the {MAX_SOCKET_PATH} a local "
            f"socket allows: {path}",
            fix,
        )
    return path


# Flatpak sandboxes. A sandbox sees, of the user's runtime folder, only
# ``$XDG_RUNTIME_DIR/app/<app id>``, at the same path: Flatpak creates it 0700 when it
# starts the app and binds it into the sandbox. That folder is Flatpak's; the app creates
# it only when it is not there yet (as Flatpak would), and both ends require of it what
# they require of the main socket's folder (``check_private_dir``), never repairing it.
# In it, ``bridgekeeper/`` is ours (0700, created by the app), and so is the socket in it.
# The SPEC's exception: these follow ``XDG_RUNTIME_DIR`` even under ``BRIDGEKEEPER_HOME``.


def flatpak_app_id(info: str = FLATPAK_INFO) -> str | None:
    """The app id of the Flatpak sandbox this process runs in, from ``info`` (which
    Flatpak writes and the sandbox cannot change); ``None`` outside a sandbox.
    ``SocketPathError`` when the file names no valid id, or ``FLATPAK_ID`` disagrees."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        with open(info, "rb") as stream:
            data = stream.read(256 * 1024)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise SocketPathError(f"cannot read {info}: {error.strerror or error}") from error
    name = _keyfile_value(data, b"Application", b"name")
    if name is None or not valid_app_id(name):
        raise SocketPathError(
            f"{info} names no Flatpak app id ({'none' if name is None else repr(name)[:100]}), "
            "so the folder Flatpak shares with this sandbox is unknown",
            "reinstall the browser's Flatpak",
        )
    claimed = os.environ.get("FLATPAK_ID")
    if claimed and claimed != name:
        raise SocketPathError(
            f"FLATPAK_ID says {claimed[:100]!r} but {info} says {name!r}: nothing is sent "
            "when the sandbox cannot be told",
            "start the browser as Flatpak does (`flatpak run`)",
        )
    return name


def _keyfile_value(data: bytes, group: bytes, key: bytes) -> str | None:
    """``key``'s value in ``[group]`` of a GKeyFile (``/.flatpak-info``); ``None`` if absent
    or not UTF-8."""
    inside = False
    for raw in data.splitlines():
        line = raw.strip()
        if line.startswith(b"["):
            inside = line == b"[" + group + b"]"
        elif inside and line.partition(b"=")[0].strip() == key:
            try:
                return line.partition(b"=")[2].strip().decode("utf-8")
            except UnicodeDecodeError:
                return None
    return None


def valid_app_id(ident: str) -> bool:
    """A Flatpak app id as it may go into a path: at least two dot-separated parts of ASCII
    letters, digits, ``_`` and ``-`` (``org.chromium.Chromium``)."""
    parts = ident.split(".")
    return (
        0 < len(ident) <= MAX_APP_ID
        and len(parts) >= 2
        and all(part.replace("_", "").replace("-", "").isalnum() for part in parts)
        and ident.isascii()
    )


def flatpak_runtime_dir(app_id: str) -> str:
    """The runtime folder Flatpak shares with sandbox ``app_id``: ``$XDG_RUNTIME_DIR/app/<id>``
    (``SocketPathError`` when ``XDG_RUNTIME_DIR`` is not set or ``app_id`` is no app id)."""
    xdg = os.environ.get("XDG_RUNTIME_DIR", "")
    if not os.path.isabs(xdg):
        raise SocketPathError(
            "XDG_RUNTIME_DIR is not set, so the folder Flatpak shares with a sandboxed "
            "browser is unknown",
            "run Bridgekeeper in your desktop session (which sets it)",
        )
    if not valid_app_id(app_id):
        raise SocketPathError(f"{app_id[:100]!r} is not a Flatpak app id")
    return os.path.join(xdg, "app", app_id)


def sandbox_runtime_dir(app_id: str) -> str:
    """Our folder in the runtime folder Flatpak shares with sandbox ``app_id``."""
    return os.path.join(flatpak_runtime_dir(app_id), SANDBOX_FOLDER)


def sandbox_socket_path(app_id: str) -> str:
    """Where the app listens for hosts inside sandbox ``app_id`` (the same path inside)."""
    path = os.path.join(sandbox_runtime_dir(app_id), SOCKET_NAME)
    return _short_enough(path, "set a shorter XDG_RUNTIME_DIR")


def check_sandbox_dirs(app_id: str) -> bool:
    """Whether the sandbox's socket folder exists, once it and Flatpak's folder above it
    are known to be private folders of this user (``check_private_dir``, which raises
    ``SocketPathError`` for anything else, with the fix)."""
    shared = flatpak_runtime_dir(app_id)
    if not check_private_dir(shared, _flatpak_fix):
        return False
    return check_private_dir(os.path.join(shared, SANDBOX_FOLDER))


def ensure_sandbox_dirs(app_id: str) -> str:
    """The app's side: create what is missing of ``$XDG_RUNTIME_DIR/app/<id>/bridgekeeper``
    (0700, as Flatpak creates its part), check the rest as ``check_sandbox_dirs`` does, and
    return our folder. Nothing found there is repaired or followed."""
    if sys.platform == "win32":
        raise SocketPathError("Flatpak sandboxes exist only on Linux")
    shared = flatpak_runtime_dir(app_id)
    apps = os.path.dirname(shared)
    try:
        os.mkdir(apps, 0o700)
    except FileExistsError:
        pass
    info = os.lstat(apps)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o022:
        raise SocketPathError(
            f"{apps} is not a folder of yours that only you can write to: Flatpak keeps "
            "its sandboxes' runtime folders there",
            _flatpak_fix(apps, info.st_uid),
        )
    try:
        os.mkdir(shared, 0o700)
    except FileExistsError:
        pass
    if not check_private_dir(shared, _flatpak_fix):
        raise SocketPathError(f"{shared} vanished as it was created", "try again")
    ours = os.path.join(shared, SANDBOX_FOLDER)
    ensure_private_dir(ours)
    return ours


def _flatpak_fix(path: str, uid: int) -> str:
    """What to do about a runtime folder of Flatpak's that is not safely ours."""
    if sys.platform != "win32" and uid == os.geteuid():
        return f"rm -r {path}  (Flatpak creates it again when the browser starts)"
    return (
        f"it is not yours to remove: ask an administrator to check what user "
        f"{_user_name(uid)} is doing and remove it (`sudo rm -r {path}`); Flatpak creates "
        "it again when the browser starts"
    )


def check_private_dir(path: str, fix: Callable[[str, int], str] | None = None) -> bool:
    """Whether ``path`` exists, once it is known to be a private folder of this user:
    a real folder (``lstat``: a link is never followed), owned by this user, mode 0700.
    ``False`` when it does not exist; ``SocketPathError`` when it is anything else (its
    fix for a folder or file that is there: ``fix(path, owner's uid)``)."""
    if sys.platform == "win32":
        return os.path.isdir(path)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return False
    mine = st.st_uid == os.geteuid()
    remove = fix(path, st.st_uid) if fix else f"rm {path}" if mine else ""
    if stat.S_ISLNK(st.st_mode):
        raise SocketPathError(
            f"{path} is a symbolic link (to {_link_target(path)}), not a folder: "
            "Bridgekeeper's socket folder must be a real folder of yours",
            remove or _not_yours_fix(path, st.st_uid),
        )
    if not stat.S_ISDIR(st.st_mode):
        raise SocketPathError(
            f"{path} is not a folder",
            remove or _not_yours_fix(path, st.st_uid),
        )
    if not mine:
        raise SocketPathError(
            f"{path} belongs to user {_user_name(st.st_uid)} (uid {st.st_uid}), not to you: "
            "whoever owns it could pose as Bridgekeeper",
            remove or _not_yours_fix(path, st.st_uid),
        )
    if st.st_mode & 0o077:
        raise SocketPathError(
            f"{path} is open to other users (mode {stat.S_IMODE(st.st_mode):04o}, must be 0700)",
            f"chmod 700 {path}",
        )
    return True


def ensure_private_dir(path: str) -> None:
    """Create ``path`` 0700 when it does not exist, else check it (``check_private_dir``):
    a folder that is not safely ours is refused, never repaired."""
    if sys.platform == "win32":
        os.makedirs(path, exist_ok=True)
        return
    parent = os.path.dirname(path)
    if parent:
        os.makedirs(parent, exist_ok=True)
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    if not check_private_dir(path):
        raise SocketPathError(f"{path} vanished as it was created", "try again")


def _link_target(path: str) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "?"


def _user_name(uid: int) -> str:
    if sys.platform == "win32":
        return str(uid)
    try:
        import pwd

        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _not_yours_fix(path: str, uid: int) -> str:
    if os.environ.get("BRIDGEKEEPER_HOME"):
        where = "choose a BRIDGEKEEPER_HOME only you can write to"
    else:
        where = "or log in through a session that sets XDG_RUNTIME_DIR (systemd-logind does)"
    return (
        f"it is not yours to remove: ask an administrator to check what user "
        f"{_user_name(uid)} is doing and remove it (`sudo rm -r {path}`), {where}"
    )


_UCRED = struct.Struct("=iII")  # struct ucred: pid, uid, gid
_XUCRED_HEAD = struct.Struct("=II")  # struct xucred: cr_version, cr_uid, ...
_XUCRED_SIZE = 76


def peer_credentials(sock: PeerSocket) -> tuple[int, int | None]:
    """``(uid, pid)`` of the process at the other end of a connected Unix socket (for a
    listening peer: its credentials when it called ``listen``); pid ``None`` where the
    platform does not say. ``OSError`` where it cannot be known: then nobody is trusted."""
    if sys.platform.startswith("linux"):
        data = sock.getsockopt(_socket.SOL_SOCKET, _socket.SO_PEERCRED, _UCRED.size)
        pid, uid, _gid = _UCRED.unpack(data)
        return uid, pid
    if sys.platform.startswith(("darwin", "freebsd", "dragonfly")):
        # SOL_LOCAL (0), LOCAL_PEERCRED (1): a struct xucred, as getpeereid() reads it.
        data = sock.getsockopt(0, 1, _XUCRED_SIZE)
        version, uid = _XUCRED_HEAD.unpack_from(data)
        if version != 0:
            raise OSError(f"unknown struct xucred version {version}")
        return uid, None
    raise OSError(f"cannot learn who is at the other end of a local socket on {sys.platform}")


def check_peer(sock: PeerSocket, path: str) -> int | None:
    """The peer's pid (``None`` if unknown), once it is known to run as this user;
    ``ForeignPeer`` when it does not."""
    if sys.platform == "win32":
        raise OSError("Windows has no Unix socket peers: host.winpipe checks the pipe's")
    uid, pid = peer_credentials(sock)
    if uid != os.geteuid():
        raise ForeignPeer(path, uid, pid)
    return pid


RECV_CHUNK = 64 * 1024
"""Below glibc's mmap threshold: a receive costs no mmap/munmap."""


class AppLink:
    """A connection to the app's socket, speaking the frames of ``host.protocol``.

    Non-blocking as ``connect`` returns it: ``queue`` and ``flush`` write what the app
    takes without ever waiting for it (the relay polls). ``settimeout`` makes it blocking
    with a deadline for ``send`` and ``receive`` (the command line)."""

    def __init__(self, sock: _socket.socket, pid: int | None = None) -> None:
        self._sock = sock
        self._frames = protocol.SocketFrames()
        self._unsent: list[bytes] = []
        self._offset = 0
        """Bytes of ``_unsent[0]`` already sent."""
        self.unsent = 0
        """Bytes queued that the app has not taken yet."""
        self.pid = pid
        """The app's process id, as the kernel reports it (``None`` if unknown)."""
        self.alive = True
        self.outstanding: dict[int, bytes] = {}
        """Requests sent on this link and not answered yet, in the order they were sent."""

    def send(self, kind: int, seq: int, payload: bytes) -> None:
        """Send a frame whole (blocking: after ``settimeout``)."""
        self._sock.sendall(protocol.socket_frame(kind, seq, payload))

    def queue(self, kind: int, seq: int, payload: bytes) -> None:
        """Send a frame as far as the app takes it now; ``flush`` writes the rest.
        ``OSError`` when the app is gone."""
        frame = protocol.socket_frame(kind, seq, payload)
        if not self._unsent:  # the usual case: the socket takes it all at once
            try:
                sent = self._sock.send(frame)
            except BlockingIOError:
                sent = 0
            if sent == len(frame):
                return
            frame = frame[sent:]
        self._unsent.append(frame)
        self.unsent += len(frame)
        self.flush()

    def flush(self) -> bool:
        """Write what the socket takes now; true when nothing is left. ``OSError`` when
        the app is gone."""
        unsent = self._unsent
        while unsent:
            head = unsent[0]
            try:
                sent = self._sock.send(memoryview(head)[self._offset :])
            except BlockingIOError:
                return False
            self._offset += sent
            self.unsent -= sent
            if self._offset == len(head):
                del unsent[0]
                self._offset = 0
        return True

    def settimeout(self, seconds: float | None) -> None:
        """Make ``send``/``receive`` raise ``TimeoutError`` past ``seconds``."""
        self._sock.settimeout(seconds)

    def fileno(self) -> int:
        return self._sock.fileno()

    def receive(self) -> tuple[int, int, bytes] | None:
        """The next frame, or ``None`` once the app has closed the connection (blocking:
        after ``settimeout``)."""
        while (frame := self._frames.next_frame()) is None:
            chunk = self._sock.recv(RECV_CHUNK)
            if not chunk:
                return None
            self._frames.feed(chunk)
        return frame

    def receive_ready(self) -> list[tuple[int, int, bytes]] | None:
        """The frames that one receive completes (call it when the socket is readable),
        or ``None`` once the app has closed the connection; ``BlockingIOError`` when
        there was nothing to read."""
        chunk = self._sock.recv(RECV_CHUNK)
        if not chunk:
            return None
        self._frames.feed(chunk)
        frames = []
        while (frame := self._frames.next_frame()) is not None:
            frames.append(frame)
        return frames

    def close(self) -> None:
        """Close the connection (again: no effect)."""
        if not self.alive:
            return
        self.alive = False
        self._unsent.clear()
        self.unsent = 0
        try:
            self._sock.shutdown(_socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()


if TYPE_CHECKING:

    class Link(Protocol):
        """A connection to the app, whatever the transport (``AppLink``, Windows'
        ``host.winpipe.PipeLink``): what the host and the command line use of it. The
        relay's waiting is the transport's own (``fileno()``; events on Windows)."""

        pid: int | None
        alive: bool
        outstanding: dict[int, bytes]
        unsent: int

        def send(self, kind: int, seq: int, payload: bytes) -> None: ...

        def queue(self, kind: int, seq: int, payload: bytes) -> None: ...

        def flush(self) -> bool: ...

        def settimeout(self, seconds: float | None) -> None: ...

        def receive(self) -> tuple[int, int, bytes] | None: ...

        def receive_ready(self) -> list[tuple[int, int, bytes]] | None: ...

        def close(self) -> None: ...

    def _both_are_links(socket_link: AppLink, pipe_link: winpipe.PipeLink) -> list[Link]:
        return [socket_link, pipe_link]  # mypy checks that each satisfies Link

    from host import winpipe

    if sys.platform == "win32":
        PlatformLink = winpipe.PipeLink
    else:
        PlatformLink = AppLink


def connect(path: str) -> PlatformLink | None:
    """A link to the app listening at ``path``, or ``None`` when nothing listens there.

    Before a byte is sent: the socket's folder is checked (``SocketPathError``), and the
    process that listens must run as this user (``ForeignPeer``). ``AppBusy`` when the
    app does not accept connections now; never waits. On Windows, ``path`` is the pipe's
    name and ``host.winpipe`` makes the same checks."""
    if sys.platform == "win32":
        return _connect_pipe(path)
    if not check_private_dir(os.path.dirname(path)):
        return None
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.setblocking(False)
        try:
            sock.connect(path)
        except (FileNotFoundError, ConnectionRefusedError):
            sock.close()
            return None
        except BlockingIOError as error:
            raise AppBusy(
                f"Bridgekeeper does not accept connections at {path} (it may be stopped, "
                f"hung or out of resources). {HOW_TO_FIX}"
            ) from error
        except OSError as error:
            raise AppUnavailable(f"cannot connect to {path}: {error}. {HOW_TO_FIX}") from error
        pid = check_peer(sock, path)
    except BaseException:
        sock.close()
        raise
    return AppLink(sock, pid)


def _connect_pipe(name: str) -> winpipe.PipeLink | None:
    """Windows: ``connect`` through ``host.winpipe``, its errors as this module's."""
    from host import winpipe

    try:
        return winpipe.connect(name, timeout=0)
    except winpipe.WrongUser as error:
        raise ForeignPeer(name, None, error.pid, f"{error.strerror}") from error
    except winpipe.PipeError as error:
        if error.errno == winpipe.ERROR_PIPE_BUSY:
            raise AppBusy(
                f"Bridgekeeper's pipe {name} accepts no connection now (it may be stopped, "
                f"hung or out of resources). {HOW_TO_FIX}"
            ) from error
        raise AppUnavailable(f"cannot connect to {name}: {error.strerror}. {HOW_TO_FIX}") from error
