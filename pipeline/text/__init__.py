"""Text helpers every stage shares (layer 0).

Takes bytes or strings and returns strings or small values: `encoding` turns raw bytes plus an
optional HTTP ``Content-Type`` into text and the codec used (BOM, header, ``<meta charset>``,
detection; GB2312/GBK read as GB18030); `clean` normalises a line or a list of paragraphs
(invisible characters, NBSP, full-width indents) and names the script (Hans/Hant); `counts` reads
the count a title claims (``（精选4篇）`` -> 4) and Chinese numerals; `urls` gives a URL its canonical
spelling (w3lib, plus the tracking parameters of ``rules/urls.toml``). Nothing here parses HTML or
touches the network or the database.
"""
