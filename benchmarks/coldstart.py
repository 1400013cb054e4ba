"""The first call after login: a host started as a browser starts it, with the app not
running (a fresh ``BRIDGEKEEPER_HOME``), so the host starts the app. Times, from spawning
the host:

(a) the reply to a ``ping``;
(b) a ``confirm`` dialog painted: the time of the app's log record "prompt N (confirm)
    painted", written when the dialog gets its first paint event (``app.ui.dialogs``:
    Qt paints the window, then its children, in that pass), offscreen.

beside the floor any Qt app pays, measured in the same rounds: this interpreter importing
QtWidgets and building a ``QApplication`` (``floor_app.py``: spawn to its first line of
output). The bundle (``packaging/build``) runs no such interpreter: it is frozen, and a
frozen program pays more before its first line (PyInstaller's bootloader, its run-time
hooks, modules read from a compressed archive). Its rows are set against that floor too,
and against the bundle's own: ``floor_app.py`` frozen as the bundle is
(``floor.spec``, with the rules and options of ``packaging/freeze_rules.py``; built
once per version of those files, in ``build/floor-cache``). Rounds are interleaved, so
background load hits every row alike; the app is killed after each measurement.
Processes run as users run them: with their compiled bytecode cached
(``PYTHONDONTWRITEBYTECODE`` is dropped: with it, every start of a source install
compiles the app again).

Targets (issue 14): (a) p50 at most the floor; (b) p50 at most 1.5x the floor ("the same
interpreter": for the bundle, the frozen floor).
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from app.integration.manifests import launcher_text
from tests.support.harness import (
    CHROME_ARGV,
    Home,
    encode,
    kill_processes_of,
    processes_of,
    read_frame,
    temp_home,
)

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = 12
PAINT_TIMEOUT = 30.0

FLOOR_APP = ROOT / "benchmarks" / "floor_app.py"
FLOOR_SPEC = ROOT / "benchmarks" / "floor.spec"
FLOOR_BUILD_INPUTS = [
    FLOOR_APP,
    FLOOR_SPEC,
    ROOT / "packaging" / "freeze_rules.py",
    *sorted((ROOT / "packaging" / "hooks").rglob("*.py")),
    ROOT / "packaging" / "hooks" / "rthooks.dat",
    ROOT / "packaging" / "constraints.txt",
]
SOURCE_FLOOR = "floor: QtWidgets + QApplication"
BUNDLE_FLOOR = "bundle floor: the same, frozen as the bundle"
PAINTED = re.compile(
    r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) INFO \S+: prompt \d+ \(confirm\) painted"
)


def environment(home: Home | None = None) -> dict[str, str]:
    env = home.env() if home is not None else {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def floor_ms(command: list[str]) -> float:
    """Spawn -> a QApplication built (``floor_app.py``), offscreen."""
    env = environment()
    started = time.perf_counter()
    with subprocess.Popen(command, stdout=subprocess.PIPE, env=env) as child:
        assert child.stdout is not None
        if child.stdout.readline() != b"up\n":
            raise RuntimeError("the floor's QApplication did not start")
        elapsed = (time.perf_counter() - started) * 1000
    return elapsed


def stop_apps(home: Home) -> None:
    """Kill what the host started (the app outlives it on purpose) and wait until it is
    gone, so that it loads no later measurement."""
    deadline = time.monotonic() + 10
    while processes_of(home.root) and time.monotonic() < deadline:
        kill_processes_of(home.root)
        time.sleep(0.01)


def ping_ms(host: list[str]) -> float:
    """(a): spawn the host with the app not running -> the ping's reply."""
    with temp_home() as home:
        started = time.perf_counter()
        process = subprocess.Popen(
            [*host, *CHROME_ARGV],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=environment(home),
        )
        assert process.stdin is not None
        assert process.stdout is not None
        try:
            process.stdin.write(encode({"type": "ping", "id": 1}))
            process.stdin.flush()
            reply = read_frame(process.stdout)
            elapsed = (time.perf_counter() - started) * 1000
            if not (isinstance(reply, dict) and reply.get("ok")):
                raise RuntimeError(f"unexpected reply {reply!r}")
        finally:
            process.kill()
            process.wait()
            process.stdin.close()
            process.stdout.close()
            stop_apps(home)
    return elapsed


def painted_ms(host: list[str]) -> float:
    """(b): spawn the host with the app not running -> the confirm's dialog painted."""
    with temp_home() as home:
        log = home.bk_home / "log" / "bridgekeeper.log"
        started = time.time()
        process = subprocess.Popen(
            [*host, *CHROME_ARGV],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=environment(home),
        )
        assert process.stdin is not None
        try:
            confirm = {"type": "confirm", "id": 1, "title": "Cold start", "timeout": 60}
            process.stdin.write(encode(confirm))
            process.stdin.flush()
            deadline = time.monotonic() + PAINT_TIMEOUT
            while (at := painted_at(log)) is None:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"no dialog painted within {PAINT_TIMEOUT:.0f} s")
                time.sleep(0.02)  # the log's time stamp is what counts, not this poll
        finally:
            process.kill()
            process.wait()
            process.stdin.close()
            stop_apps(home)
    return (at - started) * 1000


def painted_at(log: Path) -> float | None:
    """The time (seconds since the epoch) of the log's first "painted" record."""
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return None
    for line in text.splitlines():
        found = PAINTED.match(line)
        if found:
            stamp = datetime.strptime(found.group(1), "%Y-%m-%d %H:%M:%S,%f")
            return stamp.timestamp()
    return None


def source_host(folder: Path) -> list[str]:
    """The launcher ``bridgekeeper install`` writes for a source install: it starts the
    app beside this interpreter (the venv's ``bridgekeeper``)."""
    path = folder / "bridgekeeper-host"
    path.write_text(launcher_text(sys.executable, str(ROOT)))
    path.chmod(0o755)
    return [str(path)]


def bundle_host() -> list[str] | None:
    from benchmarks.bundle import find_bundle

    try:
        bundle = find_bundle()
    except (subprocess.CalledProcessError, OSError) as error:
        print(f"bundle: not measured ({error})")
        return None
    print(f"bundle: {bundle.folder}")
    return [str(bundle.host)]


def bundled_floor() -> list[str] | None:
    """``floor_app.py`` frozen as the bundle is (``floor.spec``), built once per version
    of what it is built from; None, said why, if PyInstaller fails."""
    digest = hashlib.sha256(sys.version.encode())
    for path in FLOOR_BUILD_INPUTS:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    out = ROOT / "build" / "floor-cache" / digest.hexdigest()[:16]
    program = out / "dist" / "floor" / "floor"
    if not (out / "complete").exists():
        print(f"building the bundle's floor into {out} (benchmarks/floor.spec) ...", flush=True)
        try:
            subprocess.run(
                [
                    *(sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean"),
                    *("--log-level", "WARN", "--distpath", str(out / "dist")),
                    *("--workpath", str(out / "work"), str(FLOOR_SPEC)),
                ],
                check=True,
                capture_output=True,
                env={**os.environ, "PYTHONHASHSEED": "0", "PYTHONNOUSERSITE": "1"},
            )
            if sys.platform == "linux":  # as packaging/build does after PyInstaller
                folder = out / "dist" / "floor"
                subprocess.run(["find", str(folder), "-xtype", "l", "-delete"], check=True)
                trim_icu = ROOT / "packaging" / "linux" / "trim-icu"
                subprocess.run(
                    [str(trim_icu), str(folder), sys.executable], check=True, capture_output=True
                )
        except (subprocess.CalledProcessError, OSError) as error:
            output = getattr(error, "stderr", b"") or b""
            print(f"bundle floor: not measured ({error})\n{output.decode(errors='replace')}")
            return None
        (out / "complete").touch()
    return [str(program)]


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]


def main() -> None:
    print(
        f"machine: {os.cpu_count()} cores, {os.uname().sysname} {os.uname().release}, "
        f"Python {sys.version.split()[0]}; offscreen; {ROUNDS} interleaved rounds"
    )
    with tempfile.TemporaryDirectory(prefix="bkc", dir="/tmp") as tmp:
        hosts = {"source": source_host(Path(tmp))}
        bundled = bundle_host()
        if bundled is not None:
            hosts["bundle"] = bundled
        rows: dict[str, Callable[[], float]] = {
            SOURCE_FLOOR: functools.partial(floor_ms, [sys.executable, "-c", FLOOR_APP.read_text()])
        }
        frozen_floor = bundled_floor() if bundled is not None else None
        if frozen_floor is not None:
            rows[BUNDLE_FLOOR] = functools.partial(floor_ms, frozen_floor)
        for name, host in hosts.items():
            rows[f"{name}: (a) ping reply"] = functools.partial(ping_ms, host)
            rows[f"{name}: (b) confirm painted"] = functools.partial(painted_ms, host)
        for measure in rows.values():  # warm the page cache
            measure()
        times: dict[str, list[float]] = {name: [] for name in rows}
        for _ in range(ROUNDS):
            for name, measure in rows.items():
                times[name].append(measure())
    print(
        "spawn -> ..., p50 / p90, and the p50's ratio to the floor's "
        "(targets: (a) <= 1.0x, (b) <= 1.5x); bundle rows: to the bundle's floor too"
    )
    for name, values in times.items():
        line = f"  {name:<45} p50 {statistics.median(values):6.0f} ms  p90 {p90(values):6.0f} ms"
        floors = [SOURCE_FLOOR]
        if name.startswith("bundle:") and BUNDLE_FLOOR in times:
            floors.append(BUNDLE_FLOOR)
        for floor_name in floors:
            line += "  " + ratio(values, times[floor_name], floor_name)
        print(line)


def ratio(values: list[float], floor: list[float], floor_name: str) -> str:
    """The p50's ratio to a floor's p50, and the median of the rounds' ratios."""
    p50 = statistics.median(values) / statistics.median(floor)
    rounds = statistics.median(v / f for v, f in zip(values, floor, strict=True))
    which = "bundle floor" if floor_name == BUNDLE_FLOOR else "floor"
    return f"{p50:5.2f}x {which} (per round {rounds:.2f}x)"


if __name__ == "__main__":
    main()
