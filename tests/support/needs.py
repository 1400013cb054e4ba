"""What some tests need that not every platform (or machine) has, in one place.

Each need is a pytest marker of the same name (declared in pyproject.toml); conftest.py
skips a marked test where the need is missing, with a reason that names what is missing.
Fixtures and helpers that find out late call ``require(name)``.

Missing on Linux is a different matter for the tools ``./dev test`` installs (Xvfb,
trayer, the browsers, gnome-keyring): there a missing tool fails the test, so that a
broken set-up is seen, and only other platforms skip.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable

import pytest

LINUX = sys.platform == "linux"
NOT_ROOT = sys.platform == "win32" or os.geteuid() != 0
"""For ``skipif``: not running as root (Windows has no root: there this is true)."""


def _linux_only(what: str) -> Callable[[], str | None]:
    def missing() -> str | None:
        return None if LINUX else f"needs {what}: Linux only"

    return missing


def _root_with(*tools: str) -> Callable[[], str | None]:
    def missing() -> str | None:
        if sys.platform == "win32" or os.geteuid() != 0:
            return f"needs root and {', '.join(tools)}"
        absent = [tool for tool in tools if not shutil.which(tool)]
        return f"needs {', '.join(absent)}" if absent else None

    return missing


def _app_transport() -> str | None:
    """The app's transport: the named pipe on Windows, a Unix socket elsewhere."""
    import socket

    if sys.platform == "win32" or hasattr(socket, "AF_UNIX"):
        return None
    return f"needs Unix domain sockets or Windows' named pipes: {sys.platform} has neither"


NEEDS: dict[str, tuple[str, Callable[[], str | None]]] = {
    "xvfb": (
        "needs a real X server with a system tray (Xvfb + trayer)",
        _linux_only("an X server with a system tray (Xvfb, trayer, xdotool)"),
    ),
    "browser": (
        "drives a real Chromium or Firefox",
        _linux_only("Debian's chromium and firefox-esr, as tests/support/browsers.py starts them"),
    ),
    "keyring": (
        "needs a real Secret Service",
        _linux_only(
            "a Secret Service (gnome-keyring in a D-Bus session: tests/support/run-with-services)"
        ),
    ),
    "app_transport": (
        "needs the app reachable over its local transport on this platform",
        _app_transport,
    ),
    "linux_folders": (
        "checks what Linux browsers and desktops read (XDG folders, launchers, .desktop)",
        _linux_only(
            "Linux's browser and desktop folders; macOS and Windows rows are checked in "
            "tests/unit/test_platforms.py and tests/unit/test_windows.py"
        ),
    ),
    "second_user": (
        "runs a process as a second local user (root: useradd, setpriv)",
        _root_with("useradd", "userdel", "setpriv"),
    ),
    "dpkg": (
        "installs a .deb into a temporary dpkg root",
        _root_with("dpkg", "dpkg-deb"),
    ),
    "unix_socket": (
        "uses the Unix socket itself (AF_UNIX clients and fakes, its file, its folder's modes)",
        lambda: (
            "needs POSIX's Unix socket (AF_UNIX, a socket file, folder modes); Windows' "
            "named pipe has its own tests (tests/e2e/test_transport_contract.py, "
            "tests/unit/test_windows.py)"
            if sys.platform == "win32"
            else None
        ),
    ),
    "find_processes": (
        "finds the app a host started by its environment (tests/support/harness.processes_of)",
        lambda: (
            "needs /proc or `ps -E` to find the app a host started: Windows' standard "
            "library cannot read another process's environment"
            if sys.platform == "win32"
            else None
        ),
    ),
    "windows": (
        "calls Win32 itself (named pipes, the registry, consoles)",
        lambda: None if sys.platform == "win32" else "needs Windows (Win32 calls)",
    ),
}
"""marker: (what it declares, the reason the need is missing here, or None)."""


def missing(name: str) -> str | None:
    """Why the need ``name`` is missing on this machine (None: it is met)."""
    return NEEDS[name][1]()


def require(name: str) -> None:
    """Skip the running test when the need ``name`` is missing here."""
    reason = missing(name)
    if reason:
        pytest.skip(reason)
