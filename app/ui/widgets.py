"""Small pieces the dialogs and windows share: the app's icon, labels for untrusted text,
muted captions, how a browser is named, and the button style that tells the focused
button from the default one."""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication, QRect, Qt
from PySide6.QtGui import QIcon, QPainter, QPen
from PySide6.QtWidgets import (
    QLabel,
    QProxyStyle,
    QSizePolicy,
    QStyle,
    QStyleOption,
    QStyleOptionButton,
    QWidget,
)

from app.core.text import BREAK_EVERY, breakable, neutralise
from app.system.resources import MissingAsset, icon_files
from app.ui.colors import with_muted_text
from host.caller import CHROMIUM, FAMILY_LABELS, FIREFOX

log = logging.getLogger(__name__)
translate = QCoreApplication.translate

APP_NAME = "Bridgekeeper"
"""The product's name: never translated."""


def remember_locked_text() -> str:
    """Why a request cannot be remembered, on a dialog and in Remembered decisions."""
    return translate("Policy", "Your administrator's policy does not allow remembering decisions.")


def load_icon(state: str = "") -> QIcon:
    """The app's icon for ``state`` ("", "waiting" or "paused"), every size."""
    icon = QIcon()
    try:
        for path in icon_files(state):
            icon.addFile(str(path))
    except MissingAsset as error:
        log.error("%s", error)
    return icon


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


def text_label(text: str, *, muted: bool = False, bold: bool = False) -> QLabel:
    """A label for the app's own (translated) text: plain text, wrapped."""
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setSizePolicy(wrapping_policy(QSizePolicy.Policy.Minimum))
    if muted:
        mute(label)
    if bold:
        font = label.font()
        font.setBold(True)
        label.setFont(font)
    return label


def fit_to_width(widget: QWidget, width: int) -> None:
    """Fix ``widget`` at ``width`` and the height its wrapped labels need at that width
    (a layout left to the labels' size hints spreads their guessed height as gaps)."""
    layout = widget.layout()
    if layout is not None:
        layout.setSizeConstraint(layout.SizeConstraint.SetNoConstraint)
        layout.activate()
    height = widget.heightForWidth(width)
    widget.setFixedSize(width, height if height > 0 else widget.sizeHint().height())


def mute(widget: QWidget) -> None:
    """Draw ``widget``'s text in the muted colour (still 4.5:1 on its background)."""
    widget.setPalette(with_muted_text(widget.palette()))


def browser_text(browser: str, family: str) -> str:
    """How the windows name a browser: its display name ("Chromium"), or, when the host
    could not tell which browser it is, its family's, in the user's language."""
    unknown = {
        CHROMIUM: translate("widgets", "unidentified browser (Chromium family)"),
        FIREFOX: translate("widgets", "unidentified browser (Firefox family)"),
    }
    for known_family, label in FAMILY_LABELS.items():
        if browser == label or (not browser and family == known_family):
            return unknown[known_family]
    return browser or translate("widgets", "unidentified program")


def family_text(family: str) -> str:
    """A browser family, for a column or a list."""
    return {
        CHROMIUM: translate("widgets", "Chromium family"),
        FIREFOX: translate("widgets", "Firefox family"),
    }.get(family, family)


class ButtonStyle(QProxyStyle):
    """The application's style, except that a focused push button shows a dotted focus
    rectangle inside it instead of the highlighted outline, which the style also gives
    the default button: with two identical frames nobody can tell which button Enter
    presses. Only the default button wears the outline."""

    def drawPrimitive(
        self,
        element: QStyle.PrimitiveElement,
        option: QStyleOption,
        painter: QPainter,
        widget: QWidget | None = None,
    ) -> None:
        if element != QStyle.PrimitiveElement.PE_PanelButtonCommand or not isinstance(
            option, QStyleOptionButton
        ):
            super().drawPrimitive(element, option, painter, widget)
            return
        focused = bool(option.state & QStyle.StateFlag.State_HasFocus)
        plain = QStyleOptionButton(option)
        plain.state &= ~QStyle.StateFlag.State_HasFocus
        super().drawPrimitive(element, plain, painter, widget)
        if focused:
            painter.save()
            pen = QPen(option.palette.buttonText().color())
            pen.setStyle(Qt.PenStyle.DotLine)
            pen.setWidthF(1.0)
            painter.setPen(pen)
            inset = max(3, round(option.rect.height() * 0.12))
            rect: QRect = option.rect.adjusted(inset, inset, -inset - 1, -inset - 1)
            painter.drawRect(rect)
            painter.restore()
