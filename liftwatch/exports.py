"""Reading real exports of channels (CSV from loggers, spreadsheets, SCADA) for
``liftwatch analyze``: the file I/O and parsing; the analysis itself is pure
(:mod:`analytics.anomaly`, :mod:`analytics.changepoints`).

- **Encoding**: UTF-8 (with or without BOM), UTF-16 with BOM (spreadsheet "Unicode
  text"), else GB18030 (Chinese spreadsheet default). A file with NUL bytes or many
  control characters is binary and refused.
- **Delimiter**: an Excel ``sep=X`` first line wins; else, of tab, ``;`` and ``,`` (in that
  order on a tie), the one that splits the header into the most fields while at least
  90 % of the first 200 data rows have the header's field count (:func:`sniff_delimiter`;
  not ``csv.Sniffer``, which raises on a one-column file).
- **Decimal comma**: when the delimiter is not ``,`` and a cell looks like ``31,7``, commas
  are decimal marks and ``1.234,5``-style dots are thousands separators.
- **Time**: a column named like a timestamp (or ``--time-column``): epoch seconds or
  milliseconds, ISO 8601 or day-first dotted dates (``31.07.2025 14:05``); without one,
  the row number times ``interval_s`` seconds (when given).
- **Cells**: a cell that is not a finite number (``""``, ``N/A``, ``#WERT!``, a number that a
  spreadsheet turned into a date, ``31. Jul``) is missing (NaN) and **counted per
  channel** (empty and unreadable apart, with a few examples). A column is a channel
  when at least half of its non-empty cells are numbers; the other columns are listed
  as ignored, with the reason.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt

TIME_NAMES = (
    "ts", "timestamp", "time", "datetime", "date", "ts_ms", "t",
    "zeit", "zeitstempel", "datum", "时间", "时间戳", "日期",
)  # fmt: skip
DELIMITERS = ("\t", ";", ",")
SAMPLE_ROWS = 200
CONSISTENT_SHARE = 0.9
NUMBER_SHARE = 0.5
EXAMPLES = 3
DECIMAL_COMMA_CELL = re.compile(r"^[+-]?\d+,\d+$")
THOUSANDS_DOTS = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+(,\d*)?$")
DOTTED_FORMATS = ("%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y")


class ExportError(ValueError):
    """The export cannot be analysed (the message says why, in one line)."""


@dataclass(frozen=True)
class ChannelColumn:
    name: str
    values: npt.NDArray[np.float64]  # NaN where the cell was empty or unreadable
    valid: int
    empty: int
    unreadable: int
    examples: tuple[str, ...]  # a few distinct unreadable cells, as written

    @property
    def invalid(self) -> int:
        return self.empty + self.unreadable


@dataclass(frozen=True)
class Export:
    rows: int
    delimiter: str
    decimal_comma: bool
    time_source: str  # "column NAME" or "row number x N s"
    ts_ms: npt.NDArray[np.int64]
    channels: list[ChannelColumn]
    ignored: dict[str, str]  # column -> why it is no channel


def decode_bytes(raw: bytes, name: str) -> str:
    """The text of an export (see the module docstring), or :class:`ExportError`."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = raw.decode("utf-16")
    elif b"\x00" in raw[:65536]:
        raise ExportError(f"{name} is a binary file, not a text export")
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = raw.decode("gb18030")
            except UnicodeDecodeError as e:
                raise ExportError(f"{name} is neither UTF-8, UTF-16 nor GB18030 text") from e
    sample = text[:65536]
    controls = sum(1 for c in sample if ord(c) < 32 and c not in "\t\r\n")
    if controls > 0.01 * max(1, len(sample)):
        raise ExportError(f"{name} is a binary file, not a text export")
    return text


def sniff_delimiter(lines: list[str]) -> str:
    """The delimiter of ``lines`` (header first), by the rule in the module docstring;
    when no candidate splits the rows consistently, the one splitting the header most
    (so that a ragged row is then reported as such)."""
    scores: list[tuple[bool, int, str]] = []
    for delimiter in DELIMITERS:
        rows = [r for r in csv.reader(lines[: SAMPLE_ROWS + 1], delimiter=delimiter) if r]
        if not rows:
            continue
        fields = len(rows[0])
        data = rows[1:]
        consistent = sum(len(r) == fields for r in data) >= CONSISTENT_SHARE * len(data)
        scores.append((consistent and fields > 1, fields, delimiter))
    best = ",", 1
    for wanted in (True, False):
        for good, fields, delimiter in scores:
            if good == wanted and fields > best[1]:
                best = delimiter, fields
        if best[1] > 1:
            return best[0]
    return best[0]


def _split(text: str) -> tuple[str, list[list[str]]]:
    lines = text.splitlines()
    if lines and lines[0].strip().lower().startswith("sep=") and len(lines[0].strip()) == 5:
        delimiter, lines = lines[0].strip()[4], lines[1:]
    else:
        delimiter = sniff_delimiter([ln for ln in lines[: SAMPLE_ROWS + 1] if ln.strip()])
    try:
        rows = list(csv.reader(lines, delimiter=delimiter))
    except csv.Error as e:
        raise ExportError(f"not a valid delimited file: {e}") from e
    return delimiter, [r for r in rows if any(c.strip() for c in r)]


def _uses_decimal_comma(delimiter: str, data: list[list[str]]) -> bool:
    if delimiter == ",":
        return False
    return any(DECIMAL_COMMA_CELL.match(c.strip()) for r in data[:SAMPLE_ROWS] for c in r)


def parse_number(cell: str, decimal_comma: bool) -> float | None:
    """The finite number in ``cell``, or None (empty, text, NaN, infinity)."""
    text = cell.strip().replace("\u00a0", "").replace(" ", "")
    if decimal_comma and "," in text:
        if THOUSANDS_DOTS.match(text):
            text = text.replace(".", "")
        text = text.replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value - value == 0.0 else None  # NaN and infinities are no values


def parse_channel(name: str, cells: list[str], decimal_comma: bool) -> ChannelColumn:
    """One column's values with its empty and unreadable cells counted."""
    values = np.full(len(cells), np.nan)
    empty = unreadable = 0
    examples: list[str] = []
    for i, cell in enumerate(cells):
        value = parse_number(cell, decimal_comma)
        if value is not None:
            values[i] = value
        elif not cell.strip():
            empty += 1
        else:
            unreadable += 1
            if len(examples) < EXAMPLES and cell.strip() not in examples:
                examples.append(cell.strip())
    valid = len(cells) - empty - unreadable
    return ChannelColumn(name, values, valid, empty, unreadable, tuple(examples))


def _parse_dotted(value: str) -> datetime:
    for fmt in DOTTED_FORMATS:
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    raise ValueError(value)


def parse_times(values: list[str]) -> npt.NDArray[np.int64]:
    """Epoch ms from epoch seconds or milliseconds, ISO 8601 or dotted day-first dates
    (UTC when no zone is given)."""
    numbers = [parse_number(v, False) for v in values]
    if all(n is not None for n in numbers):
        nums = np.array(numbers, dtype=np.float64)
        scale = 1.0 if np.nanmax(np.abs(nums)) > 1e11 else 1000.0  # ms vs s
        return (nums * scale).astype(np.int64)
    out = np.empty(len(values), np.int64)
    for i, v in enumerate(values):
        text = v.strip()
        try:
            dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            try:
                dt = _parse_dotted(text)
            except ValueError:
                raise ExportError(f"data row {i + 1}: cannot read timestamp {v!r}") from None
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        out[i] = int(dt.timestamp() * 1000)
    return out


def _time_column(header: list[str], wanted: str | None) -> int | None:
    if wanted is not None:
        if wanted not in header:
            raise ExportError(f"no column named {wanted!r}")
        return header.index(wanted)
    lower = [h.lower() for h in header]
    return next((lower.index(n) for n in TIME_NAMES if n in lower), None)


def _times(
    header: list[str], data: list[list[str]], time_column: str | None, interval_s: float | None
) -> tuple[int | None, npt.NDArray[np.int64], str]:
    ti = _time_column(header, time_column)
    if ti is not None:
        return ti, parse_times([r[ti] for r in data]), f"column {header[ti]}"
    if interval_s is None:
        raise ExportError(
            f"no timestamp column (name one of {', '.join(TIME_NAMES)}, or give --time-column);"
            " give --interval SECONDS to use the row number as time"
        )
    if not interval_s > 0:
        raise ExportError("--interval must be a positive number of seconds")
    ts = np.round(np.arange(len(data)) * interval_s * 1000.0).astype(np.int64)
    return None, ts, f"row number x {interval_s:g} s"


def _channels(
    header: list[str], data: list[list[str]], skip: int | None, decimal_comma: bool
) -> tuple[list[ChannelColumn], dict[str, str]]:
    channels: list[ChannelColumn] = []
    ignored: dict[str, str] = {}
    for j, name in enumerate(header):
        if j == skip:
            continue
        label = name or f"column {j + 1}"
        column = parse_channel(label, [r[j] for r in data], decimal_comma)
        filled = column.valid + column.unreadable
        if column.valid == 0 and filled == 0:
            ignored[label] = "empty"
        elif column.valid < NUMBER_SHARE * filled:
            ignored[label] = f"text: {column.valid} of {filled} non-empty cells are numbers"
        else:
            channels.append(column)
    return channels, ignored


def parse_export(
    text: str, name: str, time_column: str | None = None, interval_s: float | None = None
) -> Export:
    """An export's channels from its text (see the module docstring)."""
    if not text.strip():
        raise ExportError(f"{name} is empty")
    delimiter, rows = _split(text)
    if len(rows) < 2:
        raise ExportError(f"{name}: need a header row and at least one data row")
    header = [h.strip() for h in rows[0]]
    data = rows[1:]
    bad = next((i for i, r in enumerate(data) if len(r) != len(header)), None)
    if bad is not None:
        raise ExportError(
            f"{name}: data row {bad + 1} has {len(data[bad])} fields, header has {len(header)}"
        )
    decimal_comma = _uses_decimal_comma(delimiter, data)
    try:
        ti, ts, source = _times(header, data, time_column, interval_s)
    except ExportError as e:
        raise ExportError(f"{name}: {e}") from None
    channels, ignored = _channels(header, data, ti, decimal_comma)
    if not channels:
        raise ExportError(f"{name}: no numeric channel ({len(ignored)} columns are text or empty)")
    return Export(len(data), delimiter, decimal_comma, source, ts, channels, ignored)


def read_export(
    path: Path, time_column: str | None = None, interval_s: float | None = None
) -> Export:
    """Read and parse the export at ``path``; :class:`ExportError` when it cannot be."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise ExportError(f"cannot read {path}: {e.strerror or e}") from e
    return parse_export(decode_bytes(raw, str(path)), str(path), time_column, interval_s)
