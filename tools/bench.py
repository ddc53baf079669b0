#!/usr/bin/env python3
"""Benchmarks (speed and memory), written to output/bench.json. Not timed tests.

Each section lives in its own module `tools/bench_<name>.py` with a `run() -> dict` function;
this script runs every section that exists (or those named on the command line), each in a
fresh subprocess so peak RSS figures are per section, and merges their results.

    python tools/bench.py [extract dedupe crawl search bulk scale soak site_chrome]
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECTIONS = ("extract", "dedupe", "crawl", "search", "bulk", "scale", "soak", "site_chrome")


def main() -> int:
    wanted = sys.argv[1:] or [s for s in SECTIONS if (ROOT / "tools" / f"bench_{s}.py").exists()]
    out_path = ROOT / "output" / "bench.json"
    out_path.parent.mkdir(parents=True, exist_ok=True)
    report = json.loads(out_path.read_text()) if out_path.exists() else {}
    failed = []
    for name in wanted:
        print(f"== bench {name}", flush=True)
        proc = subprocess.run([sys.executable, str(ROOT / "tools" / f"bench_{name}.py")], capture_output=True, text=True)
        sys.stderr.write(proc.stderr[-4000:])
        if proc.returncode != 0:
            failed.append(name)
            continue
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        report[name] = result
        print(json.dumps({name: result}, ensure_ascii=False, indent=1), flush=True)
    out_path.write_text(json.dumps(report, ensure_ascii=False, indent=1))
    print(f"written: {out_path.relative_to(ROOT)}")
    if failed:
        print("failed sections: " + ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
