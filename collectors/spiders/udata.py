"""udata portals (data.gouv.fr and the portals built on udata): a dataset's metadata from
``/api/1/datasets/{dataset}/``, its newest CSV or JSON resource (``type`` main, ``format``,
``last_modified``), whose file is read as the series kind reads a table.

The resource's identity (id, ``checksum.value``, ``last_modified``) is kept after a complete run, with the
source's HTTP validators: while it is the same, the file is not downloaded again. A resource without the
documented fields fails the source with the field named; a dataset the portal does not know, with the
portal's message.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from scrapy.http import Request, Response

from collectors.spiders.base import portal_error
from collectors.spiders.decidim import describe_validation
from collectors.spiders.series import SeriesSpider

_API_ERRORS = [400, 404, 410]


class _Checksum(BaseModel):
    type: str | None = None
    value: str


class UdataResource(BaseModel):
    """A resource as the udata API documents it (the fields this kind reads)."""

    model_config = ConfigDict(extra="ignore")

    id: str
    title: str | None = None
    type: str | None = None  # main, documentation, update, api, code, other
    format: str | None = None
    url: str
    checksum: _Checksum | None = None
    last_modified: datetime

    def identity(self) -> str:
        return f"{self.id}:{self.checksum.value if self.checksum else ''}"


def dataset_url(base: str, dataset: str) -> str:
    """
    >>> dataset_url("https://www.data.gouv.fr/", "nuitees-touristiques")
    'https://www.data.gouv.fr/api/1/datasets/nuitees-touristiques/'
    """
    return f"{base.rstrip('/')}/api/1/datasets/{dataset}/"


class UdataSpider(SeriesSpider):
    """One dataset: its metadata, then its newest table resource."""

    name = "udata"
    kind = "udata"

    async def start(self) -> AsyncIterator[Request]:
        yield Request(
            dataset_url(self.source.url, self.source.dataset),
            callback=self.read_page,
            errback=self.page_error,
            meta={"page": 1, "handle_httpstatus_list": [304, *_API_ERRORS]},
        )

    def parse_page(self, response: Response) -> Any:
        data = self.json_page(response)
        if data is None:
            return None
        if response.status in _API_ERRORS:
            message = data.get("message") if isinstance(data, dict) else data
            reason = portal_error(response.url, response.status, message)
            self.ledger.page_failed(response.url, reason, "api_error")
            return None
        resources = data.get("resources") if isinstance(data, dict) else None
        if not isinstance(resources, list):
            self.ledger.page_failed(
                response.url, f"{response.url} : le champ 'resources' n'est pas une liste", "schema_changed"
            )
            return None
        chosen = self._newest(resources, response.url)
        if chosen is None:
            return None
        state = f"udata:{self.source.dataset}"  # kept with the HTTP validators once a run completes
        stamp = chosen.last_modified.isoformat()
        if self.context.cached_validators(state) == (chosen.identity(), stamp):
            self.ledger.count("unchanged")
            return None
        self.context.validators[self.context.cache_key(state)] = (chosen.identity(), stamp, 200)
        fmt = (chosen.format or "").lower()
        return Request(
            response.urljoin(chosen.url),
            callback=self.read_resource,
            errback=self.page_error,
            cb_kwargs={"fmt": fmt},
            meta={"page": 2, "resource": chosen.id},
        )

    def read_resource(self, response: Response, fmt: str) -> Any:
        self.ledger.page_ok(response.url)
        self.ledger.count("resources_read")
        return self.read_table(response, fmt)

    def _newest(self, resources: list[Any], url: str) -> UdataResource | None:
        """The newest resource of a wanted format (and title), main resources first; problems counted."""
        wanted = self.source.formats
        candidates: list[UdataResource] = []
        for position, raw in enumerate(resources, 1):
            try:
                resource = UdataResource.model_validate(raw)
            except ValidationError as exc:
                self.ledger.reject(
                    f"{url} ressource {position}", describe_validation(exc)[:300], "schema_changed"
                )
                continue
            title = (self.source.resource_title or "").lower()
            if (resource.format or "").lower() in wanted and title in (resource.title or "").lower():
                candidates.append(resource)
        if not candidates:
            formats = sorted({str(r.get("format")) for r in resources if isinstance(r, dict)})
            self.ledger.page_failed(
                url,
                f"{url} : aucune ressource {' ou '.join(w.upper() for w in wanted)} (formats : {', '.join(formats) or 'aucun'})",
                "no_resource",
            )
            return None
        main = [r for r in candidates if r.type in (None, "main")] or candidates
        preference = {fmt: n for n, fmt in enumerate(wanted)}
        return max(main, key=lambda r: (r.last_modified, -preference[(r.format or "").lower()]))
