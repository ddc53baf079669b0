"""The launcher behind ``pipeline serve``: datasette on the essays database, with datasette's own options
passed through (``--setting``, ``--metadata``, ``--plugins-dir``, ``--template-dir``).

Everything the project adds to datasette (metadata, Chinese search, the essay and search pages, facets)
comes from the plugin (:mod:`pipeline.serve.plugin`), which the ``datasette`` entry point loads in any
datasette process; :func:`make_datasette` registers it too, for a checkout run without installing.
"""

from __future__ import annotations

import socket
import webbrowser
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipeline.errors import ConfigError
from pipeline.serve.metadata import DESCRIPTION, LICENSE, SOURCE, TITLE

__all__ = ["DESCRIPTION", "LICENSE", "SOURCE", "TITLE", "make_datasette", "serve", "settings_from_pairs"]

DEFAULT_SETTINGS = {"facet_time_limit_ms": 1000, "truncate_cells_html": 120, "suggest_facets": False}


def database_name(db_path: str | Path) -> str:
    """The name datasette gives a database file (its stem)."""
    return Path(db_path).stem


def prepare(db_path: str | Path, say: Callable[[str], None] | None = None) -> Path:
    """Check the database is one of the project's, read-only (nothing is created or re-indexed: the
    write commands keep the index current, `pipeline index` rebuilds it); `say` gets what is amiss."""
    from pipeline.store.database import open_readonly

    path = Path(db_path)
    if not path.is_file():
        raise ConfigError(f"no database at {path}: import something first (pipeline demo, or pipeline import PATH --db {path})")
    conn, notes = open_readonly(path)
    conn.close()
    for note in notes:
        if say:
            say(f"warning: {note}")
    return path


def register_plugin() -> None:
    """Register the plugin with datasette's plugin manager, unless the entry point already did."""
    from datasette.plugins import pm

    from pipeline.serve import plugin as datasette_plugin

    if not pm.is_registered(datasette_plugin):
        pm.register(datasette_plugin, name="essay_pipeline")


def settings_from_pairs(pairs: list[tuple[str, str]] | tuple[tuple[str, str], ...]) -> dict[str, Any]:
    """datasette settings from ``--setting NAME VALUE`` pairs, typed as datasette types them; ConfigError when wrong."""
    from datasette.app import DEFAULT_SETTINGS as KNOWN

    out: dict[str, Any] = {}
    for name, value in pairs:
        if name not in KNOWN:
            raise ConfigError(f"--setting {name}: not a datasette setting (datasette --help-settings lists them)")
        default = KNOWN[name]
        if isinstance(default, bool):
            if value.lower() not in ("on", "off", "true", "false", "1", "0"):
                raise ConfigError(f"--setting {name}: should be on/off/true/false/1/0, not {value!r}")
            out[name] = value.lower() in ("on", "true", "1")
        elif isinstance(default, int):
            if not value.isdigit():
                raise ConfigError(f"--setting {name}: should be an integer, not {value!r}")
            out[name] = int(value)
        else:
            out[name] = value
    return out


def load_metadata(path: str | Path | None) -> dict[str, Any] | None:
    """A datasette metadata file (JSON or YAML), as ``datasette --metadata`` reads it; ConfigError when unreadable."""
    if path is None:
        return None
    from datasette.utils import BadMetadataError, parse_metadata

    try:
        data = parse_metadata(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, BadMetadataError) as exc:
        raise ConfigError(f"--metadata {path}: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"--metadata {path}: not a JSON or YAML object")
    return data


def make_datasette(db_path: str | Path, settings: dict[str, Any] | None = None, metadata: str | Path | None = None,
                   plugins_dir: str | Path | None = None, template_dir: str | Path | None = None,
                   say: Callable[[str], None] | None = None) -> Any:
    """A Datasette instance on the database with the project's plugin, and datasette's own options."""
    from datasette.app import Datasette

    path = prepare(db_path, say)
    for name, folder in (("--plugins-dir", plugins_dir), ("--template-dir", template_dir)):
        if folder is not None and not Path(folder).is_dir():
            raise ConfigError(f"{name} {folder}: no such folder")
    register_plugin()
    return Datasette([str(path)], metadata=load_metadata(metadata), settings={**DEFAULT_SETTINGS, **(settings or {})},
                     plugins_dir=str(plugins_dir) if plugins_dir else None, template_dir=str(template_dir) if template_dir else None)


def table_url(host: str, port: int, db_path: str | Path) -> str:
    return f"http://{host}:{port}/{database_name(db_path)}/essays"


def check_port(host: str, port: int) -> None:
    """Raise ConfigError when the address cannot be listened on (port taken, unknown host)."""
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        reason = str(exc.strerror or exc).split(" (while", 1)[0]
        raise ConfigError(f"cannot listen on {host}:{port}: {reason}; pass another --port") from None


def serve(db_path: str | Path, host: str = "127.0.0.1", port: int = 8001, open_browser: bool = False,
          say: Callable[[str], None] | None = None, **datasette_options: Any) -> None:
    """Run datasette (uvicorn) until interrupted; `say` gets the address once it is about to listen.
    `datasette_options` go to :func:`make_datasette` (settings, metadata, plugins_dir, template_dir)."""
    import uvicorn

    ds = make_datasette(db_path, say=say, **datasette_options)
    check_port(host, port)
    if say:
        say(f"serving {db_path} at {table_url(host, port, db_path)} (Ctrl-C stops)")
    if open_browser:
        webbrowser.open(table_url(host, port, db_path))
    # a long search (10,000 Chinese characters is a 90 kB URL) must reach datasette, not h11's 16 kB limit
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning", lifespan="on", workers=1,
                h11_max_incomplete_event_size=1 << 20)
