"""The prompt queue end to end, through real hosts and the real app: a remembered
decision against a ``ping`` (spawn -> reply), and 200 hosts at once, each with a pending
``confirm``, all answered on timeout. Prints medians, counts and the app's memory."""

from __future__ import annotations

import statistics
import subprocess
import time
from pathlib import Path

from app import settings
from app.core.decisions import DecisionKey, DecisionStore
from tests.harness import CHROME_ID, Home, HostProcess, encode, host_command, start_app, temp_home

RUNS = 50
HOSTS = 200
TIMEOUT = 5
SITE = "https://example.com"


def chromium_id(number: int) -> str:
    return "".join("abcdefghijklmnop"[int(digit, 16)] for digit in f"{number:032x}")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def one_shot_ms(home: Home, message: object) -> float:
    """Spawn a host, send one request, read the first reply: ``sendNativeMessage``."""
    env = home.env()
    started = time.perf_counter()
    process = subprocess.Popen(
        [*host_command(), f"chrome-extension://{CHROME_ID}/"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
    )
    assert process.stdin is not None
    assert process.stdout is not None
    process.stdin.write(encode(message))
    process.stdin.flush()
    header = process.stdout.read(4)
    elapsed = (time.perf_counter() - started) * 1000
    assert len(header) == 4, "no reply"
    process.stdin.close()
    process.stdout.read()
    process.wait()
    process.stdout.close()
    return elapsed


def setup(home: Home) -> None:
    extensions = [settings.Extension(settings.CHROMIUM, CHROME_ID)]
    extensions += [settings.Extension(settings.CHROMIUM, chromium_id(i)) for i in range(HOSTS)]
    settings.save(settings.Settings(extensions), settings.settings_file(home.bk_home / "config"))
    folder = home.bk_home / "data"
    folder.mkdir(parents=True, mode=0o700, exist_ok=True)
    store = DecisionStore(folder)
    store.load()
    store.remember(DecisionKey("chromium", CHROME_ID, "confirm", "bench", SITE), "allow")


def remembered_vs_ping(home: Home) -> None:
    ping: list[float] = []
    remembered: list[float] = []
    confirm = {"type": "confirm", "title": "t", "action": "bench", "site": SITE}
    for _ in range(RUNS):  # interleaved, so both see the same machine load
        ping.append(one_shot_ms(home, {"type": "ping"}))
        remembered.append(one_shot_ms(home, confirm))
    p_ping, p_remembered = statistics.median(ping), statistics.median(remembered)
    print(f"one-shot ping, spawn -> reply, p50:                 {p_ping:7.2f} ms ({RUNS} runs)")
    print(f"one-shot remembered confirm, spawn -> reply, p50:   {p_remembered:7.2f} ms")
    print(f"remembered minus ping:                              {p_remembered - p_ping:+7.2f} ms")


def many_hosts(home: Home, app_pid: int) -> None:
    hosts = [HostProcess(home, [f"chrome-extension://{chromium_id(i)}/"]) for i in range(HOSTS)]
    try:
        sent = time.monotonic()
        for index, host in enumerate(hosts):
            host.send({"type": "confirm", "id": index, "title": f"#{index}", "timeout": TIMEOUT})
        status = HostProcess(home)
        pending = 0
        while pending < HOSTS and time.monotonic() - sent < TIMEOUT:
            status.send({"type": "status"})
            pending = status.read()["result"]["pending"]
        status.kill()
        queued = time.monotonic() - sent
        print(
            f"{HOSTS} hosts with a pending confirm: all queued after {queued * 1000:.0f} ms "
            f"(pending {pending}); app RSS {rss_mb(app_pid):.1f} MB"
        )
        outcomes: dict[str, int] = {}
        for host in hosts:
            reply = host.read()
            key = (
                "lost"
                if reply is None
                else str(reply["result"]["reason"] if reply["ok"] else reply["error"]["code"])
            )
            outcomes[key] = outcomes.get(key, 0) + 1
        last = time.monotonic() - sent
        print(
            f"answered: {outcomes}; last reply {last - TIMEOUT:+.3f} s after the "
            f"{TIMEOUT} s timeout (counted from the first send)"
        )
    finally:
        for host in hosts:
            host.kill()


def main() -> None:
    with temp_home() as home:
        setup(home)
        app = start_app(home)
        try:
            print(f"app RSS after start: {rss_mb(app.process.pid):.1f} MB")
            remembered_vs_ping(home)
            many_hosts(home, app.process.pid)
            time.sleep(1)  # the closed connections are reaped by the app's event loop
            print(f"app RSS afterwards: {rss_mb(app.process.pid):.1f} MB")
        finally:
            app.stop()


if __name__ == "__main__":
    main()
