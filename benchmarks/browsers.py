"""Real browsers: ``sendNativeMessage`` latency and port round trips per second, through
Bridgekeeper side by side with a trivial stdlib echo host in the same browser run.

The echo host starts the way ours does (the interpreter and flags of the launcher that
``bridgekeeper install`` wrote), so the difference is Bridgekeeper's own cost: the relay,
the app socket and the app's dispatch.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

from tests.browsers import (
    BROWSERS,
    HOST_NAME,
    Browser,
    BrowserName,
    install_host,
    manifest_folder,
    open_browser,
    write_host_manifest,
)
from tests.harness import Home, start_app, temp_home

ECHO_NAME = "org.bridgekeeper.echo"
ROUNDS = 3
ONE_SHOTS_PER_ROUND = 20
PORT_ROUND_TRIPS = 2000
ONE_SHOT_TARGET = 1.3  # our p50 at most this many times the echo host's
PORT_TARGET = 0.8  # our rate at least this share of the echo host's

ECHO = """\
import os, sys
read = sys.stdin.buffer.read
while True:
    header = read(4)
    if len(header) < 4:
        break
    payload = read(int.from_bytes(header, sys.byteorder))
    os.write(1, header + payload)
"""


def echo_host(home: Home, browser: BrowserName) -> Path:
    """The echo script, with the shebang of the host launcher ``install`` wrote."""
    manifest = json.loads((manifest_folder(browser, home) / f"{HOST_NAME}.json").read_text())
    shebang = Path(manifest["path"]).read_text().splitlines()[0]
    path = home.root / "echo-host"
    path.write_text(f"{shebang}\n{ECHO}")
    path.chmod(0o755)
    write_host_manifest(browser, home, ECHO_NAME, path, "benchmark echo host")
    return path


def run(browser: Browser, command: dict[str, Any]) -> Any:
    outcome = browser.run(command, timeout=120)
    if "value" not in outcome:
        raise RuntimeError(f"{command['op']} failed: {outcome}")
    return outcome["value"]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(name: BrowserName) -> None:
    message = {"type": "ping"}
    hosts = {"bridgekeeper": HOST_NAME, "echo": ECHO_NAME}
    with temp_home() as home:
        app = start_app(home)
        try:
            install_host(name, home)
            shebang = echo_host(home, name).read_text().splitlines()[0]
            with open_browser(name, home, install=False) as browser:
                one_shot: dict[str, list[float]] = {label: [] for label in hosts}
                rates: dict[str, list[float]] = {label: [] for label in hosts}
                for host in hosts.values():  # warm caches before measuring
                    run(
                        browser,
                        {"op": "bench.oneshot", "host": host, "message": message, "runs": 3},
                    )
                # Interleaved rounds: both hosts see the same machine load.
                for _ in range(ROUNDS):
                    for label, host in hosts.items():
                        one_shot[label] += run(
                            browser,
                            {
                                "op": "bench.oneshot",
                                "host": host,
                                "message": message,
                                "runs": ONE_SHOTS_PER_ROUND,
                            },
                        )
                        done = run(
                            browser,
                            {
                                "op": "bench.port",
                                "host": host,
                                "message": message,
                                "count": PORT_ROUND_TRIPS,
                            },
                        )
                        rates[label].append(done["count"] / done["elapsed_ms"] * 1000)
        finally:
            app.stop()
    print(f"{name} (hosts started as: {shebang})")
    print(f"  {'host':<14}{'one-shot p50':>14}{'p95':>10}{'port round trips/s':>22}")
    for label in hosts:
        times = one_shot[label]
        print(
            f"  {label:<14}{statistics.median(times):>11.1f} ms{percentile(times, 0.95):>7.1f} ms"
            f"{statistics.median(rates[label]):>22,.0f}"
        )
    ratio = statistics.median(one_shot["bridgekeeper"]) / statistics.median(one_shot["echo"])
    share = statistics.median(rates["bridgekeeper"]) / statistics.median(rates["echo"])
    print(
        f"  one-shot p50 ratio {ratio:.2f} (target <= {ONE_SHOT_TARGET}): "
        f"{'met' if ratio <= ONE_SHOT_TARGET else 'MISSED'}; "
        f"port rate share {share:.0%} (target >= {PORT_TARGET:.0%}): "
        f"{'met' if share >= PORT_TARGET else 'MISSED'}",
        flush=True,
    )


def main() -> None:
    print(
        f"{ROUNDS} interleaved rounds of {ONE_SHOTS_PER_ROUND} one-shot pings and "
        f"{PORT_ROUND_TRIPS:,} sequential port pings per host; the real app offscreen"
    )
    for name in BROWSERS:
        measure(name)


if __name__ == "__main__":
    main()
