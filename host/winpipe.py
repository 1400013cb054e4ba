"""The Windows named pipe between the app and its clients (the host, the command line):
its per-user name, its owner-only security descriptor, the check of who serves it, and
the client's end, ``PipeLink``, with the surface of ``host.transport.AppLink``.

Standard library only (``ctypes``): the host imports this on every browser call on
Windows. The names and the descriptor string are pure and run anywhere; everything that
touches Win32 runs only on Windows (``api()`` builds the bindings on first use).

Why each choice (SPEC 1.1 "The local socket"):
- One name per user (``bridgekeeper-<user SID>``): a name shared by every user lets the
  first user's app take it and the second user's browsers reach the wrong app
  (bitwarden/clients#3894).
- The pipe is created with a protected DACL that lets only its owner in, a mandatory label
  that keeps lower-integrity processes of the same user out, and refuses remote clients:
  a pipe created without a descriptor gets a default one that other accounts can open.
- A client checks, before it sends a byte, that the process serving the pipe runs as the
  same user: anyone can create a pipe of any free name, so the name alone proves nothing
  (KeePassXC's proxy never checks: keepassxc#9393).
"""

from __future__ import annotations

import os
import sys
import time

from host import protocol

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any, Protocol
else:
    Protocol = object

PIPE_PREFIX = "\\\\.\\pipe\\bridgekeeper-"
MAX_PIPE_NAME = 256
"""CreateNamedPipeW: "The entire pipe name string can be up to 256 characters long"."""
RECV_CHUNK = 64 * 1024
PIPE_BUFFER = 64 * 1024
"""The in and out buffer sizes asked of CreateNamedPipeW (the system may round them)."""
CONNECT_WAIT_MS = 2000
"""How long a client waits for a free instance when every instance is busy."""


class PipeError(OSError):
    """The pipe cannot be used; the message says why and what to do."""


class WrongUser(PipeError):
    """The pipe of that name is served by another user's process (or refuses us);
    ``pid`` is that process when it is known."""

    pid: int | None = None


class PipeInUse(PipeError):
    """The app cannot create the pipe: a process already serves that name."""


# --- Pure parts: names and the security descriptor -------------------------------------


def valid_sid(sid: str) -> bool:
    """A SID in its string form (``S-1-5-21-...``): ``S-1-`` then dash-separated numbers.
    Checked before it goes into a pipe name or an SDDL string."""
    parts = sid.split("-")
    return (
        len(parts) >= 4
        and parts[0] == "S"
        and parts[1] == "1"
        and all(part.isdigit() and part.isascii() and len(part) <= 20 for part in parts[2:])
    )


def pipe_name(sid: str, home: str | None = None) -> str:
    """The app's pipe for the user ``sid``; with ``BRIDGEKEEPER_HOME`` (tests, portable
    set-ups) one pipe per home folder, so that two apps of one user never collide."""
    if not valid_sid(sid):
        raise ValueError(f"not a SID: {sid!r}")
    name = PIPE_PREFIX + sid
    if home:
        import hashlib
        import ntpath

        folder = ntpath.normcase(ntpath.normpath(home))
        digest = hashlib.sha256(folder.encode("utf-8", "surrogatepass")).hexdigest()
        name += "-" + digest[:16]
    if len(name) > MAX_PIPE_NAME:
        raise ValueError(f"pipe name over {MAX_PIPE_NAME} characters: {name}")
    return name


def owner_only_sddl(sid: str) -> str:
    """The pipe's security descriptor, in SDDL: owned by ``sid``; a protected DACL (no
    inherited entries) granting all access to ``sid`` alone; a medium mandatory label
    with no-write-up and no-read-up, so that the user's own low-integrity processes (a
    sandboxed renderer) cannot open it either.

    No entry for SYSTEM or Administrators: nothing that runs as them needs the app, and
    either can take ownership of any object anyway, so an entry would grant nothing the
    system does not already allow while widening what the descriptor says."""
    if not valid_sid(sid):
        raise ValueError(f"not a SID: {sid!r}")
    return f"O:{sid}D:P(A;;GA;;;{sid})S:(ML;;NWNR;;;ME)"


def user_pipe_name() -> str:
    """This user's pipe (Windows only), following ``BRIDGEKEEPER_HOME`` like the socket."""
    home = os.environ.get("BRIDGEKEEPER_HOME")
    return pipe_name(current_user_sid(), os.path.abspath(home) if home else None)


# --- Win32 bindings (Windows only) -----------------------------------------------------

GENERIC_READ = 0x80000000
GENERIC_WRITE = 0x40000000
OPEN_EXISTING = 3
FILE_FLAG_OVERLAPPED = 0x40000000
FILE_FLAG_FIRST_PIPE_INSTANCE = 0x00080000
SECURITY_SQOS_PRESENT = 0x00100000
SECURITY_IDENTIFICATION = 0x00010000  # SecurityIdentification << 16
PIPE_ACCESS_DUPLEX = 0x00000003
PIPE_TYPE_BYTE = 0x00000000
PIPE_READMODE_BYTE = 0x00000000
PIPE_WAIT = 0x00000000
PIPE_REJECT_REMOTE_CLIENTS = 0x00000008
PIPE_UNLIMITED_INSTANCES = 255
PROCESS_QUERY_LIMITED_INFORMATION = 0x1000
TOKEN_QUERY = 0x0008
TOKEN_USER_CLASS = 1  # TOKEN_INFORMATION_CLASS TokenUser
SDDL_REVISION_1 = 1
INFINITE = 0xFFFFFFFF
WAIT_OBJECT_0 = 0
WAIT_TIMEOUT = 0x102
WAIT_FAILED = 0xFFFFFFFF

ERROR_FILE_NOT_FOUND = 2
ERROR_ACCESS_DENIED = 5
ERROR_BROKEN_PIPE = 109
ERROR_SEM_TIMEOUT = 121
ERROR_INSUFFICIENT_BUFFER = 122
ERROR_PIPE_BUSY = 231
ERROR_NO_DATA = 232
ERROR_PIPE_NOT_CONNECTED = 233
ERROR_PIPE_CONNECTED = 535
ERROR_OPERATION_ABORTED = 995
ERROR_IO_INCOMPLETE = 996
ERROR_IO_PENDING = 997
ERROR_NOT_FOUND = 1168
PEER_GONE = frozenset({ERROR_BROKEN_PIPE, ERROR_NO_DATA, ERROR_PIPE_NOT_CONNECTED})
"""What a read or write returns once the other end has closed."""


class _Api:
    """kernel32 and advapi32, with argument types (ctypes guesses wrong for HANDLEs on
    64-bit Windows without them) and ``use_last_error`` (``last_error()`` reads it).
    Foreign functions are untyped to mypy; the attributes say what is there."""

    ctypes: Any
    OVERLAPPED: Any
    SECURITY_ATTRIBUTES: Any
    INVALID_HANDLE_VALUE: int
    CreateFileW: Any
    CreateNamedPipeW: Any
    ConnectNamedPipe: Any
    WaitNamedPipeW: Any
    ReadFile: Any
    WriteFile: Any
    GetOverlappedResult: Any
    CancelIoEx: Any
    CreateEventW: Any
    SetEvent: Any
    ResetEvent: Any
    WaitForSingleObject: Any
    WaitForMultipleObjects: Any
    CloseHandle: Any
    GetNamedPipeServerProcessId: Any
    GetNamedPipeClientProcessId: Any
    OpenProcess: Any
    GetCurrentProcess: Any
    LocalFree: Any
    CreateIoCompletionPort: Any
    GetQueuedCompletionStatus: Any
    PostQueuedCompletionStatus: Any
    OpenProcessToken: Any
    GetTokenInformation: Any
    EqualSid: Any
    ConvertSidToStringSidW: Any
    ConvertStringSecurityDescriptorToSecurityDescriptorW: Any

    def __init__(self) -> None:
        if sys.platform != "win32":
            raise PipeError("named pipes exist only on Windows")
        import ctypes
        from ctypes import wintypes as w

        self.ctypes = ctypes
        handle, dword, bool_ = w.HANDLE, w.DWORD, w.BOOL
        pdword, pvoid = ctypes.POINTER(w.DWORD), ctypes.c_void_p

        class OVERLAPPED(ctypes.Structure):
            # Offset/OffsetHigh stand for the union with Pointer: both are 8 bytes.
            _fields_ = [
                ("Internal", ctypes.c_size_t),
                ("InternalHigh", ctypes.c_size_t),
                ("Offset", w.DWORD),
                ("OffsetHigh", w.DWORD),
                ("hEvent", w.HANDLE),
            ]

        class SECURITY_ATTRIBUTES(ctypes.Structure):
            _fields_ = [
                ("nLength", w.DWORD),
                ("lpSecurityDescriptor", ctypes.c_void_p),
                ("bInheritHandle", w.BOOL),
            ]

        self.OVERLAPPED = OVERLAPPED
        self.SECURITY_ATTRIBUTES = SECURITY_ATTRIBUTES
        povl = ctypes.POINTER(OVERLAPPED)
        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        advapi32 = ctypes.WinDLL("advapi32", use_last_error=True)

        def bind(dll: Any, name: str, restype: Any, *argtypes: Any) -> Any:
            function = getattr(dll, name)
            function.restype = restype
            function.argtypes = argtypes
            return function

        self.CreateFileW = bind(
            kernel32, "CreateFileW", handle, w.LPCWSTR, dword, dword, pvoid, dword, dword, handle
        )
        self.CreateNamedPipeW = bind(
            kernel32,
            "CreateNamedPipeW",
            handle,
            w.LPCWSTR,
            dword,
            dword,
            dword,
            dword,
            dword,
            dword,
            pvoid,
        )
        self.ConnectNamedPipe = bind(kernel32, "ConnectNamedPipe", bool_, handle, povl)
        self.WaitNamedPipeW = bind(kernel32, "WaitNamedPipeW", bool_, w.LPCWSTR, dword)
        self.ReadFile = bind(kernel32, "ReadFile", bool_, handle, pvoid, dword, pdword, povl)
        self.WriteFile = bind(kernel32, "WriteFile", bool_, handle, pvoid, dword, pdword, povl)
        self.GetOverlappedResult = bind(
            kernel32, "GetOverlappedResult", bool_, handle, povl, pdword, bool_
        )
        self.CancelIoEx = bind(kernel32, "CancelIoEx", bool_, handle, povl)
        self.CreateEventW = bind(kernel32, "CreateEventW", handle, pvoid, bool_, bool_, pvoid)
        self.SetEvent = bind(kernel32, "SetEvent", bool_, handle)
        self.ResetEvent = bind(kernel32, "ResetEvent", bool_, handle)
        self.WaitForSingleObject = bind(kernel32, "WaitForSingleObject", dword, handle, dword)
        self.WaitForMultipleObjects = bind(
            kernel32, "WaitForMultipleObjects", dword, dword, ctypes.POINTER(handle), bool_, dword
        )
        self.CloseHandle = bind(kernel32, "CloseHandle", bool_, handle)
        self.GetNamedPipeServerProcessId = bind(
            kernel32, "GetNamedPipeServerProcessId", bool_, handle, ctypes.POINTER(w.ULONG)
        )
        self.GetNamedPipeClientProcessId = bind(
            kernel32, "GetNamedPipeClientProcessId", bool_, handle, ctypes.POINTER(w.ULONG)
        )
        self.OpenProcess = bind(kernel32, "OpenProcess", handle, dword, bool_, dword)
        self.GetCurrentProcess = bind(kernel32, "GetCurrentProcess", handle)
        self.LocalFree = bind(kernel32, "LocalFree", pvoid, pvoid)
        self.CreateIoCompletionPort = bind(
            kernel32, "CreateIoCompletionPort", handle, handle, handle, ctypes.c_size_t, dword
        )
        self.GetQueuedCompletionStatus = bind(
            kernel32,
            "GetQueuedCompletionStatus",
            bool_,
            handle,
            pdword,
            ctypes.POINTER(ctypes.c_size_t),
            ctypes.POINTER(ctypes.c_void_p),
            dword,
        )
        self.PostQueuedCompletionStatus = bind(
            kernel32, "PostQueuedCompletionStatus", bool_, handle, dword, ctypes.c_size_t, pvoid
        )
        self.OpenProcessToken = bind(
            advapi32, "OpenProcessToken", bool_, handle, dword, ctypes.POINTER(handle)
        )
        self.GetTokenInformation = bind(
            advapi32, "GetTokenInformation", bool_, handle, ctypes.c_int, pvoid, dword, pdword
        )
        self.EqualSid = bind(advapi32, "EqualSid", bool_, pvoid, pvoid)
        self.ConvertSidToStringSidW = bind(
            advapi32, "ConvertSidToStringSidW", bool_, pvoid, ctypes.POINTER(w.LPWSTR)
        )
        self.ConvertStringSecurityDescriptorToSecurityDescriptorW = bind(
            advapi32,
            "ConvertStringSecurityDescriptorToSecurityDescriptorW",
            bool_,
            w.LPCWSTR,
            dword,
            ctypes.POINTER(ctypes.c_void_p),
            ctypes.POINTER(w.ULONG),
        )
        self.INVALID_HANDLE_VALUE = int(ctypes.c_void_p(-1).value or 0)

    def last_error(self) -> int:
        return int(self.ctypes.get_last_error())

    def error(self, what: str, code: int | None = None) -> PipeError:
        code = self.last_error() if code is None else code
        return PipeError(code, f"{what}: {self.ctypes.FormatError(code).strip()}")


_API: list[_Api] = []


def api() -> _Api:
    """The Win32 bindings, built on first use (``PipeError`` elsewhere than Windows)."""
    if not _API:
        _API.append(_Api())
    return _API[0]


# --- Who is who ------------------------------------------------------------------------


class _Token:
    """A process's token user (its binary SID, kept alive for ``EqualSid``)."""

    def __init__(self, process: int) -> None:
        win = api()
        ctypes = win.ctypes
        token = ctypes.c_void_p()
        # OpenProcessToken: TOKEN_QUERY is what GetTokenInformation(TokenUser) needs.
        if not win.OpenProcessToken(process, TOKEN_QUERY, ctypes.byref(token)):
            raise win.error("cannot read the process's token")
        try:
            size = ctypes.c_ulong(0)
            # GetTokenInformation: called with no buffer it fails with
            # ERROR_INSUFFICIENT_BUFFER and sets the size it needs.
            win.GetTokenInformation(token, TOKEN_USER_CLASS, None, 0, ctypes.byref(size))
            if win.last_error() != ERROR_INSUFFICIENT_BUFFER:
                raise win.error("cannot size the token's user")
            self._buffer = ctypes.create_string_buffer(size.value)
            if not win.GetTokenInformation(
                token, TOKEN_USER_CLASS, self._buffer, size, ctypes.byref(size)
            ):
                raise win.error("cannot read the token's user")
        finally:
            win.CloseHandle(token)
        # TOKEN_USER starts with SID_AND_ATTRIBUTES, whose first member is the PSID.
        self.sid_pointer = ctypes.c_void_p.from_buffer(self._buffer).value

    def same_user(self, other: _Token) -> bool:
        # EqualSid: "If the SID structures are equal, the return value is nonzero."
        return bool(api().EqualSid(self.sid_pointer, other.sid_pointer))

    def sid_string(self) -> str:
        win = api()
        ctypes = win.ctypes
        text = ctypes.c_wchar_p()
        # ConvertSidToStringSidW allocates the string; LocalFree releases it.
        if not win.ConvertSidToStringSidW(self.sid_pointer, ctypes.byref(text)):
            raise win.error("cannot convert the SID")
        try:
            return str(text.value)
        finally:
            win.LocalFree(text)


_OWN: list[_Token] = []


def _own_token() -> _Token:
    if not _OWN:
        # GetCurrentProcess: a pseudo handle that needs no closing.
        _OWN.append(_Token(api().GetCurrentProcess()))
    return _OWN[0]


def current_user_sid() -> str:
    """This process's user, as a SID string."""
    return _own_token().sid_string()


def process_is_same_user(pid: int) -> bool:
    """Whether process ``pid`` runs as this process's user. False when it cannot be read
    (another user's process refuses ``OpenProcessToken``): what cannot be proved is not."""
    win = api()
    # OpenProcess: PROCESS_QUERY_LIMITED_INFORMATION suffices for OpenProcessToken and is
    # granted across integrity levels; NULL when the process is gone or refuses us.
    process = win.OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, False, pid)
    if not process:
        return False
    try:
        try:
            token = _Token(process)
        except PipeError:
            return False
        return token.same_user(_own_token())
    finally:
        win.CloseHandle(process)


def server_pid(handle: int) -> int:
    """The process serving the pipe a client ``handle`` is connected to."""
    win = api()
    pid = win.ctypes.c_ulong(0)
    # GetNamedPipeServerProcessId: "Retrieves the server process identifier for the
    # specified named pipe" (Vista and later).
    if not win.GetNamedPipeServerProcessId(handle, win.ctypes.byref(pid)):
        raise win.error("cannot tell which process serves the pipe")
    return int(pid.value)


def client_pid(handle: int) -> int:
    """The process at the client end of a server ``handle``."""
    win = api()
    pid = win.ctypes.c_ulong(0)
    # GetNamedPipeClientProcessId: the client process identifier of a connected instance.
    if not win.GetNamedPipeClientProcessId(handle, win.ctypes.byref(pid)):
        raise win.error("cannot tell which process is the pipe's client")
    return int(pid.value)


def security_attributes(sddl: str) -> tuple[Any, Any]:
    """``SECURITY_ATTRIBUTES`` holding the descriptor ``sddl`` describes, and a releaser
    to call once the pipe is created (``LocalFree`` of the descriptor)."""
    win = api()
    ctypes = win.ctypes
    descriptor = ctypes.c_void_p()
    # ConvertStringSecurityDescriptorToSecurityDescriptorW: a self-relative descriptor,
    # allocated with LocalAlloc (so freed with LocalFree), from SDDL revision 1.
    if not win.ConvertStringSecurityDescriptorToSecurityDescriptorW(
        sddl, SDDL_REVISION_1, ctypes.byref(descriptor), None
    ):
        raise win.error(f"cannot build the security descriptor {sddl!r}")
    attributes = win.SECURITY_ATTRIBUTES()
    attributes.nLength = ctypes.sizeof(win.SECURITY_ATTRIBUTES)
    attributes.lpSecurityDescriptor = descriptor.value
    attributes.bInheritHandle = False

    def release() -> None:
        win.LocalFree(descriptor)

    return attributes, release


# --- The client's end ------------------------------------------------------------------


def connect(name: str, timeout: float = CONNECT_WAIT_MS / 1000) -> PipeLink | None:
    """A link to the app serving pipe ``name``, or ``None`` when no such pipe exists.

    Raises ``WrongUser`` when the pipe exists but another user's process serves it (or
    its descriptor refuses us: another user created it), before a byte is sent; other
    failures raise ``PipeError``."""
    win = api()
    deadline = time.monotonic() + timeout
    while True:
        # CreateFileW on a pipe name opens a client end. FILE_FLAG_OVERLAPPED: reads and
        # writes can be waited on with a deadline. SECURITY_SQOS_PRESENT with
        # SECURITY_IDENTIFICATION: the server may learn who we are but cannot act as us
        # (the default would let it impersonate this process).
        handle = win.CreateFileW(
            name,
            GENERIC_READ | GENERIC_WRITE,
            0,
            None,
            OPEN_EXISTING,
            FILE_FLAG_OVERLAPPED | SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION,
            None,
        )
        if handle is not None and handle != win.INVALID_HANDLE_VALUE:
            break
        error = win.last_error()
        if error == ERROR_FILE_NOT_FOUND:
            return None
        if error == ERROR_ACCESS_DENIED:
            raise WrongUser(
                error,
                f"the pipe {name} exists but refuses this user: another user's process "
                "created it. Bridgekeeper cannot start while it holds the name; that user "
                "must quit it (or an administrator end it).",
            )
        if error != ERROR_PIPE_BUSY:
            raise win.error(f"cannot open {name}", error)
        # ERROR_PIPE_BUSY: every instance is taken. WaitNamedPipeW waits until one is
        # free or the time is up (then another client may still take it first: retry).
        left = deadline - time.monotonic()
        if left <= 0:
            raise PipeError(error, f"the app's pipe {name} stayed busy for {timeout:.0f} s")
        if not win.WaitNamedPipeW(name, max(1, int(left * 1000))):
            error = win.last_error()
            if error == ERROR_FILE_NOT_FOUND:
                return None
            if error != ERROR_SEM_TIMEOUT:
                raise win.error(f"cannot wait for {name}", error)
    try:
        pid = server_pid(handle)
        if not process_is_same_user(pid):
            wrong = WrongUser(
                ERROR_ACCESS_DENIED,
                f"the pipe {name} is served by process {pid}, which does not run as this "
                "user (or runs elevated, so its user cannot be read): nothing was sent to "
                "it. Quit that process, then start Bridgekeeper normally.",
            )
            wrong.pid = pid
            raise wrong
    except BaseException:
        win.CloseHandle(handle)
        raise
    return PipeLink(handle, pid)


class _Operation:
    """One overlapped read or write on the client end, with its own event."""

    def __init__(self, size: int) -> None:
        win = api()
        self.buffer = win.ctypes.create_string_buffer(size)
        self.overlapped = win.OVERLAPPED()
        # CreateEventW: manual reset, as GetOverlappedResult expects; ReadFile and
        # WriteFile reset it to non-signalled when they start.
        event = win.CreateEventW(None, True, False, None)
        if not event:
            raise win.error("cannot create an event")
        self.overlapped.hEvent = event
        self.pending = False

    @property
    def event(self) -> int:
        return int(self.overlapped.hEvent)


class PipeLink:
    """A client's connection to the app's pipe, speaking the frames of ``host.protocol``,
    with the surface of ``host.transport.AppLink`` (``host.transport.Link``): blocking
    ``send``/``receive`` with ``settimeout`` (the command line), or ``queue``/``flush``
    and ``receive_ready`` that never wait (the relay; not both on one link).
    ``wait_handle()`` and ``write_handle()`` take the place of ``fileno()``: events to
    wait on with ``wait_any``, signalled when ``receive_ready()`` has something and when
    the write under way has ended (then ``flush()`` goes on)."""

    def __init__(self, handle: int, pid: int | None = None) -> None:
        self._handle = handle
        self._frames = protocol.SocketFrames()
        self._read = _Operation(RECV_CHUNK)
        self._write = _Operation(0)
        self._timeout: float | None = None
        self._ended = False
        self._write_broken = False
        self._unsent: list[bytes] = []
        self._offset = 0
        """Bytes of ``_unsent[0]`` already written."""
        self.unsent = 0
        """Bytes queued that the app has not taken yet."""
        self.pid = pid
        """The app's process id (``GetNamedPipeServerProcessId``)."""
        self.alive = True
        self.outstanding: dict[int, bytes] = {}
        """Requests sent on this link and not answered yet, in the order they were sent."""

    def settimeout(self, seconds: float | None) -> None:
        """Make ``send``/``receive`` raise ``TimeoutError`` past ``seconds`` (``0``:
        ``BlockingIOError`` at once when nothing is there, as a non-blocking socket)."""
        self._timeout = seconds

    def wait_handle(self) -> int:
        """An event signalled when a read has completed (a read is always under way)."""
        self._start_read()
        return self._read.event

    def send(self, kind: int, seq: int, payload: bytes) -> None:
        if self._write_broken or not self.alive:
            raise BrokenPipeError("the link to the app is closed")
        data = protocol.socket_frame(kind, seq, payload)
        deadline = None if self._timeout is None else time.monotonic() + self._timeout
        view = memoryview(data)
        while view:
            view = view[self._write_some(view, deadline) :]

    def receive(self) -> tuple[int, int, bytes] | None:
        """The next frame, or ``None`` once the app has closed the connection."""
        deadline = None if self._timeout is None else time.monotonic() + self._timeout
        while (frame := self._frames.next_frame()) is None:
            chunk = self._read_some(deadline)
            if not chunk:
                return None
            self._frames.feed(chunk)
        return frame

    def queue(self, kind: int, seq: int, payload: bytes) -> None:
        """Write a frame as far as the pipe takes it now, without waiting; ``flush``
        writes the rest. ``OSError`` when the app is gone."""
        if self._write_broken or not self.alive:
            raise BrokenPipeError("the link to the app is closed")
        frame = protocol.socket_frame(kind, seq, payload)
        self._unsent.append(frame)
        self.unsent += len(frame)
        self.flush()

    def flush(self) -> bool:
        """Collect the write under way if it has ended and start the next, never waiting;
        true when nothing is left. ``OSError`` when the app is gone."""
        win = api()
        write = self._write
        while True:
            if write.pending:
                # WaitForSingleObject with no wait: is the write's event signalled yet?
                if win.WaitForSingleObject(write.event, 0) != WAIT_OBJECT_0:
                    return False
                count, error = self._result(write, wait=False)
                if error:
                    self._write_broken = True
                    if error in PEER_GONE:
                        raise BrokenPipeError(error, "the app has closed the connection")
                    raise win.error("cannot write to the app", error)
                self._offset += count
                self.unsent -= count
                if self._offset == len(self._unsent[0]):
                    del self._unsent[0]
                    self._offset = 0
            if not self._unsent:
                return True
            data = memoryview(self._unsent[0])[self._offset :]
            write.buffer = win.ctypes.create_string_buffer(bytes(data), len(data))
            # WriteFile, overlapped: the event is signalled once the pipe has taken the
            # bytes (at once or later); GetOverlappedResult then says how many.
            if not win.WriteFile(
                self._handle, write.buffer, len(data), None, win.ctypes.byref(write.overlapped)
            ):
                error = win.last_error()
                if error != ERROR_IO_PENDING:
                    self._write_broken = True
                    if error in PEER_GONE:
                        raise BrokenPipeError(error, "the app has closed the connection")
                    raise win.error("cannot write to the app", error)
            write.pending = True

    def write_handle(self) -> int | None:
        """The event of the write under way (``None``: none is)."""
        return self._write.event if self._write.pending else None

    def receive_ready(self) -> list[tuple[int, int, bytes]] | None:
        """The frames that the completed read brings (call it when ``wait_handle()`` is
        signalled), or ``None`` once the app has closed the connection;
        ``BlockingIOError`` when no read has completed (as a socket with nothing to read)."""
        chunk = self._read_some(time.monotonic(), poll=True)
        if chunk is None:
            raise BlockingIOError("nothing received yet")
        if not chunk:
            return None
        self._frames.feed(chunk)
        frames = []
        while (frame := self._frames.next_frame()) is not None:
            frames.append(frame)
        return frames

    def close(self) -> None:
        """Close the connection (again: no effect). Pending reads and writes are cancelled
        and waited for first: their buffers must outlive them."""
        if not self.alive:
            return
        self.alive = False
        win = api()
        # CancelIoEx with no OVERLAPPED cancels every I/O this process issued on the
        # handle; GetOverlappedResult(bWait=TRUE) then returns once each has really ended.
        win.CancelIoEx(self._handle, None)
        for operation in (self._read, self._write):
            if operation.pending:
                self._result(operation, wait=True)
        win.CloseHandle(self._handle)
        for operation in (self._read, self._write):
            win.CloseHandle(operation.event)

    # Reads and writes.

    def _start_read(self) -> None:
        """Keep one read under way (unless the app has closed its end)."""
        read = self._read
        if read.pending or self._ended or not self.alive:
            return
        win = api()
        # ReadFile, overlapped: FALSE with ERROR_IO_PENDING while under way, TRUE when it
        # completed at once; either way the event is set and GetOverlappedResult collects
        # the result.
        if not win.ReadFile(
            self._handle, read.buffer, RECV_CHUNK, None, win.ctypes.byref(read.overlapped)
        ):
            error = win.last_error()
            if error in PEER_GONE:
                self._ended = True
                # SetEvent: whoever waits on wait_handle() wakes and reads the end.
                win.SetEvent(read.event)
                return
            if error != ERROR_IO_PENDING:
                raise win.error("cannot read from the app", error)
        read.pending = True

    def _read_some(self, deadline: float | None, poll: bool = False) -> bytes | None:
        """Bytes the app sent (empty once it has closed), waiting until ``deadline``;
        with ``poll``, ``None`` instead of a timeout when nothing has arrived."""
        while True:
            self._start_read()
            read = self._read
            if not read.pending:
                return b""  # the app has closed its end
            try:
                self._wait(read, deadline, "a reply from the app")
            except TimeoutError:
                if poll:
                    return None
                raise
            count, error = self._result(read, wait=False)
            if error in PEER_GONE:
                self._ended = True
                return b""
            if error:
                raise api().error("cannot read from the app", error)
            if count:
                return bytes(read.buffer.raw[:count])
            # A zero-byte write by the app completes a read with nothing: read again.

    def _write_some(self, data: memoryview, deadline: float | None) -> int:
        """Write what the pipe takes of ``data`` before ``deadline``; the count."""
        win = api()
        write = self._write
        write.buffer = win.ctypes.create_string_buffer(bytes(data), len(data))
        # WriteFile, overlapped: completes once the pipe has taken the bytes.
        if not win.WriteFile(
            self._handle, write.buffer, len(data), None, win.ctypes.byref(write.overlapped)
        ):
            error = win.last_error()
            if error in PEER_GONE:
                self._write_broken = True
                raise BrokenPipeError(error, "the app has closed the connection")
            if error != ERROR_IO_PENDING:
                raise win.error("cannot write to the app", error)
        write.pending = True
        try:
            self._wait(write, deadline, "the app to read")
        except BaseException:
            # CancelIoEx on this write alone, then wait for it to end: its buffer must
            # outlive it. Part of a frame may have gone out, so no other frame can follow.
            win.CancelIoEx(self._handle, win.ctypes.byref(write.overlapped))
            self._result(write, wait=True)
            self._write_broken = True
            raise
        count, error = self._result(write, wait=False)
        if error:
            self._write_broken = True
            if error in PEER_GONE:
                raise BrokenPipeError(error, "the app has closed the connection")
            raise win.error("cannot write to the app", error)
        return count

    def _result(self, operation: _Operation, wait: bool) -> tuple[int, int]:
        """The byte count and the error (0: none) of a finished ``operation``."""
        win = api()
        count = win.ctypes.c_ulong(0)
        # GetOverlappedResult: the outcome of an overlapped operation; bWait=TRUE blocks
        # until it has ended (used after CancelIoEx, which ends it soon).
        ok = win.GetOverlappedResult(
            self._handle, win.ctypes.byref(operation.overlapped), win.ctypes.byref(count), wait
        )
        operation.pending = False
        return int(count.value), 0 if ok else win.last_error()

    def _wait(self, operation: _Operation, deadline: float | None, what: str) -> None:
        if deadline is None:
            milliseconds = INFINITE
        else:
            milliseconds = max(0, int((deadline - time.monotonic()) * 1000))
        # WaitForSingleObject on the operation's event: WAIT_OBJECT_0 once it completed.
        result = api().WaitForSingleObject(operation.event, milliseconds)
        if result == WAIT_OBJECT_0:
            return
        if result == WAIT_TIMEOUT:
            if self._timeout == 0:
                raise BlockingIOError(f"no {what} yet")
            raise TimeoutError(f"timed out waiting for {what}")
        raise api().error(f"cannot wait for {what}")


def wait_any(handles: Sequence[int], timeout: float | None) -> int | None:
    """Wait until one of ``handles`` (events, processes) is signalled: its index, or
    ``None`` once ``timeout`` seconds have passed."""
    win = api()
    ctypes = win.ctypes
    array = (ctypes.c_void_p * len(handles))(*handles)
    milliseconds = INFINITE if timeout is None else max(0, int(timeout * 1000))
    # WaitForMultipleObjects(bWaitAll=FALSE): WAIT_OBJECT_0 + the index of a signalled
    # handle (the lowest one when several are), WAIT_TIMEOUT when none was in time.
    # At most MAXIMUM_WAIT_OBJECTS (64) handles: the host waits on two.
    result = win.WaitForMultipleObjects(len(handles), array, False, milliseconds)
    if result == WAIT_TIMEOUT:
        return None
    if WAIT_OBJECT_0 <= result < WAIT_OBJECT_0 + len(handles):
        return int(result - WAIT_OBJECT_0)
    raise win.error("cannot wait")


# --- The browser's end (the host on Windows) -------------------------------------------


class Event:
    """A manual-reset Win32 event (``CreateEventW``): ``handle`` for ``wait_any``."""

    def __init__(self) -> None:
        win = api()
        # CreateEventW: manual reset, initially not signalled.
        handle = win.CreateEventW(None, True, False, None)
        if not handle:
            raise win.error("cannot create an event")
        self.handle = int(handle)

    def set(self) -> None:
        api().SetEvent(self.handle)

    def clear(self) -> None:
        api().ResetEvent(self.handle)


class Signal(Protocol):
    """What ``StdinReader`` signals through: an ``Event`` (its ``handle`` is waited on)."""

    handle: int

    def set(self) -> None: ...

    def clear(self) -> None: ...


class StdinReader:
    """The browser's end of the host's input, for a relay that waits on events.

    Browsers give the host a synchronous anonymous pipe, which cannot be read overlapped
    nor waited on; a thread of its own reads it, one chunk at a time, and ``signal`` (an
    ``Event``: wait on ``event``) is set while a chunk, or the end of input, waits to be
    taken. ``read``/``readinto`` (``host.protocol.RawInput``) never wait: they hand out
    what is there, ``b""`` at the end, ``None`` when nothing is. The thread reads the next
    chunk only once this one is taken, so the host holds at most one chunk more than it
    has asked for (as a pipe's buffer would)."""

    def __init__(
        self, fd: int = 0, chunk: int = protocol.READ_CHUNK, signal: Signal | None = None
    ) -> None:
        import threading

        self._signal = signal or Event()
        self.event = self._signal.handle
        self._fd = fd
        self._size = chunk
        self._chunk = b""
        self._ended = False
        self._lock = threading.Lock()
        self._taken = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stdin", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                data = os.read(self._fd, self._size)
            except OSError:
                data = b""  # a broken pipe is the end of input
            with self._lock:
                self._chunk = data
                self._ended = not data
                self._signal.set()  # a waiting wait_any wakes
            if not data:
                return
            self._taken.wait()
            self._taken.clear()

    def fileno(self) -> int:
        return self._fd

    def ready(self) -> bool:
        """Whether ``read`` has something (bytes, or the end) now."""
        with self._lock:
            return bool(self._chunk) or self._ended

    def read(self, size: int, /) -> bytes | None:
        with self._lock:
            if self._chunk:
                data, self._chunk = self._chunk[:size], self._chunk[size:]
                if not self._chunk:
                    # Cleared before the reader may go on: it sets the signal again with
                    # the next chunk, never before this.
                    self._signal.clear()
                    self._taken.set()
                return data
            return b"" if self._ended else None

    def readinto(self, buffer: memoryview, /) -> int | None:
        data = self.read(len(buffer))
        if data is None:
            return None
        buffer[: len(data)] = data
        return len(data)
