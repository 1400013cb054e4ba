"""The desktop bundle: host one-shot latency (bundled beside source tree), start-up of the
bundled app, and sizes on disk and packed.

Uses ``BK_TEST_BUNDLE`` (a ``packaging/build --out`` folder) when set, else the build the
tests cached for these sources, else builds into ``build/bundle``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.host import LAUNCHER, one_shot_ms, row, script
from tests.bundle.test_bundle import Bundle, inputs_hash
from tests.support.harness import CHROME_ARGV, Home, socket_accepts, start_app, temp_home

ROOT = Path(__file__).resolve().parent.parent
RUNS = 50
START_RUNS = 10


def find_bundle() -> Bundle:
    configured = os.environ.get("BK_TEST_BUNDLE")
    if configured:
        return Bundle(Path(configured))
    cached = ROOT / "build" / "bundle-cache" / inputs_hash()
    if (cached / "complete").exists():
        return Bundle(cached)
    out = ROOT / "build" / "bundle"
    print(f"building the bundle into {out} (packaging/build) ...", flush=True)
    subprocess.run(
        [str(ROOT / "packaging" / "build"), "--out", str(out), "--python", sys.executable],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return Bundle(out)


def bench_one_shot(bundle: Bundle, home: Home, folder: Path) -> None:
    env = home.env()
    launcher = script(
        folder, "bridgekeeper-host", f"{sys.executable} -SI", LAUNCHER.format(root=str(ROOT))
    )
    commands = {
        "bundled bridgekeeper-host": [str(bundle.host), *CHROME_ARGV],
        "source tree host (launcher, -SI)": [str(launcher), *CHROME_ARGV],
    }
    timings: dict[str, list[float]] = {name: [] for name in commands}
    for command in commands.values():  # warm the page cache
        one_shot_ms(command, env, {"type": "ping"})
    for _ in range(RUNS):  # interleaved, so background load hits both alike
        for name, command in commands.items():
            timings[name].append(one_shot_ms(command, env, {"type": "ping"}))
    print(f"one-shot ping with the app running, spawn -> reply, {RUNS} runs (target <= 35 ms):")
    for name, values in timings.items():
        row(name, values)


def start_ms(command: list[str]) -> float:
    """Spawn -> the socket accepts a connection."""
    with temp_home() as home:
        started = time.perf_counter()
        process = subprocess.Popen(
            command,
            env=home.env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            while not socket_accepts(home.socket):
                if process.poll() is not None:
                    raise RuntimeError(f"{command[0]} exited with {process.returncode}")
                time.sleep(0.002)
            return (time.perf_counter() - started) * 1000
        finally:
            process.terminate()
            process.wait(10)


def bench_start(bundle: Bundle) -> None:
    commands = {
        "bundled bridgekeeper": [str(bundle.app)],
        "source tree bridgekeeper": [str(Path(sys.executable).parent / "bridgekeeper")],
    }
    timings: dict[str, list[float]] = {name: [] for name in commands}
    for command in commands.values():
        start_ms(command)
    for _ in range(START_RUNS):
        for name, command in commands.items():
            timings[name].append(start_ms(command))
    print(f"app start -> listening, offscreen, {START_RUNS} runs (target <= 1000 ms):")
    for name, values in timings.items():
        row(name, values)


def bench_sizes(bundle: Bundle) -> None:
    on_disk = subprocess.run(
        ["du", "-s", "--block-size=1", str(bundle.folder)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()[0]
    files = bundle.files()
    print("sizes (targets: folder <= 120 MB, .tar.gz <= 45 MB):")
    print(f"  folder on disk {int(on_disk) / 1e6:7.1f} MB  ({len(files)} files)")
    print(
        f"  .tar.gz        {bundle.tarball.stat().st_size / 1e6:7.1f} MB  ({bundle.tarball.name})"
    )
    print(f"  .deb           {bundle.deb.stat().st_size / 1e6:7.1f} MB  ({bundle.deb.name})")
    largest = sorted(
        (
            (p.stat().st_size, p)
            for p in bundle.folder.rglob("*")
            if p.is_file() and not p.is_symlink()
        ),
        reverse=True,
    )[:5]
    for size, path in largest:
        print(f"    {size / 1e6:6.1f} MB  {path.relative_to(bundle.folder)}")


def main() -> None:
    bundle = find_bundle()
    print(f"bundle: {bundle.folder}; {os.cpu_count()} cores")
    bench_sizes(bundle)
    bench_start(bundle)
    with tempfile.TemporaryDirectory(prefix="bkb", dir="/tmp") as tmp, temp_home() as home:
        os.environ["BK_TEST_APP_CMD"] = str(bundle.app)  # the harness starts the bundled app
        try:
            app = start_app(home)
        finally:
            del os.environ["BK_TEST_APP_CMD"]
        try:
            bench_one_shot(bundle, home, Path(tmp))
        finally:
            app.stop()
