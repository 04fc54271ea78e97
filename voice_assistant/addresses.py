"""The one rule for addresses that health data or models travel to: https, or plain http to this machine.

Used by the profile (clinician.fhir_base_url), sync (the FHIR base and the token address), the hub and the
tablet (plain HTTP only when listening on loopback) and the model registry (download URLs).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

__all__ = ["is_loopback_host", "is_loopback_url", "secure_url_problem", "SECURE_URL_RULE"]

#: How the rule is said to whoever wrote the address.
SECURE_URL_RULE = ("must be an https:// address (health data never travels unencrypted; plain http only to this "
                   "machine, e.g. http://127.0.0.1:8790/fhir)")


def is_loopback_host(host: str) -> bool:
    """Whether a host name or address never leaves this machine (localhost, 127.0.0.0/8, ::1)."""
    host = (host or "").strip()
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_loopback_url(url: str) -> bool:
    """A plain http:// address to this machine."""
    try:
        parts = urlsplit(url.strip())
    except (ValueError, AttributeError):
        return False
    return parts.scheme == "http" and bool(parts.hostname) and is_loopback_host(parts.hostname or "")


def secure_url_problem(url: object) -> str | None:
    """None when `url` is https:// with a host, or plain http:// to this machine; else what is wrong, said plainly."""
    if not isinstance(url, str) or not url.strip():
        return "must be an address (text)"
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return f"'{url}' is not an address"
    if parts.scheme == "https" and parts.hostname:
        return None
    if is_loopback_url(url):
        return None
    return f"'{url}' {SECURE_URL_RULE}"
