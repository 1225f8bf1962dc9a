"""Benchmark: ``geo extract`` on 1 MB and 5 MB articles, realistic and adversarial.

Run from a checkout, with the boundaries and the seed articles where the tests find them::

    GEO_BOUNDARIES=../shared/boundaries python bench/bench_extract.py [--sizes 1,5] [--kinds realistic,spaces]

Each article is generated at run time: ``realistic`` repeats the two seed articles
(``../shared/seeds``, read in place); the adversarial kinds repeat one pattern with no sentence
stop, the inputs that made the old rules quadratic (10,000 spaces took 9 s). Every article is
extracted once in this process; the baselines, run on the same text in the same process, are

- a plain ``re.split`` sentence pass (the least any extractor must do), and
- the realistic article of the same size (so a ratio near 1 means "no worse than real text").

It first times the boundary-file lookup every gazetteer call makes (against a scan of the
folder) and each seed article alone (a typical article: the median of 21 runs).

Linear time shows as a 5 MB / 1 MB ratio near 5 (quadratic would be 25). Prints a Markdown
table for docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import platform
import re
import time
from datetime import date
from pathlib import Path

from geo import boundaries
from geo.extract import Article, extract_incidents
from geo.gazetteer import gazetteer

SEEDS = Path(__file__).resolve().parents[1].parent / "shared" / "seeds"
#: One repeated unit per kind of article.
UNITS = {
    "spaces": " ",
    "newlines and tabs": "\n\t \n",
    "capitalised words": "Kabul Balkh Herat Mazar Taliban Daesh Khost Paktia Jani Khel Nahr Shahi ",
    "digits": "1234567890",
    "nested punctuation": "(([{“‘\"'-–,;:",
    "abbreviations": "A. B. Mr. Gen. U.S. ",
    "repeated clauses": "the group said that the attack killed two, ",
    "dated sentences": "Taliban forces raided an ISKP hideout in Kabul on Monday 3 April, killing two. ",
}


def realistic(size: int) -> str:
    """The seed articles repeated, as paragraphs, to ``size`` characters."""
    text = "\n\n".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("0*.txt"))) + "\n\n"
    return (text * (size // len(text) + 1))[:size]


def article(kind: str, size: int) -> str:
    """An article of ``kind`` and ``size`` characters."""
    if kind == "realistic":
        return realistic(size)
    unit = UNITS[kind]
    return "x" + (unit * (size // len(unit) + 1))[: size - 2] + "."


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1,5", help="article sizes in MB (comma-separated)")
    parser.add_argument("--kinds", default=",".join(["realistic", *UNITS]), help="kinds of article")
    args = parser.parse_args()
    sizes = [float(s) for s in args.sizes.split(",")]
    kinds = args.kinds.split(",")
    extract_incidents([Article("warm.txt", "Taliban forces raided Kabul on Monday.", date(2023, 4, 4), "w")])
    # Where the boundary files are is asked on every gazetteer call: a scan of the folder is the
    # baseline, the remembered scan (checked by a stat per folder) what a call costs.
    folder = boundaries._env_folder() or Path.cwd() / "boundaries"
    scan = sorted(timed(lambda: boundaries._scan_now(folder)) for _ in range(201))[100]
    lookup = sorted(timed(gazetteer) for _ in range(201))[100]
    print(f"gazetteer() lookup: median {1e6 * lookup:.1f} µs, against the two scans of {folder} it made "
          f"before ({2e6 * scan:.1f} µs): {lookup / (2 * scan):.2f}x", flush=True)
    # A typical article: each seed article on its own, the median of 21 runs.
    for path in sorted(SEEDS.glob("0*.txt")):
        text = path.read_text(encoding="utf-8")
        runs = sorted(timed(lambda: extract_incidents([Article(path.name, text, date(2023, 4, 4), "s")])) for _ in range(21))
        print(f"typical article {path.name} ({len(text):,} characters): median {1000 * runs[10]:.1f} ms", flush=True)
    rows, seconds = [], {}
    for mb in sizes:
        size = int(mb * 1_000_000)
        for kind in kinds:
            text = article(kind, size)
            split = timed(lambda: re.split(r"(?<=[.!?])\s+", text))
            found = None

            def run() -> None:
                nonlocal found
                found = extract_incidents([Article(f"{kind}.txt", text, date(2023, 4, 4), "bench")])

            seconds[kind, mb] = timed(run)
            rows.append((kind, mb, seconds[kind, mb], split, len(found.incidents)))
            print(f"{kind:20} {mb:4} MB {seconds[kind, mb]:8.2f} s  ({len(found.incidents)} incidents)", flush=True)
    print(f"\n{platform.python_implementation()} {platform.python_version()}\n")
    print("| article | MB | seconds | s per MB | vs realistic, same size | vs re.split pass | largest / smallest size | incidents |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for kind, mb, sec, split, n in rows:
        real = seconds.get(("realistic", mb))
        scale = seconds[kind, max(sizes)] / seconds[kind, min(sizes)] if mb == max(sizes) and len(sizes) > 1 else None
        print(f"| {kind} | {mb:g} | {sec:.2f} | {sec / mb:.2f} | {sec / real:.2f} | {sec / max(split, 1e-9):,.0f} | "
              f"{f'{scale:.2f}' if scale else ''} | {n} |" if real else f"| {kind} | {mb:g} | {sec:.2f} | | | | | {n} |")


if __name__ == "__main__":
    main()
