"""Small PDFs written by hand for the tests: text pages (Helvetica, one text line per paragraph), an
image-only page (a scanned document: no text layer), and an encrypted copy made with pypdf."""

from __future__ import annotations

import io
import zlib


def _string(text: str) -> str:
    return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def _document(objects: list[bytes], junk: bytes = b"") -> bytes:
    """A PDF from its objects (object n is objects[n - 1]; 1 is the catalog), with a correct xref table."""
    out = io.BytesIO()
    out.write(junk + b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(f"{n} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset - len(junk):010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref - len(junk)}\n%%EOF\n".encode())
    return out.getvalue()


def _stream(data: bytes, extra: str = "", compress: bool = True) -> bytes:
    if compress:
        data = zlib.compress(data)
        extra += " /Filter /FlateDecode"
    return f"<< /Length {len(data)}{extra} >>\nstream\n".encode() + data + b"\nendstream"


def text_pdf(pages: list[list[str]], junk: bytes = b"") -> bytes:
    """One page per list of paragraphs; each paragraph is one line of text."""
    n_pages = len(pages)
    font = 3 + 2 * n_pages  # catalog, page tree, then (page, content) per page, then the font
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(n_pages))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               f"<< /Type /Pages /Kids [{kids}] /Count {n_pages} >>".encode()]
    for i, paragraphs in enumerate(pages):
        ops = ["BT", "/F1 11 Tf", "14 TL", "72 760 Td"]
        for p in paragraphs:
            ops += [f"{_string(p)} Tj", "T*", "T*"]
        ops.append("ET")
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R "
                       f"/Resources << /Font << /F1 {font} 0 R >> >> >>".encode())
        objects.append(_stream("\n".join(ops).encode("latin-1")))
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    return _document(objects, junk)


def image_pdf(pages: int = 2) -> bytes:
    """Pages that only draw an image: what a scanner makes."""
    image = 3 + 2 * pages
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(pages))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode()]
    for i in range(pages):
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R "
                       f"/Resources << /XObject << /Im1 {image} 0 R >> >> >>".encode())
        objects.append(_stream(b"q 540 0 0 720 36 36 cm /Im1 Do Q"))
    pixels = bytes((x * 7 + y * 3) % 256 for y in range(16) for x in range(16))
    objects.append(_stream(pixels, " /Type /XObject /Subtype /Image /Width 16 /Height 16 /ColorSpace /DeviceGray "
                           "/BitsPerComponent 8"))
    return _document(objects)


def encrypted(pdf: bytes, user_password: str, owner_password: str = "owner-secret") -> bytes:
    """`pdf` encrypted with RC4 (no extra library needed): an empty user password opens it as readers do."""
    from pypdf import PdfReader, PdfWriter
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.encrypt(user_password, owner_password, algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
