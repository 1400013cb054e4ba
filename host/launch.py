"""Which executable is which, and how the host starts the app without a window.

The console decision (Windows). An executable is built for the console subsystem (it
gets a console: a window, unless its parent's console or a hidden one is inherited) or
for the windows subsystem (no console: what it prints goes nowhere, and shells do not
wait for it, so there is no exit code either). No single executable serves both a tray
app and a command line, so the Windows bundle has three, as Python has python.exe and
pythonw.exe:

- ``bridgekeeper.exe``, console: the command line people type (``install``, ``status``,
  ``doctor``, ``extensions``...) prints and returns exit codes;
- ``bridgekeeperw.exe``, windows subsystem: the tray app, for the Start menu, start at
  login and the host; starting it never shows a console;
- ``bridgekeeper-host.exe``, console: browsers start it through ``cmd.exe /d /s /c``
  with ``STARTF_USESHOWWINDOW`` and ``SW_HIDE`` (Chromium's ``LaunchOptions.start_hidden``
  in launch_context_win.cc; Edge is Chromium) or directly with ``CREATE_NO_WINDOW``
  (Firefox's subprocess_worker_win.js), so cmd's console is hidden or windowless and the
  host, inheriting it, shows nothing. A windows-subsystem host would change nothing
  there: the console is cmd's, created before the host starts.

The rejected alternative: one windowed ``bridgekeeper.exe`` that calls
``AttachConsole(ATTACH_PARENT_PROCESS)`` for commands. Its output would land after the
shell's next prompt and the shell would not wait for its exit code.

macOS and Linux have no such split: ``bridgekeeper`` serves both.

Standard library only: the host uses ``start_detached`` to start the app.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    import subprocess
    from collections.abc import Sequence

CLI = "cli"
TRAY_APP = "tray app"
HOST = "host"
MACOS_BUNDLE_ID = "org.bridgekeeper.app"
"""``Bridgekeeper.app``'s ``CFBundleIdentifier`` (the LaunchAgent names it too)."""

CREATE_NEW_PROCESS_GROUP = 0x00000200
CREATE_BREAKAWAY_FROM_JOB = 0x01000000
CREATE_NO_WINDOW = 0x08000000

IMAGE_SUBSYSTEM_WINDOWS_GUI = 2
IMAGE_SUBSYSTEM_WINDOWS_CUI = 3

EXECUTABLES: dict[str, dict[str, tuple[str, int | None]]] = {
    "win32": {
        CLI: ("bridgekeeper.exe", IMAGE_SUBSYSTEM_WINDOWS_CUI),
        TRAY_APP: ("bridgekeeperw.exe", IMAGE_SUBSYSTEM_WINDOWS_GUI),
        HOST: ("bridgekeeper-host.exe", IMAGE_SUBSYSTEM_WINDOWS_CUI),
    },
    "posix": {
        CLI: ("bridgekeeper", None),
        TRAY_APP: ("bridgekeeper", None),
        HOST: ("bridgekeeper-host", None),
    },
}
"""For each role, the file name in the bundle (and, on Windows, its PE subsystem)."""


def executable(role: str, platform: str = sys.platform) -> str:
    """The bundle's file name for ``role`` (``CLI``, ``TRAY_APP``, ``HOST``)."""
    return EXECUTABLES["win32" if platform == "win32" else "posix"][role][0]


def subsystem(role: str) -> int:
    """The PE subsystem the Windows executable for ``role`` is built for."""
    value = EXECUTABLES["win32"][role][1]
    assert value is not None
    return value


def pe_subsystem(head: bytes) -> int | None:
    """The subsystem field of a Windows executable from its first bytes (at least the
    first 1,024): 2 windows, 3 console; ``None`` when it is not a PE image.

    Layout (Microsoft's PE format): ``e_lfanew`` at 0x3C points at ``PE\\0\\0``; the
    optional header follows the 20-byte file header, and ``Subsystem`` is at offset 68
    of it in both PE32 and PE32+."""
    if len(head) < 0x40 or head[:2] != b"MZ":
        return None
    offset = int.from_bytes(head[0x3C:0x40], "little")
    field = offset + 4 + 20 + 68
    if head[offset : offset + 4] != b"PE\0\0" or len(head) < field + 2:
        return None
    magic = int.from_bytes(head[offset + 24 : offset + 26], "little")
    if magic not in (0x10B, 0x20B):  # PE32, PE32+
        return None
    return int.from_bytes(head[field : field + 2], "little")


def creation_flags(breakaway: bool = True) -> int:
    """``CreateProcess`` flags for the app started by a host (Windows):

    - ``CREATE_NO_WINDOW``: a console program (``python.exe -m app`` in development)
      gets a console without a window; ignored for ``bridgekeeperw.exe``, which has none;
    - ``CREATE_NEW_PROCESS_GROUP``: a Ctrl+C or Ctrl+Break meant for the host's console
      never reaches the app;
    - ``CREATE_BREAKAWAY_FROM_JOB``: if the browser put its host in a job that is killed
      when the host ends, the app outlives it; refused (``ERROR_ACCESS_DENIED``) by a job
      that does not allow breaking away, hence ``breakaway=False`` for the retry."""
    flags = CREATE_NO_WINDOW | CREATE_NEW_PROCESS_GROUP
    return flags | CREATE_BREAKAWAY_FROM_JOB if breakaway else flags


def start_detached(command: Sequence[str]) -> subprocess.Popen[bytes]:
    """Start ``command`` apart from this process: its own session (POSIX) or process
    group without a console window (Windows); no standard stream of ours (the browser's
    pipes must close when the host exits, not when the app does)."""
    import subprocess

    quiet = subprocess.DEVNULL
    if sys.platform != "win32":
        return subprocess.Popen(
            list(command),
            stdin=quiet,
            stdout=quiet,
            stderr=quiet,
            close_fds=True,
            start_new_session=True,
        )

    def start(flags: int) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            list(command),
            stdin=quiet,
            stdout=quiet,
            stderr=quiet,
            close_fds=True,
            creationflags=flags,
        )

    try:
        return start(creation_flags())
    except PermissionError:  # a job that forbids breaking away
        return start(creation_flags(breakaway=False))
