"""What analysts do with source definitions beyond the sources file itself: list the kinds with their
options (``signals sources kinds``), parse and validate one definition written in YAML, and save it into
the sources file keeping the previous version (the console's source editor)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from signals.core.sources import (
    SOURCE_MODELS,
    SourceDef,
    SourceError,
    SourcesFile,
    _describe,
    _SourceBase,
)


def describe_kinds() -> list[dict[str, Any]]:
    """Every source kind with its documentation and its own options (the options every kind shares are
    listed under ``common``): name, type, default (None when required), required, description.

    >>> kinds = {k["kind"]: k for k in describe_kinds()}
    >>> [o["name"] for o in kinds["decidim"]["options"] if o["required"]]
    ['space_id']
    """

    def options(fields: dict[str, Any]) -> list[dict[str, Any]]:
        rows = []
        for name, info in fields.items():
            if name == "kind":
                continue
            default = None if info.is_required() else info.get_default(call_default_factory=True)
            rows.append(
                {
                    "name": name,
                    "type": getattr(info.annotation, "__name__", None)
                    or str(info.annotation).replace("typing.", ""),
                    "default": default,
                    "required": info.is_required(),
                    "description": info.description or "",
                }
            )
        return rows

    common = set(_SourceBase.model_fields)
    described = [
        {
            "kind": "common",
            "summary": "options of every kind",
            "options": options({n: f for n, f in _SourceBase.model_fields.items()}),
        }
    ]
    for kind, model in SOURCE_MODELS.items():
        own = {n: f for n, f in model.model_fields.items() if n not in common}
        summary = " ".join((model.__doc__ or "").split())
        described.append({"kind": kind, "summary": summary, "options": options(own)})
    return described


def parse_definition(text: str) -> SourceDef:
    """One source definition written in YAML (as one entry of ``sources:``), validated; errors name the
    field and the reason."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SourceError(f"YAML invalide : {exc}".splitlines()[0]) from None
    if not isinstance(raw, dict):
        raise SourceError("une source se définit par un dictionnaire (name: ..., kind: ..., url: ...)")
    try:
        return SourcesFile.model_validate({"sources": [raw]}).sources[0]
    except ValidationError as exc:
        raise SourceError(_describe(exc, {"sources": [raw]})) from None


def definition_yaml(source: SourceDef) -> str:
    """A definition as an analyst writes it (only what differs from the defaults)."""
    data = source.model_dump(mode="json", exclude_defaults=True)
    data = {"name": data.pop("name"), "kind": source.kind, "url": data.pop("url")} | data
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def save_definition(path: Path, source: SourceDef, replaces: str | None = None) -> Path | None:
    """Write ``source`` into the sources file, in place of the source named ``replaces`` (or of its own
    name), else at the end; the whole file is validated first, the previous version is kept beside it
    (``sources.yaml.<UTC time>.bak``, returned) and the new one replaces it atomically."""
    from signals.core import clock

    raw = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else {}
    raw = raw or {}
    entries = list(raw.get("sources") or [])
    entry = yaml.safe_load(definition_yaml(source))
    names = [e.get("name") if isinstance(e, dict) else None for e in entries]
    target = replaces if replaces in names else source.name
    if target in names:
        entries[names.index(target)] = entry
    else:
        entries.append(entry)
    raw["sources"] = entries
    try:
        parsed = SourcesFile.model_validate(raw)
    except ValidationError as exc:
        raise SourceError(f"fichier des sources {path} : {_describe(exc, raw)}") from None
    all_names = [s.name for s in parsed.sources]
    if len(set(all_names)) != len(all_names):
        raise SourceError(f"une source nommée {source.name!r} existe déjà")
    backup = None
    if path.is_file():
        backup = path.with_name(f"{path.name}.{clock.now():%Y%m%dT%H%M%S%fZ}.bak")
        backup.write_bytes(path.read_bytes())
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    temporary.replace(path)
    return backup
