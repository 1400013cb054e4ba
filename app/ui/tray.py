"""The tray icon and its menu (SPEC "Tray menu"), and tray notifications.

A view over the prompt queue: the icon and status line follow ``PromptQueue.on_change``;
menu items call the queue, the decision store, autostart. Where the desktop has no system
tray the app keeps serving requests and says so once in the log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QIcon
from PySide6.QtWidgets import QApplication, QMenu, QMessageBox, QSystemTrayIcon, QWidget

from app import __version__
from app.core.activity import ActivityLog
from app.core.decisions import DecisionStore
from app.core.queue import PromptQueue
from app.core.text import neutralise
from app.system import folders
from app.system.autostart import Autostart, AutostartError
from app.system.resources import MissingAsset, icon_files
from app.ui.integration_menu import IntegrationMenu
from app.ui.windows import ActivityWindow, DecisionsWindow

log = logging.getLogger(__name__)

NO_TRAY_MESSAGE = (
    "This desktop has no system tray: Bridgekeeper keeps answering requests and shows "
    "their dialogs, but has no tray icon or menu (use `bridgekeeper pause` / `resume` and "
    "`bridgekeeper decisions`)."
)


def load_icon(state: str = "") -> QIcon:
    icon = QIcon()
    try:
        for path in icon_files(state):
            icon.addFile(str(path))
    except MissingAsset as error:
        log.error("%s", error)
    return icon


def notification_text(text: str) -> str:
    """Untrusted text for a tray notification. Notification servers may render markup and
    Qt's fallback balloon guesses rich text, so angle brackets become look-alikes."""
    return neutralise(text).replace("<", "\u2039").replace(">", "\u203a")


class Tray(QObject):
    """The tray icon (when the desktop has a tray) and its menu."""

    def __init__(
        self,
        queue: PromptQueue,
        decisions: DecisionStore,
        activity: ActivityLog,
        autostart: Autostart,
        integration_menu: Callable[[QWidget | None], QMenu] | None = None,
    ) -> None:
        super().__init__()
        self._queue = queue
        self._decisions = decisions
        self._activity = activity
        self._autostart = autostart
        self._icons = {state: load_icon(state) for state in ("", "waiting", "paused")}
        self.decisions_window: DecisionsWindow | None = None
        self.activity_window: ActivityWindow | None = None
        self.about_box: QMessageBox | None = None
        self.menu = QMenu()
        self._build_menu(integration_menu)

        self.icon: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.icon = QSystemTrayIcon(self._icons[""], self)
            self.icon.setContextMenu(self.menu)
            self.icon.activated.connect(self._on_activated)
            self.icon.messageClicked.connect(self.show_waiting)
            self.icon.show()
        else:
            log.warning("%s", NO_TRAY_MESSAGE)
        queue.on_change(self.refresh)
        self.refresh()

    def _build_menu(self, integration_menu: Callable[[QWidget | None], QMenu] | None) -> None:
        """The items in the SPEC's order; each mnemonic is unique in the menu."""
        self.status_action = self.menu.addAction("Bridgekeeper")
        self.status_action.setEnabled(False)
        self.menu.addSeparator()
        self.show_action = self.menu.addAction("&Show waiting requests")
        self.show_action.triggered.connect(self.show_waiting)
        self.pause_action = self.menu.addAction("&Pause prompts")
        self.pause_action.setCheckable(True)
        self.pause_action.toggled.connect(self._queue.set_paused)
        self.menu.addSeparator()
        self.decisions_action = self.menu.addAction("&Remembered decisions…")
        self.decisions_action.triggered.connect(self.show_decisions)
        self.activity_action = self.menu.addAction("&Activity…")
        self.activity_action.triggered.connect(self.show_activity)
        self.integration_menu: QMenu | None = None
        if integration_menu is not None:
            self.integration_menu = integration_menu(None)
            self.integration_menu.setTitle("&Browser integration")
            self.menu.addMenu(self.integration_menu)
            if isinstance(self.integration_menu, IntegrationMenu):
                self.integration_menu.finished.connect(self._integration_done)
        self.menu.addSeparator()
        self.autostart_action = self.menu.addAction("Start at &login")
        self.autostart_action.setCheckable(True)
        self.autostart_action.setChecked(self._autostart.is_enabled())
        self.autostart_action.toggled.connect(self._set_autostart)
        self.log_action = self.menu.addAction("Open log &folder")
        self.log_action.triggered.connect(self.open_log_folder)
        self.about_action = self.menu.addAction("Ab&out")
        self.about_action.triggered.connect(self.show_about)
        self.menu.addSeparator()
        self.quit_action: QAction = self.menu.addAction("&Quit")
        self.quit_action.triggered.connect(QApplication.quit)

    # -- state ---------------------------------------------------------------------------
    def status_text(self) -> str:
        if self._queue.paused:
            return "Bridgekeeper: paused"
        waiting = self._queue.pending
        return f"Bridgekeeper: {waiting} waiting" if waiting else "Bridgekeeper: running"

    def state(self) -> str:
        """The icon shown: "paused", "waiting" or "" (idle)."""
        if self._queue.paused:
            return "paused"
        return "waiting" if self._queue.pending else ""

    def refresh(self) -> None:
        text = self.status_text()
        self.status_action.setText(text)
        self.show_action.setEnabled(self._queue.pending > 0)
        if self.pause_action.isChecked() != self._queue.paused:
            self.pause_action.blockSignals(True)
            self.pause_action.setChecked(self._queue.paused)
            self.pause_action.blockSignals(False)
        if self.icon is not None:
            self.icon.setIcon(self._icons[self.state()])
            self.icon.setToolTip(text)

    # -- actions -------------------------------------------------------------------------
    def notify(self, title: str, message: str) -> bool:
        """A tray notification; False when this desktop cannot show one."""
        if self.icon is None or not QSystemTrayIcon.supportsMessages():
            return False
        self.icon.showMessage(
            notification_text(title), notification_text(message), self._icons[""], 10_000
        )
        return True

    def _integration_done(self, summary: str) -> None:
        self.notify("Browser integration", summary)

    def show_waiting(self) -> None:
        # A dialog that is shown but refused the focus is reported by the presenter.
        if not self._queue.bring_forward() and self._queue.pending:
            self.notify(
                "Bridgekeeper",
                f"{self._queue.pending} request(s) wait, but their dialog could not be "
                "brought forward.",
            )

    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger and self._queue.pending:
            self.show_waiting()

    def show_decisions(self) -> None:
        if self.decisions_window is None:
            self.decisions_window = DecisionsWindow(self._decisions)
        self._present(self.decisions_window)

    def show_activity(self) -> None:
        if self.activity_window is None:
            self.activity_window = ActivityWindow(self._activity)
        self._present(self.activity_window)

    def show_about(self) -> None:
        if self.about_box is None:
            box = QMessageBox()
            box.setWindowTitle("About Bridgekeeper")
            box.setIconPixmap(load_icon().pixmap(64, 64))
            box.setText(
                f"Bridgekeeper {__version__}\n\nA desktop companion for browser extensions: "
                "prompts the page cannot see, secrets in the system keychain."
            )
            box.setModal(False)
            self.about_box = box
        self._present(self.about_box)

    def open_log_folder(self) -> None:
        folder = folders.log_dir()
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
            log.warning("could not open the log folder %s", folder)
            self.notify("Bridgekeeper", f"The log folder is {folder}")

    def _set_autostart(self, enabled: bool) -> None:
        try:
            if enabled:
                self._autostart.enable()
            else:
                self._autostart.disable()
            log.info("start at login %s (%s)", "on" if enabled else "off", self._autostart.location)
        except AutostartError as error:
            log.error("%s", error)
            self.notify("Start at login could not be changed", str(error))
        actual = self._autostart.is_enabled()
        if actual != enabled:
            self.autostart_action.blockSignals(True)
            self.autostart_action.setChecked(actual)
            self.autostart_action.blockSignals(False)

    @staticmethod
    def _present(window: QWidget) -> None:
        window.show()
        window.raise_()
        window.activateWindow()

    def close(self) -> None:
        if self.icon is not None:
            self.icon.hide()
        for window in (self.decisions_window, self.activity_window, self.about_box):
            if window is not None:
                window.close()
