#!/usr/bin/env python3
"""Score the pipeline in-process on every dev set, each with its own scorer, per fold.

    python tools/evaluate.py [--fold tune|valid|all] [--baselines] [--floors tools/floors.json]
                             [--json out.json] [-v] [SET...]

Sets: the project's own pages in `fixtures/` (seed, pages, fanwen-extra) and every set of
`../shared/corpus` (zh-news, en-news, fanwen, fanwen-multipage: gold records, `score.py`;
trafilatura-eval, zh-news-gne: with/without snippets, `score_snippets.py`, trafilatura's metric;
fanwen-real: page texts, `score_real.py`). The scorers are imported from `../shared/tools`, not
copied; a set whose folder is absent is skipped with a message. `--fold all` (the default) prints
the tune and the valid fold of `../shared/tools/folds.py` side by side with the whole set;
floors (`tools/floors.json`, which only rise) are checked on the whole set. `--baselines` adds
trafilatura (default, and fast: `fast=True`), and readability-lxml on the same decoded pages.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT))

from pipeline.jobs.process import join_parts, process, to_json  # noqa: E402
from pipeline.text.encoding import decode  # noqa: E402

Extractor = Callable[[str, Path, str], dict[str, Any]]


def _module(name: str) -> Any:
    """A scorer of ../shared/tools, imported as it is (None when ../shared is absent)."""
    path = SHARED / "tools" / f"{name}.py"
    if not path.exists():
        return None
    sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location(f"shared_{name}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SCORE, SNIPPETS, REAL, FOLDS = (_module(n) for n in ("score", "score_snippets", "score_real", "folds"))
if SCORE is None:  # without ../shared the project's own sets are scored with the project's copy of score.py
    spec = importlib.util.spec_from_file_location("score", ROOT / "tools" / "score.py")
    assert spec and spec.loader
    SCORE = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(SCORE)

def _first(*folders: Path) -> Path:
    return next((f for f in folders if f.is_dir()), folders[0])


# set name -> (folder, scorer kind)
SETS: dict[str, tuple[Path, str]] = {
    "seed": (ROOT / "fixtures" / "seed", "gold"),
    "pages": (ROOT / "fixtures" / "pages", "gold"),
    "fanwen-extra": (ROOT / "fixtures" / "fanwen-extra", "gold"),
    # the project wrote these two; its copy in fixtures/corpus serves where ../shared is absent
    "fanwen": (_first(SHARED / "corpus" / "fanwen", ROOT / "fixtures" / "corpus" / "fanwen"), "gold"),
    "fanwen-multipage": (_first(SHARED / "corpus" / "fanwen-multipage", ROOT / "fixtures" / "corpus" / "fanwen-multipage"), "gold"),
    "zh-news": (SHARED / "corpus" / "zh-news", "gold"),
    "en-news": (SHARED / "corpus" / "en-news", "gold"),
    "trafilatura-eval": (SHARED / "corpus" / "trafilatura-eval", "snippets"),
    "zh-news-gne": (SHARED / "corpus" / "zh-news-gne", "snippets"),
    "fanwen-real": (SHARED / "corpus" / "fanwen-real", "real"),
}
# The figures printed per kind (all are in the JSON report).
SHOWN = {
    "gold": ("page_f1", "split_f1", "count_acc", "title_acc", "date_acc", "crumbs_acc", "leaks"),
    "snippets": ("f1", "precision", "recall", "empty", "title_acc", "date_acc"),
    "real": ("with_recall", "pages_with_leaks", "leaks", "title_acc", "date_acc", "crumbs_acc", "count_acc"),
}


def fold_of(name: str) -> str:
    return str(FOLDS.fold_of(name)) if FOLDS is not None else "tune"


# ---------------------------------------------------------------- extractors


def _parts(path: Path) -> list[Path]:
    """Later parts of a multi-page article saved beside it as NAME_2.html, NAME_3.html, ..."""
    parts = []
    for n in range(2, 50):
        part = path.with_name(f"{path.stem}_{n}{path.suffix}")
        if not part.exists():
            break
        parts.append(part)
    return parts


def ours(text: str, path: Path, url: str = "") -> dict[str, Any]:
    result = process(text, url, "")
    parts = _parts(path) if path.suffix in (".html", ".htm") else []
    if parts and not result.page.error:
        result = join_parts(result, [process(decode(p.read_bytes())[0], "", "") for p in parts])
    return to_json(result)


def _trafilatura(text: str, path: Path, fast: bool) -> dict[str, Any]:
    import trafilatura

    if path.suffix == ".txt":
        return {"essays": [{"title": "", "text": text}]}
    out = trafilatura.bare_extraction(text, with_metadata=True, fast=fast)
    if out is None:
        return {"essays": []}
    data = out.as_dict() if hasattr(out, "as_dict") else dict(out)
    return {"title": data.get("title") or "", "published": data.get("date") or "",
            "essays": [{"title": data.get("title") or "", "text": data.get("text") or ""}]}


def trafilatura_default(text: str, path: Path, url: str = "") -> dict[str, Any]:
    return _trafilatura(text, path, False)


def trafilatura_fast(text: str, path: Path, url: str = "") -> dict[str, Any]:
    return _trafilatura(text, path, True)


def readability_extractor(text: str, path: Path, url: str = "") -> dict[str, Any]:
    import lxml.html
    from readability import Document

    if path.suffix == ".txt":
        return {"essays": [{"title": "", "text": text}]}
    doc = Document(text)
    summary_html = doc.summary(html_partial=True)
    body = "\n".join(t.strip() for t in lxml.html.fromstring(summary_html).itertext() if t.strip()) if summary_html.strip() else ""
    return {"title": doc.short_title(), "essays": [{"title": doc.short_title(), "text": body}]}


EXTRACTORS: dict[str, Extractor] = {"ours": ours}
BASELINES: dict[str, Extractor] = {"trafilatura": trafilatura_default, "trafilatura-fast": trafilatura_fast,
                                   "readability": readability_extractor}


def _call(fn: Extractor, text: str, path: Path, url: str) -> dict[str, Any]:
    try:
        return fn(text, path, url)
    except Exception as exc:  # a baseline may fail on a page; that page scores as an empty output
        return {"essays": [], "error": type(exc).__name__}


# ---------------------------------------------------------------- per kind: rows and summaries


def _gold_rows(folder: Path, fn: Extractor, verbose: bool) -> list[dict[str, Any]]:
    rows = []
    for page, gold_path in SCORE.cases([str(folder)]):
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        text, _ = decode(page.read_bytes())
        pred = _call(fn, text, page, "")
        row = {"case": page.name, "fold": fold_of(page.name), **SCORE.score_case(gold, pred)}
        if "summary" in gold:  # not scored by score.py; the lead sentence is not essay text
            row["summary_ok"] = SCORE.squash(str(pred.get("summary") or "")) == SCORE.squash(gold["summary"] or "")
        rows.append(row)
        if verbose and row["fold"] == "tune":  # the validation fold is scored as a whole only
            flags = " ".join(k.replace("_ok", "") for k, v in row.items() if k.endswith("_ok") and v is False)
            print(f"  {row['page_f1']:.3f} {row['split_f1']:.3f} {row['pred_n']}/{row['gold_n']} {page.name} {flags}"
                  f" {'LEAK ' + str(row['leaks']) if row['leaks'] else ''}")
    return rows


def _mean(rows: list[dict[str, Any]], key: str) -> float | None:
    vals = [float(r[key]) for r in rows if r.get(key) is not None]
    return round(sum(vals) / len(vals), 4) if vals else None


def _gold_summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "cases": len(rows),
        "page_f1": round(statistics.mean(r["page_f1"] for r in rows), 4),
        "split_f1": round(statistics.mean(r["split_f1"] for r in rows), 4),
        "count_acc": _mean(rows, "count_ok"),
        "title_acc": _mean(rows, "title_ok"),
        "essay_title_acc": _mean(rows, "essay_titles_ok"),
        "date_acc": _mean(rows, "date_ok"),
        "crumbs_acc": _mean(rows, "crumbs_ok"),
        "summary_acc": _mean(rows, "summary_ok"),
        "leaks": sum(len(r["leaks"]) for r in rows),
    }


def _snippet_rows(folder: Path, fn: Extractor, verbose: bool) -> list[dict[str, Any]]:
    evaldata, pages = SNIPPETS.load(str(folder))
    rows = []
    for url in sorted(evaldata):
        item = evaldata[url]
        path = Path(pages) / item["file"]
        text, _ = decode(path.read_bytes())
        pred = _call(fn, text, path, url if "://" in url else "")
        body = "\n".join(str(e.get("text") or "") for e in pred.get("essays") or [])
        tp, fp, fn_, tn, missed, leaked = SNIPPETS.count_item(item, body or None)
        row: dict[str, Any] = {"case": item["file"], "fold": fold_of(item["file"]), "tp": tp, "fp": fp, "fn": fn_, "tn": tn,
                               "empty": not body.strip()}
        if item.get("title"):
            row["title_ok"] = SCORE.squash(str(pred.get("title") or "")) == SCORE.squash(item["title"])
        if "published" in item:
            row["date_ok"] = str(pred.get("published") or "")[:10] == str(item["published"] or "")[:10]
        rows.append(row)
        if verbose and row["fold"] == "tune":  # the validation fold is scored as a whole only
            print(f"  {item['file']} tp={tp} fp={fp} fn={fn_} {'EMPTY' if row['empty'] else ''}")
    return rows


def _snippet_summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    tp, fp, fn, tn = (sum(r[k] for r in rows) for k in ("tp", "fp", "fn", "tn"))
    return {"cases": len(rows), **{k: round(v, 4) for k, v in SNIPPETS.scores(tp, fp, fn, tn).items()},
            "tp": tp, "fp": fp, "fn": fn, "tn": tn, "empty": sum(r["empty"] for r in rows),
            "title_acc": _mean(rows, "title_ok"), "date_acc": _mean(rows, "date_ok")}


def _real_rows(folder: Path, fn: Extractor, verbose: bool) -> list[dict[str, Any]]:
    rows = []
    for gold_path in sorted(folder.glob("*.gold.json")):
        path = gold_path.with_name(gold_path.name[: -len(".gold.json")] + ".txt")
        if not path.exists():
            continue
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        pred = _call(fn, path.read_text(encoding="utf-8"), path, "")
        row = REAL.score_page(gold, pred, "")
        row.update(case=path.name, fold=fold_of(path.name))
        rows.append(row)
        if verbose and row["fold"] == "tune":  # the validation fold is scored as a whole only
            print(f"  {path.name} with={row['with_recall']:.2f} leaks={row['leaks']} title={row['title_ok']}"
                  f" date={row['date_ok']} crumbs={row['crumbs_ok']} count={row['count_ok']}")
    return rows


def _real_summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(rows) or 1
    titled = [r for r in rows if r["title_ok"] is not None]
    return {
        "cases": len(rows),
        "with_recall": round(sum(r["with_recall"] for r in rows) / n, 4),
        "leaks": sum(r["leaks"] for r in rows),
        "pages_with_leaks": sum(1 for r in rows if r["leaks"]),
        "clean_pages": round(sum(1 for r in rows if not r["leaks"]) / n, 4),
        "title_acc": round(sum(1 for r in titled if r["title_ok"]) / (len(titled) or 1), 4),
        "date_acc": round(sum(1 for r in rows if r["date_ok"]) / n, 4),
        "crumbs_acc": round(sum(1 for r in rows if r["crumbs_ok"]) / n, 4),
        "count_acc": round(sum(1 for r in rows if r["count_ok"]) / n, 4),
        "over_split_pages": sum(1 for r in rows if r["over_split"]),
    }


KINDS: dict[str, tuple[Callable[[Path, Extractor, bool], list[dict[str, Any]]], Callable[[list[dict[str, Any]]], dict[str, Any]]]] = {
    "gold": (_gold_rows, _gold_summary),
    "snippets": (_snippet_rows, _snippet_summary),
    "real": (_real_rows, _real_summary),
}


def available(name: str) -> bool:
    folder, kind = SETS[name]
    needs = {"gold": SCORE, "snippets": SNIPPETS, "real": REAL}[kind]
    return folder.is_dir() and needs is not None


def score_set(name: str, fn: Extractor = ours, folds: tuple[str, ...] = ("all",), verbose: bool = False) -> dict[str, Any]:
    """{fold: summary} of one set scored with one extractor ('all' is the whole set)."""
    folder, kind = SETS[name]
    rows_of, summary_of = KINDS[kind]
    started = time.perf_counter()
    rows = rows_of(folder, fn, verbose)
    seconds = round(time.perf_counter() - started, 2)
    out: dict[str, Any] = {}
    for fold in folds:
        picked = [r for r in rows if fold == "all" or r["fold"] == fold]
        if picked:
            out[fold] = summary_of(picked)
    out["seconds"] = seconds
    return out


# ---------------------------------------------------------------- report and floors


def _line(name: str, label: str, kind: str, result: dict[str, Any], folds: tuple[str, ...]) -> str:
    cells = []
    for key in SHOWN[kind]:
        values = [result.get(f, {}).get(key) for f in folds]
        if all(v is None for v in values):
            continue
        cells.append(f"{key}=" + "/".join("-" if v is None else str(v) for v in values))
    return f"{name:17s} {label:16s} " + " ".join(cells)


def check_floors(report: dict[str, Any], floors: dict[str, dict[str, float]]) -> list[str]:
    """Floors are checked on the whole set of `ours`; leaks-like figures are ceilings."""
    failed = []
    for name, keys in floors.items():
        summary = report.get(name, {}).get("ours", {}).get("all")
        if summary is None:
            continue
        for key, floor in keys.items():
            value = summary.get(key)
            if key in ("leaks", "pages_with_leaks", "empty"):
                if value is None or value > floor:
                    failed.append(f"{name}.{key}={value} > {floor}")
            elif value is None or value < floor:
                failed.append(f"{name}.{key}={value} < {floor}")
    return failed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sets", nargs="*", help=f"sets to score (default: all of {', '.join(SETS)})")
    ap.add_argument("--fold", choices=("tune", "valid", "all"), default="all",
                    help="tune or valid fold only; all (default): tune/valid/whole side by side")
    ap.add_argument("--floors", help="JSON of per-set floors to enforce (on the whole set)")
    ap.add_argument("--baselines", action="store_true", help="also score trafilatura (default and fast) and readability-lxml")
    ap.add_argument("--json", help="write the summaries to this file")
    ap.add_argument("-v", "--verbose", action="store_true", help="one line per page of the tune fold (never the valid one)")
    args = ap.parse_args()
    unknown = [s for s in args.sets if s not in SETS]
    if unknown:
        ap.error(f"unknown set(s): {', '.join(unknown)}")
    folds: tuple[str, ...] = ("tune", "valid", "all") if args.fold == "all" else (args.fold,)
    print(f"figures: {' / '.join(folds)} (folds of ../shared/tools/folds.py)")
    extractors = {**EXTRACTORS, **(BASELINES if args.baselines else {})}
    report: dict[str, Any] = {}
    for name in args.sets or list(SETS):
        if not available(name):
            print(f"{name:17s} skipped: {SETS[name][0]} (or its scorer in ../shared/tools) is absent")
            continue
        kind = SETS[name][1]
        report[name] = {}
        for label, fn in extractors.items():
            result = score_set(name, fn, folds, args.verbose and label == "ours")
            report[name][label] = result
            print(_line(name, label, kind, result, folds), flush=True)
    floors = json.loads(Path(args.floors).read_text()) if args.floors else {}
    failed = check_floors(report, floors) if args.fold == "all" else []
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report, ensure_ascii=False, indent=1))
    if failed:
        print("below floor: " + "; ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
