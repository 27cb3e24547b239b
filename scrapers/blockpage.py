"""Block, consent, login, verification and firewall pages that answer 200: scored general signals.

scrapers.classify knows the marks of particular bot walls; this module recognises the rest by what such
pages have in common, in English and Chinese, without naming any site. Each signal is weak or strong on
its own and adds points; a page is a block page when its points reach BLOCK_SCORE. No single signal
reaches it, so a real document that mentions cookies, logging in or verification, embeds a captcha in a
contact form, or lives at /auth/privacy-policy stays a document; and a page with many real sentences
earns points back (DOC_SENTENCES). Long pages (LONG_WORDS or more) are never judged here: block pages
are short, and this keeps the common path (a policy of thousands of words) free of any extra work.

Signals (points), each in a family whose points are capped (CAPS) when its signals say the same thing:
- title or main heading (first h1, else first h2) says access denied / blocked / verification /
  security check / firewall / consent / sign in, en+zh (3), unless it also names a document
  ("Identity verification policy");
- the document text is tiny (2) or short (1);
- widget: a captcha or slider in the markup's ids, classes or sources (3), a field to fill (1),
  an iframe on a tiny page (1); capped at 3;
- login: a password field (2); a meta refresh (4) or a script (3) sending the browser to a
  login/auth/passport/signin URL; the fetch ending on such a URL after a redirect (3); a sign-in title
  (3); capped at 4;
- a consent dialog with accept/agree buttons (3), or only a consent manager's marks (1);
- a meta refresh elsewhere (1);
- visible text saying what block pages say ("checking your browser", "请完成安全验证") (2, or 3 for
  two different ones);
- next to no text for the markup (1);
- the caller knows the document was long and the page is a small fraction of it (1);
- text that reads as a document takes points back: 1, or 2 with DOC_SENTENCES sentences.
"""

from __future__ import annotations

import html as htmllib
import re
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

BLOCK_SCORE = 5
LONG_WORDS = 300         # never judged at or above this: real policies are long, block pages short
TINY_WORDS = 60
SHORT_WORDS = 150
SCAN_CHARS = 400_000     # markup scanned for signals (block pages are small; this bounds the work)
DOC_SENTENCES = 6        # text that reads as a document takes back 1 point; this many sentences, 2

_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_HEADING = re.compile(r"<h([123])\b[^<>]*>(.{0,2000}?)</h\1>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^<>]*>")  # stops at the next "<": linear on any input
# What a block page's title or heading says it is (en, zh simplified and traditional).
_BLOCK_HEADING = re.compile(
    r"access\s+(is\s+)?(denied|blocked|restricted|forbidden)|\bforbidden\b|\bblocked\b|\bdenied\b|\brejected\b|"
    r"\bbanned\b|\bunavailable\b|too\s+many\s+requests|\bredirecting\b|not\s+available\s+in\s+your\s+(country|region)|"
    r"\bunauthori[sz]ed\b|permission\s+denied|\bverif(y|ying|ication)\b|security\s+(check|challenge)|"
    r"\bcaptcha\b|\brobot\b|\bhuman\b|fire\s?wall|\bwaf\b|ddos|just\s+a\s+moment|one\s+moment|please\s+wait|"
    r"checking\s+(your|the)\s+browser|\bconsent\b|cookie\s+(choices?|preferences|settings|consent|wall)|"
    r"before\s+you\s+continue|sign\s?-?\s?in\b|log\s?-?\s?in\b|log\s?on\b|authenticat|session\s+expired|"
    r"验证|驗證|安全检查|安全檢查|防火墙|防火牆|拒绝访问|拒絕存取|访问被拒|禁止访问|访问受限|拦截|攔截|屏蔽|"
    r"请稍候|請稍候|过于频繁|過於頻繁|登录|登錄|登入|登陆|同意.{0,4}(cookie|继续)|cookie\s*设置",
    re.IGNORECASE)
# A title or heading that names a document is a document's, whatever else it says.
_DOC_HEADING = re.compile(
    r"\bpolic(y|ies)\b|\bterms\b|\bnotice\b|\bstatement\b|\bagreement\b|\bconditions\b|\bprivacy\b|"
    r"\bdisclosure\b|\baddendum\b|政策|条款|條款|协议|協議|声明|聲明|隐私|隱私|规则|規則|须知|須知|说明|說明",
    re.IGNORECASE)
# Captcha and slider widgets, looked for only in attribute values (ids, classes, script and frame
# sources): a policy that says "we use reCAPTCHA" in its text is not a captcha page.
_ATTR_VALUES = re.compile(r"\s(?:id|class|src|name|data-[\w-]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_WIDGET = re.compile(
    r"captcha|geetest|nocaptcha|verif(y|ication)[-_]?code|vcode|checkcode|authcode|nc[-_]wrapper|slide[-_ ]?(to[-_ ])?(verify|unlock)|slider[-_]?(verify|check|"
    r"track|btn|button)|verify[-_]?(slider|bar|box)|challenge[-_]?(form|stage|container)|滑块|拖动|拼图",)
_PASSWORD = re.compile(r"<input\b[^>]*\btype\s*=\s*[\"']?password")
_INPUT = re.compile(r"<(?:input|textarea)\b([^>]*)>")
_NOT_A_FIELD = re.compile(r"\btype\s*=\s*[\"']?(hidden|submit|button|reset|image|checkbox|radio)")
# Consent dialogs: a consent manager's or a consent banner's name in an id or class, or a modal dialog.
_CONSENT_NAME = re.compile(
    r"(cookies?|consent|gdpr|cmp|privacy)[-_]?(banner|wall|modal|dialog|overlay|popup|layer|prompt|bar|manager)|"
    r"onetrust|cookiebot|didomi|usercentrics|qc-cmp|sp_message|truste|trustarc|iubenda|cookieyes|osano")
_DIALOG = re.compile(r"role\s*=\s*[\"']?(alert)?dialog|aria-modal\s*=\s*[\"']?true|<dialog\b")
_CONSENT_BUTTON = re.compile(
    r"accept\s+(all|cookies)|reject\s+all|allow\s+all|agree\s+(and|&)\s+(continue|proceed|close)|\bi\s+agree\b|"
    r"(manage|customi[sz]e)\s+(cookies|preferences|options|settings|choices)|cookies?\s+(settings|preferences)|"
    r"by clicking .{0,20}accept|同意.{0,6}cookie|接受.{0,4}cookie|全部接受|接受全部|接受所有|"
    r"同意并继续|同意並繼續|我同意|全部拒绝|拒绝全部")
_META = re.compile(r"<meta\b[^>]*>")
_REFRESH = re.compile(r"http-equiv\s*=\s*[\"']?refresh")
_REFRESH_URL = re.compile(r"url\s*=\s*['\"]?([^'\">\s;]+)")
_JS_REDIRECT = re.compile(
    r"location(?:\.href)?\s*=\s*[\"'`]([^\"'`]+)|location\.(?:replace|assign)\(\s*[\"'`]([^\"'`]+)|"
    r"\.navigate\(\s*[\"'`]([^\"'`]+)")
_JS_NAVIGATES = re.compile(r"location(?:\.href)?\s*=[^=]|location\.(?:replace|assign)\(")
_URL_LITERAL = re.compile(r"[\"'`](https?://[^\"'`\s<>]{3,300})")
# Path segments of login and verification pages. Weak ones (auth, account, user) count only as the last
# segment: /auth/privacy-policy and /account/privacy are documents.
_AUTH_SEGMENT = re.compile(
    r"^(log-?in|log-?on|sign-?in|sign_in|passport|sso|oauth2?|authorize|authenticate|cas|saml2?|"
    r"captcha|verify|verification|challenge|sessions?)(\.\w+)?$", re.IGNORECASE)
_WEAK_AUTH_SEGMENT = re.compile(r"^(auth|accounts?|users?|id|identity|member)$", re.IGNORECASE)
_DOC_SEGMENT = re.compile(
    r"privacy|polic|terms|legal|cookie|gdpr|ccpa|notice|agreement|statement|conditions|disclosure|^pp$|^tos$|"
    r"^dpa$|隐私|条款|协议", re.IGNORECASE)
_AUTH_HOST = re.compile(r"^(login|auth|sso|signin|passport|accounts?|id|identity|cas|oauth)\.", re.IGNORECASE)
# What block pages say in their visible text, and policies do not: "please log in" or "security check"
# occur in real policies too, so login and generic security words are left to the structural signals.
_BLOCK_PHRASES = re.compile(
    r"checking (if the site connection is secure|your browser)|enable (javascript|cookies) (and|to)|"
    r"verify (that )?you are (a )?human|are you a (robot|human)|i'?m not a robot|complete the security check|"
    r"access (to this (page|site|resource) )?(has been |is )?denied|(do not|don't) have permission to access|"
    r"(you|your ip|your (ip )?address|this ip) (have|has) been (blocked|banned)|too many requests|"
    r"request (was |has been )?(blocked|rejected)|requested url was rejected|"
    r"not available in your (country|region|location)|"
    r"\bray id\b|incident id|support id is|slide to (verify|unlock|complete)|drag the slider|"
    r"请完成.{0,6}验证|请输入.{0,4}验证码|enter the (characters|code) (you see|shown)|完成下方.{0,4}验证|拖动滑块|按住滑块|向右滑动|访问被拒|拒绝访问|拒絕存取|禁止访问|"
    r"被.{0,10}拦截|被.{0,10}攔截|限制访问|访问受限|(访问|请求)次数过多|过于频繁|過於頻繁|所在(的)?地区.{0,6}(无法|不能)访问|异常流量|異常流量|网站防火墙|網站防火牆|验证您的浏览器|驗證您的瀏覽器",)
_NEVER_SHOWN = re.compile(r"<(script|style|noscript|template)\b", re.IGNORECASE)
_CLOSE = {t: re.compile(f"</{t}", re.IGNORECASE) for t in ("script", "style", "noscript", "template")}
_SENTENCE_END = re.compile(r"[.!?。！？;；\n]+")
_WORDISH = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[^\W_\u3400-\u9fff\uf900-\ufaff]+")


# Signals of one family say the same thing twice (a login form and a redirect to /login): their points
# are capped, so that correlated weak signals never add up to a verdict on their own.
CAPS = {"login": 4, "widget": 3, "heading": 4}


@dataclass
class Verdict:
    points: dict[str, int] = field(default_factory=dict)  # by family
    signals: list[str] = field(default_factory=list)
    login: bool = False          # the signals point at a login page rather than a wall or a dialog

    @property
    def score(self) -> int:
        return sum(min(p, CAPS.get(f, p)) for f, p in self.points.items())

    @property
    def blocked(self) -> bool:
        return self.score >= BLOCK_SCORE

    def reason(self) -> str:
        return f"not the document ({', '.join(self.signals)}; score {self.score})"


def assess(html: str, text: str, words: int, requested: str = "", final: str = "",
           old_words: int | None = None) -> Verdict | None:
    """Score the page's block signals; None for a page too long to be a block page. `old_words`: the
    current version's length, when the page replaces a longer document (then a page up to half as long
    is judged: a consent wall listing its partners can be longer than LONG_WORDS)."""
    limit = max(LONG_WORDS, min(old_words // 2, 3000)) if old_words else LONG_WORDS
    if words >= limit:
        return None
    head = html[:SCAN_CHARS]
    # The visible text: the document text misses forms and dialogs, where block pages say what they are.
    visible = _clean(_shown(head))
    # Most patterns run on lower-cased text without re.IGNORECASE: several times faster on a large page.
    low, visible_low = head.lower(), visible.lower()
    v = Verdict()
    _heading_signal(head, v)
    if words < TINY_WORDS:
        _add(v, 2, f"{words} words", "size")
    elif words < SHORT_WORDS:
        _add(v, 1, f"{words} words", "size")
    _widget_signals(low, visible_low, words, v)
    _redirect_signals(low, requested, final, v)
    _text_signals(low, visible_low, v)
    if old_words and old_words >= 2 * SHORT_WORDS and words * 5 < old_words:
        _add(v, 1, f"down from {old_words} words", "collapse")
    sentences = plausible_sentences(text)
    if sentences >= DOC_SENTENCES:
        _add(v, -2, f"{sentences} sentences", "sentences")
    elif plausible_document(text):
        _add(v, -1, f"{sentences} sentences", "sentences")
    return v


def plausible_sentences(text: str) -> int:
    """How many runs of text between sentence ends have at least 6 words (a CJK character is a word)."""
    return sum(1 for s in _SENTENCE_END.split(text) if len(_WORDISH.findall(s)) >= 6)


def plausible_document(text: str) -> bool:
    """Text that reads as a document: at least 3 sentences, holding most of its words (not a form's
    labels and a few words)."""
    parts = [len(_WORDISH.findall(s)) for s in _SENTENCE_END.split(text)]
    in_sentences = sum(n for n in parts if n >= 6)
    return sum(1 for n in parts if n >= 6) >= 3 and in_sentences * 2 >= sum(parts)


def auth_like(url: str) -> bool:
    """A login / auth / verification address: its host, or a path segment such as /passport/login.
    A path that names a document (/auth/privacy-policy, /account/privacy, /pp/) is not one."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    if any(_DOC_SEGMENT.search(s) for s in segments):
        return False
    if _AUTH_HOST.match(parts.hostname or ""):
        return True
    if any(_AUTH_SEGMENT.match(s) for s in segments):
        return True
    return bool(segments) and bool(_WEAK_AUTH_SEGMENT.match(segments[-1]))


# --- signals ---------------------------------------------------------------------------------------

def _add(v: Verdict, points: int, signal: str, family: str) -> None:
    v.points[family] = v.points.get(family, 0) + points
    v.signals.append(signal)
    v.login = v.login or family == "login"


def _clean(fragment: str) -> str:
    return re.sub(r"\s+", " ", htmllib.unescape(_TAG.sub(" ", fragment))).strip()


def _shown(head: str) -> str:
    """The markup without scripts, styles and templates, in one pass (a regex with a back-reference
    would rescan the rest of the page for every unclosed <script>)."""
    out, at = [], 0
    for m in _NEVER_SHOWN.finditer(head):
        if m.start() < at:
            continue
        out.append(head[at:m.start()])
        end = _CLOSE[m.group(1).lower()].search(head, m.end())
        if end is None:
            return " ".join(out)
        at = end.start()
    out.append(head[at:])
    return " ".join(out)


def _heading_signal(head: str, v: Verdict) -> None:
    m = _TITLE.search(head)
    texts = [_clean(m.group(1))] if m else []
    # The main heading: the first <h1>, else the first <h2>, else <h3>. Section headings of a
    # policy ("Your consent", "Verification") are not what the page says it is.
    headings = {}
    for h in _HEADING.finditer(head, 0, 200_000):
        headings.setdefault(h.group(1), _clean(h.group(2)))
        if "1" in headings:
            break
    texts += [headings.get("1") or headings.get("2") or headings.get("3") or ""]
    said_by = []
    for text in texts:
        said = _BLOCK_HEADING.search(text[:300])
        if said and not _DOC_HEADING.search(text[:300]):
            login = re.search(r"sign|log|登|authentic", said.group(0), re.IGNORECASE)
            # a second, different statement (title "Attention required", heading "You have been
            # blocked") adds 1; the same words twice (a heading repeating the title) do not
            if not said_by or said.group(0).lower() != said_by[0]:
                _add(v, 1 if said_by else 3, f"heading {text[:80]!r}", "login" if login else "heading")
            said_by.append(said.group(0).lower())


def _widget_signals(low: str, visible: str, words: int, v: Verdict) -> None:
    values = "\n".join(a or b for a, b in _ATTR_VALUES.findall(low))  # the patterns never span a newline
    widget = _WIDGET.search(values)
    if widget:
        _add(v, 3, f"a captcha or slider widget ({widget.group(0)!r})", "widget")
    if _PASSWORD.search(low):
        _add(v, 2, "a password field", "login")
    elif any(not _NOT_A_FIELD.search(a) for a in _INPUT.findall(low)):
        _add(v, 1, "a field to fill", "widget")  # the captcha's own answer field: one family
    consent = _CONSENT_NAME.search(values) or _DIALOG.search(low)
    if consent and _CONSENT_BUTTON.search(visible):
        _add(v, 3, "a consent dialog", "consent")
    elif consent:
        _add(v, 1, f"consent-manager marks ({consent.group(0)[:40]!r})", "consent")
    if words < TINY_WORDS and "<iframe" in low:
        _add(v, 1, "an iframe", "widget")


def _redirect_signals(low: str, requested: str, final: str, v: Verdict) -> None:
    base = final or requested
    targets = []
    for meta in _META.findall(low):
        if _REFRESH.search(meta):
            m = _REFRESH_URL.search(htmllib.unescape(meta))
            delay = re.search(r"content\s*=\s*[\"']?\s*(\d+)", meta)
            soon = delay is None or int(delay.group(1)[:6]) <= 10
            targets.append(("a meta refresh", m.group(1) if m else "", 4 if soon else 3))
    # A script's redirect may sit in a function that never runs (a "log in" button's handler): 3.
    if "location" in low or ".navigate(" in low:
        targets += [("a script redirect", next(g for g in m.groups() if g), 3) for m in _JS_REDIRECT.finditer(low)]
        if _JS_NAVIGATES.search(low):  # location = u, with u built from a literal
            targets += [("a script redirect", u, 3) for u in _URL_LITERAL.findall(low)[:50]]
    for how, url, points in targets:
        if url and auth_like(urljoin(base, url.strip())):
            _add(v, points, f"{how} to {url[:80]!r}", "login")
            break
    else:
        if any(how == "a meta refresh" for how, _, _ in targets):
            _add(v, 1, "a meta refresh", "refresh")
    if final and requested and final != requested and auth_like(final) and not auth_like(requested):
        _add(v, 3, f"redirected to {final[:100]}", "login")


def _text_signals(low: str, visible: str, v: Verdict) -> None:
    said = {m.group(0) for m in _BLOCK_PHRASES.finditer(visible[:20_000])}
    if said:
        _add(v, 3 if len(said) > 1 else 2, f"says {sorted(said)[0]!r}", "text")
    if len(low) > 3000 and len(visible) < 0.02 * len(low):
        _add(v, 1, "next to no text for the markup", "markup")
