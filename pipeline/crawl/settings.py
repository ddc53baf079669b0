"""Site configs for crawls: TOML in, validated frozen dataclasses out, every setting with help text.

A site config names the start URLs, which URLs are listing pages (followed for links) and which
are article pages (extracted and stored), and how politely to fetch them. See README "Crawling".
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pipeline.errors import ConfigError
from pipeline.models import Profile

DEFAULT_USER_AGENT = "essay-pipeline/0.1 (+https://github.com/; polite crawler)"

# Every setting: (section, key) -> help text. The README table is written from this.
HELP: dict[tuple[str, str], str] = {
    ("", "name"): "Site name, stored in the frontier (required, letters, digits, '-', '_' and '.').",
    ("", "start_urls"): "URLs the crawl starts from (required, http or https).",
    ("", "allowed_hosts"): "Hosts the crawl may fetch and be redirected to: host (any port) or host:port (that port only); "
                          "default: the start URLs' hosts.",
    ("", "max_depth"): "Links followed from a start URL, at most (default 10).",
    ("", "max_pages"): "URLs the frontier holds for this site, at most, over all runs (default 10000); "
                      "not `--max-pages`, which caps the URLs fetched in one run.",
    ("", "sitemaps"): "Sitemap URLs (XML, gzip, sitemap indexes) whose pages are queued; \"robots.txt\" stands for the "
                      "Sitemap: lines of the hosts' robots.txt. A page whose <lastmod> is older than its stored fetch is not fetched.",
    ("", "near_dup_threshold"): "Estimated Jaccard similarity at which an essay counts as a copy of one stored earlier (default 0.7).",
    ("", "site_chrome"): "Learn the lines that stand on a large share of the site's pages and remove them from its essays (default true).",
    ("profile", "content"): "Site profile: CSS selector of the element that holds the main content (default: found by scores).",
    ("profile", "drop"): "Site profile: CSS selectors of elements removed before extraction (default none).",
    ("profile", "title"): "Site profile: CSS selector of the element that holds the page title (default: found from the page).",
    ("listing", "allow"): "Regexes (searched in the full URL) of listing pages: fetched for links, not stored.",
    ("listing", "deny"): "Regexes of URLs that are never listing pages.",
    ("article", "allow"): "Regexes of article pages: fetched, extracted and stored (required, at least one).",
    ("article", "deny"): "Regexes of URLs that are never article pages.",
    ("fetch", "concurrency"): "Requests in flight to one host at a time (default 1).",
    ("fetch", "delay"): "Seconds between requests to one host (default 1.5); robots.txt Crawl-delay wins when larger.",
    ("fetch", "jitter"): "Random spread of the delay, as a fraction: 0.5 waits 0.5x to 1.5x the delay (default 0.5).",
    ("fetch", "user_agent"): "User-Agent header, also the name matched in robots.txt.",
    ("fetch", "timeout"): "Seconds to wait for a connection or a read (default 20).",
    ("fetch", "deadline"): "Seconds one request may take in all, redirects and body included; past it the URL is retried (default 120).",
    ("fetch", "retries"): "Further attempts after a timeout, reset, 429 or 5xx (default 3).",
    ("fetch", "backoff"): "Seconds before the first retry; doubles each attempt, with jitter (default 2).",
    ("fetch", "max_retry_after"): "Longest Retry-After honoured in seconds; longer counts as a failure (default 600).",
    ("fetch", "max_bytes"): "Largest body, after decompression, in bytes (default 10485760).",
    ("fetch", "max_redirects"): "Redirects followed for one URL, at most (default 5).",
    ("fetch", "max_parts"): "Pages of one multi-page article joined, at most (default 20).",
    ("fetch", "robots"): "Obey robots.txt (default true).",
}
_NAME = re.compile(r"^[\w.-]+$")


@dataclass(frozen=True)
class Patterns:
    """Allow and deny regexes for one kind of page."""

    allow: tuple[re.Pattern[str], ...] = ()
    deny: tuple[re.Pattern[str], ...] = ()

    def matches(self, url: str) -> bool:
        return any(p.search(url) for p in self.allow) and not any(p.search(url) for p in self.deny)


@dataclass(frozen=True)
class FetchSettings:
    concurrency: int = 1
    delay: float = 1.5
    jitter: float = 0.5
    user_agent: str = DEFAULT_USER_AGENT
    timeout: float = 20.0
    deadline: float = 120.0
    retries: int = 3
    backoff: float = 2.0
    max_retry_after: float = 600.0
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    max_parts: int = 20
    robots: bool = True


@dataclass(frozen=True)
class SiteConfig:
    name: str
    start_urls: tuple[str, ...]
    listing: Patterns
    article: Patterns
    allowed_hosts: frozenset[str] = frozenset()
    max_depth: int = 10
    max_pages: int = 10_000
    near_dup_threshold: float = 0.7
    site_chrome: bool = True
    profile: Profile | None = None
    fetch: FetchSettings = field(default_factory=FetchSettings)
    source: str = ""
    sitemaps: tuple[str, ...] = ()  # sitemap URLs, and "robots.txt" for the Sitemap: lines of robots.txt

    def kind_of(self, url: str) -> str:
        """'article', 'listing' or '' (not to be crawled) for a URL."""
        if not self.allows(url):
            return ""
        if self.article.matches(url):
            return "article"
        if self.listing.matches(url):
            return "listing"
        return ""

    def allows(self, url: str) -> bool:
        """The URL's host is allowed: an `allowed_hosts` entry names it with its port, or without a
        port (which matches every port of that host)."""
        host = host_of(url)
        if host in self.allowed_hosts:
            return True
        name = urlsplit(url).hostname or ""
        return bool(name) and name in self.allowed_hosts

    def with_base(self, base: str) -> SiteConfig:
        """The same config with start URLs and hosts moved to `base` (scheme://host:port); for the demo."""
        urls = tuple(base.rstrip("/") + _path_of(u) for u in self.start_urls)
        return replace(self, start_urls=urls, allowed_hosts=frozenset(host_of(u) for u in urls))

    def describe(self) -> dict[str, Any]:
        """A JSON-able summary for the runs table."""
        return {"name": self.name, "source": self.source, "start_urls": list(self.start_urls)}


def host_of(url: str) -> str:
    """host[:port], lower-cased, as compared with `allowed_hosts`."""
    return urlsplit(url).netloc.lower().rsplit("@", 1)[-1]


def _path_of(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _bad(where: str, message: str) -> ConfigError:
    return ConfigError(f"{where}: {message}")


def _unit(where: str, key: str, value: Any) -> float:
    number: float = _typed(where, key, value, float, 0.0)
    if number > 1:
        raise _bad(where, f"{key} must be <= 1, not {number}")
    return number


def _typed(where: str, key: str, value: Any, kind: type, minimum: float | None = None) -> Any:
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise _bad(where, f"{key} must be {kind.__name__}, not {type(value).__name__}")
    if minimum is not None and isinstance(value, (int, float)) and value < minimum:
        raise _bad(where, f"{key} must be >= {minimum}, not {value}")
    return value


def _profile(where: str, data: Any) -> Profile:
    """The [profile] table: CSS selectors, each checked here so a typo is a config error."""
    from cssselect import GenericTranslator, SelectorError

    if not isinstance(data, dict):
        raise _bad(where, "[profile] must be a table")
    _unknown(where, "profile", data)
    drop = data.get("drop", [])
    if isinstance(drop, str):
        drop = [drop]
    fields = {"content": data.get("content", ""), "title": data.get("title", "")}
    if not isinstance(drop, list) or not all(isinstance(d, str) for d in drop) or not all(isinstance(v, str) for v in fields.values()):
        raise _bad(where, "profile.content and profile.title must be CSS selectors, profile.drop a list of them")
    for selector in [*fields.values(), *drop]:
        if selector:
            try:
                GenericTranslator().css_to_xpath(selector)
            except SelectorError as exc:
                raise _bad(where, f"profile: bad CSS selector {selector!r}: {exc}") from None
    return Profile(content=fields["content"], drop=tuple(drop), title=fields["title"])


def _patterns(where: str, section: str, data: Any) -> Patterns:
    if not isinstance(data, dict):
        raise _bad(where, f"[{section}] must be a table")
    _unknown(where, section, data)
    compiled: dict[str, tuple[re.Pattern[str], ...]] = {}
    for key in ("allow", "deny"):
        values = data.get(key, [])
        if isinstance(values, str):
            values = [values]
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise _bad(where, f"{section}.{key} must be a list of regexes")
        out = []
        for value in values:
            try:
                out.append(re.compile(value))
            except re.error as exc:
                raise _bad(where, f"{section}.{key}: bad regex {value!r}: {exc}") from None
        compiled[key] = tuple(out)
    return Patterns(allow=compiled["allow"], deny=compiled["deny"])


def _unknown(where: str, section: str, data: dict[str, Any]) -> None:
    known = {k for s, k in HELP if s == section} | ({"listing", "article", "fetch", "profile"} if section == "" else set())
    extra = sorted(set(data) - known)
    if extra:
        prefix = f"{section}." if section else ""
        raise _bad(where, f"unknown setting {prefix}{extra[0]} (known: {', '.join(sorted(known))})")


def _fetch(where: str, data: Any) -> FetchSettings:
    if not isinstance(data, dict):
        raise _bad(where, "[fetch] must be a table")
    _unknown(where, "fetch", data)
    d = FetchSettings()
    kinds: dict[str, tuple[type, float | None]] = {
        "concurrency": (int, 1), "delay": (float, 0), "jitter": (float, 0), "user_agent": (str, None),
        "timeout": (float, 0.001), "deadline": (float, 0.001), "retries": (int, 0), "backoff": (float, 0), "max_retry_after": (float, 0),
        "max_bytes": (int, 1), "max_redirects": (int, 0), "max_parts": (int, 1), "robots": (bool, None),
    }
    values = {k: _typed(where, f"fetch.{k}", v, *kinds[k]) for k, v in data.items()}
    if float(values.get("jitter", 0.0)) > 1:
        raise _bad(where, "fetch.jitter must be between 0 and 1")
    if "user_agent" in values and not values["user_agent"].strip():
        raise _bad(where, "fetch.user_agent must not be empty")
    return replace(d, **values)


def parse_site(data: dict[str, Any], where: str = "<config>") -> SiteConfig:
    """Validate a parsed TOML document; raises ConfigError naming the file and the setting."""
    _unknown(where, "", data)
    name = data.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise _bad(where, "name is required (letters, digits, '-', '_', '.')")
    starts = data.get("start_urls")
    if isinstance(starts, str):
        starts = [starts]
    if not isinstance(starts, list) or not starts or not all(isinstance(u, str) for u in starts):
        raise _bad(where, "start_urls must be a non-empty list of URLs")
    for url in starts:
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018  (raises ValueError on a bad port)
        except ValueError:
            raise _bad(where, f"start URL is malformed: {url!r}") from None
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise _bad(where, f"start URL is not http(s): {url!r}")
    hosts = data.get("allowed_hosts", [host_of(u) for u in starts])
    if not isinstance(hosts, list) or not all(isinstance(h, str) and h for h in hosts):
        raise _bad(where, "allowed_hosts must be a list of host names")
    listing = _patterns(where, "listing", data.get("listing", {}))
    article = _patterns(where, "article", data.get("article", {}))
    if not article.allow:
        raise _bad(where, "article.allow needs at least one regex")
    profile = _profile(where, data["profile"]) if "profile" in data else None
    sitemaps = data.get("sitemaps", [])
    if not isinstance(sitemaps, list) or not all(isinstance(u, str) for u in sitemaps):
        raise _bad(where, "sitemaps must be a list of URLs (or \"robots.txt\")")
    site = SiteConfig(
        name=name, start_urls=tuple(starts), listing=listing, article=article,
        allowed_hosts=frozenset(h.lower() for h in hosts),
        max_depth=_typed(where, "max_depth", data.get("max_depth", 10), int, 0),
        max_pages=_typed(where, "max_pages", data.get("max_pages", 10_000), int, 1),
        near_dup_threshold=_unit(where, "near_dup_threshold", data.get("near_dup_threshold", 0.7)),
        site_chrome=_typed(where, "site_chrome", data.get("site_chrome", True), bool),
        profile=profile, fetch=_fetch(where, data.get("fetch", {})), source=where, sitemaps=tuple(sitemaps),
    )
    outside = [u for u in starts if not site.allows(u)]
    if outside:
        raise _bad(where, f"start URL {outside[0]!r} is not on allowed_hosts ({', '.join(hosts)}): "
                          "add its host (any port) or its host:port to allowed_hosts")
    for url in sitemaps:
        if url != "robots.txt" and (urlsplit(url).scheme not in ("http", "https") or not site.allows(url)):
            raise _bad(where, f"sitemap is not an http(s) URL on an allowed host: {url!r}")
    return site


def _read_toml(path: Path, what: str) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"no such {what}: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {what} {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def load_site(path: str | Path) -> SiteConfig:
    """Read and validate one site config file."""
    return parse_site(_read_toml(Path(path), "site config"), str(path))


def load_profile(path: str | Path) -> Profile:
    """A site profile on its own: a TOML file with a [profile] table (or a site config that has one)."""
    data = _read_toml(Path(path), "site profile")
    if "profile" not in data:
        raise ConfigError(f"{path}: no [profile] table")
    return _profile(str(path), data["profile"])


def load_sites(paths: list[str] | tuple[str, ...]) -> list[SiteConfig]:
    """Load every config; site names must be unique."""
    sites = [load_site(p) for p in paths]
    names = [s.name for s in sites]
    for name in names:
        if names.count(name) > 1:
            raise ConfigError(f"two site configs are named {name!r}")
    return sites
