"""Real headless browsers start the host that ``bridgekeeper install`` registered: Chromium
with ``--user-data-dir`` (the manifest in ``<dir>/NativeMessagingHosts``), Firefox ESR with
a temporary HOME and profile (``~/.mozilla/native-messaging-hosts``)."""

from __future__ import annotations

import json

import pytest

from host.protocol import HOST_NAME
from tests.support.browsers import BROWSERS, BrowserName, manifest_folder, open_browser
from tests.support.harness import CHROME_ID, FIREFOX_ID, AppProcess, wait_for


@pytest.mark.browser
@pytest.mark.parametrize("name", BROWSERS)
def test_browser_pings_through_the_host_install_registered(
    app: AppProcess, name: BrowserName
) -> None:
    with open_browser(name, app.home) as browser:
        manifest = json.loads((manifest_folder(name, app.home) / f"{HOST_NAME}.json").read_text())
        # Written by `bridgekeeper install`: our launcher, this browser family's flavour.
        assert manifest["path"] == str(app.home.bk_home / "data" / "bridgekeeper-host")
        if name == "chromium":
            assert manifest["allowed_origins"] == [f"chrome-extension://{CHROME_ID}/"]
        else:
            assert manifest["allowed_extensions"] == [FIREFOX_ID]
        outcome = browser.run({"op": "request", "message": {"type": "ping"}})
    assert outcome["value"]["pong"] is True, outcome
    family, extension = ("chromium", CHROME_ID) if name == "chromium" else ("firefox", FIREFOX_ID)
    wait_for(
        lambda: f"host for {family} extension {extension!r}" in app.home.log_text(),
        5,
        "the app to log the host's caller",
    )
