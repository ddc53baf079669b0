"""A generated 范文 site with boilerplate no rule knows, and the score of what a crawl kept of it.

`ChromeSite(seed, pages)` draws, from the seed alone, its own random phrases, templates and
placements: lines on every page (at the top of the content, between paragraphs, at the end),
lines built from the page's title, lines with numbers and dates, a tail line on 90% of pages, a
related-links block, and one genuine paragraph that `shared` pages quote. `change_at` switches
to a second set of boilerplate halfway through the site's history. `resolve` serves it (with
`demo_site.serve`); `score` reads a database and counts the boilerplate lines left in the
essays (leaks) and the essay paragraphs kept (recall).
"""

from __future__ import annotations

import random
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

_HAN = ("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方"
        "后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还"
        "因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解"
        "问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图")
_CN = "一二三四五六七八九十"
_TAGS = (("p", ""), ("div", ""), ("p", "strong"), ("p", "span"), ("div", "em"), ("h4", ""), ("section", "p"))
_DATES = ("{y}年{m}月{d}日", "{y}-{m:02d}-{d:02d}", "{y}/{m}/{d} {h}:{mi:02d}", "{y}.{m:02d}.{d:02d}")


def _phrase(rng: random.Random, low: int = 10, high: int = 22) -> str:
    n = rng.randint(low, high)
    chars = [rng.choice(_HAN) for _ in range(n)]
    if n > 12:
        chars.insert(rng.randint(5, n - 5), "，")
    return "".join(chars)


def _sentence(rng: random.Random) -> str:
    return "，".join(_phrase(rng, 6, 14) for _ in range(rng.randint(2, 5))) + rng.choice("。。。！？")


@dataclass(frozen=True)
class Boilerplate:
    """One boilerplate item: its template ({title}, {n}, {date} filled per page) and where it goes."""

    template: str
    place: str  # "top" | "middle" | "end" | "related"
    share: float  # the fraction of pages that carry it
    tag: tuple[str, str]

    def core(self) -> str:
        """The part of the line no page changes (for finding it in the essays)."""
        text = self.template
        for slot in ("{title}", "{core}", "{n}", "{date}"):
            text = text.replace(slot, "\0")
        return max(text.split("\0"), key=len)


def _boilerplate(rng: random.Random) -> list[Boilerplate]:
    tag = rng.choice(_TAGS)
    items = [
        Boilerplate(_phrase(rng), rng.choice(("top", "end")), 1.0, tag),
        Boilerplate(rng.choice(("《{title}》", "{title}", "“{title}”", "{core}", "【{core}】")) + _phrase(rng),
                    rng.choice(("top", "end", "middle")), 1.0, rng.choice(_TAGS)),
        Boilerplate(_phrase(rng, 6, 10) + "{n}" + _phrase(rng, 4, 8) + "{date}", rng.choice(("top", "end")), 1.0, tag),
        Boilerplate(_phrase(rng), "middle", 1.0, rng.choice(_TAGS)),
        Boilerplate(_phrase(rng), "end", 0.9, tag),
        Boilerplate(_phrase(rng, 4, 8), "related", 1.0, ("p", "")),
    ]
    return items


@dataclass
class Article:
    number: int
    title: str
    essays: list[tuple[str, list[str]]]  # (subtitle, paragraphs)
    lines: list[tuple[Boilerplate, str]] = field(default_factory=list)  # the boilerplate lines this page carries
    related: list[int] = field(default_factory=list)


class ChromeSite:
    """A site of `pages` articles under /a/N.html, listed from / and /list/K.html."""

    def __init__(self, seed: int, pages: int = 60, change_at: int | None = None, shared: int = 4) -> None:
        rng = random.Random(seed)
        self.seed = seed
        self.name = "".join(rng.choice(_HAN) for _ in range(3)) + "网"
        self.templates = _boilerplate(rng)
        self.later = _boilerplate(rng) if change_at else self.templates
        self.change_at = change_at or pages + 1
        self.quote = _sentence(rng)
        quoting = set(rng.sample(range(1, pages + 1), min(shared, pages)))
        self.articles: list[Article] = []
        for i in range(1, pages + 1):
            self.articles.append(self._article(rng, i, i in quoting, pages))
        self.online = pages  # the articles published so far (the first `online`): a site grows by raising it

    def _article(self, rng: random.Random, i: int, quotes: bool, pages: int) -> Article:
        stem = _phrase(rng, 4, 8) + "作文"
        count = rng.choice((1, 1, 2, 3))
        title = f"{stem}（精选{count}篇）" if count > 1 else stem
        essays = []
        for _ in range(count):
            paras = [_sentence(rng) for _ in range(rng.randint(3, 6))]
            essays.append((_phrase(rng, 4, 8) if count > 1 else "", paras))
        if quotes:
            first = essays[0][1]
            first.insert(rng.randint(1, len(first)), self.quote)
        art = Article(i, title, essays)
        core = title.split("（")[0]
        templates = self.templates if i < self.change_at else self.later
        for bp in templates:
            if rng.random() >= bp.share:
                continue
            date = rng.choice(_DATES).format(y=rng.randint(2015, 2025), m=rng.randint(1, 12), d=rng.randint(1, 28),
                                             h=rng.randint(0, 23), mi=rng.randint(0, 59))
            line = (bp.template.replace("{title}", title).replace("{core}", core).replace("{n}", str(rng.randint(1, 9999)))
                    .replace("{date}", date))
            art.lines.append((bp, line))
        art.related = rng.sample([n for n in range(1, pages + 1) if n != i], min(5, pages - 1))
        return art

    def article_html(self, art: Article) -> str:
        def wrap(bp: Boilerplate, line: str) -> str:
            outer, inner = bp.tag
            return f"<{outer}><{inner}>{line}</{inner}></{outer}>" if inner else f"<{outer}>{line}</{outer}>"

        top = [wrap(bp, t) for bp, t in art.lines if bp.place == "top"]
        middle = [wrap(bp, t) for bp, t in art.lines if bp.place == "middle"]
        end = [wrap(bp, t) for bp, t in art.lines if bp.place == "end"]
        body: list[str] = list(top)
        multi = len(art.essays) > 1
        for k, (subtitle, paras) in enumerate(art.essays):
            if multi:
                body.append(f"<p><strong>篇{_CN[k]}：{subtitle}</strong></p>")
            for j, para in enumerate(paras):
                body.append(f"<p>{para}</p>")
                if k == 0 and j == 0:
                    body.extend(middle)
        body.extend(end)
        for bp, text in art.lines:
            if bp.place == "related":
                links = "".join(f'<li><a href="/a/{n}.html">{self.articles_by(n)}</a></li>' for n in art.related)
                body.append(f'<{bp.tag[0]}>{text}</{bp.tag[0]}><ul class="list">{links}</ul>')
        return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{art.title}_{self.name}</title></head><body>'
                f'<div class="top"><a href="/">{self.name}</a> &gt; <a href="/list/1.html">作文</a></div>'
                f'<div class="content"><h1>{art.title}</h1>{"".join(body)}</div>'
                f'<div class="foot">{self.name} 版权所有</div></body></html>')

    def articles_by(self, n: int) -> str:
        return self.articles[n - 1].title

    def resolve(self, path: str) -> tuple[int, str, bytes] | None:
        """The site's pages, for `demo_site.serve`."""
        per = 50
        listings = (self.online + per - 1) // per
        if path == "/":
            links = "".join(f'<a href="/list/{k}.html">{k}</a> ' for k in range(1, listings + 1))
            return 200, "text/html", f"<html><body>{links}</body></html>".encode()
        if path.endswith(".html") and path.count("/") == 2:
            _, section, name = path.split("/")
            if name[:-5].isdigit():
                n = int(name[:-5])
                if section == "a" and 1 <= n <= self.online:
                    return 200, "text/html; charset=utf-8", self.article_html(self.articles[n - 1]).encode()
                if section == "list" and 1 <= n <= listings:
                    items = "".join(f'<li><a href="/a/{i}.html">{i}</a></li>'
                                    for i in range((n - 1) * per + 1, min(n * per, self.online) + 1))
                    return 200, "text/html", f"<html><body><ul>{items}</ul></body></html>".encode()
        return None

    def site_toml(self, path: Path, base: str, name: str, site_chrome: bool = True, concurrency: int = 4) -> Path:
        """A site config that crawls this site from `base` at delay 0 (`site_chrome` false: without the site pass)."""
        path.write_text(f'name = "{name}"\nstart_urls = ["{base}/"]\nmax_pages = 100000\n'
                        f'site_chrome = {"true" if site_chrome else "false"}\n[listing]\nallow = [\'/$\', \'/list/\\d+\\.html$\']\n'
                        "[article]\nallow = ['/a/\\d+\\.html$']\n[fetch]\n"
                        f"concurrency = {concurrency}\ndelay = 0\njitter = 0\n"
                        "timeout = 10\nretries = 1\nbackoff = 0.05\n", encoding="utf-8")
        return path


@dataclass(frozen=True)
class Score:
    pages: int  # pages stored with essays
    leaks: int  # boilerplate lines left in the essays
    paragraphs: int  # genuine essay paragraphs on the site
    kept: int  # of which the essays hold

    @property
    def recall(self) -> float:
        return self.kept / self.paragraphs if self.paragraphs else 1.0


def stored_essays(db_path: str | Path) -> dict[str, list[str]]:
    """page url -> the texts of its stored essays."""
    conn = sqlite3.connect(str(db_path))
    try:
        out: dict[str, list[str]] = {}
        for url, text in conn.execute("select page_url, text from essays order by page_url, position"):
            out.setdefault(url, []).append(text)
        return out
    finally:
        conn.close()


def score(essays: dict[str, list[str]], site: ChromeSite, base: str) -> Score:
    """What `essays` (page url -> essay texts) hold of the site's published articles: pages with
    essays, boilerplate lines left, genuine paragraphs kept."""
    pages = leaks = paragraphs = kept = 0
    for art in site.articles[: site.online]:
        texts = essays.get(f"{base}/a/{art.number}.html", [])
        lines = {line for text in texts for line in text.split("\n")}
        pages += bool(texts)
        joined = "\n".join(texts)
        for bp, _ in art.lines:
            leaks += bp.core() in joined
        for _, paras in art.essays:
            paragraphs += len(paras)
            kept += sum(1 for p in paras if p in lines)
    return Score(pages, leaks, paragraphs, kept)


def main(argv: list[str] | None = None) -> int:
    """Serve a generated site on 127.0.0.1 (prints the base URL, serves until killed)."""
    import argparse

    from pipeline.jobs.demo_site import serve_until_interrupted

    parser = argparse.ArgumentParser(description="Serve a generated site with its own boilerplate on 127.0.0.1.")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pages", type=int, default=60)
    parser.add_argument("--change-at", type=int, default=None)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    site = ChromeSite(args.seed, args.pages, change_at=args.change_at)
    serve_until_interrupted(site.resolve, args.port)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
