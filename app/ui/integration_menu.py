"""The tray's "Browser integration ▸" submenu: each detected browser with its state (a
checked item is registered; click to register, or to remove after a question), "Install
for all detected" and "Remove all". The menu re-reads the machine each time it opens."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import QMenu, QMessageBox, QWidget

from app.integration import flatpak, manifests
from app.integration.browsers import (
    BROWSERS,
    BY_NAME,
    Browser,
    Machine,
    ManifestLocation,
    detect,
)
from app.integration.install import Action, current_machine, install, targets_for, uninstall
from app.integration.manifests import ManifestProblem
from app.system import settings

log = logging.getLogger(__name__)
translate = QCoreApplication.translate

REGISTERED = "registered"
NOT_REGISTERED = "not registered"
NEEDS_REPAIR = "needs repair"
NOTHING_ALLOWED = "nothing allowed"
"""Registered, but no extension of the browser's family is allowed: nothing can use it."""


def state_text(state: str) -> str:
    return {
        REGISTERED: translate("IntegrationMenu", "registered"),
        NOT_REGISTERED: translate("IntegrationMenu", "not registered"),
        NEEDS_REPAIR: translate("IntegrationMenu", "needs repair"),
        NOTHING_ALLOWED: translate("IntegrationMenu", "registered, no extension allowed"),
    }[state]


def browser_state(browser: Browser, machine: Machine, config: settings.Settings, host: Path) -> str:
    """REGISTERED, NOT_REGISTERED, NEEDS_REPAIR (a manifest of ours that is stale) or
    NOTHING_ALLOWED (ours and current, but it allows no extension), over every place
    install writes for it (its user folder, inside its Flatpak)."""
    detection = detect(browser, machine)
    targets, _notes = targets_for(detection, machine, named=not detection.found)
    states = {_location_state(location, config, host) for location in targets}
    if not states or states == {NOT_REGISTERED}:
        return NOT_REGISTERED
    if len(states) == 1 and states <= {REGISTERED, NOTHING_ALLOWED}:
        return states.pop()
    return NEEDS_REPAIR


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
    return REGISTERED if expected else NOTHING_ALLOWED


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
        super().__init__(translate("IntegrationMenu", "Browser integration"), parent)
        self._machine = machine
        self._host = host
        self.question: QMessageBox | None = None
        self.aboutToShow.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        self.clear()
        try:
            config = settings.load()
            machine = self._machine()
            host = self._host()
        except (settings.SettingsError, OSError) as error:
            problem = self.addAction(
                translate("IntegrationMenu", "Cannot read the settings: {error}").format(
                    error=error
                )
            )
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
                kinds = ", ".join(s.kind.capitalize() for s in detection.sandboxes)
                item = self.addAction(
                    translate("IntegrationMenu", "{browser} — {sandbox}: cannot connect").format(
                        browser=browser.label, sandbox=kinds
                    )
                )
                item.setEnabled(False)
                item.setToolTip(detection.sandboxes[0].advice(browser))
                continue
            state = browser_state(browser, machine, config, host)
            item = self.addAction(
                translate("IntegrationMenu", "{browser} — {state}").format(
                    browser=browser.label, state=state_text(state)
                )
            )
            if state == NOTHING_ALLOWED:
                item.setToolTip(
                    translate(
                        "IntegrationMenu",
                        "No {family} extension is allowed: add one in Allowed extensions…",
                    ).format(family=browser.label)
                )
            item.setCheckable(True)
            item.setChecked(state != NOT_REGISTERED)
            item.setObjectName(f"browser-{browser.name}")
            item.triggered.connect(lambda checked, b=browser, s=state: self._toggle(b, s, checked))
        if detected == 0:
            none = self.addAction(translate("IntegrationMenu", "No browser found"))
            none.setEnabled(False)
        self.addSeparator()
        self.install_all = self.addAction(translate("IntegrationMenu", "&Install for all detected"))
        self.install_all.triggered.connect(lambda: self._run(None, install_=True))
        self.remove_all = self.addAction(translate("IntegrationMenu", "&Remove all"))
        self.remove_all.triggered.connect(self._remove_all)

    def _toggle(self, browser: Browser, state: str, checked: bool) -> None:
        # A stale manifest is repaired by installing again, whatever the click did.
        install_ = checked or state == NEEDS_REPAIR
        if not install_ and not self.confirm_remove(
            translate("IntegrationMenu", "Remove Bridgekeeper from {browser}?").format(
                browser=browser.label
            ),
            translate(
                "IntegrationMenu",
                "Extensions in {browser} will no longer reach Bridgekeeper until you "
                "register it again.",
            ).format(browser=browser.label),
        ):
            self.refresh()  # the click unchecked it: show the state as it is
            return
        self._run([browser], install_=install_)

    def _remove_all(self) -> None:
        if self.confirm_remove(
            translate("IntegrationMenu", "Remove Bridgekeeper from every browser?"),
            translate(
                "IntegrationMenu",
                "No extension will reach Bridgekeeper until you register it again.",
            ),
        ):
            self._run(None, install_=False)

    def confirm_remove(self, question: str, consequence: str) -> bool:
        """Ask before a removal; Cancel is the default. (``question`` holds the box while
        it is open.)"""
        box = QMessageBox()
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(translate("IntegrationMenu", "Browser integration — Bridgekeeper"))
        box.setText(question)
        box.setInformativeText(consequence)
        remove = box.addButton(
            translate("IntegrationMenu", "&Remove"), QMessageBox.ButtonRole.DestructiveRole
        )
        cancel = box.addButton(
            translate("IntegrationMenu", "&Cancel"), QMessageBox.ButtonRole.RejectRole
        )
        box.setDefaultButton(cancel)
        box.setEscapeButton(cancel)
        self.question = box
        box.exec()
        self.question = None
        return box.clickedButton() is remove

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
            self.finished.emit(
                translate("IntegrationMenu", "Browser integration failed: {error}").format(
                    error=error
                )
            )
            self.refresh()
            return
        for action in actions:
            log.info("browser integration: %s", action.line())
        self.finished.emit(summary(actions, install_))
        self.refresh()


def _label(name: str) -> str:
    """A browser as people write it ("Firefox"), from its name in the table."""
    browser = BY_NAME.get(name)
    if browser is not None:
        return browser.label
    return translate("IntegrationMenu", "a profile folder") if name == "profile" else name


def summary(actions: list[Action], installed: bool) -> str:
    done = [_label(a.browser) for a in actions if a.what in ("wrote", "unchanged", "removed")]
    failed = [f"{_label(a.browser)} ({a.detail})" for a in actions if a.what == "failed"]
    if done:
        verb = (
            translate("IntegrationMenu", "Registered with {browsers}.")
            if installed
            else translate("IntegrationMenu", "Removed from {browsers}.")
        )
        text = verb.format(browsers=", ".join(done))
    else:
        text = translate("IntegrationMenu", "Nothing to do.")
    if failed:
        text += " " + translate("IntegrationMenu", "Failed: {failures}.").format(
            failures="; ".join(failed)
        )
    return text


def build_integration_menu(parent: QWidget | None = None) -> QMenu:
    """The "Browser integration ▸" submenu for the tray."""
    return IntegrationMenu(parent)
