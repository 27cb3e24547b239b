"""A PDF policy's text, page by page, with bounds for hostile files.

pypdf is pure Python and reads what it is given: the bounds here keep one bad file from holding a run.
- size: the body is already capped by the HTTP client (HttpConfig.max_bytes); pypdf's own limits cap what
  a compressed stream may inflate to;
- pages: at most MAX_PAGES (a policy has tens; a file with thousands of pages is not one);
- time: the deadline is checked after every page, so a file whose pages are each slow to read is cut after
  at most MAX_SECONDS plus one page (pypdf cannot be interrupted inside one page's content stream); one
  page's content is at most MAX_PAGE_CONTENT bytes, which bounds that page's time;
- text: at most MAX_CHARS characters in all.
Every problem is a PdfError whose message says what is wrong with the file, for the document's Failure.

A PDF whose pages have no text at all is scanned images (no text layer): that is NoTextLayer, never an
empty version. Encrypted files are opened as readers open them: with the empty user password, which is how
"owner-password only" files (printing or copying restricted) are read; any other password is a failure.
"""

from __future__ import annotations

import io
import logging
import time

MAX_PAGES = 500
MAX_SECONDS = 20.0
MAX_CHARS = 2_000_000
MAX_PAGE_CONTENT = 1_000_000  # decoded content-stream bytes of one page: ~3 s of pypdf; a text page has ~30 KB

# pypdf reports every oddity of a damaged file on its logger; the Failure message says what matters.
logging.getLogger("pypdf").setLevel(logging.ERROR)


class PdfError(Exception):
    """The file is not a readable PDF (broken, encrypted, over a bound)."""


class NoTextLayer(PdfError):
    """Readable, but no page has text: scanned images."""


def pdf_text(data: bytes, clock=time.monotonic) -> str:
    """The text of every page, in order, pages separated by a blank line (not yet normalised)."""
    from pypdf import PdfReader  # imported on first need: most runs have no PDF
    from pypdf.errors import DependencyError, FileNotDecryptedError
    start = clock()
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise PdfError("the PDF is encrypted with a password; its text cannot be read")
        count = len(reader.pages)
        if count > MAX_PAGES:
            raise PdfError(f"the PDF has {count:,} pages; at most {MAX_PAGES:,} are read")
        pages, chars = [], 0
        for n, page in enumerate(reader.pages, 1):
            contents = page.get_contents()
            size = len(contents.get_data()) if contents is not None else 0
            if size > MAX_PAGE_CONTENT:
                raise PdfError(f"page {n} of the PDF draws {size:,} bytes of content; at most "
                               f"{MAX_PAGE_CONTENT:,} are read per page")
            text = page.extract_text() or ""
            chars += len(text)
            if chars > MAX_CHARS:
                raise PdfError(f"the PDF's text is over {MAX_CHARS:,} characters (at page {n} of {count})")
            pages.append(text)
            if clock() - start > MAX_SECONDS:
                raise PdfError(f"reading the PDF took over {MAX_SECONDS:g} s (stopped at page {n} of {count})")
    except PdfError:
        raise
    except DependencyError:
        raise PdfError("the PDF is encrypted with AES, which needs a cryptography library the watcher does "
                       "not install") from None
    except FileNotDecryptedError:
        raise PdfError("the PDF is encrypted with a password; its text cannot be read") from None
    except Exception as e:  # noqa: BLE001
        # A damaged or hostile file makes the parser fail in every way there is (its own errors, KeyError,
        # zlib.error, RecursionError, ...): each one means this file cannot be read, not a watcher bug.
        raise PdfError(f"the PDF cannot be read ({type(e).__name__}: {_short(e)})") from None
    if not any(p.strip() for p in pages):
        raise NoTextLayer(f"the PDF has no text layer: none of its {count} page(s) has text (scanned images?)")
    return "\n\n".join(p.strip("\n") for p in pages)


def _short(e: Exception, limit: int = 160) -> str:
    text = " ".join(str(e).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
