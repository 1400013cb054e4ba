"""The relay: browser stdio <-> the app's local socket.

One code path serves ``sendNativeMessage`` (one request, then end of input) and ports
(many requests). One thread waits on both ends at once (``poll``) and forwards the
browser's frames unchanged and the app's replies back: no thread to start and no hand-over
between threads on every message. The app checks every request (JSON, type, fields); the
host parses one only when it must answer it itself (app gone, a frame no valid request
can fill), so start-up imports no json. Every request is answered exactly once: whoever
pops it from its link's ``outstanding`` answers it, and a reply for anything else is
dropped.

No wait is unbounded: connecting and the app's start end after ``CONNECT_TIMEOUT``; an
app that says nothing (not even to ``ALIVE``) for ``LIVENESS_TIMEOUT`` while requests wait
is given up; writes to the app never block. Every wait also watches the browser's input,
whose end ends the host within ``END_GRACE_SECONDS``.
"""

from __future__ import annotations

import io
import os
import select
import sys
import time

from host import protocol, transport
from host.caller import browser_executable, parse_caller
from host.transport import HOW_TO_FIX, AppBusy, AppUnavailable, connect

TYPE_CHECKING = False
if TYPE_CHECKING:
    import subprocess
    from collections.abc import Callable
    from typing import Protocol

    from host.caller import Caller
    from host.protocol import RequestId
    from host.transport import PlatformLink

    class Poll(Protocol):
        """``select.poll`` (POSIX), as the relay uses it."""

        def register(self, fd: int, eventmask: int = ..., /) -> None: ...

        def modify(self, fd: int, eventmask: int, /) -> None: ...

        def poll(self, timeout: float | None = ..., /) -> list[tuple[int, int]]: ...


CONNECT_TIMEOUT = 10.0
AFTER_END_CONNECT = 0.5
"""How long connecting goes on once the browser's input has ended; what is left of
``END_GRACE_SECONDS`` then goes to the app's answers."""
START_POLL = 0.005
"""How often a host looks for the socket of the app it started: the app listens within
about a tenth of a second, before it has loaded Qt, and each look is one connect()."""
APP_COMMAND_ENV = "BRIDGEKEEPER_APP_COMMAND"
MAX_UNSENT = 8 * 1024 * 1024
"""Requests queued for an app that does not take them: above this the host stops reading
the browser (its end is still seen) until the app catches up or is given up."""


def log(message: str) -> None:
    """The host's log goes to stderr: stdout carries frames only."""
    try:
        os.write(2, f"bridgekeeper-host: {message}\n".encode("utf-8", "replace"))
    except OSError:
        pass


INPUT_ENDED = "the browser's input ended before Bridgekeeper could be reached; nothing was sent"
"""Why a host gave up connecting early: the browser's input ended while it waited for
the app, and the grace after it (``AFTER_END_CONNECT``) is over."""


class NotReached(AppUnavailable):
    """The app the host started (or another host did) did not listen before the
    deadline."""


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


def app_command(executable: str = sys.executable, platform: str = sys.platform) -> list[str]:
    """How to start the app: configured, the tray app's executable beside this one (the
    bundle; on Windows the windowed ``bridgekeeperw.exe``), or this environment's
    (``pythonw -m app`` on Windows, so that no console window opens)."""
    from host import launch

    configured = os.environ.get(APP_COMMAND_ENV)
    if configured:
        return split_command(configured, platform)
    here = os.path.dirname(executable)
    candidate = os.path.join(here, launch.executable(launch.TRAY_APP, platform))
    if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
        return [candidate]
    if platform == "win32":
        windowed = os.path.join(here, "pythonw.exe")
        if os.path.isfile(windowed):
            return [windowed, "-m", "app"]
    return [executable, "-m", "app"]


def split_command(command: str, platform: str = sys.platform) -> list[str]:
    """A configured command line as words: POSIX shell quoting, or on Windows double
    quotes around words and backslashes kept (``C:\\Program Files\\...``). ``ValueError``
    when a quote is not closed."""
    import shlex

    if platform != "win32":
        return shlex.split(command)
    lexer = shlex.shlex(command, posix=False)
    lexer.whitespace_split = True
    lexer.escape = ""
    lexer.commenters = ""  # "#" is a path's character (C:\Tools\C#\...)
    lexer.quotes = '"'  # and so is "'" (C:\Users\O'Brien\...)
    return [word[1:-1] if len(word) > 1 and word[0] == word[-1] == '"' else word for word in lexer]


def not_startable_from(sandbox: str) -> str:
    """Why a host in Flatpak sandbox ``sandbox`` cannot reach an app that is not running."""
    return (
        f"Bridgekeeper is not running, and this browser runs in a Flatpak sandbox "
        f"({sandbox}), from which it cannot be started. Start Bridgekeeper, and turn on "
        "Start at login in its tray menu so that it runs whenever you browse."
    )


def _try_connect(path: str) -> tuple[PlatformLink | None, str]:
    """A link, or why there is none yet: "" when nothing listens, else why what listens
    does not accept now (worth trying again until a deadline)."""
    try:
        return connect(path), ""
    except AppBusy as busy:
        return None, str(busy)


def start_app_and_connect(
    path: str, deadline: Callable[[], float], pause: Callable[[float], None]
) -> PlatformLink:
    """Start the app (one host at a time does) and wait for its socket until
    ``deadline()``, calling ``pause(seconds)`` between attempts."""
    runtime = transport.runtime_dir()  # the socket's folder; on Windows the locks' only
    transport.ensure_private_dir(runtime)
    lock_fd = os.open(
        os.path.join(runtime, transport.LAUNCH_LOCK_NAME),
        os.O_RDWR
        | os.O_CREAT
        | getattr(os, "O_NOFOLLOW", 0)
        | getattr(os, "O_CLOEXEC", 0)
        | getattr(os, "O_NOINHERIT", 0),
        0o600,
    )
    try:
        process: subprocess.Popen[bytes] | None = None
        why = f"nothing listens at {path}"
        if _try_lock(lock_fd):
            link, busy = _try_connect(path)
            if link is not None:
                return link
            if not busy:  # something that runs but does not accept needs no second app
                process = _spawn_app()
        while (left := deadline() - time.monotonic()) > 0:
            link, busy = _try_connect(path)
            if link is not None:
                return link
            why = busy or f"nothing listens at {path}"
            if process is not None and process.poll() not in (None, 0):
                raise AppUnavailable(
                    f"Bridgekeeper was started but exited with status {process.returncode}. "
                    f"{HOW_TO_FIX}"
                )
            pause(min(START_POLL, left))
        raise NotReached(
            f"Bridgekeeper could not be reached within {CONNECT_TIMEOUT:.0f} s ({why}). "
            f"{HOW_TO_FIX}"
        )
    finally:
        os.close(lock_fd)  # closing releases the lock


def _spawn_app() -> subprocess.Popen[bytes]:
    from host import launch

    try:
        command = app_command()
    except ValueError as error:  # a configured command with a quote not closed
        raise AppUnavailable(
            f"{APP_COMMAND_ENV} is not a command line ({error}): "
            f"{os.environ.get(APP_COMMAND_ENV, '')!r}. {HOW_TO_FIX}"
        ) from error
    log(f"starting the app: {command}")
    try:
        return launch.start_detached(command)
    except OSError as error:
        raise AppUnavailable(
            f"Bridgekeeper is not running and {command[0]!r} could not be started: "
            f"{error.strerror or error}. {HOW_TO_FIX}"
        ) from error


def _try_lock(fd: int) -> bool:
    """Take the launch lock if no other host holds it; closing ``fd`` releases it."""
    if sys.platform == "win32":
        import msvcrt

        try:
            # LK_NBLCK: lock one byte from the start, or fail at once (OSError) if held.
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
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
        self._raw = stdin
        """On Windows a ``host.winpipe.StdinReader``, which the relay's waits watch."""
        self._in_fd = stdin.fileno()
        self._out = out
        self._next_seq = 1
        self._link: PlatformLink | None = None
        self._start_failure = ""
        self._unavailable = ""
        self._ended_at = 0.0
        """When the browser's input ended (0: not yet)."""
        self._quiet_since: float | None = None
        """Since when the host has waited for the app without hearing from it."""
        self._probed_at = 0.0
        if sys.platform != "win32":
            self._poll: Poll = select.poll()
        self._polled: tuple[PlatformLink | None, int, int] = (None, 0, 0)
        """The link ``_poll`` watches, and the events asked of the browser and of it."""

    def run(self) -> int:
        try:
            self._ensure_link()
            self._handle_complete_frames()  # what came while connecting
            while not self._in.ended:
                self._wait_for_input()
                self._in.fill()
                self._note_input_end()
                self._handle_complete_frames()
        finally:
            self._finish()
        return 0

    def _handle_complete_frames(self) -> None:
        while (frame := self._in.next_frame()) is not None:
            if isinstance(frame, protocol.Oversize):
                self._reply_error(
                    None,
                    protocol.TOO_LARGE,
                    f"the request is {frame.length} bytes; at most "
                    f"{protocol.MAX_REQUEST_BYTES} bytes are accepted",
                )
            else:
                self._handle(frame)

    # Waiting: every wait watches the browser's input and has an end.

    def _note_input_end(self) -> None:
        if self._in.ended and not self._ended_at:
            self._ended_at = time.monotonic()

    def _pause(self, seconds: float) -> None:
        """Wait ``seconds`` while reading what the browser writes (its requests wait in
        the frame buffer). Its callers wait until ``_connect_deadline``, which ends
        early once the browser's input has ended."""
        if self._in.ended:
            time.sleep(seconds)
            return
        if sys.platform == "win32":
            from host import winpipe

            reader = self._raw
            assert isinstance(reader, winpipe.StdinReader)
            browser_ready = winpipe.wait_any([reader.event], seconds) is not None
        else:
            waiting = select.poll()
            waiting.register(self._in_fd, select.POLLIN)
            browser_ready = bool(waiting.poll(seconds * 1000))
        if browser_ready:
            self._in.fill()
            self._note_input_end()

    def _connect_deadline(self, started: float) -> float:
        """Connecting ends ``CONNECT_TIMEOUT`` after it began, or ``AFTER_END_CONNECT``
        after the browser's input ended (what it sent before still gets its answer from
        an app that is there), whichever comes first."""
        deadline = started + CONNECT_TIMEOUT
        if self._ended_at:
            deadline = min(deadline, self._ended_at + AFTER_END_CONNECT)
        return deadline

    def _wait_for_input(self) -> None:
        """Relay the app's replies, write queued requests and keep the app's liveness in
        view, until the browser has written more (or its input ended)."""
        if sys.platform == "win32":
            self._wait_for_input_windows()
            return
        while (link := self._link) is not None and link.alive:
            if link.outstanding or link.unsent:
                timeout = self._liveness(link)
                if not link.alive:
                    return
            else:
                self._quiet_since = None
                timeout = -1.0
            settled = not link.unsent and self._polled == (link, select.POLLIN, select.POLLIN)
            poller = self._poll if settled else self._poller(link)
            browser_ready = False
            for fd, events in poller.poll(timeout * 1000 if timeout >= 0 else -1):
                if fd != link.fileno():
                    browser_ready = True
                    continue
                if events & select.POLLOUT:
                    self._flush(link)
                if events & ~select.POLLOUT and link.alive:
                    self._receive(link)
            if browser_ready:
                return

    if sys.platform != "win32":

        def _poller(self, link: PlatformLink) -> Poll:
            """The poll object for the browser and ``link``, asking what is wanted now:
            the browser's data only while the app takes what it is sent (past
            ``MAX_UNSENT``, only its hang-up), and room to write only while something waits
            to be written."""
            browser = select.POLLIN if link.unsent < MAX_UNSENT else 0
            app = select.POLLIN | (select.POLLOUT if link.unsent else 0)
            watched, was_browser, was_app = self._polled
            if watched is not link:
                self._poll = select.poll()
                self._poll.register(self._in_fd, browser)
                self._poll.register(link.fileno(), app)
            else:
                if browser != was_browser:
                    self._poll.modify(self._in_fd, browser)
                if app != was_app:
                    self._poll.modify(link.fileno(), app)
            self._polled = (link, browser, app)
            return self._poll

    if sys.platform == "win32":

        def _wait_for_input_windows(self) -> None:
            """``_wait_for_input`` on Windows: the browser's input is read by a thread
            (``winpipe.StdinReader``), the pipe overlapped; all are events to wait on."""
            from host import winpipe

            reader = self._raw
            assert isinstance(reader, winpipe.StdinReader)
            while (link := self._link) is not None and link.alive:
                if link.outstanding or link.unsent:
                    timeout: float | None = self._liveness(link)
                    if not link.alive:
                        return
                else:
                    self._quiet_since = None
                    timeout = None
                watch_browser = link.unsent < MAX_UNSENT
                if watch_browser and reader.ready():
                    return
                handles = self._link_events(link)
                if handles is None:
                    break
                if watch_browser:
                    handles.append(reader.event)
                winpipe.wait_any(handles, timeout)
                if link.unsent:
                    self._flush(link)
                if link.alive:
                    self._receive(link)
            if not reader.ready():  # no app to watch: wait for the browser alone
                winpipe.wait_any([reader.event], None)

        def _link_events(self, link: PlatformLink) -> list[int] | None:
            """The events of ``link`` to wait on (a read is kept under way, and the write
            under way if any); ``None`` once the link is lost (a read could not start)."""
            try:
                handles = [link.wait_handle()]
            except OSError as error:
                log(f"lost the app: {error}")
                self._lost(link, self._gone_message())
                return None
            writing = link.write_handle()
            if writing is not None:
                handles.append(writing)
            return handles

    def _liveness(self, link: PlatformLink) -> float:
        """Seconds until the next probe or the end of patience, while requests wait (-1
        once the app is given up: it has said nothing for ``LIVENESS_TIMEOUT``)."""
        now = time.monotonic()
        if self._quiet_since is None:
            self._quiet_since = self._probed_at = now
        give_up = self._quiet_since + protocol.LIVENESS_TIMEOUT
        if now >= give_up:
            self._lost(
                link,
                f"Bridgekeeper has not answered for {protocol.LIVENESS_TIMEOUT:.0f} s: it "
                f"may be stopped or hung{'' if link.pid is None else f' (pid {link.pid})'}. "
                f"{HOW_TO_FIX}",
            )
            return -1.0
        probe = self._probed_at + protocol.PROBE_INTERVAL
        if now >= probe:
            self._probed_at = now
            probe = now + protocol.PROBE_INTERVAL
            self._queue(link, protocol.ALIVE, 0, b"")
        return max(0.0, min(give_up, probe) - now)

    # Requests.

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
        except RecursionError:
            self._reply_error(None, protocol.BAD_REQUEST, "the request is nested too deeply")
            return
        except Exception as error:  # ValueError, or anything else: still one reply
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
        self._queue(link, protocol.REQUEST, seq, payload)

    def _ensure_link(self) -> PlatformLink | None:
        if self._link is not None and self._link.alive:
            return self._link
        started = time.monotonic()
        try:
            path = transport.socket_path()
            link, busy = _try_connect(path)
            if link is None and not busy and not self._start_failure:
                sandbox = transport.flatpak_app_id()
                if sandbox is not None:
                    self._start_failure = not_startable_from(sandbox)
                    raise AppUnavailable(self._start_failure)
                try:
                    link = start_app_and_connect(
                        path, lambda: self._connect_deadline(started), self._pause
                    )
                except NotReached as error:
                    # Given up early because the browser's input ended: say so.
                    self._start_failure = INPUT_ENDED if self._ended_at else str(error)
                    raise AppUnavailable(self._start_failure) from error
                except AppUnavailable as error:
                    self._start_failure = str(error)  # a port must not wait on every request
                    raise
            waits = not self._start_failure  # once per host: a port must not wait on each
            while link is None and busy and waits:
                if time.monotonic() >= self._connect_deadline(started):
                    self._start_failure = busy
                    break
                self._pause(0.02)  # it listens but does not accept: wait, but not forever
                link, busy = _try_connect(path)
            if link is None:
                raise AppUnavailable(busy or self._start_failure or f"nothing listens at {path}")
        except (AppUnavailable, transport.SocketPathError, OSError) as error:
            self._unavailable = str(error)
            log(self._unavailable)
            return None
        self._link = link
        self._quiet_since = None
        self._queue(link, protocol.HELLO, 0, self._hello())
        return link if link.alive else None  # a refusal at once: _lost said why

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

    # The link.

    def _queue(self, link: PlatformLink, kind: int, seq: int, payload: bytes) -> None:
        try:
            link.queue(kind, seq, payload)
        except OSError:
            self._send_failed(link)

    def _flush(self, link: PlatformLink) -> None:
        try:
            link.flush()
        except OSError:
            self._send_failed(link)

    def _receive(self, link: PlatformLink) -> bool:
        """Relay what the app has sent; answer what it held if it has gone. False when
        there was nothing to read."""
        try:
            frames = link.receive_ready()
        except BlockingIOError:
            return False
        except (OSError, protocol.ProtocolError) as error:
            log(f"lost the app: {error}")
            frames = None
        if frames is None:
            self._lost(link, self._gone_message())
            return True
        if frames:
            self._quiet_since = None  # it is alive: patience starts again
        for kind, seq, payload in frames:
            if kind == protocol.REPLY:
                if link.outstanding.pop(seq, None) is None:
                    log(f"dropped a reply for {seq}, which is not waiting for one")
                    continue
                self._out.write(payload)
            elif kind == protocol.REFUSED:
                reason = f"Bridgekeeper refused this host: {_refusal(payload)}"
                log(reason)
                self._lost(link, reason)
                return True
        return True

    def _send_failed(self, link: PlatformLink) -> None:
        """The app stopped reading: relay the replies it sent before, then answer the rest."""
        while link.alive and self._receive(link):
            pass
        self._lost(link, self._gone_message())

    def _lost(self, link: PlatformLink, reason: str) -> None:
        """The link is gone: answer what it still held, in the order it was sent."""
        if link.alive:
            link.close()
            self._unavailable = reason
        orphans = list(link.outstanding.values())
        link.outstanding.clear()
        for request in orphans:
            self._answer_unavailable(request, reason)

    def _gone_message(self) -> str:
        return f"Bridgekeeper stopped before answering. {HOW_TO_FIX}"

    def _finish(self) -> None:
        """End of input: let the app answer what it holds, then go (within a second)."""
        link = self._link
        deadline = (self._ended_at or time.monotonic()) + protocol.END_GRACE_SECONDS
        if link is not None and link.alive:
            self._queue(link, protocol.END, 0, b"")
        while link is not None and link.alive and (left := deadline - time.monotonic()) > 0:
            if sys.platform == "win32":
                from host import winpipe

                handles = self._link_events(link)
                if handles is None:
                    break
                winpipe.wait_any(handles, left)
                if link.unsent:
                    self._flush(link)
                if link.alive:
                    self._receive(link)
                continue
            waiting = select.poll()
            waiting.register(link.fileno(), select.POLLIN | (select.POLLOUT if link.unsent else 0))
            for _fd, events in waiting.poll(left * 1000):
                if events & select.POLLOUT:
                    self._flush(link)
                if events & ~select.POLLOUT and link.alive:
                    self._receive(link)
        if link is not None and link.alive:
            self._lost(link, "Bridgekeeper did not answer before the browser's input ended.")
        self._out.closed = True

    def _answer_unavailable(self, request: bytes, message: str) -> None:
        """Answer the raw ``request`` ``app_unavailable`` (parsing it only now, for its id)."""
        self._reply_error(protocol.request_id_of(request), protocol.APP_UNAVAILABLE, message)

    def _reply_error(self, rid: RequestId, code: str, message: str) -> None:
        self._out.write(protocol.error_reply(rid, code, message))


def _refusal(payload: bytes) -> str:
    """The reason a REFUSED frame gives, whatever it holds."""
    import json

    try:
        message = json.loads(payload).get("message")
    except Exception:  # not JSON, not an object, nested too deeply: no reason given
        message = None
    return str(message)[:500] if message else "no reason given"


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
    out = BrowserOut(_take_stdout())
    stdin: protocol.RawInput
    if sys.platform == "win32":
        from host import winpipe

        stdin = winpipe.StdinReader(0)  # after _take_stdout made fd 0 binary
    else:
        stdin = io.FileIO(0, "rb", closefd=False)
    return Relay(caller, stdin, out).run()
