"""The extensions installed in the browsers' profiles, for "Allowed extensions…" to offer
(SPEC 1.1 "Tray menu"): Chromium family from each profile's ``Preferences`` (and
``Secure Preferences``) and the extension's ``manifest.json`` with its ``_locales`` name;
Firefox family from each profile's ``extensions.json``.

Read-only, and every file is hostile until checked: a file is opened only if it is a
regular file reached without following a symbolic link at its last step, and only up to a
size; JSON that does not parse, nests too deep or has the wrong types is skipped; the
numbers of profiles and extensions read are bounded. Nothing here raises for what a file
contains: the worst a profile can do is contribute nothing. Blocking file reads: the
windows run this in a worker thread.
"""

from __future__ import annotations

import configparser
import json
import logging
import os
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.integration.browsers import (
    BROWSERS,
    LINUX,
    MACOS,
    WINDOWS,
    Browser,
    Machine,
    browser_home,
    detect,
)
from app.system.extensions import BadExtension, parse_extension
from host.caller import CHROMIUM, FIREFOX

log = logging.getLogger(__name__)

PREFERENCES_LIMIT = 64 * 1024 * 1024
SMALL_FILE_LIMIT = 2 * 1024 * 1024
"""``manifest.json``, ``messages.json``, ``profiles.ini``, ``Local State``."""
PROFILES_LIMIT = 64
"""Profiles read per browser."""
EXTENSIONS_LIMIT = 1000
"""Extensions read per profile."""
VERSIONS_LIMIT = 32
NAME_LIMIT = 200
_MSG = re.compile(r"__MSG_([A-Za-z0-9_@]+)__")
# Chromium's own extensions (Manifest::Location): COMPONENT and EXTERNAL_COMPONENT.
_CHROMIUM_BUILT_IN = {5, 10}
# Firefox's own: built-in and system add-ons.
_FIREFOX_BUILT_IN_PREFIXES = ("app-builtin", "app-system-defaults", "app-system-addons")

# Where each browser keeps its profiles, relative to its home (Linux), HOME (macOS), or
# %LOCALAPPDATA% / %APPDATA% (Windows). Chromium family: the user data folder, which holds
# "Local State" and one folder per profile; Firefox family: the folder of profiles.ini.
# (The manifest folders are in app.integration.browsers; these are only read here.)
_LINUX_CHROMIUM = {
    "chrome": ".config/google-chrome",
    "chrome-beta": ".config/google-chrome-beta",
    "chrome-dev": ".config/google-chrome-unstable",
    "chrome-canary": ".config/google-chrome-canary",
    "chromium": ".config/chromium",
    "edge": ".config/microsoft-edge",
    "brave": ".config/BraveSoftware/Brave-Browser",
    "vivaldi": ".config/vivaldi",
    "opera": ".config/opera",
}
_LINUX_FIREFOX = {
    "firefox": ".mozilla/firefox",
    "librewolf": ".librewolf",
    "waterfox": ".waterfox",
    "tor-browser": "TorBrowser/Data/Browser",
}
_MAC = {
    "chrome": "Library/Application Support/Google/Chrome",
    "chrome-beta": "Library/Application Support/Google/Chrome Beta",
    "chrome-dev": "Library/Application Support/Google/Chrome Dev",
    "chrome-canary": "Library/Application Support/Google/Chrome Canary",
    "chromium": "Library/Application Support/Chromium",
    "edge": "Library/Application Support/Microsoft Edge",
    "brave": "Library/Application Support/BraveSoftware/Brave-Browser",
    "vivaldi": "Library/Application Support/Vivaldi",
    "opera": "Library/Application Support/com.operasoftware.Opera",
    "firefox": "Library/Application Support/Firefox",
    "librewolf": "Library/Application Support/librewolf",
    "waterfox": "Library/Application Support/Waterfox",
    "tor-browser": "Library/Application Support/TorBrowser-Data/Browser",
}
_WINDOWS = {  # (environment variable, folder)
    "chrome": ("LOCALAPPDATA", r"Google\Chrome\User Data"),
    "chrome-beta": ("LOCALAPPDATA", r"Google\Chrome Beta\User Data"),
    "chrome-dev": ("LOCALAPPDATA", r"Google\Chrome Dev\User Data"),
    "chrome-canary": ("LOCALAPPDATA", r"Google\Chrome SxS\User Data"),
    "chromium": ("LOCALAPPDATA", r"Chromium\User Data"),
    "edge": ("LOCALAPPDATA", r"Microsoft\Edge\User Data"),
    "brave": ("LOCALAPPDATA", r"BraveSoftware\Brave-Browser\User Data"),
    "vivaldi": ("LOCALAPPDATA", r"Vivaldi\User Data"),
    "opera": ("APPDATA", r"Opera Software\Opera Stable"),
    "firefox": ("APPDATA", r"Mozilla\Firefox"),
    "librewolf": ("APPDATA", "librewolf"),
    "waterfox": ("APPDATA", "Waterfox"),
}


@dataclass
class InstalledExtension:
    """One extension found in the profiles of one browser family."""

    family: str
    id: str
    name: str = ""
    """Its name as the browser shows it ("" when none could be read)."""
    places: list[str] = field(default_factory=list)
    """Where it was found: "<browser> (<profile>)", in the order found."""


# -- reading files without trusting them -------------------------------------------------
def read_bytes(path: Path, limit: int) -> bytes | None:
    """The contents of ``path`` if it is a regular file (not reached through a symbolic
    link at its last step) of at most ``limit`` bytes; None otherwise, or on any error.
    Never blocks on a FIFO or a device."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    flags |= getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    try:
        if os.name == "nt" and path.is_symlink():
            return None
        descriptor = os.open(path, flags)
    except (OSError, ValueError):
        return None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        chunks: list[bytes] = []
        size = 0
        while chunk := os.read(descriptor, min(1 << 20, limit + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:  # it grew while being read
                return None
        return b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(descriptor)


def read_json(path: Path, limit: int = SMALL_FILE_LIMIT) -> Any:
    """The JSON document in ``path``, or None when it cannot be read or parsed (too big,
    not UTF-8, not JSON, nested too deep)."""
    data = read_bytes(path, limit)
    if data is None:
        return None
    try:
        return json.loads(data.decode("utf-8-sig"))
    except (ValueError, RecursionError, MemoryError):
        return None


def is_id(family: str, ident: str) -> bool:
    """``ident`` is an extension id of ``family`` in a form the settings accept."""
    if "=" in ident:
        return False
    try:
        return parse_extension(ident).family == family
    except BadExtension:
        return False


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    return value.strip()[:NAME_LIMIT] if isinstance(value, str) else ""


def _subfolders(folder: Path, limit: int) -> list[Path]:
    """Real subfolders of ``folder`` (no symbolic links), at most ``limit``, sorted."""
    found: list[Path] = []
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    found.append(Path(entry.path))
                    if len(found) >= limit * 4:
                        break
    except OSError:
        return []
    return sorted(found)[:limit]


def _is_dir(path: Path) -> bool:
    try:
        return stat.S_ISDIR(path.lstat().st_mode)
    except OSError:
        return False


def _real_folder(base: Path, *names: str) -> Path | None:
    """``base/names...`` when each step below ``base`` is a real folder (no link)."""
    path = base
    for name in names:
        if not _safe_name(name):
            return None
        path = path / name
        if not _is_dir(path):
            return None
    return path


def _safe_name(name: str) -> bool:
    """A folder name from a file that may be joined to a path: no separators or dots."""
    return bool(name) and name not in (".", "..") and not re.search(r"[/\\\x00]", name)


# -- where the profiles are --------------------------------------------------------------
def profile_roots(browser: Browser, machine: Machine) -> list[Path]:
    """The folders where ``browser`` keeps its profiles on ``machine`` (those that exist)."""
    roots: list[Path] = []
    if machine.platform == LINUX:
        relative = (_LINUX_CHROMIUM if browser.family == CHROMIUM else _LINUX_FIREFOX).get(
            browser.name
        )
        home = browser_home(browser, machine)
        if relative and home is not None:
            roots.append(home / relative)
        linux = browser.linux
        if relative and linux is not None and linux.flatpak:
            # A Flatpak browser's home is ~/.var/app/<id>; its XDG config is config/.
            sandboxed = machine.home / ".var" / "app" / linux.flatpak
            roots.append(sandboxed / relative.replace(".config/", "config/", 1))
    elif machine.platform == MACOS and browser.name in _MAC:
        roots.append(machine.home / _MAC[browser.name])
    elif machine.platform == WINDOWS and browser.name in _WINDOWS:
        variable, relative = _WINDOWS[browser.name]
        base = machine.environ.get(variable, "")
        if base:
            roots.append(Path(base, *relative.split("\\")))
    return [root for root in roots if _is_dir(root)]


# -- Chromium family ---------------------------------------------------------------------
def chromium_profiles(root: Path) -> list[tuple[Path, str]]:
    """``(folder, display name)`` of each profile in a Chromium user data folder."""
    names: dict[str, str] = {}
    cache = _dict(_dict(_dict(read_json(root / "Local State")).get("profile")).get("info_cache"))
    for key, info in list(cache.items())[:PROFILES_LIMIT]:
        if isinstance(key, str) and _safe_name(key):
            names[key] = _text(_dict(info).get("name")) or key
    found: list[tuple[Path, str]] = []
    for folder in _subfolders(root, PROFILES_LIMIT * 2):
        known = folder.name in names or folder.name == "Default"
        if (known or folder.name.startswith("Profile ")) and (folder / "Preferences").exists():
            found.append((folder, names.get(folder.name, folder.name)))
    return found[:PROFILES_LIMIT]


def _message(extension: Path, key: str, languages: Iterable[str]) -> str:
    """A ``__MSG_key__`` name from the extension's ``_locales`` (keys are case-blind)."""
    for language in languages:
        if not _safe_name(language):
            continue
        messages = _dict(read_json(extension / "_locales" / language / "messages.json"))
        for name, entry in messages.items():
            if isinstance(name, str) and name.lower() == key.lower():
                text = _text(_dict(entry).get("message"))
                if text:
                    return text
    return ""


def manifest_name(extension: Path, languages: Iterable[str] = ()) -> tuple[str, bool]:
    """The name in ``extension``'s ``manifest.json``, its ``__MSG_…__`` resolved in the
    first of ``languages``, then the manifest's default locale, then English that has it;
    and whether the folder holds a theme (which no native host can serve)."""
    manifest = _dict(read_json(extension / "manifest.json"))
    name = _text(manifest.get("name"))
    match = _MSG.fullmatch(name)
    if match:
        default = _text(manifest.get("default_locale"))
        wanted = [*languages, default, "en", "en_US"]
        name = _message(extension, match.group(1), [lang for lang in wanted if lang])
    return name, "theme" in manifest


def _latest_version(profile: Path, ident: str) -> Path | None:
    folder = _real_folder(profile, "Extensions", ident)
    versions = _subfolders(folder, VERSIONS_LIMIT) if folder is not None else []

    def key(path: Path) -> tuple[int, ...]:
        parts = re.findall(r"\d+", path.name)
        return tuple(int(part[:9]) for part in parts)

    return max(versions, key=key) if versions else None


def chromium_extensions(profile: Path, languages: Iterable[str] = ()) -> Iterator[tuple[str, str]]:
    """``(id, name)`` of each extension installed in one Chromium profile folder, apart
    from the browser's own and themes."""
    languages = list(languages)
    settings: dict[str, Any] = {}
    for file in ("Preferences", "Secure Preferences"):
        document = _dict(read_json(profile / file, PREFERENCES_LIMIT))
        settings.update(_dict(_dict(document.get("extensions")).get("settings")))
    for count, (ident, entry) in enumerate(settings.items()):
        if count >= EXTENSIONS_LIMIT:
            break
        if not isinstance(entry, dict) or not isinstance(ident, str):
            continue
        info = entry
        location = info.get("location")
        if not is_id(CHROMIUM, ident):
            continue
        if isinstance(location, int) and location in _CHROMIUM_BUILT_IN:
            continue
        stored = _dict(info.get("manifest"))
        name = _text(stored.get("name"))
        theme = "theme" in stored
        folder = _extension_folder(profile, ident, info.get("path"))
        if folder is not None and (not name or _MSG.fullmatch(name)):
            name, theme = manifest_name(folder, languages)
        if not theme:
            yield ident, name


def _extension_folder(profile: Path, ident: str, path: Any) -> Path | None:
    """Where the files of extension ``ident`` are: ``path`` from the preferences (relative
    to the profile's Extensions folder, or absolute for an unpacked extension), else its
    newest version in ``Extensions/<id>/``."""
    if isinstance(path, str) and path and "\x00" not in path:
        candidate: Path | None = Path(path)
        assert candidate is not None
        if not candidate.is_absolute():
            candidate = _real_folder(profile, "Extensions", *candidate.parts)
        elif not _is_dir(candidate):
            candidate = None
        if candidate is not None:
            return candidate
    return _latest_version(profile, ident)


# -- Firefox family ----------------------------------------------------------------------
def firefox_profiles(root: Path) -> list[tuple[Path, str]]:
    """``(folder, name)`` of each profile listed in ``root/profiles.ini``."""
    data = read_bytes(root / "profiles.ini", SMALL_FILE_LIMIT)
    if data is None:
        return []
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(data.decode("utf-8", errors="replace"))
    except configparser.Error:
        return []
    found: list[tuple[Path, str]] = []
    for section in parser.sections()[: PROFILES_LIMIT * 2]:
        if not section.lower().startswith("profile"):
            continue
        entry = parser[section]
        path = entry.get("Path", "").strip()
        if not path or "\x00" in path:
            continue
        relative = entry.get("IsRelative", "1").strip() != "0"
        folder = root / path if relative else Path(path)
        if relative and any(part == ".." for part in Path(path).parts):
            continue
        if _is_dir(folder):
            found.append((folder, _text(entry.get("Name")) or folder.name))
    return found[:PROFILES_LIMIT]


def firefox_extensions(profile: Path, languages: Iterable[str] = ()) -> Iterator[tuple[str, str]]:
    """``(id, name)`` of each extension in one Firefox profile's ``extensions.json``,
    apart from the browser's own, hidden ones and themes."""
    languages = [lang.replace("_", "-").lower() for lang in languages]
    addons = _dict(read_json(profile / "extensions.json", PREFERENCES_LIMIT)).get("addons")
    if not isinstance(addons, list):
        return
    for addon in addons[:EXTENSIONS_LIMIT]:
        info = _dict(addon)
        ident = info.get("id")
        location = info.get("location")
        if (
            not isinstance(ident, str)
            or not is_id(FIREFOX, ident)
            or info.get("type") != "extension"
            or info.get("hidden") is True
            or info.get("isSystem") is True
            or not isinstance(location, str)
            or location.startswith(_FIREFOX_BUILT_IN_PREFIXES)
        ):
            continue
        yield ident, _firefox_name(info, languages)


def _firefox_name(info: dict[str, Any], languages: list[str]) -> str:
    locales = info.get("locales")
    for language in languages:
        for entry in locales if isinstance(locales, list) else []:
            tags = _dict(entry).get("locales")
            if isinstance(tags, list) and any(
                isinstance(tag, str) and tag.lower() == language for tag in tags
            ):
                name = _text(_dict(entry).get("name"))
                if name:
                    return name
    return _text(_dict(info.get("defaultLocale")).get("name"))


# -- all of it ---------------------------------------------------------------------------
def installed_extensions(
    machine: Machine, languages: Iterable[str] = ()
) -> list[InstalledExtension]:
    """The extensions in every profile of every browser detected on ``machine``, one entry
    per (family, id), names in the first of ``languages`` an extension has (Chromium
    locale folder names such as ``zh_CN``), sorted by name."""
    languages = list(languages)
    found: dict[tuple[str, str], InstalledExtension] = {}
    for browser in BROWSERS:
        if not detect(browser, machine).found:
            continue
        for root in profile_roots(browser, machine):
            if browser.family == CHROMIUM:
                profiles = chromium_profiles(root)
            else:
                profiles = firefox_profiles(root)
            for folder, profile_name in profiles:
                if browser.family == CHROMIUM:
                    extensions = chromium_extensions(folder, languages)
                elif browser.family == FIREFOX:
                    extensions = firefox_extensions(folder, languages)
                else:
                    continue
                for ident, name in extensions:
                    item = found.setdefault(
                        (browser.family, ident), InstalledExtension(browser.family, ident)
                    )
                    item.name = item.name or name
                    place = f"{browser.label} ({profile_name})"
                    if place not in item.places:
                        item.places.append(place)
    return sorted(found.values(), key=lambda item: (item.name.casefold() or "\uffff", item.id))
