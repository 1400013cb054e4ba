"""Another local user, for the trust tests: a throwaway account (as root: ``useradd``,
then ``userdel``), programs run as it (``setpriv``), and an impostor that listens where
Bridgekeeper's socket should be and reports what reaches it.

Tests that need it carry the ``second_user`` mark (tests/support/needs.py): they skip,
saying why, where it cannot be had.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from tests.support.needs import require


@dataclass(frozen=True)
class User:
    name: str
    uid: int
    gid: int

    def command(self, *argv: str) -> list[str]:
        """``argv`` run as this user, with no supplementary groups."""
        return [
            "setpriv",
            f"--reuid={self.uid}",
            f"--regid={self.gid}",
            "--clear-groups",
            "--",
            *argv,
        ]


@contextmanager
def throwaway_user() -> Iterator[User]:
    """A new local user for the test's length; removed with its processes afterwards."""
    require("second_user")
    name = f"bk-other-{secrets.token_hex(3)}"
    for attempt in range(20):  # other tests may hold /etc/passwd's lock a moment
        done = subprocess.run(
            ["useradd", "-M", "-s", "/usr/sbin/nologin", name],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode == 0:
            break
        if attempt == 19:
            raise RuntimeError(f"useradd {name} failed: {done.stderr}")
        time.sleep(0.1)
    import pwd  # POSIX only: imported here, so the module loads on Windows

    entry = pwd.getpwnam(name)
    user = User(name, entry.pw_uid, entry.pw_gid)
    try:
        yield user
    finally:
        _kill_processes_of(user.uid)
        for _ in range(20):
            if subprocess.run(["userdel", name], capture_output=True, check=False).returncode in (
                0,
                6,  # no such user
            ):
                break
            time.sleep(0.1)


def _kill_processes_of(uid: int) -> None:
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if entry.stat().st_uid == uid:
                os.kill(int(entry.name), signal.SIGKILL)


IMPOSTOR = r"""
import os, socket, sys
path, mode, uid, gid = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
folder = os.path.dirname(path)
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
if mode == "folder":
    # Another user gets there first: its own folder, open to all, its socket in it.
    os.setgid(gid); os.setuid(uid)
    os.mkdir(folder, 0o777); os.chmod(folder, 0o777)
    server.bind(path); os.chmod(path, 0o777)
else:
    # A socket in the victim's own folder (root put it there), served by the other user:
    # the kernel records the credentials of whoever calls listen().
    server.bind(path); os.chmod(path, 0o777)
    os.setgid(gid); os.setuid(uid)
server.listen(16)
print("listening", flush=True)
while True:
    conn, _ = server.accept()
    print("accepted", flush=True)
    conn.settimeout(2)
    received = 0
    try:
        while data := conn.recv(65536):
            received += len(data)
            # What an impostor would answer: a forged "allow" for whatever it was asked.
            conn.sendall(bytes.fromhex("0300000001000000") + b"\x00\x00\x00\x00")
    except OSError:
        pass
    print(f"received {received}", flush=True)
    conn.close()
"""


class Impostor:
    """A process of ``user`` listening at ``path``; its stdout says what reached it."""

    def __init__(self, user: User, path: Path, *, own_folder: bool) -> None:
        self.path = path
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                IMPOSTOR,
                str(path),
                "folder" if own_folder else "peer",
                str(user.uid),
                str(user.gid),
            ],
            stdout=subprocess.PIPE,
            bufsize=0,
        )
        assert self.process.stdout is not None
        self._out: IO[bytes] = self.process.stdout
        self._lines: list[str] = []
        self._partial = b""
        deadline = time.monotonic() + 10
        while not self._lines and self._read(max(0.0, deadline - time.monotonic())):
            pass
        assert self._lines == ["listening"], self._lines
        self._lines.clear()

    def _read(self, timeout: float) -> bool:
        """Read what it has written within ``timeout``; false when nothing came."""
        ready, _, _ = select.select([self._out], [], [], timeout)
        if not ready:
            return False
        data = os.read(self._out.fileno(), 65536)
        if not data:
            return False
        *lines, self._partial = (self._partial + data).split(b"\n")
        self._lines += [line.decode().strip() for line in lines]
        return True

    def events(self, settle: float = 3.0) -> list[str]:
        """What it has reported: once every connection it accepted has ended (or after
        ``settle`` seconds), it is stopped and its report read."""
        deadline = time.monotonic() + settle
        while time.monotonic() < deadline:
            accepted = self._lines.count("accepted")
            ended = sum(line.startswith("received") for line in self._lines)
            if not self._read(0.3 if accepted == ended else 0.1) and accepted == ended:
                break
        self.stop()
        return list(self._lines)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(5)
        self._out.close()

    def __enter__(self) -> Impostor:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()
