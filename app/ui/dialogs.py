"""The prompt dialogs: a thin widget layer that shows what the queue asks and reports what
the user chose (the ``Presenter`` of app.core.prompts).

Every string from a request is untrusted: it goes through ``for_display`` and into labels
that only take plain text. Who asks (browser, extension, site) comes from the host.
"""

from __future__ import annotations

import logging
import time

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import (
    QCloseEvent,
    QFontMetrics,
    QHideEvent,
    QKeyEvent,
    QMouseEvent,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QBoxLayout,
    QButtonGroup,
    QCheckBox,
    QDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSizePolicy,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.prompts import Answer, AnswerCallback, Decision, Prompt
from app.core.text import BREAK_EVERY, breakable, for_display, neutralise

log = logging.getLogger(__name__)

WINDOW_TITLE = "Bridgekeeper"
"""Every prompt window carries this title, so tests and users can find it."""
ARM_DELAY_MS = 1000
"""Allow/Submit stays disabled this long after the dialog appears: a click meant for the
page cannot land on it."""
DIALOG_WIDTH = 480
CONTENT_WIDTH = DIALOG_WIDTH - 30
"""What the dialog's margins leave for its content."""
MESSAGE_MAX_HEIGHT = 260
OPTIONS_MAX_HEIGHT = 240
SITE_MAX_HEIGHT = 70
CALLER_BREAK_EVERY = 48
"""Extension ids (32 characters for Chromium, often longer for Firefox) stay whole."""

FOCUS_CHECK_MS = 700
"""How long after raising a dialog the presenter checks that it got the focus."""


def wrapping_policy(vertical: QSizePolicy.Policy) -> QSizePolicy:
    """A size policy whose height follows the width (wrapped text); a new QSizePolicy
    would drop the height-for-width flag that ``setWordWrap`` sets."""
    policy = QSizePolicy(QSizePolicy.Policy.Preferred, vertical)
    policy.setHeightForWidth(True)
    return policy


def plain_label(
    text: str, *, multiline: bool = True, selectable: bool = True, every: int = BREAK_EVERY
) -> QLabel:
    """A label that shows untrusted ``text`` literally, wrapped, never rich text."""
    label = QLabel()
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(breakable(neutralise(text, multiline), every))
    label.setWordWrap(True)
    label.setSizePolicy(wrapping_policy(QSizePolicy.Policy.Minimum))
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def scrolling(content: QWidget, max_height: int) -> QScrollArea:
    """``content`` as tall as its text needs at the dialog's width, up to ``max_height``;
    beyond that it scrolls (vertically only: text wraps, never runs off to the side)."""
    # Inside the scroll area the content takes the height its width needs, no more.
    content.setSizePolicy(wrapping_policy(QSizePolicy.Policy.Preferred))
    area = QScrollArea()
    area.setWidget(content)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    needed = content.heightForWidth(CONTENT_WIDTH)
    if needed < 0:
        needed = content.sizeHint().height()
    area.setFixedHeight(min(max_height, max(needed, 20) + 4))
    return area


class OptionLabel(QLabel):
    """An option's text beside its radio button: wraps (a radio button's own text cannot)
    and selects the option when clicked."""

    def __init__(self, text: str, radio: QRadioButton) -> None:
        super().__init__()
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setText(for_display(text, multiline=False))
        self.setWordWrap(True)
        self._radio = radio

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._radio.setChecked(True)
        self._radio.setFocus()
        event.accept()


class AnswerField(QLineEdit):
    """The ``prompt`` dialog's text field. Enter in it does nothing: Cancel is the default
    button, and typing an answer then pressing Enter must neither throw it away nor send
    it before the user meant to (Submit is Alt+S, or Tab to it)."""

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.accept()
            return
        super().keyPressEvent(event)


def button_text(label: str, fallback: str) -> str:
    """A button's text: the request's label with ``&`` escaped (no mnemonic can be forged),
    or ``fallback`` (which carries its own mnemonic)."""
    text = for_display(label, multiline=False).replace("\u200b", "")
    return text.replace("&", "&&") if text.strip() else fallback


def _countdown(seconds: float) -> str:
    whole = max(0, int(seconds + 0.999))
    return f"{whole // 60}:{whole % 60:02d}"


class PromptDialog(QDialog):
    """One prompt. Reports exactly one ``Answer`` through ``answer`` unless ``dismiss`` is
    called first (the queue closed it)."""

    def __init__(self, prompt: Prompt, waiting: int, answer: AnswerCallback) -> None:
        super().__init__(None)
        self.prompt = prompt
        self._answer = answer
        self._done = False
        self.setObjectName("bridgekeeper-prompt")
        self.setWindowTitle(WINDOW_TITLE)
        self.setWindowFlag(Qt.WindowType.WindowStaysOnTopHint, True)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        self.setFixedWidth(DIALOG_WIDTH)
        # Python references to every widget we keep using: PySide6 6.12 crashes when a
        # widget it handed to Qt is collected on the Python side.
        self.choices: dict[str, QRadioButton] = {}
        self.choice_group = QButtonGroup(self)
        self.line_edit: QLineEdit | None = None
        self.remember: QCheckBox | None = None
        self.details_view: QPlainTextEdit | None = None
        self.details_button: QToolButton | None = None

        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addLayout(self._header())
        if prompt.danger:
            self.danger_label = QLabel(
                "The extension marks this as dangerous. Read it carefully before you allow it."
            )
            self.danger_label.setObjectName("danger")
            self.danger_label.setWordWrap(True)
            self.danger_label.setStyleSheet("color: #b3261e; font-weight: bold;")
            layout.addWidget(self.danger_label)
        layout.addWidget(self._caller_box())
        if prompt.message:
            layout.addWidget(self._message())
        if prompt.details:
            self._add_details(layout)
        if prompt.kind == "choose":
            layout.addWidget(self._options())
        elif prompt.kind == "prompt":
            layout.addWidget(self._input())
        if prompt.can_remember:
            self.remember = QCheckBox("&Remember this decision")
            self.remember.setToolTip(
                "Answer the same request from this extension for this site the same way, "
                "without asking. Forget it from the tray: Remembered decisions…"
            )
            layout.addWidget(self.remember)
        layout.addLayout(self._footer(waiting))
        self._initial_focus().setFocus()
        self._arm_timer = QTimer(self)
        self._arm_timer.setSingleShot(True)
        self._arm_timer.setInterval(ARM_DELAY_MS)
        self._arm_timer.timeout.connect(self._arm)
        # Ticks only while a dialog is open: the idle app has no timer at all.
        self._tick_timer = QTimer(self)
        self._tick_timer.setInterval(1000)
        self._tick_timer.timeout.connect(self._tick)
        self._tick()

    def _initial_focus(self) -> QWidget:
        if self.line_edit is not None:
            return self.line_edit
        checked = self.choice_group.checkedButton()
        return checked if checked is not None else self.cancel_button

    # -- building ------------------------------------------------------------------
    def _header(self) -> QHBoxLayout:
        row = QHBoxLayout()
        if self.prompt.danger:
            icon = QLabel()
            icon.setPixmap(
                self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning).pixmap(32, 32)
            )
            icon.setAlignment(Qt.AlignmentFlag.AlignTop)
            row.addWidget(icon)
            self.danger_icon = icon
        self.title_label = plain_label(self.prompt.title, multiline=False)
        self.title_label.setObjectName("title")
        font = self.title_label.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.title_label.setFont(font)
        row.addWidget(self.title_label, 1)
        return row

    def _caller_box(self) -> QFrame:
        """Who asks, from the host: a framed box the request's own text cannot imitate
        well, since it never contains rich text or frames."""
        prompt = self.prompt
        box = QFrame()
        box.setObjectName("caller")
        box.setFrameShape(QFrame.Shape.StyledPanel)
        box.setStyleSheet("QFrame#caller { background: palette(alternate-base); }")
        grid = QVBoxLayout(box)
        grid.setSpacing(2)
        self.browser_label = plain_label(f"Browser: {prompt.browser}", multiline=False)
        grid.addWidget(self.browser_label)
        who = (
            f"{prompt.extension_name} ({prompt.extension_id})"
            if prompt.extension_name
            else prompt.extension_id
        )
        self.extension_label = plain_label(
            f"Extension: {who}", multiline=False, every=CALLER_BREAK_EVERY
        )
        grid.addWidget(self.extension_label)
        self.site_label = plain_label(
            f"Site: {prompt.site}" if prompt.site else "Site: none given",
            multiline=False,
            every=CALLER_BREAK_EVERY,
        )
        # A site may be a URL of 2,048 characters: it scrolls rather than push the
        # buttons off the screen.
        self.site_area = scrolling(self.site_label, SITE_MAX_HEIGHT)
        self.site_area.viewport().setAutoFillBackground(False)
        self.site_label.setAutoFillBackground(False)
        grid.addWidget(self.site_area)
        return box

    def _message(self) -> QScrollArea:
        self.message_label = plain_label(self.prompt.message)
        self.message_label.setObjectName("message")
        self.message_area = scrolling(self.message_label, MESSAGE_MAX_HEIGHT)
        self.message_area.setObjectName("message-area")
        return self.message_area

    def _add_details(self, layout: QVBoxLayout) -> None:
        button = QToolButton()
        button.setText("Show detai&ls")
        button.setCheckable(True)
        button.setArrowType(Qt.ArrowType.RightArrow)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        view = QPlainTextEdit()
        view.setReadOnly(True)
        view.setPlainText(for_display(self.prompt.details))
        view.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        view.setFixedHeight(160)
        view.setVisible(False)
        button.toggled.connect(self._toggle_details)
        self.details_button, self.details_view = button, view
        layout.addWidget(button)
        layout.addWidget(view)

    def _toggle_details(self, shown: bool) -> None:
        assert self.details_view is not None
        assert self.details_button is not None
        self.details_view.setVisible(shown)
        self.details_button.setArrowType(
            Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow
        )
        self.details_button.setText("Hide &details" if shown else "Show detai&ls")
        self.adjustSize()

    def _options(self) -> QScrollArea:
        box = QWidget()
        grid = QGridLayout(box)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setColumnStretch(1, 1)
        default = self.prompt.default or self.prompt.options[0].id
        self.option_labels: list[OptionLabel] = []
        for row, option in enumerate(self.prompt.options):
            radio = QRadioButton()
            radio.setAccessibleName(option.label)
            label = OptionLabel(option.label, radio)
            self.choice_group.addButton(radio)
            self.choices[option.id] = radio
            self.option_labels.append(label)
            radio.setChecked(option.id == default)
            grid.addWidget(radio, row, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(label, row, 1)
        self.options_area = scrolling(box, OPTIONS_MAX_HEIGHT)
        return self.options_area

    def _input(self) -> QLineEdit:
        prompt = self.prompt
        edit = AnswerField()
        edit.setMaxLength(prompt.max_length)
        edit.setPlaceholderText(for_display(prompt.placeholder, multiline=False))
        edit.setText((prompt.default or "")[: prompt.max_length])
        if prompt.secret:
            edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.line_edit = edit
        return edit

    def _footer(self, waiting: int) -> QVBoxLayout:
        prompt = self.prompt
        column = QVBoxLayout()
        status = QHBoxLayout()
        self.countdown_label = QLabel()
        self.countdown_label.setTextFormat(Qt.TextFormat.PlainText)
        self.position_label = QLabel()
        self.position_label.setTextFormat(Qt.TextFormat.PlainText)
        status.addWidget(self.countdown_label, 1)
        status.addWidget(self.position_label)
        column.addLayout(status)

        if prompt.kind == "confirm":
            cancel = button_text(prompt.deny_label, "&Deny")
            ok = button_text(prompt.allow_label, "&Allow")
        else:
            cancel, ok = "&Cancel", "&Submit"
        # Labels of up to 40 characters each may not fit side by side: then stack them.
        side_by_side = QFontMetrics(self.font()).horizontalAdvance(cancel + ok) + 80 < CONTENT_WIDTH
        buttons: QBoxLayout = QHBoxLayout() if side_by_side else QVBoxLayout()
        if side_by_side:
            buttons.addStretch(1)
        self.ok_button = QPushButton(ok)
        self.cancel_button = QPushButton(cancel)
        self.cancel_button.setObjectName("cancel")
        self.ok_button.setObjectName("ok")
        # Deny/Cancel answers Enter; Allow/Submit needs a deliberate click or key.
        self.cancel_button.setDefault(True)
        self.cancel_button.setAutoDefault(True)
        self.ok_button.setAutoDefault(False)
        self.ok_button.setEnabled(False)
        if prompt.danger:
            self.ok_button.setStyleSheet(
                "QPushButton#ok:enabled { background: #b3261e; color: white; "
                "border-radius: 3px; padding: 4px 12px; font-weight: bold; }"
            )
        self.cancel_button.clicked.connect(self._on_cancel)
        self.ok_button.clicked.connect(self._on_ok)
        buttons.addWidget(self.ok_button)
        buttons.addWidget(self.cancel_button)
        column.addLayout(buttons)
        self.set_waiting(waiting)
        return column

    # -- state ---------------------------------------------------------------------
    def set_waiting(self, waiting: int) -> None:
        self.position_label.setText(f"1 of {waiting + 1}" if waiting > 0 else "")
        self.position_label.setVisible(waiting > 0)

    def remaining(self) -> float:
        return max(0.0, self.prompt.deadline - time.monotonic())

    def _tick(self) -> None:
        default = "deny" if self.prompt.kind == "confirm" else "cancel"
        self.countdown_label.setText(
            f"No answer in {_countdown(self.remaining())} counts as {default}."
        )

    def _arm(self) -> None:
        self.ok_button.setEnabled(True)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not event.spontaneous():
            self.ok_button.setEnabled(False)
            self._arm_timer.start()
            self._tick_timer.start()
            self._tick()

    def hideEvent(self, event: QHideEvent) -> None:
        if not event.spontaneous():
            self._tick_timer.stop()
            self._arm_timer.stop()
        super().hideEvent(event)

    # -- answers -------------------------------------------------------------------
    def _finish(self, answer: Answer, close: bool = True) -> None:
        if self._done:
            return
        self._done = True
        self._tick_timer.stop()
        self._arm_timer.stop()
        try:
            self._answer(self.prompt.key, answer)
        except Exception:
            log.exception("answer callback failed for prompt %s", self.prompt.key)
        if close:
            self.close()

    def _remember(self) -> bool:
        return self.remember is not None and self.remember.isChecked()

    def _on_ok(self) -> None:
        if not self.ok_button.isEnabled():
            return
        prompt = self.prompt
        if prompt.kind == "confirm":
            self._finish(Answer("allow", remember=self._remember()))
        elif prompt.kind == "choose":
            chosen = next((key for key, radio in self.choices.items() if radio.isChecked()), None)
            if chosen is None:
                return
            self._finish(Answer("submit", choice=chosen))
        else:
            assert self.line_edit is not None
            self._finish(Answer("submit", value=self.line_edit.text()))

    def _on_cancel(self) -> None:
        self._cancel(closed=False)

    def _cancel(self, closed: bool) -> None:
        decision: Decision = "deny" if self.prompt.kind == "confirm" else "cancel"
        remember = self._remember() and not closed
        self._finish(Answer(decision, remember=remember, closed=closed), close=not closed)

    def dismiss(self) -> None:
        """Close without answering (the queue decided: timeout, cancel, host gone)."""
        self._done = True
        self.close()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Escape is Deny/Cancel, said by the user: reason "user", not "closed".
        if event.key() == Qt.Key.Key_Escape:
            self._on_cancel()
            event.accept()
            return
        super().keyPressEvent(event)

    def reject(self) -> None:
        self._on_cancel()

    def closeEvent(self, event: QCloseEvent) -> None:
        # The window's close button (or Alt+F4): deny/cancel with reason "closed".
        if not self._done:
            self._cancel(closed=True)
        self._tick_timer.stop()
        self._arm_timer.stop()
        event.accept()


class DialogPresenter(QObject):
    """The shipped ``Presenter``: one ``PromptDialog`` at a time, on top and focused.

    ``answered(key, answer)`` carries the user's answers (the composition root connects it
    to the queue); ``unfocused(title, message)`` says a dialog did not get the focus, for a
    tray notification."""

    answered = Signal(int, object)
    unfocused = Signal(str, str)

    def __init__(self) -> None:
        super().__init__()
        self.dialog: PromptDialog | None = None

    def show(self, prompt: Prompt, waiting: int) -> None:
        if self.dialog is not None:
            log.warning("prompt %s replaces open prompt %s", prompt.key, self.dialog.prompt.key)
            self.dialog.dismiss()
        dialog = PromptDialog(prompt, waiting, self._on_answer)
        dialog.destroyed.connect(lambda *_: self._forget(dialog))
        self.dialog = dialog
        dialog.show()
        self._raise(dialog)

    def _raise(self, dialog: PromptDialog) -> None:
        if dialog.isMinimized():
            dialog.showNormal()
        dialog.raise_()
        dialog.activateWindow()
        # The window system may refuse focus (focus-stealing prevention); check once the
        # request to activate had time to land, and say in the tray that a request waits.
        QTimer.singleShot(FOCUS_CHECK_MS, dialog, lambda: self._check_focus(dialog))

    def _check_focus(self, dialog: PromptDialog) -> None:
        if self.dialog is not dialog or dialog.isActiveWindow():
            return
        prompt = dialog.prompt
        log.info("the dialog of prompt %s did not get the focus; notifying", prompt.key)
        self.unfocused.emit(
            "A request is waiting",
            f"{prompt.extension_name or prompt.extension_id} asks: {prompt.title}\n"
            "Click the Bridgekeeper tray icon to answer.",
        )

    def _forget(self, dialog: PromptDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None

    def _on_answer(self, key: int, answer: Answer) -> None:
        if self.dialog is not None and self.dialog.prompt.key == key:
            self.dialog = None
        self.answered.emit(key, answer)

    def set_waiting(self, waiting: int) -> None:
        if self.dialog is not None:
            self.dialog.set_waiting(waiting)

    def close(self, key: int) -> None:
        dialog = self.dialog
        if dialog is not None and dialog.prompt.key == key:
            self.dialog = None
            dialog.dismiss()

    def bring_forward(self) -> bool:
        dialog = self.dialog
        if dialog is None:
            return False
        dialog.show()
        self._raise(dialog)
        return dialog.isVisible() and not dialog.isMinimized()
