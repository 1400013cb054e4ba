"""The native messaging host: one-shot latency, port throughput, large messages.

Starts hosts exactly as a browser does (new process, argv, framed stdio) against the real
app, and prints medians side by side with the floor: a bare stdlib echo script.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from host import protocol
from tests.support.fake_app import FakeApp
from tests.support.harness import CHROME_ARGV, HEADER, Home, encode, start_app, temp_home

ROOT = Path(__file__).resolve().parent.parent
RUNS = 50
PORT_ROUND_TRIPS = 5000

ECHO = """\
import os, struct, sys
data = sys.stdin.buffer.read(4)
(n,) = struct.unpack("=I", data)
payload = sys.stdin.buffer.read(n)
os.write(1, data + payload)
"""

LAUNCHER = """\
import sys
sys.path.insert(0, {root!r})
from host.relay import main
sys.exit(main())
"""


def script(folder: Path, name: str, shebang: str, body: str) -> Path:
    path = folder / name
    path.write_text(f"#!{shebang}\n{body}")
    path.chmod(0o755)
    return path


def one_shot_ms(command: list[str], env: dict[str, str], message: object) -> float:
    """Spawn -> first reply, as ``sendNativeMessage`` sees it; then close and reap."""
    data = encode(message)
    started = time.perf_counter()
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, close_fds=True
    )
    assert process.stdin is not None
    assert process.stdout is not None
    process.stdin.write(data)
    process.stdin.flush()
    header = process.stdout.read(4)
    (length,) = struct.unpack("=I", header)
    reply = process.stdout.read(length)
    elapsed = (time.perf_counter() - started) * 1000
    process.stdin.close()
    process.wait()
    process.stdout.close()
    assert reply, "no reply"
    return elapsed


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def row(name: str, values: list[float]) -> None:
    print(
        f"  {name:<44} p50 {statistics.median(values):6.2f} ms   "
        f"p95 {percentile(values, 0.95):6.2f} ms"
    )


def bench_one_shot(home: Home, folder: Path) -> None:
    env = home.env()
    launcher = script(
        folder, "bridgekeeper-host", f"{sys.executable} -SI", LAUNCHER.format(root=str(ROOT))
    )
    echo = script(folder, "echo-host", "/usr/bin/python3 -SI", ECHO)
    entry_point = Path(sys.executable).parent / "bridgekeeper-host"
    commands = {
        "floor: bare echo, /usr/bin/python3 -SI": [str(echo), *CHROME_ARGV],
        "bridgekeeper-host, launcher (-SI, as installed)": [str(launcher), *CHROME_ARGV],
        "bridgekeeper-host, pip entry point": [str(entry_point), *CHROME_ARGV],
    }
    timings: dict[str, list[float]] = {name: [] for name in commands}
    for command in commands.values():  # warm the page cache
        one_shot_ms(command, env, {"type": "ping"})
    for _ in range(RUNS):  # interleaved, so background load hits every row alike
        for name, command in commands.items():
            timings[name].append(one_shot_ms(command, env, {"type": "ping"}))
    print(f"one-shot ping, spawn -> reply, {RUNS} runs each (target p50 <= 30 ms):")
    for name, values in timings.items():
        row(name, values)


def bench_port(home: Home, folder: Path) -> None:
    launcher = folder / "bridgekeeper-host"
    process = subprocess.Popen(
        [str(launcher), *CHROME_ARGV],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=home.env(),
    )
    assert process.stdin is not None
    assert process.stdout is not None
    ping = encode({"type": "ping", "id": 1})
    process.stdin.write(ping)
    process.stdin.flush()
    read_reply(process.stdout)
    started = time.perf_counter()
    for _ in range(PORT_ROUND_TRIPS):
        process.stdin.write(ping)
        process.stdin.flush()
        read_reply(process.stdout)
    elapsed = time.perf_counter() - started
    process.stdin.close()
    process.wait()
    process.stdout.close()
    print(
        f"port: {PORT_ROUND_TRIPS} sequential ping round trips: "
        f"{PORT_ROUND_TRIPS / elapsed:,.0f} per second (target >= 5,000)"
    )


def read_reply(stream: object) -> bytes:
    assert hasattr(stream, "read")
    header = stream.read(4)
    (length,) = HEADER.unpack(header)
    data: bytes = stream.read(length)
    return data


def run_and_measure(
    command: list[str], env: dict[str, str], make_payload: Callable[[], bytes]
) -> tuple[float, int, int]:
    """Send one framed request, read one reply; return (seconds, host peak RSS, size).

    The payload is built after the host is spawned: a child's peak RSS counts the pages
    it shared with its parent at fork time.
    """
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    assert process.stdin is not None
    assert process.stdout is not None
    payload = make_payload()
    started = time.perf_counter()
    process.stdin.write(HEADER.pack(len(payload)))
    process.stdin.write(payload)
    process.stdin.flush()
    reply = read_reply(process.stdout)
    elapsed = time.perf_counter() - started
    process.stdin.close()
    _, _, usage = os.wait4(process.pid, 0)
    process.returncode = 0
    process.stdout.close()
    assert reply
    return elapsed, usage.ru_maxrss * 1024, len(payload)


def bench_large(folder: Path) -> None:
    launcher = [str(folder / "bridgekeeper-host"), *CHROME_ARGV]
    with temp_home() as home:
        size = protocol.MAX_REPLY_BYTES - 64

        def big_reply(conn: socket.socket, seq: int, request: object) -> None:
            if request == "ping":
                FakeApp.reply(conn, seq, b'"pong"')
            else:
                FakeApp.reply(conn, seq, protocol.ok_reply(None, {"v": "x" * size}))

        FakeApp(home.socket, big_reply)  # FAKE app: the real one has no 1 MiB reply
        _, idle, _ = run_and_measure(launcher, home.env(), lambda: b'"ping"')
        seconds, peak, _ = run_and_measure(
            launcher, home.env(), lambda: json.dumps({"type": "secret.get", "name": "n"}).encode()
        )
        print(
            f"1 MiB reply through the host: {seconds * 1000:.1f} ms, host peak RSS "
            f"{peak / 2**20:.1f} MiB, {(peak - idle) / protocol.MAX_REPLY_BYTES:.1f}x the "
            f"message above the {idle / 2**20:.1f} MiB of a host relaying a ping"
        )
    with temp_home() as home:
        app = start_app(home)
        try:
            title = "x" * (protocol.MAX_REQUEST_BYTES - 100)
            seconds, peak, size = run_and_measure(
                launcher,
                home.env(),
                lambda: json.dumps({"type": "confirm", "id": 1, "title": title}).encode(),
            )
            print(
                f"64 MiB request through the host: {seconds * 1000:.0f} ms, host peak RSS "
                f"{peak / 2**20:.1f} MiB ({peak / size:.2f}x the message; target < 3x)"
            )
        finally:
            app.stop()


def main() -> None:
    print(f"machine: {os.cpu_count()} cores, {os.uname().sysname} {os.uname().release}")
    with tempfile.TemporaryDirectory(prefix="bkb", dir="/tmp") as tmp, temp_home() as home:
        folder = Path(tmp)
        app = start_app(home)
        try:
            bench_one_shot(home, folder)
            bench_port(home, folder)
        finally:
            app.stop()
        bench_large(folder)


if __name__ == "__main__":
    main()
