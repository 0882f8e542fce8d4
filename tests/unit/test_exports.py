"""Reading real exports (liftwatch.exports): delimiter, decimal comma, cells, encodings."""

from __future__ import annotations

import math

import pytest

from liftwatch.exports import (
    ExportError,
    decode_bytes,
    parse_channel,
    parse_export,
    parse_number,
    parse_times,
    sniff_delimiter,
)


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["a,b,c", "1,2,3", "4,5,6"], ","),
        (["a;b;c", "1,5;2,25;3", "4;5,5;6"], ";"),  # decimal commas do not fool it
        (["a\tb", "1,5\t2;3", "4\t5"], "\t"),
        (['"x, y";b', '"1,2";3', "4;5"], ";"),  # quoted delimiters
        (["only", "1", "2"], ","),  # one column: any delimiter reads it
        (["a;b", "1;2", "3;4;5"], ";"),  # a ragged row is reported later, not guessed around
    ],
)
def test_sniff_delimiter(lines: list[str], expected: str) -> None:
    assert sniff_delimiter(lines) == expected


@pytest.mark.parametrize(
    ("cell", "decimal_comma", "expected"),
    [
        ("31.7", False, 31.7),
        (" -2e3 ", False, -2000.0),
        ("31,7", True, 31.7),
        ("1.234,5", True, 1234.5),
        ("1.234", True, 1.234),
        ("31,7", False, None),
        ("31. Jul", True, None),
        ("", True, None),
        ("N/A", False, None),
        ("#WERT!", True, None),
        ("nan", False, None),
        ("inf", False, None),
        ("1 234,5", True, 1234.5),
    ],
)
def test_parse_number(cell: str, decimal_comma: bool, expected: float | None) -> None:
    assert parse_number(cell, decimal_comma) == expected


def test_cells_are_counted_not_dropped() -> None:
    column = parse_channel("v", ["1,5", "", "N/A", "31. Jul", "2", "N/A", " "], True)
    assert (column.valid, column.empty, column.unreadable, column.invalid) == (2, 2, 3, 5)
    assert column.examples == ("N/A", "31. Jul")
    assert column.values[0] == 1.5
    assert math.isnan(column.values[1])


def test_time_formats() -> None:
    assert parse_times(["1772380800", "1772380860"]).tolist() == [1772380800000, 1772380860000]
    assert parse_times(["1772380800000"]).tolist() == [1772380800000]
    iso = parse_times(["2026-03-01T16:00:00Z", "2026-03-01 16:00:00"]).tolist()
    assert iso == [1772380800000, 1772380800000]
    assert parse_times(["01.03.2026 16:00"]).tolist() == [1772380800000]
    with pytest.raises(ExportError, match="row 2"):
        parse_times(["2026-03-01", "gestern"])


def test_encodings_and_binary() -> None:
    text = "时间;值\n1;2,5\n"
    assert decode_bytes(text.encode("utf-16"), "f") == text
    assert decode_bytes(text.encode("gb18030"), "f") == text
    assert decode_bytes(b"\xef\xbb\xbfa;b\n", "f") == "a;b\n"
    with pytest.raises(ExportError, match="binary"):
        decode_bytes(b"PK\x03\x04\x00\x00", "f")


def test_export_with_sep_line_text_column_and_row_time() -> None:
    export = parse_export("sep=;\nv;w;note\n1,5;2;a\n2,5;;b\n", "f", interval_s=0.5)
    assert export.delimiter == ";"
    assert export.decimal_comma
    assert export.ts_ms.tolist() == [0, 500]
    assert [c.name for c in export.channels] == ["v", "w"]
    assert export.channels[1].empty == 1
    assert export.ignored == {"note": "text: 0 of 2 non-empty cells are numbers"}


def test_no_time_column_needs_an_interval() -> None:
    with pytest.raises(ExportError, match="--interval"):
        parse_export("a;b\n1;2\n", "f")
    with pytest.raises(ExportError, match="positive"):
        parse_export("a;b\n1;2\n", "f", interval_s=0)
