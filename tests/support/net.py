"""The network: a free port to listen on, and one HTTP request to a server on a real socket."""

import http.client
import socket
from collections.abc import Mapping
from urllib.parse import urlencode, urlsplit


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def http_request(
    base_url: str,
    method: str,
    path: str,
    fields: Mapping[str, str] | None = None,
    timeout: float = 30,
) -> tuple[int, bytes]:
    """One HTTP request on a connection of its own; the status and body (no redirects).

    `fields`, if given, are sent as an application/x-www-form-urlencoded body.
    """
    address = urlsplit(base_url)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=timeout)
    try:
        if fields is None:
            connection.request(method, path)
        else:
            connection.request(
                method,
                path,
                body=urlencode(fields),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()
