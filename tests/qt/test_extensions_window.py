"""The tray's "Allowed extensions…" window, offscreen, on a temporary HOME with real
settings, real browser profiles (tests/support/profiles.py) and real manifests: list,
add from the profiles (read in the worker thread) or by id, remove (after a question)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QTreeWidgetItem
from pytestqt.qtbot import QtBot

from app.integration import profiles
from app.qt.worker import ThreadRunner
from app.system import settings
from app.ui import extensions_window
from app.ui.extensions_window import AddExtensionDialog, AllowedExtensionsWindow
from tests.qt.conftest import answer_question
from tests.support.harness import CHROME_ID, FIREFOX_ID, Home
from tests.support.machine import CHROMIUM_MANIFEST, FIREFOX_MANIFEST
from tests.support.profiles import chromium_profile, firefox_profile

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")

BITWARDEN = "nngceckbapebfimnlniiiahkandclblb"
GUID = "{446900e4-71c2-419f-a6a7-df9c091e268b}"


@pytest.fixture
def profiles_home(desktop_home: Home) -> Home:
    """Chromium and Firefox profiles with the test extensions and Bitwarden installed;
    the test callers allowed (``temp_home``), the Chromium one named."""
    home = desktop_home.home
    chromium_profile(home / ".config/chromium/Default", {CHROME_ID: "Demo", BITWARDEN: "Bitwarden"})
    firefox_profile(home / ".mozilla/firefox", "x.default", {FIREFOX_ID: "Demo", GUID: "Bitwarden"})
    config = settings.load()
    config.allow(settings.Extension("chromium", CHROME_ID, "Bridgekeeper demo"))
    settings.save(config)
    return desktop_home


@pytest.fixture
def runner() -> Iterator[ThreadRunner]:
    worker = ThreadRunner()
    yield worker
    worker.close()


@pytest.fixture
def window(qtbot: QtBot, profiles_home: Home, runner: ThreadRunner) -> AllowedExtensionsWindow:
    shown = AllowedExtensionsWindow(runner)
    qtbot.addWidget(shown)
    shown.show()
    qtbot.waitExposed(shown)
    return shown


def rows(tree: object) -> list[list[str]]:
    from PySide6.QtWidgets import QTreeWidget

    assert isinstance(tree, QTreeWidget)
    found = []
    for index in range(tree.topLevelItemCount()):
        item = tree.topLevelItem(index)
        assert item is not None
        found.append([item.text(c) for c in range(tree.columnCount())])
    return found


def opened_add(qtbot: QtBot, window: AllowedExtensionsWindow) -> AddExtensionDialog:
    QTest.mouseClick(window.add_button, Qt.MouseButton.LeftButton)
    dialog = window.add_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: bool(dialog.found), timeout=10_000)
    return dialog


def manifest_ids(home: Home, path: Path, key: str) -> list[str]:
    return list(json.loads((home.home / path).read_text())[key])


def test_lists_the_allowed_extensions_with_names_and_family(
    window: AllowedExtensionsWindow,
) -> None:
    assert rows(window.table) == [
        ["Bridgekeeper demo", "Chromium family", CHROME_ID],
        ["(no name given)", "Firefox family", FIREFOX_ID],
    ]
    assert not window.remove_button.isEnabled()
    assert window.table.horizontalScrollBar().maximum() == 0  # every column in view


def test_add_one_picked_from_a_profile_registers_it_with_that_browser(
    qtbot: QtBot, window: AllowedExtensionsWindow, profiles_home: Home
) -> None:
    dialog = opened_add(qtbot, window)
    listed = rows(dialog.table)
    assert ["Bitwarden", "Chromium (Person 1)", BITWARDEN] in listed
    assert ["Bitwarden", "Firefox (default-release)", GUID] in listed
    allowed = next(
        dialog.table.topLevelItem(i)
        for i in range(dialog.table.topLevelItemCount())
        if dialog.table.topLevelItem(i).text(2) == CHROME_ID  # type: ignore[union-attr]
    )
    assert isinstance(allowed, QTreeWidgetItem)
    assert "(already allowed)" in allowed.text(0)
    assert not allowed.flags() & Qt.ItemFlag.ItemIsEnabled
    assert not dialog.allow_button.isEnabled()
    picked = next(
        dialog.table.topLevelItem(i)
        for i in range(dialog.table.topLevelItemCount())
        if dialog.table.topLevelItem(i).text(2) == BITWARDEN  # type: ignore[union-attr]
    )
    assert picked is not None
    dialog.table.setCurrentItem(picked)
    assert dialog.allow_button.isEnabled()
    QTest.mouseClick(dialog.allow_button, Qt.MouseButton.LeftButton)
    assert settings.load().find("chromium", BITWARDEN) == settings.Extension(
        "chromium", BITWARDEN, "Bitwarden"
    )
    assert ["Bitwarden", "Chromium family", BITWARDEN] in rows(window.table)
    # Chromium had no manifest of ours: it was registered, allowing both its extensions.
    origins = manifest_ids(profiles_home, CHROMIUM_MANIFEST, "allowed_origins")
    assert sorted(origins) == sorted(f"chrome-extension://{i}/" for i in (CHROME_ID, BITWARDEN))
    assert not (profiles_home.home / FIREFOX_MANIFEST).exists()  # not where it was not found
    assert window.status.text() == "Allowed: Bitwarden. Browsers updated: Chromium."


def test_add_by_typing_an_id(
    qtbot: QtBot, window: AllowedExtensionsWindow, profiles_home: Home
) -> None:
    dialog = opened_add(qtbot, window)
    QTest.keyClicks(dialog.id_field, "not an id")
    assert dialog.problem.isVisible()
    assert "not an extension ID" in dialog.problem.text()
    assert not dialog.allow_button.isEnabled()
    dialog.id_field.setText("typed@example.org")
    QTest.keyClicks(dialog.name_field, "  Typed   one ")
    assert not dialog.problem.isVisible()
    assert dialog.allow_button.isEnabled()
    QTest.mouseClick(dialog.allow_button, Qt.MouseButton.LeftButton)
    assert settings.load().find("firefox", "typed@example.org") == settings.Extension(
        "firefox", "typed@example.org", "Typed one"
    )
    # A typed Firefox id: every detected Firefox-family browser without our manifest.
    assert "typed@example.org" in manifest_ids(
        profiles_home, FIREFOX_MANIFEST, "allowed_extensions"
    )


def test_remove_asks_then_takes_it_out_of_the_manifests(
    qtbot: QtBot, window: AllowedExtensionsWindow, profiles_home: Home
) -> None:
    from app.integration.install import current_machine, install
    from app.integration.manifests import host_path

    install(current_machine(), settings.load(), host_path())
    assert f"chrome-extension://{CHROME_ID}/" in manifest_ids(
        profiles_home, CHROMIUM_MANIFEST, "allowed_origins"
    )
    first = window.table.topLevelItem(0)
    assert first is not None
    window.table.setCurrentItem(first)
    assert window.remove_button.isEnabled()
    answer_question(qtbot, window, "cancel")
    QTest.mouseClick(window.remove_button, Qt.MouseButton.LeftButton)
    assert settings.load().find("chromium", CHROME_ID) is not None
    answer_question(qtbot, window, "remove")
    QTest.mouseClick(window.remove_button, Qt.MouseButton.LeftButton)
    assert settings.load().find("chromium", CHROME_ID) is None
    assert manifest_ids(profiles_home, CHROMIUM_MANIFEST, "allowed_origins") == []
    assert rows(window.table) == [["(no name given)", "Firefox family", FIREFOX_ID]]
    assert window.status.text().startswith("Removed: Bridgekeeper demo.")


def test_profiles_are_read_off_the_gui_thread_and_hostile_ones_do_not_stop_it(
    qtbot: QtBot,
    window: AllowedExtensionsWindow,
    profiles_home: Home,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import os

    hostile = profiles_home.home / ".config/chromium/Profile 1"
    hostile.mkdir()
    os.mkfifo(hostile / "Preferences")  # would block a reader that opens it plainly
    (profiles_home.home / ".mozilla/firefox/x.default/extensions.json").write_bytes(b"[" * 200_000)
    threads: list[int] = []
    real = profiles.installed_extensions

    def recorded(*args: object) -> list[profiles.InstalledExtension]:
        threads.append(threading.get_ident())
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(extensions_window, "installed_extensions", recorded)
    dialog = opened_add(qtbot, window)
    assert threads
    assert threads[0] != threading.get_ident()
    assert [r[2] for r in rows(dialog.table)] == [BITWARDEN, CHROME_ID]
    assert dialog.status.text() == "Extensions found in your browsers: 2."


def test_unreadable_settings_are_shown(
    qtbot: QtBot, profiles_home: Home, runner: ThreadRunner
) -> None:
    (profiles_home.bk_home / "config" / "settings.json").write_text('{"version": 99}')
    window = AllowedExtensionsWindow(runner)
    qtbot.addWidget(window)
    assert rows(window.table) == []
    assert "newer Bridgekeeper" in window.status.text()


def test_an_extension_the_policy_allows_is_listed_but_cannot_be_removed(
    qtbot: QtBot, profiles_home: Home, runner: ThreadRunner
) -> None:
    policy = profiles_home.bk_home / "policy.json"
    policy.write_text(json.dumps({"version": 1, "allowed_extensions": [f"{BITWARDEN}=Vault"]}))
    policy.chmod(0o644)
    window = AllowedExtensionsWindow(runner)
    qtbot.addWidget(window)
    listed = rows(window.table)
    assert ["Vault (allowed by your administrator)", "Chromium family", BITWARDEN] in listed
    managed = next(
        window.table.topLevelItem(i)
        for i in range(window.table.topLevelItemCount())
        if window.table.topLevelItem(i).text(2) == BITWARDEN  # type: ignore[union-attr]
    )
    assert managed is not None
    assert not managed.flags() & Qt.ItemFlag.ItemIsSelectable
    assert "policy" in managed.toolTip(0)
    window.table.selectAll()
    assert BITWARDEN not in [ident for _family, ident in window.selected()]
