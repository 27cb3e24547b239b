"""Issue 19's honesty checks against the sourced-facts files (../shared beside the repository):
every published quote is verbatim in them, and the entry marked LEAD ONLY appears nowhere in a full build."""

from __future__ import annotations

import html
import json
from pathlib import Path

import pytest
import yaml
from facts_corpus import _strings, corpus, fold, record_quotes, shared_dir
from sitebuild import ROOT, build_site

SHARED = shared_dir()
needs_facts = pytest.mark.skipif(SHARED is None, reason="../shared (the sourced-facts files) is not beside the repository")

# Every file whose quotes are published: vendor records, incidents without a vendor, Amazon's rules as context.
QUOTED = sorted((ROOT / "vendors").glob("*.yaml")) + sorted((ROOT / "incidents").glob("*.yaml")) \
    + [ROOT / "reference" / "amazon-rules.yaml"]


@needs_facts
def test_every_published_quote_is_verbatim_in_the_facts():
    text = corpus(SHARED)
    missing, count = [], 0
    for path in QUOTED:
        for where, quote in record_quotes(yaml.safe_load(path.read_text(encoding="utf-8"))):
            count += 1
            if fold(quote) not in text:
                missing.append(f"{path.relative_to(ROOT)}: {'.'.join(map(str, where))}: {quote[:100]!r}")
    assert count > 0
    assert missing == [], "quotes not found verbatim in ../shared/data or ../shared/seeds:\n" + "\n".join(missing)


def test_fold_is_strict_about_words():
    """Folding forgives width and spacing (and copying's pinyin marks), never different words."""
    assert fold("ＡＢＣ　１２３,  x") == fold("ABC 123, x")
    assert fold("下載用戶數(shù)據(jù)") == fold("下載用戶數據")
    assert fold("(LinkFox) says") == "(LinkFox) says"
    assert fold("does not sell") not in fold("does sell")


def _lead_only_entries(shared: Path) -> list[dict]:
    out = []
    for path in sorted((shared / "data").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for section in data.values() if isinstance(data, dict) else ():
            for item in section if isinstance(section, list) else ():
                if isinstance(item, dict) and "LEAD ONLY" in str(item.get("title", "")):
                    out.append(item)
    return out


def _needles(entry: dict) -> list[str]:
    """Distinctive parts of an unverified lead: every 12-character stretch of its quotes (an excerpt of a
    quote is still the quote), besides the names the lead rests on. Not its source's URL: the same page may
    hold other, verified facts (the facts cite it for other vendors)."""
    needles = {"CNVD", "国家信息安全漏洞共享平台", "12起"}
    for quote in entry.get("quotes") or []:
        q = fold(quote)
        needles.update(q[i:i + 12] for i in range(0, max(1, len(q) - 11)))
    return sorted(needles)


@pytest.fixture(scope="module")
def real_site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("real-site")
    build_site(tmp, ROOT / "vendors")  # the real records, and the incidents beside them
    return tmp / "site"


@needs_facts
def test_lead_only_entry_is_published_nowhere(real_site):
    leads = _lead_only_entries(SHARED)
    assert leads, "the facts have no LEAD ONLY entry: this test checks nothing"
    needles = [n for lead in leads for n in _needles(lead)]
    site = real_site
    checked = 0
    for path in sorted(p for p in site.rglob("*") if p.is_file() and p.suffix in (".html", ".xml", ".json", ".txt")):
        raw = path.read_text(encoding="utf-8", errors="replace")
        if path.suffix == ".json":  # JSON may write any character as \uXXXX: compare the decoded strings
            text = fold("\n".join(_strings(json.loads(raw))))
        else:  # HTML and XML may write characters as entities
            text = fold(html.unescape(raw))
        checked += 1
        found = [n for n in needles if n in text]
        assert not found, f"{path.relative_to(site)} contains the unverified lead: {found[:3]}"
    assert (site / "search" / "search_index.json").is_file() and (site / "api" / "v1" / "events.json").is_file()
    assert checked > 20


def test_methodology_has_rules_and_pending_checks(real_site):
    from bs4 import BeautifulSoup

    from scripts.analysis import yardstick
    from scripts.records import incidents
    for page, heading in (("methodology/index.html", "Pending checks"), ("zh/methodology/index.html", "待核实事项")):
        soup = BeautifulSoup((real_site / page).read_text(encoding="utf-8"), "html.parser")
        links = {a.get("href") for a in soup.select(".erp-amazon-rules a")}
        for rule in yardstick.rules():
            item = soup.find(id=f"rule-{rule['id']}")
            assert item is not None and rule["source"]["url"] in links, rule["id"]
            assert " ".join(rule["quote"].split()) in " ".join(item.get_text().split())
        assert soup.find(id="pending-checks").get_text().startswith(heading)
        for p in incidents.load_pending()[0]:
            assert soup.find(id=f"pending-{p['slug']}") is not None, p["slug"]
