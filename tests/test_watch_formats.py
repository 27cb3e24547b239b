"""PDF and plain-text policies, served from 127.0.0.1 and read through the watcher: a PDF is known by its
bytes whatever the Content-Type says, its text is read page by page and its bytes kept as the raw snapshot;
a scanned (image-only), encrypted, broken or oversized PDF is a typed failure, never a version; plain text
keeps its lines and its `<address>`; other binary types are `decode` failures naming the type."""

from __future__ import annotations

import itertools

import pytest
from watch_fixtures.pages import FAST, policy_page, sentences
from watch_fixtures.pdfs import encrypted, image_pdf, text_pdf
from watch_fixtures.server import server_fixture  # noqa: F401  (pytest fixtures)
from watch_fixtures.watchers import make_fixture  # noqa: F401  (pytest fixture)

from scrapers import pdf, pipeline
from scrapers.failures import Failure
from scrapers.http import HttpClient
from scrapers.page import Target, fetch_page, page_text

PARAS = sentences(8)
PAGES = [PARAS[:4], PARAS[4:]]


def held(suite, ok: bool) -> None:
    """Count the case in the `watcher-formats` suite line (held: read right, or refused with its type)."""
    suite("watcher-formats", tried=1, rejected=int(ok), escaped=int(not ok))
    assert ok


def doc(server, path):
    return Target("acme-tools", "privacy", server.url(path))


def read(server, path) -> tuple[str, int]:
    target = doc(server, path)
    with HttpClient(FAST) as client:
        return page_text(fetch_page(client, target), target)


def failure(server, path) -> Failure:
    with pytest.raises(Failure) as info:
        read(server, path)
    return info.value


@pytest.mark.parametrize("content_type", ["application/pdf", "application/octet-stream", "text/html; charset=utf-8",
                                          None, "text/plain"])
def test_a_pdf_is_known_by_its_bytes_whatever_its_type(server, content_type, suite):
    server.route("/policy", text_pdf(PAGES), content_type=content_type)
    text, words = read(server, "/policy")
    held(suite, PARAS[0] in text and PARAS[-1] in text)
    assert text.split("\n\n")[0].startswith(PARAS[0]) and PARAS[-1] in text and words > 100
    # page by page, in order: page one's text before page two's
    assert text.index(PARAS[3]) < text.index(PARAS[4])


def test_junk_before_the_pdf_header_is_read_as_readers_do(server):
    server.route("/p", b"\xef\xbb\xbf\r\n   \x00junk from a proxy\n" + text_pdf(PAGES)[0:], content_type=None)
    server.route("/q", b"\n\n" + text_pdf(PAGES), content_type="application/octet-stream")
    for path in ("/p", "/q"):
        assert PARAS[5] in read(server, path)[0]


def test_an_html_page_that_mentions_the_pdf_header_is_still_html(server):
    server.route("/p", policy_page(["The file starts with %PDF-1.7 as every PDF does. " + PARAS[0], *PARAS[1:]]))
    text, _ = read(server, "/p")
    assert text.startswith("# Privacy Policy") and "%PDF-1.7" in text


def test_pdf_policy_through_the_pipeline_keeps_its_bytes_and_re_extracts(server, make, monkeypatch):
    body = text_pdf(PAGES)
    server.route("/terms.pdf", body, content_type="application/octet-stream")
    w = make()
    first = w.check(doc(server, "/terms.pdf"))
    assert first.result == "changed" and first.event["initial"]
    assert first.event["raw"].endswith(".pdf") and (w.store.root / first.event["raw"]).read_bytes() == body
    assert w.check(doc(server, "/terms.pdf")).result == "unchanged"  # same bytes: not read again
    # a new extractor: the stored PDF is read again, the text is the same, nothing is announced
    monkeypatch.setattr(pipeline, "EXTRACTOR_VERSION", 99)
    again = w.check(doc(server, "/terms.pdf"))
    assert again.result == "unchanged" and again.technical == []
    assert w.reextract(doc(server, "/terms.pdf")).result == "unchanged"
    # a real edit of the PDF is a change with a word diff
    server.route("/terms.pdf", text_pdf([PARAS[:4], PARAS[4:7] + ["We now also share order data with carriers."]]),
                 content_type="application/pdf")
    changed = w.check(doc(server, "/terms.pdf"))
    assert changed.result == "changed" and changed.event["added"] > 0 and changed.event["removed"] > 0
    assert "carriers" in " ".join(t for op, t in changed.event["diff"] if op == "+")


def test_image_only_pdf_is_a_typed_failure_not_an_empty_version(server, make, suite):
    server.route("/scan.pdf", image_pdf(3), content_type="application/pdf")
    w = make()
    outcome = w.check(doc(server, "/scan.pdf"))
    held(suite, outcome.failure == "no-text-layer" and w.store.changes("acme-tools", "privacy") == [])
    assert outcome.result == "failed" and outcome.failure == "no-text-layer"
    assert "no text layer" in outcome.message and "3 page" in outcome.message
    assert w.store.changes("acme-tools", "privacy") == []
    # a document with a version keeps it when its PDF is replaced by a scan
    server.route("/scan.pdf", text_pdf(PAGES), content_type="application/pdf")
    assert w.check(doc(server, "/scan.pdf")).result == "changed"
    server.route("/scan.pdf", image_pdf(1), content_type="application/pdf")
    assert w.check(doc(server, "/scan.pdf")).failure == "no-text-layer"
    assert len(w.store.changes("acme-tools", "privacy")) == 1
    assert w.store.status("acme-tools", "privacy")["consecutive_failures"] == 1


def test_encrypted_pdfs(server, suite):
    # owner-password only (copying restricted): readers open it without asking, so do we
    server.route("/open.pdf", encrypted(text_pdf(PAGES), ""), content_type="application/pdf")
    assert PARAS[6] in read(server, "/open.pdf")[0]
    server.route("/locked.pdf", encrypted(text_pdf(PAGES), "user-secret"), content_type="application/pdf")
    f = failure(server, "/locked.pdf")
    held(suite, f.kind == "decode" and "encrypted with a password" in f.message)


@pytest.mark.parametrize("body", [b"%PDF-1.7\n" + bytes(range(256)) * 8, text_pdf(PAGES)[:300],
                                  b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 1 0 R >> endobj\ntrailer << /Root 1 0 R >>"])
def test_broken_pdf_is_a_decode_failure_with_a_clear_message(server, body, suite):
    server.route("/broken.pdf", body, content_type="application/pdf")
    f = failure(server, "/broken.pdf")
    held(suite, f.kind in ("decode", "no-text-layer") and "PDF" in f.message)


def test_pdf_bounds(server, monkeypatch):
    server.route("/long.pdf", text_pdf([[p] for p in PARAS]), content_type="application/pdf")
    monkeypatch.setattr(pdf, "MAX_PAGES", 5)
    f = failure(server, "/long.pdf")
    assert f.kind == "decode" and "8 pages; at most 5" in f.message
    monkeypatch.setattr(pdf, "MAX_PAGES", 500)
    ticks = itertools.count(0, 15.0)  # each page "takes" 15 s
    with pytest.raises(pdf.PdfError, match=r"took over 20 s \(stopped at page 2 of 8\)"):
        pdf.pdf_text(text_pdf([[p] for p in PARAS]), clock=lambda: next(ticks))


def test_pdf_text_is_bounded(monkeypatch):
    monkeypatch.setattr(pdf, "MAX_CHARS", 500)
    with pytest.raises(pdf.PdfError, match="over 500 characters"):
        pdf.pdf_text(text_pdf([[p] for p in PARAS]))
    monkeypatch.setattr(pdf, "MAX_CHARS", 2_000_000)
    monkeypatch.setattr(pdf, "MAX_PAGE_CONTENT", 1_000)  # one dense page: refused before pypdf reads it
    with pytest.raises(pdf.PdfError, match=r"page 1 of the PDF draws [\d,]+ bytes of content; at most 1,000"):
        pdf.pdf_text(text_pdf([PARAS]))


PLAIN = ("Privacy Policy\n\nContact: Data Protection Officer <privacy@example.test>\n"
         "Postal address: 1 Example Road\n\n"
         + "\n\n".join(PARAS[:5]) + "\n\n"
         "隐私政策：我们从您连接的卖家账户收集订单数据，保存九十天后删除。\n不会出售给第三方。\n")


@pytest.mark.parametrize("path,content_type", [("/privacy", "text/plain; charset=utf-8"),
                                               ("/privacy.txt", "application/octet-stream"),
                                               ("/privacy.txt", None), ("/privacy", None),
                                               ("/privacy", "text/markdown")])
def test_plain_text_keeps_its_lines_and_addresses(server, path, content_type, suite):
    server.route(path, PLAIN, content_type=content_type)
    text, _ = read(server, path)
    held(suite, "<privacy@example.test>\nPostal address" in text and f"{PARAS[0]}\n\n{PARAS[1]}" in text)
    assert "Contact: Data Protection Officer <privacy@example.test>\nPostal address: 1 Example Road" in text
    assert f"\n\n{PARAS[0]}\n\n{PARAS[1]}\n\n" in text  # paragraphs stay paragraphs
    assert "收集订单数据，保存九十天后删除。\n不会出售给第三方。" in text


def test_plain_text_through_the_pipeline(server, make):
    server.route("/privacy.txt", PLAIN, content_type="text/plain")
    w = make()
    first = w.check(doc(server, "/privacy.txt"))
    assert first.result == "changed" and first.event["raw"].endswith(".txt")
    assert "<privacy@example.test>" in w.store.current_text("acme-tools", "privacy")
    assert w.check(doc(server, "/privacy.txt")).result == "unchanged"
    server.route("/privacy.txt", PLAIN.replace("<privacy@example.test>", "<dpo@example.test>"),
                 content_type="text/plain")
    changed = w.check(doc(server, "/privacy.txt"))
    assert changed.result == "changed" and changed.event["added"] >= 1 and changed.event["removed"] >= 1


@pytest.mark.parametrize("body", [
    "Access denied\n\nYour request was blocked by the security firewall.\nReference #18.2f3c",
    "访问被拒绝\n\n您的请求已被安全防火墙拦截。\n请求编号:18.2f3c",
])
def test_a_plain_text_block_page_is_not_the_document(server, body):
    # the block-page signals judge plain text too, on its words (there is no markup to score)
    server.route("/privacy.txt", body, content_type="text/plain")
    f = failure(server, "/privacy.txt")
    assert f.kind in ("blocked", "bot-challenge")


@pytest.mark.parametrize("body,content_type,named", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64), "image/png", "PNG image"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64), "application/octet-stream", "PNG image"),
    (b"PK\x03\x04\x14\x00\x06\x00" + bytes(64), None, "ZIP archive"),
    (b"GIF89a\x01\x00\x01\x00" + bytes(32), "text/html", "GIF image"),
    (b'{"policy": "not a page"}', "application/json", "application/json"),
    (b"\x00\x01\x02\x03" * 64, "application/octet-stream", "application/octet-stream"),
])
def test_other_binary_types_are_decode_failures_naming_the_type(server, body, content_type, named, suite):
    server.route("/file", body, content_type=content_type)
    f = failure(server, "/file")
    held(suite, f.kind == "decode" and named in f.message)
