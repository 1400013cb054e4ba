"""Colours from the palette: every text the dialogs colour themselves reads at WCAG 4.5:1
or better on what it is drawn on, in a light and a dark palette (the dark one is the
GTK Adwaita dark palette Qt's gtk3 theme gives; tests/desktop checks the real theme)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QStyleFactory
from pytestqt.qtbot import QtBot

from app.ui.colors import (
    DANGER_ON_LIGHT,
    contrast,
    danger_text,
    luminance,
    muted_text,
    readable,
)
from app.ui.dialogs import PromptDialog
from app.ui.windows import AboutWindow
from tests.support.widget_checks import unreadable

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")

ADWAITA_DARK = {
    QPalette.ColorRole.Window: "#323232",
    QPalette.ColorRole.WindowText: "#ffffff",
    QPalette.ColorRole.Base: "#323232",
    QPalette.ColorRole.AlternateBase: "#2f2f2f",
    QPalette.ColorRole.Text: "#ffffff",
    QPalette.ColorRole.Button: "#323232",
    QPalette.ColorRole.ButtonText: "#ffffff",
    QPalette.ColorRole.Highlight: "#15539e",
    QPalette.ColorRole.Link: "#308cc6",
    QPalette.ColorRole.PlaceholderText: "#9b9b9b",
}


def light() -> QPalette:
    style = QStyleFactory.create("Fusion")
    assert style is not None
    return style.standardPalette()


def dark() -> QPalette:
    palette = light()
    for role, color in ADWAITA_DARK.items():
        palette.setColor(role, QColor(color))
    return palette


@pytest.fixture(params=["light", "dark"])
def themed(request: pytest.FixtureRequest, qapp: QApplication) -> Iterator[QPalette]:
    before = qapp.palette()
    palette = light() if request.param == "light" else dark()
    qapp.setPalette(palette)
    yield palette
    qapp.setPalette(before)


def test_the_issue_s_red_on_dark_was_unreadable_and_is_replaced() -> None:
    assert contrast(DANGER_ON_LIGHT, QColor("#323232")) < 2  # 1.9:1, as the issue measured
    assert contrast(danger_text(dark()), QColor("#323232")) >= 4.5
    assert contrast(danger_text(light()), light().color(QPalette.ColorRole.Window)) >= 4.5
    assert luminance(QColor("white")) == pytest.approx(1.0)
    assert contrast(QColor("black"), QColor("white")) == pytest.approx(21.0)


@pytest.mark.usefixtures("quick_arm")
def test_every_label_of_a_danger_dialog_reads_at_4_5(
    themed: QPalette, qtbot: QtBot, open_dialog: Callable[..., PromptDialog]
) -> None:
    dialog = open_dialog(
        danger=True,
        site="https://\u0430pple.com",
        allow_label="Send 0.5 ETH",
        kind="prompt",
        secret=True,
    )
    dialog.set_waiting(2, from_same=1)
    assert dialog.caps_label is not None
    dialog.caps_label.show()
    labels = [label for label in dialog.findChildren(QLabel) if label.isVisible() and label.text()]
    assert len(labels) > 12
    assert unreadable(dialog) == []
    button = dialog.ok_button
    qtbot.waitUntil(button.isEnabled)
    fg = button.palette().color(button.foregroundRole())
    assert contrast(fg, button.palette().color(button.backgroundRole())) >= 4.5


def test_options_are_outlined_at_3_to_1(
    themed: QPalette, qtbot: QtBot, open_dialog: Callable[..., PromptDialog]
) -> None:
    from app.core.prompts import Option

    dialog = open_dialog(kind="choose", options=(Option("a", "A"), Option("b", "B")))
    row = dialog.option_rows[1]  # not selected, not focused: its outline alone
    image = row.grab().toImage()
    outline = QColor(image.pixel(image.width() // 2, 0))
    background = themed.color(QPalette.ColorRole.Window)
    assert contrast(outline, background) >= 3.0, (outline.name(), background.name())


def test_text_fields_stand_out_from_a_dark_window(
    themed: QPalette, open_dialog: Callable[..., PromptDialog]
) -> None:
    dialog = open_dialog(kind="prompt", secret=True)
    assert dialog.line_edit is not None
    palette = dialog.line_edit.palette()
    field = palette.color(QPalette.ColorRole.Base)
    window = palette.color(QPalette.ColorRole.Window)
    assert contrast(field, window) >= (
        1.3 if themed is not None and luminance(window) < 0.2 else 1.1
    )


def test_the_about_link_reads_at_4_5(themed: QPalette, qapp: QApplication) -> None:
    from pathlib import Path

    about = AboutWindow(Path("/tmp"), lambda: None)
    palette = about.link.palette()
    assert (
        contrast(palette.color(QPalette.ColorRole.Link), palette.color(QPalette.ColorRole.Window))
        >= 4.5
    )
    about.deleteLater()


colors = st.builds(QColor.fromRgb, *(st.integers(0, 255) for _ in range(3)))


@given(colors, colors)
def test_readable_reaches_4_5_on_any_background(color: QColor, background: QColor) -> None:
    assert contrast(readable(color, background), background) >= 4.5


@given(colors, colors)
def test_muted_text_never_drops_below_4_5(text: QColor, background: QColor) -> None:
    palette = QPalette()
    palette.setColor(QPalette.ColorRole.Window, background)
    palette.setColor(QPalette.ColorRole.WindowText, readable(text, background))
    assert contrast(muted_text(palette), background) >= 4.5
