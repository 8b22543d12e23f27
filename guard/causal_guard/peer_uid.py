"""Which local user opened a loopback TCP connection (Linux), as identd-style local authentication does.

The kernel lists every TCP socket of the network namespace in ``/proc/net/tcp``
and ``/proc/net/tcp6`` with the uid that created it. A server that accepted a
connection from ``peer`` on its port finds the client's own socket there (its
local address is ``peer``, its remote port the server's) and reads the uid.
Only loopback peers are looked up; elsewhere (another host, another network
namespace, a system without ``/proc``) the answer is ``None``: unknown.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable
from pathlib import Path

logger = logging.getLogger(__name__)

TCP_TABLES = (Path("/proc/net/tcp"), Path("/proc/net/tcp6"))
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _address(value: str) -> IpAddress:
    """An address as the kernel prints it: 32-bit words in host (little-endian) byte order."""
    raw = bytes.fromhex(value)
    words = b"".join(raw[index : index + 4][::-1] for index in range(0, len(raw), 4))
    address = ipaddress.ip_address(words)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _endpoint(value: str) -> tuple[IpAddress, int]:
    address, _, port = value.partition(":")
    return _address(address), int(port, 16)


def _canonical(host: str) -> IpAddress:
    address = ipaddress.ip_address(host.split("%", 1)[0])
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def uid_in_table(lines: Iterable[str], peer: tuple[IpAddress, int], server_port: int) -> int | None:
    """The uid of the socket whose local end is ``peer`` and whose remote port is ``server_port``."""
    for line in lines:
        fields = line.split()
        if len(fields) < 8 or not fields[0].endswith(":"):
            continue  # the header line
        try:
            local = _endpoint(fields[1])
            remote = _endpoint(fields[2])
            uid = int(fields[7])
        except ValueError:
            continue
        if local == peer and remote[1] == server_port:
            return uid
    return None


def loopback_peer_uid(peer_host: str, peer_port: int, server_port: int) -> int | None:
    """The uid of the local process that connected from ``peer_host:peer_port`` to this server's
    ``server_port``; ``None`` when the peer is not on loopback or cannot be found."""
    try:
        address = _canonical(peer_host)
    except ValueError:
        return None
    if not address.is_loopback:
        return None
    for table in TCP_TABLES:
        try:
            with table.open() as lines:
                uid = uid_in_table(lines, (address, peer_port), server_port)
        except OSError:
            continue
        if uid is not None:
            return uid
    logger.info("no socket found for the loopback peer %s:%s", peer_host, peer_port)
    return None
