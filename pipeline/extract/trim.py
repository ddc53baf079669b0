"""Which run of blocks is the article's prose: pure functions over per-block scores (positive
for prose, negative for link-dominated blocks, 0 for short plain lines)."""

from __future__ import annotations


def core(scores: list[int]) -> tuple[int, int]:
    """The run of blocks [start, end) with the largest total score (the prose), widened over the
    neutral blocks beside it (after it, only when no link block follows them); the whole range
    when nothing scores."""
    best, best_start, best_end = _best_run(scores, 0, len(scores))
    if best <= 0:
        return 0, len(scores)
    while best_start > 0 and scores[best_start - 1] == 0:
        best_start -= 1
    end = best_end
    while end < len(scores) and scores[end] == 0:
        end += 1
    # plain lines after the prose join it, unless a link block follows them: then they are that
    # block's label ("Read more:", "Related topics")
    if end == len(scores) or scores[end] > 0:
        best_end = end
    return best_start, best_end


def _best_run(scores: list[int], lo: int, hi: int) -> tuple[int, int, int]:
    """(total, start, end) of the run of largest total within [lo, hi) (total 0 when none scores)."""
    best, best_start, best_end = 0, lo, lo
    run, start = 0, lo
    for i in range(lo, hi):
        if run <= 0:
            run, start = 0, i
        run += scores[i]
        if run > best:
            best, best_start, best_end = run, start, i + 1
    return best, best_start, best_end


def spread(scores: list[int], start: int, end: int, share: float) -> tuple[int, int]:
    """The core [start, end) widened to a second run of prose before or after it that scores at
    least `share` of the core's total (an article whose text a table or a list of links cuts in
    two); the blocks between join too, and link runs among them are cut later."""
    total = sum(scores[start:end])
    if total <= 0:
        return start, end
    while True:
        before = _best_run(scores, 0, start)
        after = _best_run(scores, end, len(scores))
        if before[0] >= share * total and before[0] >= after[0]:
            start = before[1]
        elif after[0] >= share * total:
            end = after[2]
        else:
            return start, end


def link_runs(scores: list[int], min_run: int = 3) -> list[tuple[int, int]]:
    """Runs [i, j) of at least `min_run` link-dominated blocks inside the content (a "trending" or
    "related" list set into the article), each with the plain heading line just before it."""
    runs = []
    i = 0
    while i < len(scores):
        if scores[i] >= 0:
            i += 1
            continue
        j = i
        while j < len(scores) and scores[j] < 0:
            j += 1
        if j - i >= min_run:
            runs.append((i - 1 if i > 0 and scores[i - 1] == 0 else i, j))
        i = j
    return runs
