"""The tray under the system policy: a control the policy locks is shown locked (disabled,
with a tooltip saying why), not hidden, and follows the policy when it changes."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from app.core.activity import ActivityLog
from app.core.decisions import DecisionStore
from app.core.queue import Locks, PromptQueue, UnattendedPresenter
from app.qt.timers import QtScheduler
from app.qt.worker import ThreadRunner
from app.ui.tray import Tray, pause_locked_text
from tests.qt.test_tray_windows import FakeAutostart


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
