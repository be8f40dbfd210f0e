"""A small PDF writer for documents made of lines of text: an e-statement, a slip.

A4 pages, the PDF standard fonts (Helvetica and Courier, in every reader: nothing embedded), text
encoded as WinAnsi (Indonesian needs nothing beyond it; any other character becomes ``?``).
Courier lines make columns that align: a statement's amounts are right-aligned by padding.
A line that would fall below the bottom margin starts a new page; every page is numbered
("Halaman 1 dari 2") in its footer. The output follows PDF 1.4: a header, one object per
dictionary or stream, the cross-reference table with each object's byte offset, the trailer.
"""

from __future__ import annotations

from typing import Literal

import attrs

#: A4 in points (1/72 inch), and the margins.
WIDTH, HEIGHT, MARGIN = 595, 842, 48
FONTS = {"sans": "Helvetica", "bold": "Helvetica-Bold", "mono": "Courier",
         "mono-bold": "Courier-Bold"}
Font = Literal["sans", "bold", "mono", "mono-bold"]
#: Courier's glyphs are 600/1000 of the size wide: characters per line at a size.
MONO_ADVANCE = 600


def mono_columns(size: int) -> int:
    """How many Courier characters fit between the margins at ``size`` points."""
    return (WIDTH - 2 * MARGIN) * 1000 // (MONO_ADVANCE * size)


@attrs.frozen
class Line:
    text: str
    font: Font = "sans"
    size: int = 10


def _escaped(text: str) -> bytes:
    raw = text.encode("cp1252", errors="replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


@attrs.define
class Document:
    """Lines added in order, laid out on pages by :meth:`render`."""

    title: str
    footer: str = ""
    lines: list[Line] = attrs.field(factory=list)

    def add(self, text: str = "", *, font: Font = "sans", size: int = 10) -> None:
        self.lines.append(Line(text, font, size))

    def _pages(self) -> list[list[tuple[int, Line]]]:
        """The lines of each page with their baseline (points from the bottom)."""
        pages: list[list[tuple[int, Line]]] = [[]]
        y = HEIGHT - MARGIN
        for line in self.lines:
            leading = line.size * 14 // 10
            if y - leading < MARGIN + 20 and pages[-1]:
                pages.append([])
                y = HEIGHT - MARGIN
            y -= leading
            pages[-1].append((y, line))
        return pages

    def render(self) -> bytes:
        pages = self._pages()
        font_ids = {name: 3 + i for i, name in enumerate(FONTS)}
        first_page = 3 + len(FONTS)
        objects: list[bytes] = [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [" + b" ".join(
                f"{first_page + 2 * i} 0 R".encode() for i in range(len(pages)))
            + f"] /Count {len(pages)} >>".encode(),
            *(f"<< /Type /Font /Subtype /Type1 /BaseFont /{base} "
              f"/Encoding /WinAnsiEncoding >>".encode() for base in FONTS.values()),
        ]
        resources = b"<< /Font << " + b" ".join(
            f"/F{i} {font_ids[name]} 0 R".encode() for i, name in enumerate(FONTS)) + b" >> >>"
        index = {name: i for i, name in enumerate(FONTS)}
        for number, page in enumerate(pages, start=1):
            ops = [b"BT"]
            for y, line in page:
                ops.append(f"/F{index[line.font]} {line.size} Tf 1 0 0 1 {MARGIN} {y} Tm "
                           .encode() + b"(" + _escaped(line.text) + b") Tj")
            footer = f"{self.footer}    Halaman {number} dari {len(pages)}".strip()
            ops.append(f"/F0 8 Tf 1 0 0 1 {MARGIN} {MARGIN - 16} Tm ".encode()
                       + b"(" + _escaped(footer) + b") Tj")
            ops.append(b"ET")
            stream = b"\n".join(ops)
            objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {WIDTH} {HEIGHT}] "
                           f"/Contents {first_page + 2 * number - 1} 0 R /Resources "
                           .encode() + resources + b" >>")
            objects.append(f"<< /Length {len(stream)} >>\nstream\n".encode() + stream
                           + b"\nendstream")
        objects.append(b"<< /Title (" + _escaped(self.title) + b") /Producer (kopcore) >>")
        out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(objects, start=1):
            offsets.append(len(out))
            out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
        xref = len(out)
        out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
        out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
        out += (f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info {len(objects)} 0 R "
                f">>\nstartxref\n{xref}\n%%EOF\n").encode()
        return bytes(out)
