"""The platforms the demo territory publishes on, answering as their public APIs document it: a Decidim
GraphQL endpoint (proposals of participatory spaces, Relay cursors) and an OpenDataSoft portal (Explore
API v2.1 records, with ``limit``/``offset``/``where``/``order_by``, and the JSON export).

They are small emulators over in-memory data, used by the demo server and by the collectors' tests; they
check what a real instance would refuse (a field the schema does not have, a ``limit`` above 100, an
offset beyond 10 000) and answer with the platform's own error shapes.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

# ProposalType's fields in Decidim 0.27 (with CommentableInterface, CoauthorableInterface, Categorizable,
# Scopable); the emulator refuses any other, as graphql-ruby does.
DECIDIM_PROPOSAL_FIELDS = frozenset(
    "id title body address coordinates reference state answer answeredAt publishedAt participatoryTextLevel "
    "position official createdInMeeting meeting endorsements endorsementsCount voteCount amendments "
    "versions fingerprint attachments author authors authorsCount userAllowedToComment acceptsNewComments "
    "commentsHaveAlignment commentsHaveVotes comments totalCommentsCount hasComments category scope "
    "createdAt updatedAt withdrawnAt".split()
)
ODS_MAX_LIMIT = 100
ODS_MAX_WINDOW = 10_000


def cursor(offset: int) -> str:
    """graphql-ruby's connection cursor: the item's 1-based position, base64-encoded."""
    return base64.b64encode(str(offset).encode()).decode()


def _offset(after: str | None) -> int:
    if not after:
        return 0
    try:
        return int(base64.b64decode(after.encode()).decode())
    except (ValueError, UnicodeDecodeError):
        return -1


def _node_fields(query: str) -> list[str]:
    """The field names selected directly inside ``node { ... }`` of a query."""
    start = query.find("node {")
    if start < 0:
        return []
    depth, names, i = 0, [], start + len("node {")
    for match in re.finditer(r"[{}()]|\$?\w+", query[i:]):
        token = match.group()
        if token in "{(":
            depth += 1
        elif token in "})":
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and not token.startswith("$"):
            names.append(token)
    return names


@dataclass
class DecidimSpace:
    slug: str
    components: dict[str, list[dict[str, Any]]]  # proposals component id -> proposal nodes, in order


@dataclass
class DecidimApi:
    """``POST /api`` of a Decidim instance for the proposals query of ``collectors.spiders.decidim``.

    ``spaces`` maps (``participatoryProcess`` or ``assembly``, id) to a space; ``fields`` is the set of
    ProposalType fields the instance's schema has.
    """

    spaces: dict[tuple[str, str], DecidimSpace]
    fields: frozenset[str] = DECIDIM_PROPOSAL_FIELDS

    def answer(self, body: bytes) -> tuple[int, dict[str, Any]]:
        try:
            request = json.loads(body)
            query, variables = request["query"], request.get("variables") or {}
        except (ValueError, KeyError, TypeError):
            return 400, {"errors": [{"message": "No query string was present"}]}
        unknown = [name for name in _node_fields(query) if name not in self.fields]
        if unknown:
            message = f"Field '{unknown[0]}' doesn't exist on type 'Proposal'"
            return 200, {"errors": [{"message": message, "path": ["query Proposals"]}]}
        kind = "assembly" if re.search(r"\bassembly\(", query) else "participatoryProcess"
        space = self.spaces.get((kind, str(variables.get("space"))))
        if space is None:
            return 200, {"data": {"space": None}}
        first = int(variables.get("first") or 50)
        start = _offset(variables.get("after"))
        components = []
        for ident, nodes in space.components.items():
            page = nodes[start : start + first] if start >= 0 else []
            components.append(
                {
                    "id": ident,
                    "__typename": "Proposals",
                    "proposals": {
                        "pageInfo": {
                            "hasNextPage": start + first < len(nodes),
                            "endCursor": cursor(start + len(page)) if page else None,
                        },
                        "edges": [{"node": node} for node in page],
                    },
                }
            )
        components.append({"id": "999", "__typename": "Meetings"})  # other components are skipped
        return 200, {"data": {"space": {"slug": space.slug, "components": components}}}


def _ods_error(message: str) -> tuple[int, dict[str, Any]]:
    return 400, {"error_code": "InvalidRESTParameterError", "message": message}


@dataclass
class OdsPortal:
    """The Explore API v2.1 of an OpenDataSoft portal: ``/api/explore/v2.1/catalog/datasets/{id}/records``
    and ``/exports/json``, over datasets given as lists of records (dicts of field values)."""

    datasets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def answer(self, path: str, query: str) -> tuple[int, Any]:
        match = re.match(r"^/api/explore/v2\.1/catalog/datasets/([\w.-]+)/(records|exports/json)$", path)
        if not match:
            return 404, {"error_code": "NotFound", "message": f"Unknown endpoint {path}"}
        records = self.datasets.get(match.group(1))
        if records is None:
            return 404, {"error_code": "DatasetNotFound", "message": f"Unknown dataset: {match.group(1)}"}
        params = {k: v[-1] for k, v in parse_qs(query).items()}
        try:
            selected = self._select(records, params.get("where"), params.get("order_by"))
        except ValueError as exc:
            return _ods_error(str(exc))
        if match.group(2) == "exports/json":
            return 200, selected
        try:
            limit, offset = int(params.get("limit", 10)), int(params.get("offset", 0))
        except ValueError:
            return _ods_error("limit and offset must be integers")
        if not 0 <= limit <= ODS_MAX_LIMIT:
            return _ods_error(f"Invalid value for limit API parameter: {limit} (max {ODS_MAX_LIMIT})")
        if offset < 0 or offset + limit > ODS_MAX_WINDOW:
            return _ods_error(f"Invalid value for offset API parameter: offset + limit > {ODS_MAX_WINDOW}")
        return 200, {"total_count": len(selected), "results": selected[offset : offset + limit]}

    @staticmethod
    def _select(
        records: list[dict[str, Any]], where: str | None, order_by: str | None
    ) -> list[dict[str, Any]]:
        """The ODSQL this emulator understands: ``field >= date'YYYY-MM-DD'`` and ``field [asc|desc]``."""
        selected = list(records)
        if where:
            match = re.fullmatch(r"\s*(\w+)\s*>=\s*date'(\d{4}-\d{2}-\d{2})'\s*", where)
            if not match:
                raise ValueError(f"ODSQL query is malformed: {where}")
            name, bound = match.group(1), date.fromisoformat(match.group(2))
            if selected and name not in selected[0]:
                raise ValueError(f"Unknown field: {name}")
            selected = [r for r in selected if str(r.get(name) or "") >= bound.isoformat()]
        if order_by:
            name, _, direction = order_by.strip().partition(" ")
            if selected and name not in selected[0]:
                raise ValueError(f"Unknown field: {name}")
            selected.sort(key=lambda r: str(r.get(name) or ""), reverse=direction.lower() == "desc")
        return selected


@dataclass
class UdataPortal:
    """The udata API (data.gouv.fr) for a dataset's metadata: ``GET /api/1/datasets/{id or slug}/``, the
    dataset with its ``resources`` (id, title, type, format, url, checksum {type, value}, filesize, mime,
    created_at, last_modified)."""

    datasets: dict[str, dict[str, Any]] = field(default_factory=dict)

    def answer(self, path: str, query: str) -> tuple[int, Any]:
        match = re.match(r"^/api/1/datasets/([\w.-]+)/?$", path)
        dataset = self.datasets.get(match.group(1)) if match else None
        if dataset is None:
            return 404, {"message": "Not Found", "status": 404}
        return 200, dataset


# --- the demo site's platforms, as files under ``<root>/_platforms/`` ------------------------------------

PLATFORMS_DIR = "_platforms"


def save_decidim(root: Path, prefix: str, spaces: dict[tuple[str, str], DecidimSpace]) -> None:
    """Write a Decidim instance's data, served at ``POST /<prefix>/api`` by :func:`mounted`."""
    data = [
        {"type": kind, "id": ident, "slug": s.slug, "components": s.components}
        for (kind, ident), s in spaces.items()
    ]
    path = root / PLATFORMS_DIR / f"{prefix}.decidim.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def save_ods(root: Path, prefix: str, dataset: str, records: list[dict[str, Any]]) -> None:
    """Write a dataset of an OpenDataSoft portal, served under ``/<prefix>/api/explore/v2.1/`` by :func:`mounted`."""
    path = root / PLATFORMS_DIR / f"{prefix}.ods" / f"{dataset}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")


def mounted(root: Path) -> dict[str, DecidimApi | OdsPortal]:
    """The platforms a demo site holds, by URL prefix."""
    folder = root / PLATFORMS_DIR
    apis: dict[str, DecidimApi | OdsPortal] = {}
    for path in sorted(folder.glob("*.decidim.json")):
        spaces = {
            (s["type"], s["id"]): DecidimSpace(s["slug"], s["components"])
            for s in json.loads(path.read_text(encoding="utf-8"))
        }
        apis[path.name.removesuffix(".decidim.json")] = DecidimApi(spaces)
    for portal in sorted(folder.glob("*.ods")):
        datasets = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(portal.glob("*.json"))}
        apis[portal.name.removesuffix(".ods")] = OdsPortal(datasets)
    return apis


def route(
    apis: dict[str, DecidimApi | OdsPortal], method: str, path: str, body: bytes
) -> tuple[int, Any] | None:
    """The answer of the mounted platform a request is for (None: not a platform's URL).

    ``POST /<prefix>/api`` goes to a Decidim instance; ``GET /<prefix>/api/explore/...`` to a portal.
    """
    prefix, _, rest = path.lstrip("/").partition("/")
    api = apis.get(prefix)
    rest, _, query = ("/" + rest).partition("?")
    if isinstance(api, DecidimApi) and method == "POST" and rest.rstrip("/") == "/api":
        return api.answer(body)
    if isinstance(api, OdsPortal) and method == "GET" and rest.startswith("/api/explore/"):
        return api.answer(rest, query)
    return None
