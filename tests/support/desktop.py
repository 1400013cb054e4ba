"""A real X desktop for tests: Xvfb, a system tray (trayer), xdotool and screenshots.

``Desktop.start()`` picks a free display itself (``-displayfd``), so parallel runs never
collide. Screenshots land in ``BK_SCREENSHOTS`` (default ``/tmp/bk-screenshots``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

SCREENSHOTS = Path(os.environ.get("BK_SCREENSHOTS", "/tmp/bk-screenshots"))
ARMED_AFTER = 1.0
"""Allow/Submit answers one second after the dialog appears (app/ui/dialogs.py), as the
product promises: written here as a number, not read from the product."""
ARMING_GRACE = 1.5
"""How much later than that it may still answer on a loaded machine."""


@dataclass
class Desktop:
    display: str
    xvfb: subprocess.Popen[bytes]
    helpers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @classmethod
    def start(cls, size: str = "1280x800x24", tray: bool = True) -> Desktop:
        missing = [t for t in ("Xvfb", "xdotool", "import", "trayer") if not shutil.which(t)]
        if missing:
            raise RuntimeError(f"missing {missing}: ./dev test installs them as root")
        read_fd, write_fd = os.pipe()
        xvfb = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", size, "-nolisten", "tcp"],
            pass_fds=(write_fd,),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(write_fd)
        with os.fdopen(read_fd) as pipe:
            number = pipe.readline().strip()
        if not number:
            xvfb.kill()
            raise RuntimeError("Xvfb did not start")
        desktop = cls(f":{number}", xvfb)
        if tray:
            desktop.helpers.append(
                subprocess.Popen(
                    [
                        "trayer",
                        "--edge",
                        "top",
                        "--align",
                        "right",
                        "--widthtype",
                        "pixel",
                        "--width",
                        "200",
                        "--height",
                        "28",
                        "--transparent",
                        "false",
                    ],
                    env=desktop.env(),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            desktop.wait_for_window("panel", timeout=10)
        return desktop

    def env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        env = dict(os.environ if base is None else base)
        env["DISPLAY"] = self.display
        env.pop("WAYLAND_DISPLAY", None)
        return env

    def app_env(self) -> dict[str, str]:
        """What an app (or a browser, whose environment hosts and apps inherit) needs to
        show its windows on this desktop."""
        return {"DISPLAY": self.display, "QT_QPA_PLATFORM": "xcb"}

    def xdotool(self, *args: str) -> str:
        done = subprocess.run(
            ["xdotool", *args],
            check=False,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=15,
        )
        return done.stdout.strip() if done.returncode == 0 else ""

    def find_windows(self, name: str) -> list[str]:
        return self.xdotool("search", "--onlyvisible", "--name", name).split()

    def wait_for_window(self, name: str, timeout: float = 10.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.find_windows(name)
            if found:
                return found[-1]
            time.sleep(0.05)
        raise TimeoutError(f"no visible window named {name!r} within {timeout} s")

    def wait_window_gone(self, name: str, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while self.find_windows(name):
            if time.monotonic() > deadline:
                raise TimeoutError(f"window {name!r} still visible after {timeout} s")
            time.sleep(0.05)

    def answer_dialog(
        self,
        action: str,
        *,
        text: str | None = None,
        keys: str | None = None,
        screenshot: str | None = None,
        timeout: float = 15.0,
    ) -> str:
        """Answer the Bridgekeeper prompt dialog the way a user does, with the keyboard.

        Waits (up to ``timeout``) for the visible window titled exactly "Bridgekeeper",
        gives it the keyboard focus and presses: ``"allow"`` Alt+A, ``"submit"`` Alt+S
        (one second after the dialog appears, once armed: pressed again for at most
        ``ARMING_GRACE`` more), ``"deny"`` or ``"cancel"``
        Escape. ``text`` is typed first (a ``prompt`` dialog's line edit has the focus);
        ``keys`` are then pressed (``xdotool key`` names, e.g. ``"Down Down"`` to move a
        ``choose`` dialog's selection). ``screenshot`` names a screenshot
        taken once the dialog is up, before any key. Returns the dialog's window id
        once the window has gone; raises ``TimeoutError`` when it does not appear or
        does not close. A custom ``allow_label`` keeps the app's mnemonic (Alt+A).
        """
        answers = {"allow": "alt+a", "submit": "alt+s", "deny": "Escape", "cancel": "Escape"}
        if action not in answers:
            raise ValueError(f"action must be one of {sorted(answers)}, not {action!r}")
        window = self.wait_for_dialog(timeout)
        appeared = time.monotonic()
        self.xdotool("windowfocus", "--sync", window)
        if screenshot:
            self.screenshot(screenshot)
        if text:
            self.xdotool("type", "--delay", "20", text)
        if keys:
            self.xdotool("key", "--clearmodifiers", *keys.split())
        if action in ("allow", "submit"):
            # Allow/Submit is armed one second after the dialog appears (app/ui/dialogs.py);
            # pressed then, it answers. Pressed again only for a short grace (the app's
            # timer may fire late on a loaded machine): an arming delay longer than that
            # fails here rather than being waited out.
            time.sleep(max(0.0, appeared + ARMED_AFTER - time.monotonic()))
            deadline = appeared + ARMED_AFTER + ARMING_GRACE
            retry = 0.25
        else:
            # Escape answers at once; pressed again only if the key went to another window
            # (focus moved between windowfocus and the key).
            deadline = time.monotonic() + timeout
            retry = 1.0
        while True:
            self.xdotool("windowfocus", "--sync", window)
            self.xdotool("key", "--clearmodifiers", answers[action])
            self._wait_gone(window, retry)
            if window not in self.find_dialogs():
                return window
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"the dialog {window} did not close after {answers[action]} "
                    f"({time.monotonic() - appeared:.1f} s after it appeared)"
                )

    def _wait_gone(self, window: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while window in self.find_dialogs() and time.monotonic() < deadline:
            time.sleep(0.05)

    def window_geometry(self, window: str) -> tuple[int, int, int, int]:
        """``(x, y, width, height)`` of ``window`` (zeros when it is gone)."""
        shell = self.xdotool("getwindowgeometry", "--shell", window)
        values = dict(line.split("=", 1) for line in shell.splitlines() if "=" in line)
        return tuple(int(values.get(k, 0)) for k in ("X", "Y", "WIDTH", "HEIGHT"))  # type: ignore[return-value]

    def find_dialogs(self) -> list[str]:
        """Visible Bridgekeeper prompt dialogs (titled "Bridgekeeper", like the tray icon's
        own small window, which is left out by its size)."""
        return [
            window
            for window in self.find_windows("^Bridgekeeper$")
            if self.window_geometry(window)[2] > 100
        ]

    def wait_for_dialog(self, timeout: float = 10.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.find_dialogs()
            if found:
                return found[-1]
            time.sleep(0.05)
        raise TimeoutError(f"no Bridgekeeper dialog within {timeout} s")

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        subprocess.run(
            ["import", "-window", "root", str(path)], env=self.env(), check=True, timeout=30
        )
        return path

    def stop(self) -> None:
        for process in [*self.helpers, self.xvfb]:
            process.terminate()
        for process in [*self.helpers, self.xvfb]:
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
