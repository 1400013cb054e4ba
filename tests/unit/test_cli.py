"""The command line's start of the tray app."""

from __future__ import annotations

import gc

import pytest

import app.main
from app import cli


def test_the_tray_app_starts_with_cyclic_collection_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """Collection would go over the start-up's objects again and again before the first
    dialog (10-20 ms); the GUI thread's collector takes over once Qt is up (it collects
    whether or not automatic collection was on: tests/qt/test_collector.py)."""
    seen: list[bool] = []

    def run() -> int:
        seen.append(gc.isenabled())
        return 0

    monkeypatch.setattr(app.main, "run", run)
    was_enabled = gc.isenabled()
    try:
        assert cli.main([]) == 0
    finally:
        if was_enabled:
            gc.enable()
    assert seen == [False]
