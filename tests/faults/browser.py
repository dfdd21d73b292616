"""A small browser for the fault suite: cookies, CSRF tokens from forms, redirects followed.

It speaks plain HTTP/1.1 (http.client) to one app server at a time; its cookies belong to the
host, 127.0.0.1, as a real browser's do, so the same session reaches every app server of the
stack. The stack serves plain HTTP with SECURE_COOKIES=0: no cookie is Secure-only. Each
browser says it comes from its own client address (X-Forwarded-For, trusted because the stack
sets TRUSTED_PROXY_COUNT=1) and that it is a current Chrome.
"""

import html
import http.client
import http.cookies
import json
import re
import urllib.parse
from dataclasses import dataclass, field
from email.message import Message

USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
TIMEOUT = 15  # seconds for an app server to answer one request
_CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_TAGS = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"\s+")


@dataclass
class Page:
    status: int
    url: str  # the path it was answered for, after redirects
    headers: Message
    body: str
    redirects: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """What a person reads: the body without its tags, entities decoded, spaces joined."""
        return _SPACES.sub(" ", html.unescape(_TAGS.sub(" ", self.body)))

    def says(self, words: str) -> bool:
        return words in self.text

    def json(self):
        return json.loads(self.body)

    def csrf_token(self) -> str:
        match = _CSRF_FIELD.search(self.body)
        assert match, f"no form with a CSRF token on {self.url} ({self.status})"
        return match[1]

    def attribute(self, name: str) -> str | None:
        """The value of the first `name="…"` attribute on the page."""
        match = re.search(rf'{re.escape(name)}="([^"]*)"', self.body)
        return html.unescape(match[1]) if match else None

    def __repr__(self) -> str:
        return f"<Page {self.status} {self.url}: {self.text[:300]!r}>"


class Browser:
    def __init__(self, base_url: str, *, ip: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.ip = ip
        self.cookies: dict[str, str] = {}

    def on(self, server) -> "Browser":
        """The same browser (cookies and all) talking to another app server."""
        other = Browser(server.url if hasattr(server, "url") else server, ip=self.ip)
        other.cookies = self.cookies  # shared, as one browser's are
        return other

    # Requests ---------------------------------------------------------------------------------

    def get(self, path: str, *, follow: bool = True, timeout: float = TIMEOUT) -> Page:
        return self.request("GET", path, follow=follow, timeout=timeout)

    def post(
        self,
        path: str,
        data: dict[str, str],
        *,
        token: str | None = None,
        follow: bool = True,
        headers: dict[str, str] | None = None,
        timeout: float = TIMEOUT,
    ) -> Page:
        """POST the form; its CSRF token is `token` (from a page's form), else the cookie's."""
        token = token or self.cookies.get("csrftoken", "")
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **data})
        return self.request(
            "POST",
            path,
            body=body,
            headers={"Content-Type": "application/x-www-form-urlencoded", **(headers or {})},
            follow=follow,
            timeout=timeout,
        )

    def post_json(self, path: str, data: dict, *, token: str, timeout: float = TIMEOUT) -> Page:
        """POST JSON as the pages' scripts do, the CSRF token in X-CSRFToken."""
        return self.request(
            "POST",
            path,
            body=json.dumps(data),
            headers={"Content-Type": "application/json", "X-CSRFToken": token},
            follow=False,
            timeout=timeout,
        )

    def submit(self, path: str, data: dict[str, str], **options) -> Page:
        """Open the page with the form, then send it with the token the form carries."""
        form = self.get(path)
        assert form.status == 200, form
        return self.post(form.url, data, token=form.csrf_token(), **options)

    def request(
        self,
        method: str,
        path: str,
        *,
        body: str | None = None,
        headers: dict[str, str] | None = None,
        follow: bool = True,
        timeout: float = TIMEOUT,
    ) -> Page:
        redirects: list[str] = []
        while True:
            page = self._once(method, path, body, headers or {}, timeout)
            location = page.headers.get("Location")
            if not (follow and page.status in {301, 302, 303} and location):
                page.redirects = redirects
                return page
            redirects.append(path)
            assert len(redirects) < 10, f"too many redirects: {redirects}"
            target = urllib.parse.urlsplit(urllib.parse.urljoin(path, location))
            path = target.path + (f"?{target.query}" if target.query else "")
            method, body, headers = "GET", None, {}

    def _once(self, method, path, body, headers, timeout) -> Page:
        host, port = urllib.parse.urlsplit(self.base_url).netloc.split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=timeout)
        try:
            connection.request(
                method,
                path,
                body=body,
                headers={
                    "Host": f"{host}:{port}",
                    "User-Agent": USER_AGENT,
                    "Accept": "text/html,application/json;q=0.9,*/*;q=0.8",
                    "Accept-Language": "en",
                    "X-Forwarded-For": self.ip,
                    **({"Cookie": self._cookie_header()} if self.cookies else {}),
                    **headers,
                },
            )
            response = connection.getresponse()
            content = response.read().decode("utf-8", errors="replace")
        finally:
            connection.close()
        self._keep_cookies(response.headers)
        return Page(response.status, path, response.headers, content)

    # Cookies ----------------------------------------------------------------------------------

    def _cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def _keep_cookies(self, headers: Message) -> None:
        for header in headers.get_all("Set-Cookie") or []:
            jar = http.cookies.SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                gone = morsel["max-age"] == "0" or "1970" in morsel["expires"]
                if gone or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
