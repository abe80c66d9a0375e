"""A visitor of a real server: its own cookies, a TLS context, redirects followed or not."""

import http.cookiejar
import ssl
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import Message


@dataclass
class Answer:
    """One response as the visitor received it (redirects followed, if asked)."""

    status: int
    headers: Message
    body: bytes
    url: str

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def header(self, name: str) -> str:
        """The header's value ("" when absent), several of one name joined by ", "."""
        return ", ".join(self.headers.get_all(name) or [])


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # The 3xx itself is the answer.


class Visitor:
    """A browser's worth of state: cookies kept between requests, as one person's session."""

    def __init__(self, base_url: str, context: ssl.SSLContext | None = None) -> None:
        self.base_url = base_url
        self.cookies = http.cookiejar.CookieJar()
        handlers: list[urllib.request.BaseHandler] = [
            urllib.request.HTTPSHandler(context=context),
            urllib.request.HTTPCookieProcessor(self.cookies),
        ]
        self.following = urllib.request.build_opener(*handlers)
        self.staying = urllib.request.build_opener(*handlers, NoRedirects())

    def get(
        self, path: str, headers: Mapping[str, str] | None = None, follow: bool = True
    ) -> Answer:
        return self.request("GET", path, None, headers or {}, follow)

    def post(
        self, path: str, body: bytes, headers: Mapping[str, str], follow: bool = True
    ) -> Answer:
        return self.request("POST", path, body, headers, follow)

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None,
        headers: Mapping[str, str],
        follow: bool,
    ) -> Answer:
        url = path if "://" in path else self.base_url + path
        request = urllib.request.Request(url, data=body, headers=dict(headers), method=method)
        opener = self.following if follow else self.staying
        try:
            with opener.open(request, timeout=30) as response:
                return Answer(response.status, response.headers, response.read(), response.url)
        except urllib.error.HTTPError as error:  # 4xx, 5xx and unfollowed 3xx: still answers.
            with error:
                return Answer(error.code, error.headers, error.read(), error.url)
