"""`liftwatch codes`: stickers of a district named in Chinese, rotation, the export."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import psycopg
import pypdfium2 as pdfium
import pytest
import zxingcpp
from typer.testing import CliRunner

from liftwatch.cli import app
from public.errors import NoFont
from public.printing import find_cjk_font
from tests.browser.public_seed import seed_public
from tests.browser.seed import seed_fleet
from tests.fixtures.services import require

pytestmark = pytest.mark.integration
BASE = "https://lift.example.gz.cn"


def current_codes(url: str, district: str) -> dict[str, str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT p.code, e.code FROM public_codes p JOIN elevators e ON e.id = p.elevator_id"
            " WHERE p.retired_at IS NULL AND e.district = %s",
            (district,),
        ).fetchall()
    return {str(r[0]): str(r[1]) for r in rows}


def test_stickers_rotate_and_export(
    make_database: Callable[[], str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    try:
        find_cjk_font()
    except NoFont as exc:
        require(False, str(exc))
    url = make_database()
    fleet = seed_fleet(url)
    seed_public(url)
    monkeypatch.setenv("LIFTWATCH_DATABASE_URL", url)
    before = current_codes(url, "Tianhe")
    out = tmp_path / "stickers.pdf"
    runner = CliRunner()
    args = ["codes", "stickers", "--district", "天河区", "--out", str(out), "--base-url", BASE]
    done = runner.invoke(app, args)
    assert done.exit_code == 0, done.output
    after = current_codes(url, "Tianhe")
    tianhe = sum(1 for d in fleet.districts.values() if d == "Tianhe")
    assert len(after) == tianhe
    assert not set(after) & set(before)
    pdf = pdfium.PdfDocument(out.read_bytes())
    assert len(pdf) == -(-tianhe // 8)
    image = pdf[0].render(scale=200 / 72).to_pil()
    decoded = {r.text for r in zxingcpp.read_barcodes(image)}
    assert decoded == {f"{BASE}/e/{code}" for code in after}
    bad = runner.invoke(app, ["codes", "stickers", "--district", "Atlantis", "--out", str(out)])
    assert bad.exit_code != 0
    assert "unknown district" in bad.output
    exported = runner.invoke(app, ["codes", "export", "--format", "json"])
    assert exported.exit_code == 0, exported.output
    records = json.loads(exported.stdout)["elevators"]
    assert len(records) == len(fleet.elevators)
    assert "elevator_id" not in records[0]
