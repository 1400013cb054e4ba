"""The tray icon and menu of the real app process under Xvfb with a real system tray
(trayer), driven with xdotool: right-click the icon, pick items by their mnemonics,
read the icon's colour from screenshots. And a desktop without a tray."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from app.ui.tray import NO_TRAY_MESSAGE
from tests.support.desktop import Desktop
from tests.support.harness import Home, HostProcess, one_shot, start_app, wait_for

pytestmark = pytest.mark.xvfb


def tray_icon(desktop: Desktop) -> str:
    """The app's icon window inside trayer's panel (small, titled Bridgekeeper)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        # By class: this xdotool's --onlyvisible --name misses embedded tray windows.
        for window in desktop.xdotool("search", "--onlyvisible", "--class", "bridgekeeper").split():
            if 0 < desktop.window_geometry(window)[2] <= 64:
                return window
        time.sleep(0.05)
    raise TimeoutError("no tray icon")


def icon_colour(desktop: Desktop, icon: str, name: str) -> tuple[int, int, int]:
    """The icon's average colour in a fresh screenshot ``name``."""
    shot = desktop.screenshot(name)
    x, y, width, height = desktop.window_geometry(icon)
    average = subprocess.run(
        [
            "convert",
            str(shot),
            "-crop",
            f"{width}x{height}+{x}+{y}",
            "-resize",
            "1x1!",
            "-format",
            "%[fx:int(255*r)] %[fx:int(255*g)] %[fx:int(255*b)]",
            "info:",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    red, green, blue = (int(value) for value in average)
    return red, green, blue


def visible_menus(desktop: Desktop) -> list[str]:
    found = []
    for window in desktop.find_windows(".*"):
        _x, _y, width, height = desktop.window_geometry(window)
        if height > 50 and width < 400:  # the dialog is wider, the root window larger
            found.append(window)
    return found


def visible_menu(desktop: Desktop) -> str | None:
    menus = visible_menus(desktop)
    return menus[0] if menus else None


def open_menu(desktop: Desktop, icon: str) -> str:
    """Right-click the tray icon; returns the menu's popup window. A click that lands
    while the previous popup is still being torn down is lost, so it is retried."""
    for _attempt in range(3):
        x, y, width, height = desktop.window_geometry(icon)
        desktop.xdotool("mousemove", str(x + width // 2), str(y + height // 2), "click", "3")
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            menu = visible_menu(desktop)
            if menu is not None:
                return menu
            time.sleep(0.05)
    raise TimeoutError("the tray menu did not open")


def status(home: Home) -> dict[str, object]:
    reply = one_shot(home, {"type": "status"})
    result: dict[str, object] = reply["result"]
    return result


def test_tray_menu_pause_waiting_windows_and_quit(home: Home, desktop: Desktop) -> None:
    app = start_app(home, env=desktop.app_env())
    try:
        icon = tray_icon(desktop)
        red, _green, blue = icon_colour(desktop, icon, "xvfb-tray-idle")
        assert blue > red + 15, "idle icon is blue"
        shown = one_shot(home, {"type": "notify", "title": "Saved", "message": "<b>Done</b>"})
        assert shown["result"] == {"shown": True}
        time.sleep(0.5)  # the balloon fades in; nothing to wait on from outside the app
        desktop.screenshot("xvfb-notify")

        open_menu(desktop, icon)
        desktop.screenshot("xvfb-tray-menu")
        desktop.xdotool("key", "p")  # &Pause prompts
        wait_for(lambda: visible_menu(desktop) is None, 5, "the menu to close")
        wait_for(lambda: status(home)["paused"] is True, 5, "paused")
        red, _green, blue = icon_colour(desktop, icon, "xvfb-tray-paused")
        assert abs(red - blue) < 25, "paused icon is grey"

        open_menu(desktop, icon)
        desktop.screenshot("xvfb-tray-menu-paused")
        desktop.xdotool("key", "p")  # resume
        wait_for(lambda: status(home)["paused"] is False, 5, "resumed")

        host = HostProcess(home)
        try:
            host.send({"id": 1, "type": "confirm", "title": "Waiting in the tray", "timeout": 60})
            desktop.wait_for_dialog()
            wait_for(lambda: icon_colour(desktop, icon, "xvfb-tray-waiting")[0] > 150, 5, "amber")
            red, _green, blue = icon_colour(desktop, icon, "xvfb-tray-waiting")
            assert red > blue + 40, "waiting icon is amber"
            open_menu(desktop, icon)
            desktop.screenshot("xvfb-tray-menu-waiting")
            desktop.xdotool("key", "s")  # &Show waiting requests
            desktop.answer_dialog("deny")
            assert host.read()["result"]["decision"] == "deny"
        finally:
            host.kill()

        open_menu(desktop, icon)
        desktop.xdotool("key", "q")  # &Quit
        assert app.process.wait(10) == 0
    finally:
        app.stop()


def test_tray_submenu_and_windows(home: Home, desktop: Desktop) -> None:
    app = start_app(home, env=desktop.app_env())
    try:
        icon = tray_icon(desktop)
        open_menu(desktop, icon)
        desktop.xdotool("key", "b")  # &Browser integration ▸
        wait_for(lambda: len(visible_menus(desktop)) == 2, 5, "the integration submenu")
        desktop.screenshot("xvfb-tray-integration")
        desktop.xdotool("key", "Escape", "Escape")
        wait_for(lambda: not visible_menus(desktop), 5, "the menus to close")

        open_menu(desktop, icon)
        desktop.xdotool("key", "r")  # &Remembered decisions…
        desktop.wait_for_window("^Remembered decisions — Bridgekeeper$")
        open_menu(desktop, icon)
        desktop.xdotool("key", "a")  # &Activity…
        desktop.wait_for_window("^Activity — Bridgekeeper$")
        open_menu(desktop, icon)
        desktop.xdotool("key", "o")  # All&owed extensions…
        desktop.wait_for_window("^Allowed extensions — Bridgekeeper$")
        open_menu(desktop, icon)
        desktop.xdotool("key", "t")  # Abou&t
        desktop.wait_for_window("^About — Bridgekeeper$")
        desktop.screenshot("xvfb-tray-windows")
    finally:
        app.stop()


def test_without_a_system_tray_the_app_still_serves(home: Home) -> None:
    bare = Desktop.start(tray=False)
    try:
        app = start_app(home, env=bare.app_env())
        try:
            host = HostProcess(home)
            try:
                host.send({"id": 1, "type": "confirm", "title": "No tray here", "timeout": 60})
                bare.answer_dialog("deny", screenshot="xvfb-no-tray")
                assert host.read()["result"]["decision"] == "deny"
            finally:
                host.kill()
            notify = one_shot(home, {"type": "notify", "title": "Hello", "message": "there"})
            assert notify["result"] == {"shown": False}
        finally:
            app.stop()
        log = home.log_text()
        assert log.count(NO_TRAY_MESSAGE) == 1
    finally:
        bare.stop()


def test_autostart_menu_item_writes_the_xdg_entry(home: Home, desktop: Desktop) -> None:
    app = start_app(home, env=desktop.app_env())
    entry = Path(home.home / ".config" / "autostart" / "bridgekeeper.desktop")
    try:
        icon = tray_icon(desktop)
        open_menu(desktop, icon)
        desktop.xdotool("key", "l")  # Start at &login
        wait_for(entry.exists, 5, "the autostart entry")
        open_menu(desktop, icon)
        desktop.screenshot("xvfb-tray-menu-autostart")
        desktop.xdotool("key", "l")
        wait_for(lambda: not entry.exists(), 5, "the autostart entry to go")
    finally:
        app.stop()
