"""Which local user opened a loopback TCP connection (Linux), as identd-style local authentication does.

The kernel knows the uid that created every TCP socket of the network namespace.
A server that accepted a connection from ``peer`` asks for the client's own
socket (source ``peer``, destination the server's address and port): first by
an exact ``sock_diag`` netlink query (what ``ss`` uses; no privilege needed, a
lookup rather than a listing), else by scanning ``/proc/net/tcp`` and
``/proc/net/tcp6`` (which costs milliseconds on a busy machine). Only loopback
peers are looked up; elsewhere (another host, another network namespace, a
system without either) the answer is ``None``: unknown.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import struct
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


# linux/netlink.h, linux/sock_diag.h, linux/inet_diag.h
_NETLINK_SOCK_DIAG = 4
_SOCK_DIAG_BY_FAMILY = 20
_NLM_F_REQUEST = 1
_NLMSG_ERROR = 2
_NO_COOKIE = 0xFFFFFFFF
_HEADER = struct.Struct("=IHHII")  # nlmsghdr: length, type, flags, sequence, port id
_REQUEST = struct.Struct("=BBBxI")  # inet_diag_req_v2: family, protocol, extensions, states
_SOCKET_ID = struct.Struct(">HH16s16s")  # inet_diag_sockid: ports and addresses in network order …
_SOCKET_ID_TAIL = struct.Struct("=III")  # … then the interface and the cookie in host order
_UID_OFFSET = _HEADER.size + 4 + 48 + 12  # inet_diag_msg: 4 bytes, the socket id, expires, queues, uid


def _packed(address: IpAddress) -> bytes:
    return address.packed.ljust(16, b"\0")


def uid_by_netlink(peer: tuple[IpAddress, int], server: tuple[IpAddress, int]) -> int | None:
    """The uid of the TCP socket from ``peer`` to ``server``, by one sock_diag lookup."""
    family = socket.AF_INET if peer[0].version == 4 else socket.AF_INET6
    request = (
        _REQUEST.pack(family, socket.IPPROTO_TCP, 0, 0xFFFFFFFF)
        + _SOCKET_ID.pack(peer[1], server[1], _packed(peer[0]), _packed(server[0]))
        + _SOCKET_ID_TAIL.pack(0, _NO_COOKIE, _NO_COOKIE)
    )
    message = _HEADER.pack(_HEADER.size + len(request), _SOCK_DIAG_BY_FAMILY, _NLM_F_REQUEST, 1, 0) + request
    try:
        with socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, _NETLINK_SOCK_DIAG) as diag:
            diag.settimeout(1.0)
            diag.sendto(message, (0, 0))
            reply = diag.recv(8192)
    except (OSError, AttributeError):  # no netlink (not Linux), or refused
        return None
    if len(reply) < _UID_OFFSET + 4:
        return None
    _, kind, _, _, _ = _HEADER.unpack_from(reply)
    if kind != _SOCK_DIAG_BY_FAMILY:
        return None  # an error: no such socket
    (uid,) = struct.unpack_from("=I", reply, _UID_OFFSET)
    return int(uid)


def loopback_peer_uid(peer_host: str, peer_port: int, server_port: int, server_host: str | None = None) -> int | None:
    """The uid of the local process that connected from ``peer_host:peer_port`` to this server's
    ``server_host:server_port``; ``None`` when the peer is not on loopback or cannot be found."""
    try:
        address = _canonical(peer_host)
        server_address = _canonical(server_host) if server_host else None
    except ValueError:
        return None
    if not address.is_loopback:
        return None
    if server_address is not None and server_address.version == address.version:
        uid = uid_by_netlink((address, peer_port), (server_address, server_port))
        if uid is not None:
            return uid
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
