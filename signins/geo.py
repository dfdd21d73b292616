"""Country of an IP address, looked up offline (no request leaves the machine)."""

import ipaddress

from iptocc import country_code


def country_of(ip: str | None) -> str:
    """Return the ISO country code the address is registered in, or "" for private ones."""
    if not ip:
        return ""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ""
    if not address.is_global:
        return ""
    return country_code(str(address)) or ""
