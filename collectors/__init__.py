"""The collectors: a Scrapy project whose generic spiders (one per source kind) read the sources defined
in ``sources.yaml`` and store documents and observations. Entry point: :func:`collectors.run.crawl`.

This package's import stays light (no Scrapy); it only makes sure no library fetches anything at run
time: tldextract (used by Scrapy's cookies middleware) would download the public suffix list on first use.
With an empty URL list it uses the snapshot bundled in its wheel.
"""

import os

os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
