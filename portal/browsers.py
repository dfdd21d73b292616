"""Tell which browser sent a request and whether the portal supports it.

Parsing a User-Agent costs far more than a dictionary lookup and the same few strings arrive all
day, so the parse is cached per string. Whether a parsed browser is supported is decided on every
call instead, so a change to ``settings.SUPPORTED_BROWSERS`` takes effect without clearing the
cache.
"""

import enum
import functools
import logging
import re
from dataclasses import dataclass

import ua_parser
from django.conf import settings
from user_agents.parsers import UserAgent, parse_browser, parse_device, parse_operating_system

logger = logging.getLogger(__name__)

# Longer strings are cut before the cache lookup, so a client cannot fill memory with huge keys.
MAX_USER_AGENT_LENGTH = 512

# Edge became Chromium at 79; an older "Edge" on Windows is EdgeHTML, which the portal refuses.
FIRST_CHROMIUM_EDGE = 79

INTERNET_EXPLORER = "Internet Explorer"

_FAMILIES = {
    "Chrome": "Chrome",
    "Chromium": "Chrome",
    "HeadlessChrome": "Chrome",
    "Chrome Mobile": "Chrome",
    "Chrome Mobile iOS": "Chrome",
    "Chrome Mobile WebView": "Chrome",
    "Edge": "Edge",
    "Edge Mobile": "Edge",
    "Firefox": "Firefox",
    "Firefox Mobile": "Firefox",
    "Firefox iOS": "Firefox",
    "Safari": "Safari",
    "Mobile Safari": "Safari",
    "Mobile Safari UI/WKWebView": "Safari",
    "IE": INTERNET_EXPLORER,
    "IE Mobile": INTERNET_EXPLORER,
    "Other": "",
}

# Apps that embed Trident (Outlook, older Office) report their own name, but render like IE.
_INTERNET_EXPLORER_TOKENS = ("Trident/", "MSIE ")

_OS_NAMES = {"Mac OS X": "macOS", "Chrome OS": "ChromeOS", "Other": ""}

# Browsers freeze these versions in the UA (macOS 10.15.7, ChromeOS 14541.0.0), so showing
# them would tell most people the wrong version.
_FROZEN_OS_VERSIONS = frozenset({"macOS", "ChromeOS"})

_HEALTH_CHECKS = frozenset({"kube-probe", "ELB-HealthChecker", "GoogleHC"})

# "name/version" at the start of the header, the shape every HTTP client and probe uses.
_PRODUCT_TOKEN = re.compile(r"([A-Za-z][\w.-]{0,39})/")


class Support(enum.StrEnum):
    """How the portal treats a browser."""

    SUPPORTED = "supported"
    OUTDATED = "outdated"
    UNSUPPORTED = "unsupported"
    NOT_A_BROWSER = "not_a_browser"


@dataclass(frozen=True)
class Browser:
    """A browser as read from its User-Agent, with the portal's verdict on it."""

    family: str
    version: int | None
    os: str
    device: str
    support: Support

    @property
    def name(self) -> str:
        """Name the browser and its major version, e.g. "Chrome 131"."""
        if not self.family:
            return "Unknown browser"
        if self.version is None or self.support is Support.NOT_A_BROWSER:
            return self.family
        return f"{self.family} {self.version}"

    @property
    def label(self) -> str:
        """Name the browser for logs and lists, e.g. "Chrome 131 on Windows 10"."""
        if self.support is Support.NOT_A_BROWSER or not self.os:
            return self.name
        return f"{self.name} on {self.os}"


@dataclass(frozen=True)
class _Parsed:
    """What the parser says about a User-Agent; everything but the settings-driven verdict."""

    family: str
    version: int | None
    os: str
    device: str
    is_browser: bool


def parse_user_agent(user_agent: str | None) -> Browser:
    """Describe the browser behind a User-Agent header; never raise, whatever the input."""
    if not isinstance(user_agent, str):
        user_agent = ""
    parsed = _parse_cached(user_agent[:MAX_USER_AGENT_LENGTH])
    return Browser(
        family=parsed.family,
        version=parsed.version,
        os=parsed.os,
        device=parsed.device,
        support=_support(parsed),
    )


def minimum_versions() -> dict[str, int]:
    """Return the oldest major version of each checked family that gets no banner."""
    return dict(settings.SUPPORTED_BROWSERS)


class _Agent(UserAgent):
    """user_agents' bot and device rules, fed by ua-parser's Rust-backed resolver.

    ``user_agents.parse`` goes through ua-parser's legacy pure-Python API, which tries every
    regex in turn. That is orders of magnitude slower, worst on junk strings, so a client sending
    a fresh User-Agent with each request could make the middleware burn CPU. Both read the same
    regexes and return the same fields.
    """

    def __init__(self, user_agent: str) -> None:
        # No super().__init__(): it would run the slow legacy parse this class exists to avoid.
        result = ua_parser.parse(user_agent).with_defaults()
        agent, os, device = result.user_agent, result.os, result.device
        self.ua_string = user_agent
        self.browser = parse_browser(agent.family, agent.major, agent.minor, agent.patch)
        self.os = parse_operating_system(os.family, os.major, os.minor, os.patch, os.patch_minor)
        self.device = parse_device(device.family, device.brand, device.model)


@functools.lru_cache(maxsize=4096)
def _parse_cached(user_agent: str) -> _Parsed:
    """Parse one User-Agent, already cut to MAX_USER_AGENT_LENGTH."""
    if not user_agent.strip():
        return _Parsed(family="", version=None, os="", device="other", is_browser=False)
    try:
        agent = _Agent(user_agent)
    except Exception:
        # Third-party code fed client input: a parser bug must not become a 500.
        logger.warning("Could not parse User-Agent %r", user_agent[:100], exc_info=True)
        return _Parsed("", None, "", "other", is_browser=_looks_like_browser(user_agent))
    if agent.is_bot or not _looks_like_browser(user_agent):
        return _parse_client(agent, user_agent)
    return _parse_browser(agent, user_agent)


def _looks_like_browser(user_agent: str) -> bool:
    """Tell browsers from other clients: every graphical browser still claims to be Mozilla."""
    return "Mozilla/" in user_agent


def _parse_browser(agent, user_agent: str) -> _Parsed:
    """Describe a browser, naming the four checked families the same on every platform."""
    family = _FAMILIES.get(agent.browser.family, agent.browser.family)
    version = _major(agent.browser.version)
    if family != INTERNET_EXPLORER and any(t in user_agent for t in _INTERNET_EXPLORER_TOKENS):
        # The embedding app's version says nothing about the Trident inside it.
        family, version = INTERNET_EXPLORER, None
    return _Parsed(family, version, _os_name(agent.os), _device(agent), is_browser=True)


def _parse_client(agent, user_agent: str) -> _Parsed:
    """Describe a bot, health check or HTTP library."""
    name = _client_name(agent, user_agent)
    device = "bot" if agent.is_bot or name in _HEALTH_CHECKS else "other"
    version = _major(agent.browser.version)
    return _Parsed(name, version, _os_name(agent.os), device, is_browser=False)


def _client_name(agent, user_agent: str) -> str:
    """Name a client by the parser's family, else by the product token it starts with."""
    if agent.browser.family != "Other":
        return agent.browser.family
    match = _PRODUCT_TOKEN.match(user_agent)
    if match is None or match.group(1) == "Mozilla":
        return ""
    return match.group(1)


def _major(version: tuple) -> int | None:
    """Return the major version, or None when the parser found none."""
    if version and isinstance(version[0], int):
        return version[0]
    return None


def _os_name(os) -> str:
    """Name the operating system, with its version when the UA carries a real one."""
    name = _OS_NAMES.get(os.family, os.family)
    if not name or not os.version_string or name in _FROZEN_OS_VERSIONS:
        return name
    return f"{name} {os.version_string}"


def _device(agent) -> str:
    """Sort a browser's device into desktop, mobile, tablet or other."""
    # user_agents misses Firefox on Android tablets; ua-parser still names the device.
    if agent.is_tablet or agent.device.family == "Generic Tablet":
        return "tablet"
    if agent.is_mobile:
        return "mobile"
    if agent.is_pc:
        return "desktop"
    return "other"


def _support(parsed: _Parsed) -> Support:
    """Judge a parsed User-Agent against the configured minimum versions."""
    if not parsed.is_browser:
        return Support.NOT_A_BROWSER
    if parsed.family == INTERNET_EXPLORER or _is_edgehtml(parsed):
        return Support.UNSUPPORTED
    minimum = minimum_versions().get(parsed.family)
    if minimum is not None and parsed.version is not None and parsed.version < minimum:
        return Support.OUTDATED
    return Support.SUPPORTED


def _is_edgehtml(parsed: _Parsed) -> bool:
    """Tell legacy EdgeHTML Edge from Chromium Edge."""
    # Edge for iOS and Android never used EdgeHTML: its versions before 79 are just old.
    return (
        parsed.family == "Edge"
        and parsed.version is not None
        and parsed.version < FIRST_CHROMIUM_EDGE
        and not parsed.os.startswith(("iOS", "Android"))
    )
