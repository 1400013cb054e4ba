"""Extension ids as SPEC 1.1 takes them: a Chromium id or origin, a Firefox add-on id
(``name@domain`` or ``{GUID}``), optionally ``=NAME``; anything else refused with the
accepted forms. And the browser names people type."""

from __future__ import annotations

import pytest

from app.integration.browsers import BROWSERS, BY_NAME, SPELLINGS, lookup
from app.system.extensions import FORMS, BadExtension, Extension, parse_extension
from host.caller import CHROMIUM, FIREFOX
from tests.support.harness import CHROME_ID, FIREFOX_ID

GUID = "{12345678-abcd-ef00-1234-1234567890ab}"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (CHROME_ID, Extension(CHROMIUM, CHROME_ID)),
        (f"chrome-extension://{CHROME_ID}/", Extension(CHROMIUM, CHROME_ID)),
        (f"chrome-extension://{CHROME_ID}", Extension(CHROMIUM, CHROME_ID)),
        (f"{CHROME_ID}=My Wallet", Extension(CHROMIUM, CHROME_ID, "My Wallet")),
        (f" {CHROME_ID} = Spaced ", Extension(CHROMIUM, CHROME_ID, "Spaced")),
        (FIREFOX_ID, Extension(FIREFOX, FIREFOX_ID)),
        ("Name.With-Caps_1@Example.ORG", Extension(FIREFOX, "Name.With-Caps_1@Example.ORG")),
        ("@only-domain.org", Extension(FIREFOX, "@only-domain.org")),
        (GUID, Extension(FIREFOX, GUID)),
        (GUID.upper(), Extension(FIREFOX, GUID.upper())),
        (f"{FIREFOX_ID}=钱包 Wallet", Extension(FIREFOX, FIREFOX_ID, "钱包 Wallet")),
    ],
)
def test_each_accepted_form_gives_its_family(text: str, expected: Extension) -> None:
    assert parse_extension(text) == expected


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("notanid", ""),
        ("ABCDEFGHIJKLMNOPABCDEFGHIJKLMNOP", "Chromium ids are lower case; "),
        ("qrstuvwxyzqrstuvwxyzqrstuvwxyzqr", "Chromium ids use only the letters a to p; "),
        (CHROME_ID[:31], ""),
        (CHROME_ID + "a", ""),
        ("chrome-extension://tooshort/", ""),
        (f"chrome-extension://{CHROME_ID.upper()}/", "Chromium ids are lower case; "),
        ("", ""),
        ("=Name", ""),
        ("has space@x.org", ""),
        ('quote"@x.org', ""),
        ("name@", ""),
        ("{12345678-abcd-ef00-1234}", ""),
        ("moz-extension://" + FIREFOX_ID, ""),
        ("a" * 190 + "@example.org", ""),
    ],
)
def test_anything_else_is_refused_with_the_accepted_forms(text: str, hint: str) -> None:
    with pytest.raises(BadExtension) as caught:
        parse_extension(text)
    message = str(caught.value)
    assert message.startswith(f"{text!r} is not an extension id: ")
    assert message.endswith(hint + FORMS)


@pytest.mark.parametrize("name", ["a\x1bname", "tab\tname", "x" * 101])
def test_a_name_must_be_printable_and_short(name: str) -> None:
    with pytest.raises(BadExtension, match="the name after '='"):
        parse_extension(f"{CHROME_ID}={name}")


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("google-chrome", "chrome"),
        ("google-chrome-stable", "chrome"),
        ("chrome-stable", "chrome"),
        ("Google Chrome", "chrome"),
        ("CHROME", "chrome"),
        ("google-chrome-unstable", "chrome-dev"),
        ("google-chrome-beta", "chrome-beta"),
        ("chromium-browser", "chromium"),
        ("microsoft-edge", "edge"),
        ("Microsoft Edge", "edge"),
        ("msedge.exe", "edge"),
        ("brave-browser", "brave"),
        ("Brave Browser.app", "brave"),
        ("vivaldi-stable", "vivaldi"),
        ("firefox-esr", "firefox"),
        ("Firefox", "firefox"),
        ("torbrowser-launcher", "tor-browser"),
        ("opera-stable", "opera"),
    ],
)
def test_browser_names_people_type_are_found_in_any_case(typed: str, name: str) -> None:
    assert lookup(typed) is BY_NAME[name]


def test_no_spelling_names_two_browsers_and_every_table_name_is_one() -> None:
    for browser in BROWSERS:
        assert SPELLINGS[browser.name] is browser
    claimed: dict[str, list[str]] = {}
    for browser in BROWSERS:
        for alias in browser.aliases:
            claimed.setdefault(alias, []).append(browser.name)
    assert {alias: owners for alias, owners in claimed.items() if len(owners) > 1} == {}
    assert lookup("netscape") is None
    assert lookup("microsoft-edge-beta") is None  # another channel, another folder
