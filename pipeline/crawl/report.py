"""What a crawl run did, site by site, and the verdict it earns: `ok`, `partial`, `degraded` or `failed`.

A run tells the truth to cron: a site none of whose start URLs could be fetched (down, refused by
robots.txt, robots.txt unreachable) fails the run; a site whose article pages mostly give no essay
where its earlier runs did (a changed template) degrades it; both exit 1 with the reason in the
summary line and in `runs.reason`. A run that stored nothing because every URL was skipped says why.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pipeline.models import RunStats

MIN_ARTICLES = 3  # a template change is judged on at least this many article pages of one run
Outcome = Literal["reached", "skipped", "failed", "retry"]


@dataclass
class SiteOutcome:
    """One site's share of a run."""

    name: str
    start_urls: frozenset[str]
    tried: int = 0  # URLs whose outcome is known in this run
    reached: int = 0  # answered and usable: fetched, unchanged (304, same bytes) or found gone
    starts_tried: int = 0
    starts_reached: int = 0
    start_error: str = ""  # why the first start URL that failed did
    last_error: str = ""
    skips: Counter[str] = field(default_factory=Counter)  # skip reasons, counted
    articles: int = 0  # article pages fetched and put through extraction in this run
    empty: int = 0  # ... of which gave no essay (extraction found none, or no content at all)
    empty_was_full: int = 0  # ... of which had essays when stored before
    earlier_full: int = 0  # pages of the site stored by earlier runs with essays (filled in by the run's job)

    def note(self, url: str, outcome: Outcome, reason: str = "") -> None:
        start = url in self.start_urls
        if outcome != "retry":
            self.tried += 1
            self.starts_tried += start
        if outcome == "reached":
            self.reached += 1
            self.starts_reached += start
            return
        if outcome == "skipped":
            self.skips[_short(reason)] += 1
        self.last_error = reason
        if start and not self.start_error:
            self.start_error = f"{url}: {reason}"

    def article(self, essays: int, had_essays: bool) -> None:
        self.articles += 1
        if essays == 0:
            self.empty += 1
            self.empty_was_full += had_essays

    @property
    def unreachable(self) -> str:
        """Why the site could not be crawled at all in this run; empty when it could."""
        if self.starts_tried and not self.starts_reached:
            return f"site {self.name}: none of its start URLs could be fetched ({self.start_error or self.last_error})"
        if self.tried and not self.reached:
            return f"site {self.name}: no URL could be fetched ({self.last_error})"
        return ""

    @property
    def degraded(self) -> str:
        """Why the site's pages look broken (most give no essay where earlier runs got some); empty otherwise."""
        if self.articles < MIN_ARTICLES or self.empty * 2 <= self.articles:
            return ""
        if not (self.empty_was_full or self.earlier_full):
            return ""
        return (f"site {self.name}: {self.empty} of {self.articles} article pages gave no essay, where earlier runs "
                "found essays (has the site's template changed?)")


def _short(reason: str) -> str:
    return reason.split(": http", 1)[0][:120] or "skipped"


@dataclass
class CrawlReport:
    """What a crawl did: the run's counters plus what only a crawl has."""

    stats: RunStats
    run_id: int = 0
    skipped: int = 0
    left: int = 0  # URLs still pending (a --max-pages stop, or retries not yet due)
    requests: int = 0
    conditional: int = 0
    gone: int = 0  # pages a re-crawl found removed (404, 410): marked gone, essays flagged
    resumed: list[str] = field(default_factory=list)
    sites: dict[str, SiteOutcome] = field(default_factory=dict)

    @property
    def handled(self) -> int:
        """URLs this run has finished with (fetched, unchanged, skipped, failed, gone)."""
        s = self.stats
        return s.pages_fetched + s.pages_unchanged + s.pages_failed + self.skipped + self.gone

    def site(self, name: str, start_urls: tuple[str, ...] = ()) -> SiteOutcome:
        if name not in self.sites:
            self.sites[name] = SiteOutcome(name, frozenset(start_urls))
        return self.sites[name]

    @property
    def reasons(self) -> list[str]:
        """Why the run failed or is degraded, site by site; empty for a sound run."""
        return [r for s in self.sites.values() for r in (s.unreachable, s.degraded) if r]

    @property
    def status(self) -> str:
        s = self.stats
        if any(site.unreachable for site in self.sites.values()):
            return "failed"
        if s.pages_failed and not (s.pages_fetched or s.pages_unchanged):
            return "failed"
        if any(site.degraded for site in self.sites.values()):
            return "degraded"
        return "partial" if s.pages_failed else "ok"

    @property
    def exit_code(self) -> int:
        """0 for a sound run; 1 when pages failed, a site could not be crawled or looks broken."""
        return 0 if self.status == "ok" else 1

    @property
    def nothing_stored(self) -> str:
        """Why a run that stored and confirmed nothing did so: every URL skipped, with the reasons."""
        stored = sum(site.articles for site in self.sites.values())
        if stored or self.stats.pages_unchanged or not self.skipped:
            return ""
        counts: Counter[str] = Counter()
        for site in self.sites.values():
            counts.update(site.skips)
        why = ", ".join(f"{n} {reason}" for reason, n in counts.most_common())
        return f"nothing stored: every URL was skipped ({why})"

    @property
    def reason(self) -> str:
        """The text stored in `runs.reason`."""
        return "; ".join([*self.reasons, *([self.nothing_stored] if self.nothing_stored else [])])

    def summary(self, db: str | Path) -> str:
        s = self.stats
        left = f", {self.left} left in the frontier" if self.left else ""
        gone = f", {self.gone} gone" if self.gone else ""
        line = (f"crawled {s.pages_fetched} pages ({s.pages_unchanged} unchanged, {self.skipped} skipped, {s.pages_failed} failed"
                f"{gone}), {s.essays_added} essays added, {s.essays_updated} updated in {s.seconds:.2f}s{left} -> {db}")
        status = self.status
        if status in ("failed", "degraded"):
            return f"{line}; run {status}: {self.reason or 'every page failed'}"
        if self.nothing_stored:
            return f"{line}; {self.nothing_stored}"
        return line
