"""A request's ``site`` as the dialogs show it: the extension's claim, with the ASCII
(``xn--``) form of a host that has letters outside ASCII, so apple.com written with a
Cyrillic a (U+0430) cannot pass for apple.com: it shows as ``xn--pple-43d.com``.

Pure functions, no widgets. The ASCII form encodes exactly the characters shown, label by
label (Punycode, RFC 3492, as IDNA writes them), without IDNA's mapping step: mapping
would turn "faß" into "fass" and show a name that is not the one a browser looks up,
while the unmapped form can only make a name look less familiar, never more.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

ACE_PREFIX = "xn--"


def ascii_label(label: str) -> str:
    """One host label in ASCII: itself when it is ASCII, else ``xn--`` + its Punycode."""
    if label.isascii():
        return label
    return ACE_PREFIX + label.encode("punycode").decode("ascii")


def ascii_host(host: str) -> str:
    """``host`` with each non-ASCII label (between dots) in its ``xn--`` form."""
    return ".".join(ascii_label(label) for label in host.split("."))


@dataclass(frozen=True)
class SiteClaim:
    """What a dialog shows for a request's ``site``."""

    text: str
    """The site as the request gave it (the handlers reduced it to an origin)."""
    ascii: str
    """The same site with its host in ASCII (``xn--``), or "" when it is ASCII already."""


def site_claim(site: str) -> SiteClaim:
    """The claim for ``site``; its ``ascii`` form is set only when the host (or anything
    else in it) is not plain ASCII."""
    if site.isascii():
        return SiteClaim(site, "")
    try:
        host = urlsplit(site).hostname
    except ValueError:
        host = None
    if not host or host not in site:
        # Not an origin with a host that can be found in it again: encode all of it.
        return SiteClaim(site, ascii_host(site))
    scheme, _, rest = site.partition("://")
    tail = rest[len(host) :]
    if not rest.startswith(host) or not (scheme + tail).isascii():
        return SiteClaim(site, ascii_host(site))
    return SiteClaim(site, f"{scheme}://{ascii_host(host)}{tail}")
