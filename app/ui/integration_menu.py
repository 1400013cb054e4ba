"""The tray's "Browser integration ▸" submenu: each detected browser with its state (a
checked item is registered; click to register or remove), "Install for all detected" and
"Remove all". The menu re-reads the machine each time it opens."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QMenu, QWidget

from app.integration import flatpak, manifests
from app.integration.browsers import BROWSERS, Browser, Machine, ManifestLocation, detect
from app.integration.install import Action, current_machine, install, targets_for, uninstall
from app.integration.manifests import ManifestProblem
from app.system import settings

log = logging.getLogger(__name__)

REGISTERED = "registered"
NOT_REGISTERED = "not registered"
NEEDS_REPAIR = "needs repair"


def browser_state(browser: Browser, machine: Machine, config: settings.Settings, host: Path) -> str:
    """REGISTERED, NOT_REGISTERED or NEEDS_REPAIR (a manifest of ours that is stale), over
    every place install writes for it (its user folder, inside its Flatpak)."""
    detection = detect(browser, machine)
    targets, _notes = targets_for(detection, machine, named=not detection.found)
    states = {_location_state(location, config, host) for location in targets}
    if not states or states == {NOT_REGISTERED}:
        return NOT_REGISTERED
    return REGISTERED if states == {REGISTERED} else NEEDS_REPAIR


def _location_state(location: ManifestLocation, config: settings.Settings, host: Path) -> str:
    browser = location.browser
    if location.host_dir is not None:
        host = location.host_dir / flatpak.LAUNCHER
    try:
        manifest = manifests.read_manifest(location.path, browser.family)
    except ManifestProblem:
        return NEEDS_REPAIR if manifests.is_ours(location.path) else NOT_REGISTERED
    if manifest is None:
        return NOT_REGISTERED
    expected = {ext.id for ext in config.allowed(browser.family)}
    host_ok = manifest.path == str(host) and os.access(manifest.path, os.X_OK)
    if not host_ok or set(manifest.allowed(browser.family)) != expected:
        return NEEDS_REPAIR
    return REGISTERED


class IntegrationMenu(QMenu):
    """Built by :func:`build_integration_menu`; ``finished`` carries a one-line summary of
    what an item did (the tray may show it as a notification)."""

    finished = Signal(str)

    def __init__(
        self,
        parent: QWidget | None = None,
        machine: Callable[[], Machine] = current_machine,
        host: Callable[[], Path] = manifests.host_path,
    ) -> None:
        super().__init__("Browser integration", parent)
        self._machine = machine
        self._host = host
        self.aboutToShow.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        self.clear()
        try:
            config = settings.load()
            machine = self._machine()
            host = self._host()
        except (settings.SettingsError, OSError) as error:
            problem = self.addAction(f"Cannot read the settings: {error}")
            problem.setEnabled(False)
            return
        detected = 0
        for browser in BROWSERS:
            detection = detect(browser, machine)
            if not detection.found:
                continue
            detected += 1
            if detection.executable is None and not any(
                sandbox.served(browser) for sandbox in detection.sandboxes
            ):
                kinds = " and ".join(s.kind.capitalize() for s in detection.sandboxes)
                item = self.addAction(f"{browser.label} — {kinds}: cannot connect")
                item.setEnabled(False)
                item.setToolTip(detection.sandboxes[0].advice(browser))
                continue
            state = browser_state(browser, machine, config, host)
            item = self.addAction(f"{browser.label} — {state}")
            item.setCheckable(True)
            item.setChecked(state != NOT_REGISTERED)
            item.setObjectName(f"browser-{browser.name}")
            item.triggered.connect(lambda checked, b=browser, s=state: self._toggle(b, s, checked))
        if detected == 0:
            none = self.addAction("No browser found")
            none.setEnabled(False)
        self.addSeparator()
        self.install_all = self.addAction("&Install for all detected")
        self.install_all.triggered.connect(lambda: self._run(None, install_=True))
        self.remove_all = self.addAction("&Remove all")
        self.remove_all.triggered.connect(lambda: self._run(None, install_=False))

    def _toggle(self, browser: Browser, state: str, checked: bool) -> None:
        # A stale manifest is repaired by installing again, whatever the click did.
        self._run([browser], install_=checked or state == NEEDS_REPAIR)

    def _run(self, browsers: list[Browser] | None, install_: bool) -> None:
        try:
            config = settings.load()
            machine = self._machine()
            if install_:
                actions = install(machine, config, self._host(), browsers)
            else:
                before = list(config.user_data_dirs)
                actions = uninstall(machine, config, browsers)
                if config.user_data_dirs != before:
                    settings.save(config)
        except (settings.SettingsError, OSError) as error:
            log.error("browser integration failed: %s", error)
            self.finished.emit(f"Browser integration failed: {error}")
            self.refresh()
            return
        for action in actions:
            log.info("browser integration: %s", action.line())
        self.finished.emit(summary(actions, install_))
        self.refresh()


def summary(actions: list[Action], installed: bool) -> str:
    done = [a.browser for a in actions if a.what in ("wrote", "unchanged", "removed")]
    failed = [f"{a.browser} ({a.detail})" for a in actions if a.what == "failed"]
    verb = "Registered with" if installed else "Removed from"
    text = f"{verb} {', '.join(done)}." if done else "Nothing to do."
    if failed:
        text += f" Failed: {'; '.join(failed)}."
    return text


def build_integration_menu(parent: QWidget | None = None) -> QMenu:
    """The "Browser integration ▸" submenu for the tray."""
    return IntegrationMenu(parent)
