"""The tray's "Browser integration ▸" submenu, offscreen, against a temporary HOME with
real files: states, per-browser toggles, install for all, remove all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtGui import QAction
from pytestqt.qtbot import QtBot

from app.ui.integration_menu import IntegrationMenu, build_integration_menu
from tests.qt.conftest import answer_question
from tests.support.harness import Home
from tests.support.machine import BRAVE_MANIFEST, CHROMIUM_MANIFEST, FIREFOX_MANIFEST

# Browsers are found by executables on PATH and manifests go where Linux browsers read.
# The question boxes are real windows; offscreen cannot pass their size hints on.
pytestmark = [
    pytest.mark.linux_folders,
    pytest.mark.qt_log_ignore("does not support propagateSizeHints"),
]


def texts(menu: IntegrationMenu) -> list[str]:
    return [action.text() for action in menu.actions() if not action.isSeparator()]


def item(menu: IntegrationMenu, name: str) -> QAction:
    found = menu.findChild(QAction, f"browser-{name}")
    assert isinstance(found, QAction)
    return found


def test_menu_lists_detected_browsers_with_their_state(desktop_home: Home, qtbot: QtBot) -> None:
    menu = build_integration_menu(None)
    assert isinstance(menu, IntegrationMenu)
    assert texts(menu) == [
        "Firefox — not registered",
        "Tor Browser — Flatpak: cannot connect",
        "Chromium — not registered",
        "Brave — not registered",
        "Vivaldi — not registered",
        "&Install for all detected",
        "&Remove all",
    ]
    tor = next(a for a in menu.actions() if a.text().startswith("Tor Browser"))
    assert not tor.isEnabled()
    assert "Bridgekeeper cannot reach into this sandbox" in tor.toolTip()
    # Rendered without popping up (offscreen has no keyboard grab for a popup).
    menu.adjustSize()
    shot = desktop_home.root / "integration-menu.png"
    assert menu.grab().save(str(shot))
    assert shot.stat().st_size > 1000


def test_install_all_then_toggle_one_then_remove_all(desktop_home: Home, qtbot: QtBot) -> None:
    menu = IntegrationMenu()
    with qtbot.waitSignal(menu.finished) as done:
        menu.install_all.trigger()
    assert done.args == ["Registered with Firefox, Chromium, Brave, Vivaldi."]
    for path in (CHROMIUM_MANIFEST, FIREFOX_MANIFEST, BRAVE_MANIFEST):
        assert (desktop_home.home / path).exists()
    assert item(menu, "chromium").isChecked()
    assert item(menu, "chromium").text() == "Chromium — registered"
    assert item(menu, "vivaldi").text() == "Vivaldi — registered"  # inside its Flatpak

    # Removing asks first; Cancel (the default) keeps it.
    with qtbot.assertNotEmitted(menu.finished):
        answer_question(qtbot, menu, "cancel")
        item(menu, "brave").trigger()  # checked -> unchecked: remove?
    assert (desktop_home.home / BRAVE_MANIFEST).exists()
    assert item(menu, "brave").isChecked()
    with qtbot.waitSignal(menu.finished) as done:
        answer_question(qtbot, menu, "remove")
        item(menu, "brave").trigger()
    assert done.args == ["Removed from Brave."]
    assert not (desktop_home.home / BRAVE_MANIFEST).exists()
    assert item(menu, "brave").text() == "Brave — not registered"

    with qtbot.waitSignal(menu.finished):
        answer_question(qtbot, menu, "remove")
        menu.remove_all.trigger()
    assert not (desktop_home.home / CHROMIUM_MANIFEST).exists()
    assert not (desktop_home.home / FIREFOX_MANIFEST).exists()


def test_a_stale_manifest_shows_needs_repair_and_a_click_repairs_it(
    desktop_home: Home, qtbot: QtBot
) -> None:
    menu = IntegrationMenu()
    with qtbot.waitSignal(menu.finished):
        menu.install_all.trigger()
    path: Path = desktop_home.home / CHROMIUM_MANIFEST
    data = json.loads(path.read_text())
    data["path"] = "/opt/old/bridgekeeper-host"
    path.write_text(json.dumps(data))
    menu.aboutToShow.emit()
    assert item(menu, "chromium").text() == "Chromium — needs repair"
    with qtbot.waitSignal(menu.finished):
        item(menu, "chromium").trigger()  # unchecks, but a stale manifest gets reinstalled
    assert json.loads(path.read_text())["path"] != "/opt/old/bridgekeeper-host"
    assert item(menu, "chromium").text() == "Chromium — registered"


def test_unreadable_settings_are_shown_not_raised(desktop_home: Home, qtbot: QtBot) -> None:
    (desktop_home.bk_home / "config" / "settings.json").write_text('{"version": 9}')
    menu = IntegrationMenu()
    [only] = texts(menu)
    assert only.startswith("Cannot read the settings: ")
    assert "newer Bridgekeeper" in only


def test_registered_without_an_allowed_extension_says_so(desktop_home: Home, qtbot: QtBot) -> None:
    from app.system import settings

    menu = IntegrationMenu()
    with qtbot.waitSignal(menu.finished):
        menu.install_all.trigger()
    config = settings.load()
    for extension in config.allowed("firefox"):
        config.remove(extension.family, extension.id)
    settings.save(config)
    with qtbot.waitSignal(menu.finished):
        menu.install_all.trigger()  # the Firefox manifest now allows nothing
    firefox = item(menu, "firefox")
    assert firefox.text() == "Firefox — registered, no extension allowed"
    assert "Allowed extensions" in firefox.toolTip()
    assert item(menu, "chromium").text() == "Chromium — registered"
