#!/usr/bin/env python3
"""Score the pipeline in-process on the corpus (same metric as tools/score.py), per folder.

    python tools/evaluate.py [--floors tools/floors.json] [--baselines] [--json out.json] [FOLDER...]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.jobs.process import process, to_json  # noqa: E402
from pipeline.text.encoding import decode  # noqa: E402


def _score_module() -> Any:
    spec = importlib.util.spec_from_file_location("score", ROOT / "tools" / "score.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SCORE = _score_module()
METRICS = ("page_f1", "split_f1", "count_acc", "title_acc", "essay_title_acc", "date_acc", "crumbs_acc", "summary_acc")


def ours(text: str, path: Path) -> dict[str, Any]:
    return to_json(process(text, "", ""))


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    def acc(key: str) -> float | None:
        vals = [r[key] for r in rows if key in r]
        return round(sum(vals) / len(vals), 4) if vals else None

    return {
        "cases": len(rows),
        "page_f1": round(statistics.mean(r["page_f1"] for r in rows), 4),
        "split_f1": round(statistics.mean(r["split_f1"] for r in rows), 4),
        "count_acc": acc("count_ok"),
        "title_acc": acc("title_ok"),
        "essay_title_acc": acc("essay_titles_ok"),
        "date_acc": acc("date_ok"),
        "crumbs_acc": acc("crumbs_ok"),
        "summary_acc": acc("summary_ok"),
        "leaks": sum(len(r["leaks"]) for r in rows),
    }


def run(folder: Path, extractor: Callable[[str, Path], dict[str, Any]], verbose: bool = False) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    rows = []
    forms: Counter[str] = Counter()
    started = time.perf_counter()
    for page, gold_path in SCORE.cases([str(folder)]):
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        text, _ = decode(page.read_bytes())
        try:
            pred = extractor(text, page)
        except Exception as exc:  # a baseline may fail on a page; that page scores 0
            pred = {"essays": [], "error": f"{type(exc).__name__}"}
        forms[str(pred.get("split_form") or "")] += 1
        row = {"case": page.name, **SCORE.score_case(gold, pred)}
        if "summary" in gold:  # not scored by score.py; the lead sentence is not essay text
            row["summary_ok"] = SCORE.squash(str(pred.get("summary") or "")) == SCORE.squash(gold["summary"] or "")
        rows.append(row)
        if verbose:
            flags = " ".join(k.replace("_ok", "") for k, v in row.items() if k.endswith("_ok") and v is False)
            print(f"  {row['page_f1']:.3f} {row['split_f1']:.3f} {row['pred_n']}/{row['gold_n']} {page.name} {flags} {'LEAK ' + str(row['leaks']) if row['leaks'] else ''}")
    summary = summarize(rows)
    summary["seconds"] = round(time.perf_counter() - started, 2)
    if any(forms):
        summary["split_forms"] = dict(sorted((k, v) for k, v in forms.items() if k))
    return summary, rows


def trafilatura_extractor(text: str, path: Path) -> dict[str, Any]:
    import trafilatura

    if path.suffix == ".txt":
        return {"essays": [{"title": "", "text": text}]}
    out = trafilatura.bare_extraction(text, with_metadata=True, favor_precision=False)
    if out is None:
        return {"essays": []}
    data = out.as_dict() if hasattr(out, "as_dict") else dict(out)
    return {"title": data.get("title") or "", "published": data.get("date") or "",
            "essays": [{"title": data.get("title") or "", "text": data.get("text") or ""}]}


def readability_extractor(text: str, path: Path) -> dict[str, Any]:
    import lxml.html
    from readability import Document

    if path.suffix == ".txt":
        return {"essays": [{"title": "", "text": text}]}
    doc = Document(text)
    summary_html = doc.summary(html_partial=True)
    body = "\n".join(t.strip() for t in lxml.html.fromstring(summary_html).itertext() if t.strip()) if summary_html.strip() else ""
    return {"title": doc.short_title(), "essays": [{"title": doc.short_title(), "text": body}]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("folders", nargs="*", default=[str(ROOT / "fixtures" / "corpus" / d) for d in ("zh-news", "en-news", "fanwen")] + [str(ROOT / "fixtures" / d) for d in ("seed", "fanwen-extra", "pages")])
    ap.add_argument("--floors", help="JSON of per-folder floors to enforce")
    ap.add_argument("--baselines", action="store_true", help="also score trafilatura and readability-lxml")
    ap.add_argument("--json", help="write the summaries to this file")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    floors = json.loads(Path(args.floors).read_text()) if args.floors else {}
    report: dict[str, Any] = {}
    failed: list[str] = []
    for folder in map(Path, args.folders):
        name = folder.name
        summary, _ = run(folder, ours, args.verbose)
        report[name] = {"ours": summary}
        line = f"{name:10s} ours        " + " ".join(f"{k}={summary[k]}" for k in (*METRICS, "leaks") if summary.get(k) is not None)
        print(line)
        if summary.get("split_forms"):
            print(f"{'':10s} split forms  {summary['split_forms']}")
        if args.baselines:
            for label, fn in (("trafilatura", trafilatura_extractor), ("readability", readability_extractor)):
                base, _ = run(folder, fn)
                report[name][label] = base
                print(f"{name:10s} {label:11s} " + " ".join(f"{k}={base[k]}" for k in (*METRICS, "leaks") if base.get(k) is not None))
        for key, floor in floors.get(name, {}).items():
            value = summary.get(key)
            if key == "leaks":
                if value is None or value > floor:
                    failed.append(f"{name}.{key}={value} > {floor}")
            elif value is None or value < floor:
                failed.append(f"{name}.{key}={value} < {floor}")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report, ensure_ascii=False, indent=1))
    if failed:
        print("below floor: " + "; ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
