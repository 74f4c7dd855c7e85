"""Pydantic's validation errors said in French: each error's ``type`` becomes a French sentence, and
:func:`describe_errors` names the field it is about (pydantic's own ``msg`` is English).

Used wherever a validation error reaches a reader: the sources file and the console's source editor
(``signals.core.sources``), the settings (``signals`` command), the nodes of an API a collector reads.

>>> from pydantic import BaseModel, Field, ValidationError
>>> class Source(BaseModel):
...     name: str
...     page_size: int = Field(10, ge=1)
>>> try:
...     Source.model_validate({"page_size": "beaucoup"})
... except ValidationError as exc:
...     describe_errors(exc)
"name : champ obligatoire manquant ; page_size : nombre entier attendu, pas 'beaucoup'"
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

_INTEGER = "nombre entier attendu, pas {input!r}"
_NUMBER = "nombre attendu, pas {input!r}"
_BOOLEAN = "booléen attendu (true ou false), pas {input!r}"
_DATE = "date attendue (par exemple 2025-03-14), pas {input!r}"
_DATETIME = "date et heure attendues (par exemple 2025-03-14T10:00:00+01:00), pas {input!r}"
_MAPPING = "dictionnaire attendu (champ: valeur)"
_URL = "adresse web attendue (http:// ou https://), pas {input!r}"

# pydantic's error type -> French sentence (a ``str.format`` pattern over the error's ``ctx`` and ``input``)
MESSAGES: dict[str, str] = {
    "missing": "champ obligatoire manquant",
    "extra_forbidden": "champ inconnu",
    "string_type": "texte attendu",
    "string_too_short": "trop court (longueur minimale : {min_length})",
    "string_too_long": "trop long (longueur maximale : {max_length})",
    "string_pattern_mismatch": "ne suit pas le motif {pattern}",
    "int_type": _INTEGER,
    "int_parsing": _INTEGER,
    "int_from_float": "nombre entier attendu (sans décimales), pas {input!r}",
    "float_type": _NUMBER,
    "float_parsing": _NUMBER,
    "finite_number": "nombre fini attendu",
    "bool_type": _BOOLEAN,
    "bool_parsing": _BOOLEAN,
    "greater_than": "doit être supérieur à {gt}",
    "greater_than_equal": "doit être supérieur ou égal à {ge}",
    "less_than": "doit être inférieur à {lt}",
    "less_than_equal": "doit être inférieur ou égal à {le}",
    "multiple_of": "doit être un multiple de {multiple_of}",
    "list_type": "liste attendue",
    "tuple_type": "liste attendue",
    "set_type": "liste attendue",
    "too_short": "trop peu d'éléments (au moins {min_length})",
    "too_long": "trop d'éléments (au plus {max_length})",
    "dict_type": _MAPPING,
    "model_type": _MAPPING,
    "model_attributes_type": _MAPPING,
    "literal_error": "valeur {input!r} non admise : attendu {expected}",
    "enum": "valeur {input!r} non admise : attendu {expected}",
    "date_type": _DATE,
    "date_parsing": _DATE,
    "date_from_datetime_parsing": _DATE,
    "date_from_datetime_inexact": _DATE,
    "datetime_type": _DATETIME,
    "datetime_parsing": _DATETIME,
    "datetime_from_date_parsing": _DATETIME,
    "timezone_aware": "date et heure avec fuseau horaire attendues",
    "url_type": _URL,
    "url_parsing": _URL,
    "url_scheme": "adresse web attendue ({expected_schemes}), pas {input!r}",
    "json_invalid": "JSON invalide : {error}",
    "union_tag_invalid": "{discriminator} {tag!r} inconnu : attendu {expected_tags}",
    "union_tag_not_found": "{discriminator} manquant",
    "value_error": "{error}",
    "assertion_error": "{error}",
    "none_required": "doit être vide",
    "frozen_field": "ne peut pas être modifié",
    "frozen_instance": "ne peut pas être modifié",
}


def french_message(error: ErrorDetails | dict[str, Any]) -> str:
    """The French sentence of one pydantic error (without the field); an unknown type keeps pydantic's
    message after a French lead-in.

    >>> french_message({"type": "literal_error", "loc": ("kind",), "msg": "", "input": "flux",
    ...                 "ctx": {"expected": "'rss' or 'listing'"}})
    "valeur 'flux' non admise : attendu 'rss' ou 'listing'"
    >>> french_message({"type": "weird_error", "loc": (), "msg": "Input is weird", "input": 1})
    'valeur invalide : Input is weird'
    """
    pattern = MESSAGES.get(str(error.get("type")))
    if pattern is None:
        return f"valeur invalide : {error.get('msg', '')}"
    values = {key: _french(value) for key, value in (error.get("ctx") or {}).items()}
    values["input"] = _shown(error.get("input"))
    try:
        return pattern.format_map(values)
    except (KeyError, IndexError, ValueError):  # a context this pattern does not expect
        return f"valeur invalide : {error.get('msg', '')}"


def describe_errors(
    exc: ValidationError,
    where: Callable[[Sequence[int | str]], str] | None = None,
    limit: int | None = None,
) -> str:
    """The errors of ``exc`` on one line, each as ``field : sentence`` (``where(loc)`` names the field;
    default: its dotted path), separated by " ; "; the first ``limit`` only, when given."""
    name = where or field_path
    errors = exc.errors()[:limit] if limit else exc.errors()
    return " ; ".join(f"{name(error['loc'])} : {french_message(error)}" for error in errors)


def field_path(loc: Sequence[int | str]) -> str:
    """A field's dotted path, as the files write it: ``sources.0.url``."""
    return ".".join(str(part) for part in loc) or "(document)"


def _french(value: Any) -> Any:
    """A context value in French: pydantic lists alternatives with an English " or "."""
    if isinstance(value, str):
        return value.replace(" or ", " ou ")
    if isinstance(value, Exception):
        return str(value)
    return value


class _Word(str):
    """A kind of value shown as a plain word (``{input!r}`` of a dictionary says "un dictionnaire")."""

    def __repr__(self) -> str:
        return str(self)


def _shown(value: Any) -> Any:
    """The refused input as the sentence shows it: a short scalar as is, else what kind of value it is."""
    if isinstance(value, str):
        return value if len(value) <= 60 else value[:60] + "…"
    if value is None or isinstance(value, int | float | bool):
        return value
    return _Word(
        {"dict": "un dictionnaire", "list": "une liste"}.get(type(value).__name__, "une valeur composée")
    )
