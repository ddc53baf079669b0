"""Jobs (layer 5): the stages wired to the edges.

`process` holds `process(text, url) -> Result`, the one pure path (extract, then normalize) that
every job takes, and `join_parts` for multi-page articles. The jobs take sources and a database
path and return run counters: `importer` (files, folders, URLs), `crawl_run` (the crawl run:
the page processor handed to `pipeline.crawl`, in this process or in worker processes),
`reprocess` (stored raw pages again), `demo_site` (the local demo server and its generated sites).
"""
