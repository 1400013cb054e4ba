"""The prompt dialogs, real widgets offscreen, driven with keys and clicks (pytest-qt)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit, QMenu, QTreeWidget, QTreeWidgetItem, QWidget
from pytestqt.qtbot import QtBot

from app.core.activity import ActivityLog
from app.core.decisions import DecisionKey, DecisionStore
from app.core.dispatch import Dispatcher
from app.core.handlers.prompts import register_prompts
from app.core.prompts import Answer, Option, Prompt
from app.core.queue import PromptQueue
from app.core.text import ZERO_WIDTH_SPACE
from app.qt.timers import QtScheduler
from app.ui import dialogs
from app.ui.dialogs import DialogPresenter, PromptDialog
from app.ui.tray import Tray, TrayIcon, notification_text
from host.caller import Caller

# The offscreen platform has no window system to pass a minimum size or a raise to, and
# says so; harmless here (tests_dialogs_xvfb.py runs the same under a real X server).
pytestmark = pytest.mark.qt_log_ignore(
    "does not support propagateSizeHints", "does not support raise"
)

BASE = Prompt(
    key=1,
    kind="confirm",
    browser="Chromium",
    extension_id="knldjmfmopnpolahpmmgbagdohdnhkik",
    extension_name="Demo Extension",
    title="Allow access to your clipboard?",
    message="example.com wants to read what you copied.",
    site="https://example.com",
)

Answers = list[tuple[int, Answer]]


@pytest.fixture(scope="session")
def qapp_args() -> list[str]:
    """Widgets offscreen whatever the environment says (no display is needed)."""
    return ["bridgekeeper-tests", "-platform", "offscreen"]


def make(**fields: object) -> Prompt:
    fields.setdefault("deadline", time.monotonic() + 60)
    return replace(BASE, **fields)  # type: ignore[arg-type]


@pytest.fixture
def answers() -> Answers:
    return []


@pytest.fixture
def quick_arm(monkeypatch: pytest.MonkeyPatch) -> None:
    """Arm Allow/Submit after 50 ms instead of 1 s (the 1 s itself has its own test)."""
    monkeypatch.setattr(dialogs, "ARM_DELAY_MS", 50)


@pytest.fixture
def open_dialog(qtbot: QtBot, answers: Answers) -> Iterator[Callable[..., PromptDialog]]:
    opened: list[PromptDialog] = []

    def open_(prompt: Prompt | None = None, waiting: int = 0, **fields: object) -> PromptDialog:
        dialog = PromptDialog(
            prompt or make(**fields), waiting, lambda k, a: answers.append((k, a))
        )
        opened.append(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        dialog.activateWindow()
        qtbot.waitUntil(dialog.isActiveWindow)
        return dialog

    yield open_
    for dialog in opened:
        if shiboken6.isValid(dialog):  # answered dialogs delete themselves
            dialog.dismiss()


def press_mnemonic(qtbot: QtBot, dialog: PromptDialog, key: Qt.Key) -> None:
    """Alt+key, as a user presses it: Qt answers a mnemonic with an animated click, which
    lands about 100 ms later."""
    QTest.keyClick(dialog, key, Qt.KeyboardModifier.AltModifier)


def armed(qtbot: QtBot, dialog: PromptDialog) -> PromptDialog:
    qtbot.waitUntil(dialog.ok_button.isEnabled, timeout=3000)
    return dialog


@pytest.mark.usefixtures("quick_arm")
def test_confirm_allow_with_mnemonic(
    qtbot: QtBot, open_dialog: Callable[..., PromptDialog], answers: Answers
) -> None:
    dialog = armed(qtbot, open_dialog())
    assert dialog.ok_button.text() == "&Allow"
    press_mnemonic(qtbot, dialog, Qt.Key.Key_A)
    qtbot.waitUntil(lambda: answers == [(1, Answer("allow"))])


def test_deny_is_the_default_button_and_enter_denies(
    qtbot: QtBot, open_dialog: Callable[..., PromptDialog], answers: Answers
) -> None:
    dialog = open_dialog()
    assert dialog.cancel_button.isDefault()
    assert not dialog.ok_button.isDefault()
    assert dialog.focusWidget() is dialog.cancel_button
    QTest.keyClick(dialog.focusWidget(), Qt.Key.Key_Return)
    assert answers == [(1, Answer("deny"))]


def test_escape_denies_as_the_user(
    qtbot: QtBot, open_dialog: Callable[..., PromptDialog], answers: Answers
) -> None:
    dialog = open_dialog()
    QTest.keyClick(dialog, Qt.Key.Key_Escape)
    assert answers == [(1, Answer("deny"))]


def test_closing_the_window_denies_with_closed_flag(
    open_dialog: Callable[..., PromptDialog], answers: Answers
) -> None:
    dialog = open_dialog(kind="choose", options=(Option("a", "A"), Option("b", "B")))
    dialog.close()
    assert answers == [(1, Answer("cancel", closed=True))]


def test_allow_is_disabled_for_the_first_second(
    qtbot: QtBot, open_dialog: Callable[..., PromptDialog], answers: Answers
) -> None:
    shown = time.monotonic()
    dialog = open_dialog()
    assert not dialog.ok_button.isEnabled()
    with qtbot.assertNotEmitted(dialog.ok_button.clicked, wait=300):
        QTest.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
        press_mnemonic(qtbot, dialog, Qt.Key.Key_A)
    assert answers == []
    qtbot.waitUntil(dialog.ok_button.isEnabled, timeout=3000)
    assert time.monotonic() - shown >= 0.95
    QTest.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert answers == [(1, Answer("allow"))]


def test_countdown_shows_and_ticks_while_open(
    qtbot: QtBot, open_dialog: Callable[..., PromptDialog]
) -> None:
    dialog = open_dialog(deadline=time.monotonic() + 75.5)
    assert "1:16" in dialog.countdown_label.text()
    assert "deny" in dialog.countdown_label.text()
    qtbot.waitUntil(lambda: "1:15" in dialog.countdown_label.text(), timeout=3000)


def test_timers_stop_when_the_dialog_closes(
    qtbot: QtBot, open_dialog: Callable[..., PromptDialog]
) -> None:
    dialog = open_dialog()
    assert dialog._tick_timer.isActive()
    QTest.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog._tick_timer.isActive()
    assert not dialog._arm_timer.isActive()


def test_html_is_shown_literally(open_dialog: Callable[..., PromptDialog]) -> None:
    dialog = open_dialog(title="<i>Hi</i>", message='<b>bold</b> <a href="x">link</a>')
    assert dialog.title_label.textFormat() == Qt.TextFormat.PlainText
    assert dialog.message_label.textFormat() == Qt.TextFormat.PlainText
    assert dialog.title_label.text() == "<i>Hi</i>"
    assert dialog.message_label.text() == '<b>bold</b> <a href="x">link</a>'


def test_right_to_left_override_in_title_is_neutralised(
    open_dialog: Callable[..., PromptDialog],
) -> None:
    dialog = open_dialog(title="invoice\u202egnp.exe", message="a\x1bb\u2066c")
    assert "\u202e" not in dialog.title_label.text()
    assert "RLO U+202E" in dialog.title_label.text()
    assert "\x1b" not in dialog.message_label.text()
    assert "\u2066" not in dialog.message_label.text()


def test_caller_comes_from_host_data(open_dialog: Callable[..., PromptDialog]) -> None:
    dialog = open_dialog()
    caller = dialog.extension_label.text().replace(ZERO_WIDTH_SPACE, "")
    assert "Demo Extension" in caller
    assert "knldjmfmopnpolahpmmgbagdohdnhkik" in caller
    assert dialog.browser_label.text() == "Browser: Chromium"
    assert dialog.site_label.text() == "Site: https://example.com"


def test_long_message_scrolls_and_is_not_cut(
    qtbot: QtBot, open_dialog: Callable[..., PromptDialog]
) -> None:
    message = "".join(f"line {i} " + "y" * 90 + " " for i in range(110))[:10_000]
    dialog = open_dialog(message=message)
    assert dialog.message_label.text().replace(ZERO_WIDTH_SPACE, "") == message
    assert dialog.message_area.verticalScrollBar().maximum() > 0
    assert dialog.message_area.height() <= dialogs.MESSAGE_MAX_HEIGHT
    screen = QApplication.primaryScreen().availableGeometry()
    assert dialog.height() <= screen.height()
    label = dialog.message_label
    assert label.height() >= label.heightForWidth(label.width())


def test_long_title_without_spaces_wraps_inside_the_dialog(
    open_dialog: Callable[..., PromptDialog],
) -> None:
    title = "W" * 200
    dialog = open_dialog(title=title)
    label = dialog.title_label
    assert label.text().replace(ZERO_WIDTH_SPACE, "") == title
    assert dialog.width() == dialogs.DIALOG_WIDTH
    assert label.geometry().right() < dialog.width()
    assert label.height() >= label.heightForWidth(label.width())


def test_twelve_long_options_wrap_and_scroll(
    qtbot: QtBot, open_dialog: Callable[..., PromptDialog]
) -> None:
    label = "long label words " * 11 + "z" * 40
    options = tuple(Option(f"o{i}", f"Option {i} {label}") for i in range(12))
    dialog = open_dialog(kind="choose", options=options, default="o2")
    assert dialog.options_area.height() <= dialogs.OPTIONS_MAX_HEIGHT
    assert dialog.options_area.verticalScrollBar().maximum() > 0
    for shown in dialog.option_labels:
        assert shown.geometry().right() <= dialog.options_area.viewport().width()
        assert shown.height() >= shown.heightForWidth(shown.width())
    QTest.mouseClick(dialog.option_labels[5], Qt.MouseButton.LeftButton)
    assert dialog.choices["o5"].isChecked()
    assert dialog.height() <= QApplication.primaryScreen().availableGeometry().height()


def test_long_button_labels_stack_instead_of_being_cut(
    open_dialog: Callable[..., PromptDialog],
) -> None:
    dialog = open_dialog(allow_label="A" * 40, deny_label="Never ever allow this, no thanks!")
    for button in (dialog.ok_button, dialog.cancel_button):
        assert button.width() >= button.sizeHint().width()
        assert button.geometry().right() < dialog.width()


def test_long_site_scrolls_inside_the_caller_box(open_dialog: Callable[..., PromptDialog]) -> None:
    site = "https://example.com/?" + "q=1&" * 500
    dialog = open_dialog(site=site)
    assert dialog.site_area.height() <= dialogs.SITE_MAX_HEIGHT
    assert dialog.site_label.text().replace(ZERO_WIDTH_SPACE, "") == f"Site: {site}"


def test_details_are_folded_until_asked_for(
    qtbot: QtBot, open_dialog: Callable[..., PromptDialog]
) -> None:
    dialog = open_dialog(details="stack trace\n<script>")
    assert dialog.details_view is not None
    assert dialog.details_button is not None
    assert not dialog.details_view.isVisible()
    press_mnemonic(qtbot, dialog, Qt.Key.Key_L)
    qtbot.waitUntil(dialog.details_view.isVisible)
    assert dialog.details_view.toPlainText() == "stack trace\n<script>"


@pytest.mark.usefixtures("quick_arm")
def test_remember_checkbox_when_allowed(
    qtbot: QtBot, open_dialog: Callable[..., PromptDialog], answers: Answers
) -> None:
    assert open_dialog().remember is None
    dialog = armed(qtbot, open_dialog(key=2, can_remember=True))
    assert dialog.remember is not None
    press_mnemonic(qtbot, dialog, Qt.Key.Key_R)
    qtbot.waitUntil(dialog.remember.isChecked)
    QTest.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert answers == [(2, Answer("allow", remember=True))]


def test_danger_styling(open_dialog: Callable[..., PromptDialog]) -> None:
    plain = open_dialog()
    assert plain.ok_button.styleSheet() == ""
    dialog = open_dialog(key=2, danger=True)
    assert dialog.danger_label.isVisible()
    assert "#b3261e" in dialog.ok_button.styleSheet()


@pytest.mark.usefixtures("quick_arm")
def test_custom_labels_cannot_forge_a_mnemonic(
    qtbot: QtBot, open_dialog: Callable[..., PromptDialog], answers: Answers
) -> None:
    dialog = armed(qtbot, open_dialog(allow_label="&Yes & go", deny_label="No"))
    assert dialog.ok_button.text() == "&&Yes && go"
    assert dialog.cancel_button.text() == "No"
    with qtbot.assertNotEmitted(dialog.ok_button.clicked, wait=300):
        press_mnemonic(qtbot, dialog, Qt.Key.Key_Y)
    assert answers == []


def test_position_shows_when_more_wait(open_dialog: Callable[..., PromptDialog]) -> None:
    dialog = open_dialog(waiting=2)
    assert dialog.position_label.text() == "1 of 3"
    dialog.set_waiting(0)
    assert not dialog.position_label.isVisible()


@pytest.mark.usefixtures("quick_arm")
def test_choose_preselects_default_and_submits_with_keys(
    qtbot: QtBot, open_dialog: Callable[..., PromptDialog], answers: Answers
) -> None:
    options = tuple(Option(f"o{i}", f"Account {i}") for i in range(4))
    dialog = armed(qtbot, open_dialog(kind="choose", options=options, default="o2"))
    assert dialog.choices["o2"].isChecked()
    assert dialog.focusWidget() is dialog.choices["o2"]
    QTest.keyClick(dialog.focusWidget(), Qt.Key.Key_Down)
    assert dialog.choices["o3"].isChecked()
    press_mnemonic(qtbot, dialog, Qt.Key.Key_S)
    qtbot.waitUntil(lambda: answers == [(1, Answer("submit", choice="o3"))])


@pytest.mark.usefixtures("quick_arm")
def test_prompt_masks_secret_and_enforces_max_length(
    qtbot: QtBot, open_dialog: Callable[..., PromptDialog], answers: Answers
) -> None:
    dialog = armed(qtbot, open_dialog(kind="prompt", secret=True, max_length=5, default=""))
    edit = dialog.line_edit
    assert edit is not None
    assert edit.echoMode() == QLineEdit.EchoMode.Password
    assert dialog.focusWidget() is edit
    QTest.keyClicks(edit, "hunter2")
    assert edit.text() == "hunte"
    press_mnemonic(qtbot, dialog, Qt.Key.Key_S)
    qtbot.waitUntil(lambda: answers == [(1, Answer("submit", value="hunte"))])


@pytest.mark.usefixtures("quick_arm")
def test_enter_in_the_text_field_neither_cancels_nor_submits(
    qtbot: QtBot, open_dialog: Callable[..., PromptDialog], answers: Answers
) -> None:
    dialog = armed(qtbot, open_dialog(kind="prompt"))
    assert dialog.line_edit is not None
    QTest.keyClicks(dialog.line_edit, "typed")
    QTest.keyClick(dialog.line_edit, Qt.Key.Key_Return)
    assert answers == []
    assert dialog.line_edit.text() == "typed"


def test_prompt_escape_cancels(
    qtbot: QtBot, open_dialog: Callable[..., PromptDialog], answers: Answers
) -> None:
    dialog = open_dialog(kind="prompt", default="draft")
    assert dialog.line_edit is not None
    assert dialog.line_edit.echoMode() == QLineEdit.EchoMode.Normal
    QTest.keyClick(dialog.line_edit, Qt.Key.Key_Escape)
    assert answers == [(1, Answer("cancel"))]


@pytest.mark.usefixtures("quick_arm")
def test_tab_reaches_every_control(qtbot: QtBot, open_dialog: Callable[..., PromptDialog]) -> None:
    dialog = armed(qtbot, open_dialog(details="more", can_remember=True))
    seen = set()
    for _ in range(8):
        QTest.keyClick(dialog.focusWidget(), Qt.Key.Key_Tab)
        seen.add(dialog.focusWidget())
    assert {dialog.details_button, dialog.remember, dialog.ok_button, dialog.cancel_button} <= seen


# -- the presenter ---------------------------------------------------------------------
@pytest.fixture
def presenter(answers: Answers) -> Iterator[DialogPresenter]:
    notes: list[tuple[str, str]] = []
    shown = DialogPresenter()
    shown.answered.connect(lambda key, answer: answers.append((key, answer)))
    shown.unfocused.connect(lambda title, message: notes.append((title, message)))
    shown.notes = notes  # type: ignore[attr-defined]
    yield shown
    if shown.dialog is not None and shiboken6.isValid(shown.dialog):
        shown.dialog.dismiss()


def test_presenter_shows_on_top_and_reports_the_answer(
    qtbot: QtBot, presenter: DialogPresenter, answers: Answers
) -> None:
    presenter.show(make(key=7), waiting=1)
    dialog = presenter.dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    assert dialog.windowFlags() & Qt.WindowType.WindowStaysOnTopHint
    assert dialog.windowTitle() == dialogs.WINDOW_TITLE
    presenter.set_waiting(3)
    assert dialog.position_label.text() == "1 of 4"
    QTest.keyClick(dialog, Qt.Key.Key_Escape)
    assert answers == [(7, Answer("deny"))]
    assert presenter.dialog is None
    assert presenter.bring_forward() is False


def test_presenter_close_does_not_answer(
    qtbot: QtBot, presenter: DialogPresenter, answers: Answers
) -> None:
    presenter.show(make(key=8), waiting=0)
    dialog = presenter.dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    presenter.close(99)  # another key: nothing happens
    assert dialog.isVisible()
    presenter.close(8)
    qtbot.waitUntil(lambda: not shiboken6.isValid(dialog))
    assert answers == []
    assert presenter.dialog is None


def test_presenter_brings_a_minimised_dialog_forward(
    qtbot: QtBot, presenter: DialogPresenter
) -> None:
    presenter.show(make(key=9), waiting=0)
    dialog = presenter.dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    dialog.showMinimized()
    assert presenter.bring_forward() is True
    assert dialog.isVisible()
    assert not dialog.isMinimized()


# -- the tray and its windows over the real queue (offscreen: no system tray) ----------
class RecordingClient:
    """A host connection as the dispatcher sees it; keeps the replies it is sent."""

    def __init__(self) -> None:
        self.replies: list[dict[str, Any]] = []

    @property
    def client_id(self) -> int:
        return 1

    @property
    def caller(self) -> Caller:
        return Caller("chromium", BASE.extension_id, "Chromium")

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

    def ask(self, **request: object) -> None:
        payload = json.dumps({"id": 1, "type": "confirm", "title": "Allow?", **request})
        self.dispatcher.handle(self.client, 1, payload.encode())


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
    tray = Tray(queue, store, activity, FakeAutostart())
    presenter.answered.connect(queue.answer)
    queue.changed.add(tray.refresh)
    tray.state_changed.connect(icon.show_state)
    register_prompts(dispatcher, queue, activity, icon.notify)
    yield Running(dispatcher, queue, store, activity, presenter, tray, icon, RecordingClient())
    tray.close()
    icon.close()
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
    assert tray.state() == "waiting"
    assert tray.show_action.isEnabled()
    dialog = running.presenter.dialog
    assert dialog is not None
    tray.pause_action.trigger()  # paused: the pending request is denied, its dialog closes
    assert running.queue.paused
    assert tray.state() == "paused"
    assert tray.status_action.text() == "Bridgekeeper: paused"
    assert running.client.replies[0]["result"]["reason"] == "paused"
    qtbot.waitUntil(lambda: not shiboken6.isValid(dialog))
    running.queue.set_paused(False)  # e.g. `bridgekeeper resume`: the menu follows
    assert not tray.pause_action.isChecked()


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
    tray = Tray(running.queue, running.store, running.activity, FakeAutostart(), QMenu)
    texts = [action.text() for action in tray.menu.actions() if not action.isSeparator()]
    assert texts == [
        "Bridgekeeper: running",
        "&Show waiting requests",
        "&Pause prompts",
        "&Remembered decisions…",
        "&Activity…",
        "&Browser integration",
        "Start at &login",
        "Open log &folder",
        "Ab&out",
        "&Quit",
    ]
    tray.close()


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
    assert row.text(3) == "clipboard.read"
    assert row.text(4) == "https://example.com"
    assert row.text(5) == "allow"
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
    assert (newest.text(4), newest.text(5), newest.text(6)) == ("Second", "deny", "closed")
    assert (oldest.text(4), oldest.text(5), oldest.text(6)) == (
        "First [RLO U+202E]one",
        "deny",
        "user",
    )


def test_presenter_notifies_when_its_dialog_does_not_get_the_focus(
    qtbot: QtBot, presenter: DialogPresenter
) -> None:
    presenter.show(make(key=10, title="Pick me"), waiting=0)
    dialog = presenter.dialog
    assert dialog is not None
    other = QWidget()  # another window takes the focus right after the dialog asked for it
    qtbot.addWidget(other)
    other.show()
    other.activateWindow()
    qtbot.waitUntil(other.isActiveWindow)
    notes: list[tuple[str, str]] = presenter.notes  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: bool(notes), timeout=3000)
    assert notes == [
        (
            "A request is waiting",
            "Demo Extension asks: Pick me\nClick the Bridgekeeper tray icon to answer.",
        )
    ]


def test_presenter_stays_quiet_when_its_dialog_has_the_focus(
    qtbot: QtBot, presenter: DialogPresenter
) -> None:
    presenter.show(make(key=11), waiting=0)
    dialog = presenter.dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.isActiveWindow)
    qtbot.wait(dialogs.FOCUS_CHECK_MS + 200)  # past the focus check
    assert presenter.notes == []  # type: ignore[attr-defined]
