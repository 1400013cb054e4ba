"""The tray's windows: "Remembered decisions…" (list, forget one, forget all), "Activity…"
(recent requests and their outcomes) and About. Views over app.core objects; what an
extension wrote goes through ``neutralise`` (item views never render rich text)."""

from __future__ import annotations

import html
import logging
import platform
import time
from collections.abc import Callable
from pathlib import Path

import PySide6
from PySide6.QtCore import QCoreApplication, Qt, qVersion
from PySide6.QtGui import QPalette, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app import __version__
from app.core.activity import ACTIVITY_LIMIT, ActivityEntry, ActivityLog
from app.core.decisions import DecisionStore
from app.core.sites import site_claim
from app.core.text import neutralise
from app.ui.colors import readable, with_visible_fields
from app.ui.widgets import (
    APP_NAME,
    browser_text,
    family_text,
    fit_to_width,
    load_icon,
    remember_locked_text,
    text_label,
)

log = logging.getLogger(__name__)
translate = QCoreApplication.translate

HOMEPAGE = "https://bridgekeeper.org"
LICENCE = "MIT"
NAME_COLUMN_WIDTH = 200
"""Extension and site columns start at most this wide (the user may widen them)."""

Names = Callable[[str, str], str]
"""The install-time name of an extension from its (family, id), "" when it has none."""


def cell(text: str) -> str:
    """Untrusted text for a one-line table cell."""
    return neutralise(text, multiline=False)


def site_cell(site: str) -> str:
    """A claimed site for a table: a host with letters beyond ASCII in its ``xn--`` form
    first, so that no lookalike reads as the site it imitates."""
    claim = site_claim(site)
    if not claim.ascii:
        return cell(site)
    return translate("windows", "{ascii} (shown as {site})").format(
        ascii=claim.ascii, site=cell(claim.text)
    )


def when(stamp: float) -> str:
    """A time: the clock alone for today, with the date before."""
    local = time.localtime(stamp)
    if time.strftime("%Y-%m-%d", local) == time.strftime("%Y-%m-%d"):
        return time.strftime("%H:%M:%S", local)
    return time.strftime("%Y-%m-%d %H:%M", local)


def window_title(name: str) -> str:
    return translate("windows", "{window} — Bridgekeeper").format(window=name)


def request_text(kind: str) -> str:
    """A request type as the windows name it."""
    names = {
        "confirm": translate("windows", "Confirmation"),
        "choose": translate("windows", "Choice"),
        "prompt": translate("windows", "Text entry"),
        "notify": translate("windows", "Notification"),
        "secret.get": translate("windows", "Read a secret"),
        "secret.set": translate("windows", "Store a secret"),
        "secret.delete": translate("windows", "Delete a secret"),
    }
    return names.get(kind, kind)


def outcome_text(outcome: str, reason: str) -> str:
    """How a request ended, in words: "Denied (no answer in time)"."""
    outcomes = {
        "allow": translate("windows", "Allowed"),
        "deny": translate("windows", "Denied"),
        "submit": translate("windows", "Answered"),
        "cancel": translate("windows", "Cancelled"),
        "cancelled": translate("windows", "Withdrawn by the browser"),
        "busy": translate("windows", "Refused: too many waiting"),
        "shown": translate("windows", "Shown"),
        "not shown": translate("windows", "Not shown"),
    }
    reasons = {
        "remembered": translate("windows", "remembered"),
        "timeout": translate("windows", "no answer in time"),
        "paused": translate("windows", "paused"),
        "closed": translate("windows", "window closed"),
    }
    text = outcomes.get(outcome, outcome)
    if reason in reasons:
        text = translate("windows", "{outcome} ({reason})").format(
            outcome=text, reason=reasons[reason]
        )
    return text


def extension_cell(name: str, ident: str) -> str:
    return cell(name) if name else cell(ident)


def extension_tooltip(name: str, ident: str, browser: str) -> str:
    lines = [cell(name)] if name else []
    lines.append(translate("windows", "ID: {id}").format(id=cell(ident)))
    if browser:
        lines.append(translate("windows", "Browser: {browser}").format(browser=browser))
    return "\n".join(lines)


COLUMN_PADDING = 16
"""Room between one column's text and the next column's."""


def fit_column(table: QTreeWidget, column: int, at_most: int = 0) -> None:
    """``column`` as wide as its widest text plus some room (no wider than ``at_most``)."""
    table.resizeColumnToContents(column)
    width = table.columnWidth(column) + COLUMN_PADDING
    table.setColumnWidth(column, min(width, at_most) if at_most else width)


def buttons_row(*buttons: QPushButton, close: QPushButton) -> QHBoxLayout:
    row = QHBoxLayout()
    for button in buttons:
        row.addWidget(button)
    row.addStretch(1)
    row.addWidget(close)
    return row


class DecisionsWindow(QWidget):
    """The remembered decisions; forgetting one means the next request asks again."""

    def __init__(
        self,
        store: DecisionStore,
        names: Names = lambda _family, _ident: "",
        remember_locked: Callable[[], bool] = lambda: False,
    ) -> None:
        super().__init__(None)
        self._store = store
        self._names = names
        self._remember_locked = remember_locked
        self.setWindowTitle(window_title(translate("DecisionsWindow", "Remembered decisions")))
        self.setWindowIcon(load_icon())
        self.resize(900, 380)
        layout = QVBoxLayout(self)
        self.summary = text_label("")
        layout.addWidget(self.summary)
        self.table = QTreeWidget()
        self.columns = [
            translate("DecisionsWindow", "Extension"),
            translate("DecisionsWindow", "Request"),
            translate("DecisionsWindow", "For"),
            translate("DecisionsWindow", "Site"),
            translate("DecisionsWindow", "Decision"),
            translate("DecisionsWindow", "Since"),
        ]
        self.table.setHeaderLabels(self.columns)
        self.table.setRootIsDecorated(False)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAllColumnsShowFocus(True)
        layout.addWidget(self.table, 1)
        self.forget_button = QPushButton(translate("DecisionsWindow", "&Forget selected"))
        self.forget_all_button = QPushButton(translate("DecisionsWindow", "Forget &all"))
        self.close_button = QPushButton(translate("DecisionsWindow", "&Close"))
        layout.addLayout(
            buttons_row(self.forget_button, self.forget_all_button, close=self.close_button)
        )
        self.forget_button.clicked.connect(self.forget_selected)
        self.forget_all_button.clicked.connect(self.forget_all)
        self.close_button.clicked.connect(self.close)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        store.changed.add(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        self.table.clear()
        remembered = self._store.all()
        for entry in remembered:
            key = entry.key
            try:
                name = self._names(key.family, key.extension)
            except Exception:
                log.exception("looking up an extension's name failed")
                name = ""
            decision = (
                translate("DecisionsWindow", "Always allow")
                if entry.decision == "allow"
                else translate("DecisionsWindow", "Always deny")
            )
            item = QTreeWidgetItem(
                [
                    extension_cell(name, key.extension),
                    request_text(key.type),
                    cell(key.action),
                    site_cell(key.site) or translate("DecisionsWindow", "(no site)"),
                    decision,
                    when(entry.created),
                ]
            )
            item.setToolTip(0, extension_tooltip(name, key.extension, family_text(key.family)))
            item.setData(0, Qt.ItemDataRole.UserRole, key.short_id)
            self.table.addTopLevelItem(item)
        for column in range(len(self.columns) - 1):  # the last one takes the rest
            fit_column(self.table, column)
        count = len(remembered)
        text = (
            translate(
                "DecisionsWindow",
                "Remembered decisions: {count}. Requests they cover are answered without asking.",
            ).format(count=count)
            if count
            else translate("DecisionsWindow", "No remembered decisions: every request asks you.")
        )
        if self._remember_locked():
            # The policy's lock, shown rather than hidden: what is listed is not used.
            text = (
                remember_locked_text()
                + " "
                + translate(
                    "DecisionsWindow",
                    "The decisions listed here are not used; every request asks you.",
                )
            )
        if self._store.problem:
            text += "\n" + self._store.problem
        self.summary.setText(text)
        self._update_buttons()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()  # the policy may have changed since it was last shown

    def _update_buttons(self) -> None:
        self.forget_button.setEnabled(bool(self.table.selectedItems()))
        self.forget_all_button.setEnabled(self.table.topLevelItemCount() > 0)

    def forget_selected(self) -> None:
        keys = [str(item.data(0, Qt.ItemDataRole.UserRole)) for item in self.table.selectedItems()]
        for key in keys:
            self._store.forget(key)
        log.info("forgot %d remembered decision(s) from the tray", len(keys))

    def forget_all(self) -> None:
        count = self._store.forget_all()
        log.info("forgot all %d remembered decisions from the tray", count)


class ActivityWindow(QWidget):
    """The recent requests, newest first, with a filter; values typed or stored are never
    in it. Who asked is one column (the name, or the id when it has none); the id and the
    browser are in its tooltip."""

    TITLE_COLUMN = 4

    def __init__(self, activity: ActivityLog) -> None:
        super().__init__(None)
        self.setWindowTitle(window_title(translate("ActivityWindow", "Activity")))
        self.setPalette(with_visible_fields(self.palette()))
        self.setWindowIcon(load_icon())
        self.resize(980, 420)
        layout = QVBoxLayout(self)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText(
            translate("ActivityWindow", "Filter by extension, site, request, title or outcome")
        )
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._apply_filter)
        filter_label = QLabel(translate("ActivityWindow", "&Filter:"))
        filter_label.setBuddy(self.filter)
        row = QHBoxLayout()
        row.addWidget(filter_label)
        row.addWidget(self.filter, 1)
        layout.addLayout(row)
        self.table = QTreeWidget()
        self.columns = [
            translate("ActivityWindow", "Time"),
            translate("ActivityWindow", "Extension"),
            translate("ActivityWindow", "Site"),
            translate("ActivityWindow", "Request"),
            translate("ActivityWindow", "Title"),
            translate("ActivityWindow", "Outcome"),
        ]
        self.table.setHeaderLabels(self.columns)
        self.table.setRootIsDecorated(False)
        self.table.setAllColumnsShowFocus(True)
        self.table.setUniformRowHeights(True)
        layout.addWidget(self.table, 1)
        self.close_button = QPushButton(translate("ActivityWindow", "&Close"))
        self.close_button.clicked.connect(self.close)
        layout.addLayout(buttons_row(close=self.close_button))
        for entry in activity.entries():
            self.add(entry)
        activity.recorded.add(self.add)
        self._size_columns()

    def _size_columns(self) -> None:
        """Every column in view at the default size: the title takes what is left."""
        header = self.table.header()
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(60)
        for column in range(len(self.columns)):
            fit_column(self.table, column, NAME_COLUMN_WIDTH if column in (1, 2) else 0)
        header.setSectionResizeMode(self.TITLE_COLUMN, QHeaderView.ResizeMode.Stretch)

    def add(self, entry: ActivityEntry) -> None:
        browser = browser_text(entry.browser, entry.family)
        item = QTreeWidgetItem(
            [
                when(entry.time),
                extension_cell(entry.extension_name, entry.extension_id),
                site_cell(entry.site),
                request_text(entry.type),
                cell(entry.title),
                outcome_text(entry.outcome, entry.reason),
            ]
        )
        item.setToolTip(
            1, extension_tooltip(entry.extension_name, entry.extension_id, cell(browser))
        )
        item.setToolTip(2, site_cell(entry.site))
        item.setToolTip(4, cell(entry.title))
        self.table.insertTopLevelItem(0, item)
        while self.table.topLevelItemCount() > ACTIVITY_LIMIT:
            self.table.takeTopLevelItem(self.table.topLevelItemCount() - 1)
        self._filter_item(item, self.filter.text())

    def _apply_filter(self, text: str) -> None:
        for row in range(self.table.topLevelItemCount()):
            found = self.table.topLevelItem(row)
            if found is not None:
                self._filter_item(found, text)

    def _filter_item(self, item: QTreeWidgetItem, text: str) -> None:
        needle = text.strip().casefold()
        haystack = [item.text(column).casefold() for column in range(len(self.columns))]
        haystack.append(item.toolTip(1).casefold())
        item.setHidden(bool(needle) and not any(needle in part for part in haystack))


class AboutWindow(QDialog):
    """About Bridgekeeper: what it is, its version and those of what it runs on, its
    licence and home page, and where its log is."""

    def __init__(self, log_folder: Path, open_folder: Callable[[], None]) -> None:
        super().__init__(None)
        self.setWindowTitle(window_title(translate("AboutWindow", "About")))
        self.setWindowIcon(load_icon())
        self.setModal(False)
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        header = QHBoxLayout()
        icon = QLabel()
        icon.setPixmap(load_icon().pixmap(64, 64))
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        header.addWidget(icon)
        title = text_label(f"{APP_NAME} {__version__}", bold=True)
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        title.setFont(font)
        heading = QVBoxLayout()
        heading.addWidget(title)
        heading.addWidget(
            text_label(
                translate(
                    "AboutWindow",
                    "A desktop companion for browser extensions: prompts the web page cannot "
                    "see or click, and secrets kept in the system keychain.",
                )
            )
        )
        header.addLayout(heading, 1)
        layout.addLayout(header)
        self.link = QLabel(f'<a href="{HOMEPAGE}">{html.escape(HOMEPAGE)}</a>')
        self.link.setTextFormat(Qt.TextFormat.RichText)
        self.link.setOpenExternalLinks(True)
        palette = self.link.palette()
        background = palette.color(QPalette.ColorRole.Window)
        palette.setColor(
            QPalette.ColorRole.Link, readable(palette.color(QPalette.ColorRole.Link), background)
        )
        self.link.setPalette(palette)
        self.link.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        layout.addWidget(self.link)
        self.licence = text_label(
            translate(
                "AboutWindow",
                "Free software under the {licence} licence: use, change and share it.",
            ).format(licence=LICENCE)
        )
        layout.addWidget(self.licence)
        self.versions = text_label(
            translate("AboutWindow", "Runs on Python {python}, Qt {qt}, PySide6 {pyside}.").format(
                python=platform.python_version(), qt=qVersion(), pyside=PySide6.__version__
            ),
            muted=True,
        )
        self.versions.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.versions)
        self.log_label = text_label(
            translate("AboutWindow", "Log folder: {folder}").format(folder=log_folder)
        )
        self.log_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.log_label)
        self.open_log_button = QPushButton(translate("AboutWindow", "&Open log folder"))
        self.open_log_button.clicked.connect(open_folder)
        self.close_button = QPushButton(translate("AboutWindow", "&Close"))
        self.close_button.setDefault(True)
        self.close_button.clicked.connect(self.close)
        layout.addLayout(buttons_row(self.open_log_button, close=self.close_button))
        fit_to_width(self, 480)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.close_button.setFocus()
