"""The desktop bundle, built by ``packaging/build`` once per commit, tested as users get it:
the bundled app and host, the host suite against the bundle, what the bundle holds, the
single-user .tar.gz install and the .deb in a temporary dpkg root.

The build (about a minute here) is cached in ``build/bundle-cache/<hash of the inputs>``;
``BK_TEST_BUNDLE=DIR`` tests a build made elsewhere (``DIR`` as given to ``--out``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from app import __version__
from app.system.policy import parse
from tests.support.desktop import Desktop
from tests.support.harness import (
    CHROME_ARGV,
    CHROME_ID,
    FIREFOX_ID,
    Home,
    HostProcess,
    one_shot,
    start_app,
    temp_home,
    wait_for,
)

ROOT = Path(__file__).resolve().parents[2]
BUILD_INPUTS = ("app", "host", "assets", "packaging", "pyproject.toml")
HOST_NAME = "org.bridgekeeper.host.json"

# A build on a busy 2-core machine takes minutes; it happens once, in the first test.
pytestmark = [
    pytest.mark.timeout(900),
    pytest.mark.skipif(sys.platform != "linux", reason="the Linux bundle is built on Linux"),
]


@dataclass(frozen=True)
class Bundle:
    out: Path

    @property
    def folder(self) -> Path:
        return self.out / "dist" / "bridgekeeper"

    @property
    def app(self) -> Path:
        return self.folder / "bridgekeeper"

    @property
    def host(self) -> Path:
        return self.folder / "bridgekeeper-host"

    @property
    def tarball(self) -> Path:
        return next(self.out.glob("bridgekeeper-*-linux-*.tar.gz"))

    @property
    def deb(self) -> Path:
        return next(self.out.glob("bridgekeeper_*.deb"))

    def files(self) -> list[str]:
        """Every file and link in the folder, relative to it."""
        return sorted(
            str(path.relative_to(self.folder))
            for path in self.folder.rglob("*")
            if path.is_file() or path.is_symlink()
        )


def inputs_hash() -> str:
    """What the build depends on: the sources, assets, packaging, and this interpreter."""
    digest = hashlib.sha256(sys.version.encode())
    for name in BUILD_INPUTS:
        base = ROOT / name
        paths = sorted(base.rglob("*")) if base.is_dir() else [base]
        for path in paths:
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(ROOT)).encode() + b"\0")
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@pytest.fixture(scope="session")
def bundle() -> Bundle:
    configured = os.environ.get("BK_TEST_BUNDLE")
    if configured:
        return Bundle(Path(configured))
    cache = ROOT / "build" / "bundle-cache"
    cache.mkdir(parents=True, exist_ok=True)
    out = cache / inputs_hash()
    # Several test sessions may run at once on this machine: one builds, the others wait.
    with open(cache / "lock", "w") as lock:
        import fcntl  # the bundle tests run on Linux only

        fcntl.flock(lock, fcntl.LOCK_EX)
        if (out / "complete").exists():
            (out / "complete").touch()
        else:
            _forget_old_builds(cache)
            shutil.rmtree(out, ignore_errors=True)
            done = subprocess.run(
                [str(ROOT / "packaging" / "build"), "--out", str(out), "--python", sys.executable],
                check=False,
                capture_output=True,
                text=True,
                timeout=840,
            )
            assert done.returncode == 0, f"packaging/build failed:\n{done.stderr[-4000:]}"
            (out / "complete").touch()
    return Bundle(out)


def _forget_old_builds(cache: Path) -> None:
    """Builds of other inputs unused for half an hour go (the disk is shared; the whole
    suite takes under 15 minutes); a session still testing one touched its marker."""
    for old in cache.iterdir():
        marker = old / "complete"
        if old.is_dir() and (not marker.exists() or time.time() - marker.stat().st_mtime > 1800):
            shutil.rmtree(old, ignore_errors=True)


@pytest.fixture
def bundled(bundle: Bundle, monkeypatch: pytest.MonkeyPatch) -> Bundle:
    """The harness starts the bundle's executables instead of this environment's."""
    monkeypatch.setenv("BK_TEST_APP_CMD", str(bundle.app))
    monkeypatch.setenv("BK_TEST_HOST_CMD", str(bundle.host))
    monkeypatch.delenv("BRIDGEKEEPER_APP_COMMAND", raising=False)
    return bundle


def archive_contents(executable: Path) -> tuple[list[str], list[str]]:
    """What an executable carries (PyInstaller's own reader): the entries run at start
    (bootstrap, runtime hooks, the script) and the modules of its PYZ archive."""
    probe = (
        "import json, sys\n"
        "from PyInstaller.archive.readers import CArchiveReader\n"
        "reader = CArchiveReader(sys.argv[1])\n"
        "name = next(n for n in reader.toc if n.endswith('.pyz'))\n"
        "modules = sorted(reader.open_embedded_archive(name).toc)\n"
        "print(json.dumps([list(reader.toc), modules]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(executable)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    entries, modules = json.loads(done.stdout)
    return list(entries), list(modules)


def archive_modules(executable: Path) -> list[str]:
    return archive_contents(executable)[1]


def files_under(root: Path) -> set[str]:
    return {
        str(path.relative_to(root))
        for path in root.rglob("*")
        if path.is_file() or path.is_symlink()
    }


# What the bundle holds


def test_bundle_has_both_executables_and_the_assets(bundle: Bundle) -> None:
    for executable in (bundle.app, bundle.host):
        assert os.access(executable, os.X_OK), executable
    files = bundle.files()
    assert "_internal/assets/icons/bridgekeeper.svg" in files
    assert "_internal/assets/extension/manifest.json" in files
    # The demo imports the client package's module, copied in by the build (no second copy).
    assert "_internal/assets/extension/vendor/bridgekeeper.js" in files
    assert not [name for name in files if name.startswith("_internal/assets/") and ".py" in name]
    # The languages: ours compiled (not their sources), and Qt's own for the same.
    assert [name for name in files if "translations/" in name] == [
        "_internal/PySide6/Qt/translations/qtbase_zh_CN.qm",
        "_internal/assets/translations/bridgekeeper_zh_CN.qm",
    ]


@pytest.mark.parametrize(
    "unwanted",
    [
        "WebEngine",
        "Qml",
        "Quick",
        "Multimedia",
        "Pdf",
        "Qt6OpenGL",
        "Wayland",
        "EglFS",
        "/translations/qt_",
        "_zh_TW",
        ".ts",
        "platformthemes",
        "gtk",
        "xcbglintegrations",
        "plugins/tls",
        "networkinformation",
        "sqldrivers",
        "keyrings",
        "libssl",
        "libcrypto.so",
        "tkinter",
        "libtk",
        "pip/",
        "setuptools",
    ],
)
def test_bundle_holds_nothing_the_app_does_not_use(bundle: Bundle, unwanted: str) -> None:
    assert [name for name in bundle.files() if unwanted.lower() in name.lower()] == []


def test_bundle_qt_plugins_are_exactly_the_kept_ones(bundle: Bundle) -> None:
    plugins = {name.split("plugins/", 1)[1] for name in bundle.files() if "/plugins/" in name}
    assert plugins == {
        "platforms/libqoffscreen.so",
        "platforms/libqxcb.so",
        "imageformats/libqsvg.so",
        "imageformats/libqico.so",
        "iconengines/libqsvgicon.so",
        "platforminputcontexts/libcomposeplatforminputcontextplugin.so",
        "platforminputcontexts/libibusplatforminputcontextplugin.so",
    }


def test_bundle_icu_data_is_trimmed_to_what_qt_uses(bundle: Bundle) -> None:
    (icu,) = bundle.folder.glob("_internal/PySide6/Qt/lib/libicudata.so.*")
    assert icu.stat().st_size < 16_000_000  # 32 MB as Qt ships it
    data = icu.read_bytes()
    assert b"uts46" in data  # IDNA, kept
    assert b"ibm-1390_P110-2003.cnv" not in data  # a legacy codepage, dropped
    assert b"lang/de.res" not in data  # language names in German, dropped


def test_bundle_has_no_dangling_links(bundle: Bundle) -> None:
    links = [p for p in bundle.folder.rglob("*") if p.is_symlink()]
    assert [str(p) for p in links if not p.exists()] == []


def test_bundled_app_holds_keyring_backends_and_platformdirs(bundle: Bundle) -> None:
    modules = set(archive_modules(bundle.app))
    for needed in (
        "keyring.backends.SecretService",
        "secretstorage",
        "jeepney.io.blocking",
        "platformdirs",
        "app.cli",
        "app.main",
        "app.commands.integration",
        "host.protocol",
    ):
        assert needed in modules
    assert not [name for name in modules if name.startswith("keyrings")]
    # keyring finds its backends through entry points: its metadata must travel along.
    entry_points = bundle.folder.glob("_internal/keyring-*.dist-info/entry_points.txt")
    assert "SecretService" in next(entry_points).read_text()


def test_bundled_host_holds_only_the_standard_library(bundle: Bundle) -> None:
    entries, modules = archive_contents(bundle.host)
    # A runtime hook runs on every browser call (pyi_rth_inspect alone cost ~10 ms).
    assert [name for name in entries if name.startswith("pyi_rth")] == []
    assert "host.relay" in modules
    foreign = [
        name
        for name in modules
        if name.split(".")[0] not in sys.stdlib_module_names and name.split(".")[0] != "host"
    ]
    assert foreign == []


def test_bundled_app_loads_no_qt_before_it_runs(bundle: Bundle) -> None:
    # PyInstaller's run-time hook for PySide6 imports QtCore at start-up, before the app
    # can listen (100-150 ms on the first call after login); ours sets the same
    # environment without it.
    entries, _ = archive_contents(bundle.app)
    hooks = [name for name in entries if name.startswith("pyi_rth")]
    assert "pyi_rth_pyside6_lazy" in hooks
    assert "pyi_rth_pyside6" not in hooks


def test_bundled_app_imports_no_multiprocessing_before_it_runs(bundle: Bundle) -> None:
    # Bundled, multiprocessing brings PyInstaller's run-time hook for it, which imports
    # it at every start: ~20 ms of CPU before the app can listen. Nothing uses it (the
    # keychain's and the tray's tests run against this bundle).
    entries, modules = archive_contents(bundle.app)
    assert "pyi_rth_multiprocessing" not in entries
    assert [name for name in modules if name.split(".")[0] == "multiprocessing"] == []


def test_bundled_app_reads_base_library_only_when_asked(bundle: Bundle) -> None:
    # PyInstaller's run-time hook for inspect lists base_library.zip at every start
    # (importing zipfile: ~10 ms before the app can listen); ours when a file name first
    # needs it (tests/unit/test_runtime_hooks.py).
    entries, _ = archive_contents(bundle.app)
    assert "pyi_rth_inspect_lazy" in entries
    assert "pyi_rth_inspect" not in entries


def test_the_cold_start_benchmarks_floor_is_frozen_as_the_app_is(bundle: Bundle) -> None:
    """`./dev bench coldstart` sets the bundle against a floor frozen the same way
    (packaging/freeze_rules.py): the same run-time hooks where it has the same modules,
    nothing the bundle leaves out, and it starts Qt offscreen."""
    from benchmarks.coldstart import bundled_floor, floor_ms

    floor = bundled_floor()
    assert floor is not None
    floor_entries, floor_modules = archive_contents(Path(floor[0]))
    app_entries, _ = archive_contents(bundle.app)
    floor_hooks = {name for name in floor_entries if name.startswith("pyi_rth")}
    assert "pyi_rth_pyside6_lazy" in floor_hooks
    assert floor_hooks <= {name for name in app_entries if name.startswith("pyi_rth")}
    left_out = ("PySide6.QtNetwork", "ssl", "multiprocessing", "tkinter", "unittest")
    assert [name for name in floor_modules if name.startswith(left_out)] == []
    assert floor_ms(floor) > 0  # prints "up" once its QApplication is built


def test_build_refuses_packages_other_than_the_pinned_ones(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(ROOT / "packaging" / "build"), "--out", str(tmp_path), "--python", "/usr/bin/python3"],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "does not match packaging/constraints.txt" in done.stderr
    assert "PySide6-Essentials: pinned" in done.stderr
    assert not (tmp_path / "dist").exists()


# The bundle running


def test_bundled_app_starts_offscreen_and_bundled_host_answers_ping(
    bundled: Bundle, home: Home
) -> None:
    app = start_app(home)
    try:
        reply = one_shot(home, {"type": "ping", "id": "b"})
        assert reply == {
            "id": "b",
            "ok": True,
            "result": {"pong": True, "version": __version__, "protocol": 1},
        }
        assert os.readlink(f"/proc/{app.process.pid}/exe") == str(bundled.app.resolve())
    finally:
        assert app.stop() == 0


def test_bundled_app_speaks_chinese_with_qt_s_own_texts_too(bundled: Bundle, home: Home) -> None:
    app = start_app(home, env={"LANGUAGE": "zh_CN", "LANG": "C.UTF-8"})
    try:
        wait_for(lambda: "windows in zh_CN" in home.log_text(), 10, "the Chinese catalogue")
        assert "translation is not installed" not in home.log_text()
        assert "stay in English" not in home.log_text()
    finally:
        assert app.stop() == 0


def test_bundled_host_starts_the_bundled_app_beside_it(bundled: Bundle, home: Home) -> None:
    reply = one_shot(home, {"type": "ping", "id": 1})
    assert reply["ok"] is True
    pids = _processes_running(bundled.app)
    try:
        assert len(pids) == 1
    finally:
        for pid in pids:
            os.kill(pid, 15)
        wait_for(lambda: not _processes_running(bundled.app), 10, "the bundled app to stop")


def test_bundled_install_writes_manifests_naming_the_bundled_host(
    bundled: Bundle, home: Home
) -> None:
    done = subprocess.run(
        [
            str(bundled.app),
            "install",
            "--browser",
            "chromium",
            "--browser",
            "firefox",
            "--extension",
            CHROME_ID,
            "--extension",
            FIREFOX_ID,
        ],
        env=home.env(),
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    chromium = home.home / ".config/chromium/NativeMessagingHosts" / HOST_NAME
    firefox = home.home / ".mozilla/native-messaging-hosts" / HOST_NAME
    for manifest in (chromium, firefox):
        assert json.loads(manifest.read_text())["path"] == str(bundled.host)
    # The path the browser would start answers (and starts the bundled app).
    host = HostProcess(home, command=[json.loads(chromium.read_text())["path"]])
    try:
        host.send({"type": "ping", "id": 2})
        assert host.read()["ok"] is True
        assert host.wait() == 0
    finally:
        host.kill()
        for pid in _processes_running(bundled.app):
            os.kill(pid, 15)


def test_bundled_install_gives_a_flatpak_browser_a_host_copy_from_the_bundle(
    bundled: Bundle, home: Home
) -> None:
    # A FAKE per-user Flatpak Chromium: the bundle (no source tree, no venv) must still
    # place the host package and a launcher the runtime's /usr/bin/python3 can run.
    (home.home / ".local/share/flatpak/app/org.chromium.Chromium").mkdir(parents=True)
    done = subprocess.run(
        [str(bundled.app), "install", "--extension", CHROME_ID],
        env=home.env({"PATH": "/nonexistent"}),
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    inside = home.home / ".var/app/org.chromium.Chromium"
    manifest = json.loads((inside / "config/chromium/NativeMessagingHosts" / HOST_NAME).read_text())
    copy = inside / "data/bridgekeeper"
    assert manifest["path"] == str(copy / "bridgekeeper-host")
    bundle_sources = bundled.folder / "_internal/host-source/host"
    shipped = sorted(p.name for p in bundle_sources.glob("*.py"))
    assert shipped == sorted(p.name for p in (ROOT / "host").glob("*.py"))
    for name in shipped:
        assert (copy / "host" / name).read_bytes() == (bundle_sources / name).read_bytes()
    app = start_app(home)  # the bundled app
    try:
        host = HostProcess(home, command=[manifest["path"]])
        try:
            host.send({"type": "ping", "id": 3})
            assert host.read()["ok"] is True
        finally:
            host.kill()
    finally:
        app.stop()


@pytest.mark.xvfb
def test_bundled_app_on_x_shows_its_tray_icon_menu_and_a_dialog(
    bundled: Bundle, home: Home
) -> None:
    """The xcb plugin, the icons (SVG/PNG), fonts and the (trimmed) ICU data at work."""
    desktop = Desktop.start()
    try:
        app = start_app(home, env={"DISPLAY": desktop.display, "QT_QPA_PLATFORM": "xcb"})
        try:
            icon = _tray_icon(desktop)
            x, y, width, height = desktop.window_geometry(icon)
            desktop.xdotool("mousemove", str(x + width // 2), str(y + height // 2), "click", "3")
            wait_for(lambda: len(_app_windows(desktop)) > 1, 10, "the tray menu")
            shot = desktop.screenshot("bundle-tray-menu")
            assert shot.stat().st_size > 0
            desktop.xdotool("key", "Escape")
            # A prompt: the dialog's text, countdown and buttons, drawn by the bundle.
            host = HostProcess(home)
            try:
                host.send(
                    {
                        "type": "confirm",
                        "id": "d",
                        "title": "Send 0.5 ETH to 0xab…? (bundle)",
                        "message": "Überweisung an Zoë — 東京 — مرحبا",
                        "site": "https://example.org",
                    }
                )
                desktop.answer_dialog("deny", screenshot="bundle-dialog")
                assert host.read()["result"]["decision"] == "deny"
            finally:
                host.kill()
        finally:
            assert app.stop() == 0
        stderr = home.app_stderr()
        assert "qt.qpa" not in stderr, stderr
        assert "Could not" not in stderr, stderr
    finally:
        desktop.stop()


def _app_windows(desktop: Desktop) -> list[str]:
    # By class: this xdotool's --onlyvisible --name misses embedded tray windows.
    return desktop.xdotool("search", "--onlyvisible", "--class", "bridgekeeper").split()


def _tray_icon(desktop: Desktop) -> str:
    """The app's icon window inside trayer's panel (small)."""
    found: list[str] = []

    def shown() -> bool:
        found[:] = [w for w in _app_windows(desktop) if 0 < desktop.window_geometry(w)[2] <= 64]
        return bool(found)

    wait_for(shown, 10, "the tray icon")
    return found[0]


def test_host_end_to_end_suite_passes_against_the_bundle(bundle: Bundle) -> None:
    env = dict(os.environ, BK_TEST_APP_CMD=str(bundle.app), BK_TEST_HOST_CMD=str(bundle.host))
    env.pop("BRIDGEKEEPER_APP_COMMAND", None)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/e2e/test_host.py"],
        cwd=ROOT,
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-6000:]
    assert " passed" in done.stdout


def _processes_running(executable: Path) -> list[int]:
    target = str(executable.resolve())
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.readlink(entry / "exe") == target:
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


# Linux packages


@pytest.fixture
def unpacked(bundle: Bundle, tmp_path: Path) -> Path:
    subprocess.run(["tar", "-xzf", str(bundle.tarball), "-C", str(tmp_path)], check=True)
    (folder,) = tmp_path.iterdir()
    return folder


@pytest.fixture
def user_home() -> Iterator[Home]:
    with temp_home() as home:
        yield home


AS_ONE_USER = ["--user"] if os.geteuid() == 0 else []
"""Run as root (as the tests here are), the installer installs for every user unless told."""


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root")
def test_tarball_install_as_root_registers_system_wide_and_uninstall_removes_it(
    unpacked: Path, tmp_path: Path
) -> None:
    # A staging root (--root), so this machine's browsers see nothing, with a policy.
    root = tmp_path / "sysroot"
    policy = root / "etc/bridgekeeper/policy.json"
    policy.parent.mkdir(parents=True)
    for place in (tmp_path, root, root / "etc", policy.parent):
        place.chmod(0o755)
    policy.write_text(json.dumps({"version": 1, "allowed_extensions": [CHROME_ID, FIREFOX_ID]}))
    policy.chmod(0o644)
    env = {k: v for k, v in os.environ.items() if k != "BRIDGEKEEPER_HOME"}
    refused = subprocess.run(
        [str(unpacked / "install"), "--root", str(root), "--extension", CHROME_ID],
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 2
    assert "extensions are allowed in /etc/bridgekeeper/policy.json" in refused.stderr
    done = subprocess.run(
        [str(unpacked / "install"), "--root", str(root), "--autostart"],
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    dest = root / "opt/bridgekeeper"
    assert os.access(dest / "bridgekeeper-host", os.X_OK)
    assert os.readlink(root / "usr/local/bin/bridgekeeper") == "/opt/bridgekeeper/bridgekeeper"
    for entry in ("usr/local/share/applications", "etc/xdg/autostart"):
        assert (
            'Exec="/opt/bridgekeeper/bridgekeeper"'
            in (root / entry / "bridgekeeper.desktop").read_text()
        )
    assert (root / "usr/local/share/icons/hicolor/48x48/apps/bridgekeeper.png").is_file()
    for folder, key, allowed in (
        ("etc/chromium/native-messaging-hosts", "allowed_origins", CHROME_ARGV[0]),
        ("etc/opt/chrome/native-messaging-hosts", "allowed_origins", CHROME_ARGV[0]),
        ("usr/lib/mozilla/native-messaging-hosts", "allowed_extensions", FIREFOX_ID),
    ):
        manifest = json.loads((root / folder / HOST_NAME).read_text())
        assert manifest["path"] == "/opt/bridgekeeper/bridgekeeper-host"
        assert manifest[key] == [allowed]
    removed = subprocess.run(
        [str(dest / "uninstall"), "--root", str(root)],
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert removed.returncode == 0, removed.stderr
    assert sorted(files_under(root)) == ["etc/bridgekeeper/policy.json"]


def test_tarball_holds_install_scripts_and_the_folder(bundle: Bundle, unpacked: Path) -> None:
    assert unpacked.name == f"bridgekeeper-{__version__}-linux-{os.uname().machine}"
    assert sorted(p.name for p in unpacked.iterdir()) == ["bridgekeeper", "install", "uninstall"]
    assert files_under(unpacked / "bridgekeeper") == set(bundle.files())


def test_tarball_install_and_uninstall_for_one_user(unpacked: Path, user_home: Home) -> None:
    env = user_home.env({"PATH": f"{user_home.home / '.local/bin'}:{os.environ['PATH']}"})
    env.pop("BRIDGEKEEPER_HOME")  # installed as a user would: platform folders under HOME
    home = user_home.home
    allow = ["--extension", CHROME_ID, "--extension", FIREFOX_ID]
    installed = subprocess.run(
        [str(unpacked / "install"), "--autostart", *allow, *AS_ONE_USER],
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert installed.returncode == 0, installed.stderr
    dest = home / ".local/share/bridgekeeper/app"
    assert (home / ".local/bin/bridgekeeper").resolve() == (dest / "bridgekeeper").resolve()
    for entry in (
        home / ".local/share/applications/bridgekeeper.desktop",
        home / ".config/autostart/bridgekeeper.desktop",
    ):
        text = entry.read_text()
        assert f'Exec="{dest}/bridgekeeper"' in text
        assert "Icon=bridgekeeper" in text
    assert (home / ".local/share/icons/hicolor/scalable/apps/bridgekeeper.svg").is_file()
    assert (home / ".local/share/icons/hicolor/48x48/apps/bridgekeeper.png").is_file()
    # chromium and firefox-esr are installed here, so both are detected and registered.
    chromium = json.loads((home / ".config/chromium/NativeMessagingHosts" / HOST_NAME).read_text())
    firefox = json.loads((home / ".mozilla/native-messaging-hosts" / HOST_NAME).read_text())
    for manifest in (chromium, firefox):
        assert manifest["path"] == str(dest / "bridgekeeper-host")
    assert chromium["allowed_origins"] == CHROME_ARGV
    assert firefox["allowed_extensions"] == [FIREFOX_ID]
    version = subprocess.run(
        ["bridgekeeper", "--version"],
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert version.stdout.strip() == f"bridgekeeper {__version__}"

    removed = subprocess.run(
        [str(dest / "uninstall"), "--purge"],
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert removed.returncode == 0, removed.stderr
    assert files_under(home) == set()


def test_tarball_install_without_a_terminal_does_not_start_at_login(
    unpacked: Path, user_home: Home
) -> None:
    env = user_home.env()
    env.pop("BRIDGEKEEPER_HOME")
    done = subprocess.run(
        [str(unpacked / "install"), "--no-browsers", *AS_ONE_USER],
        env=env,
        stdin=subprocess.DEVNULL,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert not (user_home.home / ".config/autostart").exists()
    assert not (user_home.home / ".mozilla").exists()
    assert "is not on your PATH" in done.stdout
    assert "no font for" not in done.stdout  # ./dev installs Noto CJK and colour emoji


def test_tarball_install_says_which_fonts_are_missing(
    unpacked: Path, user_home: Home, tmp_path: Path
) -> None:
    fonts_conf = tmp_path / "fonts.conf"  # a fontconfig that sees DejaVu only
    fonts_conf.write_text(
        '<?xml version="1.0"?><fontconfig><dir>/usr/share/fonts/truetype/dejavu</dir>'
        f"<cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>"
    )
    env = user_home.env({"FONTCONFIG_FILE": str(fonts_conf)})
    env.pop("BRIDGEKEEPER_HOME")
    done = subprocess.run(
        [str(unpacked / "install"), "--no-browsers", "--no-autostart", *AS_ONE_USER],
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "no font for Chinese, Japanese and Korean, and colour emoji" in done.stdout
    assert "fonts-noto-cjk and fonts-noto-color-emoji" in done.stdout


@pytest.mark.dpkg
def test_deb_installs_and_purges_leaving_nothing(bundle: Bundle, tmp_path: Path) -> None:
    fields = subprocess.run(
        ["dpkg-deb", "-f", str(bundle.deb), "Package", "Version", "Depends"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f"Version: {__version__}" in fields
    dependencies = (
        "libgl1",
        "libegl1",
        "fontconfig-config",
        "fonts-dejavu-core",
        "fonts-noto-cjk",
        "fonts-noto-color-emoji",
    )
    for dependency in dependencies:
        assert dependency in fields
    # The temporary root below has no packages, so dpkg is told to skip the Depends check;
    # they are checked here instead: Debian 12 packages, installed on this machine.
    installed = subprocess.run(
        ["dpkg-query", "-W", "-f=${Package} ${Status}\n", *dependencies],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    assert sorted(installed) == sorted(f"{name} install ok installed" for name in dependencies)
    # A temporary root, so that the machine's own browsers and tests see no system
    # manifests. Its dpkg database is empty: the Depends are this machine's packages.
    # The maintainer scripts run without chroot (the root has no shell), with DPKG_ROOT.
    root = tmp_path / "root"
    admin = root / "var/lib/dpkg"
    for folder in ("info", "updates", "triggers"):
        (admin / folder).mkdir(parents=True)
    (admin / "status").touch()
    (admin / "available").touch()
    # An administrator's policy, there before the package: its extensions are what the
    # system-wide manifests allow.
    policy = root / "etc/bridgekeeper/policy.json"
    policy.parent.mkdir(parents=True)
    for place in (tmp_path, root, root / "etc", policy.parent):
        place.chmod(0o755)
    policy.write_text(json.dumps({"version": 1, "allowed_extensions": [CHROME_ID, FIREFOX_ID]}))
    policy.chmod(0o644)
    before = files_under(root)

    def dpkg(*args: str) -> str:
        env = {k: v for k, v in os.environ.items() if k != "BRIDGEKEEPER_HOME"}
        done = subprocess.run(
            ["dpkg", f"--root={root}", "--force-depends", "--force-script-chrootless", *args],
            check=False,
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout + done.stderr

    said = dpkg("-i", str(bundle.deb))
    opt = root / "opt/bridgekeeper"
    assert files_under(opt) == set(bundle.files())
    assert os.readlink(root / "usr/bin/bridgekeeper") == "/opt/bridgekeeper/bridgekeeper"
    assert (
        "Exec=/usr/bin/bridgekeeper"
        in (root / "usr/share/applications/bridgekeeper.desktop").read_text()
    )
    assert (root / "usr/share/icons/hicolor/scalable/apps/bridgekeeper.svg").is_file()
    # postinst ran `bridgekeeper install --system`: every system-wide folder of the
    # browser table, allowing what the policy allows.
    manifests = {
        "etc/chromium/native-messaging-hosts": ("allowed_origins", CHROME_ARGV[0]),
        "etc/opt/chrome/native-messaging-hosts": ("allowed_origins", CHROME_ARGV[0]),
        "etc/opt/edge/native-messaging-hosts": ("allowed_origins", CHROME_ARGV[0]),
        "usr/lib/mozilla/native-messaging-hosts": ("allowed_extensions", FIREFOX_ID),
        "usr/lib64/mozilla/native-messaging-hosts": ("allowed_extensions", FIREFOX_ID),
        "usr/lib/librewolf/native-messaging-hosts": ("allowed_extensions", FIREFOX_ID),
    }
    for folder, (key, allowed) in manifests.items():
        manifest = json.loads((root / folder / HOST_NAME).read_text())
        assert manifest["path"] == "/opt/bridgekeeper/bridgekeeper-host"
        assert manifest["name"] == "org.bridgekeeper.host"
        assert manifest[key] == [allowed]
    assert f"wrote      chromium       {root}/etc/chromium/native-messaging-hosts" in said
    example = root / "usr/share/doc/bridgekeeper/examples/policy.json"
    parsed = parse(example.read_bytes(), str(example))
    assert not parsed.problems
    assert {ext.id for ext in parsed.allowed_extensions} == {CHROME_ID, FIREFOX_ID}
    version = subprocess.run(
        [str(opt / "bridgekeeper"), "--version"],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert version.stdout.strip() == f"bridgekeeper {__version__}"

    dpkg("--remove", "bridgekeeper")
    # prerm ran `bridgekeeper uninstall --system`; the policy is the administrator's.
    for folder in manifests:
        assert not (root / folder / HOST_NAME).exists()
    assert policy.is_file()
    assert not opt.exists()
    dpkg("--purge", "bridgekeeper")
    left = {
        name
        for name in files_under(root) - before
        if not name.startswith("var/lib/dpkg/")  # dpkg's own database and logs
    }
    assert left == set()
    assert not (root / "opt/bridgekeeper").exists()
