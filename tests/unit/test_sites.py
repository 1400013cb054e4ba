"""A request's site as the dialogs show it, with the ASCII form of a non-ASCII host
(app.core.sites)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.core.sites import SiteClaim, ascii_host, site_claim


def test_an_ascii_site_needs_no_second_form() -> None:
    assert site_claim("https://example.com") == SiteClaim("https://example.com", "")
    assert site_claim("chrome-extension://abcdefghijklmnopabcdefghijklmnop") == SiteClaim(
        "chrome-extension://abcdefghijklmnopabcdefghijklmnop", ""
    )


def test_a_cyrillic_lookalike_shows_its_xn_form() -> None:
    claim = site_claim("https://\u0430pple.com")  # Cyrillic small a
    assert claim.ascii == "https://xn--pple-43d.com"
    assert claim.ascii != "https://apple.com"


def test_the_port_and_ascii_labels_stay_as_they_are() -> None:
    assert site_claim("https://login.\u0430pple.com:8443").ascii == (
        "https://login.xn--pple-43d.com:8443"
    )


def test_whole_script_hosts_are_encoded_label_by_label() -> None:
    assert ascii_host("\u65e5\u672c\u8a9e.jp") == "xn--wgv71a119e.jp"
    assert ascii_host("b\u00fccher.example") == "xn--bcher-kva.example"


def test_no_idna_mapping_makes_a_host_look_like_another() -> None:
    # IDNA 2003 maps "faß" to "fass" and fullwidth letters to ASCII ones; showing those
    # would name a host the browser does not look up, so the characters are encoded as
    # they are.
    assert ascii_host("fa\u00df.de") == "xn--fa-hia.de"
    assert not ascii_host("\uff41pple.com").startswith("apple")


def test_a_host_that_is_not_an_origin_is_still_encoded() -> None:
    claim = site_claim("https://bitwarden(\u0430bc)")
    assert claim.ascii.isascii()
    assert claim.ascii != claim.text


@given(st.text(min_size=1, max_size=60))
def test_the_ascii_form_is_always_ascii_and_set_exactly_for_non_ascii(host: str) -> None:
    claim = site_claim(f"https://{host}")
    assert claim.ascii.isascii()
    assert bool(claim.ascii) == (not host.isascii())
