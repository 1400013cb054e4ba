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
