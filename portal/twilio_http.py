"""A Twilio HTTP client that talks to another base URL (a local Twilio-compatible server).

The official client hard-codes https://<product>.twilio.com; this rewrites each request to
<base>/<product>/<path> and otherwise behaves exactly like the real client.
"""

import urllib.parse

from twilio.http.http_client import TwilioHttpClient


class LocalTwilioHttpClient(TwilioHttpClient):
    def __init__(self, base: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.base = base.rstrip("/")

    def request(self, method, url, *args, **kwargs):
        parts = urllib.parse.urlsplit(url)
        product = parts.netloc.split(".")[0]
        rewritten = f"{self.base}/{product}{parts.path}"
        if parts.query:
            rewritten += f"?{parts.query}"
        return super().request(method, rewritten, *args, **kwargs)
