"""EDTF partial dates (scripts/records/dates.py): parse, render, order."""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `pytest` run without `python -m`
    sys.path.insert(0, str(ROOT))

from scripts.records.dates import DateError, PartialDate, definitely_before, is_future, parse, render, today  # noqa: E402

D = dt.date


# --- parse ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "year", "year_lo", "year_hi", "month", "day", "lower", "upper"),
    [
        ("2024-05-31", 2024, 2024, 2024, 5, 31, D(2024, 5, 31), D(2024, 5, 31)),
        ("2024-05", 2024, 2024, 2024, 5, None, D(2024, 5, 1), D(2024, 5, 31)),
        ("2024-02", 2024, 2024, 2024, 2, None, D(2024, 2, 1), D(2024, 2, 29)),
        ("2023-02", 2023, 2023, 2023, 2, None, D(2023, 2, 1), D(2023, 2, 28)),
        ("2024", 2024, 2024, 2024, None, None, D(2024, 1, 1), D(2024, 12, 31)),
        ("20XX", None, 2000, 2099, None, None, D(2000, 1, 1), D(2099, 12, 31)),
        ("201X", None, 2010, 2019, None, None, D(2010, 1, 1), D(2019, 12, 31)),
        ("1XXX", None, 1000, 1999, None, None, D(1000, 1, 1), D(1999, 12, 31)),
        ("20XX-05-31", None, 2000, 2099, 5, 31, D(2000, 5, 31), D(2099, 5, 31)),
        ("2024-XX", 2024, 2024, 2024, None, None, D(2024, 1, 1), D(2024, 12, 31)),
        ("2024-05-XX", 2024, 2024, 2024, 5, None, D(2024, 5, 1), D(2024, 5, 31)),
        ("XXXX-05-31", None, None, None, 5, 31, None, None),
        ("XXXX-05", None, None, None, 5, None, None, None),
        ("XXXX", None, None, None, None, None, None, None),
    ],
)
def test_parse(text, year, year_lo, year_hi, month, day, lower, upper):
    d = parse(text)
    assert isinstance(d, PartialDate)
    assert (d.raw, d.year, d.year_lo, d.year_hi, d.month, d.day) == (text, year, year_lo, year_hi, month, day)
    assert d.year_known == (year_lo is not None)
    assert (d.lower(), d.upper()) == (lower, upper)
    assert d.qualifier == ""
    assert str(d) == text


def test_parse_components_marked_unknown():
    d = parse("2024-XX")
    assert d.has_month and d.month is None and not d.has_day
    d = parse("2024-05-XX")
    assert d.has_day and d.day is None
    d = parse("2024")
    assert not d.has_month and not d.has_day


def test_exact_day():
    assert parse("2024-05-31").is_exact_day()
    for text in ("2024-05", "2024", "XXXX-05-31", "20XX-05-31", "2024-05-XX"):
        assert not parse(text).is_exact_day(), text


@pytest.mark.parametrize(("text", "qualifier"), [("2024-05-31?", "?"), ("2024-05~", "~"), ("2024%", "%"),
                                                  ("XXXX-05-31?", "?")])
def test_qualifiers(text, qualifier):
    d = parse(text)
    assert d.qualifier == qualifier
    assert d.raw == text
    plain = parse(text[:-1])
    assert (d.lower(), d.upper()) == (plain.lower(), plain.upper())


def test_leap_days():
    assert parse("2024-02-29").day == 29
    assert parse("2000-02-29").day == 29  # divisible by 400
    assert parse("XXXX-02-29").day == 29  # no year: exists in some year
    assert parse("20XX-02-29").day == 29  # some year of 2000–2099 is a leap year
    for text in ("2023-02-29", "2100-02-29", "1900-02-29"):
        with pytest.raises(DateError, match="day 29 does not exist in month 2"):
            parse(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2024-13-01", "month 13 does not exist"),
        ("2024-00", "month 0 does not exist"),
        ("2023-02-29", "day 29 does not exist in month 2"),
        ("2024-04-31", "day 31 does not exist in month 4"),
        ("2024-05-00", "day 0 does not exist in month 5"),
        ("2024/05/31", "is not an EDTF date"),
        ("2024-5-31", "is not an EDTF date"),
        ("24-05-31", "is not an EDTF date"),
        ("31.05.2024", "is not an EDTF date"),
        ("2024-05-31T10:00:00Z", "is not an EDTF date"),
        ("2024-05-31??", "is not an EDTF date"),
        ("2024?-05", "is not an EDTF date"),
        (" 2024", "is not an EDTF date"),
        ("", "is not an EDTF date"),
        ("２０２４", "is not an EDTF date"),  # full-width digits
        ("X024", "only the trailing digits of a year can be X"),
        ("2X24-05", "only the trailing digits of a year can be X"),
        ("2024-1X", "a month is either two digits or XX"),
        ("2024-05-3X", "a day is either two digits or XX"),
        ("2024-XX-15", "a day needs a known month"),
        ("XXXX-XX-31", "a day needs a known month"),
        ("0000", "years before 1000 are not supported"),
    ],
)
def test_invalid_dates_raise_date_error(text, message):
    with pytest.raises(DateError, match=message.replace("?", r"\?")):
        parse(text)


@pytest.mark.parametrize("value", [2024, None, dt.date(2024, 5, 31), ["2024"]])
def test_non_strings_raise_date_error(value):
    with pytest.raises(DateError, match="expected a date string"):
        parse(value)


def test_date_error_is_a_value_error():
    assert issubclass(DateError, ValueError)


def test_trailing_newline_is_rejected():
    with pytest.raises(DateError):
        parse("2024-05-31\n")


@pytest.mark.parametrize("text", ["0XXX", "00XX", "000X"])
def test_years_from_zero_do_not_crash(text):
    try:
        d = parse(text)
    except DateError:
        return  # refusing them is fine too
    d.lower()
    d.sort_key()
    is_future(d, D(2026, 11, 28))
    definitely_before(parse("2024"), d)


# --- render ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "en", "zh"),
    [
        ("XXXX-05-31", "31 May, year not given", "5月31日(年份未知)"),
        ("XXXX-05", "May, year not given", "5月(年份未知)"),
        ("XXXX", "date not given", "日期未知"),
        ("2024-05-31", "31 May 2024", "2024年5月31日"),
        ("2024-05", "May 2024", "2024年5月"),
        ("2024", "2024", "2024年"),
        ("20XX", "2000–2099", "2000–2099年"),
        ("201X", "2010–2019", "2010–2019年"),
        ("20XX-05", "May 2000–2099", "2000–2099年5月"),
        ("2024-XX", "2024, month not given", "2024年(月份未知)"),
        ("2024-05-XX", "May 2024, day not given", "2024年5月(日期未知)"),
        ("2024-01-01", "1 January 2024", "2024年1月1日"),
        ("2024-12", "December 2024", "2024年12月"),
        ("2024-05-31?", "31 May 2024 (uncertain)", "2024年5月31日(不确定)"),
        ("2024~", "2024 (approximate)", "2024年(约)"),
        ("2024-05%", "May 2024 (approximate, uncertain)", "2024年5月(约,不确定)"),
        ("XXXX-05-31?", "31 May, year not given (uncertain)", "5月31日(年份未知)(不确定)"),
    ],
)
def test_render(text, en, zh):
    assert render(text) == en
    assert render(text, "en") == en
    assert render(text, "zh") == zh
    assert render(parse(text), "zh") == zh  # a PartialDate as well as a string


def test_render_never_invents_a_year():
    for text in ("XXXX-05-31", "XXXX-05", "XXXX"):
        for lang in ("en", "zh"):
            out = render(text, lang)
            assert re.search(r"[0-9]{3}", out) is None, out


def test_render_invalid_raises():
    with pytest.raises(DateError):
        render("2024-13")


# --- order ----------------------------------------------------------------------------------------------

def test_sort_key_chronological():
    texts = ["2024-06-01", "2023", "2024", "2024-05", "2024-05-31", "2023-12-31?", "20XX"]
    ordered = sorted(texts, key=lambda t: parse(t).sort_key())
    # by earliest possible day; ties broken by the notation
    assert ordered == ["20XX", "2023", "2023-12-31?", "2024", "2024-05", "2024-05-31", "2024-06-01"]


def test_sort_key_year_less_dates_go_last_ordered_by_month_and_day():
    texts = ["XXXX-05-31", "2024-06-01", "XXXX", "XXXX-01-02", "2023", "XXXX-05"]
    ordered = sorted(texts, key=lambda t: parse(t).sort_key())
    assert ordered == ["2023", "2024-06-01", "XXXX", "XXXX-01-02", "XXXX-05", "XXXX-05-31"]


def test_sort_key_fallback_places_year_less_dates():
    fallback = D(2024, 1, 1)  # e.g. when the source was read
    texts = ["2024-06-01", "XXXX-05-31", "2023"]
    ordered = sorted(texts, key=lambda t: parse(t).sort_key(fallback))
    assert ordered == ["2023", "XXXX-05-31", "2024-06-01"]
    # the fallback only affects dates without a year
    assert parse("2024-06-01").sort_key(fallback) == parse("2024-06-01").sort_key()
    # a year-less date at the fallback day sorts with a dated entry of that day, by notation
    assert sorted(["2024-01-01", "XXXX-05-31"], key=lambda t: parse(t).sort_key(fallback)) == [
        "2024-01-01", "XXXX-05-31"]


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("2024-05-31", "2024-06-01", True),
        ("2024-06-01", "2024-05-31", False),
        ("2024-05-31", "2024-05-31", False),
        ("2024-05", "2024-05-31", False),  # May 2024 may be the 31st
        ("2024-05", "2024-06", True),
        ("2024", "2025-01-01", True),
        ("2024", "2024-12-31", False),
        ("20XX", "2100", True),
        ("20XX", "2050", False),
        ("XXXX-05-26", "XXXX-06-06", False),  # no year: order unknown
        ("XXXX-05-26", "2024-06-06", False),
        ("2024-06-06", "XXXX-05-26", False),
        ("2024-05-31?", "2024-06-01~", True),  # qualifiers do not change the range
    ],
)
def test_definitely_before(a, b, expected):
    assert definitely_before(parse(a), parse(b)) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-28", False),  # today
        ("2026-11-29", True),
        ("2026-11", False),  # may be today
        ("2026-12", True),
        ("2026", False),
        ("2027", True),
        ("20XX", False),  # may be 2000
        ("21XX", True),
        ("XXXX-12-31", False),  # no year: never "in the future"
        ("2026-12-01?", True),
    ],
)
def test_is_future(text, expected):
    assert is_future(parse(text), D(2026, 11, 28)) is expected


def test_is_future_defaults_to_today():
    assert isinstance(today(), dt.date)
    assert is_future(parse("2999"))
    assert not is_future(parse("2000-01-01"))
    assert not is_future(parse(today().isoformat()))
