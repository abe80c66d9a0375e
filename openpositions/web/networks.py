"""The network a request comes from, as the forms' flood limits count it.

An IPv4 address may be a whole campus (eduroam, a university's NAT, a mobile carrier), so it
counts as one network; an IPv6 host holds a /64 and picks addresses from it at will, so the /64
counts as one.
"""

from ipaddress import IPv6Address, ip_address, ip_network

from flask_limiter.util import get_remote_address


def requesting_network() -> str:
    """The network a request comes from: its IPv4 address, or its IPv6 /64."""
    remote = get_remote_address()
    try:
        address = ip_address(remote)
    except ValueError:
        return remote
    if isinstance(address, IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ip_network(f"{address}/64", strict=False))
    return str(address)
