"""What a fetched body is — an HTML page, a plain-text document or a PDF — and the text of the non-HTML ones.

The bytes decide before the Content-Type, as readers do: servers send PDFs as application/octet-stream,
text/html or with no type at all, and a PDF reader accepts junk before `%PDF-` within the first kilobyte.
Then the declared type: HTML and XML types are pages; every other `text/*` type is text, shown as a browser
shows text/plain (its `<privacy@example.test>` is words, not a tag; its lines and paragraphs are kept). A
missing or generic type (application/octet-stream) is text for a `.txt` URL, otherwise a page when the body
starts like markup and text when it does not. Known binary formats (images, archives, Office files) and
every other declared type are `decode` failures naming the type.

Raw snapshots keep what was fetched, so that re-extraction reads the same input: the page's decoded HTML
(`.html`), the decoded text (`.txt`), or the PDF's bytes (`.pdf`).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from scrapers.decode import DecodeError
from scrapers.normalise import clean_text
from scrapers.pdf import pdf_text

HTML, TEXT, PDF = "html", "text", "pdf"
RAW_EXT = {HTML: "html", TEXT: "txt", PDF: "pdf"}
PAGE_TYPES = {"text/html", "application/xhtml+xml", "application/xml", "text/xml"}
GENERIC_TYPES = {"", "application/octet-stream", "binary/octet-stream", "application/unknown",
                 "application/x-download", "application/download", "application/force-download"}
PDF_WINDOW = 1024
_PDF_MAGIC = re.compile(rb"%PDF-\d")
_MARKUP = re.compile(rb"^(?:\xef\xbb\xbf)?\s*<|<(?:!doctype|html|head|body|p|div|main|article|meta|title|h[1-6])\b",
                     re.IGNORECASE)
_SIGNATURES = [
    (b"\x89PNG\r\n\x1a\n", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"), (b"PK\x03\x04", "a ZIP archive (or an Office/EPUB document)"),
    (b"\x1f\x8b", "gzip data"), (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "a legacy Office document"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"), (b"Rar!\x1a\x07", "a RAR archive"), (b"\x7fELF", "an executable"),
    (b"wOFF", "a web font"), (b"wOF2", "a web font"), (b"BZh", "bzip2 data"), (b"\xfd7zXZ\x00", "xz data"),
]


def kind_of(body: bytes, content_type: str | None, url: str) -> str:
    """HTML, TEXT or PDF; a DecodeError naming the type for anything else."""
    head = body[:PDF_WINDOW]
    pdf = _PDF_MAGIC.search(head)
    if pdf and b"<" not in head[:pdf.start()]:  # junk before the header, but not an HTML page about PDFs
        return PDF
    mime = (content_type or "").split(";")[0].strip().lower()
    binary = _signature(body)
    if binary:
        raise DecodeError(f"the body is {binary}, not an HTML, text or PDF document "
                          f"(Content-Type: {mime or 'none'})")
    if mime in PAGE_TYPES:
        return HTML
    if mime.startswith("text/"):
        return TEXT
    if mime in GENERIC_TYPES:
        if urlsplit(url).path.lower().endswith(".txt"):
            return TEXT
        return HTML if _MARKUP.search(body[:PDF_WINDOW]) else TEXT
    raise DecodeError(f"not an HTML, text or PDF document (Content-Type: {mime})")


def _signature(body: bytes) -> str | None:
    for magic, name in _SIGNATURES:
        if body.startswith(magic):
            return name
    if body[:4] == b"RIFF" and body[8:12] in (b"WEBP", b"WAVE", b"AVI "):
        return "a RIFF media file"
    if body[4:8] == b"ftyp":
        return "an MP4/HEIF media file"
    return None


def document_text(kind: str, content: str | bytes) -> str:
    """The stored form of a plain-text or PDF document's text (pdf.PdfError for an unreadable PDF)."""
    if kind == PDF:
        return clean_text(pdf_text(content))
    return clean_text(content)


# --- raw snapshots -----------------------------------------------------------------------------------

def raw_of(page) -> tuple[str | bytes, str]:
    """(what to store as the page's raw snapshot, its file extension)."""
    return (page.raw if page.kind == PDF else page.html), RAW_EXT.get(page.kind, "html")


def save_raw(store, vendor: str, doc: str, page, time: str) -> str:
    content, ext = raw_of(page)
    return store.save_raw(vendor, doc, content, time, ext)


def read_raw(store, event: dict) -> tuple[str, str | bytes] | None:
    """(kind, content) of a version's raw snapshot, by its extension; None when it is missing."""
    name = str(event.get("raw") or "")
    if name.endswith(".pdf"):
        data = store.raw_bytes(event)
        return (PDF, data) if data is not None else None
    text = store.raw_html(event)
    if text is None:
        return None
    return (TEXT if name.endswith(".txt") else HTML), text


def same_raw(store, event: dict, page) -> bool:
    """The page is, byte for byte or character for character, the raw snapshot of `event`."""
    return read_raw(store, event) == (page.kind, raw_of(page)[0])
