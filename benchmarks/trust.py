"""What hostile local clients cost the app (issue 12, points 4 and 6): its peak and
settled memory under a flood of idle connections, connections holding 1 MiB partial
frames, and a client that floods bad frames and never reads; and how long hosts wait on
a stopped app.

The real app, offscreen; clients speak the socket frames by hand (version 1 hellos, which
every app accepts, so ``BK_TEST_APP_CMD`` can point the same load at an older app).
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import select
import signal
import socket
import subprocess
import time
from pathlib import Path

from host import protocol
from tests.support.harness import AppProcess, HostProcess, one_shot, start_app, temp_home
from tests.support.raw_client import HOST_HELLO

IDLE_CONNECTIONS = 10_000
PARTIAL_CONNECTIONS = 300
FLOOD_BYTES = 20_000_000
HELLO = protocol.socket_frame(protocol.HELLO, 0, json.dumps({**HOST_HELLO, "protocol": 1}).encode())


def status_mb(pid: int, name: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def settled_mb(pid: int, seconds: float = 3.0) -> float:
    """Resident memory once it has stopped falling (or after ``seconds``)."""
    deadline = time.monotonic() + seconds
    last = status_mb(pid, "VmRSS")
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = status_mb(pid, "VmRSS")
        if abs(now - last) < 0.5:
            return now
        last = now
    return last


def ping_ms(app: AppProcess) -> float:
    started = time.monotonic()
    reply = one_shot(app.home, {"type": "ping", "id": 1})
    elapsed = (time.monotonic() - started) * 1000
    return elapsed if reply.get("ok") else float("nan")


def connect_raw(path: Path) -> socket.socket | None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.setblocking(False)
    try:
        sock.connect(str(path))
    except OSError:
        sock.close()
        return None
    return sock


def report(what: str, app: AppProcess, before: float, extra: str = "") -> None:
    pid = app.process.pid
    print(
        f"  {what:<44} idle {before:6.1f} MB, peak {status_mb(pid, 'VmHWM'):6.1f} MB, "
        f"settled {settled_mb(pid):6.1f} MB{extra}"
    )


def idle_flood() -> None:
    """Point 4: many connections that never say hello."""
    with temp_home() as home:
        app = start_app(home)
        try:
            pid = app.process.pid
            before = status_mb(pid, "VmRSS")
            fds_before = len(os.listdir(f"/proc/{pid}/fd"))
            idle = []
            started = time.monotonic()
            for _ in range(IDLE_CONNECTIONS):
                sock = connect_raw(home.socket)
                if sock is not None:
                    idle.append(sock)
            opened = time.monotonic() - started
            during = ping_ms(app)
            held = len(os.listdir(f"/proc/{pid}/fd")) - fds_before
            for sock in idle:
                sock.close()
            after = ping_ms(app)
            report(
                f"{IDLE_CONNECTIONS:,} idle connections ({len(idle):,} connected)",
                app,
                before,
                f"; app held {held} of them; a host's ping {during:.0f} ms during, "
                f"{after:.0f} ms after ({opened:.1f} s to open them)",
            )
        finally:
            app.stop()


def partial_frames() -> None:
    """Point 6: connections each holding a 1 MiB frame but for its last byte."""
    with temp_home() as home:
        app = start_app(home)
        try:
            pid = app.process.pid
            before = status_mb(pid, "VmRSS")
            frame = protocol.SOCKET_HEADER.pack(
                protocol.REQUEST, 1, protocol.MAX_SOCKET_FRAME_BYTES
            ) + b"x" * (protocol.MAX_SOCKET_FRAME_BYTES - 1)
            clients = [
                s for s in (connect_raw(home.socket) for _ in range(PARTIAL_CONNECTIONS)) if s
            ]
            left = {sock: memoryview(HELLO + frame) for sock in clients}
            quiet = time.monotonic()
            while left and time.monotonic() - quiet < 1.0:
                for sock, rest in list(left.items()):
                    with contextlib.suppress(BlockingIOError):
                        sent = sock.send(rest)
                        quiet = time.monotonic()
                        left[sock] = rest[sent:]
                        if not left[sock]:
                            del left[sock]
                time.sleep(0.01)
            during = ping_ms(app)
            peak = status_mb(pid, "VmHWM")
            for sock in clients:
                sock.close()
            report(
                f"{PARTIAL_CONNECTIONS} x 1 MiB partial frames",
                app,
                before,
                f" (peak with them {peak:.1f} MB); a host's ping {during:.0f} ms during",
            )
        finally:
            app.stop()


def non_reader() -> None:
    """Point 6: bad frames sent as fast as the app takes them, replies never read."""
    with temp_home() as home:
        app = start_app(home)
        try:
            pid = app.process.pid
            before = status_mb(pid, "VmRSS")
            sock = connect_raw(home.socket)
            assert sock is not None
            sock.setblocking(True)
            sock.sendall(HELLO)
            sock.setblocking(False)
            frames = protocol.socket_frame(protocol.REQUEST, 1, b"{") * 1000
            sent = 0
            deadline = time.monotonic() + 20
            stuck_since = None
            while sent < FLOOD_BYTES and time.monotonic() < deadline:
                try:
                    sent += sock.send(frames)
                    stuck_since = None
                except BlockingIOError:
                    stuck_since = stuck_since or time.monotonic()
                    if time.monotonic() - stuck_since > 2:
                        break  # the app takes no more from it
                    time.sleep(0.01)
            during = ping_ms(app)
            sock.close()
            report(
                "a client flooding bad frames, never reading",
                app,
                before,
                f"; the app took {sent / 1e6:.1f} of {FLOOD_BYTES / 1e6:.0f} MB; "
                f"a host's ping {during:.0f} ms during",
            )
        finally:
            app.stop()


def stopped_app() -> None:
    """Point 4: how long hosts wait on a stopped app (SIGSTOP)."""
    with temp_home() as home:
        app = start_app(home)
        try:
            os.kill(app.process.pid, signal.SIGSTOP)
            host = HostProcess(home)
            started = time.monotonic()
            host.send({"type": "ping", "id": 1})
            ready, _, _ = select.select([host.stdout], [], [], 30)
            reply = host.read() if ready else None
            waited = time.monotonic() - started
            leaving = HostProcess(home)
            leaving.send({"type": "ping", "id": 2})
            time.sleep(0.3)
            closed = time.monotonic()
            try:
                leaving.wait(30)
                left = f"{(time.monotonic() - closed) * 1000:.0f} ms later"
            except subprocess.TimeoutExpired:
                left = "not within 30 s"
            os.kill(app.process.pid, signal.SIGCONT)
            answer = f"answered {reply['error']['code']}" if reply else "not answered"
            print(
                f"  stopped app (SIGSTOP): a host's ping {answer} after {waited:.1f} s; a "
                f"host whose input ended exited {left}"
            )
            for each in (host, leaving):
                each.kill()
        finally:
            app.stop()


def main() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, IDLE_CONNECTIONS + 1000), hard))
    print(f"machine: {os.cpu_count()} cores, {os.uname().sysname} {os.uname().release}")
    print("the app's resident memory under hostile local clients:")
    idle_flood()
    partial_frames()
    non_reader()
    stopped_app()


if __name__ == "__main__":
    main()
