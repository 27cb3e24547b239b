"""Noise that is not a change, served from 127.0.0.1 through the watcher: Cloudflare's e-mail obfuscation,
hidden blocks however their CSS is written, control characters; a page flipping between variants; a change
of nothing but a labelled date (en and zh), which the history shows and the feeds do not. And lookalikes
that ARE changes: a changed number of days beside "updated", a date in a clause, a label that changed."""

from __future__ import annotations

import pytest
from watch_fixtures.pages import policy_page, sentences
from watch_fixtures.server import server_fixture  # noqa: F401  (pytest fixtures)
from watch_fixtures.watchers import make_fixture  # noqa: F401  (pytest fixture)

from scrapers import variants
from scrapers.extract import cf_decode, extract
from scrapers.page import Target
from scripts.analysis import changes
from scripts.publish import events

PARAS = sentences(10)
ZH = ["我们从您连接的亚马逊卖家账户收集订单数据、库存数据和广告报告，仅用于提供调价服务。",
      "我们将这些数据保存九十天，期满后删除，且不会向第三方或数据经纪人出售您的任何数据。",
      "如需删除数据，请通过设置页面提交申请，我们会在三十天内完成处理并通知您。"] * 3


def held(suite, ok: bool) -> None:
    """Count the case in the `watcher-noise` suite line (held: noise not announced, a real change kept)."""
    suite("watcher-noise", tried=1, rejected=int(ok), escaped=int(not ok))
    assert ok


def doc(server):
    return Target("acme-tools", "privacy", server.url("/privacy"))


def cf(address: str, key: int = 0x5A) -> str:
    return (bytes([key]) + bytes(b ^ key for b in address.encode("utf-8"))).hex()


def with_contact(contact_html: str) -> str:
    return policy_page(PARAS[:6] + ["CONTACT"] + PARAS[6:]).replace("<p>CONTACT</p>", f"<p>{contact_html}</p>")


PLAIN_CONTACT = 'Write to <a href="mailto:privacy@example.test">privacy@example.test</a> or dpo@example.test.'
OBFUSCATED = [
    # the link's text and the bare address, as Cloudflare rewrites them
    f'Write to <a href="/cdn-cgi/l/email-protection#{cf("privacy@example.test")}"><span class="__cf_email__" '
    f'data-cfemail="{cf("privacy@example.test")}">[email&#160;protected]</span></a> or '
    f'<span class="__cf_email__" data-cfemail="{cf("dpo@example.test", 0x13)}">[email&#160;protected]</span>.',
    # a link whose text is the placeholder itself, and an <a> carrying data-cfemail
    f'Write to <a href="/cdn-cgi/l/email-protection#{cf("privacy@example.test", 0xA7)}">[email protected]</a> or '
    f'<a href="/cdn-cgi/l/email-protection" class="__cf_email__" data-cfemail="{cf("dpo@example.test")}">'
    f'[email&nbsp;protected]</a>.',
]


def test_cf_decode():
    assert cf_decode(cf("客服@example.test", 0x01)) == "客服@example.test"
    assert cf_decode("zz") is None and cf_decode("5a") is None


@pytest.mark.parametrize("obfuscated", OBFUSCATED)
def test_cloudflare_email_obfuscation_is_not_a_change(server, make, obfuscated, suite):
    assert extract(with_contact(obfuscated)) == extract(with_contact(PLAIN_CONTACT))
    server.route("/privacy", with_contact(PLAIN_CONTACT))
    w = make()
    w.check(doc(server))
    server.route("/privacy", with_contact(obfuscated))
    held(suite, w.check(doc(server)).result == "unchanged")
    assert "privacy@example.test or dpo@example.test" in w.store.current_text("acme-tools", "privacy")


@pytest.mark.parametrize("style", ["display:none", "display:\tnone", "DISPLAY: NONE", "display : none !important",
                                   "color:red;display:none;", "Visibility:\nHidden", "display:none!important"])
def test_hidden_blocks_are_dropped_however_written(style, suite):
    page = policy_page(PARAS, after="").replace(
        "<main>", f'<main><div style="{style}">Limited offer: upgrade today and save forty percent.</div>')
    held(suite, extract(page) == extract(policy_page(PARAS)))
    assert "Limited offer" not in extract(page) and PARAS[3] in extract(page)
    # a property that only ends the same is not hiding anything
    shown = page.replace(style, "--menu-display: none")
    assert "Limited offer" in extract(shown)


def test_control_characters_are_not_a_change(server, make, suite):
    server.route("/privacy", policy_page(PARAS))
    w = make()
    w.check(doc(server))
    noisy = policy_page(PARAS).replace("<main>", "<main>\x00\x00").replace(" collect ", " col\x00lect\x07 ", 1)
    noisy = noisy.replace(" keep ", " \x1bkeep\x7f ", 1).replace(" sell ", " se\x85ll ", 2)
    server.route("/privacy", noisy)
    outcome = w.check(doc(server))
    held(suite, outcome.result == "unchanged")
    # without a NUL (no removal before parsing): the parser and the normaliser drop them
    # (U+0085, NEL, is a line break in Unicode and stays whitespace.)
    noisy = policy_page(PARAS).replace(" collect ", " col\x07lect\x1f ", 1).replace(" sell ", " se\x80ll\x9b ", 2)
    server.route("/privacy", noisy)
    held(suite, w.check(doc(server)).result == "unchanged")


def variant(banner: str) -> str:
    return policy_page(PARAS[:5] + [banner] + PARAS[5:])


def test_a_page_flipping_between_variants_is_announced_once(server, make, suite):
    a, b = variant("Sellers in the EU: see section 9 for your rights."), variant("New: read our data FAQ.")
    w = make()
    results = []
    for page in (a, b, a, b, a, b):
        server.route("/privacy", page)
        results.append(w.check(doc(server)))
    log = w.store.changes("acme-tools", "privacy")
    assert [o.result for o in results] == ["changed"] * 6 and len(log) == 6  # every version is kept
    assert [bool(e.get("revisit")) for e in log] == [False, False, True, True, True, True]
    assert log[2]["revisit_of"] == log[0]["id"] and log[3]["revisit_of"] == log[1]["id"]
    assert results[2].summary()["revisit"] is True
    # the feeds' events: one change (A -> B), not six; the history page has all five changes
    rec = {"id": "acme-tools", "name": "Acme Tools", "policies": [{"id": "privacy", "url": doc(server).url}]}
    collected = changes.collect_vendor(rec, w.store)
    assert len(collected) == 5
    held(suite, len(events.policy_events(collected)) == 1)
    assert [e["link"] for e in events.policy_events(collected)] == ["changes/" + changes.change_slug("acme-tools", "privacy",
                                                                                        log[1]["id"])]


def test_a_variant_older_than_the_window_is_news_again(server, make):
    pages = [variant(f"Rotating notice number {n} for sellers.") for n in range(variants.REVISIT_WINDOW + 2)]
    w = make()
    for page in pages + [pages[0]]:
        server.route("/privacy", page)
        w.check(doc(server))
    assert not w.store.changes("acme-tools", "privacy")[-1].get("revisit")


def dated(label: str, date: str, paras=PARAS) -> str:
    return policy_page(paras).replace("</h1>", f"</h1><p>{label} {date}</p>")


@pytest.mark.parametrize("label,before,after,paras", [
    ("Last updated:", "March 5, 2025", "April 1, 2025", PARAS),
    ("Effective date:", "2025-03-05", "2025-04-01", PARAS),
    ("This policy was last revised on", "5 March 2025", "1st April 2025", PARAS),
    ("更新日期：", "2025年3月5日", "2025年4月1日", ZH),
    ("生效日期：", "二〇二五年三月五日", "二〇二五年四月一日", ZH),
    ("Stand:", "05.03.2025", "01.04.2025", PARAS),
])
def test_a_change_of_only_a_labelled_date_is_minor(server, make, label, before, after, paras, suite):
    w = make()
    server.route("/privacy", dated(label, before, paras))
    w.check(doc(server))
    server.route("/privacy", dated(label, after, paras))
    outcome = w.check(doc(server))
    held(suite, outcome.result == "changed" and outcome.event.get("minor") is True)
    assert outcome.summary()["minor"] is True
    rec = {"id": "acme-tools", "name": "Acme Tools", "policies": [{"id": "privacy", "url": doc(server).url}]}
    collected = changes.collect_vendor(rec, w.store)
    assert len(collected) == 1 and events.policy_events(collected) == []  # on the history, not in the feeds


def test_a_date_label_after_the_date_and_on_the_line_above():
    assert variants.date_only("本政策于2025年3月5日更新。\n" + ZH[0], "本政策于2025年4月9日更新。\n" + ZH[0])
    assert variants.date_only("## Last updated\n\n5 March 2025\n\nText.", "## Last updated\n\n9 April 2025\n\nText.")


@pytest.mark.parametrize("old,new", [
    # the date changed AND a word: a real change
    ("Last updated: March 5, 2025\nWe keep data for 30 days.", "Last updated: April 1, 2025\nWe keep data for 60 days."),
    # a number beside "updated" that is not a date
    ("Prices are updated every 30 days.", "Prices are updated every 60 days."),
    # a date inside a clause, with no label beside it
    ("From 1 March 2025 we share order data with carriers.", "From 1 April 2025 we share order data with carriers."),
    ("我们将于2025年3月5日起与物流商共享订单数据。", "我们将于2025年4月5日起与物流商共享订单数据。"),
    # the label changed, not the date
    ("Last updated: March 5, 2025", "Last revised: March 5, 2025"),
    # a word that only contains a label word
    ("We understand 2025-01-01 matters.", "We understand 2025-01-02 matters."),
])
def test_lookalikes_are_real_changes(old, new, suite):
    held(suite, not variants.date_only(old, new))
    assert variants.flags(new, old, []) == {}


def test_history_page_marks_minor_and_revisit_changes():
    from scripts.site import bodies
    base = {"vendor": "acme-tools", "vendor_name": "Acme Tools", "policy": {"id": "privacy", "url": "https://a.test/p"},
            "previous_time": None, "anchor": "change-x"}
    items = [{**base, "change": {"id": f"x{n}", "time": "2025-06-01T00:00:00Z", "added": 1, "removed": 1,
                                 "raw": "acme-tools/privacy/raw/x.html", "diff": [], **flag}}
             for n, flag in enumerate([{"minor": True}, {"revisit": True}, {}])]
    for lang, minor, revisit in (("en", "Minor change", "returned to a variant"), ("zh", "次要变更", "恢复为")):
        html = bodies.history_body(items, lang, "../../", "https://github.test/r", {})
        assert html.count('class="erp-note"') == 2 and minor in html and revisit in html
