"""Fixtures shared by every suite: a private home and the real app process."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import settings

from tests.support.desktop import Desktop
from tests.support.harness import AppProcess, Home, start_app, temp_home

# Property tests check behaviour, not speed: a per-example deadline only measures how busy
# the machine is (a loaded 2-core CI runner takes several times longer per example).
settings.register_profile("bridgekeeper", deadline=None)
settings.load_profile("bridgekeeper")

# In-process Qt tests (pytest-qt's qapp) have no display here: without this, Qt aborts.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture
def home() -> Iterator[Home]:
    with temp_home() as h:
        yield h


@pytest.fixture
def app(home: Home) -> Iterator[AppProcess]:
    process = start_app(home)
    yield process
    process.stop()


@pytest.fixture(scope="module")
def desktop() -> Iterator[Desktop]:
    """A real X desktop (Xvfb) with a system tray, shared by one test module."""
    started = Desktop.start()
    yield started
    started.stop()
