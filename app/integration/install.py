"""Writing and removing our manifests (and Windows registry values), and repairing stale
ones when the app starts. Every function reports what it did as ``Action`` lines."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from app.integration import manifests
from app.integration.browsers import (
    BROWSERS,
    WINDOWS,
    Browser,
    Detection,
    ManifestLocation,
    System,
    detect,
    profile_location,
    user_location,
)
from app.system import folders, settings
from app.system.settings import Settings, write_atomically

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Action:
    """One line of what install/uninstall/repair did (or could not do, and why)."""

    browser: str
    what: str
    """"wrote", "unchanged", "removed", "absent", "skipped", "failed"."""
    detail: str

    def line(self) -> str:
        return f"{self.what:<9}  {self.browser:<13}  {self.detail}"


def current_system() -> System:
    manifests_dir = (
        folders.data_dir() / "manifests" if System.current().platform == WINDOWS else None
    )
    return System.current(manifests_dir)


def detect_all(system: System) -> list[Detection]:
    return [detect(browser, system) for browser in BROWSERS]


def write_manifest(location: ManifestLocation, host: Path, config: Settings, system: System) -> str:
    """Write one manifest (idempotent); "wrote" or "unchanged"."""
    family = location.browser.family
    text = manifests.manifest_text(manifests.manifest_for(family, host, config.allowed(family)))
    try:
        unchanged = location.path.read_text(encoding="utf-8") == text
    except OSError:
        unchanged = False
    if not unchanged:
        write_atomically(location.path, text)
    if location.registry_key is not None:
        registry = system.registry
        if registry is None:
            raise OSError("no registry to register the manifest in")
        if registry.get(location.registry_key) != str(location.path):
            registry.set(location.registry_key, str(location.path))
            unchanged = False
    return "unchanged" if unchanged else "wrote"


def install(
    system: System,
    config: Settings,
    host: Path,
    browsers: Iterable[Browser] | None = None,
    user_data_dir: Path | None = None,
) -> list[Action]:
    """Write manifests for ``browsers`` (default: every detected one) or for one
    ``--user-data-dir`` profile. ``config`` must already hold the allowed extensions."""
    actions: list[Action] = []
    targets: list[ManifestLocation] = []
    if user_data_dir is not None:
        # Every Chromium-family browser reads the same <dir>/NativeMessagingHosts folder.
        first = next(iter(browsers or ()), None)
        targets.append(profile_location(user_data_dir, first))
    else:
        named = list(browsers) if browsers is not None else None
        for detection in detect_all(system):
            browser = detection.browser
            if named is not None and browser not in named:
                continue
            for sandbox in detection.sandboxes:
                actions.append(Action(browser.name, "skipped", sandbox.advice(browser)))
            if detection.executable is None and named is None:
                continue  # not installed (or only sandboxed: said above)
            location = user_location(browser, system)
            if location is None:
                actions.append(
                    Action(
                        browser.name, "skipped", f"{browser.label} does not exist on this platform"
                    )
                )
                continue
            targets.append(location)
    for location in targets:
        name = location.browser.name if location.scope != "profile" else "profile"
        try:
            what = write_manifest(location, host, config, system)
        except OSError as error:
            actions.append(Action(name, "failed", f"{location.path}: {error}"))
            continue
        where = str(location.path)
        if location.registry_key:
            where += f" (HKCU\\{location.registry_key})"
        actions.append(Action(name, what, where))
    return actions


def remove_manifest(location: ManifestLocation, system: System) -> str:
    """Remove our manifest at ``location``; a file of another host stays. "removed"/"absent"."""
    removed = False
    key, registry = location.registry_key, system.registry
    if key is not None and registry is not None and registry.get(key) == str(location.path):
        registry.delete(key)
        removed = True
    if manifests.is_ours(location.path):
        location.path.unlink()
        removed = True
    return "removed" if removed else "absent"


def uninstall(
    system: System, config: Settings, browsers: Iterable[Browser] | None = None
) -> list[Action]:
    """Remove our manifests for ``browsers`` (default: all, and every recorded profile)."""
    actions: list[Action] = []
    chosen = list(browsers) if browsers is not None else list(BROWSERS)
    for browser in chosen:
        location = user_location(browser, system)
        if location is None:
            continue
        try:
            what = remove_manifest(location, system)
        except OSError as error:
            actions.append(Action(browser.name, "failed", f"{location.path}: {error}"))
            continue
        if what == "removed" or browsers is not None:
            actions.append(Action(browser.name, what, str(location.path)))
    if browsers is None:  # a profile folder belongs to no one browser: only "remove all"
        for folder in list(config.user_data_dirs):
            location = profile_location(Path(folder))
            try:
                what = remove_manifest(location, system)
            except OSError as error:
                actions.append(Action("profile", "failed", f"{location.path}: {error}"))
                continue
            config.user_data_dirs.remove(folder)
            actions.append(Action("profile", what, str(location.path)))
    return actions


def owned_locations(system: System, config: Settings) -> list[ManifestLocation]:
    """Every location where a manifest of ours exists now."""
    found: list[ManifestLocation] = []
    for browser in BROWSERS:
        location = user_location(browser, system)
        if location is not None and manifests.is_ours(location.path):
            found.append(location)
    for folder in config.user_data_dirs:
        location = profile_location(Path(folder))
        if manifests.is_ours(location.path):
            found.append(location)
    return found


def repair(system: System, config: Settings, host: Path) -> list[Action]:
    """Rewrite our manifests whose host path or allowed list is stale (the bundle moved or
    was upgraded, or the allowed list changed). Logs each repair."""
    actions: list[Action] = []
    for location in owned_locations(system, config):
        before = _manifest_path_field(location.path)
        try:
            what = write_manifest(location, host, config, system)
        except OSError as error:
            log.warning("cannot repair %s: %s", location.path, error)
            actions.append(Action(location.browser.name, "failed", str(error)))
            continue
        if what == "wrote":
            log.info(
                "repaired the %s manifest %s (host was %s, now %s)",
                location.browser.label,
                location.path,
                before,
                host,
            )
            actions.append(Action(location.browser.name, "repaired", str(location.path)))
    return actions


def _manifest_path_field(path: Path) -> str:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return str(data.get("path", "?")) if isinstance(data, dict) else "?"
    except (OSError, ValueError):
        return "?"


def repair_at_start() -> None:
    """The app's start-up check: repair stale manifests; never stops the app from starting."""
    try:
        system = current_system()
        config = settings.load()
        owned = owned_locations(system, config)
        if owned:
            repair(system, config, manifests.host_path())
    except (OSError, settings.SettingsError) as error:
        log.warning("could not check the browser manifests: %s", error)
