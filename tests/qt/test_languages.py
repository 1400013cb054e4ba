"""The windows in Simplified Chinese (SPEC "Languages"): the catalogue is complete and
current for the sources (a user-visible string without a Chinese translation fails here),
compiled, consistent in its placeholders and mnemonics; every window, menu and dialog
shows no untranslated text; a missing string falls back to English."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree

import pytest
from PySide6.QtCore import QCoreApplication, QTranslator
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from app.core.prompts import Option
from app.ui import i18n
from app.ui.dialogs import PromptDialog
from tests.support.harness import Home
from tests.support.widget_checks import texts

pytestmark = pytest.mark.qt_log_ignore(
    "does not support propagateSizeHints", "does not support raise"
)

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "assets" / "translations"
CATALOGUE = TRANSLATIONS / "bridgekeeper_zh_CN.ts"
COMPILED = TRANSLATIONS / "bridgekeeper_zh_CN.qm"
BIN = Path(sys.executable).parent
SOURCES = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "app" / "ui").glob("*.py"))
SOURCES.append("app/main.py")
# Words that stay Latin in Chinese: names, and what the keyboard and protocols say.
LATIN = {
    "Bridgekeeper", "Chromium", "Firefox", "Flatpak", "Snap", "Python", "Qt", "PySide",
    "MIT", "ASCII", "Alt", "Esc", "Enter", "GUID", "https", "bridgekeeper", "org", "com",
    "Brave", "Vivaldi", "Opera", "Edge", "LibreWolf", "Waterfox", "Tor", "Browser",
}  # fmt: skip


def messages(path: Path) -> list[tuple[str, str, ElementTree.Element]]:
    tree = ElementTree.parse(path)
    found = []
    for context in tree.getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            translation = message.find("translation")
            assert translation is not None
            found.append((name, message.findtext("source") or "", translation))
    return found


def test_the_catalogue_is_current_and_every_string_translated(tmp_path: Path) -> None:
    current = tmp_path / CATALOGUE.name
    shutil.copy(CATALOGUE, current)
    done = subprocess.run(
        [
            str(BIN / "pyside6-lupdate"),
            *SOURCES,
            *("-no-obsolete", "-locations", "none", "-ts", str(current)),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    untranslated = [
        f"{context}: {source!r}"
        for context, source, translation in messages(current)
        if translation.get("type") in ("unfinished", "vanished", "obsolete")
        or not (translation.text or "").strip()
    ]
    assert untranslated == [], "run ./dev translations, then translate these"
    assert current.read_text(encoding="utf-8") == CATALOGUE.read_text(encoding="utf-8"), (
        "the catalogue is not current: run ./dev translations"
    )


def test_the_compiled_catalogue_is_the_committed_one(tmp_path: Path) -> None:
    compiled = tmp_path / "out.qm"
    subprocess.run(
        [str(BIN / "pyside6-lrelease"), "-silent", str(CATALOGUE), "-qm", str(compiled)],
        check=True,
        timeout=60,
    )
    assert compiled.read_bytes() == COMPILED.read_bytes(), "run ./dev translations"


PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
MNEMONIC = re.compile(r"(?<!&)&([^&\s{])")


def test_translations_keep_placeholders_and_mnemonic_letters() -> None:
    for context, source, translation in messages(CATALOGUE):
        text = translation.text or ""
        where = f"{context}: {source!r}"
        assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(source)), where
        letters = [m.lower() for m in MNEMONIC.findall(source)]
        assert [m.lower() for m in MNEMONIC.findall(text)] == letters, where
        if letters:  # Chinese style: the letter in brackets, after the words
            assert re.search(r"\(&[A-Z{]", text), where


def test_one_word_for_allow_and_one_for_extension() -> None:
    pairs = [
        (PLACEHOLDER.sub("", source.lower()), t.text or "") for _, source, t in messages(CATALOGUE)
    ]
    for source, text in pairs:
        if re.search(r"\ballow(ed)?\b", source):
            assert "允许" in text, source
        if "extension" in source and "chrome-extension" not in source:
            assert "扩展" in text, source
        assert "插件" not in text, source  # not a second word for "extension"
        assert "扩展程序" not in text, source
        assert "许可" not in text.replace("许可证", ""), source  # nor for "allow"


# -- every window in Chinese -------------------------------------------------------------
def untranslated(found: list[str], allowed: set[str]) -> list[str]:
    """Texts that still carry an English word: a Latin word of three or more letters
    that is not a name, a key or data the test put there."""
    bad = []
    for text in found:
        data = re.sub(
            r"<[^>]*>|(https?|chrome-extension)://[^\s<]+|\S+@\S+|\{[0-9a-f-]{36}\}|/\S+",
            "",
            text,
        )
        words = re.findall(r"[A-Za-z]{3,}", data.replace("&", ""))
        if any(word not in LATIN and word not in allowed for word in words):
            bad.append(text)
    return bad


@pytest.fixture
def chinese_desktop(chinese: str, desktop_home: Home) -> Home:
    return desktop_home


OPTIONS = tuple(Option(f"o{i}", f"选项 {i}") for i in range(3))
KINDS: list[dict[str, object]] = [
    {"danger": True, "allow_label": "发送", "details": "数据", "site": "https://例子.测试"},
    {"can_remember": True, "extension_name": "", "browser": "a Chromium-family browser"},
    {"kind": "choose", "options": OPTIONS},
    {"kind": "prompt", "secret": True, "placeholder": "口令"},
    {"kind": "prompt", "max_length": 2, "default": "好的"},
]


@pytest.mark.parametrize("fields", KINDS)
def test_every_dialog_kind_in_chinese(
    chinese: str, open_dialog: Callable[..., PromptDialog], fields: dict[str, object]
) -> None:
    dialog = open_dialog(**{"title": "标题", "message": "消息", "extension_name": "演示", **fields})
    dialog.set_waiting(3, from_same=2)
    if dialog.details_button is not None:
        dialog.details_button.setChecked(True)
    if dialog.caps_label is not None:
        dialog.caps_label.show()
    found = texts(dialog)
    assert "拒绝(&D)" in found or "取消(&C)" in found
    allowed = {"knldjmfmopnpolahpmmgbagdohdnhkik", "xn"}
    assert untranslated(found, allowed) == []


def test_the_tray_and_every_window_in_chinese(
    qtbot: QtBot, chinese_desktop: Home, qapp: QApplication
) -> None:
    from app.core.activity import ActivityLog
    from app.core.decisions import DecisionKey, DecisionStore
    from app.core.queue import PromptQueue, UnattendedPresenter
    from app.qt.timers import QtScheduler
    from app.qt.worker import ThreadRunner
    from app.ui.integration_menu import build_integration_menu
    from app.ui.tray import Tray
    from tests.support.screenshot_scenes import ManualAutostart

    store = DecisionStore(chinese_desktop.bk_home)
    store.remember(DecisionKey("chromium", "a" * 32, "secret.get", "令牌"), "allow")
    activity = ActivityLog()
    for outcome, reason in [("allow", "remembered"), ("deny", "timeout"), ("busy", "")]:
        activity.record(
            browser="a Firefox-family browser", extension_id="demo@bridgekeeper.org",
            extension_name="演示", type="secret.set", title="标题", outcome=outcome,
            reason=reason, family="firefox", site="https://例子.测试",
        )  # fmt: skip
    queue = PromptQueue(UnattendedPresenter(), QtScheduler(), store, activity)
    runner = ThreadRunner()
    tray = Tray(
        queue, store, activity, ManualAutostart(), runner,
        integration_menu=build_integration_menu,
    )  # fmt: skip
    try:
        found = texts(tray.menu)
        queue.set_paused(True)
        found += texts(tray.menu)
        queue.set_paused(False)
        assert "退出(&Q)" in found
        tray.show_activity()
        tray.show_decisions()
        tray.show_about()
        tray.show_extensions()
        windows: list[QWidget | None] = [
            tray.activity_window,
            tray.decisions_window,
            tray.about_box,
            tray.extensions_window,
        ]
        assert tray.extensions_window is not None
        tray.extensions_window.add()
        windows.append(tray.extensions_window.add_dialog)
        dialog = tray.extensions_window.add_dialog
        assert dialog is not None
        qtbot.waitUntil(lambda: "找到" in dialog.status.text(), timeout=10_000)
        dialog.id_field.setText("不是 ID")
        for window in windows:
            assert window is not None
            found += texts(window)
        allowed = {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "demo", "xn", "Demo", "Extension"}
        assert untranslated(found, allowed) == [], untranslated(found, allowed)
    finally:
        tray.close()
        runner.close()


# -- the language picked, and English where a translation is missing ----------------------
def test_the_locale_picks_the_catalogue(qapp: QApplication) -> None:
    try:
        assert i18n.install_translations(qapp, {"LANG": "zh_CN.UTF-8"}) == "zh_CN"
        assert i18n.current_language() == "zh_CN"
        assert QCoreApplication.translate("PromptDialog", "&Allow") == "允许(&A)"
        # Qt's own texts too (a text field's context menu).
        assert QCoreApplication.translate("QLineEdit", "&Copy") != "&Copy"
        assert i18n.install_translations(qapp, {"LANGUAGE": "fr", "LANG": "zh_CN"}) == "en"
        assert QCoreApplication.translate("PromptDialog", "&Allow") == "&Allow"
    finally:
        i18n.install_translations(qapp, {"LANG": "C"})


def test_a_string_missing_from_the_catalogue_shows_in_english(
    qapp: QApplication, tmp_path: Path
) -> None:
    tree = ElementTree.parse(CATALOGUE)
    for context in tree.getroot().iter("context"):
        for message in list(context.iter("message")):
            if message.findtext("source") == "&Deny":
                context.remove(message)
    partial = tmp_path / "partial.ts"
    tree.write(partial, encoding="utf-8", xml_declaration=True)
    compiled = tmp_path / "partial.qm"
    subprocess.run(
        [str(BIN / "pyside6-lrelease"), "-silent", str(partial), "-qm", str(compiled)],
        check=True,
        timeout=60,
    )
    translator = QTranslator()
    assert translator.load(str(compiled))
    qapp.installTranslator(translator)
    try:
        assert QCoreApplication.translate("PromptDialog", "&Deny") == "&Deny"
        assert QCoreApplication.translate("PromptDialog", "&Allow") == "允许(&A)"
    finally:
        qapp.removeTranslator(translator)


def test_the_fonts_the_app_finds_cover_chinese_and_colour_emoji(qapp: QApplication) -> None:
    """./dev (and the .deb) install Noto CJK and Noto Color Emoji; Qt finds them through
    fontconfig, so Chinese and emoji draw as text, not boxes."""
    from PySide6.QtGui import QFont, QFontDatabase, QRawFont

    assert QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese)
    emoji = [family for family in QFontDatabase.families() if "Color Emoji" in family]
    assert emoji, "no colour emoji font: apt-get install fonts-noto-color-emoji"
    raw = QRawFont.fromFont(QFont(emoji[0]))
    assert raw.supportsCharacter(0x1F600)  # 😀
