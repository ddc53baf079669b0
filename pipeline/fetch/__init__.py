"""Fetching (layer 3): URL -> raw bytes with headers, politely.

Takes a URL (and the validators of an earlier fetch) and returns the response's bytes, final URL,
status and headers, or a typed failure (`Retry`, `Skip`, `Failed`, `FetchError`). `sync_client`
serves one-off imports (an `httpx.Client`), `async_client` the crawl (one shared
`httpx.AsyncClient`, size caps, redirects bounded to the allowed hosts, conditional requests),
`polite` the per-host pacing, robots.txt (protego) and backoff, `decoding` the content codings
undone under the size cap. Every request has a deadline. It decodes with `pipeline.text`,
never extracts and never writes to the database.
"""
