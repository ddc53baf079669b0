"""Rules as data: loads `pipeline/rules/*.toml` once and compiles their patterns."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from pipeline.rules.caseless import Caseless


@dataclass(frozen=True)
class Rule:
    """A named regex with the examples it must take (`match`) and leave (`keep`)."""

    name: str
    kind: str
    pattern: re.Pattern[str]
    max_len: int
    where: str
    match: tuple[str, ...]
    keep: tuple[str, ...]
    extra: tuple[tuple[str, Any], ...] = ()

    def get(self, key: str, default: Any = None) -> Any:
        return dict(self.extra).get(key, default)


_KNOWN = {"name", "kind", "pattern", "max_len", "where", "match", "keep"}


@cache
def load(name: str) -> dict[str, Any]:
    """The parsed TOML file `rules/NAME.toml`."""
    text = resources.files("pipeline").joinpath("rules", f"{name}.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


@cache
def rules(name: str) -> tuple[Rule, ...]:
    """The `[[rule]]` tables of `rules/NAME.toml`, compiled."""
    out = []
    for raw in load(name).get("rule", []):
        out.append(
            Rule(
                name=raw["name"],
                kind=raw.get("kind", "line"),
                pattern=re.compile(raw["pattern"], re.I),
                max_len=int(raw.get("max_len", 10_000)),
                where=raw.get("where", "any"),
                match=tuple(raw.get("match", ())),
                keep=tuple(raw.get("keep", ())),
                extra=tuple((k, v) for k, v in raw.items() if k not in _KNOWN),
            )
        )
    return tuple(out)


@cache
def words(name: str, key: str) -> tuple[str, ...]:
    """A list of plain strings from `rules/NAME.toml`."""
    return tuple(load(name).get(key, ()))


@cache
def regex(name: str, key: str) -> re.Pattern[str]:
    """A single compiled pattern stored under `key` in `rules/NAME.toml` (case-insensitive)."""
    return re.compile(load(name)[key], re.I)


@cache
def caseless(name: str, key: str) -> Caseless:
    """`regex(name, key)` wrapped to run faster on ASCII text (class names, ids), same answers."""
    return Caseless(load(name)[key])


@cache
def regexes(name: str, key: str) -> tuple[re.Pattern[str], ...]:
    """A list of compiled patterns stored under `key` in `rules/NAME.toml` (case-insensitive)."""
    return tuple(re.compile(p, re.I) for p in load(name)[key])


@cache
def tagset(name: str, key: str) -> frozenset[str]:
    """A set of names (tags, words) stored under `key` in `rules/NAME.toml`."""
    return frozenset(load(name)[key])
