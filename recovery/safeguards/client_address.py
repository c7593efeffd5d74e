"""The client's address (issue 9, finding 4), for the audit log (SPEC §8) and django-axes.

Without a proxy it is REMOTE_ADDR. Behind reverse proxies, TRUSTED_PROXY_HEADER names the header they
append to (e.g. HTTP_X_FORWARDED_FOR) and TRUSTED_PROXY_COUNT how many of them there are: each proxy
appends the address it saw, so the entry that many places from the right is the one the outermost
trusted proxy vouches for; everything left of it was written by the client and is ignored. A value that
is not an IP address is ignored too (None, never an exception): no request fails over its address."""

import ipaddress

from django.conf import settings


def parse(value) -> str | None:
    """A normalised IP address, or None when `value` is not one (brackets around IPv6 are allowed)."""
    text = str(value or "").strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def client_address(request) -> str | None:
    meta = getattr(request, "META", None) or {}
    remote = parse(meta.get("REMOTE_ADDR"))
    header = getattr(settings, "TRUSTED_PROXY_HEADER", "")
    if not header:
        return remote
    count = max(int(getattr(settings, "TRUSTED_PROXY_COUNT", 1) or 1), 1)
    entries = [part.strip() for part in str(meta.get(header) or "").split(",")]
    entries = [part for part in entries if part]
    if len(entries) < count:
        return remote  # it did not come through every trusted proxy: only the peer's address is known
    return parse(entries[-count]) or remote


def axes_client_ip(request) -> str | None:
    """AXES_CLIENT_IP_CALLABLE: django-axes locks by the same address the audit log records."""
    return client_address(request)
