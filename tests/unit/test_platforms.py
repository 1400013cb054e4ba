"""The macOS and Windows rows of the browser table, and Linux's sandboxes and Tor Browser,
against temporary folders (standing in for HOME, /Applications, Program Files, /snap) and
a FAKE registry: neither macOS nor Windows runs here."""

from __future__ import annotations

import json
import os
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
from app.integration.install import (
    install,
    install_system,
    repair,
    serve_new_flatpaks,
    uninstall,
    uninstall_system,
)
from app.integration.manifests import host_sources
from app.system.policy import Policy
from app.system.settings import Extension, Settings
from host.protocol import HOST_NAME
from tests.support.fake_registry import FakeRegistry
from tests.support.harness import CHROME_ID, FIREFOX_ID
from tests.support.needs import NOT_ROOT

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


def test_macos_system_manifest_naming_a_missing_host_matters_when_no_user_one_works(
    tmp_path: Path,
) -> None:
    machine = macos(tmp_path, "Google Chrome.app")
    host = tmp_path / "bridgekeeper-host"
    host.write_text("#!/bin/sh\n")
    host.chmod(0o755)
    install(machine, CONFIG, host)
    [path] = system_locations(BY_NAME["chrome"], machine)
    assert path == machine.root / "Library/Google/Chrome/NativeMessagingHosts" / f"{HOST_NAME}.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"name": HOST_NAME, "path": "/old/host", "type": "stdio"}))
    found, _installed = checks.browser_checks(machine, CONFIG, host)
    [row] = [c for c in found if c.what == "system manifest"]
    # Chrome reads the user's folder first: the user's working manifest wins.
    assert row.state is checks.State.WARN
    assert row.fix == f"sudo bridgekeeper install --system, or sudo rm {path}"
    host.chmod(0o644)  # now the user's does not work either
    found, _installed = checks.browser_checks(machine, CONFIG, host)
    [row] = [c for c in found if c.what == "system manifest"]
    assert row.state is checks.State.PROBLEM


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


def test_linux_snap_chromium_and_a_tor_browser_flatpak_are_reported_not_served(
    tmp_path: Path,
) -> None:
    machine = linux(tmp_path)
    (machine.root / "snap" / "chromium").mkdir(parents=True)  # FAKE snap layout
    flatpaks = machine.home / ".local/share/flatpak/app"
    (flatpaks / "org.torproject.torbrowser-launcher").mkdir(parents=True)
    chromium = detect(BY_NAME["chromium"], machine)
    assert chromium.sandboxes == (Sandbox("snap", "chromium"),)
    assert not chromium.sandboxes[0].served(BY_NAME["chromium"])
    actions = install(machine, CONFIG, HOST)
    assert {(a.browser, a.what) for a in actions} == {
        ("chromium", "skipped"),
        ("tor-browser", "skipped"),
    }
    [advice] = [a.detail for a in actions if a.browser == "chromium"]
    assert advice.startswith("Chromium is a Snap (chromium): Bridgekeeper cannot reach into")
    assert "`bridgekeeper install --browser chromium`" in advice
    assert list(machine.home.iterdir()) == [machine.home / ".local"]  # nothing written
    found, _installed = checks.browser_checks(machine, CONFIG, HOST)
    [row] = [c for c in found if c.subject == "chromium" and c.what == "snap"]
    assert row.state is checks.State.PROBLEM  # its only install cannot be served


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


# --- Linux: Flatpak browsers served inside their sandbox (FAKE flatpak layout) --------


def flatpak(machine: Machine, app_id: str, where: str = "user") -> None:
    """A FAKE Flatpak install: the folder `flatpak install` creates for the app."""
    base = machine.home / ".local/share" if where == "user" else machine.root / "var/lib"
    (base / "flatpak/app" / app_id / "current/active/files").mkdir(parents=True)


def var_app(machine: Machine, app_id: str) -> Path:
    return machine.home / ".var/app" / app_id


@pytest.mark.parametrize(
    ("name", "app_id", "where", "manifest_dir"),
    [
        ("chromium", "org.chromium.Chromium", "user", "config/chromium/NativeMessagingHosts"),
        ("chrome", "com.google.Chrome", "system", "config/google-chrome/NativeMessagingHosts"),
        (
            "brave",
            "com.brave.Browser",
            "system",
            "config/BraveSoftware/Brave-Browser/NativeMessagingHosts",
        ),
        ("edge", "com.microsoft.Edge", "user", "config/microsoft-edge/NativeMessagingHosts"),
        ("vivaldi", "com.vivaldi.Vivaldi", "user", "config/vivaldi/NativeMessagingHosts"),
        ("librewolf", "io.gitlab.librewolf-community", "user", ".librewolf/native-messaging-hosts"),
    ],
)
def test_a_flatpak_browser_gets_a_manifest_and_a_host_copy_inside_its_folder(
    tmp_path: Path, name: str, app_id: str, where: str, manifest_dir: str
) -> None:
    machine = linux(tmp_path)
    flatpak(machine, app_id, where)
    browser = BY_NAME[name]
    assert detect(browser, machine).sandboxes == (Sandbox("flatpak", app_id, where),)
    actions = install(machine, CONFIG, HOST)
    inside = var_app(machine, app_id)
    manifest = inside / manifest_dir / f"{HOST_NAME}.json"
    copy = inside / "data/bridgekeeper"
    assert [(a.browser, a.what) for a in actions] == [(name, "wrote")]
    assert actions[0].detail == f"in its Flatpak: {manifest}, host copy {copy}"
    data = read(manifest)
    assert data["path"] == str(copy / "bridgekeeper-host")
    key = "allowed_origins" if browser.family == "chromium" else "allowed_extensions"
    allowed = f"chrome-extension://{CHROME_ID}/" if browser.family == "chromium" else FIREFOX_ID
    assert data[key] == [allowed]
    launcher = (copy / "bridgekeeper-host").read_text()
    assert launcher.splitlines()[0] == "#!/usr/bin/python3 -SI"
    assert f"sys.path.insert(0, {str(copy)!r})" in launcher
    assert (copy / "bridgekeeper-host").stat().st_mode & 0o777 == 0o755
    sources = sorted(p.name for p in host_sources().glob("*.py"))
    assert sorted(p.name for p in (copy / "host").glob("*.py")) == sources
    for module in sources:
        assert (copy / "host" / module).read_bytes() == (host_sources() / module).read_bytes()
    # Nothing outside ~/.var/app/<id>: the sandbox sees nothing else of the home.
    assert {p.name for p in machine.home.iterdir()} - {".local"} == {".var"}
    assert {a.what for a in install(machine, CONFIG, HOST)} == {"unchanged"}


def test_flatpak_firefox_is_served_inside_and_through_the_native_messaging_proxy(
    tmp_path: Path,
) -> None:
    machine = linux(tmp_path)
    flatpak(machine, "org.mozilla.firefox", "system")
    actions = install(machine, CONFIG, HOST)
    assert [(a.browser, a.what) for a in actions] == [("firefox", "wrote"), ("firefox", "wrote")]
    host_side = machine.home / ".mozilla/native-messaging-hosts" / f"{HOST_NAME}.json"
    inside = var_app(machine, "org.mozilla.firefox") / ".mozilla/native-messaging-hosts"
    assert read(host_side)["path"] == str(HOST)  # the proxy starts the host outside
    copy = var_app(machine, "org.mozilla.firefox") / "data/bridgekeeper/bridgekeeper-host"
    assert read(inside / f"{HOST_NAME}.json")["path"] == str(copy)
    [sandbox] = detect(BY_NAME["firefox"], machine).sandboxes
    how = sandbox.how(BY_NAME["firefox"])
    assert "served inside its sandbox" in how
    assert "xdg-native-messaging-proxy" in how
    assert "without a question" in how


def test_snap_firefox_is_served_through_the_webextensions_portal(tmp_path: Path) -> None:
    machine = linux(tmp_path)
    (machine.root / "snap/firefox").mkdir(parents=True)  # FAKE snap layout
    (machine.root / "snap/bin").mkdir(parents=True)
    (machine.root / "snap/bin/firefox").write_text("#!/bin/sh\n")
    wrapper = tmp_path / "bin" / "firefox"  # Ubuntu's /usr/bin/firefox hands over to the snap
    wrapper.write_text('#!/bin/sh\nexec /snap/bin/firefox "$@"\n')
    wrapper.chmod(0o755)
    detection = detect(BY_NAME["firefox"], machine)
    assert detection.executable is None
    assert detection.sandboxes == (Sandbox("snap", "firefox"),)
    actions = install(machine, CONFIG, HOST)
    manifest = machine.home / ".mozilla/native-messaging-hosts" / f"{HOST_NAME}.json"
    assert [(a.browser, a.what, a.detail) for a in actions] == [("firefox", "wrote", str(manifest))]
    assert read(manifest)["allowed_extensions"] == [FIREFOX_ID]
    found, _installed = checks.browser_checks(machine, CONFIG, HOST)
    rows = {(c.subject, c.what): c for c in found}
    assert rows[("firefox", "browser found")].detail == "Snap (firefox)"
    portal = rows[("firefox", "snap")]
    assert portal.state is checks.State.OK
    assert "served through the WebExtensions portal, which reads ~/.mozilla" in portal.detail
    assert "the desktop asks whether Firefox may start org.bridgekeeper.host" in portal.detail


def test_a_symlinked_var_app_folder_is_refused_and_not_followed(tmp_path: Path) -> None:
    machine = linux(tmp_path)
    flatpak(machine, "org.chromium.Chromium")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    var_app(machine, "org.chromium.Chromium").parent.mkdir(parents=True)
    var_app(machine, "org.chromium.Chromium").symlink_to(elsewhere)
    [action] = install(machine, CONFIG, HOST)
    assert action.what == "failed"
    assert "is a symbolic link" in action.detail
    assert "does not write through links" in action.detail
    assert list(elsewhere.iterdir()) == []
    found, _installed = checks.browser_checks(machine, CONFIG, HOST)
    [row] = [c for c in found if c.what == "flatpak folder"]
    assert row.state is checks.State.PROBLEM
    assert uninstall(machine, CONFIG) == []  # nothing of ours there: nothing to report


@pytest.mark.skipif(NOT_ROOT, reason="needs root to give a folder away")
def test_a_var_app_folder_owned_by_another_user_is_refused(tmp_path: Path) -> None:
    machine = linux(tmp_path)
    flatpak(machine, "org.chromium.Chromium")
    folder = var_app(machine, "org.chromium.Chromium")
    folder.mkdir(parents=True)
    os.chown(folder, 54321, 54321)
    [action] = install(machine, CONFIG, HOST)
    assert action.what == "failed"
    assert "belongs to user id 54321, not to you" in action.detail
    assert list(folder.iterdir()) == []


def test_a_var_app_folder_others_can_write_is_refused(tmp_path: Path) -> None:
    machine = linux(tmp_path)
    flatpak(machine, "org.chromium.Chromium")
    folder = var_app(machine, "org.chromium.Chromium")
    folder.mkdir(parents=True)
    folder.chmod(0o777)
    [action] = install(machine, CONFIG, HOST)
    assert "is writable by other users (mode 777)" in action.detail
    assert list(folder.iterdir()) == []


def test_repair_refreshes_a_stale_host_copy_and_uninstall_removes_only_ours(
    tmp_path: Path,
) -> None:
    machine = linux(tmp_path)
    flatpak(machine, "org.chromium.Chromium")
    install(machine, CONFIG, HOST)
    copy = var_app(machine, "org.chromium.Chromium") / "data/bridgekeeper"
    (copy / "host/relay.py").write_text("# an older version\n")
    (copy / "host/gone.py").write_text("# a module this version no longer has\n")
    (copy / "host/__pycache__").mkdir()
    (copy / "host/__pycache__/relay.cpython-311.pyc").write_bytes(b"\0")
    [action] = repair(machine, CONFIG, HOST)
    assert (action.browser, action.what) == ("chromium", "repaired")
    assert (copy / "host/relay.py").read_bytes() == (host_sources() / "relay.py").read_bytes()
    assert not (copy / "host/gone.py").exists()
    assert repair(machine, CONFIG, HOST) == []
    mine = var_app(machine, "org.chromium.Chromium") / "config/chromium/NativeMessagingHosts"
    other = mine / "org.other.host.json"
    other.write_text(json.dumps({"name": "org.other.host", "path": "/x", "type": "stdio"}))
    [removed] = uninstall(machine, CONFIG)
    assert (removed.browser, removed.what) == ("chromium", "removed")
    assert not copy.exists()
    assert other.exists()
    assert (var_app(machine, "org.chromium.Chromium") / "data").is_dir()  # the browser's


def test_a_flatpak_installed_later_is_served_once_the_user_opted_in(tmp_path: Path) -> None:
    machine = linux(tmp_path)
    assert serve_new_flatpaks(machine, CONFIG, HOST) == []
    flatpak(machine, "com.brave.Browser")
    assert serve_new_flatpaks(machine, CONFIG, HOST) == []  # never installed: not opted in
    install(machine, CONFIG, HOST)
    flatpak(machine, "org.chromium.Chromium", "system")
    [action] = serve_new_flatpaks(machine, CONFIG, HOST)
    assert (action.browser, action.what) == ("chromium", "wrote")
    assert serve_new_flatpaks(machine, CONFIG, HOST) == []


# --- install --system ----------------------------------------------------------------


def test_linux_system_install_writes_every_system_folder_of_the_table(tmp_path: Path) -> None:
    machine = linux(tmp_path)
    config = Settings(
        policy=Policy("/etc/bridgekeeper/policy.json", (Extension("firefox", FIREFOX_ID),))
    )
    actions = install_system(machine, config, HOST)
    expected = {
        "etc/opt/chrome/native-messaging-hosts": "chrome",
        "etc/chromium/native-messaging-hosts": "chromium",
        "etc/opt/edge/native-messaging-hosts": "edge",
        "usr/lib/mozilla/native-messaging-hosts": "firefox",
        "usr/lib64/mozilla/native-messaging-hosts": "firefox",
        "usr/lib/librewolf/native-messaging-hosts": "librewolf",
    }
    wrote = {a.detail: a.browser for a in actions if a.what == "wrote"}
    assert wrote == {str(machine.root / d / f"{HOST_NAME}.json"): b for d, b in expected.items()}
    for folder, name in expected.items():
        data = read(machine.root / folder / f"{HOST_NAME}.json")
        assert data["path"] == str(HOST)
        if BY_NAME[name].family == "firefox":
            assert data["allowed_extensions"] == [FIREFOX_ID]
        else:
            assert data["allowed_origins"] == []  # the policy allows no Chromium extension
    [others] = [a for a in actions if a.what == "skipped"]
    assert others.detail.startswith("no system-wide place known for waterfox, tor-browser")
    assert not machine.home.joinpath(".config").exists()  # nothing per user
    foreign = machine.root / "etc/chromium/native-messaging-hosts" / f"{HOST_NAME}.json"
    removed = uninstall_system(machine)
    assert {a.browser for a in removed} == set(expected.values())
    foreign.write_text(json.dumps({"name": "com.someone.else", "path": "/x", "type": "stdio"}))
    assert uninstall_system(machine) == []
    assert foreign.exists()


def test_macos_system_install_writes_under_library(tmp_path: Path) -> None:
    machine = macos(tmp_path)
    actions = install_system(
        machine, CONFIG, HOST, [BY_NAME["chrome"], BY_NAME["firefox"], BY_NAME["edge"]]
    )
    assert [(a.browser, a.what) for a in actions] == [
        ("chrome", "wrote"),
        ("firefox", "wrote"),
        ("edge", "wrote"),
    ]
    for folder in (
        "Library/Google/Chrome/NativeMessagingHosts",
        "Library/Application Support/Mozilla/NativeMessagingHosts",
        "Library/Microsoft/Edge/NativeMessagingHosts",
    ):
        assert read(machine.root / folder / f"{HOST_NAME}.json")["path"] == str(HOST)


def test_windows_system_install_registers_hklm_keys_in_the_fake_registry(tmp_path: Path) -> None:
    hklm = FakeRegistry()
    machine = windows(tmp_path, hklm)
    machine = Machine(
        WINDOWS,
        machine.home,
        machine.environ,
        machine.root,
        hklm,
        tmp_path / "Program Files/Bridgekeeper/NativeMessagingHosts",
    )
    actions = install_system(
        machine, CONFIG, HOST, [BY_NAME["chrome"], BY_NAME["chrome-beta"], BY_NAME["firefox"]]
    )
    assert [(a.browser, a.what) for a in actions] == [("chrome", "wrote"), ("firefox", "wrote")]
    assert (
        "(HKLM\\Software\\Google\\Chrome\\NativeMessagingHosts\\org.bridgekeeper.host)"
        in actions[0].detail
    )
    assert set(hklm.defaults()) == {registry_key(r"Google\Chrome"), registry_key("Mozilla")}
    for manifest in hklm.defaults().values():
        assert Path(manifest).is_relative_to(tmp_path / "Program Files/Bridgekeeper")
        assert read(Path(manifest))["path"] == str(HOST)
    assert {a.browser for a in uninstall_system(machine)} == {"chrome", "firefox"}
    assert hklm.defaults() == {}
