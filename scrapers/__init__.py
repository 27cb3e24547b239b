"""ERP Watch policy watcher: fetch vendors' policy pages, extract their text, record real changes.

Modules, one job each:
  http      the only way out to the network (user agent, timeouts, retries, size cap, redirects, robots)
  netguard  which addresses may be contacted; connections pinned to the checked address
  robots    robots.txt parsing (RFC 9309)
  decode    bytes + declared charsets -> str
  extract   HTML -> Markdown-like text (pure: html, select, remove)
  normalise whitespace/Unicode rules, comparison key, word counts
  classify  pages that are not the document (bot challenges, login or home redirects)
  diff      word-level diff
  store     the snapshots/ folder: read API for the site, atomic writes, lock, recovery
  browser   headless Chromium rendering for `render: browser` documents
  pipeline  one document: fetch -> decode -> extract -> compare -> record
  targets   which documents to watch, from vendors/*.yaml
  watch     the `python -m scrapers.watch` command
  check     the `python -m scrapers.check` command for contributors
"""

__version__ = "0.1.0"
