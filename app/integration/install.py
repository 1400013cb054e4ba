"""Writing and removing our manifests (and Windows registry values, and the host copies
Flatpak browsers run), per user or system-wide, and repairing stale ones when the app
starts. Every function reports what it did as ``Action`` lines."""

from __future__ import annotations

import errno
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from app.core.files import write_atomically
from app.integration import flatpak, manifests
from app.integration.browsers import (
    BROWSERS,
    WINDOWS,
    Browser,
    Detection,
    Machine,
    ManifestLocation,
    Sandbox,
    detect,
    flatpak_location,
    profile_location,
    system_targets,
    user_location,
)
from app.system import folders, settings
from app.system.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Action:
    """One line of what install/uninstall/repair did (or could not do, and why)."""

    browser: str
    """Whom it was for: a browser's name, "chrome (flatpak)", "profile"."""
    what: str
    """"wrote", "unchanged", "repaired", "removed", "absent", "skipped", "failed"."""
    detail: str
    """What the line says after the browser: where, or why."""
    path: Path | None = None
    """The manifest acted on, when there is one."""

    def line(self) -> str:
        return f"{self.what:<9}  {self.browser:<13}  {self.detail}"


def reason(error: OSError, path: Path | None = None) -> str:
    """An ``OSError`` as a user reads it: the file, then what happened, no traceback. A
    temporary file's name is replaced by ``path``, the file being written."""
    what = {
        errno.ENOSPC: "the disk is full",
        errno.EDQUOT: "the disk quota is used up",
        errno.EROFS: "the file system is read-only",
        errno.EACCES: "permission denied",
        errno.EPERM: "not permitted",
    }.get(error.errno or 0, error.strerror or str(error))
    where = error.filename
    if path is not None and (where is None or str(where).endswith(".tmp")):
        where = path
    return f"{where}: {what}" if where and str(where) not in what else what


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
        if location.scope == "profile":
            # Only the profile's own folder: a mistyped --user-data-dir creates nothing.
            location.path.parent.mkdir(mode=0o755, exist_ok=True)
        else:
            location.path.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
        write_atomically(location.path, text.encode("utf-8"), mode=0o644)
    if location.registry_key is not None:
        registry = machine.registry
        if registry is None:
            raise OSError("no registry to register the manifest in")
        if registry.get(location.registry_key) != str(location.path):
            registry.set(location.registry_key, str(location.path))
            unchanged = False
    return "unchanged" if unchanged else "wrote"


def write_location(
    location: ManifestLocation, host: Path, config: Settings, machine: Machine
) -> str:
    """Write what ``location`` needs: its manifest and, for a Flatpak, the host copy its
    manifest names (after checking the sandbox's folder). "wrote" or "unchanged"."""
    if location.sandbox is None:
        return write_manifest(location, host, config, machine)
    flatpak.checked_app_folder(location.sandbox.ident, machine, create=True)
    folder = location.host_dir
    assert folder is not None
    copy = flatpak.write_copy(folder)
    what = write_manifest(location, folder / flatpak.LAUNCHER, config, machine)
    return "wrote" if "wrote" in (copy, what) else "unchanged"


def _where(location: ManifestLocation) -> str:
    where = str(location.path)
    if location.registry_key:
        where += f" ({location.hive}\\{location.registry_key})"
    if location.host_dir is not None:
        where = f"in its Flatpak: {where}, host copy {location.host_dir}"
    return where


def _write_all(
    targets: list[ManifestLocation], host: Path, config: Settings, machine: Machine
) -> list[Action]:
    actions: list[Action] = []
    for location in targets:
        try:
            what = write_location(location, host, config, machine)
        except OSError as error:
            failure = reason(error, location.path)
            actions.append(Action(location.subject, "failed", failure, location.path))
            continue
        actions.append(Action(location.subject, what, _where(location), location.path))
    return actions


def targets_for(
    detection: Detection, machine: Machine, named: bool
) -> tuple[list[ManifestLocation], list[Action]]:
    """Where install writes for one browser: its user folder when it is installed natively
    (or ``named``) or reached through a portal that reads that folder; inside each Flatpak
    that can be served there. A sandbox that cannot be served is an Action saying so."""
    browser = detection.browser
    targets: list[ManifestLocation] = []
    notes: list[Action] = []
    wants_user = detection.executable is not None or named
    for sandbox in detection.sandboxes:
        if sandbox.in_sandbox(browser):
            targets.append(flatpak_location(browser, sandbox, machine))
        if sandbox.portal(browser):
            wants_user = True
        if not sandbox.served(browser):
            notes.append(Action(browser.name, "skipped", sandbox.advice(browser)))
    if wants_user:
        location = user_location(browser, machine)
        if location is None:
            notes.append(
                Action(browser.name, "skipped", f"{browser.label} does not exist on this platform")
            )
        else:
            targets.insert(0, location)
    return targets, notes


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
            if named is not None and detection.browser not in named:
                continue
            found, notes = targets_for(detection, machine, named is not None)
            targets += found
            actions += notes
    return actions + _write_all(targets, host, config, machine)


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


def flatpak_locations(browser: Browser, machine: Machine) -> list[ManifestLocation]:
    """Where a Flatpak of ``browser`` would have our manifest, installed now or not."""
    linux = browser.linux
    if linux is None or not linux.flatpak or not linux.flatpak_dir:
        return []
    return [flatpak_location(browser, Sandbox("flatpak", linux.flatpak), machine)]


def _remove_flatpak(location: ManifestLocation, machine: Machine) -> str:
    sandbox, folder = location.sandbox, location.host_dir
    assert sandbox is not None
    assert folder is not None
    try:
        flatpak.checked_app_folder(sandbox.ident, machine, create=False)
    except FileNotFoundError:
        return "absent"
    except flatpak.SandboxFolderProblem:
        # Not ours to touch; say so only when something of ours is there.
        if manifests.is_ours(location.path) or flatpak.is_our_copy(folder):
            raise
        return "absent"
    what = remove_manifest(location, machine)
    if flatpak.remove_copy(folder):
        what = "removed"
    return what


def uninstall(
    machine: Machine, config: Settings, browsers: Iterable[Browser] | None = None
) -> list[Action]:
    """Remove our manifests (and host copies) for ``browsers`` (default: all, and every
    recorded profile)."""
    actions: list[Action] = []
    chosen = list(browsers) if browsers is not None else list(BROWSERS)
    for browser in chosen:
        user = user_location(browser, machine)
        for location in [*([user] if user else []), *flatpak_locations(browser, machine)]:
            try:
                if location.sandbox is not None:
                    what = _remove_flatpak(location, machine)
                else:
                    what = remove_manifest(location, machine)
            except OSError as error:
                actions.append(Action(location.subject, "failed", reason(error)))
                continue
            if what == "removed" or (browsers is not None and location.sandbox is None):
                actions.append(Action(location.subject, what, _where(location)))
    if browsers is None:  # a profile folder belongs to no one browser: only "remove all"
        for folder in list(config.user_data_dirs):
            location = profile_location(Path(folder))
            try:
                what = remove_manifest(location, machine)
            except OSError as error:
                actions.append(Action("profile", "failed", reason(error)))
                continue
            config.user_data_dirs.remove(folder)
            actions.append(Action("profile", what, str(location.path)))
    return actions


def owned_locations(machine: Machine, config: Settings) -> list[ManifestLocation]:
    """Every location where a manifest of ours exists now (a Flatpak's only when its
    folder can be trusted)."""
    found: list[ManifestLocation] = []
    for browser in BROWSERS:
        location = user_location(browser, machine)
        if location is not None and manifests.is_ours(location.path):
            found.append(location)
        for inside in flatpak_locations(browser, machine):
            assert inside.sandbox is not None
            try:
                flatpak.checked_app_folder(inside.sandbox.ident, machine, create=False)
            except OSError:
                continue
            if manifests.is_ours(inside.path):
                found.append(inside)
    for folder in config.user_data_dirs:
        location = profile_location(Path(folder))
        if manifests.is_ours(location.path):
            found.append(location)
    return found


def served_flatpaks(machine: Machine) -> dict[str, str]:
    """The Flatpak browsers the app listens for, in their sandboxes' runtime folders:
    app id → browser family, for each Flatpak browser found whose own folder holds a
    manifest of ours (what ``install`` wrote there, in a folder that can be trusted)."""
    wanted: dict[str, str] = {}
    for detection in detect_all(machine):
        browser = detection.browser
        for sandbox in detection.sandboxes:
            if not sandbox.in_sandbox(browser):
                continue
            try:
                flatpak.checked_app_folder(sandbox.ident, machine, create=False)
            except OSError:
                continue
            if manifests.is_ours(flatpak_location(browser, sandbox, machine).path):
                wanted[sandbox.ident] = browser.family
    return wanted


def repair(machine: Machine, config: Settings, host: Path) -> list[Action]:
    """Rewrite our manifests whose host path or allowed list is stale (the bundle moved or
    was upgraded, or the allowed list changed), and host copies that differ from this
    version's. Logs each repair."""
    actions: list[Action] = []
    for location in owned_locations(machine, config):
        before = _manifest_path_field(location.path)
        try:
            what = write_location(location, host, config, machine)
        except OSError as error:
            failure = reason(error, location.path)
            log.warning("cannot repair %s", failure)
            actions.append(Action(location.subject, "failed", failure, location.path))
            continue
        if what == "wrote":
            log.info(
                "repaired the %s manifest %s%s (host was %s, now %s)",
                location.browser.label,
                location.path,
                " and the host copy in its Flatpak" if location.sandbox is not None else "",
                before,
                _manifest_path_field(location.path),
            )
            actions.append(Action(location.subject, "repaired", _where(location), location.path))
    return actions


def serve_new_flatpaks(machine: Machine, config: Settings, host: Path) -> list[Action]:
    """Serve Flatpak browsers installed since the user last registered Bridgekeeper (only
    when a manifest of ours exists somewhere: the user opted in)."""
    owned = owned_locations(machine, config)
    if not owned:
        return []
    have = {location.path for location in owned}
    targets = []
    for detection in detect_all(machine):
        for sandbox in detection.sandboxes:
            if sandbox.in_sandbox(detection.browser):
                location = flatpak_location(detection.browser, sandbox, machine)
                if location.path not in have:
                    targets.append(location)
    actions = _write_all(targets, host, config, machine)
    for action in actions:
        log.info("a Flatpak browser found since the last install: %s", action.line())
    return actions


def install_system(
    machine: Machine, config: Settings, host: Path, browsers: Iterable[Browser] | None = None
) -> list[Action]:
    """``install --system``: a manifest in each system-wide place of ``browsers`` (default:
    every supported one), allowing what ``config`` allows (the policy's extensions).
    Browsers that share a place share one file."""
    actions: list[Action] = []
    targets: list[ManifestLocation] = []
    seen: set[Path] = set()
    nowhere: list[str] = []
    for browser in browsers if browsers is not None else BROWSERS:
        found = system_targets(browser, machine)
        if not found:
            nowhere.append(browser.name)
        for location in found:
            if location.path not in seen:
                seen.add(location.path)
                targets.append(location)
    actions += _write_all(targets, host, config, machine)
    if nowhere:
        actions.append(
            Action(
                "others",
                "skipped",
                f"no system-wide place known for {', '.join(nowhere)}: each user runs "
                "`bridgekeeper install`",
            )
        )
    return actions


def uninstall_system(machine: Machine, browsers: Iterable[Browser] | None = None) -> list[Action]:
    """``uninstall --system``: remove our manifests (and HKLM keys) from the system-wide
    places; another host's file of our name stays."""
    actions: list[Action] = []
    seen: set[Path] = set()
    for browser in browsers if browsers is not None else BROWSERS:
        for location in system_targets(browser, machine):
            if location.path in seen:
                continue
            seen.add(location.path)
            try:
                what = remove_manifest(location, machine)
            except OSError as error:
                actions.append(Action(browser.name, "failed", reason(error), location.path))
                continue
            if what == "removed":
                actions.append(Action(browser.name, what, _where(location), location.path))
    return actions


def _manifest_path_field(path: Path) -> str:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return str(data.get("path", "?")) if isinstance(data, dict) else "?"
    except (OSError, ValueError):
        return "?"


def repair_at_start() -> None:
    """The app's start-up check: repair stale manifests and host copies, and serve Flatpak
    browsers installed since; never stops the app from starting."""
    try:
        machine = current_machine()
        config = settings.load()
        owned = owned_locations(machine, config)
        if owned:
            host = manifests.host_path()
            repair(machine, config, host)
            serve_new_flatpaks(machine, config, host)
    except (OSError, settings.SettingsError) as error:
        log.warning("could not check the browser manifests: %s", error)
