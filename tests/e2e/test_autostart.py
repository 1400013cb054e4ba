"""Start at login. Linux for real (the entry's Exec line starts the real app); macOS and
Windows against a temporary folder and a FAKE registry, since neither exists here."""

from __future__ import annotations

import configparser
import plistlib
import shlex
import signal
import subprocess
from pathlib import Path

import pytest

from app.system import autostart
from app.system.autostart import (
    LaunchAgentAutostart,
    RunKeyAutostart,
    XdgAutostart,
    login_command,
)
from app.system.registry import WindowsRegistry
from tests.support.fake_registry import FakeRegistry
from tests.support.harness import Home, socket_accepts, wait_for


def read_entry(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path, encoding="utf-8")
    return parser["Desktop Entry"]


@pytest.mark.linux_folders
def test_xdg_entry_is_written_where_desktops_look(tmp_path: Path) -> None:
    start = XdgAutostart(tmp_path)
    assert not start.is_enabled()
    start.enable()
    assert start.path == tmp_path / "autostart" / "bridgekeeper.desktop"
    assert start.is_enabled()
    entry = read_entry(start.path)
    assert entry["Type"] == "Application"
    assert entry["Name"] == "Bridgekeeper"
    assert shlex.split(entry["Exec"]) == login_command()
    assert Path(entry["Icon"]).is_file()
    start.disable()
    assert not start.path.exists()
    assert not start.is_enabled()
    start.disable()  # twice is fine


@pytest.mark.linux_folders
def test_xdg_follows_xdg_config_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    assert XdgAutostart().path == tmp_path / "cfg" / "autostart" / "bridgekeeper.desktop"


@pytest.mark.linux_folders
def test_xdg_entry_switched_off_by_the_desktop_counts_as_off(tmp_path: Path) -> None:
    start = XdgAutostart(tmp_path)
    start.enable()
    start.path.write_text(
        start.path.read_text(encoding="utf-8").replace("enabled=true", "enabled=false"),
        encoding="utf-8",
    )
    assert not start.is_enabled()


@pytest.mark.linux_folders
def test_xdg_exec_quotes_awkward_paths(tmp_path: Path) -> None:
    start = XdgAutostart(tmp_path, command=["/opt/my apps/bridge$keeper", "100%"])
    start.enable()
    exec_line = read_entry(start.path)["Exec"]
    assert exec_line == '"/opt/my apps/bridge\\$keeper" 100%%'


@pytest.mark.linux_folders
def test_xdg_unwritable_folder_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "autostart").write_text("a file, not a folder")
    with pytest.raises(autostart.AutostartError, match="cannot write"):
        XdgAutostart(tmp_path).enable()


@pytest.mark.linux_folders
def test_xdg_entry_starts_the_real_app(home: Home) -> None:
    """What the desktop does at login: run the Exec line. The app must come up."""
    start = XdgAutostart(home.home / ".config")
    start.enable()
    command = shlex.split(read_entry(start.path)["Exec"])
    process = subprocess.Popen(
        command,
        env=home.env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: socket_accepts(home.socket), 20, "the autostarted app to listen")
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0


def test_launch_agent_in_a_temporary_home(tmp_path: Path) -> None:
    start = LaunchAgentAutostart(tmp_path, command=["/Applications/Bridgekeeper.app/x"])
    assert not start.is_enabled()
    start.enable()
    assert start.path == tmp_path / "Library/LaunchAgents/org.bridgekeeper.app.plist"
    with start.path.open("rb") as file:
        agent = plistlib.load(file)
    assert agent == {
        "Label": "org.bridgekeeper.app",
        "ProgramArguments": ["/Applications/Bridgekeeper.app/x"],
        "RunAtLoad": True,
        "ProcessType": "Interactive",
        "LimitLoadToSessionType": "Aqua",
        "AssociatedBundleIdentifiers": ["org.bridgekeeper.app"],
    }
    assert start.is_enabled()
    start.disable()
    assert not start.is_enabled()


def test_launch_agent_garbage_file_counts_as_off(tmp_path: Path) -> None:
    start = LaunchAgentAutostart(tmp_path)
    start.path.parent.mkdir(parents=True)
    start.path.write_bytes(b"not a plist")
    assert not start.is_enabled()


def test_run_key_against_a_fake_registry() -> None:
    registry = FakeRegistry()
    start = RunKeyAutostart(registry, command=[r"C:\Program Files\Bridgekeeper\bridgekeeperw.exe"])
    assert not start.is_enabled()
    start.enable()
    assert registry.values == {
        (autostart.RUN_KEY, "Bridgekeeper"): r'"C:\Program Files\Bridgekeeper\bridgekeeperw.exe"'
    }
    assert start.is_enabled()
    start.disable()
    assert registry.values == {}
    assert not start.is_enabled()


def test_run_key_write_failure_is_a_clear_error() -> None:
    registry = FakeRegistry()
    registry.fail = True
    with pytest.raises(autostart.AutostartError, match=r"HKEY_CURRENT_USER\\Software"):
        RunKeyAutostart(registry).enable()


def test_platform_choice() -> None:
    assert isinstance(autostart.for_platform("linux"), XdgAutostart)
    assert isinstance(autostart.for_platform("darwin"), LaunchAgentAutostart)
    assert isinstance(autostart.for_platform("win32").registry, WindowsRegistry)  # type: ignore[attr-defined]


def test_login_starts_the_windowed_app_whichever_executable_asks(tmp_path: Path) -> None:
    """Windows: enabled from the console ``bridgekeeper.exe`` (the command line) or from
    the windowed one (the tray), login starts ``bridgekeeperw.exe``: no console window."""
    bundle = tmp_path / "Bridgekeeper"
    for frozen_exe in ("bridgekeeper.exe", "bridgekeeperw.exe"):
        command = login_command(str(bundle / frozen_exe), frozen=True, platform="win32")
        assert command == [str(bundle / "bridgekeeperw.exe")]
    mac = tmp_path / "Bridgekeeper.app/Contents/MacOS"
    assert login_command(str(mac / "bridgekeeper"), frozen=True, platform="darwin") == [
        str(mac / "bridgekeeper")
    ]


def test_login_from_a_python_environment(tmp_path: Path) -> None:
    scripts = tmp_path / "Scripts"
    scripts.mkdir()
    (scripts / "pythonw.exe").write_bytes(b"MZ")
    python = str(scripts / "python.exe")
    assert login_command(python, frozen=False, platform="win32") == [
        str(scripts / "pythonw.exe"),
        "-m",
        "app",
    ]
    (scripts / "bridgekeeperw.exe").write_bytes(b"MZ")
    assert login_command(python, frozen=False, platform="win32") == [
        str(scripts / "bridgekeeperw.exe")
    ]
    assert login_command(str(tmp_path / "bin/python3"), frozen=False, platform="linux") == [
        str(tmp_path / "bin/python3"),
        "-m",
        "app",
    ]
