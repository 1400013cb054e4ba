"""The tray, its windows and the dialogs under the system policy: a control the policy
locks is shown locked (disabled, saying why), not hidden, and follows the policy when it
changes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from app.core.activity import ActivityLog
from app.core.decisions import DecisionKey, DecisionStore
from app.core.prompts import Answer
from app.core.queue import Locks, PromptQueue, UnattendedPresenter
from app.qt.timers import QtScheduler
from app.qt.worker import ThreadRunner
from app.ui.dialogs import PromptDialog
from app.ui.tray import Tray, pause_locked_text
from app.ui.widgets import remember_locked_text
from tests.qt.conftest import Answers
from tests.qt.test_tray_windows import FakeAutostart

pytestmark = pytest.mark.qt_log_ignore(
    "does not support propagateSizeHints", "does not support raise"
)


def test_pause_locked_by_the_policy_is_shown_disabled_with_the_reason(
    qtbot: QtBot, tmp_path: Path
) -> None:
    locks = [Locks()]
    store = DecisionStore(tmp_path)
    queue = PromptQueue(
        UnattendedPresenter(), QtScheduler(), store, ActivityLog(), locks=lambda: locks[0]
    )
    runner = ThreadRunner()
    tray = Tray(queue, store, ActivityLog(), FakeAutostart(), runner)
    try:
        assert tray.pause_action.isEnabled()
        assert tray.pause_action.toolTip() != pause_locked_text()
        locks[0] = Locks(pause=False)
        tray.menu.aboutToShow.emit()  # opening the menu reads the policy again
        assert tray.pause_action in tray.menu.actions()  # shown, not hidden
        assert not tray.pause_action.isEnabled()
        assert tray.pause_action.toolTip() == pause_locked_text()
        assert tray.menu.toolTipsVisible()
        tray.pause_action.trigger()  # a disabled action does nothing
        assert not queue.paused
        locks[0] = Locks()
        tray.menu.aboutToShow.emit()
        assert tray.pause_action.isEnabled()
        tray.pause_action.trigger()
        assert queue.paused
    finally:
        tray.close()
        runner.close()


def test_remember_locked_is_shown_greyed_out_on_the_dialog_with_the_reason(
    open_dialog: Callable[..., PromptDialog], answers: Answers, quick_arm: None, qtbot: QtBot
) -> None:
    dialog = open_dialog(remember_locked=True)
    assert dialog.remember is None
    box = dialog.remember_locked
    assert box is not None
    assert box.isVisible()
    assert not box.isEnabled()
    reasons = [
        label for label in dialog.findChildren(QLabel) if label.text() == remember_locked_text()
    ]
    assert len(reasons) == 1
    assert reasons[0].isVisible()
    qtbot.waitUntil(dialog.ok_button.isEnabled)
    dialog.ok_button.click()
    assert [answer for _key, answer in answers] == [Answer("allow", remember=False)]


def test_a_dialog_that_can_remember_says_nothing_of_the_policy(
    open_dialog: Callable[..., PromptDialog],
) -> None:
    dialog = open_dialog(can_remember=True)
    assert dialog.remember is not None
    assert dialog.remember.isEnabled()
    assert dialog.remember_locked is None
    assert remember_locked_text() not in [label.text() for label in dialog.findChildren(QLabel)]


def test_remembered_decisions_say_when_the_policy_turns_remembering_off(
    qtbot: QtBot, tmp_path: Path
) -> None:
    locks = [Locks()]
    store = DecisionStore(tmp_path)
    store.load()
    store.remember(DecisionKey("chromium", "a" * 32, "confirm", "tab", ""), "allow")
    queue = PromptQueue(
        UnattendedPresenter(), QtScheduler(), store, ActivityLog(), locks=lambda: locks[0]
    )
    runner = ThreadRunner()
    tray = Tray(queue, store, ActivityLog(), FakeAutostart(), runner)
    try:
        tray.show_decisions()
        window = tray.decisions_window
        assert window is not None
        qtbot.waitExposed(window)
        assert remember_locked_text() not in window.summary.text()
        window.hide()
        locks[0] = Locks(remember=False)
        tray.show_decisions()  # shown again: the policy is read again
        assert window.summary.text().startswith(remember_locked_text())
        assert window.table.topLevelItemCount() == 1  # still listed, and can be forgotten
        assert window.forget_all_button.isEnabled()
    finally:
        tray.close()
        runner.close()
