#!/usr/bin/env python3
"""Identity check for changes that must not change what extraction gives (speed work).

Runs every page of every set under ../shared/corpus (all folds: this is no scoring, only a
comparison) and of the project's fixtures through the path `pipeline extract FILE --json` takes
(read_file, process, to_json; the URL made from the page's key), and keeps per page a digest of: that JSON, the removals
(`--explain`), the next-page links, and every link of the page (`with_links`, what the crawl
asks for). The digests and the records themselves go to output/ (ignored by git).

    python tools/same_output.py --save      # record the reference (before a change)
    python tools/same_output.py             # compare with it; exit 1 and list the pages that differ
    python tools/same_output.py --show N    # also print the first differing field of up to N pages

To compare a branch with main, run `--save` in a checkout of main and copy its
output/same_output/reference*.json into the branch's output/same_output/ before checking.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.errors import ExtractError  # noqa: E402
from pipeline.extract import extract  # noqa: E402
from pipeline.jobs.importer import PAGE_SUFFIXES, read_file  # noqa: E402
from pipeline.jobs.process import process, to_json  # noqa: E402

SHARED = ROOT.parent / "shared" / "corpus"
OUT = ROOT / "output" / "same_output"


def page_files() -> list[tuple[str, Path]]:
    """(key, path) of every page: ../shared/corpus/... and fixtures/..., keys relative to those roots."""
    out: list[tuple[str, Path]] = []
    for label, base in (("shared", SHARED), ("fixtures", ROOT / "fixtures")):
        if not base.is_dir():
            print(f"note: {base} absent, skipped", file=sys.stderr)
            continue
        for path in sorted(p for p in base.rglob("*") if p.is_file() and p.suffix.lower() in PAGE_SUFFIXES):
            out.append((f"{label}/{path.relative_to(base)}", path))
    return out


def record(key: str, path: Path) -> dict[str, object]:
    """What a page gives: the CLI's JSON, its removals, next pages and all its links. The page's
    URL is made from its key, not from where the checkout lies, so that two checkouts (a branch
    and main) can be compared."""
    try:
        _, text, codec = read_file(path)
    except (ExtractError, OSError) as exc:
        return {"read_error": str(exc)}
    url = f"file:///corpus/{key}"
    result = process(text, url, codec)
    data = to_json(result)
    data["removed"] = [[r.rule, r.text] for r in result.page.removed]
    data["next_pages"] = list(result.page.next_pages)
    try:
        data["links"] = list(extract(text, url, codec, with_links=True).links)
    except (ExtractError, RecursionError, ValueError, MemoryError) as exc:
        data["links"] = f"error: {type(exc).__name__}: {exc}"
    return data


def digest(data: dict[str, object]) -> str:
    return hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--save", action="store_true", help="record the reference instead of comparing")
    ap.add_argument("--show", type=int, default=3, help="print the first differing field of up to N pages")
    args = ap.parse_args()
    records = {key: record(key, path) for key, path in page_files()}
    digests = {key: digest(data) for key, data in records.items()}
    OUT.mkdir(parents=True, exist_ok=True)
    if args.save:
        (OUT / "reference.json").write_text(json.dumps(digests, indent=0, sort_keys=True))
        (OUT / "reference_records.json").write_text(json.dumps(records, ensure_ascii=False))
        print(f"saved reference of {len(digests)} pages: {(OUT / 'reference.json').relative_to(ROOT)}")
        return 0
    ref_path = OUT / "reference.json"
    if not ref_path.exists():
        print("no reference: run with --save first", file=sys.stderr)
        return 2
    reference: dict[str, str] = json.loads(ref_path.read_text())
    (OUT / "current_records.json").write_text(json.dumps(records, ensure_ascii=False))
    missing = sorted(set(reference) - set(digests))
    added = sorted(set(digests) - set(reference))
    changed = sorted(k for k in digests if k in reference and reference[k] != digests[k])
    ref_records: dict[str, dict[str, object]] = {}
    if changed and args.show:
        ref_records = json.loads((OUT / "reference_records.json").read_text())
    for key in changed:
        print(f"CHANGED {key}")
        if args.show > 0 and key in ref_records:
            args.show -= 1
            old, new = ref_records[key], records[key]
            for field in sorted(set(old) | set(new)):
                if old.get(field) != new.get(field):
                    print(f"  {field}:\n    was {json.dumps(old.get(field), ensure_ascii=False)[:600]}"
                          f"\n    now {json.dumps(new.get(field), ensure_ascii=False)[:600]}")
    for key in missing:
        print(f"MISSING {key}")
    for key in added:
        print(f"NEW {key}")
    same = len(digests) - len(changed) - len(added)
    print(f"{same} of {len(reference)} pages identical; {len(changed)} changed, {len(missing)} missing, {len(added)} new")
    return 1 if changed or missing or added else 0


if __name__ == "__main__":
    sys.exit(main())
