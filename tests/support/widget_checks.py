"""What the widget tests (and the screenshots' 2x check) look for in a window: text cut
off, mnemonics used twice, the texts a user reads."""

from __future__ import annotations

import re

from PySide6.QtCore import QPoint
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QLabel,
    QLineEdit,
    QMenu,
    QScrollArea,
    QTreeWidget,
    QWidget,
)

_MNEMONIC = re.compile(r"(?<!&)&([^&\s])")


def shown(widget: QWidget) -> bool:
    return widget.isVisibleTo(widget.window()) and widget.isVisible()


def _inside_scroll_area(widget: QWidget) -> bool:
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QScrollArea):
            return True
        parent = parent.parentWidget()
    return False


def clipped(root: QWidget) -> list[str]:
    """Every visible button or label in ``root`` that is smaller than its text needs, or
    reaches past the window's edge (inside a scroll area: past its viewport's side)."""
    problems: list[str] = []
    window = root.window()
    for widget in [root, *root.findChildren(QWidget)]:
        if not shown(widget) or not isinstance(widget, QAbstractButton | QLabel):
            continue
        if not widget.text():
            continue  # an icon, or Qt's own (a text field's clear button)
        name = f"{type(widget).__name__} {widget.text()!r}"
        hint = widget.sizeHint()
        if isinstance(widget, QLabel) and widget.wordWrap():
            needed = widget.heightForWidth(widget.width())
            if widget.height() < needed:
                problems.append(f"{name}: {widget.height()} px tall, needs {needed}")
        elif widget.width() < hint.width() or widget.height() < hint.height():
            size = f"{widget.width()}x{widget.height()}"
            problems.append(f"{name}: {size}, needs {hint.width()}x{hint.height()}")
        if _inside_scroll_area(widget):
            continue
        top_left = widget.mapTo(window, QPoint(0, 0))
        if (
            top_left.x() < 0
            or top_left.y() < 0
            or (
                top_left.x() + widget.width() > window.width()
                or top_left.y() + widget.height() > window.height()
            )
        ):
            problems.append(f"{name}: reaches past the window's edge")
    return problems


def text_colours(widget: QWidget) -> tuple[QColor, QColor]:
    """The colour ``widget`` draws its text in, and the colour behind it (its own, or
    that of the nearest ancestor that fills its background)."""
    behind = widget
    while not behind.autoFillBackground() and behind.parentWidget() is not None:
        parent = behind.parentWidget()
        assert parent is not None
        behind = parent
    return (
        widget.palette().color(widget.foregroundRole()),
        behind.palette().color(behind.backgroundRole()),
    )


def unreadable(root: QWidget, minimum: float = 4.5) -> list[str]:
    """Visible, enabled labels in ``root`` whose text is below ``minimum`` contrast."""
    from app.ui.colors import contrast

    problems = []
    for label in [root, *root.findChildren(QLabel)]:
        if not isinstance(label, QLabel) or not shown(label) or not label.isEnabled():
            continue
        if not label.text():
            continue
        text, background = text_colours(label)
        ratio = contrast(text, background)
        if ratio < minimum:
            problems.append(
                f"{label.text()!r}: {text.name()} on {background.name()}, {ratio:.2f}:1"
            )
    return problems


def mnemonic_of(text: str) -> str | None:
    found = _MNEMONIC.search(text)
    return found.group(1).lower() if found else None


def mnemonics(root: QWidget) -> list[str]:
    """The mnemonic letters of the visible buttons and buddy labels in ``root``'s window."""
    letters: list[str] = []
    for widget in root.window().findChildren(QWidget):
        if not shown(widget):
            continue
        if isinstance(widget, QAbstractButton) or (
            isinstance(widget, QLabel) and widget.buddy() is not None
        ):
            letter = mnemonic_of(widget.text())
            if letter:
                letters.append(letter)
    return letters


def texts(root: QWidget) -> list[str]:
    """What a user reads in ``root``: window title, labels, buttons, placeholders, tool
    tips, table headers, menu items (of a menu ``root``)."""
    found = [root.windowTitle()]
    widgets = [root, *root.findChildren(QWidget)]
    for widget in widgets:
        if isinstance(widget, QLabel | QAbstractButton):
            found.append(widget.text())
        if isinstance(widget, QLineEdit):
            found.append(widget.placeholderText())
        if isinstance(widget, QTreeWidget):
            header = widget.headerItem()
            found += [header.text(i) for i in range(header.columnCount())]
        if isinstance(widget, QAbstractItemView | QLabel | QAbstractButton):
            found.append(widget.toolTip())
        if isinstance(widget, QMenu):
            for action in widget.actions():
                found += [action.text(), action.toolTip()]
                submenu = action.menu()
                if isinstance(submenu, QMenu):
                    found += [sub.text() for sub in submenu.actions()]
    return [text for text in found if text]
