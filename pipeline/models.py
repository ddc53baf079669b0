"""Frozen records that flow between the pipeline's stages."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Fetched:
    """What the fetch stage returns for one URL."""

    url: str
    final_url: str
    status: int
    headers: dict[str, str]
    content: bytes
    text: str
    encoding: str
    elapsed: float = 0.0
    error: str = ""


@dataclass(frozen=True)
class Profile:
    """A site profile: CSS selectors that pin extraction for one site (the generic path needs none)."""

    content: str = ""  # the element that holds the main content (first match)
    drop: tuple[str, ...] = ()  # elements removed before anything else is read
    title: str = ""  # the element that holds the page's title (first match)


@dataclass(frozen=True)
class Block:
    """One unit of main content: a heading or a paragraph."""

    kind: str  # "heading" | "paragraph" | "lead" (what is left of an opening paragraph that carried an SEO intro)
    text: str
    level: int = 0  # 1-6 for headings, 0 for paragraphs
    bold: bool = False  # the whole paragraph is bold / strong


@dataclass(frozen=True)
class Removed:
    """A piece of text that was dropped, and the rule that dropped it."""

    text: str
    rule: str


@dataclass(frozen=True)
class Page:
    """A page after extraction: metadata plus ordered content blocks."""

    url: str
    title: str = ""
    site: str = ""
    published: str = ""
    breadcrumb: tuple[str, ...] = ()
    summary: str = ""
    author: str = ""
    source: str = ""
    blocks: tuple[Block, ...] = ()
    links: tuple[str, ...] = ()
    next_pages: tuple[str, ...] = ()
    removed: tuple[Removed, ...] = ()
    encoding: str = ""
    parts: tuple[str, ...] = ()
    error: str = ""
    # blocks from HTML: the DOM cut the page's chrome away already, so text before a page's one
    # heading is the article's own intro (in a text dump it is the site's notices)
    markup: bool = False

    @property
    def category(self) -> str:
        return self.breadcrumb[-1] if self.breadcrumb else ""


@dataclass(frozen=True)
class Essay:
    """One clean record: an essay or article."""

    page_url: str
    position: int
    title: str
    text: str
    text_sha1: str
    script: str = ""  # "hans", "hant" or "" when not Chinese

    @property
    def chars(self) -> int:
        return len(self.text)

    @property
    def id(self) -> str:
        from hashlib import sha1

        return sha1(f"{self.page_url}#{self.position}".encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Result:
    """What `process` makes of one page: the page, its essays and the checks."""

    page: Page
    essays: tuple[Essay, ...]
    expected_count: int | None = None
    incomplete: str = ""
    split_form: str = ""


@dataclass
class RunStats:
    """Counters of one run (import, crawl or reprocess)."""

    kind: str
    pages_fetched: int = 0
    pages_unchanged: int = 0
    pages_failed: int = 0
    essays_added: int = 0
    essays_updated: int = 0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)
    run_id: int = 0  # the runs row: `select * from failures where run_id = N` lists every failure
    skipped: dict[str, int] = field(default_factory=dict)  # what a run left out on purpose, by reason (runs.skipped)
