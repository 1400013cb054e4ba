"""Colours the windows add to the theme's palette, chosen from that palette so text stays
readable in light and dark themes: WCAG 2 contrast of at least 4.5:1 for text.

The danger red, and the muted text of captions and hints, are computed from the colour
they are drawn on, never fixed: a red that reads well on white is 1.9:1 on a dark theme.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette

TEXT_CONTRAST = 4.5
"""WCAG 2 AA for normal text."""
CONTROL_CONTRAST = 3.0
"""WCAG 2.1 for the outline of a control (1.4.11 non-text contrast)."""
DANGER_ON_LIGHT = QColor("#b3261e")
DANGER_ON_DARK = QColor("#ff8a80")
DANGER_BUTTON = QColor("#c01c28")
"""GNOME's destructive-action red, under white text (6:1)."""
DANGER_BUTTON_TEXT = QColor("#ffffff")


def _linear(channel: float) -> float:
    return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4


def luminance(color: QColor) -> float:
    """WCAG 2 relative luminance, 0 (black) to 1 (white)."""
    red, green, blue = (_linear(c) for c in (color.redF(), color.greenF(), color.blueF()))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(one: QColor, other: QColor) -> float:
    """WCAG 2 contrast ratio of two opaque colours, 1 to 21."""
    lighter, darker = sorted((luminance(one), luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def is_dark(background: QColor) -> bool:
    """A background on which light text reads better than dark text."""
    return contrast(background, QColor("white")) > contrast(background, QColor("black"))


def readable(color: QColor, background: QColor, minimum: float = TEXT_CONTRAST) -> QColor:
    """``color``, made lighter (on a dark background) or darker (on a light one), keeping
    its hue, until it reaches ``minimum`` contrast on ``background``. Always ends: white
    or black reach 4.5:1 on any background."""
    if contrast(color, background) >= minimum:
        return color
    dark = is_dark(background)
    hue, saturation, lightness = color.hslHueF(), color.hslSaturationF(), color.lightnessF()
    step = 0.02
    while contrast(color, background) < minimum:
        lightness = min(1.0, lightness + step) if dark else max(0.0, lightness - step)
        color = QColor.fromHslF(max(hue, 0.0), saturation, lightness)
        if lightness in (0.0, 1.0):
            break
    return color


FIELD_CONTRAST = 1.3
"""How far a text field or check box stands out from the window: GTK's dark palette
gives both the same colour, and the field disappears."""


def with_visible_fields(palette: QPalette) -> QPalette:
    """``palette`` with its Base (text fields, check boxes) set off from its Window on a
    dark theme where the two are (nearly) the same; unchanged otherwise."""
    window = palette.color(QPalette.ColorRole.Window)
    base = palette.color(QPalette.ColorRole.Base)
    if not is_dark(window) or contrast(base, window) >= FIELD_CONTRAST:
        return palette
    changed = QPalette(palette)
    lighter = QColor(window)
    while contrast(lighter, window) < FIELD_CONTRAST and lighter.lightnessF() < 1.0:
        lighter = QColor.fromHslF(
            max(window.hslHueF(), 0.0),
            window.hslSaturationF(),
            min(1.0, lighter.lightnessF() + 0.02),
        )
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        changed.setColor(group, QPalette.ColorRole.Base, lighter)
    return changed


def danger_text(palette: QPalette) -> QColor:
    """The red of the danger warning, readable on the palette's window colour."""
    background = palette.color(QPalette.ColorRole.Window)
    start = DANGER_ON_DARK if is_dark(background) else DANGER_ON_LIGHT
    return readable(start, background)


def muted_text(palette: QPalette, role: QPalette.ColorRole = QPalette.ColorRole.Window) -> QColor:
    """Captions and hints: between the text and background colours, as far towards the
    background as 4.5:1 allows (never below it)."""
    background = palette.color(role)
    text = palette.color(
        QPalette.ColorRole.WindowText
        if role == QPalette.ColorRole.Window
        else QPalette.ColorRole.Text
    )
    best = text
    for step in range(1, 10):
        share = step / 20  # up to 45 % of the way to the background
        mixed = QColor.fromRgbF(
            text.redF() + (background.redF() - text.redF()) * share,
            text.greenF() + (background.greenF() - text.greenF()) * share,
            text.blueF() + (background.blueF() - text.blueF()) * share,
        )
        if contrast(mixed, background) < TEXT_CONTRAST:
            break
        best = mixed
    return best


def with_muted_text(
    palette: QPalette, role: QPalette.ColorRole = QPalette.ColorRole.Window
) -> QPalette:
    """``palette`` whose window and text colours are the muted ones (for a label)."""
    muted = QPalette(palette)
    color = muted_text(palette, role)
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        muted.setColor(group, QPalette.ColorRole.WindowText, color)
        muted.setColor(group, QPalette.ColorRole.Text, color)
    return muted
