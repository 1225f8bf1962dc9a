"""Date phrases resolved against the publication date (geo._dates)."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from geo._dates import find_dates


def resolve(text: str, published: date | None):
    spans = find_dates(text, published)
    assert len(spans) == 1, spans
    s = spans[0]
    return (s.event_date.isoformat() if s.event_date else None, s.precision, s.start, s.end)


@pytest.mark.parametrize(
    ("text", "published", "event_date", "precision"),
    [
        ("on Monday evening", date(2023, 4, 4), "2023-04-03", 1),  # seed 000, a Tuesday
        ("Monday's suicide bombing", date(2023, 3, 29), "2023-03-27", 1),  # seed 004
        ("on Monday", date(2023, 3, 27), "2023-03-27", 1),  # written on a Monday: that day
        ("last Monday", date(2023, 3, 27), "2023-03-20", 1),  # ... but "last Monday" is a week ago
        ("on Friday", date(2023, 4, 10), "2023-04-07", 1),
        ("yesterday", date(2023, 1, 1), "2022-12-31", 1),
        ("two days ago", date(2023, 3, 1), "2023-02-27", 1),
        ("On March 26, the", date(2023, 4, 4), "2023-03-26", 1),
        ("on 28 December", date(2023, 1, 5), "2022-12-28", 1),  # the latest 28 December before publication
        ("on 14 October 2022", None, "2022-10-14", 1),
        ("March 26, 2023", None, "2023-03-26", 1),
        ("2023-03-05", None, "2023-03-05", 1),
        ("in mid-December", date(2023, 4, 4), "2022-12-15", 2),  # the previous December
        ("in early March", date(2023, 4, 4), "2023-03-05", 2),
        ("last weekend", date(2023, 3, 29), "2023-03-25", 2),  # Saturday 25 - Sunday 26
        ("over the weekend", date(2023, 3, 27), "2023-03-25", 2),  # written on the Monday after
        ("last week", date(2023, 2, 20), "2023-02-16", 2),  # 13-19 February, the middle day
        ("Earlier this month", date(2023, 3, 29), "2023-03-01", 3),
        ("last month", date(2023, 1, 10), "2022-12-01", 3),
        ("in December", date(2023, 4, 4), "2022-12-01", 3),
        ("in March 2023", None, "2023-03-01", 3),
        ("between 3 and 26 March", date(2023, 3, 29), "2023-03-01", 3),  # more than ten days: the month
        ("between 3 and 5 March", date(2023, 3, 29), "2023-03-04", 2),
    ],
)
def test_phrases(text, published, event_date, precision):
    got = resolve(text, published)
    assert got[:2] == (event_date, precision)


def test_spans_are_inclusive_and_ordered():
    _, _, start, end = resolve("last weekend", date(2023, 3, 29))
    assert (start, end) == (date(2023, 3, 25), date(2023, 3, 26))
    spans = find_dates("this month between 3 and 26 March", date(2023, 3, 29))
    assert [s.text for s in spans] == ["this month", "between 3 and 26 March"]
    assert (spans[1].start, spans[1].end) == (date(2023, 3, 3), date(2023, 3, 26))


def test_offsets_point_at_the_phrase():
    text = "The attack began at 9 pm on Monday night in Nahr-e-Shahi district."
    (span,) = find_dates(text, date(2023, 4, 4))
    assert text[span.begin : span.finish] == span.text == "Monday night"


@pytest.mark.parametrize("text", ["on Monday evening", "last weekend", "earlier this month", "on March 26", "in mid-December", "yesterday"])
def test_no_publication_date_means_unresolved(text):
    (span,) = find_dates(text, None)
    assert not span.resolved and span.relative and span.event_date is None and span.precision is None


def test_words_that_look_like_months_or_times_are_not_dates():
    assert find_dates("They may march at 9 pm; 6,500 fighters; the 5th district; Street 13.", date(2023, 4, 4)) == []


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31)), st.sampled_from(list(calendar.day_name)))
def test_a_weekday_is_the_latest_such_day_on_or_before_publication(published, day):
    (span,) = find_dates(f"on {day}", published)
    assert span.start == span.end and calendar.day_name[span.start.weekday()] == day
    assert published - timedelta(days=6) <= span.start <= published


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31)))
def test_last_weekend_ends_before_publication(published):
    (span,) = find_dates("last weekend", published)
    assert span.start.weekday() == 5 and span.end.weekday() == 6 and span.end < published
    assert (published - span.end).days <= 7
