"""QR stickers: one SVG per elevator (for the API) and a printable PDF sheet (for the CLI).

segno makes the QR codes, fpdf2 lays out the PDF; a CJK font is needed for the Chinese
text (Debian ``fonts-wqy-microhei`` or ``fonts-noto-cjk``), found at run time.
"""

from __future__ import annotations

import io
import logging
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import segno
from fpdf import FPDF

from public.errors import NoFont
from public.model import HOTLINE, StickerRow
from public.policy import page_url

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)
TITLE = "电梯安全信息 · Elevator safety information"
SCAN = "扫码查看维保、检验信息，报告困人或故障"
SCAN_EN = "Scan: maintenance, inspection; report entrapment or fault"


def find_cjk_font(explicit: str | None = None) -> Path:
    """The font file for Chinese text: ``explicit``, a known Debian path, or fc-match."""
    if explicit:
        path = Path(explicit)
        if path.is_file():
            return path
        raise NoFont(f"font file {explicit} does not exist")
    for candidate in FONT_CANDIDATES:
        if Path(candidate).is_file():
            return Path(candidate)
    found = _fc_match()
    if found is not None:
        return found
    raise NoFont(
        "no CJK font found for the stickers' Chinese text: install Debian's"
        " fonts-wqy-microhei (or fonts-noto-cjk), or pass --font FILE"
    )


def _fc_match() -> Path | None:
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return None
    result = subprocess.run(
        [fc_match, "-f", "%{file}", ":lang=zh-cn"], capture_output=True, text=True, check=False
    )
    path = Path(result.stdout.strip())
    if (
        result.returncode == 0
        and path.suffix.lower() in (".ttc", ".ttf", ".otf")
        and path.is_file()
    ):
        return path
    return None


def qr_for(row: StickerRow, base_url: str) -> segno.QRCode:
    return segno.make_qr(page_url(base_url, row.code), error="m")


def sticker_svg(row: StickerRow, base_url: str) -> str:
    """A 60 x 90 mm sticker: title, QR code, registration code, 96333, company's phone."""
    url = page_url(base_url, row.code)
    qr = segno.make_qr(url, error="m").svg_inline(scale=1, border=2, omitsize=True)
    lines = [
        (8, 11, 4.2, "bold", "电梯应急救援 " + HOTLINE),
        (8, 16, 2.6, "normal", "Elevator emergency rescue"),
        (8, 76, 3.0, "normal", f"注册代码 Reg. code {row.registration_code}"),
        (8, 81, 3.0, "normal", f"维保24小时 Maintenance 24h {row.company_phone}"),
        (8, 86, 2.4, "normal", SCAN_EN),
    ]
    texts = "".join(
        f'<text x="{x}" y="{y}" font-size="{size}" font-weight="{weight}">{escape(text)}</text>'
        for x, y, size, weight, text in lines
    )
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="60mm" height="90mm"'
        ' viewBox="0 0 60 90" font-family="sans-serif">'
        '<rect x="0.5" y="0.5" width="59" height="89" rx="3" fill="#fff" stroke="#c00"/>'
        f'<svg x="8" y="19" width="44" height="44">{qr}</svg>'
        f'<text x="30" y="67" font-size="2.8" text-anchor="middle">{escape(SCAN)}</text>'
        f'<text x="30" y="71" font-size="2" text-anchor="middle">{escape(url)}</text>'
        f"{texts}</svg>"
    )


@dataclass(frozen=True)
class SheetLayout:
    """A4 portrait, 2 x 4 stickers of 90 x 65 mm."""

    columns: int = 2
    rows: int = 4
    width: float = 90.0
    height: float = 65.0
    margin_x: float = 12.0
    margin_y: float = 14.0
    gap: float = 6.0

    @property
    def per_page(self) -> int:
        return self.columns * self.rows


def stickers_pdf(
    rows: Iterable[StickerRow], base_url: str, font: Path, layout: SheetLayout | None = None
) -> tuple[bytes, int]:
    """The PDF of all stickers and its number of pages."""
    layout = layout or SheetLayout()
    logging.getLogger("fontTools").setLevel(logging.WARNING)  # one line per subset table
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_font("cjk", fname=str(font))
    pdf.set_title("liftwatch QR stickers")
    for index, row in enumerate(rows):
        slot = index % layout.per_page
        if slot == 0:
            pdf.add_page()
        x = layout.margin_x + (slot % layout.columns) * (layout.width + layout.gap)
        y = layout.margin_y + (slot // layout.columns) * (layout.height + layout.gap)
        _draw_sticker(pdf, row, base_url, x, y, layout)
    return bytes(pdf.output()), pdf.pages_count


def _draw_sticker(
    pdf: FPDF, row: StickerRow, base_url: str, x: float, y: float, layout: SheetLayout
) -> None:
    pdf.set_draw_color(204, 0, 0)
    pdf.rect(x, y, layout.width, layout.height, round_corners=True, corner_radius=3)
    png = io.BytesIO()
    qr_for(row, base_url).save(png, kind="png", scale=6, border=2)
    qr_side = layout.height - 8
    pdf.image(png, x=x + 3, y=y + 4, w=qr_side, h=qr_side)
    text_x, width = x + qr_side + 5, layout.width - qr_side - 7
    pdf.set_text_color(204, 0, 0)
    pdf.set_font("cjk", size=15)
    pdf.set_xy(text_x, y + 5)
    pdf.cell(width, 7, "困梯救援 " + HOTLINE)
    pdf.set_text_color(0, 0, 0)
    body = [
        (7.0, "Elevator emergency rescue"),
        (7.5, "注册代码 Registration code"),
        (9.5, row.registration_code),
        (7.5, "维保单位24小时电话"),
        (7.0, "Maintenance 24-h phone"),
        (9.5, row.company_phone or "-"),
        (6.5, "扫码查看安全信息 Scan for safety info"),
    ]
    line_y = y + 14
    for size, text in body:
        pdf.set_font("cjk", size=size)
        pdf.set_xy(text_x, line_y)
        pdf.cell(width, 5, text)
        line_y += 6.2
