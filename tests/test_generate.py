"""Generator output for fictional vendors, checked for content; strict builds; escaping of record text."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys

from bs4 import BeautifulSoup
from sitebuild import BASE_RECORD, ROOT, build_site, record, write_records

from scripts.records import load as records
from scripts.site import build as generate
from scripts.site import pages

CONFIG = {"repo_url": "https://github.test/erpwatch/erpwatch", "site_url": "https://erpwatch.test/"}


def _pages(tmp_path, *recs):
    vdir = write_records(tmp_path / "vendors", *recs)
    loaded, problems = records.load_vendors(vdir)
    assert problems == []
    return generate.build_pages(loaded, None, CONFIG, vdir)


def _text(markdown: str) -> str:
    """Visible text with whitespace collapsed (and none before closing punctuation)."""
    text = " ".join(BeautifulSoup(markdown, "html.parser").get_text(" ").split())
    return re.sub(r"\(\s+", "(", re.sub(r"\s+([:;,.)\]])", r"\1", text))


def test_fixture_record_is_valid(tmp_path):
    vdir = write_records(tmp_path / "v", record())
    assert records.load_vendors(vdir) == (records.load_vendors(vdir)[0], [])


def test_vendor_page_content(tmp_path):
    page = _pages(tmp_path, record())["vendors/example-tools/index.md"]
    text = _text(page)
    assert page.startswith('---\ntitle: "Example Tools"\nvendor_feed: "vendors/example-tools/feed.xml"\n')
    assert "<h1 id=\"title\">Example Tools</h1>" in page
    assert "示例工具" in text and "Example Tools Ltd. (Nowhere)" in text
    # claims grouped by topic, with quotes, and the ended claim marked with when and why
    assert "Retention" in text and "Resale" in text
    assert "“We keep data for 30 days.”" in text
    assert re.search(r"No longer applies\s+March 2024: superseded \(superseded by keeps-30-days\)", text)
    # a Chinese-only summary shown on the English page is marked as Chinese
    assert '<span lang="zh">只在中文里说明不转售数据。</span> <small class="erp-lang">(in Chinese)</small>' in page
    # toggle timeline: undated entry, partial date rendered honestly, disagreement stated
    assert "date not given: Default on · Applies to: not stated" in text
    assert "From 31 May, year not given: Default off · Applies to: new sign-ups" in text
    assert "Sources disagree about this default" in text
    # data access explains what the role and report unlock, from the SP-API reference
    assert "Determine list prices and automate product pricing" in text
    assert "Report: Active Listings Report GET_MERCHANT_LISTINGS_DATA" in text
    assert "Frequency: Every 30 minutes" in text
    # incidents newest first, with each party's statement, the response, or an explicit "none"
    assert text.index("Seller reports frequent report downloads") < text.index("An older report")
    assert "Seller: Downloads every half hour." in text
    assert "Marketplace (Marketplace support): The app requested the reports." in text
    assert "7 June 2024: The vendor said new sign-ups have it off." in text
    assert "No vendor response recorded as of 11 January 2025." in text
    # sources listed with publisher, kind and dates; record file and its history linked
    assert "Example News · press · published June 2024 · read 11 January 2025" in text
    assert "https://github.test/erpwatch/erpwatch/commits/main/vendors/example-tools.yaml" in page
    assert "not yet checked" in text  # no snapshot store in this test


def test_comparison_and_incident_pages(tmp_path):
    other = record(id="other-tool", name="Other Tool", toggles=[], incidents=[], access=[], names={})
    files = _pages(tmp_path, record(), other)
    index = files["vendors/index.md"]
    soup = BeautifulSoup(index, "html.parser")
    rows = soup.select("#erp-compare tbody tr")
    assert [r.select_one("td a")["href"] for r in rows] == ["example-tools/", "other-tool/"]
    first = rows[0].get_text(" ")
    assert "review-requests, repricer" in first and "amazon" in first
    assert "Role: pricing" in " ".join(first.split()) or "SP-API role: pricing" in " ".join(first.split())
    assert "GET_MERCHANT_LISTINGS_DATA" in first
    assert "on (not stated, date not given)" in " ".join(first.split())
    assert "off (new sign-ups)" in " ".join(first.split())
    assert rows[0].select("td")[5].get_text() == "2"
    assert rows[1].select("td")[5].get_text() == "0"
    incidents = _text(files["incidents/index.md"])
    assert incidents.index("Seller reports frequent report downloads") < incidents.index("An older report")
    home = _text(files["index.md"])
    assert "2 vendors" in home and "2 reported incidents" in home


def test_write_tree_only_writes_changes_and_removes_stale(tmp_path):
    site_src = tmp_path / "site_src"
    (site_src / "vendors" / "gone").mkdir(parents=True)
    (site_src / "vendors" / "gone" / "index.md").write_text("old")
    (site_src / "methodology.md").write_text("hand-written")
    assert generate.write_tree({"vendors/a/index.md": "A", "index.md": "H"}, site_src) == (2, 1)
    assert not (site_src / "vendors" / "gone").exists()
    assert (site_src / "methodology.md").read_text() == "hand-written"
    assert generate.write_tree({"vendors/a/index.md": "A", "index.md": "H"}, site_src) == (0, 0)


def test_generate_cli_refuses_invalid_records_with_validator_messages(tmp_path):
    bad = record()
    bad["claims"][0]["sources"] = []
    vdir = write_records(tmp_path / "vendors", bad)
    env = {"ERPWATCH_VENDORS_DIR": str(vdir), "PATH": "/usr/bin:/bin"}
    gen = subprocess.run([sys.executable, "-m", "scripts.generate"], cwd=ROOT, env=env, capture_output=True, text=True)
    val = subprocess.run([sys.executable, "-m", "scripts.validate"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert gen.returncode == 1 and val.returncode == 1
    assert "claims[0].sources: at least one source is required" in gen.stdout
    assert gen.stdout.strip() == val.stdout.strip()
    assert "Traceback" not in gen.stderr


def test_site_build_stops_on_invalid_records(tmp_path):
    bad = record(id="wrong-id")
    vdir = tmp_path / "vendors"
    write_records(vdir, bad)
    (vdir / "wrong-id.yaml").rename(vdir / "example-tools.yaml")
    proc = build_site(tmp_path, vdir, check=False)
    assert proc.returncode != 0
    assert "example-tools.yaml:" in proc.stderr and "does not match the file name" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_strict_build_of_real_records(tmp_path):
    build_site(tmp_path, ROOT / "vendors")
    site = tmp_path / "site"
    real, _ = records.load_vendors(ROOT / "vendors")
    assert real, "there are real records"
    for rec in real:
        html = (site / "vendors" / rec["id"] / "index.html").read_text(encoding="utf-8")
        assert rec["name"].replace("&", "&amp;") in html
    bqool = (site / "vendors" / "bqool" / "index.html").read_text(encoding="utf-8")
    assert "31 May, year not given" in bqool
    assert "Sources disagree about this default" in bqool
    # vendor pages stay out of the site-wide navigation (the build would grow quadratically otherwise)
    home = (site / "index.html").read_text(encoding="utf-8")
    nav = BeautifulSoup(home, "html.parser").select_one("nav.md-nav--primary")
    assert nav is not None and "vendors/bqool/" not in str(nav)
    # every page links the site feed; a vendor page also links its own feed, and both files exist
    for page in site.rglob("index.html"):
        alts = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser").select(
            'link[rel="alternate"][type="application/rss+xml"]')
        targets = {(page.parent / a["href"]).resolve() for a in alts}
        in_zh = page.relative_to(site).parts[0] == "zh"
        assert (site / ("zh/feed.xml" if in_zh else "feed.xml")).resolve() in targets, page
        if page.parent.parent.name == "vendors":
            assert (page.parent / "feed.xml").resolve() in targets, page
        assert all(t.is_file() for t in targets), page
    _check_internal_links(site)


def _check_internal_links(site):
    """Every relative link in the built site points at a file that exists."""
    for page in (p for p in site.rglob("*.html") if p.name != "404.html"):  # 404 uses absolute links
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for a in soup.select("a[href]"):
            href = a["href"]
            if re.match(r"^(https?:|mailto:|#|data:)", href) or href.startswith("//"):
                continue
            target = (page.parent / href.split("#")[0]).resolve()
            if target.is_dir():
                target = target / "index.html"
            assert target.exists(), f"{page.relative_to(site)} links to missing {href}"


PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(2)>',
    "[click](javascript:alert(3))",
    "Title {: onclick=\"alert(4)\" }",
    "<svg/onload=alert(5)>",
    "{{ config }} {% raw %} ${alert(6)}",
    'back\\slash \\x41 "quoted" # not a comment',
]


def _xss_record():
    payload = " ".join(PAYLOADS)
    rec = copy.deepcopy(BASE_RECORD)

    def poison(value, key=None):
        if isinstance(value, dict):
            return {k: poison(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [poison(v, key) for v in value]
        if isinstance(value, str) and key in FREE_TEXT:
            return value + " " + payload
        return value

    rec = poison(rec)
    rec["name"] = "Example Tools " + PAYLOADS[0] + PAYLOADS[1] + PAYLOADS[-1]  # names are limited to 200 characters
    rec["names"] = {"zh": list(PAYLOADS), "en": list(PAYLOADS)}
    rec["company"]["country"] = PAYLOADS[1]
    return rec


# Every field whose value is free text (dates, ids, URLs and enums are validated to safe shapes).
FREE_TEXT = {"name", "title", "publisher", "author", "note", "summary", "quote", "text", "who", "where",
             "controls", "frequency", "data", "en", "zh"}


def test_html_in_every_text_field_is_rendered_as_text(tmp_path):
    rec = _xss_record()
    vdir = write_records(tmp_path / "vendors", rec)
    loaded, problems = records.load_vendors(vdir)
    assert problems == []
    build_site(tmp_path, vdir)
    site = tmp_path / "site"
    page = site / "vendors" / "example-tools" / "index.html"
    for html_file in [page, site / "vendors" / "index.html", site / "incidents" / "index.html", site / "index.html"]:
        html = html_file.read_text(encoding="utf-8")
        soup = BeautifulSoup(html, "html.parser")
        for script in soup.find_all("script"):
            assert "alert(" not in script.get_text(), f"script injected in {html_file}"
        for el in soup.find_all(True):
            for attr, value in el.attrs.items():
                assert not attr.lower().startswith("on"), f"event handler {attr} in {html_file}"
                if attr in ("href", "src"):
                    assert "javascript:" not in str(value).lower(), f"{attr}={value} in {html_file}"
        assert not soup.find("img", src="x") and not soup.find("svg", onload=True)
    text = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser").get_text()
    for p in PAYLOADS:
        assert p in text, f"payload {p!r} not shown as text"
    # the page title (which the theme prints unescaped) carries the escaped name
    title = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser").title.get_text()
    assert "<script>alert(1)</script>" in title
    json.dumps(title)


def test_chinese_tree_mirrors_english_and_prefers_chinese_text(tmp_path):
    files = _pages(tmp_path, record())
    en_pages = {p for p in files if p.endswith(".md") and not p.startswith("zh/")}
    zh_pages = {p[3:] for p in files if p.endswith(".md") and p.startswith("zh/")}
    assert en_pages <= zh_pages  # every generated English page has a Chinese counterpart
    assert {"methodology.md", "contributing.md", "data-api.md"} <= zh_pages  # translations of hand-written pages
    zh = _text(files["zh/vendors/example-tools/index.md"])
    assert "数据保留 90 天。" in zh and "Keeps data 90 days." not in zh  # Chinese text when the record has it
    assert "Keeps data 30 days. (英文原文)" in zh  # otherwise the text it has, marked as such
    assert "5月31日(年份未知)" in zh and "各来源对此默认值说法不一" in zh
    assert "默认 关闭 · 适用于: 新注册用户" in zh
    en = _text(files["vendors/example-tools/index.md"])
    assert "示例工具" in en and "示例工具" in zh  # Chinese names shown in both languages
    # links inside the Chinese tree stay in it; API links go to the shared root
    zh_page = files["zh/vendors/example-tools/index.md"]
    assert 'href="../../../api/v1/vendors/example-tools.json"' in zh_page
    assert 'vendor_feed: "zh/vendors/example-tools/feed.xml"' in zh_page


def test_language_switch_keeps_the_page(tmp_path):
    build_site(tmp_path, write_records(tmp_path / "vendors", record()))
    site = tmp_path / "site"
    for rel in ["index.html", "vendors/index.html", "vendors/example-tools/index.html", "incidents/index.html",
                "methodology/index.html", "data-api/index.html"]:
        for lang_dir, other in (("", "zh/"), ("zh/", "")):
            page = site / lang_dir / rel
            soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
            link = soup.select_one(f'a.md-select__link[hreflang="{"zh" if other else "en"}"]')
            target = (page.parent / link["href"]).resolve()
            if target.is_dir():
                target = target / "index.html"
            assert target == (site / other / rel).resolve(), (page, link["href"])
    assert BeautifulSoup((site / "zh/index.html").read_text(encoding="utf-8"), "html.parser").html["lang"] == "zh"
    assert BeautifulSoup((site / "index.html").read_text(encoding="utf-8"), "html.parser").html["lang"] == "en"


def test_parallel_build_gives_the_same_files(tmp_path):
    """Large sites build each vendor's part in worker processes; the files must be exactly the serial ones."""
    from bench import data as bench_data
    from scrapers.store import open_store
    vendors = bench_data.write_vendors(tmp_path / "v", generate.PARALLEL_FROM)
    bench_data.write_store(tmp_path / "s", generate.PARALLEL_FROM, workers=1)
    recs, problems = records.load_vendors(vendors)
    assert not problems
    store = open_store(tmp_path / "s")
    config = {"repo_url": "https://github.test/x/y", "site_url": "https://erpwatch.test/"}
    serial = generate.build_pages(recs, store, config, vendors, workers=1)
    parallel = generate.build_pages(recs, store, config, vendors, workers=2)
    assert list(serial) == list(parallel)
    assert all(str(serial[k]) == str(parallel[k]) for k in serial)
    assert any(isinstance(v, pages.FastPage) for v in parallel.values())  # still FastPages after pickling


def test_last_words_of_a_diff_run_match_a_full_split():
    import random

    from scripts.analysis.changes import _last_words
    rng = random.Random(3)
    for _ in range(20000):
        text = "".join(rng.choice(["a", "b", " ", "\n", "\t", "\u3000", "\xa0", "中"]) for _ in range(rng.randrange(0, 30)))
        n = rng.randrange(1, 6)
        words = text.split()
        assert _last_words(text, n) == (" ".join(words) if len(words) <= n else "… " + " ".join(words[-n:]))


def test_page_text_picks_the_language_as_text_pick_does():
    """bodies.text_html inlines text.pick for speed: same choice of language, same escaping, same marking."""
    import html
    import random

    from scripts.lang import i18n
    from scripts.lang.text import pick
    from scripts.site import bodies
    rng = random.Random(2)
    atoms = ["", "a", "中文", "<b>", "&", '"', "'", "x y"]

    def value():
        r = rng.random()
        if r < 0.1:
            return None
        if r < 0.5:
            return "".join(rng.choice(atoms) for _ in range(rng.randrange(0, 5)))
        if r < 0.9:
            return {k: "".join(rng.choice(atoms) for _ in range(rng.randrange(0, 3)))
                    for k in rng.sample(["en", "zh", "fr"], rng.randrange(0, 4))}
        return rng.choice([5, 2.5, True, ["a"]])

    for _ in range(20000):
        v, lang = value(), rng.choice(["en", "zh"])
        got = pick(v, lang)
        want = "" if got is None else html.escape(got)
        if got is not None and got.fallback:
            want = (f'<span lang="{got.lang}">{want}</span> <small class="erp-lang">'
                    f'{html.escape(i18n.t("in_other_language", lang))}</small>')
        assert bodies.text_html(v, lang) == want, (v, lang)
