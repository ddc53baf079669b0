"""Crawling (layer 4): site configs -> a scheduled, polite, resumable walk over their URLs.

Takes validated site configs (`settings`: TOML -> frozen dataclasses) and a database, and keeps
the crawl's queue in the `frontier` table; `scheduler` runs the asyncio loop that claims URLs,
fetches them through `pipeline.fetch`, reads listing pages for links and hands every fetched
article to the page processor it is given (a `PageProcessor`: the crawl-run job supplies one that
extracts, normalizes and stores). Returns a `CrawlReport` of counts. It never imports the jobs.
"""
