"""Pages that answer 200 but are not the document, and real documents that look like them (en + zh).

Written for these tests in the shapes such pages take (walls of CDN and firewall vendors, captchas, consent
walls, login redirects); no text is copied from a real site. Hosts and names are fictional.
Each BLOCK page maps to the failure classes it may get; each LOOKALIKE is (path, html) and must stay a
document wherever it is served.
"""

from __future__ import annotations

from watch_fixtures.pages import policy_page

BLOCKED_OR_LOGIN = ("blocked", "bot-challenge", "login-or-home")


def _page(title: str, body: str, head: str = "", lang: str = "en") -> str:
    t = f"<title>{title}</title>" if title else ""
    return (f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'>{t}{head}</head>"
            f"<body>{body}</body></html>")


BLOCK = {
    # a CDN interstitial without any vendor's script names
    "edge-interstitial": _page(
        "One more step", "<div class='wrap'><h1>Checking your browser before accessing shop.example.test</h1>"
        "<p>This process is automatic. Your browser will redirect to your requested content shortly.</p>"
        "<div id='verify-widget' class='challenge-stage'></div><p class='ray'>Ref: 8e1f2a3b4c5d</p></div>"
        "<script>setTimeout(function(){document.forms[0] && document.forms[0].submit()}, 4000)</script>"),
    "access-denied": _page(
        "Access Denied", "<h1>Access Denied</h1><p>You don't have permission to access \"http&#58;//www.example"
        ".test/legal/privacy\" on this server.</p><p>Reference&#32;&#35;18&#46;5a2e3b17&#46;1733600000</p>"),
    "request-rejected": _page(
        "Request Rejected", "<p>The requested URL was rejected. Please consult with your administrator.</p>"
        "<p>Your support ID is: 4419823651002837701</p><p><a href='javascript:history.back();'>[Go Back]</a></p>"),
    "waf-no-title": _page(
        "", "<div style='margin:10%'><h2>Web Application Firewall</h2><p>Your request looks automated and was "
        "stopped.</p><small>event 7f3c-22</small></div>"),
    "consent-wall": _page(
        "Before you continue", "<div class='consent-bump' role='dialog' aria-modal='true'><h1>Before you "
        "continue to Example</h1><p>We use cookies and data to deliver and maintain our services, measure "
        "audience engagement and show personalised content and ads. If you choose to accept all, we will "
        "also use cookies to develop new services.</p><form><button>Reject all</button><button>Accept all"
        "</button></form><a href='/consent/more'>More options</a></div>"),
    "login-form": _page(
        "Sign in - Example Seller Central", "<main><h1>Sign in</h1><form action='/session' method='post'>"
        "<label>Email <input type='email' name='email'></label><label>Password <input type='password' "
        "name='pw'></label><button>Continue</button></form><p><a href='/forgot'>Forgot your password?</a>"
        "</p><p>New here? <a href='/register'>Create your account</a></p></main>"),
    "js-redirect-login": _page(
        "Example", "<div id='app'>Loading...</div><script>if(!document.cookie.match(/sid=/)){window.location"
        ".href='/account/signin?returnUrl=%2Flegal%2Fprivacy';}</script><noscript>Please enable JavaScript to "
        "use this site.</noscript>"),
    "meta-refresh-passport": _page(
        "Redirecting", "<p>Redirecting you to the sign-in page. If nothing happens, <a href='/passport/login'>"
        "click here</a>.</p>", head="<meta content='0;URL=/passport/login?service=%2Fprivacy' "
        "http-equiv='Refresh'>"),
    "script-shell-captcha": _page(
        "Example", "<div id='root'></div><iframe src='/px/frame?c=1' width='300' height='80'></iframe>"
        "<script>" + "var a=1;" * 600 + "</script><div class='h-verify captcha-holder'></div>"),
    # Chinese
    "zh-slider": _page(
        "验证", "<div class='page'><h2>请完成下方验证后继续操作</h2><div id='slide-verify' class='slider-track'>"
        "<span class='slider-btn'></span><span>向右滑动完成验证</span></div><p>加载中…</p></div>", lang="zh-CN"),
    "zh-security-check": _page(
        "安全验证", "<div><p>为了保护您的账号安全，请完成安全验证。</p><div id='captcha-box'></div>"
        "<button>确定</button></div>", lang="zh-CN"),
    "zh-firewall": _page(
        "网站防火墙", "<h1>您的请求带有不合法参数，已被网站管理员设置拦截！</h1><p>可能原因：您提交的内容包含危险"
        "的攻击请求</p><p>如何解决：检查提交内容；如网站托管，请联系空间提供商</p>", lang="zh-CN"),
    "zh-denied-200": _page(
        "403 禁止访问", "<center><h1>403 Forbidden</h1></center><hr><p>您的访问被拒绝，请稍后再试。</p>",
        lang="zh-CN"),
    "zh-consent": _page(
        "Cookie 设置", "<div class='cookie-wall' role='dialog'><p>我们使用 Cookie 来改进您的浏览体验、提供个性化"
        "内容并分析网站流量。点击“全部接受”即表示您同意我们使用 Cookie。</p><button>全部拒绝</button><button>"
        "全部接受</button></div>", lang="zh-CN"),
    "zh-js-login": _page(
        "示例卖家平台", "<p>请先登录</p><script>location.replace('https://passport.example.test/login?redirect="
        "'+encodeURIComponent(location.href))</script>", lang="zh-CN"),
    "verify-identity-code": _page(
        "Verify your identity", "<main><h1>Let's make sure it's you</h1><p>We sent a code to your phone ending "
        "in 42. Enter it below to continue.</p><form><input name='otp' inputmode='numeric'><button>Verify"
        "</button></form><a href='/resend'>Resend code</a></main>"),
    "script-sso-variable": _page(
        "Loading…", "<script>var u='https://sso.example.test/authorize?client_id=web&redirect_uri='+"
        "encodeURIComponent(location.href);window.location.replace(u)</script>"),
    "zh-qr-login": _page(
        "账号登录 - 示例", "<div class='login-box'><h2>扫码登录</h2><img src='/qr.png'><p>打开示例App扫一扫登录"
        "</p><a href='#'>密码登录</a><a href='#'>短信登录</a></div>", lang="zh-CN"),
    "zh-rate-limited": _page(
        "", "<div class='error'><h3>访问受限</h3><p>当前IP访问次数过多，已暂时限制访问。</p><p>请求编号：20261208"
        "</p></div>", lang="zh-CN"),
    "zh-hant-wait": _page(
        "請稍候…", "<p>正在驗證您的瀏覽器，請稍候。</p><p>此過程為自動進行。</p>", lang="zh-TW"),
}

_COOKIE_POLICY = [
    "This cookie policy explains how Example Tools uses cookies and similar technologies when you visit our "
    "seller dashboard.",
    "Strictly necessary cookies keep you logged in and remember your session, so you do not have to log in "
    "again on every page.",
    "When you first visit, a banner lets you accept all cookies, reject all optional cookies or manage your "
    "preferences; you can change that choice at any time from the footer link.",
    "Analytics cookies measure how sellers use our reports and are set only if you accept them.",
    "We use a verification cookie to protect the sign in form against automated abuse.",
    "You can delete cookies in your browser settings; some features may then stop working.",
]
_SHORT_PRIVACY = [
    "Example Tools collects the order reports and settlement reports of the marketplace account you connect.",
    "We keep them for ninety days and delete them when you disconnect the account.",
    "Please log in to your account to download a copy of your data or to ask for its deletion.",
    "We never sell your data to brokers, and we share it only with the processors listed below.",
    "Questions go to privacy@example.test, and we answer within thirty days.",
]
_VERIFICATION_POLICY = [
    "This identity verification policy describes how we check that a seller account belongs to a real "
    "business before it can connect a marketplace.",
    "We ask for a company registration number and a document showing the address of the business.",
    "Verification is done by our own staff; we do not use automated decisions to refuse an account.",
    "The documents are deleted thirty days after the verification is complete.",
    "Our contact form is protected by a captcha to keep automated requests out.",
]
_ZH_PRIVACY = [
    "本隐私政策说明示例工具如何收集、使用和保护您在使用卖家后台时提供的信息。",
    "您登录账号后，我们会读取您授权的店铺订单数据和广告报告，用于生成经营分析。",
    "为防止恶意注册，我们在注册和登录时使用验证码进行安全验证，验证记录保存三十天。",
    "我们使用必要的 Cookie 保持您的登录状态；您可以在 Cookie 设置中选择接受或拒绝分析类 Cookie。",
    "未经您的同意，我们不会向第三方出售或提供您的店铺数据。",
    "如需删除数据，请联系 privacy@example.test，我们将在十五个工作日内处理。",
]
_ZH_AGREEMENT = [
    "欢迎使用示例账号服务。本协议是您与示例公司之间关于账号注册、登录和使用的约定。",
    "您应当使用真实的手机号码完成注册，并妥善保管账号密码，不得将账号转让或出借给他人。",
    "如系统发现异常登录，我们可能要求您完成短信验证，以保护您的账号安全。",
    "您可以随时在账号设置中注销账号，注销后我们将删除您的个人信息。",
]

_LOGIN_BOX = ("<header><form action='/session'><input name='u' placeholder='Email'><input type='password' "
              "name='p'><button>Log in</button></form></header>")
_CONSENT_BANNER = ("<div id='cookie-banner' role='dialog'><p>We use cookies.</p><button>Accept all</button>"
                   "<button>Reject all</button></div>")
_ZH_BANNER = ("<div class='cookie-banner' role='dialog'><p>本网站使用 Cookie。</p><button>全部接受</button>"
              "</div>")
_CAPTCHA_FORM = ("<form><textarea name='msg'></textarea><div class='g-recaptcha' data-sitekey='k'></div>"
                 "<button>Send</button></form>")

# (path the document is watched at, where the server sends it or None, html)
LOOKALIKES = {
    "cookie-policy": ("/legal/cookies", None, policy_page(_COOKIE_POLICY, "Cookie Policy", after=_CONSENT_BANNER)),
    "pp-with-login-box": ("/pp/", None, policy_page(_SHORT_PRIVACY, "Privacy", before=_LOGIN_BOX)),
    "auth-privacy-policy": ("/privacy", "/auth/privacy-policy", policy_page(_SHORT_PRIVACY, "Privacy Policy")),
    "account-privacy": ("/account/privacy", None, policy_page(_SHORT_PRIVACY, "Account privacy",
                                                              before=_LOGIN_BOX)),
    "verification-policy": ("/legal/verification", None,
                            policy_page(_VERIFICATION_POLICY, "Identity verification policy", after=_CAPTCHA_FORM)),
    "reloading-policy": ("/terms", None, policy_page(_SHORT_PRIVACY, "Terms of Service",
                                                     head="<meta http-equiv='refresh' content='1800'>")),
    "script-login-link": ("/privacy", None, policy_page(
        _SHORT_PRIVACY, "Privacy notice",
        head="<script>function signIn(){window.location.href='/login?next='+location.pathname}</script>")),
    "help-login-and-security": ("/help/login-and-security", None, policy_page([
        "You sign in to Example Tools with your email address and a password of at least twelve characters.",
        "We recommend turning on two-step verification in your account settings.",
        "When we notice a sign in from a new device, we send you an email with the time and the place.",
        "If you did not sign in yourself, change your password at once and contact support.",
        "We never ask for your password by email or phone."], "Login and security")),
    "zh-passport-privacy": ("/passport/privacy", None, policy_page([
        "示例通行证是您登录示例各项服务的统一账号。", "我们在您注册时收集手机号码，用于登录验证和找回密码。",
        "我们使用滑块验证和短信验证码防止恶意注册，相关日志保存三十天。", "您可以在账号设置中查看和删除您的登录记录。",
        "我们不会将您的手机号码提供给第三方用于营销。"], "示例通行证隐私政策", before=_LOGIN_BOX)),
    "zh-privacy": ("/zh/privacy", None, policy_page(_ZH_PRIVACY, "隐私政策", after=_ZH_BANNER)),
    "zh-passport-agreement": ("/passport/agreement", None, policy_page(_ZH_AGREEMENT, "账号服务协议",
                                                                       before=_LOGIN_BOX)),
}
