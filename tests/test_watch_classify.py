"""Pages that answer but are not the document: the classification rules, case by case."""

from __future__ import annotations

import pytest

from scrapers.classify import challenge_reason, login_or_home_reason

CF = ("<html><head><title>Just a moment...</title></head><body><script>window._cf_chl_opt={}</script>"
      "</body></html>")
AKAMAI = ("<html><head><title>Access Denied</title></head><body>You don't have permission to access this "
          "server. Reference #18.2f4e.1700000000 https://errors.edgesuite.net/18.2f4e</body></html>")
DATADOME = "<html><body><script src='https://geo.captcha-delivery.com/captcha/'></script></body></html>"
INCAPSULA = "<html><body><iframe src='/_Incapsula_Resource?SWUDNSAI=1'>Request unsuccessful.</iframe></body></html>"
CAPTCHA_ONLY = "<html><head><title>Acme</title></head><body><div class='g-recaptcha'></div></body></html>"
CONTACT_FORM = ("<html><head><title>Delete my data</title></head><body><p>" + "word " * 120 +
                "</p><form><div class='g-recaptcha' data-sitekey='x'></div></form></body></html>")


@pytest.mark.parametrize("html, words, challenge", [
    (CF, 3, True),
    (AKAMAI, 20, True),
    (DATADOME, 0, True),
    (INCAPSULA, 2, True),
    (CAPTCHA_ONLY, 1, True),
    (CONTACT_FORM, 120, False),                 # a captcha in a contact form on a real page
    (CF.replace("<body>", "<body>" + "<p>clause</p>" * 10), 2000, False),  # long pages never are
    ("<html><head><title>Privacy Policy</title></head><body><p>x</p></body></html>", 150, False),
])
def test_challenge_pages(html, words, challenge):
    assert (challenge_reason(html, words) is not None) is challenge


@pytest.mark.parametrize("requested, final, html, words, refused", [
    ("https://a.example/legal/privacy", "https://a.example/", "", 900, True),
    ("https://a.example/legal/privacy", "https://a.example/en/", "", 900, True),
    ("https://a.example/legal/privacy", "https://a.example/users/sign_in?return=/legal", "", 30, True),
    ("https://a.example/legal/privacy", "https://login.a.example/?next=x", "", 30, True),
    ("https://a.example/p", "https://a.example/p", "<input type='password'>", 12, True),
    ("https://a.example/p", "https://a.example/p", "<input type='password'>", 140, False),  # header login box
    ("https://a.example/", "https://a.example/", "", 900, False),                     # the root is the doc
    ("https://a.example/privacy", "https://a.example/legal/privacy", "", 900, False),  # a move, not home
    ("http://a.example/privacy", "https://www.a.example/privacy/", "", 900, False),
    ("https://a.example/auth/privacy", "https://a.example/auth/privacy-2025", "", 900, False),
    ("https://a.example/privacy", "https://a.example/auth/privacy-policy", "", 900, False),  # a document
    ("https://a.example/privacy", "https://a.example/account/privacy", "", 900, False),
    ("https://a.example/privacy", "https://a.example/auth/login?next=/privacy", "", 900, True),
    ("https://a.example/privacy", "https://accounts.a.example/privacy", "", 900, False),  # moved host
    ("https://a.example/privacy", "https://a.example/member/logon.aspx?r=1", "", 900, True),
])
def test_login_or_home(requested, final, html, words, refused):
    assert (login_or_home_reason(requested, final, html, words) is not None) is refused
