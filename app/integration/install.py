"""Writing and removing our manifests (and Windows registry values), and repairing stale
ones when the app starts. Every function reports what it did as ``Action`` lines."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from app.core.files import write_atomically
from app.integration import manifests
from app.integration.browsers import (
    BROWSERS,
    WINDOWS,
    Browser,
    Detection,
    Machine,
    ManifestLocation,
    detect,
    profile_location,
    user_location,
)
from app.system import folders, settings
from app.system.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Action:
    """One line of what install/uninstall/repair did (or could not do, and why)."""

    browser: str
    what: str
    """"wrote", "unchanged", "repaired", "removed", "absent", "skipped", "failed"."""
    detail: str
    """What the line says after the browser: where, or why."""
    path: Path | None = None
    """The manifest acted on, when there is one."""

    def line(self) -> str:
        return f"{self.what:<9}  {self.browser:<13}  {self.detail}"


def current_machine() -> Machine:
    manifests_dir = (
        folders.data_dir() / "manifests" if Machine.current().platform == WINDOWS else None
    )
    return Machine.current(manifests_dir)


def detect_all(machine: Machine) -> list[Detection]:
    return [detect(browser, machine) for browser in BROWSERS]


def write_manifest(
    location: ManifestLocation, host: Path, config: Settings, machine: Machine
) -> str:
    """Write one manifest (idempotent); "wrote" or "unchanged"."""
    family = location.browser.family
    text = manifests.manifest_text(manifests.manifest_for(family, host, config.allowed(family)))
    try:
        unchanged = location.path.read_text(encoding="utf-8") == text
    except OSError:
        unchanged = False
    if not unchanged:
        location.path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(location.path, text.encode("utf-8"), mode=0o644)
    if location.registry_key is not None:
        registry = machine.registry
        if registry is None:
            raise OSError("no registry to register the manifest in")
        if registry.get(location.registry_key) != str(location.path):
            registry.set(location.registry_key, str(location.path))
            unchanged = False
    return "unchanged" if unchanged else "wrote"


def install(
    machine: Machine,
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
        for detection in detect_all(machine):
            browser = detection.browser
            if named is not None and browser not in named:
                continue
            for sandbox in detection.sandboxes:
                actions.append(Action(browser.name, "skipped", sandbox.advice(browser)))
            if detection.executable is None and named is None:
                continue  # not installed (or only sandboxed: said above)
            location = user_location(browser, machine)
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
            what = write_manifest(location, host, config, machine)
        except OSError as error:
            actions.append(Action(name, "failed", f"{location.path}: {error}", location.path))
            continue
        where = str(location.path)
        if location.registry_key:
            where += f" (HKCU\\{location.registry_key})"
        actions.append(Action(name, what, where, location.path))
    return actions


def remove_manifest(location: ManifestLocation, machine: Machine) -> str:
    """Remove our manifest at ``location``; a file of another host stays. "removed"/"absent"."""
    removed = False
    key, registry = location.registry_key, machine.registry
    if key is not None and registry is not None and registry.get(key) == str(location.path):
        registry.delete(key)
        removed = True
    if manifests.is_ours(location.path):
        location.path.unlink()
        removed = True
    return "removed" if removed else "absent"


def uninstall(
    machine: Machine, config: Settings, browsers: Iterable[Browser] | None = None
) -> list[Action]:
    """Remove our manifests for ``browsers`` (default: all, and every recorded profile)."""
    actions: list[Action] = []
    chosen = list(browsers) if browsers is not None else list(BROWSERS)
    for browser in chosen:
        location = user_location(browser, machine)
        if location is None:
            continue
        try:
            what = remove_manifest(location, machine)
        except OSError as error:
            actions.append(Action(browser.name, "failed", f"{location.path}: {error}"))
            continue
        if what == "removed" or browsers is not None:
            actions.append(Action(browser.name, what, str(location.path)))
    if browsers is None:  # a profile folder belongs to no one browser: only "remove all"
        for folder in list(config.user_data_dirs):
            location = profile_location(Path(folder))
            try:
                what = remove_manifest(location, machine)
            except OSError as error:
                actions.append(Action("profile", "failed", f"{location.path}: {error}"))
                continue
            config.user_data_dirs.remove(folder)
            actions.append(Action("profile", what, str(location.path)))
    return actions


def owned_locations(machine: Machine, config: Settings) -> list[ManifestLocation]:
    """Every location where a manifest of ours exists now."""
    found: list[ManifestLocation] = []
    for browser in BROWSERS:
        location = user_location(browser, machine)
        if location is not None and manifests.is_ours(location.path):
            found.append(location)
    for folder in config.user_data_dirs:
        location = profile_location(Path(folder))
        if manifests.is_ours(location.path):
            found.append(location)
    return found


def repair(machine: Machine, config: Settings, host: Path) -> list[Action]:
    """Rewrite our manifests whose host path or allowed list is stale (the bundle moved or
    was upgraded, or the allowed list changed). Logs each repair."""
    actions: list[Action] = []
    for location in owned_locations(machine, config):
        before = _manifest_path_field(location.path)
        try:
            what = write_manifest(location, host, config, machine)
        except OSError as error:
            log.warning("cannot repair %s: %s", location.path, error)
            actions.append(Action(location.browser.name, "failed", str(error), location.path))
            continue
        if what == "wrote":
            log.info(
                "repaired the %s manifest %s (host was %s, now %s)",
                location.browser.label,
                location.path,
                before,
                host,
            )
            actions.append(
                Action(location.browser.name, "repaired", str(location.path), location.path)
            )
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
        machine = current_machine()
        config = settings.load()
        owned = owned_locations(machine, config)
        if owned:
            repair(machine, config, manifests.host_path())
    except (OSError, settings.SettingsError) as error:
        log.warning("could not check the browser manifests: %s", error)
