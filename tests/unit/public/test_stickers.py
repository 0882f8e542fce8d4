"""Stickers: the SVG and the PDF sheet; a rendered PDF page's QR codes decode to the
elevators' page URLs (pypdfium2 renders, zxing-cpp decodes)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import zxingcpp

from public.errors import NoFont
from public.model import StickerRow
from public.printing import SheetLayout, find_cjk_font, sticker_svg, stickers_pdf
from tests.fixtures.services import require

BASE = "https://lift.example.gz.cn"


def rows(n: int) -> list[StickerRow]:
    return [
        StickerRow(i, f"440{i:07d}", "天河区", f"天河路 {i} 号", "020-80000001", f"code{i:08d}")
        for i in range(1, n + 1)
    ]


def cjk_font() -> Path:
    try:
        return find_cjk_font()
    except NoFont as exc:
        require(False, str(exc))
        raise


def test_svg_sticker_carries_the_fields() -> None:
    svg = sticker_svg(rows(1)[0], BASE)
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    text = "".join(root.itertext())
    for expected in ("96333", "4400000001", "020-80000001"):
        assert expected in text


def test_missing_font_is_a_clear_error() -> None:
    with pytest.raises(NoFont, match="does not exist"):
        find_cjk_font("/nonexistent/font.ttc")


def test_pdf_page_qr_codes_decode_to_the_page_urls() -> None:
    font = cjk_font()
    layout = SheetLayout()
    data, pages = stickers_pdf(rows(10), BASE, font, layout)
    assert pages == 2  # 8 per page
    page = pdfium.PdfDocument(data)[0]
    image = page.render(scale=200 / 72).to_pil()
    decoded = {r.text for r in zxingcpp.read_barcodes(image)}
    expected = {f"{BASE}/e/code{i:08d}" for i in range(1, layout.per_page + 1)}
    assert decoded == expected
    text = page.get_textpage().get_text_range()
    assert "96333" in text
    assert "4400000001" in text
    assert "注册代码" in text
