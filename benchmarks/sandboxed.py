"""Flatpak browsers: ``sendNativeMessage`` latency and port round trips per second from
inside the bubblewrapped browser (tests/support/sandbox.py, registered by ``bridgekeeper
install`` alone, through the socket in ``$XDG_RUNTIME_DIR/app/<id>/``) against the same
browser outside (its own manifest and the app's own socket), both running at once against
the same app, in interleaved rounds: what the sandbox costs the user.
"""

from __future__ import annotations

import statistics

from benchmarks.browsers import print_rows, run, spread
from tests.support.browsers import BROWSERS, HOST_NAME, Browser, BrowserName, open_browser
from tests.support.harness import start_app, temp_home
from tests.support.sandbox import available, open_sandboxed_browser, runtime_env

ROUNDS = 5
ONE_SHOTS_PER_ROUND = 20
PORT_ROUNDS = 11
PORT_ROUND_TRIPS = 1000
WHERE = ("outside", "in Flatpak")


def measure(name: BrowserName) -> None:
    message = {"type": "ping"}
    one_shot: dict[str, list[float]] = {where: [] for where in WHERE}
    medians: dict[str, list[float]] = {where: [] for where in WHERE}
    rates: dict[str, list[float]] = {where: [] for where in WHERE}
    with temp_home() as home:
        app = start_app(home, env=runtime_env(home))  # as the desktop session starts it
        try:
            with (
                open_sandboxed_browser(name, home) as inside,
                open_browser(name, home) as outside,
            ):
                browsers: dict[str, Browser] = {"outside": outside, "in Flatpak": inside}
                for browser in browsers.values():  # warm caches before measuring
                    run(
                        browser,
                        {"op": "bench.oneshot", "host": HOST_NAME, "message": message, "runs": 3},
                    )
                for _ in range(ROUNDS):
                    for where, browser in browsers.items():
                        times = run(
                            browser,
                            {
                                "op": "bench.oneshot",
                                "host": HOST_NAME,
                                "message": message,
                                "runs": ONE_SHOTS_PER_ROUND,
                            },
                        )
                        one_shot[where] += times
                        medians[where].append(statistics.median(times))
                for _ in range(PORT_ROUNDS):
                    for where, browser in browsers.items():
                        done = run(
                            browser,
                            {
                                "op": "bench.port",
                                "host": HOST_NAME,
                                "message": message,
                                "count": PORT_ROUND_TRIPS,
                            },
                        )
                        rates[where].append(done["count"] / done["elapsed_ms"] * 1000)
        finally:
            app.stop()
    print(f"{name}, the same app for both")
    print_rows("browser", WHERE, one_shot, rates)
    # Paired per round: the machine's load drifts between rounds, not within one.
    ratios = [i / o for i, o in zip(medians["in Flatpak"], medians["outside"], strict=True)]
    shares = [i / o for i, o in zip(rates["in Flatpak"], rates["outside"], strict=True)]
    print(
        f"  in Flatpak / outside, per-round medians: one-shot p50 x{statistics.median(ratios):.2f}"
        f" (middle half x{spread(ratios, '.2f')}); port rate {statistics.median(shares):.0%}"
        f" (middle half {spread(shares, '.0%')})",
        flush=True,
    )


def main() -> None:
    if not available():
        print("skipped: needs bwrap, chromium and firefox-esr")
        return
    print(
        f"{ROUNDS} interleaved rounds of {ONE_SHOTS_PER_ROUND} one-shot pings, then "
        f"{PORT_ROUNDS} of {PORT_ROUND_TRIPS:,} sequential port pings (timed from the first "
        "reply), by the same browser inside a Flatpak stand-in (bubblewrap) and outside it, "
        "both running; the real app offscreen"
    )
    for name in BROWSERS:
        measure(name)


if __name__ == "__main__":
    main()
