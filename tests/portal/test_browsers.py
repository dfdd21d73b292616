"""The browser classifier, fed real User-Agent strings as browsers, bots and tools send them."""

import logging

import pytest
import user_agents

from portal import browsers
from portal.browsers import Browser, Support, minimum_versions, parse_user_agent

CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
CHROME_MACOS = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
CHROME_LINUX = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
CHROME_CHROMEOS = (
    "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)
CHROME_ANDROID_TABLET = (
    "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
CHROME_ANDROID_WEBVIEW = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP2A.240805.005; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/131.0.6778.81 Mobile Safari/537.36"
)
CHROME_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1"
)
CHROMIUM_LINUX = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chromium/131.0.0.0 Chrome/131.0.0.0 Safari/537.36"
)
HEADLESS_CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/131.0.0.0 Safari/537.36"
)
EDGE_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0"
)
EDGE_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 EdgiOS/131.2903.68 Mobile/15E148 Safari/605.1.15"
)
EDGE_ANDROID = (
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36 EdgA/131.0.0.0"
)
FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
FIREFOX_UBUNTU = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
FIREFOX_ESR_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:115.0) Gecko/20100101 Firefox/115.0"
)
FIREFOX_ANDROID = "Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0"
FIREFOX_ANDROID_TABLET = "Mozilla/5.0 (Android 14; Tablet; rv:133.0) Gecko/133.0 Firefox/133.0"
FIREFOX_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) FxiOS/133.0 Mobile/15E148 Safari/605.1.15"
)
SAFARI_MACOS = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.6 Safari/605.1.15"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
SAFARI_IPAD = (
    "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Mobile/15E148 Safari/604.1"
)
WKWEBVIEW_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148"
)
SAMSUNG_INTERNET = (
    "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36"
)
OPERA_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Safari/537.36 OPR/115.0.0.0"
)

CHROME_109_WINDOWS_7 = (
    "Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/109.0.0.0 Safari/537.36"
)
EDGE_109_WINDOWS_7 = (
    "Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/109.0.0.0 Safari/537.36 Edg/109.0.1518.78"
)
FIREFOX_78 = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:78.0) Gecko/20100101 Firefox/78.0"
SAFARI_13_MACOS = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_6) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/13.1.2 Safari/605.1.15"
)
SAFARI_13_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 13_7 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/13.1.2 Mobile/15E148 Safari/604.1"
)
EDGE_42_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 12_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/12.0 EdgiOS/42.10.3 Mobile/15E148 Safari/605.1.15"
)
EDGE_42_ANDROID = (
    "Mozilla/5.0 (Linux; Android 8.1.0; Pixel Build/OPM4.171019.021.D1) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/65.0.3325.109 Mobile Safari/537.36 EdgA/42.0.0.2057"
)

IE_11 = "Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko"
IE_11_WINDOWS_7 = "Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko"
IE_11_COMPATIBILITY_VIEW = (
    "Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 10.0; WOW64; Trident/7.0; .NET4.0C; .NET4.0E)"
)
IE_10 = "Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.1; Trident/6.0)"
IE_9 = "Mozilla/5.0 (compatible; MSIE 9.0; Windows NT 6.1; Trident/5.0)"
IE_MOBILE_10 = (
    "Mozilla/5.0 (compatible; MSIE 10.0; Windows Phone 8.0; Trident/6.0; IEMobile/10.0; ARM; "
    "Touch; NOKIA; Lumia 920)"
)
IE_MOBILE_11 = (
    "Mozilla/5.0 (Mobile; Windows Phone 8.1; Android 4.0; ARM; Trident/7.0; Touch; rv:11.0; "
    "IEMobile/11.0; NOKIA; Lumia 635) like iPhone OS 7_0_3 Mac OS X AppleWebKit/537 "
    "(KHTML, like Gecko) Mobile Safari/537"
)
OUTLOOK_2016_TRIDENT = (
    "Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 10.0; WOW64; Trident/7.0; .NET4.0C; "
    ".NET4.0E; Microsoft Outlook 16.0.4266; ms-office; MSOffice 16)"
)
EDGE_18 = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/70.0.3538.102 Safari/537.36 Edge/18.19582"
)
EDGE_15 = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/52.0.2743.116 Safari/537.36 Edge/15.15063"
)
EDGE_15_WINDOWS_PHONE = (
    "Mozilla/5.0 (Windows Phone 10.0; Android 6.0.1; Microsoft; Lumia 950) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/52.0.2743.116 Mobile Safari/537.36 Edge/15.15063"
)

GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
GOOGLEBOT_SMARTPHONE = (
    "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/131.0.6778.69 Mobile Safari/537.36 "
    "(compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
)
BINGBOT = "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"


@pytest.mark.parametrize(
    ("user_agent", "label", "device"),
    [
        pytest.param(CHROME_WINDOWS, "Chrome 131 on Windows 10", "desktop", id="chrome-windows"),
        pytest.param(CHROME_MACOS, "Chrome 131 on macOS", "desktop", id="chrome-macos"),
        pytest.param(CHROME_LINUX, "Chrome 131 on Linux", "desktop", id="chrome-linux"),
        pytest.param(CHROME_CHROMEOS, "Chrome 131 on ChromeOS", "desktop", id="chrome-chromeos"),
        pytest.param(CHROME_ANDROID, "Chrome 131 on Android 10", "mobile", id="chrome-android"),
        pytest.param(
            CHROME_ANDROID_TABLET, "Chrome 131 on Android 14", "tablet", id="chrome-android-tablet"
        ),
        pytest.param(
            CHROME_ANDROID_WEBVIEW, "Chrome 131 on Android 14", "mobile", id="chrome-webview"
        ),
        pytest.param(CHROME_IPHONE, "Chrome 131 on iOS 17.4", "mobile", id="chrome-ios-crios"),
        pytest.param(CHROMIUM_LINUX, "Chrome 131 on Linux", "desktop", id="chromium"),
        pytest.param(HEADLESS_CHROME, "Chrome 131 on Linux", "desktop", id="headless-chrome"),
        pytest.param(EDGE_WINDOWS, "Edge 131 on Windows 10", "desktop", id="edge-windows"),
        pytest.param(EDGE_IPHONE, "Edge 131 on iOS 17.4", "mobile", id="edge-ios-edgios"),
        pytest.param(EDGE_ANDROID, "Edge 131 on Android 10", "mobile", id="edge-android-edga"),
        pytest.param(FIREFOX_WINDOWS, "Firefox 133 on Windows 10", "desktop", id="firefox-win"),
        pytest.param(FIREFOX_UBUNTU, "Firefox 133 on Ubuntu", "desktop", id="firefox-ubuntu"),
        pytest.param(
            FIREFOX_ESR_WINDOWS, "Firefox 115 on Windows 10", "desktop", id="firefox-esr-115"
        ),
        pytest.param(FIREFOX_ANDROID, "Firefox 133 on Android 14", "mobile", id="firefox-android"),
        pytest.param(
            FIREFOX_ANDROID_TABLET, "Firefox 133 on Android 14", "tablet", id="firefox-tablet"
        ),
        pytest.param(FIREFOX_IPHONE, "Firefox 133 on iOS 17.4", "mobile", id="firefox-ios-fxios"),
        pytest.param(SAFARI_MACOS, "Safari 17 on macOS", "desktop", id="safari-macos"),
        pytest.param(SAFARI_IPHONE, "Safari 17 on iOS 17.4", "mobile", id="safari-iphone"),
        pytest.param(SAFARI_IPAD, "Safari 17 on iOS 17.4", "tablet", id="safari-ipad"),
        pytest.param(SAMSUNG_INTERNET, "Samsung Internet 26 on Android 14", "mobile", id="samsung"),
        pytest.param(OPERA_WINDOWS, "Opera 115 on Windows 10", "desktop", id="opera"),
    ],
)
def test_it_supports_current_browsers(user_agent, label, device):
    browser = parse_user_agent(user_agent)

    assert browser.support is Support.SUPPORTED
    assert browser.label == label
    assert browser.device == device


@pytest.mark.parametrize(
    ("user_agent", "family"),
    [
        pytest.param(CHROME_ANDROID, "Chrome", id="chrome-mobile"),
        pytest.param(CHROME_IPHONE, "Chrome", id="chrome-mobile-ios"),
        pytest.param(CHROME_ANDROID_WEBVIEW, "Chrome", id="chrome-mobile-webview"),
        pytest.param(CHROMIUM_LINUX, "Chrome", id="chromium"),
        pytest.param(HEADLESS_CHROME, "Chrome", id="headless-chrome"),
        pytest.param(EDGE_IPHONE, "Edge", id="edge-mobile-ios"),
        pytest.param(EDGE_ANDROID, "Edge", id="edge-mobile-android"),
        pytest.param(FIREFOX_ANDROID, "Firefox", id="firefox-mobile"),
        pytest.param(FIREFOX_IPHONE, "Firefox", id="firefox-ios"),
        pytest.param(SAFARI_IPHONE, "Safari", id="mobile-safari"),
        pytest.param(WKWEBVIEW_IPHONE, "Safari", id="wkwebview"),
        pytest.param(IE_MOBILE_10, "Internet Explorer", id="ie-mobile"),
    ],
)
def test_it_names_each_checked_family_the_same_on_every_platform(user_agent, family):
    assert parse_user_agent(user_agent).family == family


def test_it_gives_an_ios_web_view_without_a_version_no_banner():
    browser = parse_user_agent(WKWEBVIEW_IPHONE)

    assert browser.support is Support.SUPPORTED
    assert browser.version is None
    assert browser.label == "Safari on iOS 17.4"


@pytest.mark.parametrize(
    ("user_agent", "label"),
    [
        pytest.param(CHROME_109_WINDOWS_7, "Chrome 109 on Windows 7", id="chrome-109-windows-7"),
        pytest.param(EDGE_109_WINDOWS_7, "Edge 109 on Windows 7", id="edge-109-windows-7"),
        pytest.param(FIREFOX_78, "Firefox 78 on Windows 10", id="firefox-78"),
        pytest.param(SAFARI_13_MACOS, "Safari 13 on macOS", id="safari-13-macos"),
        pytest.param(SAFARI_13_IPHONE, "Safari 13 on iOS 13.7", id="safari-13-iphone"),
    ],
)
def test_it_flags_browsers_older_than_the_minimum_as_outdated(user_agent, label):
    browser = parse_user_agent(user_agent)

    assert browser.support is Support.OUTDATED
    assert browser.label == label


@pytest.mark.parametrize(
    "user_agent",
    [
        pytest.param(EDGE_42_IPHONE, id="edgios-42"),
        pytest.param(EDGE_42_ANDROID, id="edga-42"),
    ],
)
def test_it_treats_pre_79_edge_on_ios_and_android_as_outdated_not_edgehtml(user_agent):
    assert parse_user_agent(user_agent).support is Support.OUTDATED


@pytest.mark.parametrize(
    ("user_agent", "version"),
    [
        pytest.param(IE_11, 11, id="ie-11"),
        pytest.param(IE_11_WINDOWS_7, 11, id="ie-11-windows-7"),
        pytest.param(IE_11_COMPATIBILITY_VIEW, 11, id="ie-11-compatibility-view"),
        pytest.param(IE_10, 10, id="ie-10"),
        pytest.param(IE_9, 9, id="ie-9"),
        pytest.param(IE_MOBILE_10, 10, id="ie-mobile-10"),
        pytest.param(IE_MOBILE_11, 11, id="ie-mobile-11"),
        pytest.param(OUTLOOK_2016_TRIDENT, None, id="outlook-embedding-trident"),
    ],
)
def test_it_refuses_internet_explorer(user_agent, version):
    browser = parse_user_agent(user_agent)

    assert browser.support is Support.UNSUPPORTED
    assert browser.family == "Internet Explorer"
    assert browser.version == version


def test_it_refuses_internet_explorer_11():
    browser = parse_user_agent(IE_11)

    assert browser.support is Support.UNSUPPORTED
    assert browser.label == "Internet Explorer 11 on Windows 10"


@pytest.mark.parametrize(
    ("user_agent", "label"),
    [
        pytest.param(EDGE_18, "Edge 18 on Windows 10", id="edge-18"),
        pytest.param(EDGE_15, "Edge 15 on Windows 10", id="edge-15"),
        pytest.param(EDGE_15_WINDOWS_PHONE, "Edge 15 on Windows Phone 10.0", id="edge-15-phone"),
    ],
)
def test_it_refuses_legacy_edgehtml_edge(user_agent, label):
    browser = parse_user_agent(user_agent)

    assert browser.support is Support.UNSUPPORTED
    assert browser.label == label


@pytest.mark.parametrize(
    ("user_agent", "label", "device"),
    [
        pytest.param(GOOGLEBOT, "Googlebot", "bot", id="googlebot"),
        pytest.param(GOOGLEBOT_SMARTPHONE, "Googlebot", "bot", id="googlebot-smartphone"),
        pytest.param(BINGBOT, "bingbot", "bot", id="bingbot"),
        pytest.param("kube-probe/1.29", "kube-probe", "bot", id="kube-probe"),
        pytest.param("ELB-HealthChecker/2.0", "ELB-HealthChecker", "bot", id="elb"),
        pytest.param("GoogleHC/1.0", "GoogleHC", "bot", id="google-health-check"),
        pytest.param("curl/8.5.0", "curl", "other", id="curl"),
        pytest.param("Wget/1.21.4", "Wget", "other", id="wget"),
        pytest.param("python-requests/2.32.3", "Python Requests", "other", id="python-requests"),
        pytest.param("python-httpx/0.28.1", "python-httpx", "other", id="python-httpx"),
        pytest.param("Go-http-client/1.1", "Go-http-client", "other", id="go"),
        pytest.param("okhttp/4.12.0", "okhttp", "other", id="okhttp"),
        pytest.param("PostmanRuntime/7.42.0", "PostmanRuntime", "other", id="postman"),
    ],
)
def test_it_passes_bots_probes_and_http_clients_as_not_browsers(user_agent, label, device):
    browser = parse_user_agent(user_agent)

    assert browser.support is Support.NOT_A_BROWSER
    assert browser.label == label
    assert browser.device == device


def test_it_passes_java_as_not_a_browser():
    # ua-parser files the bare Java runtime under spiders, so it lands among the bots.
    browser = parse_user_agent("Java/17.0.9")

    assert browser.support is Support.NOT_A_BROWSER
    assert browser.family == "Java"


@pytest.mark.parametrize(
    "user_agent",
    [
        pytest.param("", id="empty"),
        pytest.param("   ", id="blank"),
        pytest.param(None, id="missing-header"),
        pytest.param("x" * 10_240, id="10kb-garbage"),
        pytest.param("Ünïcödé ☃ 日本語 \x00\x01\x7f", id="non-ascii-garbage"),
        pytest.param("\udcff\ud800 lone surrogates", id="lone-surrogates"),
        pytest.param("(((((((((((((((((((((((((((((((((((((((", id="unbalanced-parens"),
    ],
)
def test_it_never_raises_on_garbage(user_agent):
    browser = parse_user_agent(user_agent)

    assert browser.support is Support.NOT_A_BROWSER
    assert browser.family == ""
    assert browser.label == "Unknown browser"


def test_it_lets_an_unrecognised_mozilla_browser_through_as_supported():
    # Made up on purpose: a browser the parser has never heard of.
    browser = parse_user_agent(
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Novel/1.0"
    )

    assert browser.support is Support.SUPPORTED
    assert browser.label == "Unknown browser on Linux"


def test_it_survives_a_parser_crash(monkeypatch, caplog):
    def explode(user_agent):
        raise ValueError("parser bug")

    monkeypatch.setattr(browsers, "_Agent", explode)
    user_agent = f"{CHROME_WINDOWS} survives-a-parser-crash"

    with caplog.at_level(logging.WARNING, logger="portal.browsers"):
        browser = parse_user_agent(user_agent)

    assert browser == Browser("", None, "", "other", Support.SUPPORTED)
    assert "Could not parse User-Agent" in caplog.text


def test_minimum_versions_follow_settings(settings):
    settings.SUPPORTED_BROWSERS = {"Chrome": 132, "Firefox": 128}

    assert minimum_versions() == {"Chrome": 132, "Firefox": 128}


def test_it_judges_a_cached_browser_against_the_current_settings(settings):
    assert parse_user_agent(CHROME_WINDOWS).support is Support.SUPPORTED

    settings.SUPPORTED_BROWSERS = {**settings.SUPPORTED_BROWSERS, "Chrome": 132}

    assert parse_user_agent(CHROME_WINDOWS).support is Support.OUTDATED


def test_it_stops_checking_a_family_removed_from_settings(settings):
    settings.SUPPORTED_BROWSERS = {"Chrome": 120, "Edge": 120, "Firefox": 115}

    assert parse_user_agent(SAFARI_13_MACOS).support is Support.SUPPORTED


def test_it_still_refuses_internet_explorer_whatever_the_settings(settings):
    settings.SUPPORTED_BROWSERS = {}

    assert parse_user_agent(IE_11).support is Support.UNSUPPORTED
    assert parse_user_agent(EDGE_18).support is Support.UNSUPPORTED


def test_it_parses_each_user_agent_only_once():
    parse_user_agent(SAFARI_IPAD)
    hits = browsers._parse_cached.cache_info().hits

    first = parse_user_agent(SAFARI_IPAD)
    second = parse_user_agent(SAFARI_IPAD)

    assert browsers._parse_cached.cache_info().hits == hits + 2
    assert first == second
    assert browsers._parse_cached(SAFARI_IPAD) is browsers._parse_cached(SAFARI_IPAD)


def test_it_truncates_long_user_agents_before_the_cache_lookup():
    long_user_agent = FIREFOX_WINDOWS + " " + "y" * 10_000
    parse_user_agent(long_user_agent)
    info = browsers._parse_cached.cache_info()

    parse_user_agent(long_user_agent[: browsers.MAX_USER_AGENT_LENGTH])

    after = browsers._parse_cached.cache_info()
    assert after.hits == info.hits + 1
    assert after.currsize == info.currsize


def test_the_cache_is_bounded():
    assert browsers._parse_cached.cache_info().maxsize == 4096


@pytest.mark.parametrize(
    "user_agent",
    [
        CHROME_WINDOWS,
        CHROME_ANDROID_TABLET,
        CHROME_IPHONE,
        EDGE_ANDROID,
        FIREFOX_ANDROID_TABLET,
        SAFARI_IPAD,
        WKWEBVIEW_IPHONE,
        SAMSUNG_INTERNET,
        IE_MOBILE_11,
        EDGE_15_WINDOWS_PHONE,
        GOOGLEBOT_SMARTPHONE,
        "Java/17.0.9",
        "",
        "x" * 512,
    ],
)
def test_the_rust_backed_parse_reads_the_same_as_user_agents_parse(user_agent):
    fast, slow = browsers._Agent(user_agent), user_agents.parse(user_agent)

    assert (fast.browser, fast.os, fast.device) == (slow.browser, slow.os, slow.device)
    assert (fast.is_bot, fast.is_mobile, fast.is_tablet, fast.is_pc) == (
        slow.is_bot,
        slow.is_mobile,
        slow.is_tablet,
        slow.is_pc,
    )
