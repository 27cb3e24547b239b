"""Which addresses the watcher may contact, and connections pinned to the address that was checked.

A policy URL comes from a record that anyone can propose in a pull request, and the watcher runs on a
CI machine: a URL (or a redirect) pointing at 127.0.0.1, a cloud metadata address (169.254.169.254) or
the office network must not be fetched. Every address a host name resolves to is checked, and the socket
is then connected to that same checked address, so DNS cannot answer differently between the check and
the connection (DNS rebinding). TLS still verifies the certificate against the host name.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass, field

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util.timeout import _DEFAULT_TIMEOUT

_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class BlockedAddress(Exception):
    """The host resolves to an address the watcher must not contact."""


@dataclass(frozen=True)
class AddressPolicy:
    allow_private: bool = False
    # (ip, port) pairs reachable even though private: lets tests put one local server "on the internet"
    # while checking that everything else local is still refused. Not exposed on the command line.
    exempt: frozenset = field(default_factory=frozenset)

    def refusal(self, ip: str, port: int | None = None) -> str | None:
        """Why `ip` may not be contacted, or None."""
        if self.allow_private or (ip, port) in self.exempt:
            return None
        return non_public_reason(ip)

    def resolve(self, host: str, port: int) -> list[tuple]:
        """getaddrinfo results for host:port, all checked; raises BlockedAddress or socket.gaierror."""
        infos = socket.getaddrinfo(host.strip("[]"), port, 0, socket.SOCK_STREAM)
        for info in infos:
            ip = info[4][0]
            reason = self.refusal(ip, port)
            if reason:
                raise BlockedAddress(f"{host} resolves to {ip} ({reason}); refused without --allow-private")
        return infos


def non_public_reason(ip_text: str) -> str | None:
    """Why an address is not a public internet address (IPv4 or IPv6), or None when it is."""
    ip = ipaddress.ip_address(ip_text.split("%", 1)[0])  # drop an IPv6 zone id
    if ip.version == 6:
        # Addresses that carry an IPv4 address inside reach that IPv4 host: judge the inner one.
        inner = ip.ipv4_mapped or (ip.sixtofour) or (ip.teredo[1] if ip.teredo else None)
        if inner is None and ip in _NAT64:
            inner = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if inner is not None:
            reason = non_public_reason(str(inner))
            return f"embeds {inner}: {reason}" if reason else None
    for attr, reason in (("is_loopback", "loopback"), ("is_unspecified", "unspecified"),
                         ("is_link_local", "link-local"), ("is_multicast", "multicast"),
                         ("is_private", "private"), ("is_reserved", "reserved")):
        if getattr(ip, attr):
            return reason
    if not ip.is_global:
        return "not globally routable"
    return None


class _GuardedMixin:
    """urllib3 connection that resolves through an AddressPolicy and connects to the checked address."""

    policy: AddressPolicy = AddressPolicy()

    def _new_conn(self) -> socket.socket:
        try:
            infos = self.policy.resolve(self._dns_host, self.port)
        except socket.gaierror as e:
            raise NameResolutionError(self.host, self, e) from e
        error: OSError | None = None
        for family, socktype, proto, _, address in infos:
            sock = socket.socket(family, socktype, proto)
            try:
                for level, option, value in self.socket_options or ():
                    sock.setsockopt(level, option, value)
                if self.timeout is not _DEFAULT_TIMEOUT:
                    sock.settimeout(self.timeout)
                if self.source_address:
                    sock.bind(self.source_address)
                sock.connect(address)
                return sock
            except TimeoutError as e:
                sock.close()
                raise ConnectTimeoutError(self, f"Connection to {self.host} timed out") from e
            except OSError as e:
                sock.close()
                error = e
        raise NewConnectionError(self, f"Failed to establish a new connection: {error}")


def pool_classes(policy: AddressPolicy) -> dict:
    """Pool classes for a urllib3 PoolManager whose connections obey `policy`."""
    conn = type("GuardedHTTPConnection", (_GuardedMixin, HTTPConnection), {"policy": policy})
    tls = type("GuardedHTTPSConnection", (_GuardedMixin, HTTPSConnection), {"policy": policy})
    return {
        "http": type("GuardedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": conn}),
        "https": type("GuardedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": tls}),
    }
