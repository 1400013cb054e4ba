"""One app per user: the instance lock, and the command line's way to reach the running
app (hand-over, pause, resume) over the same socket the hosts use."""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

from host import protocol, transport
from host.transport import AppUnavailable, connect

LOCK_NAME = "app.lock"


class AppNotRunning(Exception):
    """No app of this user answers on the socket (the message says what is there)."""


class AppUnresponsive(AppNotRunning):
    """The app accepted the command but did not answer in time: stopped or hung."""


class AppUntrusted(AppNotRunning):
    """The socket or its folder is not this user's: nothing was sent (the message says
    what is there)."""


class ControlFailed(Exception):
    """The app answered the command with an error (``code`` is a contract error code)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class InstanceLock:
    """Held by the app that serves the socket; released when its process ends."""

    def __init__(self) -> None:
        self._fd: int | None = None

    def acquire(self) -> bool:
        runtime = transport.runtime_dir()
        transport.ensure_private_dir(runtime)
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(os.path.join(runtime, LOCK_NAME), flags, 0o600)
        if sys.platform == "win32":
            import msvcrt

            try:
                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            except OSError:
                os.close(fd)
                return False
        else:
            import fcntl

            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def hung_app_fix(pid: int | None, platform: str = sys.platform) -> str:
    """What to do about an app that does not answer, in this platform's words. POSIX: it
    may have been stopped (SIGSTOP), so resume it first; Windows has no such stop: end it."""
    if platform == "win32":
        if pid is None:
            return "End it in Task Manager (bridgekeeperw.exe) and start it again"
        return f"End it (`taskkill /PID {pid} /F`) and start it again"
    resume = "`pkill -CONT -u $USER -x bridgekeeper`" if pid is None else f"`kill -CONT {pid}`"
    return f"Resume it ({resume}), or quit it and start it again"


def control(command: str, timeout: float = 10.0, **fields: Any) -> dict[str, Any]:
    """Send one command to the running app and return the ``result`` of its reply.

    Waits up to ``timeout`` for the socket (an app that holds the lock may still be
    starting) and for the answer, at least a second. Raises ``AppNotRunning`` when no app
    of this user answers (a socket served by another user, or a folder that is not
    safely ours, is never spoken to, nor waited for: ``AppUntrusted``), ``AppUnresponsive``
    when it does not
    answer in time, ``ControlFailed`` when it answers with an error.
    """
    path = transport.socket_path()
    deadline = time.monotonic() + timeout
    while True:
        busy = False
        try:
            link = connect(path)
            problem = f"nothing listens at {path}"
        except (transport.ForeignPeer, transport.SocketPathError) as error:
            raise AppUntrusted(str(error)) from error
        except AppUnavailable as error:
            link, problem, busy = None, str(error), isinstance(error, transport.AppBusy)
        if link is not None:
            break
        if time.monotonic() >= deadline:
            if busy:
                raise AppUnresponsive(
                    "Bridgekeeper listens but does not accept connections: it may be stopped "
                    f"or hung. {hung_app_fix(None)}"
                )
            raise AppNotRunning(f"Bridgekeeper is not running ({problem})")
        time.sleep(0.05)
    wait = max(1.0, deadline - time.monotonic())
    try:
        link.settimeout(wait)
        hello = {"protocol": protocol.SOCKET_PROTOCOL, "role": "control", "pid": os.getpid()}
        link.send(protocol.HELLO, 0, protocol.encode_json(hello))
        link.send(protocol.REQUEST, 1, protocol.encode_json({"command": command, **fields}))
        frame = link.receive()
    except TimeoutError as error:
        pid = "" if link.pid is None else f" (pid {link.pid})"
        raise AppUnresponsive(
            f"Bridgekeeper{pid} is running but did not answer within {wait:.0f} s: it may be "
            f"stopped or hung. {hung_app_fix(link.pid)}"
        ) from error
    except protocol.ProtocolError as error:
        raise AppNotRunning(f"Bridgekeeper answered out of protocol: {error}") from error
    except OSError as error:
        raise AppNotRunning(f"Bridgekeeper closed the connection: {error}") from error
    finally:
        link.close()
    if frame is None:
        raise AppNotRunning("Bridgekeeper closed the connection without answering")
    kind, _seq, payload = frame
    try:
        answer = json.loads(payload)
    except Exception as error:  # not UTF-8, not JSON, nested too deeply
        raise AppNotRunning(f"Bridgekeeper's answer cannot be read: {error}") from error
    if kind == protocol.REFUSED:
        reason = answer.get("message") if isinstance(answer, dict) else answer
        raise AppNotRunning(f"Bridgekeeper refused the command: {str(reason)[:500]}")
    return _result(answer)


def _result(answer: object) -> dict[str, Any]:
    if isinstance(answer, dict) and answer.get("ok") is True:
        result = answer.get("result")
        if isinstance(result, dict):
            return result
    elif isinstance(answer, dict) and isinstance(error := answer.get("error"), dict):
        raise ControlFailed(str(error.get("code")), str(error.get("message")))
    raise AppNotRunning(f"Bridgekeeper's answer is not one: {repr(answer)[:200]}")
