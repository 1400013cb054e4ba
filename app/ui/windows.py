"""The tray's windows: "Remembered decisions…" (list, forget one, forget all) and
"Activity…" (recent requests and their outcomes). Views over app.core objects."""

from __future__ import annotations

import logging
import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.activity import ACTIVITY_LIMIT, ActivityEntry, ActivityLog
from app.core.decisions import DecisionStore
from app.core.text import neutralise

log = logging.getLogger(__name__)


def _cell(text: str) -> str:
    """Untrusted text for a one-line table cell (item views never render rich text)."""
    return neutralise(text, multiline=False)


def _when(stamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(stamp))


class DecisionsWindow(QWidget):
    """The remembered decisions; forgetting one means the next request asks again."""

    COLUMNS = ("Extension", "Browser", "Request", "Action", "Site", "Decision", "Since", "Key")

    def __init__(self, store: DecisionStore) -> None:
        super().__init__(None)
        self._store = store
        self.setWindowTitle("Bridgekeeper: remembered decisions")
        self.resize(980, 360)
        layout = QVBoxLayout(self)
        self.summary = QLabel()
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.table = QTreeWidget()
        self.table.setHeaderLabels(list(self.COLUMNS))
        self.table.setRootIsDecorated(False)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAllColumnsShowFocus(True)
        layout.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        self.forget_button = QPushButton("&Forget selected")
        self.forget_all_button = QPushButton("Forget &all")
        self.close_button = QPushButton("&Close")
        buttons.addWidget(self.forget_button)
        buttons.addWidget(self.forget_all_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout.addLayout(buttons)
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
            item = QTreeWidgetItem(
                [
                    _cell(key.extension),
                    key.family,
                    key.type,
                    _cell(key.action),
                    _cell(key.site) or "(any)",
                    entry.decision,
                    _when(entry.created),
                    key.short_id,
                ]
            )
            item.setData(0, Qt.ItemDataRole.UserRole, key.short_id)
            self.table.addTopLevelItem(item)
        for column in range(len(self.COLUMNS)):
            self.table.resizeColumnToContents(column)
        count = len(remembered)
        text = (
            f"{count} remembered decision{'s' if count != 1 else ''}. Requests they cover "
            "are answered without asking."
            if count
            else "No remembered decisions: every request asks you."
        )
        if self._store.problem:
            text += f"\n{self._store.problem}"
        self.summary.setText(text)
        self._update_buttons()

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
    """The recent requests, newest first; values typed or stored are never in it."""

    COLUMNS = ("Time", "Browser", "Extension", "Request", "Title", "Outcome", "Reason")

    def __init__(self, activity: ActivityLog) -> None:
        super().__init__(None)
        self.setWindowTitle("Bridgekeeper: activity")
        self.resize(980, 400)
        layout = QVBoxLayout(self)
        self.table = QTreeWidget()
        self.table.setHeaderLabels(list(self.COLUMNS))
        self.table.setRootIsDecorated(False)
        self.table.setAllColumnsShowFocus(True)
        layout.addWidget(self.table, 1)
        row = QHBoxLayout()
        self.close_button = QPushButton("&Close")
        self.close_button.clicked.connect(self.close)
        row.addStretch(1)
        row.addWidget(self.close_button)
        layout.addLayout(row)
        for entry in activity.entries():
            self.add(entry)
        activity.recorded.add(self.add)
        for column in range(len(self.COLUMNS) - 1):
            self.table.resizeColumnToContents(column)

    def add(self, entry: ActivityEntry) -> None:
        name = _cell(entry.extension_name)
        extension = f"{name} ({entry.extension_id})" if name else _cell(entry.extension_id)
        item = QTreeWidgetItem(
            [
                _when(entry.time),
                _cell(entry.browser),
                extension,
                entry.type,
                _cell(entry.title),
                entry.outcome,
                entry.reason,
            ]
        )
        self.table.insertTopLevelItem(0, item)
        while self.table.topLevelItemCount() > ACTIVITY_LIMIT:
            self.table.takeTopLevelItem(self.table.topLevelItemCount() - 1)
