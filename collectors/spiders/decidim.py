"""Decidim platforms through their GraphQL API (``POST /api``): the proposals of a participatory process or
an assembly become documents (title, body, publication date, scope as the commune, category, state, votes,
comments, number of authors, never their names); monthly totals become observations.

The query follows Decidim's schema: ``participatoryProcess(id:)`` / ``assembly(id:)`` → ``components`` →
``... on Proposals { proposals(first:, after:) }``, a Relay connection paged with
``pageInfo { hasNextPage endCursor }``; translated fields are read with ``translation(locale:)``, falling
back to the first of ``translations``. Every page is read at each run (votes and comments change on old
proposals); a proposal already stored has its figures refreshed.

A cursor that comes back twice, a next page announced without a cursor, or paging beyond ``max_pages`` stops
that component's paging with a reason; a GraphQL error naming a field (an instance on another version of
the schema) fails the page with that field named.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from scrapy.http import JsonRequest, Request, Response

from collectors.enrich import html_to_text
from collectors.items import DocumentItem
from collectors.spiders.base import SourceSpider
from collectors.spiders.proposals import ProposalSeries
from signals.core.validation import describe_errors, field_path

_TRANSLATED = "{ translation(locale: $locale) translations { locale text } }"
PROPOSAL_FIELDS = (
    "id",
    f"title {_TRANSLATED}",
    f"body {_TRANSLATED}",
    "publishedAt",
    "state",
    "voteCount",
    "totalCommentsCount",
    "authorsCount",
    f"category {{ name {_TRANSLATED} }}",
    f"scope {{ name {_TRANSLATED} }}",
)
_SPACE_FIELD = {"participatory_process": "participatoryProcess", "assembly": "assembly"}
_SPACE_PATH = {"participatory_process": "processes", "assembly": "assemblies"}
_NO_SPACE = {"participatory_process": "aucun processus participatif", "assembly": "aucune assemblée"}
_FIELD_IN_ERROR = re.compile(r"[Ff]ield '(\w+)' doesn't exist on type '(\w+)'")
MAX_EDGES_FACTOR = 2  # a page with more than twice the asked number of proposals is cut there


def proposals_query(space: str) -> str:
    """The GraphQL query of one page of proposals of a participatory space's proposals components.

    >>> q = proposals_query("assembly")
    >>> "assembly(id: $space)" in q and "pageInfo { hasNextPage endCursor }" in q
    True
    """
    node = " ".join(PROPOSAL_FIELDS)
    return (
        "query Proposals($space: ID!, $first: Int!, $after: String, $locale: String!) { "
        f"space: {_SPACE_FIELD[space]}(id: $space) {{ slug components {{ id __typename "
        "... on Proposals { proposals(first: $first, after: $after) { "
        f"pageInfo {{ hasNextPage endCursor }} edges {{ node {{ {node} }} }} }} }} }} }} }}"
    )


class _Translation(BaseModel):
    locale: str | None = None
    text: str | None = None


class Translated(BaseModel):
    """A Decidim ``TranslatedField``: the text in the asked locale, else the first translation."""

    translation: str | None = None
    translations: list[_Translation] = Field(default_factory=list)

    def text(self) -> str:
        if self.translation:
            return self.translation
        return next((t.text for t in self.translations if t.text), "")


class _Named(BaseModel):
    name: Translated | None = None


class DecidimProposal(BaseModel):
    """One proposal node as the schema types it (``ProposalType``); a node of other types is refused."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(coerce_numbers_to_str=True)
    title: Translated | None = None
    body: Translated | None = None
    publishedAt: datetime | None = None  # noqa: N815 - the schema's name
    state: str | None = None
    voteCount: int | None = Field(None, ge=0)  # noqa: N815 - null when the component hides votes
    totalCommentsCount: int | None = Field(None, ge=0)  # noqa: N815
    authorsCount: int | None = Field(None, ge=0)  # noqa: N815
    category: _Named | None = None
    scope: _Named | None = None


def describe_validation(exc: ValidationError) -> str:
    """The first problems of a node, in French, each naming its field.

    >>> try:
    ...     DecidimProposal.model_validate({"id": 1, "voteCount": "many"})
    ... except ValidationError as exc:
    ...     describe_validation(exc)
    "champ 'voteCount' : nombre entier attendu, pas 'many'"
    """
    return describe_errors(exc, lambda loc: f"champ '{field_path(loc)}'", limit=3)


def graphql_error(errors: Any) -> tuple[str, str]:
    """(reject code, reason) of a GraphQL ``errors`` list; a field unknown to the schema is named.

    >>> graphql_error([{"message": "Field 'voteCount' doesn't exist on type 'Proposal'"}])[0]
    'schema_changed'
    """
    messages = [str(e.get("message", e))[:200] if isinstance(e, dict) else str(e)[:200] for e in errors]
    joined = "; ".join(messages[:3]) or "erreur non précisée"
    unknown = _FIELD_IN_ERROR.search(joined)
    if unknown:
        field, type_ = unknown.groups()
        return (
            "schema_changed",
            f"l'API n'a pas de champ '{field}' sur le type '{type_}' (une autre version de Decidim ?) : {joined}",
        )
    return "graphql_error", f"erreur GraphQL : {joined}"


class DecidimSpider(ProposalSeries, SourceSpider):
    """One participatory space's proposals, every proposals component paged with its own cursor."""

    name = "decidim"
    kind = "decidim"

    async def start(self) -> AsyncIterator[Request]:
        yield self.query_request(None, None, page=1)

    def query_request(self, component: str | None, after: str | None, page: int) -> Request:
        source = self.source
        variables = {"space": source.space_id, "first": source.page_size, "locale": source.locale}
        if after is not None:
            variables["after"] = after
        return JsonRequest(
            source.url,
            data={"query": proposals_query(source.space), "variables": variables},
            callback=self.read_page,
            errback=self.page_error,
            dont_filter=True,  # the same URL and body shape, page after page
            meta={"page": page, "component": component, "cursors": (), "handle_httpstatus_list": [304]},
        )

    def parse_page(self, response: Response) -> Any:
        data = self.json_page(response)
        if data is None:
            return
        if not isinstance(data, dict):
            self.ledger.page_failed(
                response.url, f"{response.url} : la réponse n'est pas une réponse GraphQL", "unexpected_json"
            )
            return
        if data.get("errors"):
            code, reason = graphql_error(data["errors"])
            self.ledger.page_failed(response.url, f"{response.url} : {reason}"[:400], code)
            return
        space = (data.get("data") or {}).get("space") if isinstance(data.get("data"), dict) else None
        if not isinstance(space, dict):
            none = _NO_SPACE[self.source.space]
            self.ledger.page_failed(
                response.url,
                f"{response.url} : {none} d'identifiant {self.source.space_id!r} (ou pas public)",
                "not_found",
            )
            return
        components = space.get("components")
        if not isinstance(components, list):
            self.ledger.page_failed(
                response.url, f"{response.url} : le champ 'components' n'est pas une liste", "unexpected_json"
            )
            return
        wanted = response.meta.get("component") or self.source.component_id
        found = False
        for component in components:
            if not isinstance(component, dict) or "proposals" not in component:
                continue  # another component type (meetings, budgets...)
            ident = str(component.get("id"))
            if wanted is not None and ident != str(wanted):
                continue
            found = True
            yield from self._component(response, space, ident, component["proposals"])
        if not found and response.meta["page"] == 1:
            which = f"pas de composant {wanted}" if wanted else "aucun composant de propositions"
            self.ledger.page_failed(response.url, f"{response.url} : l'espace n'a {which}", "no_proposals")

    def _component(self, response: Response, space: dict[str, Any], ident: str, connection: Any) -> Any:
        where = f"{response.url} composant {ident} page {response.meta['page']}"
        if not isinstance(connection, dict) or not isinstance(connection.get("edges"), list):
            self.ledger.reject(where, "le champ 'proposals.edges' n'est pas une liste", "unexpected_json")
            return
        edges = connection["edges"]
        limit = self.source.page_size * MAX_EDGES_FACTOR
        if len(edges) > limit:
            self.ledger.reject(
                where,
                f"{len(edges)} propositions sur une page demandée pour {self.source.page_size} : coupée à {limit}",
                "page_oversized",
            )
            edges = edges[:limit]
        for position, edge in enumerate(edges, 1):
            item = self._item(edge, space, ident, f"{where} proposition {position}")
            if item is not None:
                yield item
        request = self._next(response, ident, connection.get("pageInfo"), where)
        if request is not None:
            yield request

    def _next(self, response: Response, ident: str, info: Any, where: str) -> Request | None:
        if not isinstance(info, dict) or not info.get("hasNextPage"):
            return None
        cursor = info.get("endCursor")
        seen: tuple[str, ...] = response.meta.get("cursors", ())
        if not isinstance(cursor, str) or not cursor:
            self.ledger.reject(where, "hasNextPage sans endCursor : la pagination s'arrête ici", "bad_cursor")
            return None
        if cursor in seen:
            self.ledger.reject(
                where, f"le curseur {cursor[:40]!r} revient : la pagination s'arrête ici", "cursor_loop"
            )
            return None
        page = int(response.meta["page"])
        if not self.may_follow(page):
            if not self.ledger.full:
                self.ledger.reject(
                    where,
                    f"encore des pages après max_pages ({page}) : la pagination s'arrête ici",
                    "max_pages",
                )
            return None
        request = self.query_request(ident, cursor, page + 1)
        request.meta["cursors"] = (*seen[-50:], cursor)
        return request

    def _item(self, edge: Any, space: dict[str, Any], component: str, where: str) -> DocumentItem | None:
        node = edge.get("node") if isinstance(edge, dict) else None
        if not isinstance(node, dict):
            self.ledger.reject(where, "edge sans nœud de proposition", "malformed_record")
            return None
        try:
            proposal = DecidimProposal.model_validate(node)
        except ValidationError as exc:
            self.ledger.reject(where, describe_validation(exc)[:300], "malformed_record")
            return None
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(self.source.url))
        slug = space.get("slug")
        url = (
            f"{origin}/{_SPACE_PATH[self.source.space]}/{slug}/f/{component}/proposals/{proposal.id}"
            if isinstance(slug, str) and slug
            else None
        )
        scope = proposal.scope.name.text() if proposal.scope and proposal.scope.name else None
        category = proposal.category.name.text() if proposal.category and proposal.category.name else None
        extra: dict[str, Any] = {
            "kind": "proposal",
            "authors": proposal.authorsCount or 0,
            "votes": proposal.voteCount,
            "comments": proposal.totalCommentsCount,
            "state": proposal.state,
        }
        if category:
            extra["category"] = category
        if scope:
            extra["scope"] = scope
        published = proposal.publishedAt
        return DocumentItem(
            source=self.source.name,
            url=url,
            title=html_to_text(proposal.title.text() if proposal.title else ""),
            text=html_to_text(proposal.body.text() if proposal.body else ""),
            published_at=published.astimezone(self.context.crawl.tz)
            if published and published.tzinfo
            else None,
            date_text=published.isoformat() if published and not published.tzinfo else None,
            territory_hint=scope,
            external_id=f"{component}/{proposal.id}",
            extra=extra,
            refresh=True,
        )
