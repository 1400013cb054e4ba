"""Every dialog kind, the tray menus and every window, built by the screenshot tool
(``./dev screenshots``) on a real X server at 2x, in the real GTK Adwaita dark theme and
in light, in English and in Chinese: none of them has a text cut off or below 4.5:1
(the tool checks each window it grabs, tests/support/widget_checks.py), and the variant
got the theme, scale and language it asked for. The pictures stay for a person to look
at: ``BK_SCREENSHOTS`` (default /tmp/bk-screenshots)/look."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from PySide6.QtGui import QColor

from app.ui.colors import luminance
from tests.support.desktop import SCREENSHOTS
from tests.support.screenshot_scenes import SCENES

pytestmark = pytest.mark.xvfb

ROOT = SCREENSHOTS / "look"


@pytest.mark.parametrize("variant", ["en-dark-2x", "zh_CN-light-2x"])
def test_every_window_whole_and_readable(variant: str) -> None:
    folder = ROOT
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [sys.executable, "-m", "tests.support.screenshots", str(folder), "--only", variant],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    problems = [line for line in done.stderr.splitlines() if "PROBLEM" in line or "failed" in line]
    assert done.returncode == 0, "\n".join(problems) or done.stderr[-3000:]
    got = json.loads((folder / f"{variant}.json").read_text())
    language, theme, scale = variant.split("-")
    assert got["language"] == language
    assert got["device_pixel_ratio"] == float(scale.rstrip("x"))
    window = luminance(QColor(got["window"]))
    assert window < 0.1 if theme == "dark" else window > 0.5, got
    for scene in SCENES:
        shot = folder / f"{variant}-{scene}.png"
        assert shot.stat().st_size > 2000, shot
