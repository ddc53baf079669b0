#!/usr/bin/env python3
"""Near-duplicate detection on 100,000 synthetic essays made from the corpus gold texts.

Each synthetic essay is a random mix of corpus sentences; every tenth one is a copy of an earlier
one with a small edit (a planted near duplicate). Signatures, LSH band lookups and the similarity
check are the ones the store uses. Prints one JSON line.
"""

from __future__ import annotations

import json
import random
import re
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.normalize.signatures import DEFAULT_THRESHOLD, band_keys, signature, similarity  # noqa: E402

N = 100_000


def sentences() -> list[str]:
    out: list[str] = []
    for gold in sorted((ROOT / "fixtures" / "corpus").rglob("*.gold.json")):
        for essay in json.loads(gold.read_text(encoding="utf-8")).get("essays", []):
            out.extend(s for s in re.split(r"(?<=[。！？.!?])", essay["text"]) if len(s) > 8)
    return out


def main() -> None:
    rng = random.Random(7)
    pool = sentences()
    recent: list[str] = []  # earlier essays that planted copies are made from (texts are not all kept)
    planted = 0
    started = time.perf_counter()
    index: dict[int, list[int]] = {}
    sigs = []
    found = 0
    for i in range(N):
        if i % 10 == 9:
            base = recent[rng.randrange(len(recent))]
            cut = rng.randrange(len(base))
            text = base[:cut] + "改动" + base[cut:]
            planted += 1
        else:
            text = "".join(rng.choice(pool) for _ in range(rng.randint(8, 30)))
            recent.append(text)
            if len(recent) > 2000:
                recent.pop(rng.randrange(len(recent)))
        sig = signature(text)
        sigs.append(sig)
        keys = band_keys(sig)
        candidates = {j for k in keys for j in index.get(k, ())}
        if any(similarity(sig, sigs[j]) >= DEFAULT_THRESHOLD for j in sorted(candidates)):
            found += 1
        for k in keys:
            index.setdefault(k, []).append(i)
    seconds = time.perf_counter() - started  # includes making the synthetic essays
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({
        "essays": N, "seconds": round(seconds, 1), "essays_per_s": round(N / seconds),
        "peak_rss_mb": round(peak, 1), "planted_near_duplicates": planted, "near_duplicates_found": found,
        "threshold": DEFAULT_THRESHOLD,
    }))


if __name__ == "__main__":
    main()
