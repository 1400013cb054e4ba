"""The dialogs' keyboard, kind by kind (the rules are in app/ui/dialogs.py's docstring):
what Enter, Space, Escape and each mnemonic do, the focus chain, which button wears the
default's frame, and that the selected option is always in view."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from app.core.prompts import Answer, Option
from app.ui.dialogs import PromptDialog
from tests.qt.conftest import Answers
from tests.support.widget_checks import clipped, mnemonics

pytestmark = [
    pytest.mark.qt_log_ignore("does not support propagateSizeHints", "does not support raise"),
    pytest.mark.usefixtures("quick_arm"),
]

OPTIONS = tuple(Option(f"o{i}", f"Account {i}") for i in range(4))
KINDS: dict[str, dict[str, object]] = {
    "confirm": {"details": "to: 0xab\nvalue: 1", "can_remember": True},
    "danger": {"danger": True, "allow_label": "Send 0.5 ETH", "deny_label": "Keep it"},
    "choose": {"kind": "choose", "options": OPTIONS, "default": "o1"},
    "prompt": {"kind": "prompt", "default": "draft"},
    "secret": {"kind": "prompt", "secret": True, "max_length": 32},
}
REFUSAL = {"confirm": "deny", "danger": "deny", "choose": "cancel", "prompt": "cancel"}
REFUSAL["secret"] = "cancel"


def armed(qtbot: QtBot, dialog: PromptDialog) -> PromptDialog:
    qtbot.waitUntil(dialog.ok_button.isEnabled, timeout=3000)
    return dialog


def focused(dialog: PromptDialog) -> QWidget:
    widget = dialog.focusWidget()
    assert widget is not None
    return widget


def alt(dialog: PromptDialog, key: Qt.Key) -> None:
    QTest.keyClick(dialog, key, Qt.KeyboardModifier.AltModifier)


def accepted(kind: str, dialog: PromptDialog) -> Answer:
    if kind in ("confirm", "danger"):
        return Answer("allow")
    if kind == "choose":
        return Answer("submit", choice="o1")
    assert dialog.line_edit is not None
    return Answer("submit", value=dialog.line_edit.text())


# -- Enter ------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["confirm", "danger"])
def test_enter_denies_from_the_first_focus_of_a_confirmation(
    qtbot: QtBot, open_dialog: Callable[..., PromptDialog], answers: Answers, kind: str
) -> None:
    dialog = armed(qtbot, open_dialog(**KINDS[kind]))
    assert focused(dialog) is dialog.cancel_button
    QTest.keyClick(focused(dialog), Qt.Key.Key_Return)
    assert answers == [(1, Answer("deny"))]


@pytest.mark.parametrize("kind", KINDS)
def test_enter_on_the_focused_allow_button_still_presses_the_default(
    qtbot: QtBot, open_dialog: Callable[..., PromptDialog], answers: Answers, kind: str
) -> None:
    dialog = armed(qtbot, open_dialog(**KINDS[kind]))
    dialog.ok_button.setFocus(Qt.FocusReason.TabFocusReason)
    assert dialog.cancel_button.isDefault()
    assert not dialog.ok_button.isDefault()
    QTest.keyClick(dialog.ok_button, Qt.Key.Key_Return)
    assert answers == [(1, Answer(REFUSAL[kind]))]  # type: ignore[arg-type]


def test_enter_on_the_remember_box_denies_without_remembering(
    qtbot: QtBot, open_dialog: Callable[..., PromptDialog], answers: Answers
) -> None:
    dialog = armed(qtbot, open_dialog(**KINDS["confirm"]))
    assert dialog.remember is not None
    dialog.remember.setFocus(Qt.FocusReason.TabFocusReason)
    QTest.keyClick(dialog.remember, Qt.Key.Key_Return)
    assert answers == [(1, Answer("deny"))]


@pytest.mark.parametrize("kind", ["choose", "prompt", "secret"])
def test_enter_where_the_answer_is_given_answers_nothing_and_says_so(
    qtbot: QtBot, open_dialog: Callable[..., PromptDialog], answers: Answers, kind: str
) -> None:
    dialog = armed(qtbot, open_dialog(**KINDS[kind]))
    start = focused(dialog)
    assert start is (dialog.line_edit if kind != "choose" else dialog.choices["o1"])
    if kind == "choose":
        QTest.keyClick(start, Qt.Key.Key_Down)  # "Down then Enter"
        start = focused(dialog)
        assert start is dialog.choices["o2"]
    assert dialog.answer_hint is not None
    assert not dialog.answer_hint.font().bold()
    QTest.keyClick(start, Qt.Key.Key_Return)
    QTest.keyClick(start, Qt.Key.Key_Enter, Qt.KeyboardModifier.KeypadModifier)
    qtbot.wait(150)
    assert answers == []
    assert dialog.isVisible()
    assert dialog.answer_hint.font().bold()
    assert "Submit (Alt+S)" in dialog.answer_hint.text()


# -- Space, Escape ----------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
def test_space_presses_the_focused_button(
    qtbot: QtBot, open_dialog: Callable[..., PromptDialog], answers: Answers, kind: str
) -> None:
    dialog = armed(qtbot, open_dialog(**KINDS[kind]))
    dialog.ok_button.setFocus(Qt.FocusReason.TabFocusReason)
    QTest.keyClick(dialog.ok_button, Qt.Key.Key_Space)
    assert answers == [(1, accepted(kind, dialog))]
    other = open_dialog(key=2, **KINDS[kind])
    other.cancel_button.setFocus(Qt.FocusReason.TabFocusReason)
    QTest.keyClick(other.cancel_button, Qt.Key.Key_Space)
    assert answers[1] == (2, Answer(REFUSAL[kind]))  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", KINDS)
def test_escape_refuses_from_any_focus(
    open_dialog: Callable[..., PromptDialog], answers: Answers, kind: str
) -> None:
    dialog = open_dialog(**KINDS[kind])
    QTest.keyClick(focused(dialog), Qt.Key.Key_Escape)
    assert answers == [(1, Answer(REFUSAL[kind]))]  # type: ignore[arg-type]


def test_space_before_arming_does_nothing(
    qtbot: QtBot, open_dialog: Callable[..., PromptDialog], answers: Answers
) -> None:
    dialog = open_dialog()
    dialog.ok_button.setFocus(Qt.FocusReason.TabFocusReason)
    QTest.keyClick(dialog.ok_button, Qt.Key.Key_Space)
    alt(dialog, Qt.Key.Key_A)
    qtbot.wait(150)
    assert answers == [] or not dialog.ok_button.isEnabled()
    assert answers == []


# -- mnemonics --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "key", "expected"),
    [
        ("confirm", Qt.Key.Key_A, "accept"),
        ("confirm", Qt.Key.Key_D, "refuse"),
        ("danger", Qt.Key.Key_A, "accept"),
        ("danger", Qt.Key.Key_D, "refuse"),
        ("choose", Qt.Key.Key_S, "accept"),
        ("choose", Qt.Key.Key_C, "refuse"),
        ("prompt", Qt.Key.Key_S, "accept"),
        ("secret", Qt.Key.Key_C, "refuse"),
    ],
)
def test_each_answer_has_its_mnemonic(
    qtbot: QtBot,
    open_dialog: Callable[..., PromptDialog],
    answers: Answers,
    kind: str,
    *,
    key: Qt.Key,
    expected: str,
) -> None:
    dialog = armed(qtbot, open_dialog(**KINDS[kind]))
    alt(dialog, key)
    answer = accepted(kind, dialog) if expected == "accept" else Answer(REFUSAL[kind])  # type: ignore[arg-type]
    qtbot.waitUntil(lambda: answers == [(1, answer)])


def test_the_other_mnemonics(
    qtbot: QtBot, open_dialog: Callable[..., PromptDialog], answers: Answers
) -> None:
    dialog = open_dialog(**KINDS["confirm"])
    assert dialog.remember is not None
    assert dialog.details_view is not None
    alt(dialog, Qt.Key.Key_R)
    qtbot.waitUntil(dialog.remember.isChecked)
    alt(dialog, Qt.Key.Key_L)
    qtbot.waitUntil(dialog.details_view.isVisible)
    alt(dialog, Qt.Key.Key_L)  # still L once unfolded ("Hide details"), not D for Deny
    qtbot.waitUntil(lambda: not dialog.details_view.isVisible())  # type: ignore[union-attr]
    assert answers == []
    secret = open_dialog(key=2, **KINDS["secret"])
    assert secret.line_edit is not None
    alt(secret, Qt.Key.Key_O)
    qtbot.waitUntil(lambda: secret.line_edit.echoMode() == secret.line_edit.EchoMode.Normal)  # type: ignore[union-attr]
    queued = open_dialog(key=3)
    queued.set_waiting(3, from_same=2)
    with qtbot.waitSignal(queued.deny_all) as asked:
        alt(queued, Qt.Key.Key_E)
    assert asked.args == [3]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_mnemonics_are_unique_folded_unfolded_and_in_every_language(
    request: pytest.FixtureRequest,
    qtbot: QtBot,
    open_dialog: Callable[..., PromptDialog],
    kind: str,
    language: str,
) -> None:
    if language == "zh_CN":
        request.getfixturevalue("chinese")
    dialog = open_dialog(**KINDS[kind])
    dialog.set_waiting(2, from_same=2)  # "Deny all from this extension" shown too
    qtbot.wait(20)  # the dialog's height follows its content in the next event loop turn
    letters = mnemonics(dialog)
    assert len(letters) == len(set(letters)), letters
    if dialog.details_button is not None:
        dialog.details_button.setChecked(True)
        qtbot.wait(20)
        letters = mnemonics(dialog)
        assert len(letters) == len(set(letters)), letters
    assert clipped(dialog) == []


# -- focus --------------------------------------------------------------------------------
def chain(dialog: PromptDialog, steps: int) -> list[QWidget]:
    seen = []
    for _ in range(steps):
        QTest.keyClick(focused(dialog), Qt.Key.Key_Tab)
        seen.append(focused(dialog))
    return seen


def test_the_focus_chain_has_no_invisible_stop(
    qtbot: QtBot, open_dialog: Callable[..., PromptDialog]
) -> None:
    dialog = armed(qtbot, open_dialog(**KINDS["confirm"]))
    assert dialog.details_button is not None
    assert chain(dialog, 4) == [
        dialog.details_button,
        dialog.remember,
        dialog.ok_button,
        dialog.cancel_button,
    ]
    plain = armed(qtbot, open_dialog(key=2))
    QTest.keyClick(focused(plain), Qt.Key.Key_Backtab)
    assert focused(plain) is plain.ok_button  # Allow is one Shift+Tab from the start
    assert chain(plain, 2) == [plain.cancel_button, plain.ok_button]


def test_a_long_message_is_a_visible_tab_stop(
    qtbot: QtBot, open_dialog: Callable[..., PromptDialog]
) -> None:
    dialog = armed(qtbot, open_dialog(message="line\n" * 200))
    area = dialog.message_area
    assert area is not None
    assert area.verticalScrollBar().maximum() > 0
    assert area.frameWidth() > 0  # the frame is where the focus shows
    assert chain(dialog, 3) == [area, dialog.ok_button, dialog.cancel_button]
    QTest.keyClick(area, Qt.Key.Key_PageDown)
    assert area.verticalScrollBar().value() > 0
    short = open_dialog(key=2)
    assert short.message_area is not None
    assert short.message_area.focusPolicy() == Qt.FocusPolicy.NoFocus


def test_choose_and_prompt_chains(qtbot: QtBot, open_dialog: Callable[..., PromptDialog]) -> None:
    choose = armed(qtbot, open_dialog(**KINDS["choose"]))
    assert chain(choose, 3) == [choose.ok_button, choose.cancel_button, choose.choices["o1"]]
    secret = armed(qtbot, open_dialog(key=2, **KINDS["secret"]))
    assert chain(secret, 4) == [
        secret.show_text,
        secret.ok_button,
        secret.cancel_button,
        secret.line_edit,
    ]


def edge(image: QImage) -> int:
    """The colour of a button's left outline, halfway down."""
    return image.pixel(0, image.height() // 2)


def test_only_the_default_button_wears_the_frame(
    qtbot: QtBot, open_dialog: Callable[..., PromptDialog]
) -> None:
    dialog = armed(qtbot, open_dialog())
    resting = dialog.ok_button.grab().toImage()
    QTest.keyClick(focused(dialog), Qt.Key.Key_Backtab)  # a keyboard focus change
    assert focused(dialog) is dialog.ok_button
    focused_ok = dialog.ok_button.grab().toImage()
    default = dialog.cancel_button.grab().toImage()
    assert edge(focused_ok) == edge(resting)  # focus does not draw the default's outline
    assert edge(default) != edge(resting)  # the default button's outline is its own
    assert focused_ok != resting  # yet the focus shows (a dotted rectangle)


# -- choose: the selection always in view -------------------------------------------------
def rows_in_view(dialog: PromptDialog) -> list[tuple[str, bool]]:
    """Each option: (id, wholly in view), or absent when wholly out of view."""
    area = dialog.options_area
    assert area is not None
    viewport = area.viewport()
    found = []
    for oid, row in zip(dialog.choices, dialog.option_rows, strict=True):
        top = row.mapTo(viewport, QPoint(0, 0)).y()
        bottom = top + row.height()
        if bottom <= 0 or top >= viewport.height():
            continue
        found.append((oid, top >= 0 and bottom <= viewport.height()))
    return found


def test_twelve_options_keep_the_selection_in_view_and_none_cut(
    qtbot: QtBot, open_dialog: Callable[..., PromptDialog], answers: Answers
) -> None:
    label = "an option whose label wraps onto a second line " * 2
    options = tuple(Option(f"o{i}", f"{i}: {label * (i % 2)}") for i in range(12))
    dialog = armed(qtbot, open_dialog(kind="choose", options=options, default="o0"))
    assert all(whole for _oid, whole in rows_in_view(dialog))  # at the start: no row cut
    for step in range(1, 12):
        QTest.keyClick(focused(dialog), Qt.Key.Key_Down)
        qtbot.waitUntil(dialog.choices[f"o{step}"].isChecked)
        assert (f"o{step}", True) in rows_in_view(dialog)
        assert rows_in_view(dialog)[0][1]  # the top row starts at an option
    alt(dialog, Qt.Key.Key_S)
    qtbot.waitUntil(lambda: answers == [(1, Answer("submit", choice="o11"))])


def test_a_default_far_down_is_scrolled_into_view_at_once(
    qtbot: QtBot, open_dialog: Callable[..., PromptDialog]
) -> None:
    options = tuple(Option(f"o{i}", f"Option {i} " + "words " * 20) for i in range(12))
    dialog = open_dialog(kind="choose", options=options, default="o10")
    qtbot.waitUntil(lambda: ("o10", True) in rows_in_view(dialog))
    assert dialog.choices["o10"].hasFocus()
