"""The generic spiders, one per source kind: rss, listing, consultation, series."""
