"""The tray and its windows over the real core (queue, decisions, activity), offscreen:
the menu, the status line, Activity, Remembered decisions, About, and the presenter and
queue together (deny all from one extension, dialogs that keep their size and place)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel, QMenu, QTreeWidget, QTreeWidgetItem
from pytestqt.qtbot import QtBot

from app.core.activity import ActivityLog
from app.core.decisions import DecisionKey, DecisionStore
from app.core.dispatch import Dispatcher
from app.core.handlers.prompts import register_prompts
from app.core.queue import PromptQueue
from app.qt.timers import QtScheduler
from app.qt.worker import ThreadRunner
from app.ui.dialogs import DialogPresenter
from app.ui.tray import Tray, TrayIcon, notification_text
from host.caller import Caller
from tests.qt.conftest import BASE
from tests.support.widget_checks import clipped

pytestmark = pytest.mark.qt_log_ignore(
    "does not support propagateSizeHints", "does not support raise"
)


# -- the tray and its windows over the real queue (offscreen: no system tray) ----------
class RecordingClient:
    """A host connection as the dispatcher sees it; keeps the replies it is sent."""

    def __init__(self, client_id: int = 1, extension: str = BASE.extension_id) -> None:
        self.replies: list[dict[str, Any]] = []
        self._id = client_id
        self._caller = Caller("chromium", extension, "Chromium")

    @property
    def client_id(self) -> int:
        return self._id

    @property
    def caller(self) -> Caller:
        return self._caller

    def send_reply(self, seq: int, payload: bytes) -> None:
        self.replies.append(json.loads(payload))


class FakeAutostart:
    """A FAKE start-at-login setting (the real ones are tested in test_autostart.py)."""

    location = "nowhere"

    def __init__(self) -> None:
        self.enabled = False

    def is_enabled(self) -> bool:
        return self.enabled

    def enable(self) -> None:
        self.enabled = True

    def disable(self) -> None:
        self.enabled = False


@dataclass
class Running:
    dispatcher: Dispatcher
    queue: PromptQueue
    store: DecisionStore
    activity: ActivityLog
    presenter: DialogPresenter
    tray: Tray
    icon: TrayIcon
    client: RecordingClient

    def ask(self, client: RecordingClient | None = None, **request: object) -> None:
        payload = json.dumps({"id": 1, "type": "confirm", "title": "Allow?", **request})
        self.dispatcher.handle(client or self.client, 1, payload.encode())


@pytest.fixture
def running(qtbot: QtBot, tmp_path: Path) -> Iterator[Running]:
    """The core (real Dispatcher, PromptQueue, DecisionStore, ActivityLog) with the real
    presenter and tray, as app.main wires them."""
    dispatcher = Dispatcher(lambda _caller: True)
    store = DecisionStore(tmp_path)
    activity = ActivityLog()
    presenter = DialogPresenter()
    queue = PromptQueue(presenter, QtScheduler(), store, activity)
    icon = TrayIcon()
    runner = ThreadRunner()
    tray = Tray(
        queue,
        store,
        activity,
        FakeAutostart(),
        runner,
        names=lambda _family, ident: "Demo Extension" if ident == BASE.extension_id else "",
    )
    presenter.pending = queue.prompts
    presenter.answered.connect(queue.answer)
    presenter.deny_all.connect(queue.deny_all_from)
    queue.changed.add(tray.refresh)
    tray.state_changed.connect(icon.show_state)
    register_prompts(dispatcher, queue, activity, icon.notify)
    yield Running(dispatcher, queue, store, activity, presenter, tray, icon, RecordingClient())
    tray.close()
    icon.close()
    runner.close()
    if presenter.dialog is not None and shiboken6.isValid(presenter.dialog):
        presenter.dialog.dismiss()


def item(table: QTreeWidget, row: int) -> QTreeWidgetItem:
    found = table.topLevelItem(row)
    assert found is not None
    return found


def test_tray_follows_the_queue(qtbot: QtBot, running: Running) -> None:
    tray = running.tray
    assert running.icon.icon is None  # offscreen has no system tray; the app still serves
    assert tray.status_text() == "Bridgekeeper: running"
    assert not tray.show_action.isEnabled()
    running.ask()
    assert tray.status_action.text() == "Bridgekeeper: 1 waiting"
    assert tray.status_label.text() == "Bridgekeeper: 1 waiting"
    assert tray.state() == "waiting"
    assert tray.show_action.isEnabled()
    dialog = running.presenter.dialog
    assert dialog is not None
    tray.pause_action.trigger()  # paused: the pending request is denied, its dialog closes
    assert running.queue.paused
    assert tray.state() == "paused"
    # Paused says what it means, in the menu's status line and the icon's tooltip.
    paused = "Bridgekeeper: paused, requests are being denied"
    assert tray.status_action.text() == paused
    assert tray.status_label.text() == paused
    assert tray.status_label.isEnabled()  # readable, not greyed out
    assert tray.pause_action.isChecked()
    assert running.client.replies[0]["result"]["reason"] == "paused"
    qtbot.waitUntil(lambda: not shiboken6.isValid(dialog))
    running.queue.set_paused(False)  # e.g. `bridgekeeper resume`: the menu follows
    assert not tray.pause_action.isChecked()


def test_show_waiting_requests_brings_the_minimised_dialog_forward(
    qtbot: QtBot, running: Running
) -> None:
    running.ask()
    dialog = running.presenter.dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    dialog.showMinimized()
    qtbot.waitUntil(dialog.isMinimized)
    notices: list[tuple[str, str]] = []
    running.tray.notice.connect(lambda title, text: notices.append((title, text)))
    running.tray.show_action.trigger()
    qtbot.waitUntil(lambda: not dialog.isMinimized())
    assert dialog.isVisible()
    assert running.presenter.dialog is dialog  # the same request, not a new dialog
    assert notices == []
    assert running.client.replies == []


def test_tray_without_system_tray_reports_notifications_not_shown(running: Running) -> None:
    assert running.icon.notify("Hello", "there") is False
    running.dispatcher.handle(
        running.client, 2, b'{"id": 2, "type": "notify", "title": "Hi", "message": "x"}'
    )
    assert running.client.replies == [{"id": 2, "ok": True, "result": {"shown": False}}]


def test_notification_text_cannot_carry_markup() -> None:
    assert (
        notification_text('<a href="x">y</a>\u202e')
        == '\u2039a href="x"\u203ay\u2039/a\u203a[RLO U+202E]'
    )


def test_tray_menu_order_follows_the_spec(running: Running) -> None:
    runner = ThreadRunner()
    tray = Tray(
        running.queue,
        running.store,
        running.activity,
        FakeAutostart(),
        runner,
        integration_menu=QMenu,
    )
    texts = [action.text() for action in tray.menu.actions() if not action.isSeparator()]
    assert texts == [
        "Bridgekeeper: running",
        "&Show waiting requests",
        "&Pause prompts",
        "&Remembered decisions…",
        "&Activity…",
        "All&owed extensions…",
        "&Browser integration",
        "Start at &login",
        "Open log &folder",
        "Abou&t",
        "&Quit",
    ]
    letters = [text.split("&")[1][0].lower() for text in texts[1:]]
    assert len(letters) == len(set(letters))
    tray.close()
    runner.close()


def test_tray_autostart_item(running: Running) -> None:
    tray = running.tray
    assert not tray.autostart_action.isChecked()
    tray.autostart_action.trigger()
    assert tray._autostart.is_enabled()
    tray.autostart_action.trigger()
    assert not tray._autostart.is_enabled()


@pytest.mark.usefixtures("quick_arm")
def test_remembered_decision_listed_and_forgotten(qtbot: QtBot, running: Running) -> None:
    running.ask(action="clipboard.read", site="https://example.com")
    dialog = running.presenter.dialog
    assert dialog is not None
    assert dialog.remember is not None
    qtbot.waitUntil(dialog.ok_button.isEnabled)
    dialog.remember.setChecked(True)
    QTest.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert running.client.replies[0]["result"] == {
        "decision": "allow",
        "reason": "user",
        "remembered": True,
    }
    running.tray.decisions_action.trigger()
    window = running.tray.decisions_window
    assert window is not None
    qtbot.waitExposed(window)
    assert window.table.topLevelItemCount() == 1
    row = item(window.table, 0)
    assert window.columns == ["Extension", "Request", "For", "Site", "Decision", "Since"]
    assert row.text(0) == "Demo Extension"  # the name, not the id (which is in the tip)
    assert BASE.extension_id in row.toolTip(0)
    assert row.text(1) == "Confirmation"
    assert row.text(2) == "clipboard.read"
    assert row.text(3) == "https://example.com"
    assert row.text(4) == "Always allow"
    assert not window.forget_button.isEnabled()
    window.table.setCurrentItem(row)
    QTest.mouseClick(window.forget_button, Qt.MouseButton.LeftButton)
    assert running.store.all() == []
    assert window.table.topLevelItemCount() == 0
    assert "No remembered decisions" in window.summary.text()


def test_forget_all(qtbot: QtBot, running: Running) -> None:
    for action in ("a", "b", "c"):
        running.store.remember(DecisionKey("chromium", "x" * 32, "confirm", action), "deny")
    running.tray.show_decisions()
    window = running.tray.decisions_window
    assert window is not None
    assert window.table.topLevelItemCount() == 3
    QTest.mouseClick(window.forget_all_button, Qt.MouseButton.LeftButton)
    assert running.store.all() == []
    assert window.table.topLevelItemCount() == 0


def test_activity_window_lists_outcomes_newest_first(qtbot: QtBot, running: Running) -> None:
    running.ask(title="First \u202eone")
    dialog = running.presenter.dialog
    assert dialog is not None
    QTest.keyClick(dialog, Qt.Key.Key_Escape)
    running.tray.activity_action.trigger()
    window = running.tray.activity_window
    assert window is not None
    qtbot.waitExposed(window)
    running.ask(title="Second")
    second = running.presenter.dialog
    assert second is not None
    second.close()  # the window's close button: reason "closed"
    assert window.table.topLevelItemCount() == 2
    newest, oldest = item(window.table, 0), item(window.table, 1)
    assert (newest.text(4), newest.text(5)) == ("Second", "Denied (window closed)")
    assert (oldest.text(4), oldest.text(5)) == ("First [RLO U+202E]one", "Denied")


def record(activity: ActivityLog, **fields: str) -> None:
    entry = {
        "browser": "Chromium",
        "extension_id": BASE.extension_id,
        "extension_name": "Demo Extension",
        "type": "confirm",
        "title": "Allow?",
        "outcome": "allow",
        "reason": "user",
        "family": "chromium",
        "site": "https://example.com",
    }
    entry.update(fields)
    activity.record(**entry)


def test_activity_shows_every_column_at_its_default_size(qtbot: QtBot, running: Running) -> None:
    record(running.activity, title="A title that goes on and on " * 8, site="https://" + "s" * 120)
    record(running.activity, extension_name="", extension_id="demo@bridgekeeper.org")
    record(running.activity, site="https://\u0430pple.com", outcome="deny", reason="timeout")
    running.tray.show_activity()
    window = running.tray.activity_window
    assert window is not None
    qtbot.waitExposed(window)
    assert window.width() == 980
    table = window.table
    assert window.columns == ["Time", "Extension", "Site", "Request", "Title", "Outcome"]
    header = table.header()
    right = max(header.sectionPosition(i) + header.sectionSize(i) for i in range(6))
    assert right <= table.viewport().width()
    assert table.horizontalScrollBar().maximum() == 0
    for column in (0, 3, 5):  # short texts are shown whole
        for row in range(3):
            text = item(table, row).text(column)
            assert table.fontMetrics().horizontalAdvance(text) < header.sectionSize(column)
    newest, unnamed, first = item(table, 0), item(table, 1), item(table, 2)
    assert newest.text(2) == "https://xn--pple-43d.com (shown as https://\u0430pple.com)"
    assert newest.text(5) == "Denied (no answer in time)"
    assert unnamed.text(1) == "demo@bridgekeeper.org"
    # The browser and the id are in the extension's tooltip, not on every row.
    assert first.text(1) == "Demo Extension"
    assert "Chromium" in first.toolTip(1)
    assert BASE.extension_id in first.toolTip(1)
    assert all(BASE.extension_id not in first.text(c) for c in range(6))


def test_activity_filter(qtbot: QtBot, running: Running) -> None:
    record(running.activity, title="Read the clipboard")
    record(running.activity, title="Send money", site="https://bank.example")
    record(running.activity, title="Pick", type="choose", outcome="cancel", reason="timeout")
    running.tray.show_activity()
    window = running.tray.activity_window
    assert window is not None

    def shown() -> list[str]:
        rows = [item(window.table, r) for r in range(window.table.topLevelItemCount())]
        return [row.text(4) for row in rows if not row.isHidden()]

    assert shown() == ["Pick", "Send money", "Read the clipboard"]
    QTest.keyClicks(window.filter, "BANK")
    assert shown() == ["Send money"]
    window.filter.setText("no answer in time")
    assert shown() == ["Pick"]
    record(running.activity, title="Later from the bank", site="https://bank.example")
    window.filter.setText("bank")
    assert shown() == ["Later from the bank", "Send money"]
    window.filter.clear()
    assert len(shown()) == 4


def test_decisions_without_a_site_say_so(qtbot: QtBot, running: Running) -> None:
    running.store.remember(
        DecisionKey("firefox", "demo@bridgekeeper.org", "secret.get", "t"), "deny"
    )
    running.tray.show_decisions()
    window = running.tray.decisions_window
    assert window is not None
    row = item(window.table, 0)
    assert row.text(0) == "demo@bridgekeeper.org"  # no install-time name: its id
    assert (row.text(1), row.text(3), row.text(4)) == ("Read a secret", "(no site)", "Always deny")
    assert window.summary.text().startswith("Remembered decisions: 1.")


def test_about_says_what_where_and_under_which_licence(qtbot: QtBot, running: Running) -> None:
    from app import __version__
    from app.system import folders

    running.tray.show_about()
    about = running.tray.about_box
    assert about is not None
    qtbot.waitExposed(about)
    assert 'href="https://bridgekeeper.org"' in about.link.text()
    assert about.link.openExternalLinks()
    assert "MIT" in about.licence.text()
    assert f"Bridgekeeper {__version__}" in [label.text() for label in about.findChildren(QLabel)]
    assert "Python" in about.versions.text()
    assert "Qt" in about.versions.text()
    assert str(folders.log_dir()) in about.log_label.text()
    for button in (about.open_log_button, about.close_button):
        assert button.icon().isNull()  # buttons like every other window's
    assert about.focusWidget() is about.close_button
    assert clipped(about) == []
    QTest.keyClick(about.close_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: not about.isVisible())


@pytest.mark.usefixtures("quick_arm")
def test_deny_all_from_one_extension_through_the_dialog(qtbot: QtBot, running: Running) -> None:
    mine, other = RecordingClient(1), RecordingClient(2, "b" * 32)
    running.ask(mine, title="one")
    running.ask(mine, title="two")
    running.ask(other, title="theirs")
    dialog = running.presenter.dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    assert dialog.deny_all_button.isVisible()
    assert dialog.deny_all_button.text() == "Deny all from this &extension (2)"
    QTest.mouseClick(dialog.deny_all_button, Qt.MouseButton.LeftButton)
    assert [r["result"]["decision"] for r in mine.replies] == ["deny", "deny"]
    assert other.replies == []
    shown = running.presenter.dialog
    assert shown is not None
    assert shown.prompt.title == "theirs"
    assert not shown.deny_all_button.isVisible()


def test_dialogs_of_one_queue_keep_their_size_and_place(qtbot: QtBot, running: Running) -> None:
    running.ask(title="A long one", message="a long message\n" * 12, details="x")
    running.ask(title="A short one")
    first = running.presenter.dialog
    assert first is not None
    qtbot.waitExposed(first)
    first.move(first.pos().x() + 37, first.pos().y() + 23)  # the user moved it
    qtbot.waitUntil(lambda: first.pos().x() > 0)
    where, size = first.pos(), first.size()
    QTest.keyClick(first, Qt.Key.Key_Escape)
    second = running.presenter.dialog
    assert second is not None
    assert second is not first
    qtbot.waitExposed(second)
    assert second.pos() == where
    assert second.size() == size  # as tall as the one before, the buttons where they were
    assert clipped(second) == []
    QTest.keyClick(second, Qt.Key.Key_Escape)
    qtbot.wait(10)  # the run of dialogs is over: the next one sizes itself
    running.ask(title="Later")
    third = running.presenter.dialog
    assert third is not None
    qtbot.waitExposed(third)
    assert third.height() < size.height()
