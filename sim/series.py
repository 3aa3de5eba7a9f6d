"""Dated arrivals: a table of arrivals by date, entry node and origin, as UNHCR and IOM DTM publish
them (daily, weekly or monthly), read from the file a scenario names (`arrivals.series`).

The file is CSV (UTF-8; lines starting with `#` are comments, where the source is cited), with a
header naming the columns `date, period, entry, origin, count` in any order, or Parquet (a file
ending .parquet or .pq, with those columns: dates as dates or text, counts as numbers or text;
problems are named by row, counted from 1):

- `date`: the first day of the period, `YYYY-MM-DD` (a month may be written `YYYY-MM`);
- `period`: `day`, `week` (7 days from the date) or `month` (the calendar month; the date must be
  its first day);
- `entry`: an entry node of the scenario (`arrivals.entry`);
- `origin`: an origin of the scenario, or `all` for the entry's origin mix (`arrivals.origins`, or
  `origins_by_entry`);
- `count`: arrivals in the period (a number >= 0), people or registrations as the scenario's
  `arrivals.series.counts` says. Registrations count a person once in each country that registers
  them (IOM DTM's "registrations on arrival"): they become people through the same conversion as
  `registrations_per_year` (sim.flows.registrations_per_person).

Interpolation: a period's count is spread evenly over its days (a month's total over the days of
that month, a week's over 7 days), so the mean arrivals of each day are the count over the
period's length; the run draws its travel groups around that mean (Poisson, sim.arrivals), so a
period's arrivals in a run match the file up to that noise. Day 0 is the scenario's `start_date`:
the days of a period that starts before it are dropped. Each entry the series names takes its
arrivals from the series from the first day of its first period to the last day of its last
period (its periods must leave no gap); before and after, and at entries the series does not
name, arrivals follow the yearly figure x seasonality as without a series.

Refused, with the file, the line and the column: a missing or unknown column, a row with too few
or too many cells, a date that is not a date, a month not starting on its first day, an unknown
period, entry or origin, a count that is not a number or is negative, a row ending before the run
starts or starting after its longest possible end, the same row twice, two rows covering the same
days of one entry and origin, and a gap in an entry's periods.
"""

import calendar
import csv
import hashlib
import math
import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from sim.errors import ConfigError, Problem
from sim.fields import MAX_COUNT, MAX_DAYS
from sim.inputs import InputFile, decoded, read_bytes

COLUMNS = ("date", "period", "entry", "origin", "count")
PERIODS = ("day", "week", "month")
ALL_ORIGINS = "all"
PARQUET_SUFFIXES = (".parquet", ".pq")  # any other file is read as CSV
MAX_PROBLEMS = 50  # a file broken throughout is reported by its first problems


@dataclass(frozen=True)
class Row:
    line: int
    first: date
    days: int
    entry: str
    origin: str
    count: float

    @property
    def last(self) -> date:
        return self.first + timedelta(days=self.days - 1)


@dataclass(frozen=True)
class ArrivalSeries:
    """A series read and checked: per entry it covers, the mean arrivals of each day from day 0 of
    the run, by origin (the last column: `all`, shared out by the entry's origin mix), in the
    file's units (`counts`)."""

    file: str
    counts: str  # people | registrations
    entries: tuple[str, ...]  # the entry nodes the series covers, in the order of arrivals.entry
    origins: tuple[str, ...]  # the scenario's origins, in its order
    first_day: np.ndarray  # int64 [entry]: first day of the run the series covers (0 or later)
    end_day: np.ndarray  # int64 [entry]: the day after the last it covers
    daily: np.ndarray  # float64 [entry, origin + 1, day]: mean arrivals a day

    def covers(self, entry: int, day: int) -> bool:
        return self.first_day[entry] <= day < self.end_day[entry]

    def period_totals(self, start: date) -> dict[tuple[str, str], float]:
        """(entry, YYYY-MM) -> the file's arrivals in that calendar month within the run (what a
        run's arrivals per month at the entries should match)."""
        totals = {}
        for e, entry in enumerate(self.entries):
            for day in range(self.daily.shape[2]):
                month = (start + timedelta(days=day)).strftime("%Y-%m")
                totals[(entry, month)] = totals.get((entry, month), 0.0) + float(self.daily[e, :, day].sum())
        return totals


def read_series(path: Path, counts: str, start: date, entries: list[str], origins: list[str]) -> tuple[ArrivalSeries, InputFile]:
    """The checked series of a scenario whose run starts on `start`, with these entry nodes and
    origins, and the record of the file read; or a ConfigError naming the file, line and column."""
    raw = read_bytes(path)
    source = str(path)
    if path.suffix.lower() in PARQUET_SUFFIXES:
        rows = check_records(*parquet_records(raw, source), source, start, entries, origins, "row")
        series = expand(rows, source, counts, start, entries, origins, "row")
    else:
        rows = parse_rows(decoded(raw, source), source, start, entries, origins)
        series = expand(rows, source, counts, start, entries, origins)
    return series, InputFile(str(path.resolve()), hashlib.sha256(raw).hexdigest())


def data_lines(text: str):
    """(line number, text) of the lines that are neither blank nor comments."""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip() and not line.lstrip().startswith("#"):
            yield number, line


def csv_records(text: str, source: str) -> tuple[int, list[str], list[tuple[int, list[str], str]]]:
    """The header's line and cells, and each row's line, cells and text, of a CSV series."""
    lines = list(data_lines(text))
    if not lines:
        raise ConfigError(source, [Problem("(file)", "no header and no rows", f"a header with the columns {', '.join(COLUMNS)}, then rows")])
    header_line, header_text = lines[0]
    header = [cell.strip() for cell in next(csv.reader([header_text]))]
    return header_line, header, [(line, [cell.strip() for cell in next(csv.reader([row_text]))], row_text)
                                 for line, row_text in lines[1:]]


def parquet_records(raw: bytes, source: str) -> tuple[int, list[str], list[tuple[int, list[str], str]]]:
    """The same from a Parquet file: its column names, and each row (numbered from 1) as text
    cells (dates in ISO form, numbers as written by Python), checked as a CSV row is."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(pa.BufferReader(raw))
    except (pa.ArrowException, OSError) as error:
        raise ConfigError(source, [Problem("(file)", "not a Parquet file", f"a Parquet table ({error})")]) from None
    header = list(table.column_names)

    def text(value) -> str:
        if value is None:
            return ""
        return value.isoformat() if isinstance(value, date) else str(value)

    rows = [[text(value) for value in row.values()] for row in table.to_pylist()]
    return 0, header, [(number, cells, ",".join(cells)) for number, cells in enumerate(rows, start=1)]


def parse_rows(text: str, source: str, start: date, entries: list[str], origins: list[str]) -> list[Row]:
    """The rows of a CSV series, checked (see check_records)."""
    return check_records(*csv_records(text, source), source, start, entries, origins, "line")


def check_records(header_line: int, header: list[str], records, source: str, start: date, entries: list[str],
                  origins: list[str], unit: str) -> list[Row]:
    """Each record checked against the scenario; `unit` names where a record is (a CSV's line, a
    Parquet file's row; the header is line `header_line`, or the column names for row 0)."""
    problems: list[Problem] = []

    def refuse(line: int, column: str | None, value, allowed: str) -> None:
        where = (f"{unit} {line}" if line or unit == "line" else "the column names") + (f", column {column}" if column else "")
        problems.append(Problem(where, value, allowed))

    missing = [c for c in COLUMNS if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    repeated = sorted({c for c in header if header.count(c) > 1})
    for column in missing:
        refuse(header_line, column, "(missing)", f"the header must name every column: {', '.join(COLUMNS)}")
    for column in unknown:
        refuse(header_line, column, column, f"a known column: {', '.join(COLUMNS)}")
    for column in repeated:
        refuse(header_line, column, column, "each column once")
    if problems:
        raise ConfigError(source, problems)
    if not records:
        raise ConfigError(source, [Problem(f"line {header_line}" if unit == "line" else "(file)", "a header and no rows",
                                           "at least one row of arrivals")])
    latest = start + timedelta(days=MAX_DAYS - 1)
    rows, seen = [], {}
    for line, cells, row_text in records:
        if len(problems) >= MAX_PROBLEMS:
            break
        if len(cells) != len(header):
            refuse(line, None, row_text, f"{len(header)} cells separated by commas ({', '.join(header)}), not {len(cells)}")
            continue
        value = dict(zip(header, cells))
        before = len(problems)
        period = value["period"]
        if period not in PERIODS:
            refuse(line, "period", period, f"one of {', '.join(PERIODS)}")
        first = parse_date(value["date"], period)
        if first is None:
            refuse(line, "date", value["date"], "a date YYYY-MM-DD (a month may be written YYYY-MM)")
        elif period == "month" and first.day != 1:
            refuse(line, "date", value["date"], "a month's first day (YYYY-MM-01 or YYYY-MM)")
        if value["entry"] not in entries:
            refuse(line, "entry", value["entry"], f"an entry node of the scenario (arrivals.entry): {', '.join(entries)}")
        if value["origin"] not in origins and value["origin"] != ALL_ORIGINS:
            refuse(line, "origin", value["origin"], f"an origin of the scenario ({', '.join(origins)}) or {ALL_ORIGINS} (the entry's origin mix)")
        count = parse_count(value["count"])
        if isinstance(count, str):
            refuse(line, "count", value["count"], count)
        if len(problems) > before:
            continue
        days = {"day": 1, "week": 7, "month": calendar.monthrange(first.year, first.month)[1]}[period]
        row = Row(line, first, days, value["entry"], value["origin"], count)
        if row.last < start:
            refuse(line, "date", value["date"], f"a period that ends on or after the run's first day, the scenario's start_date {start.isoformat()}")
            continue
        if row.first > latest:
            refuse(line, "date", value["date"], f"a period that starts within the longest run ({MAX_DAYS:,} days from {start.isoformat()}, until {latest.isoformat()})")
            continue
        key = (row.first, row.days, row.entry, row.origin)
        if key in seen:
            refuse(line, None, row_text, f"each row once: the same date, period, entry and origin as {unit} {seen[key]}")
            continue
        seen[key] = line
        rows.append(row)
    if problems:
        raise ConfigError(source, problems)
    return rows


def parse_date(text: str, period: str) -> date | None:
    if period == "month" and re.fullmatch(r"\d{4}-\d{2}", text):
        text += "-01"
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def parse_count(text: str) -> float | str:
    """The count, or why it is refused."""
    try:
        count = float(text.replace("_", "x"))  # float() reads 1_000; a count written so is refused
    except ValueError:
        return "a number of arrivals (digits, with a decimal point if any; no thousands separators)"
    if not math.isfinite(count):
        return "a finite number (not infinity or NaN)"
    if count < 0:
        return "a number of arrivals of 0 or more"
    if count > MAX_COUNT:
        return f"at most {MAX_COUNT:,} arrivals in one period (people are numbered in int32)"
    return count


def expand(rows: list[Row], source: str, counts: str, start: date, entries: list[str], origins: list[str],
           unit: str = "line") -> ArrivalSeries:
    """Each row spread evenly over its days; overlaps within an entry and origin, and gaps within
    an entry's span, refused."""
    covered = [entry for entry in entries if any(row.entry == entry for row in rows)]
    problems = []
    for entry in covered:
        by_origin: dict[str, list[Row]] = {}
        for row in rows:
            if row.entry == entry:
                by_origin.setdefault(row.origin, []).append(row)
        for group in by_origin.values():
            group.sort(key=lambda row: row.first)
            for earlier, later in zip(group, group[1:]):
                if later.first <= earlier.last:
                    problems.append(Problem(f"{unit} {later.line}, column date", later.first.isoformat(),
                                            f"a period after {unit} {earlier.line}'s, which runs until {earlier.last.isoformat()} "
                                            f"(one row per day of entry {entry} and origin {later.origin})"))
        spans = sorted((row.first, row.last, row.line) for row in rows if row.entry == entry)
        reach = spans[0][1]
        for first, last, line in spans[1:]:
            if first > reach + timedelta(days=1):
                problems.append(Problem(f"{unit} {line}, column date", first.isoformat(),
                                        f"no gap in entry {entry}'s periods: no row covers {(reach + timedelta(days=1)).isoformat()} "
                                        f"to {(first - timedelta(days=1)).isoformat()}"))
            reach = max(reach, last)
    if problems:
        raise ConfigError(source, problems[:MAX_PROBLEMS])
    end = max((row.last - start).days + 1 for row in rows)
    daily = np.zeros((len(covered), len(origins) + 1, end))
    first_day = np.full(len(covered), end, dtype=np.int64)
    end_day = np.zeros(len(covered), dtype=np.int64)
    for row in rows:
        e = covered.index(row.entry)
        o = len(origins) if row.origin == ALL_ORIGINS else origins.index(row.origin)
        begin = (row.first - start).days
        days = slice(max(begin, 0), begin + row.days)
        daily[e, o, days] += row.count / row.days
        first_day[e] = min(first_day[e], max(begin, 0))
        end_day[e] = max(end_day[e], begin + row.days)
    return ArrivalSeries(file=source, counts=counts, entries=tuple(covered), origins=tuple(origins),
                         first_day=first_day, end_day=end_day, daily=daily)
