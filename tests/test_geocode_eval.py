"""The labelled evaluation: built from independent spellings, resolved at >= 97 % to the right district.

The full report, every miss included, is attached to the test's report (``pytest -rP`` shows
it) and printed by ``python -m geo.eval geocode``.
"""

import pytest

from geo import eval as geo_eval
from geo.gazetteer import gazetteer, normalise


@pytest.fixture(scope="module")
def result(boundaries_dir):
    return geo_eval.evaluate()


def test_district_codes_are_right_for_at_least_97_percent(result, request, capsys):
    scored = result["items"]
    text = geo_eval.report(result)
    request.node.add_report_section("call", "geocode evaluation (every miss)", text)
    with capsys.disabled():
        print("\n" + "\n".join(text.splitlines()[:3]))
    accuracy = geo_eval.district_accuracy(scored)
    assert accuracy >= geo_eval.TARGET, text
    head = geo_eval.headline(scored)
    # Wrong districts (a confident wrong answer) are far rarer than honest non-answers.
    assert head["wrong"].mean() < 0.005, text
    assert scored.loc[scored["level"] == "adm1", "right"].mean() >= 0.99


def test_the_set_draws_on_every_independent_source(result):
    scored = result["items"]
    head = geo_eval.headline(scored)
    sizes = head.groupby("source").size().to_dict()
    assert set(sizes) == {"boundary-rule", "boundary-dari", "geonames-alt", "geonames-rule"}
    assert sizes["boundary-rule"] > 2000 and sizes["boundary-dari"] > 1500
    assert sizes["geonames-alt"] > 1500 and sizes["geonames-rule"] > 700
    # Every district and every province is in it, in English-based and in Dari spellings.
    for source in ("boundary-rule", "boundary-dari"):
        part = scored[scored["source"] == source]
        assert part.loc[part["level"] == "adm2", "expected"].nunique() == 399
        assert part.loc[part["level"] == "adm1", "expected"].nunique() == 34
    # Each source on its own stays well above chance; the spellings made from the
    # boundary files are nearly all resolved.
    by_source = head.groupby("source")["right"].mean()
    assert by_source["boundary-rule"] > 0.99 and by_source["boundary-dari"] > 0.99
    assert by_source["geonames-alt"] > 0.85
    # Context is tested both ways: with a province (column or text) and without.
    assert 0.3 < ((head["admin1_hint"] != "") | head["rule"].str.endswith("context")).mean() < 0.7


def test_no_spelling_is_already_in_the_gazetteer_it_is_resolved_against(result):
    scored = result["items"]
    plain = scored[(scored["admin1_hint"] == "") & ~scored["rule"].str.endswith("context")]
    full = gazetteer()
    known = set(full["variant"]) | set(full["key"])
    assert not plain.loc[plain["source"] != "geonames-alt", "spelling"].isin(known).any()
    # GeoNames alternates are resolved against a gazetteer without them.
    bare = gazetteer(geonames_alternates=False)
    alts = plain[plain["source"] == "geonames-alt"]
    assert not alts["spelling"].isin(set(bare["variant"])).any()
    assert alts["spelling"].map(normalise).isin(set(full["key"])).mean() > 0.95  # ...the full one has them
    # Not all are one normalisation away from a name: the looser tiers do a share of the work.
    head = geo_eval.headline(scored)
    assert head["method"].isin(["phonetic", "skeleton", "fuzzy"]).mean() > 0.2


def test_foreign_towns_mostly_stay_unmatched(result):
    foreign = result["foreign"]
    assert len(foreign) > 900
    assert (foreign["status"] != "matched").mean() > 0.93


def test_other_names_are_scored_apart_and_listed(result):
    scored = result["items"]
    other = scored[scored["other_name"]]
    assert len(other) > 100 and set(other["source"]) == {"geonames-alt"}
    assert {"Bactra", "Tashkurghan"} <= set(other["spelling"])
    assert not geo_eval.same_name("Bactra", ["Balkh", "Balkh"])
    assert geo_eval.same_name("Dzhalalabad", ["Jalālābād", "Jalalabad"])


def test_the_evaluation_command_prints_accuracy_and_misses(result, monkeypatch, capsys):
    monkeypatch.setattr(geo_eval, "evaluate", lambda *a, **k: result)
    assert geo_eval.main(["geocode"]) == 0
    out = capsys.readouterr().out
    assert "district P-code accuracy: 9" in out
    misses = result["items"][~result["items"]["right"] & ~result["items"]["other_name"]]
    assert f"misses: {len(misses)}" in out
    for spelling in misses["spelling"]:
        assert repr(spelling) in out


def test_a_reader_that_stops_early_gets_no_traceback(boundaries_dir):
    """`python -m geo.eval geocode | head -1`: the closed pipe ends the report quietly."""
    import subprocess
    import sys

    proc = subprocess.run(f"'{sys.executable}' -m geo.eval geocode | head -c 20", shell=True,
                          capture_output=True, text=True, timeout=600)
    assert proc.stdout.startswith("labelled set:")
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr, proc.stderr
