"""Partial dates in EDTF (ISO 8601-2) notation, as records use them.

Sources often give a date only in part: "May 31" with no year, or only a month. Records write what is
known and mark the rest with `X` (`XXXX-05-31`), and the site must neither invent the missing parts nor
hide that they are missing. Supported forms: `YYYY`, `YYYY-MM`, `YYYY-MM-DD`, any component (or the
trailing digits of the year, `20XX`) replaced by X, and one trailing qualifier: `?` uncertain,
`~` approximate, `%` both.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
from dataclasses import dataclass

_PATTERN = re.compile(r"^(?P<y>[0-9X]{4})(?:-(?P<m>[0-9X]{2})(?:-(?P<d>[0-9X]{2}))?)?(?P<q>[?~%])?$")
_MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
              "October", "November", "December"]


class DateError(ValueError):
    """A string that is not a supported EDTF date; the message says why."""


@dataclass(frozen=True)
class PartialDate:
    raw: str
    year_lo: int | None  # smallest year the notation allows (None: year not given at all)
    year_hi: int | None
    month: int | None
    day: int | None
    has_month: bool  # the notation has a month component (possibly XX)
    has_day: bool
    qualifier: str  # "", "?", "~" or "%"

    @property
    def year(self) -> int | None:
        return self.year_lo if self.year_lo == self.year_hi else None

    @property
    def year_known(self) -> bool:
        return self.year_lo is not None

    def lower(self) -> dt.date | None:
        """Earliest calendar day the date can be; None when the year is not given."""
        if self.year_lo is None:
            return None
        return dt.date(self.year_lo, self.month or 1, self.day or 1)

    def upper(self) -> dt.date | None:
        """Latest calendar day the date can be; None when the year is not given."""
        if self.year_hi is None:
            return None
        month = self.month or 12
        day = self.day or calendar.monthrange(self.year_hi, month)[1]
        return dt.date(self.year_hi, month, day)

    def is_exact_day(self) -> bool:
        return self.year is not None and self.month is not None and self.day is not None

    def sort_key(self, fallback: dt.date | None = None) -> tuple:
        """Key for chronological order. A date without a year is placed by `fallback` (e.g. when it was
        recorded) if given, else after every dated entry; month and day still order such dates."""
        lower = self.lower()
        if lower is not None:
            return (0, lower.toordinal(), self.raw)
        if fallback is not None:
            return (0, fallback.toordinal(), self.raw)
        return (1, self.month or 0, self.day or 0, self.raw)

    def __str__(self) -> str:
        return self.raw


def parse(value: str) -> PartialDate:
    """The PartialDate of an EDTF string (DateError if it is not one). Cached: a build parses the same few
    dates hundreds of thousands of times (PartialDate is immutable)."""
    if not isinstance(value, str):
        raise DateError(f"expected a date string, got {type(value).__name__}")
    return _parse(value)


@functools.lru_cache(maxsize=65536)
def _parse(value: str) -> PartialDate:
    m = _PATTERN.fullmatch(value)
    if not m:
        raise DateError(f"{value!r} is not an EDTF date (YYYY, YYYY-MM, YYYY-MM-DD; X for digits not given)")
    y, mo, d, q = m.group("y"), m.group("m"), m.group("d"), m.group("q") or ""
    if re.fullmatch(r"[0-9]*X*", y) is None:
        raise DateError(f"{value!r}: only the trailing digits of a year can be X (e.g. 20XX)")
    if "X" in y:
        known = y.rstrip("X")
        if known:
            span = 10 ** (4 - len(known))
            year_lo, year_hi = int(known) * span, int(known) * span + span - 1
            if year_lo < 1000:
                raise DateError(f"{value!r}: years before 1000 are not supported")
        else:
            year_lo = year_hi = None
    else:
        year_lo = year_hi = int(y)
        if year_lo < 1000:
            raise DateError(f"{value!r}: years before 1000 are not supported")
    month = day = None
    if mo is not None and mo != "XX":
        if "X" in mo:
            raise DateError(f"{value!r}: a month is either two digits or XX")
        month = int(mo)
        if not 1 <= month <= 12:
            raise DateError(f"{value!r}: month {month} does not exist")
    if d is not None and d != "XX":
        if "X" in d:
            raise DateError(f"{value!r}: a day is either two digits or XX")
        if month is None:
            raise DateError(f"{value!r}: a day needs a known month")
        day = int(d)
        # Without a known year, allow 29 February (it exists in some year).
        max_day = calendar.monthrange(year_lo if year_lo == year_hi and year_lo else 2000, month)[1]
        if not 1 <= day <= max_day:
            raise DateError(f"{value!r}: day {day} does not exist in month {month}")
    return PartialDate(value, year_lo, year_hi, month, day, mo is not None, d is not None, q)


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def is_future(d: PartialDate, now: dt.date | None = None) -> bool:
    """True when even the earliest day the date can be is after today."""
    lower = d.lower()
    return lower is not None and lower > (now or today())


def definitely_before(a: PartialDate, b: PartialDate) -> bool:
    """True when `a` is surely earlier than `b` (both years known and a's latest day < b's earliest)."""
    au, bl = a.upper(), b.lower()
    return au is not None and bl is not None and au < bl


_QUALIFIER_TEXT = {
    "en": {"?": " (uncertain)", "~": " (approximate)", "%": " (approximate, uncertain)"},
    "zh": {"?": "(不确定)", "~": "(约)", "%": "(约,不确定)"},
}


def render(d: PartialDate | str, lang: str = "en") -> str:
    """Human-readable date that says plainly what the source did not give."""
    if isinstance(d, str):
        d = parse(d)
    return _render(d, lang)


@functools.lru_cache(maxsize=65536)  # PartialDate is immutable: a build renders the same dates many times
def _render(d: PartialDate, lang: str) -> str:
    zh = lang == "zh"
    if d.year is not None:
        year_en, year_zh = str(d.year), f"{d.year}年"
    elif d.year_lo is not None:
        year_en = f"{d.year_lo}–{d.year_hi}"
        year_zh = f"{d.year_lo}–{d.year_hi}年"
    else:
        year_en = year_zh = None
    if zh:
        parts = []
        if d.month:
            parts.append(f"{d.month}月")
            if d.day:
                parts.append(f"{d.day}日")
        body = (year_zh or "") + "".join(parts)
        if year_zh is None:
            body = (body + "(年份未知)") if body else "日期未知"
        elif d.has_month and d.month is None:
            body += "(月份未知)"
        elif d.has_day and d.day is None:
            body += "(日期未知)"
    else:
        if d.month and d.day:
            md = f"{d.day} {_MONTHS_EN[d.month - 1]}"
        elif d.month:
            md = _MONTHS_EN[d.month - 1]
        else:
            md = ""
        if year_en is None:
            body = f"{md}, year not given" if md else "date not given"
        else:
            body = f"{md} {year_en}".strip()
            if d.has_month and d.month is None:
                body += ", month not given"
            elif d.has_day and d.day is None:
                body += ", day not given"
    return body + _QUALIFIER_TEXT["zh" if zh else "en"].get(d.qualifier, "")
