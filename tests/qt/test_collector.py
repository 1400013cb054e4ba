"""Cycles are collected on the GUI thread only: a cycle through a widget, dropped while
another thread allocates, is destroyed by the GUI thread's timer, never by that thread."""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from app.qt.collector import GuiThreadCollector


class Looped(QWidget):
    """A widget in a reference cycle with itself, as a slot closing over its owner makes."""

    def __init__(self) -> None:
        super().__init__()
        self.me = self


@pytest.fixture
def collections() -> Iterator[list[int]]:
    """The thread of each collection that starts, while the test runs."""
    threads: list[int] = []

    def record(phase: str, _info: dict[str, Any]) -> None:
        if phase == "start":
            threads.append(threading.get_ident())

    gc.callbacks.append(record)
    yield threads
    gc.callbacks.remove(record)


def allocate_elsewhere() -> list[dict[str, int]]:
    """Far more container allocations than the youngest generation's threshold, made and
    kept on a thread of their own (freed objects would take back their count)."""
    kept: list[dict[str, int]] = []

    def churn() -> None:
        kept.extend({"n": n} for n in range(50_000))

    worker = threading.Thread(target=churn)
    worker.start()
    worker.join(timeout=30)
    assert not worker.is_alive()
    return kept


def test_cycles_are_collected_on_the_gui_thread_only(qtbot: QtBot, collections: list[int]) -> None:
    collector = GuiThreadCollector(interval_ms=20)
    collector.start()
    try:
        assert not gc.isenabled()
        widget = Looped()
        gone = weakref.ref(widget)
        del widget
        kept = allocate_elsewhere()
        assert collections == []  # the other thread collected nothing
        qtbot.waitUntil(lambda: gone() is None, timeout=5000)
        assert collections
        assert set(collections) == {threading.get_ident()}
        del kept
    finally:
        collector.stop()
    assert gc.isenabled()


def test_it_collects_when_the_app_started_with_collection_off(
    qtbot: QtBot, collections: list[int]
) -> None:
    """The tray app starts with automatic collection off (app/cli.py): the collector is
    then the only one, and leaves it off when it stops."""
    gc.disable()
    try:
        collector = GuiThreadCollector(interval_ms=20)
        collector.start()
        try:
            widget = Looped()
            gone = weakref.ref(widget)
            del widget
            kept = allocate_elsewhere()
            qtbot.waitUntil(lambda: gone() is None, timeout=5000)
            assert collections
            assert set(collections) == {threading.get_ident()}
            del kept
        finally:
            collector.stop()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_without_it_the_allocating_thread_collects(collections: list[int]) -> None:
    """What the collector prevents: the interpreter collects on whichever thread allocates."""
    assert gc.isenabled()
    gc.collect()
    collections.clear()
    assert allocate_elsewhere()
    assert collections
    assert threading.get_ident() not in collections
