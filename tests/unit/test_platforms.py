"""The macOS and Windows rows of the browser table, and Linux's sandboxes and Tor Browser,
against temporary folders (standing in for HOME, /Applications, Program Files, /snap) and
a FAKE registry: neither macOS nor Windows runs here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.integration import checks
from app.integration.browsers import (
    BY_NAME,
    LINUX,
    MACOS,
    WINDOWS,
    Machine,
    Sandbox,
    detect,
    registry_key,
    system_locations,
    user_location,
)
from app.integration.install import install, repair, uninstall
from app.system.settings import Extension, Settings
from host.protocol import HOST_NAME
from tests.support.fake_registry import FakeRegistry
from tests.support.harness import CHROME_ID, FIREFOX_ID

HOST = Path("/opt/Bridgekeeper/bridgekeeper-host")
CONFIG = Settings([Extension("chromium", CHROME_ID, "Demo"), Extension("firefox", FIREFOX_ID)])


def macos(tmp_path: Path, *apps: str) -> Machine:
    root = tmp_path / "root"
    for app in apps:
        (root / "Applications" / app / "Contents").mkdir(parents=True)
    (tmp_path / "home").mkdir(exist_ok=True)
    return Machine(MACOS, tmp_path / "home", {}, root)


def windows(tmp_path: Path, registry: FakeRegistry, *exes: str) -> Machine:
    program_files = tmp_path / "Program Files"
    local = tmp_path / "AppData" / "Local"
    for exe in exes:
        path = program_files.joinpath(*exe.split("\\"))
        path.parent.mkdir(parents=True)
        path.write_bytes(b"MZ")
    local.mkdir(parents=True, exist_ok=True)
    environ = {"ProgramFiles": str(program_files), "LOCALAPPDATA": str(local)}
    return Machine(
        WINDOWS,
        tmp_path / "home",
        environ,
        tmp_path,
        registry,
        manifests_dir=tmp_path / "bk-data" / "manifests",
    )


def read(path: Path) -> dict[str, object]:
    data = json.loads(path.read_text())
    assert isinstance(data, dict)
    return data


# --- macOS ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "app", "folder"),
    [
        ("chrome", "Google Chrome.app", "Google/Chrome"),
        ("chrome-canary", "Google Chrome Canary.app", "Google/Chrome Canary"),
        ("edge", "Microsoft Edge.app", "Microsoft Edge"),
        ("brave", "Brave Browser.app", "BraveSoftware/Brave-Browser"),
        ("vivaldi", "Vivaldi.app", "Vivaldi"),
        ("opera", "Opera.app", "com.operasoftware.Opera"),
        ("chromium", "Chromium.app", "Chromium"),
    ],
)
def test_macos_chromium_family_manifest_goes_under_application_support(
    tmp_path: Path, name: str, app: str, folder: str
) -> None:
    machine = macos(tmp_path, app)
    browser = BY_NAME[name]
    assert detect(browser, machine).executable == machine.root / "Applications" / app
    actions = install(machine, CONFIG, HOST)
    expected = (
        machine.home / "Library/Application Support" / folder / "NativeMessagingHosts"
    ) / f"{HOST_NAME}.json"
    assert [(a.browser, a.what, a.detail) for a in actions] == [(name, "wrote", str(expected))]
    assert read(expected)["allowed_origins"] == [f"chrome-extension://{CHROME_ID}/"]
    assert read(expected)["path"] == str(HOST)


@pytest.mark.parametrize(
    ("name", "app", "folder"),
    [
        ("firefox", "Firefox.app", "Mozilla"),
        ("librewolf", "LibreWolf.app", "LibreWolf"),
        ("waterfox", "Waterfox.app", "Waterfox"),
    ],
)
def test_macos_firefox_family_manifest_lists_allowed_extensions(
    tmp_path: Path, name: str, app: str, folder: str
) -> None:
    machine = macos(tmp_path, app)
    install(machine, CONFIG, HOST)
    path = machine.home / "Library/Application Support" / folder / "NativeMessagingHosts"
    manifest = read(path / f"{HOST_NAME}.json")
    assert manifest["allowed_extensions"] == [FIREFOX_ID]
    assert "allowed_origins" not in manifest


def test_macos_apps_in_the_users_applications_folder_are_found(tmp_path: Path) -> None:
    machine = macos(tmp_path)
    (machine.home / "Applications" / "Vivaldi.app").mkdir(parents=True)
    assert detect(BY_NAME["vivaldi"], machine).found
    assert not detect(BY_NAME["brave"], machine).found


def test_macos_system_manifest_naming_another_host_is_a_problem(tmp_path: Path) -> None:
    machine = macos(tmp_path, "Google Chrome.app")
    install(machine, CONFIG, HOST)
    [path] = system_locations(BY_NAME["chrome"], machine)
    assert path == machine.root / "Library/Google/Chrome/NativeMessagingHosts" / f"{HOST_NAME}.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"name": HOST_NAME, "path": "/old/host", "type": "stdio"}))
    found, _installed = checks.browser_checks(machine, CONFIG, HOST)
    [problem] = [c for c in found if c.what == "system manifest"]
    assert problem.state is checks.State.PROBLEM
    assert problem.fix == f"sudo rm {path}"


# --- Windows (FAKE registry) ---------------------------------------------------------


def test_windows_install_registers_each_vendor_key(tmp_path: Path) -> None:
    registry = FakeRegistry()
    machine = windows(
        tmp_path,
        registry,
        r"Google\Chrome\Application\chrome.exe",
        r"Microsoft\Edge\Application\msedge.exe",
        r"Mozilla Firefox\firefox.exe",
        r"BraveSoftware\Brave-Browser\Application\brave.exe",
    )
    actions = install(machine, CONFIG, HOST)
    # Brave reads Chrome's key (Chromium's lookup): it shares Chrome's registration.
    assert {(a.browser, a.what) for a in actions} == {
        ("chrome", "wrote"),
        ("edge", "wrote"),
        ("firefox", "wrote"),
        ("brave", "unchanged"),
    }
    keys = {
        r"Software\Google\Chrome\NativeMessagingHosts\org.bridgekeeper.host",
        r"Software\Microsoft\Edge\NativeMessagingHosts\org.bridgekeeper.host",
        r"Software\Mozilla\NativeMessagingHosts\org.bridgekeeper.host",
    }
    assert set(registry.defaults()) == keys
    for key, manifest in registry.defaults().items():
        data = read(Path(manifest))
        assert Path(manifest).is_relative_to(tmp_path / "bk-data" / "manifests")
        flavour = "allowed_extensions" if "Mozilla" in key else "allowed_origins"
        assert flavour in data
    # Idempotent: a second install changes nothing.
    assert {a.what for a in install(machine, CONFIG, HOST)} == {"unchanged"}


def test_windows_uninstall_deletes_only_keys_pointing_at_our_manifest(tmp_path: Path) -> None:
    registry = FakeRegistry()
    machine = windows(tmp_path, registry, r"Google\Chrome\Application\chrome.exe")
    install(machine, CONFIG, HOST)
    foreign = r"Software\Google\Chrome\NativeMessagingHosts\com.other.host"
    registry.set(foreign, r"C:\Other\host.json")
    vivaldi = registry_key("Vivaldi")
    registry.set(vivaldi, r"C:\Someone\else.json")  # our name, another file: not ours
    actions = uninstall(machine, Settings())
    assert [(a.browser, a.what) for a in actions] == [("chrome", "removed")]
    assert registry.defaults() == {foreign: r"C:\Other\host.json", vivaldi: r"C:\Someone\else.json"}


def test_windows_doctor_sees_a_missing_registry_value(tmp_path: Path) -> None:
    registry = FakeRegistry()
    machine = windows(tmp_path, registry, r"Chromium\Application\chrome.exe")
    install(machine, CONFIG, HOST)
    registry.delete(registry_key("Chromium"))
    found, _installed = checks.browser_checks(machine, CONFIG, HOST)
    [row] = [c for c in found if c.what == "registry key"]
    assert row.state is checks.State.PROBLEM
    assert row.detail.endswith("missing")
    assert row.fix == "bridgekeeper install --browser chromium"
    repair(machine, CONFIG, HOST)
    assert registry.get(registry_key("Chromium")) is not None


def test_windows_chrome_channels_share_one_registration(tmp_path: Path) -> None:
    registry = FakeRegistry()
    machine = windows(tmp_path, registry)
    stable = user_location(BY_NAME["chrome"], machine)
    beta = user_location(BY_NAME["chrome-beta"], machine)
    assert stable is not None
    assert beta is not None
    assert stable.registry_key == beta.registry_key == registry_key(r"Google\Chrome")
    assert stable.path == beta.path


# --- Linux: sandboxes, Tor Browser, system folders -----------------------------------


def linux(tmp_path: Path) -> Machine:
    (tmp_path / "home").mkdir(exist_ok=True)
    (tmp_path / "bin").mkdir(exist_ok=True)
    return Machine(LINUX, tmp_path / "home", {"PATH": str(tmp_path / "bin")}, tmp_path / "root")


def test_linux_snap_and_flatpak_installs_are_detected_with_advice(tmp_path: Path) -> None:
    machine = linux(tmp_path)
    (machine.root / "snap" / "firefox").mkdir(parents=True)
    (machine.root / "var/lib/flatpak/app/com.brave.Browser").mkdir(parents=True)
    firefox = detect(BY_NAME["firefox"], machine)
    assert firefox.executable is None
    assert firefox.sandboxes == (Sandbox("snap", "firefox"),)
    assert "WebExtensions portal" in firefox.sandboxes[0].advice(BY_NAME["firefox"])
    brave = detect(BY_NAME["brave"], machine)
    assert brave.sandboxes == (Sandbox("flatpak", "com.brave.Browser"),)
    actions = install(machine, CONFIG, HOST)
    assert {(a.browser, a.what) for a in actions} == {("firefox", "skipped"), ("brave", "skipped")}
    assert not (machine.home / ".mozilla").exists()


def test_linux_tor_browser_manifest_goes_into_its_own_home(tmp_path: Path) -> None:
    machine = linux(tmp_path)
    tor_home = machine.home / "tor-browser" / "Browser"
    tor_home.mkdir(parents=True)
    assert detect(BY_NAME["tor-browser"], machine).found
    install(machine, CONFIG, HOST, [BY_NAME["tor-browser"]])
    manifest = tor_home / ".mozilla/native-messaging-hosts" / f"{HOST_NAME}.json"
    assert read(manifest)["allowed_extensions"] == [FIREFOX_ID]


@pytest.mark.linux_folders  # an executable script found on PATH, as Linux does
def test_linux_executables_found_on_path_decide_detection(tmp_path: Path) -> None:
    machine = linux(tmp_path)
    exe = tmp_path / "bin" / "vivaldi-stable"
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    assert detect(BY_NAME["vivaldi"], machine).executable == exe
    location = user_location(BY_NAME["vivaldi"], machine)
    assert location is not None
    assert location.path == machine.home / ".config/vivaldi/NativeMessagingHosts" / (
        f"{HOST_NAME}.json"
    )
    assert system_locations(BY_NAME["chromium"], machine) == [
        machine.root / "etc/chromium/native-messaging-hosts" / f"{HOST_NAME}.json"
    ]
