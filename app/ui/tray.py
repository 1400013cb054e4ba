"""The tray (SPEC "Tray menu"): ``TrayIcon``, the icon and its notifications, and
``Tray``, the menu and the windows it opens.

The tray is a view over the prompt queue: the composition root calls ``Tray.refresh``
when the queue changes and connects the tray's signals to the icon; menu items call the
queue, the decision store, autostart. Where the desktop has no system tray the app keeps
serving requests and says so once in the log. The windows' modules are imported when
first opened: the icon comes up with the app's first dialog, the menu after it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QObject, Qt, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QMenu,
    QStyle,
    QSystemTrayIcon,
    QWidget,
    QWidgetAction,
)

from app.core.activity import ActivityLog
from app.core.blocking import BlockingRunner
from app.core.decisions import DecisionStore
from app.core.queue import PromptQueue
from app.core.text import neutralise
from app.system import folders
from app.system.autostart import Autostart, AutostartError
from app.ui.widgets import APP_NAME, load_icon

if TYPE_CHECKING:
    from app.ui.extensions_window import AllowedExtensionsWindow
    from app.ui.windows import AboutWindow, ActivityWindow, DecisionsWindow, Names

log = logging.getLogger(__name__)
translate = QCoreApplication.translate

NO_TRAY_MESSAGE = (
    "This desktop has no system tray: Bridgekeeper keeps answering requests and shows "
    "their dialogs, but has no tray icon or menu (use `bridgekeeper pause` / `resume` and "
    "`bridgekeeper decisions`)."
)


def pause_locked_text() -> str:
    """Why "Pause prompts" is greyed out when the policy locks it."""
    return translate("Tray", "Your administrator's policy does not allow pausing prompts.")


def notification_text(text: str) -> str:
    """Untrusted text for a tray notification. Notification servers may render markup and
    Qt's fallback balloon guesses rich text, so angle brackets become look-alikes."""
    return neutralise(text).replace("<", "\u2039").replace(">", "\u203a")


class TrayIcon(QObject):
    """The icon in the system tray, when the desktop has one, and tray notifications.
    ``clicked`` and ``message_clicked`` say the user wants the waiting request."""

    clicked = Signal()
    message_clicked = Signal()

    def __init__(self) -> None:
        super().__init__()
        self._icons = {state: load_icon(state) for state in ("", "waiting", "paused")}
        self.icon: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.icon = QSystemTrayIcon(self._icons[""], self)
            self.icon.activated.connect(self._on_activated)
            self.icon.messageClicked.connect(self.message_clicked)
            self.icon.show()
        else:
            log.warning("%s", NO_TRAY_MESSAGE)

    def set_menu(self, menu: QMenu) -> None:
        if self.icon is not None:
            self.icon.setContextMenu(menu)

    def show_state(self, state: str, text: str) -> None:
        """Show ``state`` ("", "waiting" or "paused") with ``text`` as the tooltip."""
        if self.icon is not None:
            self.icon.setIcon(self._icons[state])
            self.icon.setToolTip(text)

    def notify(self, title: str, message: str) -> bool:
        """A tray notification; False when this desktop cannot show one."""
        if self.icon is None or not QSystemTrayIcon.supportsMessages():
            return False
        self.icon.showMessage(
            notification_text(title), notification_text(message), self._icons[""], 10_000
        )
        return True

    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self.clicked.emit()

    def close(self) -> None:
        if self.icon is not None:
            self.icon.hide()


class Tray(QObject):
    """The tray's menu and the windows it opens. ``state_changed(state, text)`` carries
    what the icon shows; ``notice(title, message)`` what the tray tells the user.
    ``runner`` reads the browsers' profiles for "Allowed extensions…" off the GUI
    thread; ``names(family, id)`` is an extension's install-time name."""

    state_changed = Signal(str, str)
    notice = Signal(str, str)

    def __init__(
        self,
        queue: PromptQueue,
        decisions: DecisionStore,
        activity: ActivityLog,
        autostart: Autostart,
        runner: BlockingRunner,
        *,
        integration_menu: Callable[[QWidget | None], QMenu] | None = None,
        names: Names = lambda _family, _ident: "",
    ) -> None:
        super().__init__()
        self._queue = queue
        self._decisions = decisions
        self._activity = activity
        self._autostart = autostart
        self._runner = runner
        self._names = names
        self.decisions_window: DecisionsWindow | None = None
        self.activity_window: ActivityWindow | None = None
        self.extensions_window: AllowedExtensionsWindow | None = None
        self.about_box: AboutWindow | None = None
        self.menu = QMenu()
        self._build_menu(integration_menu)
        self.refresh()

    def _build_menu(self, integration_menu: Callable[[QWidget | None], QMenu] | None) -> None:
        """The items in the SPEC's order; each mnemonic is unique in the menu."""
        # The status line is a label, not a disabled item: disabled text is drawn faint,
        # and "requests are being denied" must be read.
        self.status_label = QLabel(APP_NAME)
        self.status_label.setObjectName("status")
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)
        font = self.status_label.font()
        font.setBold(True)
        self.status_label.setFont(font)
        margin = self.menu.style().pixelMetric(QStyle.PixelMetric.PM_MenuHMargin) + 8
        self.status_label.setContentsMargins(margin, 4, margin, 4)
        self.status_action = QWidgetAction(self.menu)
        self.status_action.setDefaultWidget(self.status_label)
        self.menu.addAction(self.status_action)
        self.menu.addSeparator()
        self.show_action = self.menu.addAction(translate("Tray", "&Show waiting requests"))
        self.show_action.triggered.connect(self.show_waiting)
        self.pause_action = self.menu.addAction(translate("Tray", "&Pause prompts"))
        self.pause_action.setCheckable(True)
        self.pause_action.toggled.connect(self._queue.set_paused)
        self.menu.setToolTipsVisible(True)  # a control the policy locks says so
        self.menu.aboutToShow.connect(self.refresh)  # the policy may have changed
        self.menu.addSeparator()
        self.decisions_action = self.menu.addAction(translate("Tray", "&Remembered decisions…"))
        self.decisions_action.triggered.connect(self.show_decisions)
        self.activity_action = self.menu.addAction(translate("Tray", "&Activity…"))
        self.activity_action.triggered.connect(self.show_activity)
        self.extensions_action = self.menu.addAction(translate("Tray", "All&owed extensions…"))
        self.extensions_action.triggered.connect(self.show_extensions)
        self.integration_menu: QMenu | None = None
        if integration_menu is not None:
            from app.ui.integration_menu import IntegrationMenu

            self.integration_menu = integration_menu(None)
            self.integration_menu.setTitle(translate("Tray", "&Browser integration"))
            self.menu.addMenu(self.integration_menu)
            if isinstance(self.integration_menu, IntegrationMenu):
                self.integration_menu.finished.connect(self._integration_done)
        self.menu.addSeparator()
        self.autostart_action = self.menu.addAction(translate("Tray", "Start at &login"))
        self.autostart_action.setCheckable(True)
        self.autostart_action.setChecked(self._autostart.is_enabled())
        self.autostart_action.toggled.connect(self._set_autostart)
        self.log_action = self.menu.addAction(translate("Tray", "Open log &folder"))
        self.log_action.triggered.connect(self.open_log_folder)
        self.about_action = self.menu.addAction(translate("Tray", "Abou&t"))
        self.about_action.triggered.connect(self.show_about)
        self.menu.addSeparator()
        self.quit_action: QAction = self.menu.addAction(translate("Tray", "&Quit"))
        self.quit_action.triggered.connect(QApplication.quit)

    # -- state ---------------------------------------------------------------------------
    def status_text(self) -> str:
        if self._queue.paused:
            return translate("Tray", "Bridgekeeper: paused, requests are being denied")
        waiting = self._queue.pending
        if waiting:
            return translate("Tray", "Bridgekeeper: {count} waiting").format(count=waiting)
        return translate("Tray", "Bridgekeeper: running")

    def state(self) -> str:
        """The icon shown: "paused", "waiting" or "" (idle)."""
        if self._queue.paused:
            return "paused"
        return "waiting" if self._queue.pending else ""

    def refresh(self) -> None:
        """Follow the queue: status line, items, and (through ``state_changed``) the icon."""
        text = self.status_text()
        self.status_action.setText(text)
        self.status_label.setText(text)
        self.show_action.setEnabled(self._queue.pending > 0)
        if self.pause_action.isChecked() != self._queue.paused:
            self.pause_action.blockSignals(True)
            self.pause_action.setChecked(self._queue.paused)
            self.pause_action.blockSignals(False)
        locked = self._queue.pause_locked
        self.pause_action.setEnabled(not locked)
        self.pause_action.setToolTip(pause_locked_text() if locked else "")
        self.state_changed.emit(self.state(), text)

    # -- actions -------------------------------------------------------------------------
    def _integration_done(self, summary: str) -> None:
        self.notice.emit(translate("Tray", "Browser integration"), summary)

    def show_waiting(self) -> None:
        """Bring the waiting request's dialog forward (nothing when none waits)."""
        # A dialog that is shown but refused the focus is reported by the presenter.
        if not self._queue.bring_forward() and self._queue.pending:
            self.notice.emit(
                APP_NAME,
                translate(
                    "Tray",
                    "Requests are waiting ({count}), but their dialog could not be brought "
                    "forward.",
                ).format(count=self._queue.pending),
            )

    def show_decisions(self) -> None:
        if self.decisions_window is None:
            from app.ui.windows import DecisionsWindow

            queue = self._queue  # not self: a cycle through a Qt object may be collected
            # by the garbage collector on another thread, which PySide cannot survive
            self.decisions_window = DecisionsWindow(
                self._decisions, self._names, lambda: queue.remember_locked
            )
        self._present(self.decisions_window)

    def show_activity(self) -> None:
        if self.activity_window is None:
            from app.ui.windows import ActivityWindow

            self.activity_window = ActivityWindow(self._activity)
        self._present(self.activity_window)

    def show_extensions(self) -> None:
        if self.extensions_window is None:
            from app.ui.extensions_window import AllowedExtensionsWindow

            self.extensions_window = AllowedExtensionsWindow(self._runner)
        self._present(self.extensions_window)

    def show_about(self) -> None:
        if self.about_box is None:
            from app.ui.windows import AboutWindow

            self.about_box = AboutWindow(folders.log_dir(), self.open_log_folder)
        self._present(self.about_box)

    def open_log_folder(self) -> None:
        folder = folders.log_dir()
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
            log.warning("could not open the log folder %s", folder)
            self.notice.emit(
                APP_NAME, translate("Tray", "The log folder is {folder}").format(folder=folder)
            )

    def _set_autostart(self, enabled: bool) -> None:
        try:
            if enabled:
                self._autostart.enable()
            else:
                self._autostart.disable()
            log.info("start at login %s (%s)", "on" if enabled else "off", self._autostart.location)
        except AutostartError as error:
            log.error("%s", error)
            self.notice.emit(translate("Tray", "Start at login could not be changed"), str(error))
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
        windows = (
            self.decisions_window,
            self.activity_window,
            self.extensions_window,
            self.about_box,
        )
        for window in windows:
            if window is not None:
                window.close()
