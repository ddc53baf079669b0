"""Serving (layer 4): the SQLite database -> datasette.

Takes a database written by the store and returns a configured datasette: `launcher` generates
the metadata (table and column descriptions, facets, sort orders, canned queries) and runs
uvicorn behind `pipeline serve`; `plugin` is the datasette plugin (Chinese search through the
search box, year / month / duplicate facets).
"""
