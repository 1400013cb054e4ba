"""Fixtures shared by every suite (a private home, the real app process, an X desktop),
and the platform needs of tests/support/needs.py as markers: a marked test is skipped
where its need is missing, with the reason."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import Phase, settings

from tests.support.desktop import Desktop
from tests.support.harness import AppProcess, Home, start_app, temp_home
from tests.support.needs import NEEDS, missing, require

# Property tests check behaviour, not speed: a per-example deadline only measures how busy
# the machine is (a loaded 2-core CI runner takes several times longer per example).
settings.register_profile("bridgekeeper", deadline=None)
# ./dev mutate only needs to know that a property fails, not its smallest example:
# shrinking one through 64 MiB frames took minutes per mutant.
settings.register_profile(
    "mutation", deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate]
)
settings.load_profile(os.environ.get("BK_HYPOTHESIS_PROFILE", "bridgekeeper"))

# In-process Qt tests (pytest-qt's qapp) have no display here: without this, Qt aborts.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def pytest_configure(config: pytest.Config) -> None:
    for name, (what, _missing) in NEEDS.items():
        config.addinivalue_line("markers", f"{name}: {what}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    reasons = {name: missing(name) for name in NEEDS}
    for item in items:
        if "app" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.app_transport)
        for name, reason in reasons.items():
            if reason and item.get_closest_marker(name) is not None:
                item.add_marker(pytest.mark.skip(reason=reason))


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
    require("xvfb")
    started = Desktop.start()
    yield started
    started.stop()
