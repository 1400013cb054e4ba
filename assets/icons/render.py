"""Render the PNG sizes the tray and desktop need from the SVG sources (QtSvg).

Run after editing an SVG: `.venv/bin/python assets/icons/render.py` (offscreen is fine).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

HERE = Path(__file__).resolve().parent
STATES = ("bridgekeeper", "bridgekeeper-waiting", "bridgekeeper-paused")
SIZES = (16, 22, 24, 32, 48, 64, 128, 256)
"""16-48: tray icons on every desktop; 64-256: launchers, .desktop entries, About."""


def render(source: Path, size: int, target: Path) -> None:
    renderer = QSvgRenderer(str(source))
    if not renderer.isValid():
        raise SystemExit(f"{source}: not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    if not image.save(str(target)):
        raise SystemExit(f"{target}: could not be written")


def main() -> None:
    app = QGuiApplication(sys.argv[:1])
    for state in STATES:
        for size in SIZES:
            render(HERE / f"{state}.svg", size, HERE / f"{state}-{size}.png")
    del app


if __name__ == "__main__":
    main()
