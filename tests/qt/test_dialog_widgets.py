"""The prompt dialogs, real widgets offscreen, driven with keys and clicks (pytest-qt).

The keyboard's every rule per dialog kind is in test_dialog_keyboard.py."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontInfo
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from app.core.prompts import Answer, Option
from app.core.text import ZERO_WIDTH_SPACE
from app.ui import dialogs
from app.ui.colors import DANGER_BUTTON, contrast
from app.ui.dialogs import DialogPresenter, PromptDialog
from tests.qt.conftest import Answers, make
from tests.support.widget_checks import clipped

# The offscreen platform has no window system to pass a minimum size or a raise to, and
# says so; harmless here (tests/desktop runs the same under a real X server).
pytestmark = pytest.mark.qt_log_ignore(
    "does not support propagateSizeHints", "does not support raise"
)


def press_mnemonic(qtbot: QtBot, dialog: PromptDialog, key: Qt.Key) -> None:
    """Alt+key, as a user presses it: Qt answers a mnemonic with an animated click, which
    lands about 100 ms later."""
    QTest.keyClick(dialog, key, Qt.KeyboardModifier.AltModifier)


def armed(qtbot: QtBot, dialog: PromptDialog) -> PromptDialog:
    qtbot.waitUntil(dialog.ok_button.isEnabled, timeout=3000)
    return dialog


def plain(label: QLabel | None) -> str:
    assert label is not None
    return label.text().replace(ZERO_WIDTH_SPACE, "")


@pytest.mark.usefixtures("quick_arm")
def test_confirm_allow_with_mnemonic(
    qtbot: QtBot, open_dialog: Callable[..., PromptDialog], answers: Answers
) -> None:
    dialog = armed(qtbot, open_dialog())
    assert dialog.ok_button.text() == "&Allow"
    press_mnemonic(qtbot, dialog, Qt.Key.Key_A)
    qtbot.waitUntil(lambda: answers == [(1, Answer("allow"))])


def test_deny_is_the_default_button_and_enter_denies(
    qtbot: QtBot, open_dialog: Callable[..., PromptDialog], answers: Answers
) -> None:
    dialog = open_dialog()
    assert dialog.cancel_button.isDefault()
    assert not dialog.ok_button.isDefault()
    assert dialog.focusWidget() is dialog.cancel_button
    QTest.keyClick(dialog.focusWidget(), Qt.Key.Key_Return)
    assert answers == [(1, Answer("deny"))]


def test_escape_denies_as_the_user(
    qtbot: QtBot, open_dialog: Callable[..., PromptDialog], answers: Answers
) -> None:
    dialog = open_dialog()
    QTest.keyClick(dialog, Qt.Key.Key_Escape)
    assert answers == [(1, Answer("deny"))]


def test_closing_the_window_denies_with_closed_flag(
    open_dialog: Callable[..., PromptDialog], answers: Answers
) -> None:
    dialog = open_dialog(kind="choose", options=(Option("a", "A"), Option("b", "B")))
    dialog.close()
    assert answers == [(1, Answer("cancel", closed=True))]


def test_allow_is_disabled_for_the_first_second(
    qtbot: QtBot, open_dialog: Callable[..., PromptDialog], answers: Answers
) -> None:
    shown = time.monotonic()
    dialog = open_dialog()
    assert not dialog.ok_button.isEnabled()
    with qtbot.assertNotEmitted(dialog.ok_button.clicked, wait=300):
        QTest.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
        press_mnemonic(qtbot, dialog, Qt.Key.Key_A)
    assert answers == []
    qtbot.waitUntil(dialog.ok_button.isEnabled, timeout=3000)
    assert time.monotonic() - shown >= 0.95
    QTest.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert answers == [(1, Answer("allow"))]


def test_countdown_shows_and_ticks_while_open(
    qtbot: QtBot, open_dialog: Callable[..., PromptDialog]
) -> None:
    dialog = open_dialog(deadline=time.monotonic() + 75.5)
    assert dialog.countdown_label.text() == "No answer in 1:16 counts as Deny."
    qtbot.waitUntil(lambda: "1:15" in dialog.countdown_label.text(), timeout=3000)


def test_timers_stop_when_the_dialog_closes(
    qtbot: QtBot, open_dialog: Callable[..., PromptDialog]
) -> None:
    dialog = open_dialog()
    assert dialog._tick_timer.isActive()
    QTest.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog._tick_timer.isActive()
    assert not dialog._arm_timer.isActive()


def test_html_is_shown_literally(open_dialog: Callable[..., PromptDialog]) -> None:
    dialog = open_dialog(title="<i>Hi</i>", message='<b>bold</b> <a href="x">link</a>')
    assert dialog.title_label.textFormat() == Qt.TextFormat.PlainText
    assert dialog.message_label.textFormat() == Qt.TextFormat.PlainText
    assert dialog.title_label.text() == "<i>Hi</i>"
    assert dialog.message_label.text() == '<b>bold</b> <a href="x">link</a>'


def test_right_to_left_override_in_title_is_neutralised(
    open_dialog: Callable[..., PromptDialog],
) -> None:
    dialog = open_dialog(title="invoice\u202egnp.exe", message="a\x1bb\u2066c")
    assert "\u202e" not in dialog.title_label.text()
    assert "RLO U+202E" in dialog.title_label.text()
    assert "\x1b" not in dialog.message_label.text()
    assert "\u2066" not in dialog.message_label.text()


def test_caller_comes_from_host_data_in_its_own_box_with_the_mark(
    open_dialog: Callable[..., PromptDialog],
) -> None:
    dialog = open_dialog()
    box = dialog.findChild(QWidget, "caller")
    assert box is not None
    assert plain(dialog.name_label) == "Demo Extension"
    assert plain(dialog.extension_label) == "knldjmfmopnpolahpmmgbagdohdnhkik"
    assert plain(dialog.browser_label) == "Chromium"
    for shown in (dialog.name_label, dialog.extension_label, dialog.browser_label, dialog.mark):
        assert box.isAncestorOf(shown)
    assert not dialog.mark.pixmap().isNull()
    # Everything the extension wrote is outside the box.
    for written in (dialog.title_label, dialog.message_label, dialog.site_label):
        assert written is not None
        assert not box.isAncestorOf(written)
    assert dialog.site_label is not None
    assert plain(dialog.site_label) == "Site, as the extension states it: https://example.com"


@pytest.mark.parametrize(
    "site",
    [
        "chrome-extension://nngceckbapebfimnlniiiahkandclblb",
        "https://bitwarden(nngceckbapebfimnlniiiahkandclblb)",
    ],
)
def test_a_site_naming_another_extension_is_a_claim_outside_the_box(
    open_dialog: Callable[..., PromptDialog], site: str
) -> None:
    dialog = open_dialog(site=site)
    box = dialog.findChild(QWidget, "caller")
    assert box is not None
    assert dialog.site_label is not None
    assert not box.isAncestorOf(dialog.site_label)
    assert plain(dialog.site_label) == f"Site, as the extension states it: {site}"
    assert "nngceck" not in plain(dialog.extension_label)


def test_a_lookalike_host_shows_its_xn_form_in_warning_colours(
    open_dialog: Callable[..., PromptDialog],
) -> None:
    dialog = open_dialog(site="https://\u0430pple.com")  # Cyrillic a
    assert dialog.site_ascii_label is not None
    assert dialog.site_ascii_label.isVisible()
    assert plain(dialog.site_ascii_label).endswith("In ASCII it reads:\nhttps://xn--pple-43d.com")
    warning = dialog.site_ascii_label.palette().color(dialog.site_ascii_label.foregroundRole())
    background = dialog.palette().color(dialog.backgroundRole())
    assert contrast(warning, background) >= 4.5
    assert warning != dialog.palette().color(dialog.foregroundRole())
    assert open_dialog(key=2).site_ascii_label is None  # ASCII: nothing to add


@pytest.mark.parametrize("kind", ["confirm", "choose", "prompt"])
def test_no_site_line_when_the_request_has_none(
    open_dialog: Callable[..., PromptDialog], kind: str
) -> None:
    options = (Option("a", "A"), Option("b", "B"))
    dialog = open_dialog(kind=kind, site="", options=options)
    assert dialog.site_label is None
    assert not any("Site" in label.text() for label in dialog.findChildren(QLabel))


def test_an_unidentified_browser_is_named_by_its_family(
    open_dialog: Callable[..., PromptDialog],
) -> None:
    dialog = open_dialog(browser="a Firefox-family browser", family="firefox", extension_name="")
    assert plain(dialog.browser_label) == "unidentified browser (Firefox family)"
    assert plain(dialog.name_label) == "(no name was given when it was allowed)"


def test_long_message_scrolls_and_is_not_cut(
    qtbot: QtBot, open_dialog: Callable[..., PromptDialog]
) -> None:
    message = "".join(f"line {i} " + "y" * 90 + " " for i in range(110))[:10_000]
    dialog = open_dialog(message=message)
    assert dialog.message_label.text().replace(ZERO_WIDTH_SPACE, "") == message
    assert dialog.message_area is not None
    assert dialog.message_area.verticalScrollBar().maximum() > 0
    assert dialog.message_area.height() <= dialogs.MESSAGE_MAX_HEIGHT
    screen = QApplication.primaryScreen().availableGeometry()
    assert dialog.height() <= screen.height()
    label = dialog.message_label
    assert label.height() >= label.heightForWidth(label.width())


def test_long_title_without_spaces_wraps_inside_the_dialog(
    open_dialog: Callable[..., PromptDialog],
) -> None:
    title = "W" * 200
    dialog = open_dialog(title=title)
    label = dialog.title_label
    assert label.text().replace(ZERO_WIDTH_SPACE, "") == title
    assert dialog.width() == dialogs.DIALOG_WIDTH
    assert label.geometry().right() < dialog.width()
    assert label.height() >= label.heightForWidth(label.width())


def test_twelve_long_options_wrap_and_scroll(
    qtbot: QtBot, open_dialog: Callable[..., PromptDialog]
) -> None:
    label = "long label words " * 11 + "z" * 40
    options = tuple(Option(f"o{i}", f"Option {i} {label}") for i in range(12))
    dialog = open_dialog(kind="choose", options=options, default="o2")
    assert dialog.options_area is not None
    assert dialog.options_area.height() <= dialogs.OPTIONS_MAX_HEIGHT
    assert dialog.options_area.verticalScrollBar().maximum() > 0
    for shown in dialog.option_labels:
        assert shown.geometry().right() <= dialog.options_area.viewport().width()
        assert shown.height() >= shown.heightForWidth(shown.width())
    QTest.mouseClick(dialog.option_labels[5], Qt.MouseButton.LeftButton)
    assert dialog.choices["o5"].isChecked()
    assert dialog.height() <= QApplication.primaryScreen().availableGeometry().height()


def test_long_button_labels_stack_instead_of_being_cut(
    open_dialog: Callable[..., PromptDialog],
) -> None:
    dialog = open_dialog(allow_label="A" * 40, deny_label="Never ever allow this, no thanks!")
    for button in (dialog.ok_button, dialog.cancel_button):
        assert button.width() >= button.sizeHint().width()
        assert button.geometry().right() < dialog.width()


def test_a_long_site_wraps_inside_the_dialog(open_dialog: Callable[..., PromptDialog]) -> None:
    site = "https://" + "a" * 250 + ".example.com:8443"
    dialog = open_dialog(site=site)
    assert dialog.site_label is not None
    assert plain(dialog.site_label).endswith(site)
    assert clipped(dialog) == []


def test_details_are_folded_until_asked_for(
    qtbot: QtBot, open_dialog: Callable[..., PromptDialog]
) -> None:
    dialog = open_dialog(details="stack trace\n<script>")
    assert dialog.details_view is not None
    assert dialog.details_button is not None
    assert not dialog.details_view.isVisible()
    press_mnemonic(qtbot, dialog, Qt.Key.Key_L)
    qtbot.waitUntil(dialog.details_view.isVisible)
    assert dialog.details_view.toPlainText() == "stack trace\n<script>"


def test_details_are_monospaced_and_shown_whole_up_to_fourteen_lines(
    qtbot: QtBot, open_dialog: Callable[..., PromptDialog]
) -> None:
    data = "to: 0xab12cd34ef56ab12cd34ef56ab12cd34ef56ab9f\ndata: 0x" + "a9059cbb" * 18
    dialog = open_dialog(details=data)
    assert dialog.details_view is not None
    assert dialog.details_button is not None
    assert QFontInfo(dialog.details_view.font()).fixedPitch()
    dialog.details_button.setChecked(True)
    view = dialog.details_view
    # All of it, no scrolling (sized once laid out at its width).
    qtbot.waitUntil(lambda: view.isVisible() and view.verticalScrollBar().maximum() == 0)
    qtbot.wait(20)
    assert view.verticalScrollBar().maximum() == 0
    assert view.horizontalScrollBar().maximum() == 0  # wrapped, never sideways
    assert view.toPlainText() == data  # no break marks inserted
    assert clipped(dialog) == []
    long = open_dialog(key=2, details="line\n" * 40)
    assert long.details_button is not None
    long.details_button.setChecked(True)
    qtbot.wait(20)
    assert long.details_view is not None
    assert long.details_view.verticalScrollBar().maximum() > 0
    assert long.height() <= QApplication.primaryScreen().availableGeometry().height()


@pytest.mark.usefixtures("quick_arm")
def test_remember_checkbox_when_allowed(
    qtbot: QtBot, open_dialog: Callable[..., PromptDialog], answers: Answers
) -> None:
    assert open_dialog().remember is None
    dialog = armed(qtbot, open_dialog(key=2, can_remember=True))
    assert dialog.remember is not None
    press_mnemonic(qtbot, dialog, Qt.Key.Key_R)
    qtbot.waitUntil(dialog.remember.isChecked)
    QTest.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert answers == [(2, Answer("allow", remember=True))]


def test_danger_styling_from_the_palette_and_nothing_clipped(
    qtbot: QtBot, open_dialog: Callable[..., PromptDialog]
) -> None:
    usual = open_dialog()
    assert usual.danger_label is None
    assert usual.ok_button.palette().color(usual.ok_button.backgroundRole()) != DANGER_BUTTON
    dialog = armed(qtbot, open_dialog(key=2, danger=True, allow_label="Send 0.5 ETH"))
    assert dialog.danger_label is not None
    assert dialog.danger_label.isVisible()
    button = dialog.ok_button
    assert button.text() == "Send 0.5 ETH (&A)"
    assert button.font().bold()
    assert button.palette().color(button.backgroundRole()) == DANGER_BUTTON
    text = button.palette().color(button.foregroundRole())
    assert contrast(text, DANGER_BUTTON) >= 4.5
    assert button.styleSheet() == ""  # a style sheet's bold font is not in the size hint
    assert button.width() >= button.sizeHint().width()
    assert clipped(dialog) == []


@pytest.mark.usefixtures("quick_arm")
def test_custom_labels_cannot_forge_a_mnemonic(
    qtbot: QtBot, open_dialog: Callable[..., PromptDialog], answers: Answers
) -> None:
    dialog = armed(qtbot, open_dialog(allow_label="&Yes & go", deny_label="&No"))
    assert dialog.ok_button.text() == "&&Yes && go (&A)"
    assert dialog.cancel_button.text() == "&&No (&D)"
    with qtbot.assertNotEmitted(dialog.ok_button.clicked, wait=300):
        press_mnemonic(qtbot, dialog, Qt.Key.Key_Y)
        press_mnemonic(qtbot, dialog, Qt.Key.Key_N)
    assert answers == []
    # The app's own mnemonic stays: Alt+A allows whatever the label says.
    press_mnemonic(qtbot, dialog, Qt.Key.Key_A)
    qtbot.waitUntil(lambda: answers == [(1, Answer("allow"))])


def test_position_shows_when_more_wait(open_dialog: Callable[..., PromptDialog]) -> None:
    dialog = open_dialog(waiting=2)
    assert dialog.position_label.text() == "1 of 3"
    assert not dialog.deny_all_button.isVisible()  # none of those is from this extension
    dialog.set_waiting(2, from_same=1)
    assert dialog.deny_all_button.isVisible()
    assert dialog.deny_all_button.text() == "Deny all from this &extension (2)"
    dialog.set_waiting(0)
    assert not dialog.position_label.isVisible()
    assert not dialog.deny_all_button.isVisible()


@pytest.mark.usefixtures("quick_arm")
def test_choose_preselects_default_and_submits_with_keys(
    qtbot: QtBot, open_dialog: Callable[..., PromptDialog], answers: Answers
) -> None:
    options = tuple(Option(f"o{i}", f"Account {i}") for i in range(4))
    dialog = armed(qtbot, open_dialog(kind="choose", options=options, default="o2"))
    assert dialog.choices["o2"].isChecked()
    assert dialog.focusWidget() is dialog.choices["o2"]
    QTest.keyClick(dialog.focusWidget(), Qt.Key.Key_Down)
    assert dialog.choices["o3"].isChecked()
    press_mnemonic(qtbot, dialog, Qt.Key.Key_S)
    qtbot.waitUntil(lambda: answers == [(1, Answer("submit", choice="o3"))])


@pytest.mark.usefixtures("quick_arm")
def test_prompt_masks_secret_and_enforces_max_length(
    qtbot: QtBot, open_dialog: Callable[..., PromptDialog], answers: Answers
) -> None:
    dialog = armed(qtbot, open_dialog(kind="prompt", secret=True, max_length=5, default=""))
    edit = dialog.line_edit
    assert edit is not None
    assert edit.echoMode() == QLineEdit.EchoMode.Password
    assert dialog.focusWidget() is edit
    QTest.keyClicks(edit, "hunter2")
    assert edit.text() == "hunte"
    press_mnemonic(qtbot, dialog, Qt.Key.Key_S)
    qtbot.waitUntil(lambda: answers == [(1, Answer("submit", value="hunte"))])


@pytest.mark.usefixtures("quick_arm")
def test_enter_in_the_text_field_neither_cancels_nor_submits(
    qtbot: QtBot, open_dialog: Callable[..., PromptDialog], answers: Answers
) -> None:
    dialog = armed(qtbot, open_dialog(kind="prompt"))
    assert dialog.line_edit is not None
    QTest.keyClicks(dialog.line_edit, "typed")
    assert dialog.answer_hint is not None
    assert dialog.answer_hint.text() == (
        "Enter does not answer here: use Submit (Alt+S) or Cancel (Esc)."
    )
    assert not dialog.answer_hint.font().bold()
    QTest.keyClick(dialog.line_edit, Qt.Key.Key_Return)
    QTest.keyClick(dialog.line_edit, Qt.Key.Key_Enter, Qt.KeyboardModifier.KeypadModifier)
    assert answers == []
    assert dialog.line_edit.text() == "typed"
    assert dialog.answer_hint.font().bold()  # it says why nothing happened


def test_alt_s_before_submit_is_armed_types_nothing_into_the_answer(
    qtbot: QtBot, open_dialog: Callable[..., PromptDialog], answers: Answers
) -> None:
    """A hurried Alt+S in the dialog's first second: Submit is not armed yet, and the
    field must not take the "s" (the next Alt+S would submit "Researchs")."""
    dialog = open_dialog(kind="prompt")
    assert dialog.line_edit is not None
    QTest.keyClicks(dialog.line_edit, "Research")
    assert not dialog.ok_button.isEnabled()
    QTest.keyClick(dialog.line_edit, Qt.Key.Key_S, Qt.KeyboardModifier.AltModifier)
    assert dialog.line_edit.text() == "Research"
    assert answers == []


def test_prompt_escape_cancels(
    qtbot: QtBot, open_dialog: Callable[..., PromptDialog], answers: Answers
) -> None:
    dialog = open_dialog(kind="prompt", default="draft")
    assert dialog.line_edit is not None
    assert dialog.line_edit.echoMode() == QLineEdit.EchoMode.Normal
    QTest.keyClick(dialog.line_edit, Qt.Key.Key_Escape)
    assert answers == [(1, Answer("cancel"))]


@pytest.mark.usefixtures("quick_arm")
def test_tab_reaches_every_control(qtbot: QtBot, open_dialog: Callable[..., PromptDialog]) -> None:
    dialog = armed(qtbot, open_dialog(details="more", can_remember=True))
    seen = set()
    for _ in range(8):
        QTest.keyClick(dialog.focusWidget(), Qt.Key.Key_Tab)
        seen.add(dialog.focusWidget())
    assert {dialog.details_button, dialog.remember, dialog.ok_button, dialog.cancel_button} <= seen


# -- the presenter ---------------------------------------------------------------------
@pytest.fixture
def presenter(answers: Answers) -> Iterator[DialogPresenter]:
    notes: list[tuple[str, str]] = []
    shown = DialogPresenter()
    shown.answered.connect(lambda key, answer: answers.append((key, answer)))
    shown.unfocused.connect(lambda title, message: notes.append((title, message)))
    shown.notes = notes  # type: ignore[attr-defined]
    yield shown
    if shown.dialog is not None and shiboken6.isValid(shown.dialog):
        shown.dialog.dismiss()


def test_presenter_shows_on_top_and_reports_the_answer(
    qtbot: QtBot, presenter: DialogPresenter, answers: Answers
) -> None:
    presenter.show(make(key=7), waiting=1)
    dialog = presenter.dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    assert dialog.windowFlags() & Qt.WindowType.WindowStaysOnTopHint
    assert dialog.windowTitle() == dialogs.WINDOW_TITLE
    presenter.set_waiting(3)
    assert dialog.position_label.text() == "1 of 4"
    QTest.keyClick(dialog, Qt.Key.Key_Escape)
    assert answers == [(7, Answer("deny"))]
    assert presenter.dialog is None
    assert presenter.bring_forward() is False


def test_presenter_close_does_not_answer(
    qtbot: QtBot, presenter: DialogPresenter, answers: Answers
) -> None:
    presenter.show(make(key=8), waiting=0)
    dialog = presenter.dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    presenter.close(99)  # another key: nothing happens
    assert dialog.isVisible()
    presenter.close(8)
    qtbot.waitUntil(lambda: not shiboken6.isValid(dialog))
    assert answers == []
    assert presenter.dialog is None


def test_presenter_brings_a_minimised_dialog_forward(
    qtbot: QtBot, presenter: DialogPresenter
) -> None:
    presenter.show(make(key=9), waiting=0)
    dialog = presenter.dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    dialog.showMinimized()
    assert presenter.bring_forward() is True
    assert dialog.isVisible()
    assert not dialog.isMinimized()


def test_presenter_notifies_when_its_dialog_does_not_get_the_focus(
    qtbot: QtBot, presenter: DialogPresenter
) -> None:
    presenter.show(make(key=10, title="Pick me"), waiting=0)
    dialog = presenter.dialog
    assert dialog is not None
    other = QWidget()  # another window takes the focus right after the dialog asked for it
    qtbot.addWidget(other)
    other.show()
    other.activateWindow()
    qtbot.waitUntil(other.isActiveWindow)
    notes: list[tuple[str, str]] = presenter.notes  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: bool(notes), timeout=3000)
    assert notes == [
        (
            "A request is waiting",
            "Demo Extension asks: Pick me\nClick the Bridgekeeper tray icon to answer.",
        )
    ]


def test_presenter_stays_quiet_when_its_dialog_has_the_focus(
    qtbot: QtBot, presenter: DialogPresenter
) -> None:
    presenter.show(make(key=11), waiting=0)
    dialog = presenter.dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.isActiveWindow)
    qtbot.wait(dialogs.FOCUS_CHECK_MS + 200)  # past the focus check
    assert presenter.notes == []  # type: ignore[attr-defined]
