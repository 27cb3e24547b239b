"""Bytes of a fetched page -> its text.

The rule, in order (each step only when the earlier ones did not decide):
1. a byte-order mark (UTF-8, UTF-16) decides: it is written by whoever wrote the bytes, while a header is
   often a server default (the HTML standard also puts the BOM first);
2. bytes that contain non-ASCII and are valid UTF-8 are UTF-8, whatever is declared: text in a legacy
   encoding (GBK, Big5, Shift_JIS, Latin-1) practically never forms valid UTF-8 by accident, while a
   server or template that declares a stale charset for UTF-8 bytes is common;
3. declared encodings, header first, then <meta> (first 8 KB, `<meta charset>` or http-equiv): the first
   one whose *strict* decode succeeds. When header and <meta> both decode strictly but differ, the
   detector picks between the two. A declaration whose strict decode fails is wrong and falls through;
4. a "weak" declaration — ISO-8859-1, US-ASCII or windows-1252, the usual server default that also
   decodes almost any bytes — is used only after the detector (charset-normalizer) has been asked
   whether the bytes are really a multi-byte encoding (GBK, Big5, Shift_JIS, EUC-KR, ...);
5. otherwise the detector; if it finds no encoding the page is a decode failure.

Control characters (C0 and C1, except tab, line feed and carriage return) are removed from a decoded
text that holds a NUL: they are invisible, parsers treat them inconsistently (lxml makes a NUL a visible
U+FFFD), and a template that leaks a NUL must not read as a change. A body is refused as binary only when such bytes are frequent (BINARY_SHARE of the
first 8 KB): a few stray NULs are a broken template, not an image.

Labels follow the WHATWG Encoding Standard, which browsers implement: gb2312/gbk are decoded as
gb18030 (its superset), big5 as Big5-HKSCS, shift_jis as windows-31j (cp932), iso-8859-1 and ascii as
windows-1252, euc-kr as windows-949. When the detector can only say "some single-byte Western code
page", windows-1252 is preferred (see _detect).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

import charset_normalizer

_ALIASES = {
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030", "chinese": "gb18030",
    "csgb2312": "gb18030", "iso-ir-58": "gb18030", "gb18030": "gb18030", "cp936": "gb18030",
    "big5": "big5hkscs", "big5-hkscs": "big5hkscs", "cn-big5": "big5hkscs", "x-x-big5": "big5hkscs",
    "csbig5": "big5hkscs", "cp950": "big5hkscs",
    "shift_jis": "cp932", "shift-jis": "cp932", "sjis": "cp932", "x-sjis": "cp932", "ms_kanji": "cp932",
    "csshiftjis": "cp932", "windows-31j": "cp932", "ms932": "cp932", "cp932": "cp932",
    "euc-kr": "cp949", "ks_c_5601-1987": "cp949", "windows-949": "cp949", "cp949": "cp949",
    "iso-8859-1": "cp1252", "iso8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252", "l1": "cp1252",
    "us-ascii": "cp1252", "ascii": "cp1252", "windows-1252": "cp1252", "cp1252": "cp1252",
    "iso-8859-9": "cp1254", "tis-620": "cp874", "iso-8859-11": "cp874",
    "utf8": "utf-8", "utf-8": "utf-8", "unicode-1-1-utf-8": "utf-8",
}
_WEAK = {"cp1252"}
_MULTIBYTE = {"gb18030", "big5hkscs", "cp932", "cp949", "euc_jp", "iso2022_jp", "utf-8", "utf_16", "utf-16",
              "utf_16_le", "utf_16_be", "euc_kr", "hz", "iso2022_kr"}
_BOMS = [(codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")]
_META = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_CT_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
PRESCAN_BYTES = 8192
CHAOS_MARGIN = 0.15
TEXT_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "application/xml", "text/xml")
BINARY_SHARE = 0.05
_CONTROL_BYTES = bytes(b for b in range(32) if b not in b"\t\n\r\f") + b"\x7f"
_CONTROLS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


class DecodeError(Exception):
    pass


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # the Python codec used
    source: str    # what decided it: bom, utf-8, http, meta, detector


def canonical(label: str | None) -> str | None:
    """The codec a browser would use for a charset label, or None for an unknown label."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    if label in _ALIASES:
        return _ALIASES[label]
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return _ALIASES.get(name.replace("_", "-"), name)


def header_charset(content_type: str | None) -> str | None:
    m = _CT_CHARSET.search(content_type or "")
    return m.group(1) if m else None


def meta_charset(body: bytes) -> str | None:
    head = body[:PRESCAN_BYTES]
    m = _XML_DECL.search(head) or _META.search(head)
    return m.group(1).decode("ascii", "replace") if m else None


def decode_html(body: bytes, content_type: str | None = None) -> Decoded:
    mime = (content_type or "").split(";")[0].strip().lower()
    if mime and mime not in TEXT_TYPES:
        raise DecodeError(f"not an HTML page (Content-Type: {mime})")
    return decode_text(body, content_type)


def decode_text(body: bytes, content_type: str | None = None) -> Decoded:
    """The text of an HTML or plain-text body, by the rule of the module docstring, without control
    characters."""
    decoded = _decode(body, content_type)
    # Only a NUL needs removing before parsing (lxml turns it into U+FFFD, a visible change; it drops the
    # other controls, and scrapers.normalise removes what is left). A one-character search is cheap; a
    # regex over every page was not (~5% of a large page's extraction).
    if "\x00" in decoded.text:
        return Decoded(_CONTROLS.sub("", decoded.text), decoded.encoding, decoded.source)
    return decoded


def _decode(body: bytes, content_type: str | None) -> Decoded:
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return Decoded(body[len(bom):].decode(encoding, "replace"), encoding, "bom")
    head = body[:PRESCAN_BYTES]
    if b"\x00" in head and len(head.translate(None, _CONTROL_BYTES)) < (1 - BINARY_SHARE) * len(head):
        mime = (content_type or "").split(";")[0].strip().lower() or "no Content-Type"
        raise DecodeError(f"the body is binary data ({mime}), or UTF-16 without a byte-order mark: "
                          f"over {BINARY_SHARE:.0%} of its first bytes are control bytes")
    header = canonical(header_charset(content_type))
    meta = canonical(meta_charset(body))
    if body.isascii():
        return Decoded(body.decode("ascii"), "ascii", "ascii")
    declared = [(e, s) for e, s in ((header, "http"), (meta, "meta")) if e]
    if _is_utf8(body):
        return Decoded(body.decode("utf-8"), "utf-8", "utf-8")
    strong = [(e, s) for e, s in declared if e not in _WEAK and _strict(body, e) is not None]
    if len(strong) == 2 and strong[0][0] != strong[1][0]:
        chosen = _detect(body, [strong[0][0], strong[1][0]])
        strong.sort(key=lambda es: es[0] != chosen)
    if strong:
        encoding, source = strong[0]
        return Decoded(_strict(body, encoding), encoding, source)
    weak = [(e, s) for e, s in declared if e in _WEAK]
    guess = _detect(body)
    if weak and (guess is None or guess not in _MULTIBYTE):
        encoding, source = weak[0]
        return Decoded(body.decode(encoding, "replace"), encoding, source)
    if guess is None:
        raise DecodeError("no declared charset fits the bytes and the detector found none")
    text = _strict(body, guess)
    return Decoded(text if text is not None else body.decode(guess, "replace"), guess, "detector")


def _is_utf8(body: bytes) -> bool:
    return _strict(body, "utf-8") is not None


def _strict(body: bytes, encoding: str) -> str | None:
    try:
        return body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _detect(body: bytes, only: list[str] | None = None) -> str | None:
    results = charset_normalizer.from_bytes(body, cp_isolation=only) if only else \
        charset_normalizer.from_bytes(body)
    best = results.best()
    if best is None:
        return None
    encoding = canonical(best.encoding)
    if encoding not in _MULTIBYTE:
        # Among single-byte code pages the detector often cannot tell Western European text apart
        # (cp1257 or cp775 for French): prefer windows-1252, by far the most used, when it fits about as
        # well. Cyrillic or Greek text decoded as windows-1252 is a mess and loses this tie-break.
        western = [m for m in results if canonical(m.encoding) == "cp1252"]
        if western and western[0].chaos <= best.chaos + CHAOS_MARGIN:
            return "cp1252"
    return encoding
