"""Address matching quality: precision and recall by level on labelled messy addresses of Shouning's town.

Matches, against the generated standard address registry (gridmap.address.registry_sample, seed 350924):

  generated    --count messy addresses drawn by gridmap.address.messy_sample (typos, full-width digits,
               Chinese numerals, missing and repeated prefixes, aliases, informal forms, dash forms, unknown
               roads and compounds, other towns, ambiguous and relative addresses), each with its truth
  handwritten  tests/fixtures/addresses/shouning_handwritten.json (written by hand, incl. the report's sentences)

A result is correct when it names the right entry at its own level (a right answer coarser than the truth
is correct but not exact); precision = correct / matched, recall = exact / addresses with a true entry.
Prints both per level and overall, and checks the target: precision >= 99 % at recall >= 95 %.

Run: .venv/bin/python benchmarks/geocode_quality.py [--count 600] [--seed 2024] [--show-errors]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import Counter
from pathlib import Path

from gridmap.address.match import AddressMatcher, MatchResult
from gridmap.address.messy_sample import LabelledAddress, Verdict, grade, labelled_addresses, labelled_from_cases
from gridmap.address.registry import metres_between
from gridmap.address.registry_sample import sample_registry

HANDWRITTEN = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "addresses" / "shouning_handwritten.json"
LEVELS = ("door", "building", "compound", "road")
PRECISION_TARGET = 0.99
RECALL_TARGET = 0.95


def score(
    name: str, labels: list[LabelledAddress], results: list[MatchResult], show_errors: bool
) -> tuple[float, float]:
    """Print the per-level table of one labelled set; return overall precision and recall."""
    verdicts: list[Verdict] = [grade(r, label) for r, label in zip(results, labels, strict=True)]
    print(f"\n{name}: {len(labels)} addresses ({sum(label.level != 'none' for label in labels)} with a true entry)")
    print(f"  {'level':10}{'truths':>8}{'answers':>9}{'correct':>9}{'exact':>7}{'precision':>11}{'recall':>8}")
    for level in (*LEVELS, "none"):
        truths = sum(label.level == level for label in labels)
        answered = [(r, v) for r, v in zip(results, verdicts, strict=True) if r.level.value == level]
        correct = sum(v.correct for _, v in answered)
        exact = sum(v.exact for label, v in zip(labels, verdicts, strict=True) if label.level == level)
        precision = correct / len(answered) if answered else float("nan")
        recall = exact / truths if truths else float("nan")
        print(f"  {level:10}{truths:8}{len(answered):9}{correct:9}{exact:7}{precision:11.1%}{recall:8.1%}")
    matched = [v for r, v in zip(results, verdicts, strict=True) if r.matched]
    truth_verdicts = [v for label, v in zip(labels, verdicts, strict=True) if label.level != "none"]
    precision = sum(v.correct for v in matched) / max(len(matched), 1)
    recall = sum(v.exact for v in truth_verdicts) / max(len(truth_verdicts), 1)
    print(
        f"  overall: precision {precision:.1%} ({len(matched) - sum(v.correct for v in matched)} wrong answers), "
        f"recall {recall:.1%}"
    )
    reasons = Counter(r.reason.value for r in results if not r.matched and r.reason is not None)
    print(f"  unmatched by reason: {dict(reasons.most_common())}")
    errors = [
        metres_between(r.lon, r.lat, label.truth.lon, label.truth.lat)
        for r, label in zip(results, labels, strict=True)
        if label.form == "interpolated"
        and r.level.value == "road"
        and r.lon is not None
        and r.lat is not None
        and label.truth is not None
    ]
    if errors:
        print(f"  interpolated door numbers: median error {statistics.median(errors):.1f} m, max {max(errors):.1f} m")
    if show_errors:
        for r, label, v in zip(results, labels, verdicts, strict=True):
            if not v.exact:
                truth = label.truth.label() if label.truth else "none"
                kind = "WRONG" if r.matched and not v.correct else "miss"
                print(
                    f"    {kind} {label.text!r} truth {label.level} {truth} -> {r.level.value} {r.reason} {r.message}"
                )
    return precision, recall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=600, help="generated messy addresses")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--show-errors", action="store_true", help="list every wrong or inexact answer")
    args = parser.parse_args()

    start = time.perf_counter()
    sample = sample_registry()
    matcher = AddressMatcher(sample.registry())
    built = time.perf_counter() - start
    print(
        f"registry: {len(sample.addresses):,} entries ({len(sample.unregistered)} true addresses left out), "
        f"built and indexed in {built:.2f} s"
    )
    sets = {
        "generated": labelled_addresses(sample, count=args.count, seed=args.seed),
        "handwritten": labelled_from_cases(sample, json.loads(HANDWRITTEN.read_text(encoding="utf-8"))["cases"]),
    }
    all_labels: list[LabelledAddress] = []
    all_results: list[MatchResult] = []
    for name, labels in sets.items():
        start = time.perf_counter()
        results = matcher.match_many(label.text for label in labels)
        seconds = time.perf_counter() - start
        score(name, labels, results, args.show_errors)
        print(f"  matched in {seconds:.2f} s ({len(labels) / seconds:,.0f} addresses/s)")
        all_labels += labels
        all_results += results
    precision, recall = score("all", all_labels, all_results, show_errors=False)
    ok = precision >= PRECISION_TARGET and recall >= RECALL_TARGET
    print(
        f"\ntarget precision >= {PRECISION_TARGET:.0%} at recall >= {RECALL_TARGET:.0%}: "
        f"{precision:.1%} at {recall:.1%}: {'OK' if ok else 'MISSED'}"
    )
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
