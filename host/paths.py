"""Where the app's local socket lives; shared by host and app so they always agree.

``BRIDGEKEEPER_HOME`` puts everything under one folder (tests, portable set-ups).
Otherwise the per-user runtime folder of the platform. Socket paths stay short: Unix
sockets fail past ~104 bytes.
"""

from __future__ import annotations

import os
import sys

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
