"""Pages that answer 200 but are not the document: bot challenges, login walls, the home page.

Recording such a page as a new version would announce that a policy vanished; these checks turn them into
failures instead. They look for what such pages have in common, not for particular sites:
- a challenge page is small and carries the marks of a bot wall (its title, or the scripts and form ids
  of Cloudflare, Akamai, DataDome, PerimeterX, Imperva/Incapsula, AWS WAF, Sucuri, reCAPTCHA/hCaptcha).
  A long page is never a challenge, and a captcha widget alone marks one only on a page with next to no
  text: real help pages embed captchas in contact forms;
- a login page is where a redirect ended on a login-like path or host, or a page with a password field
  and next to no text (a site-wide login box beside a short article is not a login page); the home page is a redirect that ended on the site root (or a bare language root such as
  /en/) although the document's URL was not the root;
- any other block, consent, login, verification or firewall page is found by scored general signals
  (scrapers.blockpage): `blocked_page`.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from scrapers import blockpage

SMALL_PAGE_WORDS = 300   # challenge pages are short; policies are not
TINY_PAGE_WORDS = 60     # what is left of a login or captcha page once forms are dropped

_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_CHALLENGE_TITLES = re.compile(
    r"just a moment|attention required|access denied|access to this page has been denied|"
    r"security check|are you a robot|are you human|verify you are (a )?human|human verification|"
    r"pardon our interruption|robot or human|checking your browser|ddos[- ]protection|bot protection|"
    r"captcha|please verify|request blocked|you have been blocked|请稍候|安全验证|人机验证|驗證|"
    r"しばらくお待ちください|アクセスが拒否", re.IGNORECASE)
# Marks of the bot walls themselves: enough on a small page.
_CHALLENGE_MARKERS = re.compile(
    r"cf-browser-verification|cf_chl_opt|cf-challenge|id=[\"']challenge-(form|running|body)|"
    r"/cdn-cgi/challenge-platform/h/|challenges\.cloudflare\.com/turnstile|"
    r"captcha-delivery\.com|datadome|_incapsula_resource|incapsula incident id|px-captcha|_pxcaptcha|"
    r"perimeterx|/_sec/cp_challenge|sec-if-cpt|errors\.edgesuite\.net|awswafintegration|"
    r"aws-waf-token|sucuri website firewall|sucuri_cloudproxy",
    re.IGNORECASE)
# Captcha widgets also sit in ordinary contact forms: they mark a challenge only on a page with
# next to no text.
_CAPTCHA_WIDGETS = re.compile(r"g-recaptcha|h-captcha|hcaptcha\.com/1/api|cf-turnstile", re.IGNORECASE)
_LOGIN_PATH = re.compile(
    r"(^|/)(log-?in|log-?on|sign-?in|signin|sso|auth|oauth2?|authorize|authenticate|session|sessions/new|"
    r"users/sign_in|account/login|accounts/login|cas/login|saml2?)(/|$|\.|\?)", re.IGNORECASE)
_LOGIN_HOST = re.compile(r"^(login|auth|sso|signin|accounts?|id|identity)\.", re.IGNORECASE)
_LANGUAGE_ROOT = re.compile(r"^/?([a-z]{2}([-_][a-z]{2,4})?/?)?(index\.(html?|php|aspx?))?$", re.IGNORECASE)
_PASSWORD_FIELD = re.compile(r"<input[^>]+type\s*=\s*[\"']?password", re.IGNORECASE)


def page_title(html: str) -> str:
    m = _TITLE.search(html[:200_000])
    return re.sub(r"\s+", " ", m.group(1)).strip() if m else ""


def challenge_reason(html: str, words: int) -> str | None:
    """Why this page looks like a bot challenge, or None."""
    if words >= SMALL_PAGE_WORDS:
        return None
    title = page_title(html)
    if _CHALLENGE_TITLES.search(title):
        return f"the page is a bot check (title {title!r}, {words} words)"
    marker = _CHALLENGE_MARKERS.search(html)
    if marker is None and words < TINY_PAGE_WORDS:
        marker = _CAPTCHA_WIDGETS.search(html)
    if marker:
        return f"the page is a bot check ({marker.group(0)!r} on a {words}-word page)"
    return None


def login_or_home_reason(requested: str, final: str, html: str, words: int) -> str | None:
    """Why the fetch ended on a login page or the home page instead of the document, or None."""
    want, got = urlsplit(requested), urlsplit(final)
    if (_root_like(got.path) and not got.query and not _root_like(want.path)
            and final.rstrip("/") != requested.rstrip("/")):
        return f"redirected to the site's home page {final}"
    if final != requested:
        # /auth/privacy-policy or /account/privacy is a document, not a login page (blockpage.auth_like)
        if (_LOGIN_PATH.search(got.path) and not _LOGIN_PATH.search(want.path)
                and blockpage.auth_like(final)):
            return f"redirected to a login page {final}"
        if (_LOGIN_HOST.match(got.hostname or "") and got.hostname != want.hostname
                and blockpage.auth_like(final)):
            return f"redirected to a login page {final}"
    if words < TINY_PAGE_WORDS and _PASSWORD_FIELD.search(html):
        return f"the page is a login form ({words} words and a password field)"
    return None


def blocked_page(requested: str, final: str, html: str, text: str, words: int,
                 old_words: int | None = None) -> blockpage.Verdict | None:
    """The scored verdict when the page is a block/consent/login/verification page, else None.
    `old_words`: the current version's word count, when there is one (a collapse adds a point)."""
    verdict = blockpage.assess(html, text, words, requested, final, old_words)
    return verdict if verdict is not None and verdict.blocked else None


def _root_like(path: str) -> bool:
    return bool(_LANGUAGE_ROOT.match(path or "/"))
