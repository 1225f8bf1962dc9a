"""Dates as reporters write them, resolved against the publication date.

A news article says "on Monday evening", "last weekend", "earlier this month", "on March 26" or
"in mid-December"; each names a span of days that only the publication date pins down. This
module finds such phrases and turns them into a :class:`DateSpan` (first and last day plus an
ACLED ``time_precision``). Without a publication date, relative phrases (and day-month phrases
without a year) come back unresolved rather than guessed.

Hand-written rather than ``dateparser``: we need spans with a precision (a weekend, the middle
of a month, "earlier this month") and the "previous December" rule, which a parser returning a
single datetime cannot express.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m}
MONTHS |= {m.lower(): i for i, m in enumerate(calendar.month_abbr) if m} | {"sept": 9}
WEEKDAYS = {d.lower(): i for i, d in enumerate(calendar.day_name)}

# Month and weekday names are matched capitalised only: "may", "march" and "sat" are words too.
_MONTH = r"(?P<{n}>January|February|March|April|May|June|July|August|September|October|November|December|Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept?\.?|Oct\.?|Nov\.?|Dec\.?)"
_DAY = r"(?P<{n}>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<{n}>(?:19|20)\d\d)"
_WEEKDAY = r"(?P<wd>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"


def _m(n: str) -> str:
    return _MONTH.format(n=n)


def _d(n: str) -> str:
    return _DAY.format(n=n)


def _y(n: str) -> str:
    return _YEAR.format(n=n)


#: (name, pattern), tried in this order; a later pattern never overlaps an earlier match.
PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("iso", re.compile(r"\b(?P<y>(?:19|20)\d\d)-(?P<m>[01]\d)-(?P<d>[0-3]\d)\b")),
    ("range_dm", re.compile(rf"\b(?:between|from)\s+{_d('d1')}\s+(?:and|to|-|–)\s+{_d('d2')}\s+{_m('m')}(?:,?\s+{_y('y')})?\b")),
    ("range_md", re.compile(rf"\b(?:between|from)\s+{_m('m')}\s+{_d('d1')}\s+(?:and|to|-|–)\s+{_d('d2')}(?:,?\s+{_y('y')})?\b")),
    ("dmy", re.compile(rf"\b{_d('d')}\s+(?:of\s+)?{_m('m')}(?:,?\s+{_y('y')})?\b")),
    ("mdy", re.compile(rf"\b{_m('m')}\s+{_d('d')}\b(?:,?\s+{_y('y')}\b)?")),
    ("part_month", re.compile(rf"\b(?P<part>early|mid|middle of|late|end of|the end of|the beginning of|beginning of)[\s-]+{_m('m')}(?:\s+{_y('y')})?\b", re.I)),
    ("month_year", re.compile(rf"\b{_m('m')}\s+{_y('y')}\b")),
    ("in_month", re.compile(rf"\b(?:in|during|since|until|last|this|earlier in|late in|early in)\s+{_m('m')}\b")),
    ("this_month", re.compile(r"\b(?:earlier|later|early|late)?\s*(?:this|the current)\s+month\b|\bearlier in the month\b", re.I)),
    ("last_month", re.compile(r"\b(?:earlier|early|late)?\s*(?:last|the previous|the past)\s+month\b", re.I)),
    ("last_weekend", re.compile(r"\b(?:last|this|over the|at the|the previous|the past)\s+weekend\b", re.I)),
    ("last_week", re.compile(r"\b(?:last|the previous|the past)\s+week\b", re.I)),
    ("this_week", re.compile(r"\b(?:earlier|early)?\s*this\s+week\b", re.I)),
    ("days_ago", re.compile(r"\b(?P<n>\d+|one|two|three|four|five|six|seven|eight|nine|ten|a)\s+(?P<unit>days?|weeks?)\s+ago\b", re.I)),
    ("day_before_yesterday", re.compile(r"\bthe day before yesterday\b", re.I)),
    ("yesterday", re.compile(r"\byesterday\b", re.I)),
    ("last_night", re.compile(r"\blast night\b", re.I)),
    ("today", re.compile(r"\b(?:today|this morning|this afternoon|this evening|tonight)\b", re.I)),
    ("weekday", re.compile(rf"\b(?P<last>last\s+)?{_WEEKDAY}(?:’s|'s)?(?:\s+(?:morning|afternoon|evening|night))?\b")),
]

_SMALL = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten".split())}


@dataclass(frozen=True)
class DateSpan:
    """A date phrase in a text and the days it names.

    ``start``/``end`` are inclusive; ``precision`` is ACLED's ``time_precision`` (1 a day, 2 a
    week or weekend or about ten days, 3 a month). ``start`` is ``None`` when the phrase could
    not be resolved (a relative phrase without a publication date).
    """

    text: str
    begin: int
    finish: int
    kind: str
    start: date | None
    end: date | None
    precision: int | None
    relative: bool

    @property
    def resolved(self) -> bool:
        """True when the span names known days."""
        return self.start is not None

    @property
    def event_date(self) -> date | None:
        """The date ACLED would code: the day, the middle of a week-long span, a month's first day."""
        if self.start is None or self.end is None:
            return None
        if self.precision == 3:
            return self.start.replace(day=1)
        return self.start + (self.end - self.start) // 2


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _infer_year(month: int, day: int | None, published: date | None) -> int | None:
    """The year of the latest such month (and day) on or before publication."""
    if published is None:
        return None
    year = published.year
    if (month, day or 1) > (published.month, published.day if day else 1):
        year -= 1
    return year


def _precision(start: date, end: date) -> int:
    days = (end - start).days
    return 1 if days == 0 else 2 if days <= 9 else 3


def _resolve(kind: str, m: re.Match[str], published: date | None) -> tuple[date | None, date | None, int | None, bool]:
    """(start, end, precision, relative) of one match."""
    g = m.groupdict()
    pub = published
    if kind == "iso":
        d = date(int(g["y"]), int(g["m"]), int(g["d"]))
        return d, d, 1, False
    if kind in ("range_dm", "range_md"):
        month = MONTHS[g["m"].lower().rstrip(".")]
        year = int(g["y"]) if g.get("y") else _infer_year(month, int(g["d2"]), pub)
        if year is None:
            return None, None, None, True
        start, end = date(year, month, int(g["d1"])), date(year, month, int(g["d2"]))
        return start, end, _precision(start, end), g.get("y") is None
    if kind in ("dmy", "mdy"):
        month, day = MONTHS[g["m"].lower().rstrip(".")], int(g["d"])
        if not 1 <= day <= 31:
            return None, None, None, False
        year = int(g["y"]) if g.get("y") else _infer_year(month, day, pub)
        if year is None:
            return None, None, None, True
        try:
            d = date(year, month, day)
        except ValueError:
            return None, None, None, False
        return d, d, 1, g.get("y") is None
    if kind == "part_month":
        month = MONTHS[g["m"].lower().rstrip(".")]
        year = int(g["y"]) if g.get("y") else _infer_year(month, None, pub)
        if year is None:
            return None, None, None, True
        part = g["part"].lower()
        last = _month_end(year, month).day
        lo, hi = (1, 10) if part in ("early", "the beginning of", "beginning of") else (11, 20) if part in ("mid", "middle of") else (21, last)
        return date(year, month, lo), date(year, month, hi), 2, g.get("y") is None
    if kind == "month_year":
        month, year = MONTHS[g["m"].lower().rstrip(".")], int(g["y"])
        return date(year, month, 1), _month_end(year, month), 3, False
    if kind == "in_month":
        month = MONTHS[g["m"].lower().rstrip(".")]
        year = _infer_year(month, None, pub)
        if year is None:
            return None, None, None, True
        return date(year, month, 1), _month_end(year, month), 3, True
    if pub is None:
        return None, None, None, True
    if kind == "this_month":
        return pub.replace(day=1), pub, 3, True
    if kind == "last_month":
        end = pub.replace(day=1) - timedelta(days=1)
        return end.replace(day=1), end, 3, True
    if kind == "last_weekend":
        # The latest Saturday-Sunday that ended before the publication day.
        sunday = pub - timedelta(days=(pub.weekday() - 6) % 7 or 7)
        return sunday - timedelta(days=1), sunday, 2, True
    if kind == "last_week":
        monday = pub - timedelta(days=pub.weekday() + 7)
        return monday, monday + timedelta(days=6), 2, True
    if kind == "this_week":
        return pub - timedelta(days=pub.weekday()), pub, 2, True
    if kind == "days_ago":
        n = g["n"].lower()
        count = 1 if n == "a" else _SMALL.get(n) if n in _SMALL else int(n)
        if g["unit"].lower().startswith("week"):
            d = pub - timedelta(weeks=count)
            return d - timedelta(days=3), d + timedelta(days=3), 2, True
        d = pub - timedelta(days=count)
        return d, d, 1, True
    if kind == "day_before_yesterday":
        d = pub - timedelta(days=2)
        return d, d, 1, True
    if kind in ("yesterday", "last_night"):
        d = pub - timedelta(days=1)
        return d, d, 1, True
    if kind == "today":
        return pub, pub, 1, True
    if kind == "weekday":
        wanted = WEEKDAYS[g["wd"].lower()]
        back = (pub.weekday() - wanted) % 7
        if g.get("last") and back == 0:
            back = 7  # "last Monday" written on a Monday is a week ago
        d = pub - timedelta(days=back)
        return d, d, 1, True
    raise AssertionError(kind)


def find_dates(text: str, published: date | None) -> list[DateSpan]:
    """Find the date phrases in ``text`` and resolve them against ``published``.

    Parameters
    ----------
    text
        A sentence or a whole article.
    published
        The publication date; ``None`` leaves relative phrases unresolved.

    Returns
    -------
    list of DateSpan
        In text order, non-overlapping (earlier patterns in :data:`PATTERNS` win).

    Examples
    --------
    >>> [str(s.event_date) for s in find_dates("on Monday evening", date(2023, 4, 4))]
    ['2023-04-03']
    >>> s = find_dates("in mid-December", date(2023, 4, 4))[0]
    >>> (str(s.event_date), s.precision)
    ('2022-12-15', 2)
    """
    taken: list[tuple[int, int]] = []
    found: list[DateSpan] = []
    for kind, pattern in PATTERNS:
        for m in pattern.finditer(text):
            b, e = m.span()
            # Leading spaces of optional groups are not part of the phrase.
            while b < e and text[b].isspace():
                b += 1
            if any(b < te and tb < e for tb, te in taken):
                continue
            start, end, precision, relative = _resolve(kind, m, published)
            if start is None and not relative:
                continue  # not a real date (e.g. "June 45")
            taken.append((b, e))
            found.append(DateSpan(text[b:e], b, e, kind, start, end, precision, relative))
    return sorted(found, key=lambda s: s.begin)
