"""The folders Bridgekeeper reads and writes: all under ``BRIDGEKEEPER_HOME`` when set,
else the platform's per-user folders (created 0700).

The runtime folder (the socket's) follows the strict rules of ``host.transport``: a real
folder of this user, mode 0700, never a link. Settings, data and logs may sit behind a
link (dotfiles kept elsewhere) but must belong to this user; one that others may open is
made 0700 when it is a real folder of this user, never through a link."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

from host import transport

APP_NAME = "bridgekeeper"


class FolderError(Exception):
    """A folder Bridgekeeper keeps its files in is not this user's; the message says
    which, and what to do."""


def _home() -> Path | None:
    home = os.environ.get("BRIDGEKEEPER_HOME")
    return Path(home).absolute() if home else None


def _private(path: Path) -> Path:
    """``path``, created 0700 if missing; ``OSError`` when it cannot be (a read-only
    home), ``FolderError`` when it belongs to another user."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if sys.platform == "win32":
        return path
    st = path.stat()
    if st.st_uid != os.geteuid():
        raise FolderError(
            f"{path} belongs to another user (uid {st.st_uid}), so its files cannot be "
            "trusted; remove it (as that user or an administrator), or set "
            "BRIDGEKEEPER_HOME to a folder of yours"
        )
    if st.st_mode & 0o077 and not path.is_symlink():
        _tighten(path)
    return path


def _tighten(path: Path) -> None:
    """Make a real folder of this user 0700, through a descriptor that did not follow a
    link (the folder may have been swapped for one since it was looked at)."""
    if sys.platform == "win32":
        return  # folders there are private by their access list, not by mode bits
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return  # swapped for a link or gone: left as it is
    try:
        if os.fstat(fd).st_uid == os.geteuid():
            os.fchmod(fd, 0o700)
    except OSError:
        pass  # a read-only file system: it stays as it was
    finally:
        os.close(fd)


def config_dir() -> Path:
    home = _home()
    return _private(home / "config" if home else platformdirs.user_config_path(APP_NAME, False))


def data_dir() -> Path:
    home = _home()
    return _private(home / "data" if home else platformdirs.user_data_path(APP_NAME, False))


def log_dir() -> Path:
    home = _home()
    return _private(home / "log" if home else platformdirs.user_log_path(APP_NAME, False))


def runtime_dir() -> Path:
    """The socket's folder, created or checked (``transport.SocketPathError``)."""
    path = transport.runtime_dir()
    transport.ensure_private_dir(path)
    return Path(path)


def socket_path() -> str:
    return transport.socket_path()
