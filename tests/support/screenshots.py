"""Screenshots of every dialog kind, the tray menu and every window, at 1x and 2x, in the
light and the dark (GTK Adwaita dark) theme, in English and Simplified Chinese:

    ./dev screenshots [FOLDER]      (default: build/screenshots)

One Xvfb with a system tray (trayer) for all; one process per variant, since the scale,
theme and language are read when Qt starts. Each process builds the app's real widgets
over real core objects in a private home (settings, decisions, fake browser profiles) and
grabs each window from the X screen. The files are named ``<variant>-<scene>.png``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VARIANTS = [
    (scale, theme, language)
    for language in ("en", "zh_CN")
    for theme in ("light", "dark")
    for scale in (1, 2)
]


def variant_name(scale: int, theme: str, language: str) -> str:
    return f"{language}-{theme}-{scale}x"


def variant_env(scale: int, theme: str, language: str) -> dict[str, str]:
    env = {
        "QT_QPA_PLATFORM": "xcb",
        "QT_SCALE_FACTOR": str(scale),
        "LANGUAGE": language,
        "LANG": "C.UTF-8",
        # No accessibility bus: GTK's bridge would start at-spi's daemons, which print
        # to the test run's terminal and outlive the variant.
        "NO_AT_BRIDGE": "1",
    }
    if theme == "dark":
        env.update(QT_QPA_PLATFORMTHEME="gtk3", GTK_THEME="Adwaita:dark")
    else:
        env.update(QT_QPA_PLATFORMTHEME="", GTK_THEME="")
    return env


# -- the parent: one desktop, one process per variant -----------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", default=str(ROOT / "build" / "screenshots"))
    parser.add_argument("--only", help="variants whose name contains this (e.g. zh_CN-dark)")
    parser.add_argument("--scene", help="scenes whose name contains this")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    folder = Path(args.folder)
    if args.child:
        return child(folder, os.environ["BK_SHOT_PREFIX"], args.scene or "")
    from tests.support.desktop import Desktop

    folder.mkdir(parents=True, exist_ok=True)
    desktop = Desktop.start(size="2600x1700x24")
    failed = 0
    try:
        for scale, theme, language in VARIANTS:
            name = variant_name(scale, theme, language)
            if args.only and args.only not in name:
                continue
            with private_home() as home:
                env = desktop.env()
                env.update(home_env(home))
                env.update(variant_env(scale, theme, language))
                env["BK_SHOT_PREFIX"] = name
                command = [sys.executable, "-m", "tests.support.screenshots", "--child"]
                if args.scene:
                    command += ["--scene", args.scene]
                done = subprocess.run(
                    [*command, str(folder)], cwd=ROOT, env=env, timeout=600, check=False
                )
            result = "ok" if done.returncode == 0 else f"FAILED (exit {done.returncode})"
            print(f"screenshots: {name}: {result}")
            failed += done.returncode != 0
    finally:
        desktop.stop()
    print(f"screenshots: {folder}")
    return 1 if failed else 0


def home_env(home: Path) -> dict[str, str]:
    return {
        "HOME": str(home / "home"),
        "BRIDGEKEEPER_HOME": str(home / "bk"),
        "XDG_CONFIG_HOME": str(home / "home" / ".config"),
        "XDG_DATA_HOME": str(home / "home" / ".local" / "share"),
        "PATH": f"{home / 'bin'}:{os.environ.get('PATH', '')}",
    }


class private_home:  # a context manager used like a function
    """A temporary home with browsers, their profiles and Bridgekeeper's settings."""

    def __enter__(self) -> Path:
        self.root = Path(tempfile.mkdtemp(prefix="bkshot", dir="/tmp"))
        from tests.support.profiles import chromium_profile, firefox_profile

        home = self.root / "home"
        bin_dir = self.root / "bin"
        bin_dir.mkdir(parents=True)
        for name in ("chromium", "firefox"):
            executable = bin_dir / name
            executable.write_text("#!/bin/sh\nexit 0\n")
            executable.chmod(0o755)
        chromium_profile(
            home / ".config" / "chromium" / "Default",
            {
                "jkdnicfhmapgokpkghnoknfplbgkmjan": "Bridgekeeper demo",
                "nngceckbapebfimnlniiiahkandclblb": "Bitwarden Password Manager",
                "aeblfdkhhhdcdjpifhhbdiojplfjncoa": "1Password - Password Manager",
            },
        )
        firefox_profile(
            home / ".mozilla" / "firefox",
            "abcd1234.default-release",
            {
                "demo@bridgekeeper.org": "Bridgekeeper demo",
                "{446900e4-71c2-419f-a6a7-df9c091e268b}": "Bitwarden 密码管理器",
            },
        )
        config = self.root / "bk" / "config"
        config.mkdir(parents=True)
        (config / "settings.json").write_text(
            json.dumps(
                {
                    "version": 1,
                    "extensions": [
                        {
                            "family": "chromium",
                            "id": "jkdnicfhmapgokpkghnoknfplbgkmjan",
                            "name": "Bridgekeeper demo",
                        },
                        {"family": "firefox", "id": "demo@bridgekeeper.org", "name": ""},
                    ],
                }
            )
        )
        return self.root

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


# -- the child: the widgets of one variant ----------------------------------------------
def child(folder: Path, prefix: str, only: str) -> int:
    from PySide6.QtWidgets import QApplication

    from app.ui.i18n import install_translations

    app = QApplication(["bridgekeeper-screenshots"])
    app.setApplicationName("Bridgekeeper")
    app.setQuitOnLastWindowClosed(False)
    language = install_translations(app)
    palette = app.palette()
    # What the variant really got (the theme and language are the environment's word).
    (folder / f"{prefix}.json").write_text(
        json.dumps(
            {
                "language": language,
                "window": palette.color(palette.ColorRole.Window).name(),
                "text": palette.color(palette.ColorRole.WindowText).name(),
                "device_pixel_ratio": app.devicePixelRatio(),
            }
        )
    )
    shooter = Shooter(app, folder, prefix)
    failed = 0
    for name, scene in scenes():
        if only and only not in name:
            continue
        try:
            scene(shooter, name)
        except Exception:
            traceback.print_exc()
            print(f"screenshots: {prefix}-{name} failed", file=sys.stderr)
            failed += 1
    for problem in shooter.problems:
        print(f"screenshots: PROBLEM {problem}", file=sys.stderr)
    return 1 if failed or shooter.problems else 0


class Shooter:
    """Grabs windows into ``folder``; ``problems`` collects what the checks of
    tests/support/widget_checks.py find in each (text cut off, text below 4.5:1)."""

    def __init__(self, app: object, folder: Path, prefix: str) -> None:
        self.app = app
        self.folder = folder
        self.prefix = prefix
        self.problems: list[str] = []

    def settle(self, seconds: float = 0.3) -> None:
        from PySide6.QtWidgets import QApplication

        end = time.monotonic() + seconds
        while time.monotonic() < end:
            QApplication.processEvents()
            time.sleep(0.02)

    def grab(self, widget: object, name: str) -> Path:
        """The pixels of ``widget``'s window as the X screen shows them."""
        from PySide6.QtWidgets import QWidget

        from tests.support.widget_checks import clipped, unreadable

        assert isinstance(widget, QWidget)
        self.settle()
        for problem in clipped(widget) + unreadable(widget):
            self.problems.append(f"{self.prefix}-{name}: {problem}")
        screen = widget.screen()
        frame = widget.frameGeometry()
        pixmap = screen.grabWindow(0, frame.x(), frame.y(), frame.width(), frame.height())
        path = self.folder / f"{self.prefix}-{name}.png"
        pixmap.save(str(path))
        return path


def scenes() -> Iterator[tuple[str, Callable[[Shooter, str], None]]]:
    from tests.support import screenshot_scenes

    yield from screenshot_scenes.SCENES.items()


if __name__ == "__main__":
    sys.exit(main())
