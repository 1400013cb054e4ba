"""Start at login: an XDG autostart entry on Linux, a LaunchAgent on macOS, the HKCU Run
key on Windows. The tray's "Start at login" item reads and sets it through ``Autostart``.
"""

from __future__ import annotations

import contextlib
import os
import plistlib
import subprocess
import sys
from pathlib import Path
from typing import Protocol

from app.core.files import write_atomically
from app.system.registry import Registry, WindowsRegistry
from app.system.resources import MissingAsset, asset
from host import launch

APP_NAME = "Bridgekeeper"
DESKTOP_FILE = "bridgekeeper.desktop"
LAUNCH_AGENT_LABEL = launch.MACOS_BUNDLE_ID
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
RUN_VALUE = "Bridgekeeper"


class AutostartError(Exception):
    """Start at login could not be changed; the message says where and why."""


def login_command(
    executable: str = sys.executable,
    frozen: bool = getattr(sys, "frozen", False),
    platform: str = sys.platform,
) -> list[str]:
    """How to start the tray app at login: the bundle's tray executable (on Windows the
    windowed ``bridgekeeperw.exe`` beside the console one, whichever of the two asks),
    the same script beside this interpreter, or ``python -m app`` (``pythonw`` on Windows:
    no console window at login)."""
    here = Path(executable).parent
    tray = here / launch.executable(launch.TRAY_APP, platform)
    if frozen or tray.exists():
        return [str(tray)]
    windowless = here / "pythonw.exe"
    if platform == "win32" and windowless.exists():
        return [str(windowless), "-m", "app"]
    return [executable, "-m", "app"]


class Autostart(Protocol):
    def is_enabled(self) -> bool: ...

    def enable(self) -> None: ...

    def disable(self) -> None: ...

    @property
    def location(self) -> str:
        """Where the setting lives, for messages."""
        ...


def _desktop_quote(argument: str) -> str:
    """Quote one Exec argument per the Desktop Entry spec (and escape ``%``)."""
    argument = argument.replace("%", "%%")
    if argument and not any(c in argument for c in " \t\n\"'\\><~|&;$*?#()`="):
        return argument
    escaped = "".join("\\" + c if c in '"`$\\' else c for c in argument)
    return f'"{escaped}"'


class XdgAutostart:
    """``$XDG_CONFIG_HOME/autostart/bridgekeeper.desktop`` (Linux and other XDG desktops)."""

    def __init__(self, config_home: Path | None = None, command: list[str] | None = None) -> None:
        if config_home is None:
            configured = os.environ.get("XDG_CONFIG_HOME", "")
            config_home = Path(configured) if configured else Path.home() / ".config"
        self.path = config_home / "autostart" / DESKTOP_FILE
        self.command = command or login_command()

    @property
    def location(self) -> str:
        return str(self.path)

    def entry(self) -> str:
        lines = [
            "[Desktop Entry]",
            "Type=Application",
            f"Name={APP_NAME}",
            "Comment=Prompts and secrets for browser extensions",
            "Exec=" + " ".join(_desktop_quote(part) for part in self.command),
            "Terminal=false",
            "X-GNOME-Autostart-enabled=true",
        ]
        # Without the icon the entry still starts the app; the desktop shows a generic one.
        with contextlib.suppress(MissingAsset):
            lines.append(f"Icon={asset('icons/bridgekeeper-128.png')}")
        return "\n".join(lines) + "\n"

    def is_enabled(self) -> bool:
        try:
            text = self.path.read_text(encoding="utf-8")
        except OSError:
            return False
        # A user who switched it off in their desktop's settings keeps the file.
        return "X-GNOME-Autostart-enabled=false" not in text and "Hidden=true" not in text

    def enable(self) -> None:
        _write(self.path, self.entry().encode("utf-8"))

    def disable(self) -> None:
        _remove(self.path)


class LaunchAgentAutostart:
    """``~/Library/LaunchAgents/org.bridgekeeper.app.plist`` (macOS)."""

    def __init__(self, home: Path | None = None, command: list[str] | None = None) -> None:
        self.path = (
            (home or Path.home()) / "Library" / "LaunchAgents" / f"{LAUNCH_AGENT_LABEL}.plist"
        )
        self.command = command or login_command()

    @property
    def location(self) -> str:
        return str(self.path)

    def agent(self) -> bytes:
        """launchd.plist(5): started at login (``RunAtLoad``) in graphical sessions only
        (``LimitLoadToSessionType`` Aqua: never in an ssh session, which has no menu bar);
        System Settings' Login Items shows it under the app's name
        (``AssociatedBundleIdentifiers``, macOS 13 and later)."""
        return plistlib.dumps(
            {
                "Label": LAUNCH_AGENT_LABEL,
                "ProgramArguments": self.command,
                "RunAtLoad": True,
                "ProcessType": "Interactive",
                "LimitLoadToSessionType": "Aqua",
                "AssociatedBundleIdentifiers": [launch.MACOS_BUNDLE_ID],
            }
        )

    def is_enabled(self) -> bool:
        try:
            with self.path.open("rb") as file:
                agent = plistlib.load(file)
        except (OSError, plistlib.InvalidFileException, ValueError):
            return False
        return isinstance(agent, dict) and bool(agent.get("RunAtLoad"))

    def enable(self) -> None:
        _write(self.path, self.agent())

    def disable(self) -> None:
        _remove(self.path)


class RunKeyAutostart:
    """The ``Bridgekeeper`` value under ``HKCU\\<RUN_KEY>`` (Windows)."""

    def __init__(self, registry: Registry | None = None, command: list[str] | None = None) -> None:
        self.registry = registry or WindowsRegistry("HKCU")
        self.command = command or login_command()

    @property
    def location(self) -> str:
        return f"HKEY_CURRENT_USER\\{RUN_KEY}\\{RUN_VALUE}"

    def value(self) -> str:
        return subprocess.list2cmdline(self.command)

    def is_enabled(self) -> bool:
        return bool(self.registry.get(RUN_KEY, RUN_VALUE))

    def enable(self) -> None:
        try:
            self.registry.set(RUN_KEY, self.value(), RUN_VALUE)
        except OSError as error:
            raise AutostartError(f"cannot write {self.location}: {error}") from error

    def disable(self) -> None:
        try:
            self.registry.delete(RUN_KEY, RUN_VALUE)
        except OSError as error:
            raise AutostartError(f"cannot remove {self.location}: {error}") from error


def for_platform(platform: str = sys.platform) -> Autostart:
    if platform == "win32":
        return RunKeyAutostart()
    if platform == "darwin":
        return LaunchAgentAutostart()
    return XdgAutostart()


def _write(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, data, mode=0o644)
    except OSError as error:
        raise AutostartError(f"cannot write {path}: {error}") from error


def _remove(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as error:
        raise AutostartError(f"cannot remove {path}: {error}") from error
