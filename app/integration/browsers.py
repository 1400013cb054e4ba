"""Which browsers exist, how to find them and where each looks for host manifests, on
Linux, macOS and Windows: one table of data (``BROWSERS``), read by a few small functions.

Chromium family: the manifest lists ``allowed_origins``; Firefox family:
``allowed_extensions``. On Windows the manifest file may live anywhere; the browser finds it
through the default value of ``HKCU\\Software\\<vendor>\\NativeMessagingHosts\\<name>``
(or the same key under HKLM: ``registry_keys``).
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from app.system.registry import HIVE_NAMES, Hive, Registry, View, WindowsRegistry
from host.caller import CHROMIUM, FIREFOX
from host.protocol import HOST_NAME

MANIFEST_NAME = f"{HOST_NAME}.json"
LINUX, MACOS, WINDOWS = "linux", "darwin", "win32"
_MOZ = "native-messaging-hosts"  # Firefox family on Linux
_NMH = "NativeMessagingHosts"
_MAC_SUPPORT = "Library/Application Support"


@dataclass(frozen=True)
class OnLinux:
    executables: tuple[str, ...]
    """Names looked up on PATH, or absolute paths."""
    user_dir: str
    """The user-level manifest folder, relative to the browser's home (see ``homes``)."""
    system_dirs: tuple[str, ...] = ()
    homes: tuple[str, ...] = ("",)
    """Folders, relative to HOME, that the browser uses as its home: HOME itself, except
    for self-contained installs (Tor Browser), which are detected by this folder."""
    flatpak: str = ""
    """The Flatpak app id."""
    flatpak_dir: str = ""
    """The manifest folder the Flatpak reads from inside its sandbox, relative to its
    ``~/.var/app/<id>`` ("": not known, so it cannot be served)."""
    snap: str = ""


@dataclass(frozen=True)
class OnMacOS:
    apps: tuple[str, ...]
    """Application bundles looked for in /Applications and ~/Applications."""
    user_dir: str
    """Relative to HOME."""
    system_dirs: tuple[str, ...] = ()


@dataclass(frozen=True)
class OnWindows:
    executables: tuple[str, ...]
    """Relative to %ProgramFiles%, %ProgramFiles(x86)% or %LOCALAPPDATA% (``\\``-separated)."""
    vendor: str
    """The vendor path in ``Software\\<vendor>\\NativeMessagingHosts`` that the browser reads
    (browsers sharing it share one registration). Where each comes from: Chromium's
    launch_context_win.cc reads ``Google\\Chrome`` in every build, and ``Chromium`` first
    in builds not branded Google Chrome (Chromium itself, Brave, Vivaldi, Opera; brave-core
    patches none of it, KeePassXC registers Brave and Vivaldi there); Edge reads
    ``Microsoft\\Edge`` (Microsoft's native messaging page); Gecko's NativeManifests.sys.mjs
    reads ``Mozilla`` whatever the fork (Waterfox's copy does; KeePassXC registers
    LibreWolf there)."""


@dataclass(frozen=True)
class Browser:
    name: str
    label: str
    family: str
    linux: OnLinux | None = None
    macos: OnMacOS | None = None
    windows: OnWindows | None = None
    processes: tuple[str, ...] = ()
    """The file names its browser process runs as (lower case, no ``.exe``; a name may
    carry a suffix after ``-`` or ``_``), to name the browser that started a host."""
    aliases: tuple[str, ...] = ()
    """Other names people type for it (its executables and app names count too)."""

    def on(self, platform: str) -> OnLinux | OnMacOS | OnWindows | None:
        return {LINUX: self.linux, MACOS: self.macos, WINDOWS: self.windows}.get(platform)


def _chromium(
    name: str,
    label: str,
    *,
    linux_exe: tuple[str, ...],
    linux_config: str | None,
    linux_system: tuple[str, ...] = (),
    flatpak: str = "",
    snap: str = "",
    mac_app: str | None,
    mac_data: str = "",
    mac_system: tuple[str, ...] = (),
    win_exe: tuple[str, ...] = (),
    win_vendor: str | None = None,
    processes: tuple[str, ...] = (),
    aliases: tuple[str, ...] = (),
) -> Browser:
    """A Chromium-family row: the user-level folder is ``<user data dir>/NativeMessagingHosts``;
    a Flatpak's user data dir is in its ``config`` folder (its XDG_CONFIG_HOME)."""
    return Browser(
        name,
        label,
        CHROMIUM,
        linux=OnLinux(
            linux_exe,
            f".config/{linux_config}/{_NMH}",
            linux_system,
            ("",),
            flatpak,
            f"config/{linux_config}/{_NMH}" if flatpak else "",
            snap,
        )
        if linux_config
        else None,
        macos=OnMacOS((mac_app,), f"{_MAC_SUPPORT}/{mac_data}/{_NMH}", mac_system)
        if mac_app
        else None,
        windows=OnWindows(win_exe, win_vendor) if win_vendor else None,
        processes=processes,
        aliases=aliases,
    )


def _firefox(
    name: str,
    label: str,
    *,
    linux_exe: tuple[str, ...],
    linux_dir: str,
    linux_system: tuple[str, ...] = (),
    homes: tuple[str, ...] = ("",),
    flatpak: str = "",
    flatpak_dir: str | None = None,
    snap: str = "",
    mac_app: str,
    mac_dir: str,
    mac_system: tuple[str, ...] = (),
    win_exe: tuple[str, ...],
    win_vendor: str,
    processes: tuple[str, ...] = (),
    aliases: tuple[str, ...] = (),
) -> Browser:
    """A Firefox-family row: a Flatpak keeps its profile folder (``.mozilla`` and the
    like) in its ``~/.var/app/<id>``, which it sees as HOME's."""
    if flatpak_dir is None:
        flatpak_dir = linux_dir if flatpak else ""
    return Browser(
        name,
        label,
        FIREFOX,
        linux=OnLinux(linux_exe, linux_dir, linux_system, homes, flatpak, flatpak_dir, snap),
        macos=OnMacOS((mac_app,), mac_dir, mac_system),
        windows=OnWindows(win_exe, win_vendor),
        processes=processes,
        aliases=aliases,
    )


BROWSERS: tuple[Browser, ...] = (
    _firefox(
        "firefox",
        "Firefox",
        linux_exe=("firefox", "firefox-esr"),
        linux_dir=f".mozilla/{_MOZ}",
        linux_system=(f"/usr/lib/mozilla/{_MOZ}", f"/usr/lib64/mozilla/{_MOZ}"),
        flatpak="org.mozilla.firefox",
        snap="firefox",
        mac_app="Firefox.app",
        mac_dir=f"{_MAC_SUPPORT}/Mozilla/{_NMH}",
        mac_system=(f"/{_MAC_SUPPORT}/Mozilla/{_NMH}",),
        win_exe=(r"Mozilla Firefox\firefox.exe",),
        win_vendor="Mozilla",
        processes=("firefox",),
        aliases=("mozilla-firefox",),
    ),
    _firefox(
        "librewolf",
        "LibreWolf",
        linux_exe=("librewolf",),
        linux_dir=f".librewolf/{_MOZ}",
        linux_system=(f"/usr/lib/librewolf/{_MOZ}",),
        flatpak="io.gitlab.librewolf-community",
        mac_app="LibreWolf.app",
        mac_dir=f"{_MAC_SUPPORT}/LibreWolf/{_NMH}",
        win_exe=(r"LibreWolf\librewolf.exe",),
        win_vendor="Mozilla",
        processes=("librewolf",),
    ),
    _firefox(
        "waterfox",
        "Waterfox",
        linux_exe=("waterfox", "waterfox-g"),
        linux_dir=f".waterfox/{_MOZ}",
        flatpak="net.waterfox.waterfox",
        mac_app="Waterfox.app",
        mac_dir=f"{_MAC_SUPPORT}/Waterfox/{_NMH}",
        win_exe=(r"Waterfox\waterfox.exe",),
        win_vendor="Mozilla",
        processes=("waterfox",),
    ),
    # Tor Browser is self-contained: its launcher makes <install>/Browser its HOME.
    _firefox(
        "tor-browser",
        "Tor Browser",
        linux_exe=(),
        linux_dir=f".mozilla/{_MOZ}",
        homes=(
            "tor-browser/Browser",
            ".local/share/torbrowser/tbb/x86_64/tor-browser/Browser",
        ),
        flatpak="org.torproject.torbrowser-launcher",
        flatpak_dir="",  # its browser lives in a folder the launcher downloads to
        mac_app="Tor Browser.app",
        mac_dir=f"{_MAC_SUPPORT}/TorBrowser-Data/Browser/Mozilla/{_NMH}",
        win_exe=(r"Tor Browser\Browser\firefox.exe",),
        win_vendor="Mozilla",
        aliases=("tor", "torbrowser", "torbrowser-launcher"),
    ),
    _chromium(
        "chrome",
        "Google Chrome",
        linux_exe=("google-chrome", "google-chrome-stable"),
        linux_config="google-chrome",
        linux_system=("/etc/opt/chrome/native-messaging-hosts",),
        flatpak="com.google.Chrome",
        mac_app="Google Chrome.app",
        mac_data="Google/Chrome",
        mac_system=(f"/Library/Google/Chrome/{_NMH}",),
        win_exe=(r"Google\Chrome\Application\chrome.exe",),
        win_vendor=r"Google\Chrome",
        processes=("chrome",),
        aliases=("chrome-stable", "google-chrome"),
    ),
    _chromium(
        "chrome-beta",
        "Google Chrome Beta",
        linux_exe=("google-chrome-beta",),
        linux_config="google-chrome-beta",
        linux_system=("/etc/opt/chrome/native-messaging-hosts",),
        mac_app="Google Chrome Beta.app",
        mac_data="Google/Chrome Beta",
        mac_system=(f"/Library/Google/Chrome/{_NMH}",),
        win_exe=(r"Google\Chrome Beta\Application\chrome.exe",),
        win_vendor=r"Google\Chrome",
    ),
    _chromium(
        "chrome-dev",
        "Google Chrome Dev",
        linux_exe=("google-chrome-unstable",),
        aliases=("google-chrome-dev", "chrome-unstable"),
        linux_config="google-chrome-unstable",
        linux_system=("/etc/opt/chrome/native-messaging-hosts",),
        mac_app="Google Chrome Dev.app",
        mac_data="Google/Chrome Dev",
        mac_system=(f"/Library/Google/Chrome/{_NMH}",),
        win_exe=(r"Google\Chrome Dev\Application\chrome.exe",),
        win_vendor=r"Google\Chrome",
    ),
    _chromium(
        "chrome-canary",
        "Google Chrome Canary",
        linux_exe=("google-chrome-canary",),
        linux_config="google-chrome-canary",
        mac_app="Google Chrome Canary.app",
        mac_data="Google/Chrome Canary",
        win_exe=(r"Google\Chrome SxS\Application\chrome.exe",),
        win_vendor=r"Google\Chrome",
    ),
    _chromium(
        "chromium",
        "Chromium",
        linux_exe=("chromium", "chromium-browser"),
        linux_config="chromium",
        linux_system=("/etc/chromium/native-messaging-hosts",),
        flatpak="org.chromium.Chromium",
        snap="chromium",
        mac_app="Chromium.app",
        mac_data="Chromium",
        mac_system=(f"/{_MAC_SUPPORT}/Chromium/{_NMH}",),
        win_exe=(r"Chromium\Application\chrome.exe",),
        win_vendor="Chromium",
        processes=("chromium",),
    ),
    _chromium(
        "edge",
        "Microsoft Edge",
        linux_exe=("microsoft-edge", "microsoft-edge-stable"),
        linux_config="microsoft-edge",
        linux_system=("/etc/opt/edge/native-messaging-hosts",),
        flatpak="com.microsoft.Edge",
        mac_app="Microsoft Edge.app",
        mac_data="Microsoft Edge",
        mac_system=("/Library/Microsoft/Edge/NativeMessagingHosts",),
        win_exe=(r"Microsoft\Edge\Application\msedge.exe",),
        win_vendor=r"Microsoft\Edge",
        processes=("msedge",),
    ),
    _chromium(
        "brave",
        "Brave",
        linux_exe=("brave-browser", "brave"),
        linux_config="BraveSoftware/Brave-Browser",
        flatpak="com.brave.Browser",
        snap="brave",
        mac_app="Brave Browser.app",
        mac_data="BraveSoftware/Brave-Browser",
        win_exe=(r"BraveSoftware\Brave-Browser\Application\brave.exe",),
        win_vendor=r"Google\Chrome",
        processes=("brave",),
    ),
    _chromium(
        "vivaldi",
        "Vivaldi",
        linux_exe=("vivaldi", "vivaldi-stable"),
        linux_config="vivaldi",
        flatpak="com.vivaldi.Vivaldi",
        snap="vivaldi",
        mac_app="Vivaldi.app",
        mac_data="Vivaldi",
        win_exe=(r"Vivaldi\Application\vivaldi.exe",),
        win_vendor=r"Google\Chrome",
        processes=("vivaldi",),
    ),
    _chromium(
        "opera",
        "Opera",
        linux_exe=("opera",),
        linux_config="opera",
        flatpak="com.opera.Opera",
        snap="opera",
        mac_app="Opera.app",
        mac_data="com.operasoftware.Opera",
        win_exe=(r"Programs\Opera\opera.exe", r"Opera\opera.exe"),
        win_vendor=r"Google\Chrome",
        processes=("opera",),
        aliases=("opera-stable",),
    ),
)

BY_NAME: dict[str, Browser] = {browser.name: browser for browser in BROWSERS}


def _spelling(name: str) -> str:
    """A browser name as typed, reduced to compare: case, spaces, suffixes don't count."""
    name = name.strip().lower().replace(" ", "-").replace("_", "-")
    for suffix in (".exe", ".app", ".desktop"):
        name = name.removesuffix(suffix)
    return name


def _spellings() -> dict[str, Browser]:
    found: dict[str, Browser] = {}
    for browser in BROWSERS:
        names = [browser.name, browser.label, *browser.aliases, *browser.processes]
        if browser.linux is not None:
            names += [exe.rsplit("/", 1)[-1] for exe in browser.linux.executables]
        if browser.macos is not None:
            names += list(browser.macos.apps)
        for name in names:
            found.setdefault(_spelling(name), browser)
    return found


SPELLINGS: dict[str, Browser] = _spellings()
"""Every name a browser is known by (its table name, display name, executables, app
names and aliases, reduced by ``_spelling``)."""


def lookup(name: str) -> Browser | None:
    """The browser someone means by ``name`` ("google-chrome", "Brave", "msedge"), if any."""
    return SPELLINGS.get(_spelling(name))


def browser_label(executable: str | None, family: str) -> str:
    """The display name of the browser whose process runs ``executable`` (the host's
    parent), or "" when the table does not know it."""
    if not executable:
        return ""
    base = executable.replace("\\", "/").rsplit("/", 1)[-1].lower().removesuffix(".exe")
    matches = [
        (len(process), browser)
        for browser in BROWSERS
        for process in browser.processes
        if base == process or base.startswith((process + "-", process + "_"))
    ]
    if matches:
        return max(matches, key=lambda match: match[0])[1].label
    if "tor" in executable.lower() and family == FIREFOX:
        return BY_NAME["tor-browser"].label
    return ""


def registry_key(vendor: str) -> str:
    """The key (under HKCU or HKLM) whose default value is the manifest path."""
    return rf"Software\{vendor}\NativeMessagingHosts\{HOST_NAME}"


@dataclass(frozen=True)
class RegistryKey:
    """A registry key a browser reads our manifest's path from, in one view."""

    hive: Hive
    view: View
    key: str

    def __str__(self) -> str:
        """As regedit shows it: the 32-bit view of HKLM lives under WOW6432Node."""
        key = self.key
        if self.hive == "HKLM" and self.view == 32:
            key = key.replace("Software\\", "Software\\WOW6432Node\\", 1)
        return f"{HIVE_NAMES[self.hive]}\\{key}"


def registry_keys(browser: Browser, hive: Hive) -> tuple[RegistryKey, ...]:
    """The keys to write so that ``browser`` finds our manifest in ``hive``, in the order
    it reads them. Chromium (launch_context_win.cc, GetManifestPath) and Gecko
    (NativeManifests.sys.mjs, _winLookup) read HKCU before HKLM, and in HKLM the 32-bit
    view (WOW6432Node) before the 64-bit one, both asked for explicitly whatever the
    browser's own bitness. Under HKCU\\Software both views are one shared key, so one
    write serves both; in HKLM both views get the key, as a stale 32-bit one would win."""
    if browser.windows is None:
        return ()
    key = registry_key(browser.windows.vendor)
    if hive == "HKCU":
        return (RegistryKey("HKCU", 64, key),)
    return (RegistryKey("HKLM", 32, key), RegistryKey("HKLM", 64, key))


@dataclass(frozen=True)
class Machine:
    """The machine being integrated with: its platform, HOME, environment and root folder.
    Tests describe macOS or Windows machines with temporary folders and a fake registry."""

    platform: str
    home: Path
    environ: Mapping[str, str] = field(default_factory=dict)
    root: Path = Path("/")
    """Prefix for absolute paths in the table (``/etc``, ``/Applications``, ``/snap``)."""
    registry: Registry | None = None
    manifests_dir: Path | None = None
    """Windows: the folder our manifest files live in (the registry points at them)."""

    @classmethod
    def current(cls, manifests_dir: Path | None = None) -> Machine:
        platform = sys.platform
        if platform not in (MACOS, WINDOWS):
            platform = LINUX  # BSDs use the Linux folders
        return cls(
            platform=platform,
            home=Path(os.path.expanduser("~")),
            environ=dict(os.environ),
            registry=WindowsRegistry() if platform == WINDOWS else None,
            manifests_dir=manifests_dir,
        )

    def absolute(self, path: str) -> Path:
        return self.root / path.lstrip("/")


FLATPAK_HOST_DIR = "data/bridgekeeper"
"""Where the host copy for a Flatpak browser lives, relative to its ``~/.var/app/<id>``
(its XDG_DATA_HOME is ``data``)."""
PORTAL_USER_DIR = f".mozilla/{_MOZ}"
"""The per-user folder the WebExtensions portal and xdg-native-messaging-proxy read for
Firefox: the host-side one, whose manifests start hosts outside the sandbox."""


@dataclass(frozen=True)
class Sandbox:
    """A Flatpak or Snap install of a browser."""

    kind: str
    """"flatpak" or "snap"."""
    ident: str
    """The Flatpak app id, or the snap's name."""
    where: str = ""
    """Flatpak: "user" (``~/.local/share/flatpak``) or "system" (``/var/lib/flatpak``)."""

    def in_sandbox(self, browser: Browser) -> bool:
        """Served from inside: a manifest in its own folders and a host copy it can run."""
        linux = browser.linux
        return self.kind == "flatpak" and linux is not None and bool(linux.flatpak_dir)

    def portal(self, browser: Browser) -> str:
        """The desktop service that starts hosts outside the sandbox for it, reading the
        host-side manifest ("" when there is none for this browser)."""
        linux = browser.linux
        if (
            browser.family != FIREFOX
            or linux is None
            or (linux.user_dir, linux.homes) != (PORTAL_USER_DIR, ("",))
        ):
            return ""
        if self.kind == "snap":
            return "the WebExtensions portal"
        return "the native messaging proxy (xdg-native-messaging-proxy)"

    @property
    def label(self) -> str:
        where = f", {'per user' if self.where == 'user' else 'system-wide'}" if self.where else ""
        return f"{self.kind.capitalize()} ({self.ident}{where})"

    def served(self, browser: Browser) -> bool:
        return self.in_sandbox(browser) or bool(self.portal(browser))

    def how(self, browser: Browser) -> str:
        """Which path serves it and what the user will be asked (status, doctor, install)."""
        said = []
        if self.in_sandbox(browser):
            said.append(
                f"served inside its sandbox by a manifest and a copy of the host in "
                f"~/.var/app/{self.ident}; from there the host cannot start Bridgekeeper, "
                "so keep it running (Start at login)"
            )
        portal = self.portal(browser)
        if portal and self.kind == "snap":
            said.append(
                f"served through {portal}, which reads ~/{PORTAL_USER_DIR}: the first time "
                f"an extension calls, the desktop asks whether {browser.label} may start "
                f"org.bridgekeeper.host (allow it; `flatpak permissions webextensions` "
                "lists the answers). Needs a desktop with that portal (Ubuntu 22.04 and later)"
            )
        elif portal:
            said.append(
                f"versions that use {portal} are served by ~/{PORTAL_USER_DIR}, without a question"
            )
        return "; ".join(said) if said else self.advice(browser)

    def advice(self, browser: Browser) -> str:
        """What the user can do about a sandboxed install that cannot be served."""
        return (
            f"{browser.label} is a {self.label}: Bridgekeeper cannot reach into this "
            f"sandbox. Install {browser.label} from your distribution or the vendor's "
            f"package, then run `bridgekeeper install --browser {browser.name}`."
        )


@dataclass(frozen=True)
class Detection:
    """What was found of one browser on this machine."""

    browser: Browser
    executable: Path | None
    """A native (unsandboxed) install, or None."""
    sandboxes: tuple[Sandbox, ...] = ()

    @property
    def found(self) -> bool:
        return self.executable is not None or bool(self.sandboxes)


def _which(name: str, machine: Machine) -> Path | None:
    if name.startswith("/"):
        path = machine.absolute(name)
        return path if os.access(path, os.X_OK) else None
    found = shutil.which(name, path=machine.environ.get("PATH", os.defpath))
    return Path(found) if found else None


def browser_home(browser: Browser, machine: Machine) -> Path | None:
    """The folder the browser treats as HOME on Linux (None: not installed there)."""
    linux = browser.linux
    if linux is None:
        return None
    for relative in linux.homes:
        folder = machine.home / relative if relative else machine.home
        if folder.is_dir():
            return folder
    return None


def detect(browser: Browser, machine: Machine) -> Detection:
    """Look for ``browser`` on ``machine``: an executable, an app bundle, a sandboxed install."""
    executable: Path | None = None
    sandboxes: list[Sandbox] = []
    if machine.platform == LINUX and browser.linux is not None:
        linux = browser.linux
        for name in linux.executables:
            executable = executable or _which(name, machine)
        if not linux.executables and linux.homes != ("",):
            home = browser_home(browser, machine)
            executable = home.parent if home is not None else None
        if linux.flatpak:
            for where, folder in (
                ("user", machine.home / ".local/share/flatpak/app" / linux.flatpak),
                ("system", machine.absolute(f"/var/lib/flatpak/app/{linux.flatpak}")),
            ):
                if folder.is_dir():
                    sandboxes.append(Sandbox("flatpak", linux.flatpak, where))
                    break
        if linux.snap and machine.absolute(f"/snap/{linux.snap}").is_dir():
            sandboxes.append(Sandbox("snap", linux.snap))
            if executable is not None and executable.name == linux.snap:
                # Ubuntu's /usr/bin/<name> only hands over to the snap.
                snap_bin = machine.absolute(f"/snap/bin/{linux.snap}")
                if snap_bin.exists() or "snap" in _read_head(executable):
                    executable = None
    elif machine.platform == MACOS and browser.macos is not None:
        for app in browser.macos.apps:
            for folder in (machine.absolute("/Applications"), machine.home / "Applications"):
                if (folder / app).is_dir():
                    executable = executable or folder / app
    elif machine.platform == WINDOWS and browser.windows is not None:
        bases = [
            machine.environ.get(var, "")
            for var in ("ProgramFiles", "ProgramFiles(x86)", "LOCALAPPDATA", "USERPROFILE")
        ]
        for relative in browser.windows.executables:
            for base in filter(None, bases):
                candidate = Path(base, *relative.split("\\"))
                if candidate.is_file():
                    executable = executable or candidate
    return Detection(browser, executable, tuple(sandboxes))


def _read_head(path: Path) -> str:
    try:
        with open(path, "rb") as stream:
            return stream.read(4096).decode("latin-1")
    except OSError:
        return ""


@dataclass(frozen=True)
class ManifestLocation:
    """Where one browser looks for our manifest (and, on Windows, the registry key)."""

    browser: Browser
    path: Path
    registry_key: str | None = None
    scope: str = "user"
    """"user", "system" (``install --system``), "profile" (a --user-data-dir) or
    "flatpak" (inside a Flatpak's ``~/.var/app/<id>``)."""
    sandbox: Sandbox | None = None
    """The Flatpak this location serves (scope "flatpak")."""
    hive: str = "HKCU"
    """Windows: the registry hive of ``registry_key``."""

    @property
    def subject(self) -> str:
        """How status, doctor and install name it."""
        return "profile" if self.scope == "profile" else self.browser.name

    @property
    def host_dir(self) -> Path | None:
        """Flatpak: the folder of the host copy its manifest names."""
        if self.sandbox is None:
            return None
        return self.path.parents[_depth(self)] / FLATPAK_HOST_DIR


def _depth(location: ManifestLocation) -> int:
    """How many folders up from the manifest ``~/.var/app/<id>`` is."""
    linux = location.browser.linux
    assert linux is not None
    return len(Path(linux.flatpak_dir).parts)


def user_location(browser: Browser, machine: Machine) -> ManifestLocation | None:
    """The user-level manifest location of ``browser`` on ``machine`` (None: not there)."""
    if machine.platform == LINUX and browser.linux is not None:
        home = browser_home(browser, machine)
        if home is None:
            home = machine.home / browser.linux.homes[0]
        return ManifestLocation(browser, home / browser.linux.user_dir / MANIFEST_NAME)
    if machine.platform == MACOS and browser.macos is not None:
        return ManifestLocation(browser, machine.home / browser.macos.user_dir / MANIFEST_NAME)
    if machine.platform == WINDOWS and browser.windows is not None:
        if machine.manifests_dir is None:
            raise ValueError("on Windows the manifests folder must be given")
        # One file per registry key: channels sharing a key share the file too.
        slug = browser.windows.vendor.replace("\\", "-").replace(" ", "-").lower()
        folder = machine.manifests_dir / f"{slug}-{browser.family}"
        return ManifestLocation(
            browser, folder / MANIFEST_NAME, registry_key(browser.windows.vendor)
        )
    return None


def system_locations(browser: Browser, machine: Machine) -> list[Path]:
    """System-wide manifest files the browser may read (Linux and macOS)."""
    rows = browser.on(machine.platform)
    dirs = rows.system_dirs if isinstance(rows, OnLinux | OnMacOS) else ()
    return [machine.absolute(folder) / MANIFEST_NAME for folder in dirs]


def system_targets(browser: Browser, machine: Machine) -> list[ManifestLocation]:
    """Where ``install --system`` writes for ``browser``: its system-wide folders, or on
    Windows a file in ``machine.manifests_dir`` named by an HKLM key. Empty when the
    browser has no system-wide place on this platform."""
    if machine.platform == WINDOWS:
        if browser.windows is None:
            return []
        if machine.manifests_dir is None:
            raise ValueError("on Windows the manifests folder must be given")
        slug = browser.windows.vendor.replace("\\", "-").replace(" ", "-").lower()
        path = machine.manifests_dir / f"{slug}-{browser.family}" / MANIFEST_NAME
        key = registry_key(browser.windows.vendor)
        return [ManifestLocation(browser, path, key, scope="system", hive="HKLM")]
    return [
        ManifestLocation(browser, path, scope="system")
        for path in system_locations(browser, machine)
    ]


def flatpak_location(browser: Browser, sandbox: Sandbox, machine: Machine) -> ManifestLocation:
    """The manifest a Flatpak browser reads from inside its sandbox."""
    linux = browser.linux
    if linux is None or not sandbox.in_sandbox(browser):
        raise ValueError(f"{browser.label} has no known folder inside its Flatpak")
    folder = flatpak_home(sandbox.ident, machine) / linux.flatpak_dir
    return ManifestLocation(browser, folder / MANIFEST_NAME, scope="flatpak", sandbox=sandbox)


def flatpak_home(app_id: str, machine: Machine) -> Path:
    """``~/.var/app/<id>``: of the home, all a Flatpak sees (at the same path)."""
    return machine.home / ".var" / "app" / app_id


def profile_location(user_data_dir: Path, browser: Browser | None = None) -> ManifestLocation:
    """A Chromium-family browser started with ``--user-data-dir=DIR`` reads DIR's folder."""
    return ManifestLocation(
        browser or BY_NAME["chromium"],
        user_data_dir.absolute() / _NMH / MANIFEST_NAME,
        scope="profile",
    )
