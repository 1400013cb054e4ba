"""The app's scheduler: single-shot Qt timers that fire once at their time, or never once
cancelled, and leave no timer running."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QObject, QTimer
from pytestqt.qtbot import QtBot

from app.qt.timers import QtScheduler


def test_call_later_fires_once_after_its_delay(qtbot: QtBot) -> None:
    owner = QObject()
    scheduler = QtScheduler(owner)
    fired: list[float] = []
    start = scheduler.now()
    scheduler.call_later(0.05, lambda: fired.append(scheduler.now()))
    qtbot.waitUntil(lambda: len(fired) == 1, timeout=2000)
    assert fired[0] - start >= 0.049
    # Once fired, nothing is left ticking: the timer is deleted with its callback.
    qtbot.waitUntil(lambda: not owner.findChildren(QTimer), timeout=1000)


def test_cancelled_call_never_fires(qtbot: QtBot) -> None:
    owner = QObject()
    scheduler = QtScheduler(owner)
    fired: list[str] = []
    handle = scheduler.call_later(0.02, lambda: fired.append("cancelled one"))
    scheduler.call_later(0.1, lambda: fired.append("kept"))
    handle.cancel()
    handle.cancel()  # twice is harmless
    qtbot.waitUntil(lambda: fired == ["kept"], timeout=2000)
    assert fired == ["kept"]


def test_failing_callback_is_logged_not_raised(
    qtbot: QtBot, caplog: pytest.LogCaptureFixture
) -> None:
    scheduler = QtScheduler()
    done: list[bool] = []

    def broken() -> None:
        done.append(True)
        raise RuntimeError("boom")

    scheduler.call_later(0, broken)
    qtbot.waitUntil(lambda: bool(done), timeout=2000)
    assert "scheduled callback failed" in caplog.text
    assert "RuntimeError: boom" in caplog.text
