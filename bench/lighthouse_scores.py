"""Print the table of Lighthouse category scores and the audits that cost points, from reports.

Usage: python bench/lighthouse_scores.py REPORT.json [REPORT.json ...]  (lighthouse.sh calls it)

Reports of the same page and form factor are grouped; the one with the median performance score
stands for the group. One row per group, the four categories as 0-100 and the performance score
of each run, then whether every cell is 100 (the goal), then each audit of the median run that
scored below 1, with the elements or resources it names (diagnostics of weight 0, which cost
no points, in full only where performance is below 100). Exits 0 when the reports could be read.
"""

import json
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

CATEGORIES = [
    ("performance", "perf"),
    ("accessibility", "a11y"),
    ("best-practices", "best-pr"),
    ("seo", "seo"),
]
GOAL = 100
SCORED_MODES = {"binary", "numeric", "metricSavings"}
MAX_ITEMS = 5


def score(report: dict[str, Any], category: str) -> int | None:
    value = report["categories"].get(category, {}).get("score")
    return None if value is None else round(value * 100)


def describe_item(item: dict[str, Any]) -> str:
    """One line naming the element or resource a details item is about ("" if it names none)."""
    parts = []
    node = item.get("node") or (item if item.get("type") == "node" else None)
    if isinstance(node, dict):
        parts.append(node.get("selector") or node.get("path") or "")
        if node.get("snippet"):
            parts.append(node["snippet"])
        if node.get("explanation"):
            parts.append("-- " + " ".join(node["explanation"].split()))
    source = item.get("source")
    if isinstance(source, dict) and source.get("url"):
        parts.append(f"{source['url']}:{source.get('line', 0) + 1}")
    for key in ("url", "label", "value", "issueType", "directive", "description"):
        value = item.get(key)
        if isinstance(value, str | int | float) and value != "" and "](http" not in str(value):
            parts.append(f"{key}={value}")
    for key in ("wastedBytes", "wastedMs", "totalBytes", "duration"):
        if isinstance(item.get(key), int | float):
            parts.append(f"{key}={round(item[key])}")
    return " | ".join(part for part in parts if part)


def failing_audits(report: dict[str, Any], with_hints: bool) -> list[str]:
    """Audits below 1 in the four categories, those that count in a score first.

    Audits of weight 0 (performance diagnostics: they only explain a slow metric) are listed in
    full when `with_hints`, else named on one line.
    """
    found = {}
    for category, _ in CATEGORIES:
        for ref in report["categories"].get(category, {}).get("auditRefs", []):
            audit = report["audits"].get(ref["id"], {})
            if audit.get("scoreDisplayMode") not in SCORED_MODES or audit.get("score") is None:
                continue
            if audit["score"] < 1 and ref["id"] not in found:
                found[ref["id"]] = (category, ref.get("weight", 0), audit)
    lines = []
    hints = sorted(audit_id for audit_id, (_, weight, _) in found.items() if weight == 0)
    for audit_id, (category, weight, audit) in sorted(
        found.items(), key=lambda entry: (entry[1][1] == 0, entry[1][0])
    ):
        if weight == 0 and not with_hints:
            continue
        shown = f" ({audit['displayValue']})" if audit.get("displayValue") else ""
        lines.append(
            f"  [{category}] {audit_id}: score {audit['score']:.2f}, weight {weight}{shown}"
            f" -- {audit.get('title', '')}"
        )
        items = (audit.get("details") or {}).get("items") or []
        if isinstance(items, dict):  # e.g. a checklist: {name: {value, label}}
            items = list(items.values())
        described = [describe_item(item) for item in items if isinstance(item, dict)]
        described = [line for line in described if line]
        lines.extend("      " + line for line in described[:MAX_ITEMS])
        if len(described) > MAX_ITEMS:
            lines.append(f"      ... and {len(described) - MAX_ITEMS} more")
    if hints and not with_hints:
        lines.append(f"  weight 0, not costing points: {', '.join(hints)}")
    return lines


def main(paths: list[str]) -> int:
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for path in paths:
        report = json.loads(Path(path).read_text())
        page = urlsplit(report.get("finalDisplayedUrl") or report["requestedUrl"]).path
        preset = report["configSettings"].get("formFactor", "?")
        groups.setdefault((page, preset), []).append(report)

    header = f"{'page':<16} {'preset':<8}" + "".join(f" {short:>7}" for _, short in CATEGORIES)
    header += "   perf runs"
    print(header)
    print("-" * len(header))
    met = True
    details = []
    for (page, preset), reports in groups.items():
        runs = [score(report, "performance") or 0 for report in reports]
        median = sorted(reports, key=lambda report: score(report, "performance") or 0)[
            (len(reports) - 1) // 2
        ]
        scores = [score(median, category) for category, _ in CATEGORIES]
        met = met and all(value == GOAL for value in scores)
        cells = "".join(f" {'n/a' if value is None else value:>7}" for value in scores)
        print(f"{page:<16} {preset:<8}{cells}   {' '.join(map(str, runs))}")
        failing = failing_audits(median, with_hints=scores[0] != GOAL)
        warnings = [warning for report in reports for warning in report.get("runWarnings", [])]
        failing += [
            f"  warning in {warnings.count(warning)} of {len(reports)} runs: {warning}"
            for warning in sorted(set(warnings))
        ]
        if failing:
            details.append(f"\n{page} ({preset}, median run):")
            details.extend(failing)
    print("-" * len(header))
    print(f"goal {GOAL} in every category: {'met' if met else 'NOT met'}")
    if details:
        print("\nAudits below 1 (category, id, score, weight in the category score, items):")
        print("\n".join(details))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
