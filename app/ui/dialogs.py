"""The prompt dialogs: a thin widget layer that shows what the queue asks and reports what
the user chose (the ``Presenter`` of app.core.prompts).

Two parts, drawn apart: a framed box of what Bridgekeeper checked (the extension's id and
install-time name, the browser, all from the host), then everything the extension wrote
(title, message, its claimed site, details, options), which goes through ``for_display``
into labels that only take plain text.

The keyboard, decided once for every kind:
- Deny/Cancel is the default button: Enter presses it, from any button or the Remember
  box; Escape too. Allow/Submit never answers Enter and stays disabled for the first
  second (``ARM_DELAY_MS``), so neither a click nor a key meant for the page lands on it.
- Enter where the user has given an answer (an option picked with the arrows, text typed
  in the field) does nothing: cancelling would throw that answer away and submitting
  would send what the user may not have checked. A hint under the answer says so, and
  says how to answer; it stands out when Enter was pressed.
- Space presses the focused button. Only the default button wears the style's outline;
  the focused one shows a dotted rectangle (``ButtonStyle``).
- Every mnemonic is the app's own and unique in the dialog, in every language and with
  the details folded or not; a custom label from the extension gets the app's mnemonic
  appended (``Send 0.5 ETH (A)``) and its own ``&`` shown literally, so it cannot claim
  another key.
"""

from __future__ import annotations

import itertools
import logging
import math
import sys
import time
from collections.abc import Callable

from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QObject,
    QRect,
    QRectF,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QCloseEvent,
    QFontDatabase,
    QFontMetrics,
    QHideEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QShowEvent,
    QTextOption,
)
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QCheckBox,
    QDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
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
from app.core.sites import site_claim
from app.core.text import for_display, neutralise
from app.ui.colors import (
    CONTROL_CONTRAST,
    DANGER_BUTTON,
    DANGER_BUTTON_TEXT,
    danger_text,
    readable,
    with_visible_fields,
)
from app.ui.widgets import (
    APP_NAME,
    ButtonStyle,
    browser_text,
    load_icon,
    plain_label,
    remember_locked_text,
    text_label,
    wrapping_policy,
)

log = logging.getLogger(__name__)
translate = QCoreApplication.translate

WINDOW_TITLE = APP_NAME
"""Every prompt window carries this title, so tests and users can find it."""
ARM_DELAY_MS = 1000
"""Allow/Submit stays disabled this long after the dialog appears: a click meant for the
page cannot land on it."""
DIALOG_WIDTH = 500
MARGIN = 16
CONTENT_WIDTH = DIALOG_WIDTH - 2 * MARGIN
"""What the dialog's margins leave for its content."""
MESSAGE_MAX_HEIGHT = 260
OPTIONS_MAX_HEIGHT = 340
DETAILS_MIN_LINES = 4
DETAILS_MAX_LINES = 14
CALLER_BREAK_EVERY = 48
"""Extension ids (32 characters for Chromium, often longer for Firefox) stay whole."""
MARK_SIZE = 32

FOCUS_CHECK_MS = 700
"""How long after raising a dialog the presenter checks that it got the focus."""


def button_text(label: str, fallback: str, mnemonic: str) -> str:
    """A button's text: ``fallback`` (the app's own, with its mnemonic), or the request's
    ``label`` shown literally (``&`` escaped) with the app's ``mnemonic`` appended."""
    text = for_display(label, multiline=False).replace("\u200b", "").strip()
    if not text:
        return fallback
    return translate("PromptDialog", "{label} (&{key})").format(
        label=text.replace("&", "&&"), key=mnemonic
    )


def _countdown(seconds: float) -> str:
    whole = max(0, int(seconds + 0.999))
    return f"{whole // 60}:{whole % 60:02d}"


def same_extension(one: Prompt, other: Prompt) -> bool:
    return (one.family, one.extension_id) == (other.family, other.extension_id)


class WrappedColumn(QWidget):
    """The content of a scroll area whose labels wrap: its size hint is its height at
    its own width, so the scroll area gives it that, not the taller height the labels'
    own hints guess (the extra height went between the rows)."""

    def sizeHint(self) -> QSize:
        # Narrow: the scroll area widens it to its viewport; as tall as that width needs.
        width = self.width() if self.width() > 0 else CONTENT_WIDTH
        height = self.heightForWidth(width)
        narrow = super().minimumSizeHint().width()
        return QSize(narrow, height) if height > 0 else super().sizeHint()

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()


class OptionLabel(QLabel):
    """An option's text beside its radio button: wraps (a radio button's own text cannot)
    and selects the option when clicked."""

    def __init__(self, text: str, radio: QRadioButton) -> None:
        super().__init__()
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setText(for_display(text, multiline=False))
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setSizePolicy(wrapping_policy(QSizePolicy.Policy.Minimum))
        self._radio = radio

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._radio.setChecked(True)
        self._radio.setFocus(Qt.FocusReason.MouseFocusReason)
        event.accept()


class OptionRow(QFrame):
    """One option: its radio button and label. The row draws an outline (at 3:1 on the
    window, WCAG's figure for controls: a dark theme's radio buttons are nearly
    invisible), the focus ring (a radio button without text has nowhere to draw one)
    and a tint when selected."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.radio = QRadioButton()
        self.radio.setAccessibleName(neutralise(text, multiline=False))
        self.label = OptionLabel(text, self.radio)
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 4, 6, 4)
        row.addWidget(self.radio, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.label, 1)
        self.radio.installEventFilter(self)
        self.radio.toggled.connect(lambda _checked: self.update())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.FocusIn, QEvent.Type.FocusOut):
            self.update()
        return False

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        # A 1-pixel line on pixel centres (sharp); the 2-pixel focus ring just inside.
        rect = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        palette = self.palette()
        highlight = palette.color(QPalette.ColorRole.Highlight)
        window = palette.color(QPalette.ColorRole.Window)
        if self.radio.isChecked():
            tint = highlight.toRgb()
            tint.setAlphaF(0.14)
            painter.setBrush(tint)
        pen = QPen(readable(palette.color(QPalette.ColorRole.Mid), window, CONTROL_CONTRAST))
        if self.radio.hasFocus():
            pen = QPen(highlight)
            pen.setWidthF(2.0)
            rect = rect.adjusted(0.5, 0.5, -0.5, -0.5)
        painter.setPen(pen)
        painter.drawRoundedRect(rect, 3, 3)
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.radio.setChecked(True)
        self.radio.setFocus(Qt.FocusReason.MouseFocusReason)
        event.accept()


class AnswerField(QLineEdit):
    """The ``prompt`` dialog's text field. Enter in it answers nothing (see the module's
    docstring): ``enter_pressed`` lets the dialog point at its hint. It also guesses Caps
    Lock from what is typed (Qt has no portable way to ask the keyboard)."""

    enter_pressed = Signal()
    caps_lock = Signal(bool)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.accept()
            self.enter_pressed.emit()
            return
        if event.modifiers() == Qt.KeyboardModifier.AltModifier and sys.platform != "darwin":
            # Alt+letter is a button's mnemonic, never text (outside macOS, where Option
            # types characters): one that reaches the field found its button disabled
            # (Submit before it is armed), and must not type its letter into the answer.
            event.ignore()
            return
        text = event.text()
        if len(text) == 1 and text.isalpha() and text.lower() != text.upper():
            shifted = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            self.caps_lock.emit(text.isupper() != shifted)
        elif event.key() == Qt.Key.Key_CapsLock:
            self.caps_lock.emit(False)  # unknown after a toggle: say nothing until a letter
        super().keyPressEvent(event)


class PromptDialog(QDialog):
    """One prompt. Reports exactly one ``Answer`` through ``answer`` unless ``dismiss`` is
    called first (the queue closed it). ``deny_all`` asks the presenter to refuse every
    waiting request of this extension."""

    deny_all = Signal(int)
    painted = Signal(int)

    def __init__(self, prompt: Prompt, waiting: int, answer: AnswerCallback) -> None:
        super().__init__(None)
        self.prompt = prompt
        self._answer = answer
        self._done = False
        self._floor_height = 0
        self._painted = False
        self.setObjectName("bridgekeeper-prompt")
        self.setWindowTitle(WINDOW_TITLE)
        self.setWindowIcon(load_icon())
        self.setWindowFlag(Qt.WindowType.WindowStaysOnTopHint, True)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        self.setFixedWidth(DIALOG_WIDTH)
        self.setPalette(with_visible_fields(self.palette()))
        # Python references to every widget we keep using: PySide6 6.12 crashes when a
        # widget it handed to Qt is collected on the Python side.
        self._button_style = ButtonStyle()
        self.choices: dict[str, QRadioButton] = {}
        self.option_rows: list[OptionRow] = []
        self.choice_group = QButtonGroup(self)
        self.line_edit: AnswerField | None = None
        self.show_text: QCheckBox | None = None
        self.caps_label: QLabel | None = None
        self.length_label: QLabel | None = None
        self.answer_hint: QLabel | None = None
        self.remember: QCheckBox | None = None
        self.details_view: QPlainTextEdit | None = None
        self.details_button: QToolButton | None = None
        self.message_area: QScrollArea | None = None
        self.options_area: QScrollArea | None = None
        self.danger_label: QLabel | None = None
        self.site_label: QLabel | None = None
        self.site_ascii_label: QLabel | None = None

        self._build(waiting)
        self._chain_focus()
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

    def _build(self, waiting: int) -> None:
        prompt = self.prompt
        layout = QVBoxLayout(self)
        # The dialog's height is set from what its content needs at its width
        # (``_fit_height``), not from the labels' guesses, which are taller.
        layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        layout.setContentsMargins(MARGIN, MARGIN, MARGIN, MARGIN)
        layout.setSpacing(10)
        layout.addWidget(self._caller_box())
        self.written_label = text_label(
            translate("PromptDialog", "Written by the extension:"), muted=True
        )
        layout.addWidget(self.written_label)
        if prompt.danger:
            layout.addLayout(self._danger_row())
        layout.addWidget(self._title())
        if prompt.message:
            layout.addWidget(self._message())
        if prompt.site:
            self._add_site(layout)
        if prompt.details:
            self._add_details(layout)
        if prompt.kind == "choose":
            layout.addWidget(self._options())
        elif prompt.kind == "prompt":
            layout.addLayout(self._input())
        if prompt.kind != "confirm":
            self.answer_hint = text_label(self._hint_text(), muted=True)
            self.answer_hint.setObjectName("answer-hint")
            layout.addWidget(self.answer_hint)
        if prompt.can_remember:
            self.remember = QCheckBox(translate("PromptDialog", "&Remember this decision"))
            self.remember.setToolTip(
                translate(
                    "PromptDialog",
                    "Answer the same request from this extension for this site the same "
                    "way, without asking. Forget it from the tray: Remembered decisions…",
                )
            )
            layout.addWidget(self.remember)
        self.remember_locked: QCheckBox | None = None
        if prompt.remember_locked:
            # Shown greyed out with the reason, not hidden: the user learns why this
            # request cannot be remembered (SPEC 1.1 "System policy").
            self.remember_locked = QCheckBox(translate("PromptDialog", "Remember this decision"))
            self.remember_locked.setEnabled(False)
            layout.addWidget(self.remember_locked)
            layout.addWidget(text_label(remember_locked_text(), muted=True))
        # Extra height (a dialog kept as tall as the one before it) goes above the
        # footer: the buttons stay at the bottom edge, where the last ones were.
        layout.addStretch(1)
        layout.addLayout(self._footer(waiting))

    def _initial_focus(self) -> QWidget:
        if self.line_edit is not None:
            return self.line_edit
        checked = self.choice_group.checkedButton()
        return checked if checked is not None else self.cancel_button

    # -- building ------------------------------------------------------------------
    def _caller_box(self) -> QFrame:
        """Who asks, from the host: a framed box of its own, with the app's mark. The
        request's text never contains frames or rich text, so it cannot draw one."""
        prompt = self.prompt
        box = QFrame()
        box.setObjectName("caller")
        box.setFrameShape(QFrame.Shape.StyledPanel)
        box.setAutoFillBackground(True)
        palette = box.palette()
        palette.setColor(QPalette.ColorRole.Window, palette.color(QPalette.ColorRole.AlternateBase))
        box.setPalette(palette)
        grid = QGridLayout(box)
        grid.setContentsMargins(12, 10, 12, 10)
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(4)
        grid.setColumnStretch(2, 1)
        self.mark = QLabel()
        self.mark.setPixmap(load_icon().pixmap(MARK_SIZE, MARK_SIZE))
        self.mark.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignHCenter)
        self.mark.setAccessibleName(APP_NAME)
        grid.addWidget(self.mark, 0, 0, 4, 1)
        self.checked_label = text_label(
            translate("PromptDialog", "Who is asking, as Bridgekeeper checked it"), bold=True
        )
        grid.addWidget(self.checked_label, 0, 1, 1, 2)

        def row(line: int, name: str, value: QLabel) -> QLabel:
            caption = text_label(name, muted=True)
            caption.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
            caption.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Preferred)
            grid.addWidget(caption, line, 1)
            grid.addWidget(value, line, 2)
            return caption

        if prompt.extension_name:
            self.name_label = plain_label(prompt.extension_name, multiline=False)
            font = self.name_label.font()
            font.setBold(True)
            self.name_label.setFont(font)
        else:
            self.name_label = text_label(
                translate("PromptDialog", "(no name was given when it was allowed)"), muted=True
            )
        row(1, translate("PromptDialog", "Extension"), self.name_label)
        self.extension_label = plain_label(
            prompt.extension_id, multiline=False, every=CALLER_BREAK_EVERY
        )
        self.extension_label.setObjectName("extension-id")
        row(2, translate("PromptDialog", "ID"), self.extension_label)
        self.browser_label = plain_label(
            browser_text(prompt.browser, prompt.family), multiline=False
        )
        row(3, translate("PromptDialog", "Browser"), self.browser_label)
        return box

    def _danger_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        icon = QLabel()
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize) * 2
        icon.setPixmap(
            self.style()
            .standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
            .pixmap(QSize(size, size))
        )
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.danger_icon = icon
        self.danger_label = text_label(
            translate(
                "PromptDialog",
                "The extension marks this request as dangerous. Read it carefully before "
                "you allow it.",
            ),
            bold=True,
        )
        self.danger_label.setObjectName("danger")
        self._paint_danger(self.danger_label)
        row.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.danger_label, 1)
        return row

    @staticmethod
    def _paint_danger(label: QLabel) -> None:
        palette = label.palette()
        color = danger_text(palette)
        for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
            palette.setColor(group, QPalette.ColorRole.WindowText, color)
        label.setPalette(palette)

    def _title(self) -> QLabel:
        self.title_label = plain_label(self.prompt.title, multiline=False)
        self.title_label.setObjectName("title")
        font = self.title_label.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.title_label.setFont(font)
        return self.title_label

    def _message(self) -> QScrollArea:
        self.message_label = plain_label(self.prompt.message)
        self.message_label.setObjectName("message")
        self.message_area = self._scrolling(self.message_label, MESSAGE_MAX_HEIGHT)
        self.message_area.setObjectName("message-area")
        return self.message_area

    def _scrolling(
        self, content: QWidget, max_height: int, rows: list[QWidget] | None = None
    ) -> QScrollArea:
        """``content`` as tall as its text needs, up to ``max_height``; beyond that it
        scrolls, vertically only, and then shows whole ``rows`` (no option cut at the
        edge). It takes the focus only when there is something to scroll, and then shows
        it (no invisible tab stop)."""
        column = content if isinstance(content, WrappedColumn) else WrappedColumn()
        if column is not content:
            inner = QVBoxLayout(column)
            inner.setContentsMargins(0, 0, 0, 0)
            inner.addWidget(content)
        column.setSizePolicy(wrapping_policy(QSizePolicy.Policy.Preferred))
        area = QScrollArea()
        area.setWidget(column)
        area.setWidgetResizable(True)
        area.setFrameShape(QFrame.Shape.NoFrame)
        area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        area.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        needed = column.heightForWidth(CONTENT_WIDTH)
        if needed <= max_height:
            area.setFixedHeight(max(needed, 16))
            return area
        # It scrolls: the text wraps beside the scroll bar, and a reader can reach it with
        # Tab and the arrow keys; the frame shows where the focus is.
        area.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        area.setFrameShape(QFrame.Shape.StyledPanel)
        area.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        frame = 2 * area.frameWidth()
        width = (
            CONTENT_WIDTH - frame - self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        )
        height = max_height - frame
        if rows:
            inner_layout = column.layout()
            spacing = max(0, inner_layout.spacing()) if inner_layout is not None else 0
            shown = 0
            for row in rows:
                step = row.heightForWidth(width) + (spacing if shown else 0)
                if shown + step > height:
                    break
                shown += step
            height = shown or height
        area.setFixedHeight(height + frame)
        return area

    def _add_site(self, layout: QVBoxLayout) -> None:
        claim = site_claim(self.prompt.site)
        self.site_label = plain_label(
            translate("PromptDialog", "Site, as the extension states it: {site}").format(
                site=claim.text
            ),
            multiline=False,
            every=CALLER_BREAK_EVERY,
        )
        self.site_label.setObjectName("site")
        layout.addWidget(self.site_label)
        if claim.ascii:
            # The warning, then the ASCII form on a line of its own (not broken after
            # "https://" by the wrapping of the sentence before it).
            warning = translate(
                "PromptDialog",
                "Its name has letters beyond plain ASCII and may imitate another site. "
                "In ASCII it reads:",
            )
            self.site_ascii_label = plain_label(
                f"{warning}\n{claim.ascii}", every=CALLER_BREAK_EVERY
            )
            self.site_ascii_label.setObjectName("site-ascii")
            self._paint_danger(self.site_ascii_label)
            layout.addWidget(self.site_ascii_label)

    def _add_details(self, layout: QVBoxLayout) -> None:
        button = QToolButton()
        button.setCheckable(True)
        button.setArrowType(Qt.ArrowType.RightArrow)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        view = QPlainTextEdit()
        view.setObjectName("details")
        view.setReadOnly(True)
        view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        # Neutralised but not broken every 30 characters: the view wraps anywhere itself,
        # and breaks would cut a line of hex short.
        details = neutralise(self.prompt.details)
        view.setPlainText(details)
        # Transaction data is long runs of hex: wrap anywhere, never scroll sideways.
        view.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        view.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        # Room for the first lines at once; the exact height is set once it is laid out
        # at its width (``_size_details``).
        view.setFixedHeight(self._details_height(view, DETAILS_MIN_LINES))
        view.setVisible(False)
        button.toggled.connect(self._toggle_details)
        self.details_button, self.details_view = button, view
        self._toggle_details(False)
        layout.addWidget(button)
        layout.addWidget(view)

    @staticmethod
    def _details_height(view: QPlainTextEdit, lines: int, text_height: float = 0) -> int:
        """The view's height for ``lines`` lines, or for ``text_height`` pixels of laid
        out text when that is more."""
        spacing = QFontMetrics(view.font()).lineSpacing()
        margin = 2 * view.document().documentMargin() + 2 * view.frameWidth() + 2
        return math.ceil(max(lines * spacing, text_height) + margin)

    def _size_details(self) -> None:
        """All the details as they wrap at the view's width, from DETAILS_MIN_LINES up
        to DETAILS_MAX_LINES lines (beyond that, it scrolls)."""
        view = self.details_view
        if view is None or not view.isVisible():
            return
        document = view.document()
        layout = document.documentLayout()
        blocks = [document.findBlockByNumber(n) for n in range(document.blockCount())]
        text_height = sum(layout.blockBoundingRect(block).height() for block in blocks)
        lines = sum(max(1, block.layout().lineCount()) for block in blocks)
        if lines > DETAILS_MAX_LINES:
            view.setFixedHeight(self._details_height(view, DETAILS_MAX_LINES))
        else:
            view.setFixedHeight(self._details_height(view, DETAILS_MIN_LINES, text_height))

    def _toggle_details(self, shown: bool) -> None:
        assert self.details_view is not None
        assert self.details_button is not None
        self.details_view.setVisible(shown)
        if shown:
            QTimer.singleShot(0, self, self._size_details)
        self.details_button.setArrowType(
            Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow
        )
        self.details_button.setText(
            translate("PromptDialog", "Hide detai&ls")
            if shown
            else translate("PromptDialog", "Show detai&ls")
        )
        if self.isVisible():
            self._fit_height()

    def _options(self) -> QScrollArea:
        box = WrappedColumn()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        default = self.prompt.default or self.prompt.options[0].id
        self.option_labels: list[OptionLabel] = []
        for option in self.prompt.options:
            row = OptionRow(option.label)
            self.choice_group.addButton(row.radio)
            self.choices[option.id] = row.radio
            self.option_rows.append(row)
            self.option_labels.append(row.label)
            row.radio.setChecked(option.id == default)
            row.radio.toggled.connect(lambda on, shown=row: self._reveal(shown) if on else None)
            row.radio.installEventFilter(self)
            column.addWidget(row)
        self.options_area = self._scrolling(box, OPTIONS_MAX_HEIGHT, list(self.option_rows))
        self.options_area.setObjectName("options")
        # The radio buttons take the focus; the list itself is no tab stop.
        self.options_area.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        return self.options_area

    def _reveal(self, row: QWidget) -> None:
        """Scroll the options so that ``row`` is wholly in view (the selected option is
        always one the user can see), and the top of the view starts at an option, so
        none is cut there; near the end the list gets room below its last option."""
        area = self.options_area
        content = area.widget() if area is not None else None
        layout = content.layout() if content is not None else None
        if area is None or content is None or layout is None:
            return
        bar = area.verticalScrollBar()
        top, bottom = row.y(), row.y() + row.height()
        visible = area.viewport().height()
        value = bar.value()
        if top < value:
            value = top
        elif bottom > value + visible:
            lowest = bottom - visible
            value = min((o.y() for o in self.option_rows if o.y() >= lowest), default=lowest)
        if value > bar.maximum():
            margins = layout.contentsMargins()
            margins.setBottom(margins.bottom() + value - bar.maximum())
            layout.setContentsMargins(margins)
            layout.activate()
            width = area.viewport().width()
            content.resize(width, content.heightForWidth(width))
        bar.setValue(value)

    def _input(self) -> QVBoxLayout:
        prompt = self.prompt
        column = QVBoxLayout()
        column.setSpacing(4)
        edit = AnswerField()
        edit.setMaxLength(prompt.max_length)
        edit.setPlaceholderText(for_display(prompt.placeholder, multiline=False))
        edit.setText((prompt.default or "")[: prompt.max_length])
        edit.enter_pressed.connect(self._point_at_hint)
        self.line_edit = edit
        row = QHBoxLayout()
        row.addWidget(edit, 1)
        if prompt.secret:
            edit.setEchoMode(QLineEdit.EchoMode.Password)
            self.show_text = QCheckBox(translate("PromptDialog", "Sh&ow"))
            self.show_text.setToolTip(translate("PromptDialog", "Show the typed characters"))
            self.show_text.toggled.connect(
                lambda shown: edit.setEchoMode(
                    QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password
                )
            )
            row.addWidget(self.show_text)
            self.caps_label = text_label(translate("PromptDialog", "Caps Lock is on."), bold=True)
            self.caps_label.setObjectName("caps-lock")
            self._paint_danger(self.caps_label)
            self.caps_label.setVisible(False)
            edit.caps_lock.connect(self.caps_label.setVisible)
        column.addLayout(row)
        if self.caps_label is not None:
            column.addWidget(self.caps_label)
        self.length_label = text_label("", muted=True)
        self.length_label.setObjectName("length")
        edit.textChanged.connect(self._show_length)
        self._show_length(edit.text())
        column.addWidget(self.length_label)
        return column

    def _show_length(self, text: str) -> None:
        """Secrets are masked, so their length is said; any text says when it is full."""
        assert self.length_label is not None
        limit = self.prompt.max_length
        if self.prompt.secret:
            shown = translate("PromptDialog", "Characters typed: {count} (at most {limit})").format(
                count=len(text), limit=limit
            )
        elif len(text) >= limit:
            shown = translate("PromptDialog", "At most {limit} characters.").format(limit=limit)
        else:
            shown = ""
        self.length_label.setText(shown)
        self.length_label.setVisible(bool(shown))

    def _hint_text(self) -> str:
        if self.prompt.kind == "choose":
            return translate(
                "PromptDialog",
                "Pick with the arrow keys. Enter does not answer here: use Submit "
                "(Alt+S) or Cancel (Esc).",
            )
        return translate(
            "PromptDialog", "Enter does not answer here: use Submit (Alt+S) or Cancel (Esc)."
        )

    def _point_at_hint(self) -> None:
        """Enter was pressed where it answers nothing: the hint stands out."""
        if self.answer_hint is None:
            return
        self.answer_hint.setPalette(self.palette())
        font = self.answer_hint.font()
        font.setBold(True)
        self.answer_hint.setFont(font)

    def _footer(self, waiting: int) -> QVBoxLayout:
        column = QVBoxLayout()
        column.setSpacing(8)
        status = QHBoxLayout()
        self.countdown_label = text_label("")
        self.countdown_label.setObjectName("countdown")
        self.position_label = text_label("", muted=True)
        self.position_label.setWordWrap(False)
        status.addWidget(self.countdown_label, 1)
        status.addWidget(self.position_label, 0, Qt.AlignmentFlag.AlignRight)
        column.addLayout(status)
        self._make_buttons()
        spacing = 8
        widths = [b.sizeHint().width() for b in (self.ok_button, self.cancel_button)]
        pair_fits = sum(widths) + spacing <= CONTENT_WIDTH
        all_fit = pair_fits and (
            sum(widths) + self.deny_all_button.sizeHint().width() + 2 * spacing + 24
            <= CONTENT_WIDTH
        )
        main = QHBoxLayout() if pair_fits else QVBoxLayout()
        main.setSpacing(spacing)
        if pair_fits:
            main.addStretch(1)
        main.addWidget(self.ok_button)
        main.addWidget(self.cancel_button)
        if all_fit:
            row = QHBoxLayout()
            row.setSpacing(spacing)
            row.addWidget(self.deny_all_button)
            row.addLayout(main, 1)
            column.addLayout(row)
        else:
            column.addWidget(self.deny_all_button, 0, Qt.AlignmentFlag.AlignLeft)
            column.addLayout(main)
        self.set_waiting(waiting)
        return column

    def _make_buttons(self) -> None:
        prompt = self.prompt
        if prompt.kind == "confirm":
            cancel = button_text(prompt.deny_label, translate("PromptDialog", "&Deny"), "D")
            ok = button_text(prompt.allow_label, translate("PromptDialog", "&Allow"), "A")
        else:
            cancel = translate("PromptDialog", "&Cancel")
            ok = translate("PromptDialog", "&Submit")
        self.ok_button = QPushButton(ok)
        self.cancel_button = QPushButton(cancel)
        self.deny_all_button = QPushButton()
        self.cancel_button.setObjectName("cancel")
        self.ok_button.setObjectName("ok")
        self.deny_all_button.setObjectName("deny-all")
        for button in (self.ok_button, self.cancel_button, self.deny_all_button):
            button.setStyle(self._button_style)
            button.setAutoDefault(False)
        # Deny/Cancel answers Enter; Allow/Submit needs a deliberate click or key.
        self.cancel_button.setDefault(True)
        self.ok_button.setEnabled(False)
        if prompt.danger:
            self._paint_danger_button(self.ok_button)
        self.cancel_button.clicked.connect(self._on_cancel)
        self.ok_button.clicked.connect(self._on_ok)
        self.deny_all_button.clicked.connect(lambda: self.deny_all.emit(self.prompt.key))
        self.deny_all_button.setVisible(False)
        self._set_deny_all_text(20)  # the widest it gets decides the layout

    @staticmethod
    def _paint_danger_button(button: QPushButton) -> None:
        """Allow in the destructive red (white text, 6:1), bold; disabled it keeps the
        style's disabled look. A palette, not a style sheet: a style sheet's font is not
        in the size hint, and the label was clipped."""
        palette = button.palette()
        for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
            palette.setColor(group, QPalette.ColorRole.Button, DANGER_BUTTON)
            palette.setColor(group, QPalette.ColorRole.ButtonText, DANGER_BUTTON_TEXT)
        button.setPalette(palette)
        font = button.font()
        font.setBold(True)
        button.setFont(font)

    def _chain_focus(self) -> None:
        """Tab goes through what can be read or answered, top to bottom, then the
        buttons: Allow, Deny, then "Deny all"."""
        chain: list[QWidget] = []
        if self.message_area is not None and (
            self.message_area.focusPolicy() != Qt.FocusPolicy.NoFocus
        ):
            chain.append(self.message_area)
        if self.details_button is not None and self.details_view is not None:
            chain += [self.details_button, self.details_view]
        chain += [row.radio for row in self.option_rows]
        if self.line_edit is not None:
            chain.append(self.line_edit)
        if self.show_text is not None:
            chain.append(self.show_text)
        if self.remember is not None:
            chain.append(self.remember)
        chain += [self.ok_button, self.cancel_button, self.deny_all_button]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)

    # -- state ---------------------------------------------------------------------
    def _set_deny_all_text(self, count: int) -> None:
        self.deny_all_button.setText(
            translate("PromptDialog", "Deny all from this &extension ({count})").format(count=count)
        )

    def set_waiting(self, waiting: int, from_same: int = 0) -> None:
        """``waiting`` requests wait behind this one, ``from_same`` of them from the same
        extension (then "Deny all" is offered)."""
        self.position_label.setText(
            translate("PromptDialog", "1 of {total}").format(total=waiting + 1)
            if waiting > 0
            else ""
        )
        self.position_label.setVisible(waiting > 0)
        self._set_deny_all_text(from_same + 1)
        self.deny_all_button.setVisible(from_same > 0)
        self.deny_all_button.setToolTip(
            translate(
                "PromptDialog",
                "Deny or cancel this request and the others from this extension that wait "
                "behind it ({count} in all).",
            ).format(count=from_same + 1)
        )

    def remaining(self) -> float:
        return max(0.0, self.prompt.deadline - time.monotonic())

    def _tick(self) -> None:
        left = _countdown(self.remaining())
        if self.prompt.kind == "confirm":
            text = translate("PromptDialog", "No answer in {time} counts as Deny.")
        else:
            text = translate("PromptDialog", "No answer in {time} counts as Cancel.")
        self.countdown_label.setText(text.format(time=left))

    def _arm(self) -> None:
        self.ok_button.setEnabled(True)

    def needed_height(self) -> int:
        """The height the content needs at the dialog's width (wrapped labels are as tall
        as their text at that width, not at the width their size hint guesses)."""
        layout = self.layout()
        if layout is not None:
            layout.activate()
        needed = self.heightForWidth(DIALOG_WIDTH)
        return needed if needed > 0 else self.sizeHint().height()

    def keep_at_least(self, height: int) -> None:
        """Never shorter than ``height`` (the presenter keeps a queue's dialogs alike)."""
        self._floor_height = height
        self._fit_height()

    def _fit_height(self) -> None:
        """As tall as the content needs, or as the presenter asked if that is more."""
        self.setFixedHeight(max(self._floor_height, self.needed_height()))

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not event.spontaneous():
            self._fit_height()
            self.ok_button.setEnabled(False)
            self._arm_timer.start()
            self._tick_timer.start()
            self._tick()
            checked = self.choice_group.checkedButton()
            row = checked.parentWidget() if checked is not None else None
            if row is not None:
                # Once laid out: the preselected option is in view from the start.
                QTimer.singleShot(0, self, lambda: self._reveal(row))

    def event(self, event: QEvent) -> bool:
        kind = event.type()
        # Content that changed its size while shown (the Caps Lock warning, a hint that
        # turned bold, the details unfolded): the dialog's height follows, never squeezes.
        if kind == QEvent.Type.LayoutRequest and self.isVisible():
            QTimer.singleShot(0, self, self._fit_height)
        elif kind == QEvent.Type.Paint and not self._painted:
            # When the user can first see it (its children are painted in the same pass):
            # the log's record of it, which `./dev bench coldstart` reads.
            self._painted = True
            log.info("prompt %s (%s) painted", self.prompt.key, self.prompt.kind)
            self.painted.emit(self.prompt.key)
        return super().event(event)

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

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Enter on an option answers nothing (see the module's docstring).
        if (
            event.type() == QEvent.Type.KeyPress
            and isinstance(watched, QAbstractButton)
            and watched in self.choices.values()
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        ):
            self._point_at_hint()
            return True
        return False

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
    to the queue); ``deny_all(key)`` the user's "Deny all waiting from this extension"
    (to ``PromptQueue.deny_all_from``); ``unfocused(title, message)`` says a dialog did
    not get the focus, for a tray notification; ``painted(key)`` that a dialog was first
    painted. ``pending`` lists the queue's prompts
    (``PromptQueue.prompts``), to count those from the shown dialog's extension.

    Dialogs that follow one another (the queue moving on) open where the last one was, at
    least as tall: the buttons do not jump under the pointer."""

    answered = Signal(int, object)
    deny_all = Signal(int)
    unfocused = Signal(str, str)
    painted = Signal(int)

    def __init__(self, pending: Callable[[], list[Prompt]] = list) -> None:
        super().__init__()
        self.dialog: PromptDialog | None = None
        self.pending = pending
        self._kept: QRect | None = None
        """The geometry of the dialog that just closed, until the event loop moves on."""

    def show(self, prompt: Prompt, waiting: int) -> None:
        previous = self.dialog
        if previous is not None:
            log.warning("prompt %s replaces open prompt %s", prompt.key, previous.prompt.key)
            self._keep(previous)
            previous.dismiss()
        dialog = PromptDialog(prompt, waiting, self._on_answer)
        dialog.destroyed.connect(lambda *_: self._forget(dialog))
        dialog.deny_all.connect(self.deny_all)
        dialog.painted.connect(self.painted)
        self.dialog = dialog
        dialog.set_waiting(waiting, self._from_same(prompt))
        kept = self._kept
        if kept is not None:
            dialog.keep_at_least(kept.height())
            dialog.move(kept.topLeft())
        dialog.show()
        if kept is not None:
            dialog.move(kept.topLeft())
        self._raise(dialog)

    def _keep(self, dialog: PromptDialog) -> None:
        """Remember where ``dialog`` was, for a dialog shown right after it."""
        if not dialog.isVisible():
            return
        self._kept = QRect(dialog.pos(), dialog.size())
        QTimer.singleShot(0, self, self._drop_kept)

    def _drop_kept(self) -> None:
        self._kept = None

    def _from_same(self, prompt: Prompt) -> int:
        try:
            pending = self.pending()
        except Exception:
            log.exception("listing the waiting prompts failed")
            return 0
        return sum(
            1 for other in pending if other.key != prompt.key and same_extension(other, prompt)
        )

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
            translate("DialogPresenter", "A request is waiting"),
            translate(
                "DialogPresenter",
                "{extension} asks: {title}\nClick the Bridgekeeper tray icon to answer.",
            ).format(extension=prompt.extension_name or prompt.extension_id, title=prompt.title),
        )

    def _forget(self, dialog: PromptDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None

    def _on_answer(self, key: int, answer: Answer) -> None:
        dialog = self.dialog
        if dialog is not None and dialog.prompt.key == key:
            self._keep(dialog)
            self.dialog = None
        self.answered.emit(key, answer)

    def set_waiting(self, waiting: int) -> None:
        if self.dialog is not None:
            self.dialog.set_waiting(waiting, self._from_same(self.dialog.prompt))

    def close(self, key: int) -> None:
        dialog = self.dialog
        if dialog is not None and dialog.prompt.key == key:
            self._keep(dialog)
            self.dialog = None
            dialog.dismiss()

    def bring_forward(self) -> bool:
        dialog = self.dialog
        if dialog is None:
            return False
        dialog.show()
        self._raise(dialog)
        return dialog.isVisible() and not dialog.isMinimized()
