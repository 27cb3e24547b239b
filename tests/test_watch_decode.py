"""Every encoding case, served by the local server and read through the watcher's own fetch path:
GBK/GB18030, Big5, Shift_JIS and UTF-8 pages with a right charset header, without one, with only a
<meta>, with a byte-order mark, and with a WRONG header."""

from __future__ import annotations

import codecs

import pytest
from watch_fixtures.pages import FAST
from watch_fixtures.server import server_fixture  # noqa: F401  (pytest fixtures)

from scrapers.decode import DecodeError, canonical, decode_html
from scrapers.http import HttpClient
from scrapers.page import Target, fetch_page, page_text

ZH_HANS = ["隐私政策：我们从您连接的亚马逊卖家账户收集订单数据、库存数据和广告报告。",
           "我们只为提供补价和评论请求服务而使用这些数据，保存期限为九十天，期满后删除。",
           "我们不会向第三方或数据经纪人出售、出租或交换您的任何数据。"]
ZH_HANT = ["隱私權政策：我們從您連接的亞馬遜賣家帳戶蒐集訂單資料、庫存資料與廣告報告。",
           "我們只為提供調價與評論請求服務而使用這些資料，保存期限為九十天，期滿後刪除。",
           "我們不會向第三方或資料經紀人出售、出租或交換您的任何資料。"]
JA = ["プライバシーポリシー：当社は、お客様が接続したアマゾンの販売者アカウントから注文データと在庫データを収集します。",
      "当社は、価格改定とレビュー依頼のサービスを提供するためにのみこれらのデータを使用し、九十日後に削除します。",
      "当社は、お客様のデータを第三者やデータブローカーに販売することはありません。"]
FR = ["Politique de confidentialité : nous collectons les données de commande de votre compte vendeur.",
      "Nous conservons ces données pendant quatre-vingt-dix jours, puis nous les supprimons définitivement.",
      "Nous ne vendons jamais vos données à des tiers ni à des courtiers en données ; c'est déjà écrit."]


def page(paragraphs: list[str], meta: str | None = None) -> str:
    head = f'<meta charset="{meta}">' if meta else ""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<!DOCTYPE html><html><head>{head}<title>Policy</title></head>"
            f"<body><main>{body}</main></body></html>")


# (id, paragraphs, encoding of the bytes, Content-Type header, <meta charset>, BOM)
CASES = [
    ("gbk-header", ZH_HANS, "gbk", "text/html; charset=GBK", None, b""),
    # 镕 exists in GBK but not in GB2312: the label gb2312 must still decode it
    ("gb2312-label-gbk-bytes", ZH_HANS + ["镕"], "gbk", "text/html; charset=gb2312", None, b""),
    ("gb18030-header", ZH_HANS, "gb18030", "text/html; charset=gb18030", None, b""),
    ("gbk-no-charset", ZH_HANS, "gbk", "text/html", None, b""),
    ("gbk-meta-only", ZH_HANS, "gbk", "text/html", "gb2312", b""),
    ("gbk-wrong-latin1-header-meta-right", ZH_HANS, "gbk", "text/html; charset=ISO-8859-1", "gbk", b""),
    ("gbk-wrong-utf8-header", ZH_HANS, "gbk", "text/html; charset=utf-8", None, b""),
    ("gbk-wrong-latin1-header-no-meta", ZH_HANS, "gbk", "text/html; charset=iso-8859-1", None, b""),
    ("big5-header", ZH_HANT, "big5", "text/html; charset=big5", None, b""),
    ("big5-no-charset", ZH_HANT, "big5", "text/html", None, b""),
    ("big5-meta-only", ZH_HANT, "big5", None, "big5", b""),
    ("big5-wrong-utf8-header", ZH_HANT, "big5", "text/html; charset=UTF-8", None, b""),
    ("big5-wrong-latin1-header-meta-right", ZH_HANT, "big5", "text/html; charset=iso-8859-1", "big5", b""),
    ("sjis-header", JA, "shift_jis", "text/html; charset=Shift_JIS", None, b""),
    ("sjis-no-charset", JA, "shift_jis", "text/html", None, b""),
    ("sjis-meta-only", JA, "shift_jis", "text/html", "shift_jis", b""),
    ("sjis-wrong-utf8-header", JA, "shift_jis", "text/html; charset=utf-8", None, b""),
    ("sjis-wrong-latin1-header", JA, "shift_jis", "text/html; charset=iso-8859-1", None, b""),
    ("utf8-header", ZH_HANS, "utf-8", "text/html; charset=utf-8", None, b""),
    ("utf8-no-charset", JA, "utf-8", "text/html", None, b""),
    ("utf8-wrong-gbk-header", ZH_HANS, "utf-8", "text/html; charset=gbk", None, b""),
    ("utf8-wrong-latin1-header", FR, "utf-8", "text/html; charset=iso-8859-1", None, b""),
    ("utf8-meta-says-gbk", ZH_HANT, "utf-8", "text/html", "gbk", b""),
    ("utf8-bom-beats-wrong-header", ZH_HANS, "utf-8", "text/html; charset=gbk", "big5", codecs.BOM_UTF8),
    ("utf16le-bom-beats-header", JA, "utf-16-le", "text/html; charset=utf-8", None, codecs.BOM_UTF16_LE),
    ("cp1252-wrong-utf8-header", FR, "cp1252", "text/html; charset=utf-8", None, b""),
    ("cp1252-no-charset", FR, "cp1252", "text/html", None, b""),
]


@pytest.mark.parametrize("paragraphs, encoding, content_type, meta, bom", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_page_text_is_right_whatever_the_declarations(server, paragraphs, encoding, content_type, meta, bom):
    server.route("/policy", bom + page(paragraphs, meta).encode(encoding), content_type=content_type)
    with HttpClient(FAST) as client:
        fetched = fetch_page(client, Target("acme", "privacy", server.url("/policy")))
    text, _ = page_text(fetched, Target("acme", "privacy", server.url("/policy")))
    for paragraph in paragraphs:
        assert paragraph in text, f"decoded as {fetched.encoding}"
    assert "\ufffd" not in text and "\ufeff" not in text


def test_labels_map_as_browsers_do():
    assert canonical("GB2312") == canonical("gbk") == canonical("x-gbk") == "gb18030"
    assert canonical("big5") == "big5hkscs"
    assert canonical("Shift_JIS") == canonical("sjis") == "cp932"
    assert canonical("ISO-8859-1") == canonical("us-ascii") == "cp1252"
    assert canonical("no-such-charset") is None


def test_non_html_and_binary_bodies_are_decode_failures():
    with pytest.raises(DecodeError, match="application/pdf"):
        decode_html(b"%PDF-1.7", "application/pdf")
    with pytest.raises(DecodeError, match="binary data .text/html."):
        decode_html(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "text/html")


def test_decode_failure_is_classified_in_the_pipeline(server):
    from scrapers.failures import Failure
    server.route("/file.pdf", b"%PDF-1.7 binary", content_type="application/pdf")
    doc = Target("acme", "privacy", server.url("/file.pdf"))
    with HttpClient(FAST) as client, pytest.raises(Failure) as info:
        page_text(fetch_page(client, doc), doc)  # a PDF by its bytes, and a broken one
    assert info.value.kind == "decode" and "PDF cannot be read" in info.value.message
