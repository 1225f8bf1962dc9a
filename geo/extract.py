"""Extraction: news text to draft incident records, each with the sentence that supports it.

The rules, in the order they run (all deterministic, no model, no network):

1. **Sentences.** An article is split into lines and sentences, with character offsets.
   Title-case lines without final punctuation, and the first line (the headline), are
   headings: never evidence, and they end the story being told. Datelines ("KABUL (AP) —",
   "JALALABAD, 11 June 2023, (XNA):") are headings too. A sentence longer than
   :data:`MAX_SENTENCE` is cut at a space, so that all later work is linear in the text. A
   sentence is cut further into *segments* where a coordinator introduces
   a new indefinite event ("a bombing ... and also an assault on a Kabul hotel").
2. **Places** are every name the gazetteer knows (boundary names, GeoNames names and the
   curated aliases), matched longest first and case-insensitively on normalised keys, so
   hyphen and ezafe variants match ("Mazar-i-Sharif", "Nahri Shahi"). A generic word next to
   a name chooses the level ("Balkh province", "Zaranj city"); a bare province name is the
   province unless the province's capital bears the name ("Kabul" is the city). "The 5th, 8th
   and 10th districts of Balkh province" are urban districts of the provincial capital. Each
   place is resolved with :func:`geo.geocode.resolve_place`, the nearest province named in
   the text as context; a namesake inside the province named in the sentence beats a place
   elsewhere. Capitalised names the exact lookup misses are tried on the geocoder's looser
   tiers when a level word or commas mark them ("Khakraiz district", "..., Panjwayi, Kandahar").
   Lower-case words and names after a given name ("Nasir Shinwari") are not places.
3. **Actors** come from the alias table (``geo/data/actor_aliases.csv``); short upper-case
   aliases ("IS", "ISKP") match upper case only. "The group", "the insurgents" and the like stand
   for the armed group named last (never a state's forces named by a common noun). Each actor gets a role from the words around it: target
   ("against IS-K", "IS-K hideouts", "ISIS men were killed"), attacker ("the Taliban killed",
   "Taliban operations", "claimed responsibility"), defender ("repelled the assault"),
   speaker ("a Taliban spokesman said", also a party that denies or condemns) or suspect ("it
   is believed that ...", "officials believe ..."); speakers and suspects are never the
   perpetrator, nor speakers the victims (unless they speak of their own losses). Victims
   listed after "including" are targets; a group named as the attacker (a claim) says who
   unnamed "gunmen" were. Aliases of state forces depend on the period ("Afghan
   police" before and after 15 August 2021); "former" forces are civilians.
4. **Dates** are resolved against the publication date by :mod:`geo._dates`. A phrase after
   "since" is background, never an event date; the date a party spoke ("on Friday claimed")
   yields to the event's own, as does a day given for a claim of "the attack". The incident
   an article opens with, undated, takes the publication date (``time_precision`` 2,
   flagged); one told as following the incident before it ("hours later", "shortly
   afterwards") takes that one's date (flagged).
5. **Incidents.** A segment with an attack word (attack, raid, clash, bombing, killed, ...)
   is an event mention. Mentions with a count or a quantifier ("on eight occasions", "several
   raids", "the number of Daesh attacks") are *context* (but several blasts at one place on
   one day are one incident), as are undated statements over
   several places, and background told with an earlier year ("was in 2021, when ...").
   A mention with a new place or date starts an incident, unless it fits one
   already told (same place or a place inside it, overlapping dates, no actor in opposite
   roles); a mention without place or date ("the Taliban killed at least six", "this
   operation") adds to the incident being told. A dated statement over several provinces
   ("in Balkh and Nimroz provinces ... on Monday evening") makes one provisional incident per
   province that later detail refines; a death toll told for places named together is none
   of theirs alone. Words such as "separately", "apart from this" or "in
   retaliation" start a new incident; a quoted restatement of the same kind, place and no
   date ("An explosion took place ...") joins the incident told, as does a claim of
   responsibility without a place of its own.
6. **Fatalities** are numbers bound to a death word ("at least six", "killed three", "leaving
   him dead", "beaten to death", "the body of a man was found", "killed a commander and two
   of his guards" is 3); dates, times, ordinals, attackers and "killed or injured"
   figures never count. Restatements of a toll overlap (the largest counts); deaths told as
   more ("three commandos were also killed", "another two died") add to it.
   Victims tied to no armed group are civilians. **Verification**: an independent
   confirmation is ``corroborated``; "no independent source to confirm" or a statement by a
   party ("a Taliban spokesman said") is ``claimed``; anything else ``unknown``.
7. **Several articles**: records of the same incident (same district, same actors, dates at
   most a day apart, neither known only to the month) merge into one that lists every source.

The records carry the 20 schema columns (so ``geo render --incidents`` reads them) followed by
``evidence``, ``evidence_start``, ``evidence_end`` and review columns.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import pandas as pd

from geo._csv import read_input
from geo._dates import DateSpan, find_dates
from geo._errors import GeoError
from geo.actors import actor_aliases, actor_key, actor_table
from geo.gazetteer import EZAFE, FILLER, LEVEL_WORDS, gazetteer, normalise
from geo.geocode import Match, resolve_place, resolver
from geo.schema import COLUMNS

#: Columns after the 20 schema columns, in order.
EXTRA_COLUMNS: list[str] = [
    "evidence",
    "evidence_start",
    "evidence_end",
    "date_text",
    "date_status",
    "match_status",
    "supporting",
    "review",
]
CONTEXT_COLUMNS: list[str] = ["source", "kind", "text", "start", "end", "count", "date_from", "date_to"]

CIVILIANS = "Civilians (Afghanistan)"
UNIDENTIFIED = "Unidentified Armed Group (Afghanistan)"

# --- word lists -----------------------------------------------------------------------------
# (pattern, kind): the kind decides the ACLED event type; order matters (first match wins).
TRIGGERS: list[tuple[str, str]] = [
    (r"suicide[ -](?:bomb(?:ing|er|ers|s|ings)?|attacks?|attackers?|blasts?|explosions?)", "suicide"),
    (r"(?:car|truck|roadside|magnetic|sticky|vehicle)[ -]bombs?|improvised explosive devices?|\bieds?\b|landmines?|explosive devices?", "ied"),
    (r"(?:air|drone)[ -]?strikes?|airstrikes?|air raids?", "air"),
    (r"shelling|shells|rocket attacks?|rockets|mortars?|artillery|missiles?", "shelling"),
    (r"grenades?", "grenade"),
    (r"bombings?|bomb blasts?|bombs?|bombed|detonated|detonating", "bomb"),
    (r"explosions?|blasts?|exploded", "explosion"),
    (r"abduct(?:ed|ion|ions)|kidnap(?:ped|ping|pings)", "abduction"),
    (r"raid(?:s|ed|ing)?", "raid"),
    (r"clash(?:es|ed)?|gun ?fights?|gun ?battles?|firefights?|skirmish(?:es)?|fighting|battles?|exchange of fire|gun ?fire|shoot-?outs?|ambush(?:es|ed)?", "clash"),
    (r"attack(?:s|ed|ing)?|assaults?|assaulted|stormed|targeted|targeting|opened fire|fired (?:on|at|upon)|shot", "attack"),
    (r"operations?|offensives?|crackdowns?", "operation"),
    (r"kill(?:ed|ing|ings)|shot dead|gunned down|assassinat(?:ed|ion|ions)|eliminated|executed|beheaded|slain|"
     r"murder(?:ed|s)?|lynched|strangled|(?:stabbed|beaten|hacked|stoned|burn(?:ed|t)|tortured|shot) to death", "killing"),
    (r"arrest(?:ed|s)?|detained", "arrest"),
]
_TRIGGER_RE = re.compile("|".join(f"(?P<t{i}>\\b(?:{p})\\b)" for i, (p, _) in enumerate(TRIGGERS)), re.I)
_NOUN_PLURAL = re.compile(
    r"^(?:attacks|raids|operations|offensives|clashes|bombings|killings|explosions|blasts|strikes|airstrikes|"
    r"assaults|ambushes|gunfights|gun fights|battles|skirmishes|assassinations|abductions|kidnappings|arrests)$", re.I
)
_NOUN = re.compile(
    r"^(?:attack|raid|operation|offensive|clash|bombing|killing|explosion|blast|strike|airstrike|assault|ambush|"
    r"gunfight|gun fight|battle|skirmish|assassination|abduction|kidnapping|arrest|crackdown|fighting|"
    r"suicide bombing|suicide attack|bomb|gun fire|gunfire|firefight|shooting)s?$", re.I
)
_DEATH_BEFORE = re.compile(r"^(?:killed|dead|died|slain|eliminated|perished|lost)$")
_DEATH_AFTER = re.compile(r"^(?:killed|killing|kills|eliminated|eliminating|left|leaving|claimed|executed|slew)$")
_INJURY = {"wounded", "injured", "injuring", "wounding", "hurt", "arrested", "detained", "missing"}
GENERIC_CUES = re.compile(
    r"\b(?:(?:several|many|multiple|numerous|dozens of|hundreds of|scores of|a number of)\s+(?:[\w-]+\s+){0,3}?"
    r"(?:attacks|raids|operations|bombings|killings|strikes|airstrikes|clashes|occasions|times|incidents|explosions)|"
    r"series of|number of|wave of|spate of|string of|increased|increase in|increasing|rise in|rising|frequent|repeated(?:ly)?|"
    r"occasions|elsewhere|across the country|in recent (?:weeks|months|days|years)|"
    r"recent (?:\w+ ){0,3}?(?:attacks|operations|raids|killings|bombings|weeks|months)|other recent|"
    r"so far this year|since the beginning)\b",
    re.I,
)
#: Generic cues over a span of time or space: never one incident, whatever the date.
_BROAD_CUES = re.compile(r"\b(?:across|elsewhere|in recent|so far|since|increas\w*|ris(?:e|ing)|frequent|repeated\w*|occasions|"
                         r"provinces|districts)\b", re.I)
SEPARATE_CUES = re.compile(
    r"\b(?:separate(?:ly)?|another|apart from this|in addition|in retaliation|in response|in a different|"
    r"meanwhile|elsewhere)\b",
    re.I,
)
_DEFINITE = {"the", "this", "that", "these", "those", "its", "their", "his", "her", "same"}
_PRONOUN_START = re.compile(r"^\W*(?:he|she|they|it|according to (?:him|her|them|the \w+|witnesses|residents|sources))\b", re.I)
_REPORTING = re.compile(
    r"\b(?:said|says|claimed|claims|announced|reported|reports|stated|told|tweeted|alleged|added|"
    r"according to)\b",
    re.I,
)
_RESPONSIBILITY = re.compile(r"\bclaim(?:ed|s|ing)?\s+(?:responsibility|(?:\w+\s+){0,3}?(?:attacks?|bombings?|assaults?|killings?))\b", re.I)
_WITNESS = re.compile(r"\b(?:residents?|witness(?:es)?|locals?|villagers|eyewitness(?:es)?|independent|journalists?|hospital|doctors?)\b", re.I)
_PARTY_WORDS = re.compile(r"\b(?:spokes(?:man|person|woman)|sources close to|directorate|command)\b", re.I)
_NEG_INDEPENDENT = re.compile(
    r"\b(?:no|not|n[’']t|without|never|lack of|unable)\b(?:\W+\w+){0,7}?\W+independent(?:ly)?\b|"
    r"\bindependent(?:ly)?\b(?:\W+\w+){0,4}?\W+(?:not|n[’']t|unable|yet to|cannot)\b",
    re.I,
)
_POS_INDEPENDENT = re.compile(
    r"\bindependent(?:ly)?\b(?:\W+\w+){0,4}?\W+(?:confirm(?:ed|s)?|verif(?:ied|y)|corroborat(?:ed|es?))\b|"
    r"\b(?:confirmed|verified|corroborated) (?:independently|by independent)\b",
    re.I,
)
_CIVILIAN_TARGETS = re.compile(
    r"\b(?:people|civilians?|worshippers|passengers|students|child|children|boys?|girls?|woman|women|famil(?:y|ies)|"
    r"villagers|pedestrians|farmers?|shepherds?|traders?|shopkeepers?|vendors?|teachers?|pilgrims|tourists|"
    r"labou?rers|hotel|mosque|school|market|hospital|shrine|wedding|bus|guests|shoppers)\b",
    re.I,
)
_UNIDENTIFIED_CUES = re.compile(r"\b(?:gunmen|bombers?|attackers?|unknown|unidentified|assailants?|armed men)\b", re.I)
_SINCE = re.compile(r"\bsince\b[^,.;:]*", re.I)
_TIME = re.compile(r"\b\d{1,2}(?::\d\d)?\s*(?:am|pm|a\.m\.|p\.m\.|o[’']clock|hours?|hrs)\b", re.I)
_ORDINAL_DISTRICTS = re.compile(
    r"\b(?P<ords>\d{1,2}(?:st|nd|rd|th)(?:\s*(?:,|and|&)\s*(?:the\s+)?\d{1,2}(?:st|nd|rd|th))*)\s+"
    r"(?:police\s+)?districts?\s+of\s+(?:the\s+)?(?:city\s+of\s+)?$",
    re.I,
)
_POLICE_DISTRICTS = re.compile(
    r"\b(?:police\s+districts?|PD)\s*(?P<ords>\d{1,2}(?:\s*(?:,|and|&)\s*\d{1,2})*)\s+(?:of|in)\s+(?:the\s+)?(?:city\s+of\s+)?$",
    re.I,
)
_SECTION_LABEL = re.compile(r"^\s*(?:[•\-*+·▪◦]\s*)?(?P<label>[A-Z][\w’' ]{0,30}[:?])\s+(?=\S)")
#: "KABUL (AP) —", "KABUL, Afghanistan (Reuters) -", "JALALABAD, 11 June 2023, (XNA):": where and
#: when the story was filed, not where or when the incident happened.
_DATELINE = re.compile(
    r"^[A-Z][A-Z’'. -]{2,30}(?:,\s*[A-Z][\w ]{2,30})?"
    r"(?:,\s*(?:\d{1,2}\s+[A-Z][a-z]{2,8}\.?|[A-Z][a-z]{2,8}\.?\s+\d{1,2})(?:,?\s+\d{4})?)?,?"
    r"\s*(?:\([A-Za-z .]{1,20}\))?\s*(?:[-–—]+|:)\s+(?=\S)"
)
_BULLET = re.compile(r"^\s*[•\-*+·▪◦]\s*")
_SENT_END = re.compile(r"(?<=[.!?])[\"”’)\]]*\s+(?=[\"“‘(\[]?[A-Z0-9])")
_ABBREV = re.compile(r"(?:\b(?:Mr|Mrs|Ms|Dr|Gen|Lt|Col|Maj|Capt|Sgt|St|No|Gov|Sen|Rep|Prof|Jan|Feb|Aug|Sept|Oct|Nov|Dec|vs|etc|approx)|\b[A-Z]|\b[A-Z]\.[A-Z])\.$")
_SPLIT_SEGMENT = re.compile(
    r"(?:,\s*|(?<![\s,])\s+)(?:and also|and|as well as|including|while|plus|but also)\s+"
    r"(?=(?:a|an|another)\s+(?:[\w’'-]+\s+){0,3}?(?:attack|raid|bombing|bomb|blast|explosion|assault|ambush|clash|"
    r"suicide|strike|airstrike|killing|operation|offensive|shooting)\b)",
    re.I,
)
_NUMBER_WORDS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen twenty".split()
    )
} | {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "dozen": 12}
_TOKEN = re.compile(r"[^\W_]+")
#: No real sentence is longer; longer runs of text (no stops) are cut at a space into pieces of
#: at most this many characters, so that the work per sentence stays bounded on any input.
MAX_SENTENCE = 1000
#: How many of an article's latest incidents a new mention may join (see ``_assemble``).
RECENT_EVENTS = 50


# --- small data types -----------------------------------------------------------------------
@dataclass(frozen=True)
class Article:
    """One news article to extract from.

    Parameters are the text, a short name used in ids and offsets (the file name), the
    publication date (``None`` when unknown) and the source name written to ``source``.
    """

    name: str
    text: str
    published: date | None = None
    source: str = ""


@dataclass(frozen=True)
class Tok:
    start: int
    end: int
    raw: str
    low: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "low", self.raw.casefold())


@dataclass
class Sentence:
    start: int
    end: int
    text: str
    heading: bool
    paragraph: int


@dataclass
class Place:
    """A place mention: the text as written and the unit it names."""

    start: int
    end: int
    text: str
    kind: str  # adm1, adm2, place
    admin1: str
    admin1_pcode: str
    admin2_pcode: str
    name: str
    detail: str = ""  # e.g. "5th, 8th and 10th districts"
    bare: bool = False  # a bare province name read as its capital city ("Kabul")
    prefix: str = ""  # capitalised words right before the name ("Mohmand" of "Mohmand Dara district")

    @property
    def rank(self) -> int:
        return {"place": 1, "adm2": 2, "adm1": 3}[self.kind]

    def within(self, other: Place) -> bool:
        """True when this place lies in ``other`` (or they are the same unit)."""
        if other.kind == "adm1":
            return self.admin1_pcode == other.admin1_pcode
        if self.kind == "adm1":
            return False
        return bool(self.admin2_pcode) and self.admin2_pcode == other.admin2_pcode


@dataclass
class ActorMention:
    start: int
    actor: str
    role: str  # attacker, target, speaker, defender, suspected, other
    generic: bool = False  # a state's forces named by a common noun ("police", "soldiers")


@dataclass
class Mention:
    """What one segment of a sentence says about an event."""

    article: Article
    sentence: Sentence
    start: int
    end: int
    text: str
    triggers: list[str]
    places: list[Place]
    own_place: bool
    date: DateSpan | None
    actors: list[ActorMention]
    fatalities: int | None
    fatality_text: str
    verification: str  # corroborated, claimed, ""
    verification_why: str
    responsibility: bool
    civilian_target: bool
    unidentified_cue: bool
    generic: bool
    count: int | None
    definite: bool
    indefinite: bool
    separate: bool
    #: The date is when a party spoke ("on Friday claimed", "said on Monday"): the event
    #: happened then or before, and any date of the event itself wins.
    date_weak: bool = False
    #: Told as background: an earlier year and no finer date ("the worst attack was in 2019").
    background: bool = False
    #: The deaths are told as more than those told before ("three commandos were also killed").
    more_dead: bool = False
    #: The words that tell it as following the incident before it ("hours later"), if any.
    sequel: str = ""

    def place(self) -> Place | None:
        """The most precise place; places that contain it add nothing."""
        return min(self.places, key=lambda p: p.rank) if self.places else None


@dataclass
class Event:
    """An incident being assembled from the mentions of one article (or several, after merging)."""

    mentions: list[Mention] = field(default_factory=list)
    place: Place | None = None
    place_mention: Mention | None = None
    date: DateSpan | None = None
    provisional: bool = False
    date_weak: bool = False  # the date known is only when a party spoke
    dated_by_previous: str = ""  # "hours later": dated by the incident told before (the words)

    #: The distinct attackers and targets, in order of mention; kept up to date by add()
    #: (recomputing them per mention is quadratic in long texts).
    attackers: list[str] = field(default_factory=list, init=False)
    targets: list[str] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        for m in self.mentions:
            self._roles(m)

    def _roles(self, mention: Mention) -> None:
        for a in mention.actors:
            roles = self.attackers if a.role == "attacker" else self.targets if a.role == "target" else None
            if roles is not None and a.actor not in roles:
                roles.append(a.actor)

    def add(self, mention: Mention) -> None:
        """Add a mention; a more precise place or date replaces the one known."""
        self.mentions.append(mention)
        self._roles(mention)
        place = mention.place()
        if place is not None and (self.place is None or place.rank < self.place.rank):
            self.place, self.place_mention = place, mention
        new = mention.date
        if new is None:
            return
        old = self.date
        if old is not None and mention.date_weak and not self.date_weak:
            return  # when a party spoke does not replace when it happened
        if old is None or (self.date_weak and not mention.date_weak and new.resolved) or (new.resolved and not old.resolved) or (
            new.resolved and old.resolved and (new.precision or 9) < (old.precision or 9)
        ):
            self.date, self.date_weak = new, mention.date_weak


class PlaceFinder(Protocol):
    """Anything that proposes place spans in a text, e.g. a statistical NER model.

    The extractor resolves every proposed span against the gazetteer, so a model can only add
    mentions the gazetteer knows; the default finder is the gazetteer itself.
    """

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Character spans ``(start, end)`` of candidate place names in ``text``."""
        ...


# --- tokens and sentences -------------------------------------------------------------------
_BROKEN = re.compile(r"[^\w\s’'\-‐.]|\n")


@lru_cache(maxsize=64)
def _tokens(text: str, base: int = 0) -> tuple[Tok, ...]:
    """Word tokens with absolute offsets; the possessive "'s" is dropped."""
    out = []
    for m in _TOKEN.finditer(text):
        if m.group() in ("s", "S") and m.start() > 0 and text[m.start() - 1] in "’'`":
            continue
        out.append(Tok(base + m.start(), base + m.end(), m.group()))
    return tuple(out)  # cached: find_places and find_actors read the same sentence


def _is_heading(line: str) -> bool:
    line = line.strip()
    if not line or line[-1] in ".!?:;,\"”’)" or len(line) > 160:
        return False
    words = [w for w in re.findall(r"[A-Za-z][\w’'-]*", line) if len(w) > 3]
    if len(words) < 2:
        # A short label or a time stamp ("June 11, 2023  09:40"), not "12 killed".
        return len(line) < 40 and not (any(c.isdigit() for c in line) and re.search(r"\b[a-z]{4,}", line))
    return sum(w[0].isupper() for w in words) / len(words) >= 0.75


def split_sentences(text: str) -> list[Sentence]:
    """Split ``text`` into sentences with offsets; headings are marked, bullets and labels skipped.

    Parameters
    ----------
    text
        A whole article.

    Returns
    -------
    list of Sentence
        ``text[s.start:s.end] == s.text`` for each.
    """
    out: list[Sentence] = []
    pos = 0
    first = True
    for para, line in enumerate(text.splitlines(keepends=True)):
        begin, body = pos, line.rstrip("\r\n")
        pos += len(line)
        if not body.strip():
            continue
        # The first line without a final stop is the headline, whatever its case.
        headline, first = first and len(body) <= 160 and body.rstrip()[-1] not in ".!?:;,\"”’)", False
        skip = 0
        if m := _BULLET.match(body):
            skip = m.end()
        if m := _SECTION_LABEL.match(body[skip:]):
            skip += m.end()
        body_start = begin + skip
        segment = body[skip:]
        if m := _DATELINE.match(body[skip:]):
            # "KABUL (AP) —": where the story was filed, not where the incident happened.
            out.append(Sentence(body_start, body_start + m.end(), body[skip : skip + m.end()].strip(), True, para))
            skip += m.end()
            body_start = begin + skip
            segment = body[skip:]
        if headline or _is_heading(body):
            stripped = segment.strip()
            lead = segment.index(stripped) if stripped else 0
            out.append(Sentence(body_start + lead, body_start + lead + len(stripped), stripped, True, para))
            continue
        cut = 0
        for m in _SENT_END.finditer(segment):
            # Only the word before the stop can make it an abbreviation: look at the tail alone
            # (searching the whole pending text again at every stop is quadratic).
            end = m.start()
            while end > cut and segment[end - 1] in "\"”’)]":
                end -= 1
            if _ABBREV.search(segment, max(cut, end - 16), end):
                continue
            out.extend(_sentence(segment, cut, m.start(), body_start, para))
            cut = m.end()
        out.extend(_sentence(segment, cut, len(segment), body_start, para))
    return [s for s in out if s.text]


def _sentence(segment: str, a: int, b: int, base: int, para: int) -> list[Sentence]:
    """The sentence ``segment[a:b]`` without surrounding space, cut at spaces into pieces of at
    most :data:`MAX_SENTENCE` characters (every later step is then bounded per piece)."""
    out = []
    while a < b:
        while a < b and segment[a].isspace():
            a += 1
        stop = b
        if b - a > MAX_SENTENCE:
            space = segment.rfind(" ", a + MAX_SENTENCE // 2, a + MAX_SENTENCE)
            stop = space if space > a else a + MAX_SENTENCE
        end = stop
        while end > a and segment[end - 1].isspace():
            end -= 1
        if end > a:
            out.append(Sentence(base + a, base + end, segment[a:end], False, para))
        a = stop
    return out


# --- places ---------------------------------------------------------------------------------
def _place_index(gaz: pd.DataFrame) -> tuple[dict[str, list[dict]], dict[str, dict], int]:
    """Gazetteer entries by key, the capital district of each province, longest name in tokens."""
    index: dict[str, list[dict]] = {}
    for rec in gaz.to_dict("records"):
        index.setdefault(rec["key"], []).append(rec)
    # COD-AB numbers each province's capital district 01 (AF0101 Kabul, AF2101 Mazar-e-Sharif).
    capitals = {
        r["admin1_pcode"]: r
        for r in gaz[(gaz["kind"] == "adm2") & (gaz["admin2_pcode"].str[4:] == "01")].to_dict("records")
        if r["admin2_pcode"][:4] == r["admin1_pcode"]
    }
    return index, capitals, 6


#: The current gazetteer, its place index and the resolver's answers on it so far (articles
#: name the same places again and again; a new gazetteer starts afresh).
_INDEX: list[tuple[pd.DataFrame, tuple, dict[tuple[str, str | None], Match]]] = []
#: Answers kept per gazetteer at most (a text of many thousand distinct names must not grow it unbounded).
MEMO_SIZE = 100_000


def _current(gaz: pd.DataFrame | None = None) -> tuple[pd.DataFrame, tuple, dict[tuple[str, str | None], Match]]:
    """The gazetteer (``gaz``, else the installed one), its place index and its answers so far."""
    gaz = gazetteer() if gaz is None else gaz
    if not _INDEX or _INDEX[0][0] is not gaz:
        _INDEX[:] = [(gaz, _place_index(gaz), {})]
    return _INDEX[0]


def _indexes(gaz: pd.DataFrame | None = None) -> tuple[dict[str, list[dict]], dict[str, dict], int]:
    """The place index of the gazetteer, built once per gazetteer."""
    return _current(gaz)[1]


def _resolve(location: str, province: str | None = None, gaz: pd.DataFrame | None = None) -> Match:
    """:func:`geo.geocode.resolve_place`, once per (location, province) and gazetteer."""
    gaz, _, memo = _current(gaz)
    key = (location, province)
    if key not in memo:
        if len(memo) >= MEMO_SIZE:
            memo.clear()
        memo[key] = resolve_place(location, province, gaz)
    return memo[key]


_DROP = EZAFE | FILLER | set(LEVEL_WORDS)
_PLURAL_LEVEL = {"provinces": "adm1", "districts": "adm2", "cities": "place", "towns": "place", "villages": "place"}
_CALENDAR = {m.lower() for m in calendar.month_name[1:]} | {d.lower() for d in calendar.day_name}
_LOCATIVE = {"in", "near", "at", "outside", "from", "to", "of", "into", "across", "around", "inside", "between", "and"}


def _choose_kind(entries: list[dict], level: str | None, capitals: dict[str, dict]) -> list[dict]:
    kinds = {e["kind"] for e in entries}
    if level and level in kinds:
        return [e for e in entries if e["kind"] == level]
    if level == "place" and "adm2" in kinds:
        return [e for e in entries if e["kind"] == "adm2"]
    if "adm1" in kinds:
        # A bare province name is the province, unless its capital has that name ("Kabul").
        prov = [e for e in entries if e["kind"] == "adm1"]
        capital_towns = [
            e for e in entries
            if e["kind"] in ("place", "adm2") and any(capitals.get(p["admin1_pcode"], {}).get("admin2_pcode") == e["admin2_pcode"] for p in prov)
        ]
        if capital_towns:
            return [e for e in capital_towns if e["kind"] == "place"] or capital_towns
        return prov
    if len({e["admin2_pcode"] for e in entries if e["kind"] == "adm2"}) > 1:
        # Namesake districts (Jani Khel in Paktya and in Paktika): a town of that name in one of
        # them does not settle it; the province named nearby does, later.
        return [e for e in entries if e["kind"] in ("place", "adm2")]
    for kind in ("place", "adm2"):
        if kind in kinds:
            return [e for e in entries if e["kind"] == kind]
    return entries


def _level_near(text: str, toks: list[Tok], i: int, j: int) -> str | None:
    """The level a generic word next to tokens i..j names ("Balkh province", "province of Balkh")."""
    if j + 1 < len(toks):
        nxt = toks[j + 1].low
        if nxt in LEVEL_WORDS and text[toks[j].end : toks[j + 1].start].strip() in ("", "-"):
            return LEVEL_WORDS[nxt]
        if nxt in _PLURAL_LEVEL:
            return _PLURAL_LEVEL[nxt]
        # "Balkh and Nimroz provinces"
        if nxt == "and" and j + 3 < len(toks) and toks[j + 3].low in _PLURAL_LEVEL:
            return _PLURAL_LEVEL[toks[j + 3].low]
    if i >= 2 and toks[i - 1].low == "of" and toks[i - 2].low in LEVEL_WORDS | _PLURAL_LEVEL.keys():
        word = toks[i - 2].low
        if i >= 3 and LEVEL_WORDS.get(word) == "adm2" and toks[i - 3].raw[:1].isupper():
            return "adm1"  # "Spin Boldak district of Kandahar": the province it lies in
        return LEVEL_WORDS.get(word) or _PLURAL_LEVEL[word]
    if i >= 3 and toks[i - 1].low == "of" and toks[i - 2].low == "the" and toks[i - 3].low == "provinces":
        return "adm1"
    if i >= 2 and toks[i - 1].low == "and" and i >= 3 and toks[i - 3].low in ("provinces", "districts"):
        return _PLURAL_LEVEL[toks[i - 3].low]
    if i >= 3 and toks[i - 1].low == "of" and toks[i - 2].low == "capital" and toks[i - 3].low == "provincial":
        return "adm1"  # "Mazar-e-Sharif, the provincial capital of Balkh"
    return None


def find_places(text: str, base: int = 0, finder: PlaceFinder | None = None, province: str | None = None,
                gaz: pd.DataFrame | None = None) -> list[Place]:
    """Place mentions in ``text`` known to the gazetteer, longest match first.

    Parameters
    ----------
    text
        A sentence.
    base
        Offset of ``text`` in its article, added to every span.
    finder
        Optional extra span proposer (e.g. a statistical NER); its spans are resolved with
        the same gazetteer and added where they do not overlap a gazetteer match.
    province
        The province the text before this one named, for names that need one (a province
        named in ``text`` itself comes first).
    gaz
        The gazetteer; defaults to :func:`geo.gazetteer.gazetteer` (an extraction looks it
        up once and passes it on).

    Returns
    -------
    list of Place
        In text order. Units are chosen as described in the module docstring; a name the
        gazetteer places in several units keeps the first unit in KIND order for now and is
        resolved with province context later.
    """
    index, capitals, longest = _indexes(gaz)
    toks = _tokens(text)
    # A name never spans punctuation other than hyphens, apostrophes and dots, nor a line break.
    broken = [text[a.end : b.start] != " " and bool(_BROKEN.search(text, a.end, b.start)) for a, b in zip(toks, toks[1:])] + [True]
    found: list[Place] = []
    i = 0
    while i < len(toks):
        hit = None
        # "March 26": GeoNames has a village called March.
        if toks[i].low in _DROP or toks[i].raw.isdigit() or toks[i].low in _CALENDAR:
            i += 1
            continue
        reach = 1
        while reach < longest and i + reach < len(toks) and not broken[i + reach - 1]:
            reach += 1
        for length in range(reach, 0, -1):
            j = i + length - 1
            if toks[j].low in _DROP or toks[j].raw.isdigit():
                continue
            span = text[toks[i].start : toks[j].end]
            key = normalise(span)
            if key and key in index:
                hit = (j, span, key)
                break
        if hit is None:
            i += 1
            continue
        j, span, key = hit
        level = _level_near(text, toks, i, j)
        has_upper = any(c.isupper() for c in span)
        prev = toks[i - 1].low if i else ""
        entries = index[key]
        only_places = all(e["kind"] == "place" for e in entries)
        latin = bool(re.search(r"[A-Za-z]", span))
        # Lower-case words ("washer", "bin", "for a") and bare village names need support from
        # context; a name after a given name is a person's ("Nasir Shinwari").
        if ((not has_upper and level is None and (j == i or latin)) or (only_places and j == i and level is None and prev not in _LOCATIVE)
                or (j == i and level is None and _after_given_name(text, toks, i, index))):
            i += 1
            continue
        chosen = _choose_kind(entries, level, capitals)
        e = chosen[0]
        if j + 1 < len(toks) and toks[j + 1].low in LEVEL_WORDS and text[toks[j].end : toks[j + 1].start].strip() in ("", "-"):
            j += 1  # keep "district", "province", "city" with the name: "Zaranj city"
            span = text[toks[i].start : toks[j].end]
        start, end = base + toks[i].start, base + toks[j].end
        place = Place(start, end, span, e["kind"], e["admin1"], e["admin1_pcode"], e["admin2_pcode"], e["name"])
        place = _ordinal_districts(text, toks[i].start, place, capitals)
        if len({(c["admin1_pcode"], c["admin2_pcode"]) for c in chosen}) > 1:
            if len({c["admin1_pcode"] for c in chosen}) > 1:
                place.admin1 = place.admin1_pcode = ""
            place.admin2_pcode = ""
            place.detail = "ambiguous"
        k = i
        while k > max(0, i - 2) and toks[k - 1].raw[:1].isupper() and text[toks[k - 1].end : toks[k].start] == " " \
                and toks[k - 1].low not in _DROP | _PLACE_ADJECTIVES | _LOCATIVE:
            k -= 1
        place.prefix = text[toks[k].start : toks[i - 1].end] if k < i else ""
        place.bare = level is None and j == i and len(chosen) == len([c for c in chosen if c["kind"] != "adm1"]) and any(e["kind"] == "adm1" for e in entries)
        found.append(place)
        i = j + 1
    found += _loose_candidates(text, toks, base, found)
    if finder is not None:
        for a, b in finder.spans(text):
            if any(a < p.end - base and p.start - base < b for p in found):
                continue
            key = normalise(text[a:b])
            if key in index:
                e = _choose_kind(index[key], None, capitals)[0]
                found.append(Place(base + a, base + b, text[a:b], e["kind"], e["admin1"], e["admin1_pcode"], e["admin2_pcode"], e["name"]))
    found.sort(key=lambda p: p.start)
    _settle_places(found, province, gaz)
    return found


#: Capitalised words before a place that describe it rather than name a person.
_PLACE_ADJECTIVES = {"north", "south", "east", "west", "northern", "southern", "eastern", "western", "central",
                     "northeastern", "northwestern", "southeastern", "southwestern", "north-eastern", "upper",
                     "lower", "greater", "old", "new", "afghan", "afghanistan", "neighbouring", "neighboring",
                     "remote", "restive", "volatile", "mountainous", "troubled"}


#: What follows a person's name: an apposition ("Rahim Mangal, a district official, ...") or a
#: reporting verb ("Rahim Mangal said").
_PERSON_NEXT = re.compile(
    r"\s*(?:,\s*(?:a|an|the)\s+(?:[\w’'-]+\s+){0,3}?(?:official|spokes(?:man|woman|person)|commander|governor|chief|"
    r"head|elder|resident|witness|member|journalist|director|officer|leader|deputy|mayor|cleric|lawmaker|analyst|"
    r"relative|brother|son|father|owner)\b|\s+(?:said|says|told|added|stated|confirmed|tweeted|wrote)\b)"
)


def _after_given_name(text: str, toks: list[Tok], i: int, index: dict[str, list[dict]]) -> bool:
    """Whether token i follows a capitalised word that reads as a given name: nothing between
    them, not a place, an actor or a word describing a place ("Nasir Shinwari", not "In Kabul",
    "Eastern Nangarhar" or "Taliban Kabul"). The first word of a sentence is capitalised anyway:
    there, what follows must say that a person is meant ("Rahim Mangal, a district official,")."""
    if i < 1 or (i == 1 and not _PERSON_NEXT.match(text, toks[i].end)):
        return False
    prev = toks[i - 1]
    if not prev.raw[:1].isupper() or text[prev.end : toks[i].start] != " " or prev.low in _PLACE_ADJECTIVES | _LOCATIVE | _DROP:
        return False
    return normalise(prev.raw) not in index and (prev.low,) not in _actor_index()[0] and prev.low not in _CALENDAR


def _loose_candidates(text: str, toks: list[Tok], base: int, found: list[Place]) -> list[Place]:
    """Capitalised names the exact lookup missed but the geocoder may know: a name before a
    level word ("Khakraiz district", "Badakhstan province") or one standing alone between commas
    ("..., Panjwayi, Kandahar"). They are resolved later, with the province in context
    (:func:`_settle_places`), and dropped when they do not resolve."""
    taken = [(p.start - base, p.end - base) for p in found]
    actors = _actor_index()[0]
    out: list[Place] = []
    k = 0
    while k < len(toks):
        t = toks[k]
        if (not t.raw[:1].isupper() or t.low in _DROP or t.low in _CALENDAR or (t.low,) in actors
                or any(a <= t.start < b for a, b in taken) or t.low in LEVEL_WORDS or t.raw.isupper()):
            k += 1
            continue
        m = k
        while (m + 1 < len(toks) and m - k < 2 and toks[m + 1].raw[:1].isupper() and toks[m + 1].low not in LEVEL_WORDS
               and toks[m + 1].low not in _DROP and text[toks[m].end : toks[m + 1].start] in (" ", "-")
               and not any(a <= toks[m + 1].start < b for a, b in taken)):
            m += 1
        gap_after = text[toks[m].end : toks[m + 1].start] if m + 1 < len(toks) else text[toks[m].end :]
        level = None
        if m + 1 < len(toks) and toks[m + 1].low in LEVEL_WORDS and gap_after.strip() in ("", "-"):
            level = LEVEL_WORDS[toks[m + 1].low]
        before = text[toks[k - 1].end : t.start] if k else ""
        alone = m == k and k > 0 and "," in before and (gap_after.strip()[:1] in (",", ".") or m + 1 == len(toks))
        if level or alone:
            end = toks[m + 1].end if level else toks[m].end
            span = text[t.start : end]
            if not re.search(r"[^\w\s’'\-‐.]", span):
                out.append(Place(base + t.start, base + end, span, level or "adm2", "", "", "", span,
                                 detail="loose" if level else "loose-bare"))
        k = m + 1
    return out


def _ordinal_districts(text: str, at: int, place: Place, capitals: dict[str, dict]) -> Place:
    """'the 5th and 8th districts of Balkh province' are urban districts of Balkh's capital."""
    before = text[max(0, at - 80) : at]
    m = _ORDINAL_DISTRICTS.search(before) or _POLICE_DISTRICTS.search(before)
    if not m or place.kind not in ("adm1", "place", "adm2"):
        return place
    cap = capitals.get(place.admin1_pcode)
    if cap is None:
        return place
    start = place.start - (len(before) - m.start())
    words = m.group("ords")
    several = bool(re.search(r",|\band\b|&", words))
    detail = f"{words} district{'s' if several else ''}" if m.re is _ORDINAL_DISTRICTS else f"police district{'s' if several else ''} {words}"
    return Place(start, place.end, text[m.start() + at - len(before) : at] + place.text, "place",
                 cap["admin1"], cap["admin1_pcode"], cap["admin2_pcode"], cap["admin2"], detail)


# --- actors ---------------------------------------------------------------------------------
@lru_cache(maxsize=64)
def _actor_index(on: date | None = None) -> tuple[dict[tuple[str, ...], tuple[str, bool, bool]], int]:
    """Alias token tuples -> (canonical actor on the date, upper case required, the alias names
    a state's forces, whose meaning depends on the period)."""
    table = actor_table()
    aliases = actor_aliases(on)
    periodic = {actor_key(a) for a, f, t in zip(table["alias"], table["from"], table["to"]) if f or t}
    out: dict[tuple[str, ...], tuple[str, bool, bool]] = {}
    for alias in table["alias"]:
        if actor_key(alias) not in aliases:
            continue  # an alias of another period only
        key = tuple(actor_key(alias).split())
        letters = re.sub(r"[^A-Za-z]", "", alias)
        upper = letters.isupper() and len(letters) <= 5
        prev = out.get(key)
        out[key] = (aliases[actor_key(alias)], upper and (prev is None or prev[1]), actor_key(alias) in periodic)
    return out, max(len(k) for k in out)


@lru_cache(maxsize=64)
def _actor_firsts(on: date | None = None) -> frozenset[str]:
    """The first words of the aliases: no other word can start a mention."""
    return frozenset(k[0] for k in _actor_index(on)[0])


#: "Former soldiers" and the like are civilians (as ACLED codes them); a foreign state's
#: soldiers are not the Afghan state's.
_FORMER = {"former", "ex", "retired", "previous"}
_FOREIGN = {"american", "us", "u", "pakistani", "iranian", "foreign", "coalition", "british", "german", "georgian",
            "international", "nato", "tajik", "uzbek", "turkmen", "indian", "chinese", "russian", "iraqi", "syrian"}


_GROUP_REF = re.compile(r"\bthe\s+(?:[a-z-]+\s+){0,2}?(?:group|militants|militant group|terrorist group|insurgents|terrorists|jihadists)\b(?!\s*(?:[’']s\s+)?(?:of|members))")
_VICTIM_NOUNS = {
    "men", "members", "member", "fighters", "fighter", "officials", "official", "commanders", "commander",
    "leaders", "leader", "militants", "soldiers", "police", "guards", "personnel", "terrorists", "insurgents",
    "key", "senior", "local", "top", "high", "ranking", "highest", "group", "s",
}
_VICTIM_VERBS = {"killed", "dead", "slain", "eliminated", "wounded", "injured", "arrested", "detained", "targeted", "attacked", "executed",
                 "shot", "assassinated", "abducted", "kidnapped", "martyred", "gunned", "beheaded", "stabbed", "ambushed", "hit"}
_AUX = {"were", "was", "have", "has", "had", "been", "are", "is", "being", "reportedly"}
_TARGET_BEFORE = {"against", "on", "targeting", "dead", "targeted", "attacked", "attack", "attacks", "raided", "killed", "killing",
                  "eliminated", "ambushed", "struck", "among", "at", "hit"}
_MEMBER_OF = {"members", "member", "fighters", "commanders", "leaders", "hideout", "hideouts", "militants", "positions", "men"}
_TARGET_AFTER = {"hideout", "hideouts", "positions", "position", "checkpoint", "checkpoints", "base", "bases", "posts", "convoy", "compound"}
_ATTACK_VERBS = {"gunned", "launched", "attacked", "raided", "killed", "eliminated", "targeted", "stormed", "detonated", "carried",
                 "conducted", "ambushed", "struck", "shot", "fired", "bombed", "hit", "executed", "assassinated",
                 "abducted", "kidnapped", "arrested", "captured", "seized", "attacks", "attack", "kills", "raid"}
_SKIP_AFTER = {"had", "have", "has", "also", "then", "reportedly", "allegedly", "fighters", "forces", "special", "security",
               "group", "militants", "members", "later", "have", "s", "on", "monday", "tuesday", "wednesday", "thursday",
               "friday", "saturday", "sunday", "night", "gunmen"}
_SPEAKER_BEFORE = {"spokesman", "spokesperson", "spokeswoman", "according", "close", "officials", "for"}
_SPEAKER_AFTER = {"spokesman", "spokesperson", "spokeswoman", "officials", "official", "sources", "source", "media",
                  "outlet", "said", "says", "claimed", "announced", "reported", "stated", "told", "tweeted", "intelligence",
                  "directorate", "administration", "government", "command", "alleged", "confirmed"}


#: Words that make what follows a suspicion, not an attribution.
_DOUBT = {"suspected", "suspect", "suspects", "believed", "believe", "believes", "unclear", "whether", "possibly",
          "allegedly", "presumably", "probably", "likely"}
#: Doubt words that are verbs: right before the name they still doubt it ("residents believe IS-K ...").
_DOUBT_VERBS = {"believe", "believes", "suspect", "suspects"}
_QUANTIFIERS = {"at", "least", "more", "than", "about", "some", "over", "nearly", "around", "several", "dozens", "scores",
                "afghan", "local", "an", "a", "the", "their", "his", "her", "its", "other", "another", "suspected", "alleged",
                "former", "ex", "retired"}
#: Verbs and nouns whose object is hurt: what follows them (past numbers) is a target.
_HARM_BEFORE = {"wounded", "injured", "wounding", "injuring", "shot", "assassinated", "abducted", "kidnapped", "killing",
                "killed", "kill", "kills", "ambushing", "targetting", "targeting", "hitting", "striking", "hit", "struck",
                "attacking", "attacked", "against", "on", "targeted"}
_SPEAKER_VERBS = {"said", "says", "told", "announced", "stated", "tweeted", "reported", "confirmed", "added"}
_DENY = {"denied", "denies", "deny", "condemned", "condemns", "rejected", "rejects", "disowned"}
_DEFEND = {"repulsed", "repelled", "foiled", "thwarted", "defended", "fended", "pushed"}


def _role(toks: list[Tok], i: int, j: int, text: str = "") -> str:
    """The role of the actor in tokens i..j, from the words around it (within its clause)."""
    lo = i
    while lo > max(0, i - 3) and not re.search(r"[,;:.()]", text[toks[lo - 1].end : toks[lo].start]):
        lo -= 1
    hi = j
    while hi < min(len(toks) - 1, j + 8) and not re.search(r"[,;:.]", text[toks[hi].end : toks[hi + 1].start]):
        hi += 1
    before = [t.low for t in toks[lo:i]]
    after = [t.low for t in toks[j + 1 : hi + 1]]
    # A suspicion or a doubt is not an attribution ("it is suspected that the Taliban ...").
    if i > 1 and any(t.low in _DOUBT for t in toks[max(0, i - 6) : i - 1]) and toks[i - 1].low not in _DOUBT - _DOUBT_VERBS \
            or i > 0 and toks[i - 1].low in _DOUBT_VERBS:
        return "suspected"  # ("suspected IS-K members" are suspected of membership, not of the attack)
    if any(w in _DEFEND for w in after[:4]):
        return "defender"  # "Afghan troops repelled the assault"
    if before and before[-1] == "by" or (len(before) >= 2 and before[-2] == "by" and before[-1] == "the"):
        return "attacker"
    verbs = [w for w in after[:3] if not w.endswith("ly") and w not in ("had", "have", "has", "reportedly", "also", "then")]
    if verbs and verbs[0] in _ATTACK_VERBS - {"attack", "attacks", "raid"}:
        return "attacker"  # the subject: "fighters of the NRF attacked", "the Taliban killed"
    # The object of a violent verb, past numbers and quantifiers: "injured four Afghan soldiers".
    wide = i
    while wide > max(0, i - 6) and not re.search(r"[,;:.()]", text[toks[wide - 1].end : toks[wide].start]):
        wide -= 1
    core = [t.low for t in toks[wide:i] if _number(t.low) is None and t.low not in _QUANTIFIERS]
    if core and core[-1] in _HARM_BEFORE:
        return "target"
    if core and core[-1] in ("including", "among", "them") and any(t.low in _HARM_BEFORE for t in toks[max(0, i - 10) : i]):
        return "target"  # "killing nine people, including four police officers", "among them two guards"
    if len(before) >= 2 and before[-1] == "with" and _TRIGGER_RE.fullmatch(before[-2]):
        return "target"  # "clashed with gunmen"
    if any(w in _TARGET_BEFORE for w in before[-2:]) or (len(before) >= 3 and before[-1] in _TARGET_BEFORE | {"the", "an", "a"} and before[-2] in _TARGET_BEFORE):
        return "target"
    if len(before) >= 2 and before[-1] in ("of", "the") and (before[-2] in _MEMBER_OF or (len(before) >= 3 and before[-3] in _MEMBER_OF)):
        return "target"
    # After the name: skip nouns such as "officials" or "men", then look at the verb.
    k, skipped = 0, 0
    while k < len(after) and after[k] in _VICTIM_NOUNS:
        k, skipped = k + 1, skipped + 1
    if k < len(after) and after[k] in _TARGET_AFTER:
        return "target"
    aux = 0
    while k < len(after) and after[k] in _AUX:
        k, aux = k + 1, aux + 1
    passive = any(w in _AUX - {"have", "has", "had", "reportedly"} for w in after[k - aux : k])
    objekt = k + 1 < len(after) and (_number(after[k + 1]) is not None or after[k + 1] in ("a", "an", "the", "at", "least", "two", "more"))
    if k < len(after) and after[k] in _VICTIM_VERBS and (passive or (skipped and not aux and not objekt)):
        return "target"
    # "two guards and a cook were injured": the passive verb after a list.
    for n in range(k, min(len(after) - 1, k + 6)):
        if after[n] in _ATTACK_VERBS:
            break
        if after[n] in _AUX - {"have", "has", "had"} and after[n + 1] in _VICTIM_VERBS:
            return "target"
    # A party that denies or condemns an attack speaks of it: it is not the perpetrator.
    if any(w in _DENY for w in after[:3]):
        return "speaker"
    # An attacker: "the Taliban killed ...", "Taliban operations", "claimed responsibility".
    for w in after[:4]:
        if w in _ATTACK_VERBS or _NOUN.match(w) or _NOUN_PLURAL.match(w):
            return "attacker"
        if w == "claimed" and len(after) > after.index(w) + 1:
            rest = after[after.index(w) + 1 : after.index(w) + 5]
            if "responsibility" in rest or any(_NOUN.match(r) or _NOUN_PLURAL.match(r) for r in rest):
                return "attacker"
        if w not in _SKIP_AFTER and not w.endswith("ly"):
            break
    # "a Taliban commander in Herat told reporters": the verb may come after a short phrase.
    if any(w in _SPEAKER_BEFORE for w in before) or any(w in _SPEAKER_AFTER for w in after[:3]) or any(
            w in _SPEAKER_VERBS for w in after[:6]):
        # "The Taliban said they had killed seven": a party speaking of its own attack.
        for k, w in enumerate(after):
            if w in ("they", "we", "its", "their") and any(v in _ATTACK_VERBS for v in after[k + 1 : k + 4]):
                return "attacker"
        return "speaker"
    return "other"


def find_actors(text: str, base: int = 0, last_actor: str | None = None, on: date | None = None) -> list[ActorMention]:
    """Actor mentions in a sentence, with roles; "the group" stands for the actor named last.

    Parameters
    ----------
    text
        A sentence.
    base
        Offset of ``text`` in its article.
    last_actor
        The actor named last before this sentence, for "the group" and the like.
    on
        The date the text speaks of, for aliases whose meaning depends on the period
        ("Afghan police" before and after August 2021); without it they are not read as actors.

    Returns
    -------
    list of ActorMention
        In text order; adjacent mentions of the same actor ("Islamic State – Khorasan (IS-K)")
        count once.
    """
    index, longest = _actor_index(on)
    firsts = _actor_firsts(on)
    toks = _tokens(text)
    lows = [t.low for t in toks]
    hits: list[tuple[int, int, str, bool]] = []
    i = 0
    while i < len(toks):
        if lows[i] not in firsts:
            i += 1
            continue
        for length in range(min(longest, len(toks) - i), 0, -1):
            key = tuple(lows[i : i + length])
            if key in index:
                actor, upper, periodic = index[key]
                raw = text[toks[i].start : toks[i + length - 1].end]
                if upper and not re.sub(r"[^A-Za-z]", "", raw).isupper():
                    continue
                before = toks[i - 1].low if i else ""
                after = toks[i + length].low if i + length < len(toks) else ""
                if periodic and (before in _FOREIGN or after in ("district", "districts", "station", "headquarters")):
                    continue  # "US soldiers", "Police District 5"
                if before in _FORMER or (i >= 2 and toks[i - 2].low in _FORMER and before in ("local", "afghan", "government")):
                    actor = CIVILIANS
                hits.append((i, i + length - 1, actor, periodic))
                i += length
                break
        else:
            i += 1
    for m in _GROUP_REF.finditer(text):
        # Skip "IS-K group": the name right before "group" is already a mention.
        ti = next((k for k, t in enumerate(toks) if t.start >= m.start()), None)
        tj = next((k for k, t in enumerate(toks) if t.end >= m.end()), None)
        if ti is None or tj is None or any(a <= tj and ti <= b for a, b, _, _ in hits):
            continue
        earlier = [h for h in hits if h[1] < ti and h[2] != CIVILIANS and not h[3]]
        ref = earlier[-1][2] if earlier else last_actor
        if ref:
            hits.append((ti, tj, ref, False))
    hits.sort()
    out: list[ActorMention] = []
    prev_end, prev_actor = -5, None
    for a, b, actor, generic in hits:
        if actor == prev_actor and a - prev_end <= 2:
            prev_end = b
            continue
        out.append(ActorMention(base + toks[a].start, actor, _role(toks, a, b, text), generic))
        prev_end, prev_actor = b, actor
    return out


# --- numbers --------------------------------------------------------------------------------
def _number(word: str) -> int | None:
    w = re.split(r"[-–]", word.lower().replace(",", ""))[0] if word[:1].isdigit() else word.lower().replace(",", "")
    if w.isdigit():
        return int(w)
    return _NUMBER_WORDS.get(w)


#: Words that may stand between a death verb and its count: "killed at least six", "claimed the lives of six".
_FORWARD_FILLER = {"at", "least", "more", "than", "about", "some", "over", "nearly", "around", "up", "to", "another",
                   "other", "the", "lives", "of", "as", "many", "almost", "roughly", "approximately", "a", "total"}
_OBJECT_START = {"a", "an", "the", "his", "her", "their", "him", "them", "its", "at", "two", "three", "four"}
#: Words that cannot stand between a count of victims and the death word.
_NOT_VICTIMS = {"into", "in", "on", "at", "after", "before", "during", "from", "bullets", "rounds", "shots", "times", "days",
                "weeks", "months", "years", "hours", "minutes", "ago", "km", "kilometres", "kilometers", "miles"}
#: One victim, not counted in figures: "a shopkeeper was shot dead", "the judge was killed".
_SINGLE_DEATH = re.compile(r"\b(?:was|has been)\s+(?:\w+\s+){0,2}?(?:killed|shot dead|assassinated|gunned down|beheaded|"
                           r"executed|slain|martyred|murdered|lynched|strangled|(?:stabbed|beaten|hacked|stoned|burn(?:ed|t)|"
                           r"tortured|shot) to death)\b|\bdied of (?:his|her) (?:wounds|injuries)\b", re.I)


#: One victim named and a count more: "killed the deputy governor and two of his guards".
_ONE_AND_MORE = re.compile(r"\b(?:killed|killing|kills)\s+(?:a|an|the|his|her)\s+(?:[\w’'-]+\s+){0,4}?and\s+(?P<n>\w+)\s+"
                           r"(?:of\s+(?:his|her|their)\s+|other\s+|more\s+)?[\w-]+", re.I)
#: Bodies found: "the body of a former officer was found" (1), "the bodies of three men" (3).
_BODIES = re.compile(r"\bbody of (?:a|an|the|his|her|one)\b|\bbodies of (?:the\s+)?(?P<n>[\w,]+)\b", re.I)
#: Words before "of N" that make N the count itself: "a total of 14", "the lives of six".
_TOTAL_OF = {"total", "number", "toll", "tally", "least", "most", "maximum", "minimum", "lives", "deaths", "group", "band"}
_TO_DEATH = {"stabbed", "beaten", "hacked", "stoned", "burned", "burnt", "tortured", "shot", "bludgeoned", "clubbed"}


def find_fatalities(text: str, masked: Sequence[tuple[int, int]] = ()) -> tuple[int | None, str]:
    """Fatalities a sentence reports, with the words that say so.

    Numbers count when bound to a death word: "six people dead", "killed at least six",
    "eliminated three key commanders", "leaving him dead" (1), "no casualties" (0). Numbers
    inside ``masked`` spans (dates, times) and ordinals never count.

    Returns
    -------
    (int or None, str)
        The sum of the bound numbers (``None`` when none is given) and the phrase(s).
    """
    low = text.lower()
    if re.search(r"\b(?:no (?:casualties|deaths|fatalities|one (?:was )?(?:killed|hurt))|nobody was killed)\b", low):
        zero = True
    else:
        zero = False
    # "9th" is an ordinal, never a count; "3-5 civilians" counts as 3 (the lower figure).
    words = [(m.start(), m.end(), m.group()) for m in re.finditer(r"\d[\d,]*(?:[-–]\d[\d,]*)?[A-Za-z]*|[A-Za-z’'-]+", text)]
    words = [w for w in words if not any(a <= w[0] < b for a, b in masked)]
    used: set[int] = set()
    total, phrases = 0, []
    for k, (s, e, w) in enumerate(words):
        lw = w.lower()
        shot_dead = (lw == "dead" and k > 0 and words[k - 1][2].lower() == "shot") or (
            lw == "down" and k > 0 and words[k - 1][2].lower() == "gunned")
        if _DEATH_AFTER.match(lw) or shot_dead:
            # Forward: "killed (at least) six ...", "leaving him dead", stopping at injuries.
            for n in range(k + 1, min(k + 5, len(words))):
                nw = words[n][2].lower()
                if nw in _INJURY or nw in ("in", "on", "after", "when", "and", "while", "by") or re.search(r"[,;.]", text[words[n - 1][1] : words[n][0]]):
                    break
                if n == k + 1 and nw in ("a", "an") and (shot_dead or lw in ("killed", "killing", "eliminated", "executed", "slew")):
                    used.add(n)
                    one = _ONE_AND_MORE.match(text, s)
                    more = _number(one.group("n")) if one else None
                    total += 1 + (more or 0)  # "killed a commander and three other officers" (4)
                    phrases.append(one.group() if more else text[s : words[min(n + 2, len(words) - 1)][1]])
                    break
                if lw in ("killed", "killing", "kills", "eliminated", "eliminating", "executed", "slew", "left", "leaving", "claimed") and nw in ("him", "her") and (lw not in ("left", "leaving", "claimed") or (n + 1 < len(words) and words[n + 1][2].lower() == "dead")):
                    if n not in used:
                        used.add(n)
                        total += 1
                        phrases.append(text[s : words[n][1] + (5 if lw in ("left", "leaving") else 0)].strip())
                    break
                val = _number(nw)
                following = words[n + 1][2].lower() if n + 1 < len(words) else ""
                if val is None and nw not in _FORWARD_FILLER and lw not in ("left", "leaving", "claimed"):
                    break  # "killing took place two months ago": other words first, no count
                if val is not None and following in _NOT_VICTIMS:
                    break
                if val is not None and n not in used:
                    if lw in ("left", "leaving", "claimed"):
                        # "left six people dead" / "claimed the lives of six": need the death word.
                        tail = [x[2].lower() for x in words[n + 1 : n + 5]]
                        if not any(_DEATH_BEFORE.match(t) or t == "lives" for t in tail):
                            break
                    used.add(n)
                    total += val
                    phrases.append(text[s : words[n][1]])
                    break
        nxt = [x[2].lower() for x in words[k + 1 : k + 3]]
        # "killed and injured", "killed or wounded": casualties, not deaths. "Two gunmen killed
        # a police officer": the number before an active verb counts the attackers.
        casualties = bool(nxt) and nxt[0] in ("and", "or") and len(nxt) > 1 and nxt[1] in _INJURY
        active = (bool(nxt) and lw in ("killed", "slain", "eliminated") and (nxt[0] in _OBJECT_START or _number(nxt[0]) is not None)
                  and not re.search(r"[,;.:]", text[e : words[k + 1][0]]))
        # "beaten to death" (not "sentenced to death").
        to_death = lw == "death" and k > 1 and words[k - 1][2].lower() == "to" and words[k - 2][2].lower() in _TO_DEATH
        if (_DEATH_BEFORE.match(lw) or lw in ("deaths", "lives") or to_death) and not casualties and not active:
            # Backward: "seven people were killed", "at least nine people dead", "two teachers
            # and one student were killed" (3); not across "four more rounds into the body".
            for n in range(k - 1, max(k - 11, -1), -1):  # "five members of the Afghan security forces were also killed"
                nw = words[n][2].lower()
                if nw in _INJURY or nw in _NOT_VICTIMS:
                    break
                val = _number(nw)
                if val is not None and n > 1 and words[n - 1][2].lower() == "of" and words[n - 2][2].lower() not in _TOTAL_OF:
                    continue  # "supporters of 2 commanders were killed": the 2 are not the dead
                if val is None and nw in ("a", "an") and n > 0 and words[n - 1][2].lower() == "and":
                    val = 1  # "three guards and a driver were killed" (4)
                if val is not None:
                    if n not in used:
                        used.add(n)
                        total += val
                        phrases.append(text[words[n][0] : e])
                        for c in range(n - 1, max(n - 5, -1), -1):  # "... and one student"
                            cw = words[c][2].lower()
                            if cw != "and":
                                continue
                            more = next((x for x in range(c - 1, max(c - 4, -1), -1) if _number(words[x][2]) is not None), None)
                            if more is not None and more not in used and not any(words[y][2].lower() in _INJURY for y in range(more, n)):
                                used.add(more)
                                total += _number(words[more][2])
                            break
                    break
    if not phrases and (m := _ONE_AND_MORE.search(text)) and (more := _number(m.group("n"))):
        return 1 + more, m.group()  # "killed the deputy governor and two of his guards" (3)
    if not phrases and (m := _BODIES.search(text)):
        return (_number(m.group("n")) or 0) if m.group("n") else 1, m.group()
    if not phrases and _SINGLE_DEATH.search(text):
        return 1, _SINGLE_DEATH.search(text).group()
    if phrases:
        return total, "; ".join(phrases)
    return (0, "no casualties") if zero else (None, "")


# --- mentions -------------------------------------------------------------------------------
def _segments(sentence: Sentence) -> list[tuple[int, int]]:
    cuts = [0] + [m.end() for m in _SPLIT_SEGMENT.finditer(sentence.text)] + [len(sentence.text)]
    return [(a, b) for a, b in zip(cuts, cuts[1:]) if sentence.text[a:b].strip()]


def _settle_places(places: list[Place], context_province: str | None, gaz: pd.DataFrame | None = None) -> None:
    """Use the province named in the sentence (or before it) for names that need one.

    A name several units share ("Jani Khel") is resolved in that province; a bare province
    name read as its capital ("In Kunduz, ... Imam Sahib district") is the province when the
    sentence also names another place in it.
    """
    # Loose province names first ("Badakhstan province"): they are the context of the rest.
    for p in [p for p in places if p.detail == "loose" and p.kind == "adm1"]:
        if not _settle_loose(p, None, gaz):
            places.remove(p)
    provinces = [p.admin1 for p in places if p.kind == "adm1" and p.admin1]
    # A bare province name read as its capital ("..., Arghandab district, Kandahar") names the
    # province too, for names that need one.
    hint = provinces[0] if provinces else next((p.admin1 for p in places if p.bare and p.admin1), context_province)
    for p in list(places):
        if p.detail.startswith("loose"):
            if not _settle_loose(p, hint, gaz):
                places.remove(p)
            continue
        if provinces and p.kind != "adm1" and p.admin1 and p.admin1 not in provinces and not p.detail:
            # The sentence names another province: a namesake inside it wins, and a village
            # elsewhere is not the place meant ("X area of Y district, Z province").
            match = _resolve(f"{p.prefix} {p.text}", provinces[0], gaz) if p.prefix else None
            if match is not None and match.status == "matched" and match.method != "context":
                p.text, p.start = f"{p.prefix} {p.text}", p.start - len(p.prefix) - 1
            else:
                match = _resolve(p.text, provinces[0], gaz)
            if match.status == "matched" and match.method != "context":
                e = match.entry
                p.kind, p.admin1, p.admin1_pcode, p.admin2_pcode, p.name = e["kind"], e["admin1"], e["admin1_pcode"], e["admin2_pcode"], e["name"]
            elif p.kind == "place":
                places.remove(p)
                continue
        if p.detail == "ambiguous":
            if hint:
                match = _resolve(p.text, hint, gaz)
                if match.status == "matched":
                    e = match.entry
                    p.kind, p.admin1, p.admin1_pcode, p.admin2_pcode, p.name = e["kind"], e["admin1"], e["admin1_pcode"], e["admin2_pcode"], e["name"]
                    p.detail = ""
        if p.bare and any(q is not p and q.admin1_pcode == p.admin1_pcode and q.admin2_pcode != p.admin2_pcode for q in places):
            p.kind, p.admin2_pcode, p.name = "adm1", "", p.admin1


def _settle_loose(p: Place, hint: str | None, gaz: pd.DataFrame | None = None) -> bool:
    """Resolve a loose candidate (see :func:`_loose_candidates`) in place; False when it names
    no district or province. A name alone must match by spelling or sound, not by similarity."""
    res = resolver(_current(gaz)[0])
    key = normalise(p.text)
    kinds = [p.kind] if p.detail == "loose" else ["adm1", "adm2"]
    provinces = res.hint_codes(hint, "adm1") if hint else frozenset()
    rows, scores, method = res.candidates(key, kinds, provinces)
    if not len(rows) and provinces and p.detail == "loose":
        rows, scores, method = res.candidates(key, kinds)
    if not len(rows) or (p.detail == "loose-bare" and method == "fuzzy"):
        return False
    match = res.decide(rows, scores, method)
    if match.status != "matched":
        return False
    e = match.entry
    p.kind, p.admin1, p.admin1_pcode, p.admin2_pcode, p.name, p.detail = (
        e["kind"], e["admin1"], e["admin1_pcode"], e["admin2_pcode"], e["name"], "")
    return True


def _masked_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _SINCE.finditer(text)]


def _inside(pos: int, spans: Sequence[tuple[int, int]]) -> bool:
    return any(a <= pos < b for a, b in spans)


def _verification(sentence: str) -> tuple[str, str]:
    if _NEG_INDEPENDENT.search(sentence):
        return "claimed", "no independent confirmation"
    if m := _POS_INDEPENDENT.search(sentence):
        return "corroborated", m.group(0)
    return "", ""


def _attribution(text: str, actors: list[ActorMention], base: int) -> str:
    """The reporting verb when a party speaks: "a Taliban spokesman said", "according to him"."""
    for m in _REPORTING.finditer(text):
        if re.match(r"claim", m.group(), re.I) and _RESPONSIBILITY.match(text, m.start()):
            continue
        if m.group().lower() == "according to":
            lo, hi = m.end(), m.end() + len(re.split(r"[,;.]", text[m.end() :])[0])
        else:
            # The speaker is the phrase before the verb, skipping an empty ", said" after an apposition.
            chunks = re.split(r"[,;.]|\bthat\b", text[: m.start()])
            while len(chunks) > 1 and not chunks[-1].strip():
                chunks.pop()
            hi = m.start()
            lo = hi - len(chunks[-1])
        who = text[lo:hi]
        party = any(a.actor != CIVILIANS and base + lo <= a.start < base + hi for a in actors)
        if party or _PARTY_WORDS.search(who) or re.search(r"\b(?:he|she|they|him|her|them)\b", who, re.I):
            if _WITNESS.search(who) and not party and not _PARTY_WORDS.search(who):
                continue
            return m.group()
    return ""


def _mentions(article: Article, finder: PlaceFinder | None, gaz: pd.DataFrame) -> list[Mention | Sentence]:
    """Every event mention of an article, with headings kept as story breaks."""
    text = article.text
    out: list[Mention | Sentence] = []
    last_actor: str | None = None
    last_province: str | None = None
    for sent in split_sentences(text):
        if sent.heading:
            out.append(sent)
            continue
        masked = _masked_spans(sent.text)
        places = [p for p in find_places(sent.text, sent.start, finder, last_province, gaz) if not _inside(p.start - sent.start, masked)]
        actors = [a for a in find_actors(sent.text, sent.start, last_actor, article.published) if not _inside(a.start - sent.start, masked)]
        dates = [d for d in find_dates(sent.text, article.published) if not _inside(d.begin, masked)]
        verification, why = _verification(sent.text)
        attributed = _attribution(sent.text, actors, sent.start)
        for p in places:
            if p.kind == "adm1":
                last_province = p.admin1
        carried_places: list[Place] = []
        carried_actors: list[ActorMention] = []
        segs = _segments(sent)
        first = _TRIGGER_RE.search(sent.text)
        fronted = [d for d in dates if first is None or first.start() >= d.begin]
        for a, b in segs:
            seg = sent.text[a:b]
            trig = [(m.start(), m.group()) for m in _TRIGGER_RE.finditer(seg) if not _inside(a + m.start(), masked)]
            trig = [(s, w) for s, w in trig if not re.match(r"stormed\s+to\s+power", seg[s:], re.I)]
            fat, fat_text = find_fatalities(seg, [(d.begin - a, d.finish - a) for d in dates] + [m.span() for m in _TIME.finditer(seg)] + [(s - a, e - a) for s, e in masked])
            seg_places = [p for p in places if a <= p.start - sent.start < b]
            seg_actors = [x for x in actors if a <= x.start - sent.start < b]
            seg_dates = [d for d in dates if a <= d.begin < b] or (fronted if len(segs) > 1 else dates)
            v = verification or ("claimed" if attributed else "")
            v_why = why or (f"attributed to a party ('{attributed}')" if v == "claimed" else "")
            if not trig and fat is None and not v and not _RESPONSIBILITY.search(seg):
                carried_places += seg_places
                carried_actors += seg_actors
                continue
            generic = bool(GENERIC_CUES.search(seg))
            if generic and any(d.precision == 1 for d in seg_dates) and len(_distinct_places(seg_places)) == 1 \
                    and not _BROAD_CUES.search(seg):
                generic = False  # "a series of explosions ... in Kabul on Saturday": one incident (one place, one day)
            nouns = [w for _, w in trig]
            definite = _definite(seg, trig) or bool(_PRONOUN_START.match(sent.text)) and a == 0
            specific_date = any(d.precision in (1, 2) for d in seg_dates)
            if trig and not generic and all(_NOUN_PLURAL.match(w) for w in nouns) and not specific_date and not definite:
                generic = True
            plain = seg
            for d in dates:
                if a <= d.begin < b:
                    plain = plain[: d.begin - a] + " " * (d.finish - d.begin) + plain[d.finish - a :]
            undated = plain
            plain = re.sub(r"\b(?:19|20)\d\d\b", " ", plain)
            count = next((n for n in (_number(w) for w in re.findall(r"\b[\w,]+\b", plain)) if n and n > 1), None) if generic else None
            own = bool(seg_places)
            use_places = seg_places or carried_places
            if not any(x.role == "attacker" for x in seg_actors):
                # The subject of an earlier clause carries over: "IS claimed attacks, including a bombing".
                carried = [x for x in carried_actors if x.role == "attacker"] or [
                    ActorMention(x.start, x.actor, "attacker") for x in carried_actors[:1] if x.role == "speaker" and x.actor != CIVILIANS]
                seg_actors = carried + seg_actors
            # The most precise phrase: "this month between 3 and 26 March" is 3-26 March; the
            # event's own date before the date a party spoke.
            date_span = min(seg_dates, key=lambda d: (_statement_date(sent.text, d), d.precision or 9,
                                                       (d.end - d.start).days if d.resolved else 99, d.begin), default=None)
            weak = date_span is not None and _statement_date(sent.text, date_span)
            if date_span is not None and not seg_places and _RESPONSIBILITY.search(seg) and (definite or not trig):
                # "IS-K claimed responsibility for the attack on Tuesday": the day may be the
                # claim's as well as the attack's; the attack told before keeps its own.
                weak = True
            background = _background(undated, seg_dates, article.published)
            out.append(
                Mention(
                    article=article, sentence=sent, start=sent.start + a, end=sent.start + b, text=seg,
                    triggers=nouns, places=use_places, own_place=own, date=date_span, actors=seg_actors,
                    fatalities=fat, fatality_text=fat_text, verification=v, verification_why=v_why,
                    responsibility=bool(_RESPONSIBILITY.search(seg)),
                    civilian_target=bool(_CIVILIAN_TARGETS.search(seg)),
                    unidentified_cue=bool(_UNIDENTIFIED_CUES.search(seg)),
                    generic=generic, count=count, definite=definite, indefinite=_indefinite(seg, trig) and not definite,
                    separate=bool(SEPARATE_CUES.search(seg)) and not definite, date_weak=weak, background=background,
                    more_dead=fat is not None and bool(_MORE_DEAD.search(seg)), sequel=(q := _SEQUEL.search(seg)) and q.group() or "",
                )
            )
            carried_places += seg_places
            carried_actors += seg_actors
        # "The insurgents", "the group" in a later sentence: never a state's forces named by a common noun.
        named = [x.actor for x in actors if x.actor != CIVILIANS and not x.generic]
        if named:
            last_actor = named[-1]
    return out


_STATEMENT_BEFORE = re.compile(
    r"\b(?:said|says|claimed|claims|announced|reported|stated|told|tweeted|added|confirmed|posted|wrote|"
    r"(?:statement|post|tweet|message|report|interview|briefing|posting))\s+(?:(?:late|early)\s+)?(?:on\s+)?$", re.I)
_STATEMENT_AFTER = re.compile(r"^\s*,?\s*(?:said|claimed|announced|reported|stated|told|tweeted|added|confirmed)\b", re.I)


def _statement_date(text: str, d: DateSpan) -> bool:
    """Whether a date phrase dates what a party said rather than the event ("on Friday
    claimed responsibility", "said on Monday", "in a post on Sunday")."""
    return bool(_STATEMENT_BEFORE.search(text[max(0, d.begin - 40) : d.begin]) or _STATEMENT_AFTER.match(text[d.finish : d.finish + 30]))


_YEAR = re.compile(r"\b(?:in|since|during|of|by|until)\s+((?:19|20)\d\d)\b", re.I)


def _background(plain: str, dates: list[DateSpan], published: date | None) -> bool:
    """A clause told as background: it names an earlier year ("was in 2019, when ...") and
    no finer date of its own. ``plain`` is the clause with its date phrases blanked."""
    if published is None or any(d.resolved and (d.precision or 9) <= 2 for d in dates):
        return False
    return any(int(y) < published.year for y in _YEAR.findall(plain))


def _determiner(seg: str, start: int, word: str) -> str:
    """The article or determiner of an event noun ("an attack" -> "an"), or ""."""
    if not (_NOUN.match(word) or _NOUN_PLURAL.match(word) or word.lower().startswith("suicide")):
        return ""
    for w in reversed(re.findall(r"[\w’']+", seg[:start])[-3:]):
        if w.lower() in _DEFINITE or w.lower() in ("a", "an", "another"):
            return w.lower()
    return ""


def _indefinite(seg: str, trig: list[tuple[int, str]]) -> bool:
    """True when the first event noun has an indefinite article: "an attack", "a suicide bomber"."""
    dets = [d for d in (_determiner(seg, s, w) for s, w in trig) if d]
    return bool(dets) and dets[0] in ("a", "an", "another")


def _definite(seg: str, trig: list[tuple[int, str]]) -> bool:
    """True when an event noun refers back: "the attack", "this operation", "the dead"."""
    if re.search(r"\b(?:the|its|their) (?:dead|victims|casualties|attackers?|assailants?)\b", seg, re.I):
        return True
    return any(_determiner(seg, s, w) in _DEFINITE for s, w in trig)


# --- incidents in one article ---------------------------------------------------------------
def _dates_fit(a: DateSpan | None, b: DateSpan | None, slack: int = 0) -> bool:
    if a is None or b is None:
        return True
    if not a.resolved or not b.resolved:
        if a.resolved != b.resolved:
            return True
        core = lambda d: re.sub(r"(?:’s|'s)\b|\s+(?:morning|afternoon|evening|night)\b", "", d.text.lower())
        return core(a) == core(b)
    return a.start - timedelta(days=slack) <= b.end and b.start - timedelta(days=slack) <= a.end


def _places_fit(a: Place | None, b: Place | None) -> bool:
    return a is None or b is None or a.within(b) or b.within(a)


def _actors_fit(event: Event, m: Mention) -> bool:
    """No actor in opposite roles: the target of one account is not the attacker of the other."""
    attackers, targets = set(event.attackers), set(event.targets)
    m_att = {a.actor for a in m.actors if a.role == "attacker"}
    m_tgt = {a.actor for a in m.actors if a.role == "target"}
    return not ((m_att & (targets - attackers)) or (m_tgt & (attackers - targets)))


def _fits(event: Event, m: Mention) -> bool:
    if event.date_weak or m.date_weak:
        dates = _weak_dates_fit(event.date, event.date_weak, m.date, m.date_weak)
    else:
        dates = _dates_fit(event.date, m.date)
    return _places_fit(event.place, m.place()) and dates and _actors_fit(event, m)


def _weak_dates_fit(a: DateSpan | None, a_weak: bool, b: DateSpan | None, b_weak: bool) -> bool:
    """A date when a party spoke fits an event on that day or in the week before it."""
    if a is None or b is None or not a.resolved or not b.resolved:
        return _dates_fit(a, b)
    if a_weak and b_weak:
        return _dates_fit(a, b, slack=7)
    weak, strong = (a, b) if a_weak else (b, a)
    return weak.start - timedelta(days=7) <= strong.end and strong.start <= weak.end


#: Kinds of event that one incident can be told as ("a suicide bombing" and "an explosion").
_FAMILIES = [{"suicide", "ied", "bomb", "explosion", "grenade", "shelling", "air"}, {"raid", "clash", "operation"},
             {"abduction"}, {"arrest"}]


def _kinds(triggers: Sequence[str]) -> set[str]:
    return {kind for w in triggers for (pat, kind) in TRIGGERS if re.fullmatch(pat, w, re.I)}


def _kinds_fit(event: Event, m: Mention) -> bool:
    """Whether a mention's kind of event fits the event's ("attack" and "killing" fit any)."""
    mine = _kinds(m.triggers) - {"attack", "killing"}
    theirs = _kinds([w for x in event.mentions for w in x.triggers]) - {"attack", "killing"}
    return not mine or not theirs or any(mine & f and theirs & f for f in _FAMILIES)


def _distinct_places(places: list[Place]) -> list[Place]:
    """Places none of which lies in another (the broadest of each nested group)."""
    out: list[Place] = []
    for p in sorted(places, key=lambda p: -p.rank):
        if not any(p.within(q) or q.within(p) for q in out):
            out.append(p)
    return out


def _coordinated(m: Mention, places: list[Place]) -> bool:
    """Whether places are named together, joined by "and" ("in Ghazni and Paktika provinces"),
    not one inside the other's description ("Wazir area of Khogyani district, Kandahar")."""
    ordered = sorted(places, key=lambda p: p.start)
    gaps = [m.sentence.text[a.end - m.sentence.start : b.start - m.sentence.start].lower() for a, b in zip(ordered, ordered[1:])]
    joined = [re.fullmatch(r"\W*(?:(?:provinces?|districts?)\W+)?(?:and|&)?\W*", g) for g in gaps]
    return all(joined) and any(re.search(r"\b(?:and)\b|&", g) for g in gaps)


def _context_row(m: Mention, kind: str) -> dict:
    d = m.date
    return {
        "source": m.article.source, "kind": kind, "text": m.sentence.text,
        "start": m.sentence.start, "end": m.sentence.end, "count": m.count,
        "date_from": d.start.isoformat() if d is not None and d.start else "",
        "date_to": d.end.isoformat() if d is not None and d.end else "",
    }


def _assemble(items: list[Mention | Sentence]) -> tuple[list[Event], list[dict]]:
    """Group an article's mentions into events (rules 5 and 6 of the module docstring)."""
    events: list[Event] = []
    context: list[dict] = []
    current: Event | None = None
    for item in items:
        if isinstance(item, Sentence):  # a heading: a new story starts
            current = None
            continue
        m = item
        if m.generic or m.background:
            context.append(_context_row(m, "background" if m.background else "aggregate" if m.count else "generic"))
            current = None
            continue
        if re.search(r"\bboth (?:cases|incidents|attacks|operations|raids)\b", m.sentence.text, re.I) and len(events) >= 2:
            for e in events[-2:]:
                e.add(m)
            continue
        own = _distinct_places([p for p in m.places]) if m.own_place else []
        if len(own) >= 2:
            if m.date is None:
                context.append(_context_row(m, "summary"))
                continue
            # One provisional incident per place; later detail refines each. A death toll told
            # for places named together ("in Ghazni and Paktika") is none of theirs alone.
            joint = _coordinated(m, own)
            total = f"{m.fatality_text} (in all {len(own)} places)" if joint and m.fatality_text else m.fatality_text
            for p in own:
                part = Mention(**{**m.__dict__, "places": [p], "fatalities": None if joint else m.fatalities,
                                  "fatality_text": total})
                e = Event(provisional=True)
                e.add(part)
                events.append(e)
            current = None
            continue
        place = m.place()
        if not m.triggers:
            # A follow-up sentence: a casualty figure, what independent sources say, or who claims it.
            if current is not None and (m.fatalities is not None or m.responsibility and not m.own_place
                                        or m.verification_why and not m.verification_why.startswith("attributed")):
                current.add(m)
            continue
        if place is None and m.date is None:
            if current is not None and not m.separate and not m.indefinite:
                current.add(m)
            elif m.fatalities is not None:
                current = Event()
                current.add(m)
                events.append(current)
            continue
        target = None
        # Only the latest events are candidates: no article tells more, and a text made of
        # thousands of incidents must not cost time quadratic in their number.
        recent = events[-RECENT_EVENTS:]
        if current is not None and not m.separate and not m.indefinite and _fits(current, m):
            target = current
        if target is None and place is not None:
            refine = [e for e in recent if e.provisional and e.place is not None and place.within(e.place) and _fits(e, m)]
            target = refine[-1] if refine else None
        if target is None and place is not None and not m.separate and m.date is not None and m.date.resolved and (m.date.precision or 9) <= 2:
            strong = [e for e in recent if e.place is not None and e.date is not None and e.date.resolved
                      and (e.date.precision or 9) <= 2 and _fits(e, m)]
            target = strong[-1] if strong else None
        if target is None and place is not None and m.date is None and not m.separate and (not m.indefinite or current is not None):
            same = [e for e in recent if e.place is not None and (place.within(e.place) or e.place.within(place)) and e.place.kind != "adm1"]
            # "An explosion took place ...", quoted after the report of a blast there: the same one.
            target = same[0] if len(same) == 1 and _actors_fit(same[0], m) and (not m.indefinite or _kinds_fit(same[0], m)) else None
        if target is None:
            target = Event()
            if m.sequel and m.date is None and events and events[-1].date is not None:
                # "Hours later, the insurgents attacked ...": on the day of the incident told before.
                target.date, target.date_weak, target.dated_by_previous = events[-1].date, events[-1].date_weak, m.sequel
            events.append(target)
        target.add(m)
        if place is not None:
            target.provisional = False if not target.provisional or place.rank < 3 else target.provisional
        current = target
    return events, context


# --- records --------------------------------------------------------------------------------
@dataclass
class Draft:
    """A finished incident before merging across articles."""

    event: Event
    articles: list[Article]
    row: dict
    date: DateSpan | None


def _location(p: Place) -> str:
    written = f"{p.name} ({p.detail})" if p.detail and "district" in p.detail else p.text
    written = re.sub(r"\b(province|district)s$", r"\1", written)  # "Ghazni and Paktika provinces"
    if p.kind == "adm1":
        return written if re.search(r"\bprovince\b", written, re.I) else f"{written} province"
    if p.kind == "adm2" and not re.search(r"\bdistrict\b", written, re.I):
        written = f"{written} district"
    return f"{written}, {p.admin1} province" if p.admin1 else written


def _event_type(triggers: set[str], actor2: str) -> tuple[str, str]:
    kinds = {kind for w in triggers for (pat, kind) in TRIGGERS if re.fullmatch(pat, w, re.I)}
    if "suicide" in kinds:
        return "Explosions/Remote violence", "Suicide bomb"
    if "air" in kinds:
        return "Explosions/Remote violence", "Air/drone strike"
    if "ied" in kinds or "bomb" in kinds:
        return "Explosions/Remote violence", "Remote explosive/landmine/IED"
    if "shelling" in kinds:
        return "Explosions/Remote violence", "Shelling/artillery/missile attack"
    if "grenade" in kinds:
        return "Explosions/Remote violence", "Grenade"
    if "abduction" in kinds:
        return "Violence against civilians", "Abduction/forced disappearance"
    if actor2 == CIVILIANS:
        return "Violence against civilians", "Attack"
    if kinds & {"raid", "clash", "attack", "operation", "killing"}:
        return "Battles", "Armed clash"
    if "explosion" in kinds:
        return "Explosions/Remote violence", "Remote explosive/landmine/IED"
    if "arrest" in kinds:
        return "Strategic developments", "Arrests"
    return "Battles", "Armed clash"


def _actors(event: Event) -> tuple[str, str, list[str]]:
    notes: list[str] = []
    # Civilians are never the perpetrator (ACLED codes them as actor2 only).
    attackers, targets = [a for a in event.attackers if a != CIVILIANS], event.targets
    # A group named as the attacker ("IS later claimed it") says who the "gunmen" were.
    attackers = sorted(attackers, key=lambda a: a == UNIDENTIFIED)
    others = [a.actor for m in event.mentions for a in m.actors if a.role in ("speaker", "other") and a.actor != CIVILIANS]
    # A party that only speaks (a spokesman, a commander quoted) or is only suspected is not
    # the perpetrator, nor is a state's force named by a common noun ("police") without a role.
    bystanders = [a.actor for m in event.mentions for a in m.actors if a.role == "other" and a.actor != CIVILIANS and not a.generic]
    defenders = [a.actor for m in event.mentions for a in m.actors if a.role == "defender"]
    actor1 = next(iter(attackers), "") or next((a for a in bystanders if a not in targets), "")
    if not actor1 and defenders:
        # "Afghan troops repelled the assault": the other side attacked.
        actor1 = next((a for a in targets if a not in defenders and a != CIVILIANS), "")
    if defenders:
        # Those who repel an attack were attacked, whoever the text names as the attacker.
        targets = [*dict.fromkeys(a for a in defenders if a != actor1), *targets]
    if not actor1:
        actor1 = UNIDENTIFIED
        notes.append("perpetrator not named in the text")
    # Armed targets first: civilians hurt in an attack on a police patrol do not make it one on civilians.
    # The victims as reported beat a target a party claims ("IS said it targeted a ministry's
    # staff"; five passers-by were killed): claimed targets count only alone.
    reported = [m for m in event.mentions if m.verification != "claimed"]
    told = [a.actor for m in reported for a in m.actors if a.role == "target"]
    civilian = any(m.civilian_target for m in event.mentions)
    if any(m.civilian_target for m in reported) or CIVILIANS in told:
        targets = [a for a in targets if a in told or a in defenders]
    actor2 = next((a for a in targets if a not in (actor1, CIVILIANS)), "") or next((a for a in targets if a != actor1), "")
    if not actor2 and civilian:
        actor2 = CIVILIANS
    text = " ".join(m.text for m in event.mentions)
    # A party that only speaks is not the victim either, unless it speaks of its own losses.
    speakers = {a.actor for m in event.mentions for a in m.actors if a.role == "speaker"}
    others = [a for a in others if a != actor1 and (a not in speakers or a in bystanders or _OWN_LOSSES.search(text))]
    if not actor2 and not others:
        if "clash" in _kinds([w for m in event.mentions for w in m.triggers]) and actor1 == UNIDENTIFIED:
            actor2 = UNIDENTIFIED  # "fighting between two armed factions": both sides unnamed
        elif _HARMED.search(text):
            # People hurt whom the text ties to no armed group are civilians (ACLED's convention).
            actor2 = CIVILIANS
            notes.append("victims not tied to an armed group: coded as civilians")
    if not actor2:
        actor2 = next(iter(others), "")
    return actor1, actor2, notes


#: A party speaking of its own losses ("two of their fighters were killed").
_OWN_LOSSES = re.compile(r"\b(?:their|its|our)\s+(?:[\w-]+\s+)?(?:fighters|soldiers|members|forces|men|guards|personnel|"
                         r"policemen|officers|commanders?|troops|mujahideen)\b", re.I)


#: Deaths told as more than those told before: "three commandos were also killed", "another
#: two died in hospital", "a colleague was killed too".
_MORE_DEAD = re.compile(
    r"\b(?:also|another|additional|further)\b(?:\W+\w+){0,3}?\W+(?:killed|dead|died|slain|succumbed)\b|"
    r"\b(?:killed|dead|died)\b(?:\W+\w+){0,2}?\W+(?:as well|too)\b", re.I)
#: An incident told as following the one before, without a date of its own.
_SEQUEL = re.compile(r"\b(?:(?:hours|minutes|moments) )?later\b(?! (?:this|that|in|on) )|\blater (?:that|the same) (?:day|night|morning|afternoon|evening)\b|"
                     r"\b(?:that|the same) (?:day|night|morning|afternoon|evening)\b|\bshortly (?:after|afterwards)\b", re.I)
_HARMED = re.compile(r"\b(?:killed|killing|kills|wounded|injured|dead|died|kidnapped|abducted|shot|assassinated|beheaded|gunned down|"
                     r"executed|hurt|murdered|tortured|stabbed|beaten|lynched|strangled)\b", re.I)


def _finish(event: Event, lead: bool = False, gaz: pd.DataFrame | None = None) -> Draft:
    """The schema row of one event (codes from the geocoder), with evidence and review notes.

    ``lead``: the event is the one the article opens with; when the text gives it no date, it
    is dated by the publication date (``time_precision`` 2, ``date_status`` "publication"), as
    news reports the latest events; background told later stays undated.
    """
    m0 = event.place_mention or event.mentions[0]
    article = m0.article
    if lead and event.date is None and article.published is not None:
        pub = article.published
        event.date = DateSpan("", -1, -1, "publication", pub, pub, 2, True)
    review: list[str] = []
    place = event.place
    row: dict = dict.fromkeys(COLUMNS, "") | dict.fromkeys(EXTRA_COLUMNS, "")
    if place is not None:
        location = _location(place)
        match = _resolve(location, place.admin1 or None, gaz)
        row["location"] = location
        row["match_status"] = match.status
        if match.entry is not None:
            for col in ("admin1", "admin1_pcode", "admin2", "admin2_pcode"):
                row[col] = match.entry[col]
            row["geo_precision"] = int(match.entry["geo_precision"])
        else:
            row["admin1"] = place.admin1
            review.append(f"place is {match.status}" + (f" ({'; '.join(match.candidates)})" if match.candidates else ""))
    d = event.date
    if event.dated_by_previous:
        review.append(f"dated by the incident told before it ('{event.dated_by_previous}'): check it")
    if d is not None and d.kind == "publication":
        row["event_date"] = d.event_date.isoformat()
        row["time_precision"] = d.precision
        row["date_status"] = "publication"
        review.append("the text gives no date: the publication date is used (time_precision 2); check it")
    elif d is not None and d.resolved:
        row["event_date"] = d.event_date.isoformat()
        row["time_precision"] = d.precision
        row["date_text"] = d.text
        row["date_status"] = "resolved"
    elif d is not None:
        row["date_text"] = d.text
        row["date_status"] = "unresolved"
        review.append(f"date '{d.text}' is relative and no publication date was given: fill event_date by hand")
    else:
        row["date_status"] = "missing"
        review.append("the text gives no date: fill event_date by hand")
    actor1, actor2, notes = _actors(event)
    review += notes
    row["actor1"], row["actor2"] = actor1, actor2
    row["event_type"], row["sub_event_type"] = _event_type({w for m in event.mentions for w in m.triggers}, actor2)
    counts = [m.fatalities for m in event.mentions if m.fatalities is not None]
    # Restatements of a toll overlap (the largest counts); deaths told as more add to it.
    told = [m.fatalities for m in event.mentions if m.fatalities is not None and not m.more_dead]
    row["fatalities"] = max(told, default=0) + sum(m.fatalities for m in event.mentions if m.fatalities is not None and m.more_dead)
    joint = next((m.fatality_text for m in event.mentions if m.fatality_text.endswith(" places)")), "")
    if not counts and joint:
        review.append(f"no fatality figure for this place alone (the text gives '{joint}'; coded 0)")
    elif not counts:
        review.append("no fatality figure in the text (coded 0)")
    verdicts = {m.verification for m in event.mentions}
    row["verification"] = "corroborated" if "corroborated" in verdicts else "claimed" if "claimed" in verdicts else "unknown"
    why = next((m.verification_why for m in event.mentions if m.verification == row["verification"]), "")
    row["source"] = article.source
    sentence = m0.sentence
    row["evidence"], row["evidence_start"], row["evidence_end"] = sentence.text, sentence.start, sentence.end
    fat_text = "; ".join(dict.fromkeys(m.fatality_text for m in event.mentions if m.fatality_text))
    parts = [f"date: '{row['date_text']}'" if row["date_text"] else "date: none given"]
    if fat_text:
        parts.append(f"fatalities: '{fat_text}'")
    parts.append(f"verification: {why}" if why else "verification: not assessed in the text")
    if any(m.responsibility for m in event.mentions):
        parts.append(f"responsibility claimed by {actor1}")
    row["notes"] = "; ".join(parts)
    row["review"] = "; ".join(review)
    return Draft(event, [article], row, d if d is not None and d.resolved else None)


def _supporting(draft: Draft) -> str:
    spans = dict.fromkeys(f"{m.article.name}:{m.sentence.start}-{m.sentence.end}" for m in draft.event.mentions)
    return "; ".join(spans)


def _same_incident(a: Draft, b: Draft) -> bool:
    """Same district, same actors, dates at most a day apart and known better than the month."""
    ra, rb = a.row, b.row
    if not ra["admin2_pcode"] or ra["admin2_pcode"] != rb["admin2_pcode"]:
        return False
    if {ra["actor1"], ra["actor2"]} != {rb["actor1"], rb["actor2"]}:
        return False
    if a.date is None or b.date is None or a.date.precision == 3 or b.date.precision == 3:
        return False
    return _dates_fit(a.date, b.date, slack=1)


def _merge(a: Draft, b: Draft) -> Draft:
    ra, rb = dict(a.row), b.row
    take_b = (pd.notna(rb["geo_precision"]) and rb["geo_precision"] != "" and (ra["geo_precision"] == "" or int(rb["geo_precision"]) < int(ra["geo_precision"])))
    if take_b:
        for col in ("location", "admin1", "admin1_pcode", "admin2", "admin2_pcode", "geo_precision", "match_status"):
            ra[col] = rb[col]
    date_span = a.date
    if b.date is not None and (a.date is None or (b.date.precision or 9) < (a.date.precision or 9)):
        date_span = b.date
        for col in ("event_date", "time_precision", "date_text"):
            ra[col] = rb[col]
    ra["fatalities"] = max(int(ra["fatalities"]), int(rb["fatalities"]))
    order = ["corroborated", "claimed", "unknown"]
    ra["verification"] = min(ra["verification"], rb["verification"], key=order.index)
    ra["source"] = "; ".join(dict.fromkeys([*ra["source"].split("; "), *rb["source"].split("; ")]))
    ra["notes"] = f"{ra['notes']} | {rb['notes']}"
    ra["review"] = "; ".join(x for x in dict.fromkeys([*ra["review"].split("; "), *rb["review"].split("; ")]) if x and not x.startswith("no fatality") or (x.startswith("no fatality") and ra["fatalities"] == 0))
    event = Event(mentions=[*a.event.mentions, *b.event.mentions], place=a.event.place, place_mention=a.event.place_mention, date=date_span)
    return Draft(event, [*a.articles, *b.articles], ra, date_span)


@dataclass
class Extraction:
    """What :func:`extract_incidents` found: draft incidents and the context statements."""

    incidents: pd.DataFrame
    context: pd.DataFrame


def extract_incidents(articles: Sequence[Article], finder: PlaceFinder | None = None) -> Extraction:
    """Draft incident records from news articles, merged across articles.

    Parameters
    ----------
    articles
        The articles, each with its publication date (or ``None``) and source name.
    finder
        Optional extra place-span proposer (see :class:`PlaceFinder`).

    Returns
    -------
    Extraction
        ``incidents``: the 20 schema columns then :data:`EXTRA_COLUMNS`, one row per incident,
        in the order the articles tell them; ``context``: aggregate, generic and summary
        statements and incidents without a place (:data:`CONTEXT_COLUMNS`).
    """
    names = [a.name for a in articles]
    if len(set(names)) != len(names):
        raise GeoError("Two articles have the same name; give each file once.")
    return _extract(articles, finder)


def _extract(articles: Sequence[Article], finder: PlaceFinder | None) -> Extraction:
    drafts: list[Draft] = []
    context: list[dict] = []
    gaz = gazetteer()  # one gazetteer for the whole extraction, passed on (not looked up per name)
    for article in articles:
        items = _mentions(article, finder, gaz)
        events, ctx = _assemble(items)
        context += ctx
        opening = {x.start for x in split_sentences(article.text) if not x.heading}
        opening = set(sorted(opening)[:2])
        for i, e in enumerate(events):
            if e.place is None:
                context.append(_context_row(e.mentions[0], "no_place"))
                continue
            drafts.append(_finish(e, lead=i == 0 and e.mentions[0].sentence.start in opening, gaz=gaz))
    merged: list[Draft] = []
    # Twins share a district and actors: only those of other articles are compared.
    by_key: dict[tuple, dict[int, list[int]]] = {}
    for d in drafts:
        key = (d.row["admin2_pcode"], frozenset((d.row["actor1"], d.row["actor2"])))
        seen = by_key.setdefault(key, {})
        origin = id(d.articles[0])
        twin = next((i for art, idx in seen.items() if art != origin for i in idx if _same_incident(merged[i], d)), None)
        if twin is None:
            seen.setdefault(origin, []).append(len(merged))
            merged.append(d)
        else:
            merged[twin] = _merge(merged[twin], d)
    counters: dict[str, int] = {}
    rows = []
    for d in merged:
        stem = Path(d.articles[0].name).stem
        counters[stem] = counters.get(stem, 0) + 1
        d.row["incident_id"] = f"{stem}-{counters[stem]:02d}"
        d.row["supporting"] = _supporting(d)
        rows.append(d.row)
    incidents = pd.DataFrame(rows, columns=[*COLUMNS, *EXTRA_COLUMNS])
    for col in ("geo_precision", "time_precision"):
        incidents[col] = pd.to_numeric(incidents[col], errors="coerce").astype("Int64")
    return Extraction(incidents, pd.DataFrame(context, columns=CONTEXT_COLUMNS))


def _is_binary(text: str) -> bool:
    """NUL bytes, or more than one character in a hundred a control character other than the
    usual whitespace: no article looks like that."""
    if "\x00" in text:
        return True
    return len(re.findall(r"[\x01-\x08\x0e-\x1f]", text)) > len(text) / 100


def read_article(path: str | Path, published: date | None = None, source: str | None = None) -> Article:
    """Read a plain-text article (UTF-8, with or without BOM; else Windows-1252).

    Raises
    ------
    GeoError
        When the file cannot be read (a missing or non-regular file, one over the size limit), is empty
        or is binary.
    """
    path = Path(path)
    raw = read_input(path, "article", binary_ok=True)  # a regular file within the size limit
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    if not text.strip():
        raise GeoError(f"The article {path} is empty.")
    if _is_binary(text):
        raise GeoError(f"{path} is not a text article: it holds binary data (NUL or other control bytes); "
                       "give the article as plain text (UTF-8 or Windows-1252).")
    return Article(name=path.name, text=text.replace("\r\n", "\n"), published=published, source=source or path.name)
