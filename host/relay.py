"""The relay: browser stdio <-> the app's local socket.

One code path serves ``sendNativeMessage`` (one request, then end of input) and ports
(many requests). One thread waits on both ends at once (``poll``) and forwards the
browser's frames unchanged and the app's replies back: no thread to start and no hand-over
between threads on every message. The app checks every request (JSON, type, fields); the
host parses one only when it must answer it itself (app gone, a frame no valid request
can fill), so start-up imports no json. Every request is answered
exactly once: whoever pops it from its link's ``outstanding`` answers it.
"""

from __future__ import annotations

import io
import os
import select
import sys
import time

from host import protocol, transport
from host.caller import browser_executable, parse_caller
from host.transport import AppLink, AppUnavailable, connect

TYPE_CHECKING = False
if TYPE_CHECKING:
    from host.caller import Caller
    from host.protocol import RequestId

CONNECT_TIMEOUT = 10.0
APP_COMMAND_ENV = "BRIDGEKEEPER_APP_COMMAND"
HOW_TO_FIX = "Start it with `bridgekeeper`, or run `bridgekeeper doctor` to see what is wrong."


def log(message: str) -> None:
    """The host's log goes to stderr: stdout carries frames only."""
    try:
        os.write(2, f"bridgekeeper-host: {message}\n".encode("utf-8", "replace"))
    except OSError:
        pass


class BrowserOut:
    """Writes framed replies to the browser. A reply is never over ``MAX_REPLY_BYTES``:
    the app answers ``too_large`` instead, and the link refuses larger frames."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self.closed = False

    def write(self, payload: bytes) -> None:
        if self.closed:
            return
        view = memoryview(protocol.browser_frame(payload))
        try:
            while view:
                view = view[os.write(self._fd, view) :]
        except OSError:
            self.closed = True  # the browser is gone; nothing left to answer to


def app_command() -> list[str]:
    """How to start the app: configured, beside this executable, or this environment's."""
    configured = os.environ.get(APP_COMMAND_ENV)
    if configured:
        import shlex

        return shlex.split(configured)
    here = os.path.dirname(sys.executable)
    for name in ("bridgekeeper", "bridgekeeper.exe"):
        candidate = os.path.join(here, name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return [candidate]
    return [sys.executable, "-m", "app"]


def start_app_and_connect(path: str, deadline: float) -> AppLink:
    """Start the app (one host at a time does) and wait for its socket until ``deadline``."""
    import subprocess

    runtime = os.path.dirname(path)
    transport.ensure_private_dir(runtime)
    lock_fd = os.open(
        os.path.join(runtime, transport.LAUNCH_LOCK_NAME), os.O_RDWR | os.O_CREAT, 0o600
    )
    try:
        process: subprocess.Popen[bytes] | None = None
        if _try_lock(lock_fd):
            link = connect(path)
            if link is not None:
                return link
            command = app_command()
            log(f"starting the app: {command}")
            try:
                process = subprocess.Popen(
                    command,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,
                    close_fds=True,
                )
            except OSError as error:
                raise AppUnavailable(
                    f"Bridgekeeper is not running and {command[0]!r} could not be started: "
                    f"{error.strerror or error}. {HOW_TO_FIX}"
                ) from error
        while time.monotonic() < deadline:
            link = connect(path)
            if link is not None:
                return link
            if process is not None and process.poll() not in (None, 0):
                raise AppUnavailable(
                    f"Bridgekeeper was started but exited with status {process.returncode}. "
                    f"{HOW_TO_FIX}"
                )
            time.sleep(0.02)
        raise AppUnavailable(
            f"Bridgekeeper did not start listening within {CONNECT_TIMEOUT:.0f} s. {HOW_TO_FIX}"
        )
    finally:
        os.close(lock_fd)  # closing releases the lock


def _try_lock(fd: int) -> bool:
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


class Relay:
    """Relays one browser's frames to the app and the app's replies back."""

    def __init__(self, caller: Caller, stdin: protocol.RawInput, out: BrowserOut) -> None:
        self._caller = caller
        self._in = protocol.BrowserFrames(stdin)
        self._in_fd = stdin.fileno()
        self._out = out
        self._next_seq = 1
        self._link: AppLink | None = None
        self._poll: select.poll | None = None
        """Waits on the browser and the current link at once."""
        self._start_failure = ""
        self._unavailable = ""

    def run(self) -> int:
        self._ensure_link()
        frames = self._in
        try:
            while not frames.ended:
                self._relay_replies_until_input()
                frames.fill()
                while (frame := frames.next_frame()) is not None:
                    if isinstance(frame, protocol.Oversize):
                        self._reply_error(
                            None,
                            protocol.TOO_LARGE,
                            f"the request is {frame.length} bytes; at most "
                            f"{protocol.MAX_REQUEST_BYTES} bytes are accepted",
                        )
                    else:
                        self._handle(frame)
        finally:
            self._finish()
        return 0

    def _relay_replies_until_input(self) -> None:
        """Write the app's replies as they come, until the browser has written more."""
        link = self._link
        while link is not None and link.alive and self._poll is not None:
            browser_ready = False
            for fd, _events in self._poll.poll():
                if fd == link.fileno():
                    self._receive(link)
                else:
                    browser_ready = True
            if browser_ready:
                return

    def _finish(self) -> None:
        """End of input: let the app answer what it holds, then go (within a second)."""
        link = self._link
        if link is not None and link.alive:
            try:
                link.send(protocol.END, 0, b"")
            except OSError:
                self._send_failed(link)
            deadline = time.monotonic() + protocol.END_GRACE_SECONDS
            waiting = select.poll()
            if link.alive:
                waiting.register(link.fileno(), select.POLLIN)
            while link.alive and (left := deadline - time.monotonic()) > 0:
                if waiting.poll(left * 1000):
                    self._receive(link)
        self._out.closed = True
        if link is not None:
            link.close()

    def _handle(self, frame: list[bytes]) -> None:
        """Forward one request frame; ``frame`` holds the only reference to its payload."""
        if len(frame[0]) > protocol.MAX_VALID_REQUEST_BYTES:
            self._reject_large(frame)
        else:
            self._forward(frame.pop())

    def _reject_large(self, frame: list[bytes]) -> None:
        """Answer a frame larger than any valid request, holding at most two copies."""
        import json

        payload = frame.pop()
        size = len(payload)
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError as error:
            self._reply_error(None, protocol.BAD_REQUEST, f"the request is not UTF-8: {error}")
            return
        del payload
        try:
            rid = protocol.request_id(json.loads(text))
        except ValueError as error:
            self._reply_error(None, protocol.BAD_REQUEST, f"the request is not valid JSON: {error}")
            return
        del text
        self._reply_error(
            rid,
            protocol.BAD_REQUEST,
            f"the request is {size} bytes; no valid request is larger than "
            f"{protocol.MAX_VALID_REQUEST_BYTES} bytes (check the length of its fields)",
        )

    def _forward(self, payload: bytes) -> None:
        link = self._ensure_link()
        if link is None:
            self._answer_unavailable(payload, self._unavailable)
            return
        seq = self._next_seq
        self._next_seq += 1
        link.outstanding[seq] = payload
        try:
            link.send(protocol.REQUEST, seq, payload)
        except OSError:
            self._send_failed(link)

    def _ensure_link(self) -> AppLink | None:
        if self._link is not None and self._link.alive:
            return self._link
        try:
            path = transport.socket_path()
            link = connect(path)
            if link is None and not self._start_failure:
                try:
                    link = start_app_and_connect(path, time.monotonic() + CONNECT_TIMEOUT)
                except AppUnavailable as error:
                    self._start_failure = str(error)  # a port must not wait on every request
                    raise
            if link is None:
                raise AppUnavailable(self._start_failure)
            link.send(protocol.HELLO, 0, self._hello())
        except (AppUnavailable, transport.SocketPathError, OSError) as error:
            self._unavailable = str(error)
            log(self._unavailable)
            return None
        self._link = link
        self._poll = select.poll()
        self._poll.register(self._in_fd, select.POLLIN)
        self._poll.register(link.fileno(), select.POLLIN)
        return link

    def _hello(self) -> bytes:
        caller = self._caller
        window = caller.parent_window
        exe = browser_executable()
        text = (
            f'{{"protocol":{protocol.SOCKET_PROTOCOL},"role":"host","caller":{{'
            f'"family":{protocol.json_string(caller.family)},'
            f'"extension":{protocol.json_string(caller.extension)},'
            f'"parent_window":{"null" if window is None else window}}},'
            f'"pid":{os.getpid()},'
            f'"browser_exe":{"null" if exe is None else protocol.json_string(exe)}}}'
        )
        return text.encode("utf-8", "replace")

    def _receive(self, link: AppLink) -> None:
        """Relay what the app has sent; answer what it held if it has gone."""
        try:
            frames = link.receive_ready()
        except (OSError, protocol.ProtocolError) as error:
            log(f"lost the app: {error}")
            frames = None
        if frames is None:
            self._lost(link, self._gone_message())
            return
        for kind, seq, payload in frames:
            if kind == protocol.REPLY:
                link.outstanding.pop(seq, None)
                self._out.write(payload)
            elif kind == protocol.REFUSED:
                import json

                try:
                    refusal = json.loads(payload).get("message")
                except (ValueError, AttributeError):
                    refusal = "no reason given"
                reason = f"Bridgekeeper refused this host: {refusal}"
                log(reason)
                self._lost(link, reason)
                return

    def _send_failed(self, link: AppLink) -> None:
        """The app stopped reading: relay the replies it sent before, then answer the rest."""
        link.settimeout(0.0)  # what it sent is there to read now, or never
        while link.alive:
            self._receive(link)

    def _lost(self, link: AppLink, reason: str) -> None:
        """The link is gone: answer what it still held, in the order it was sent."""
        if link.alive:
            link.close()
            self._poll = None
        orphans = list(link.outstanding.values())
        link.outstanding.clear()
        for request in orphans:
            self._answer_unavailable(request, reason)

    def _gone_message(self) -> str:
        return f"Bridgekeeper stopped before answering. {HOW_TO_FIX}"

    def _answer_unavailable(self, request: bytes, message: str) -> None:
        """Answer the raw ``request`` ``app_unavailable`` (parsing it only now, for its id)."""
        self._reply_error(protocol.request_id_of(request), protocol.APP_UNAVAILABLE, message)

    def _reply_error(self, rid: RequestId, code: str, message: str) -> None:
        self._out.write(protocol.error_reply(rid, code, message))


def _take_stdout() -> int:
    """A private copy of stdout for frames; fd 1 then points at stderr so that nothing
    printed by accident can corrupt a frame."""
    if sys.platform == "win32":
        import msvcrt

        msvcrt.setmode(0, os.O_BINARY)
        msvcrt.setmode(1, os.O_BINARY)
    out = os.dup(1)
    os.dup2(2, 1)
    return out


def main() -> int:
    caller = parse_caller(sys.argv[1:])
    stdin = io.FileIO(0, "rb", closefd=False)
    relay = Relay(caller, stdin, BrowserOut(_take_stdout()))
    return relay.run()
