"""``signals import PATH``: documents from JSON Lines, observations from CSV. Idempotent, line by line.

Documents (``.jsonl``, ``.ndjson``, ``.json``; optionally gzipped): one JSON object a line with ``title``,
``text``, ``published_at`` (ISO 8601), ``source``, and optional ``url``, ``id``, ``commune``, ``lang``.
Observations (``.csv``): columns ``series,period,value,unit,territory`` (``,`` or ``;`` separated, decimal
point or comma; periods ``2025-03``, ``2025-03-01``, ``2025-W10``, ``2025Q1`` or ``2025``).

A bad line is rejected with its number and the reason (in French; its code, the run record's key, stays
the same: ``invalid JSON``, ``bad date``...); the valid lines are imported all the same.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from signals.core import clock
from signals.core.errors import UserError
from signals.core.parsing import parse_number, parse_period
from signals.core.settings import Settings
from signals.core.store import NewDocument, NewObservation, RunRecorder, Store

BATCH = 1000  # lines per transaction: a crash loses at most the current batch, which a re-run restores
OBSERVATION_COLUMNS = ("series", "period", "value", "unit", "territory")


class ImportFileError(UserError):
    """The file as a whole cannot be imported (missing, unknown format, wrong header)."""


class LineError(ValueError):
    """One line refused: ``code`` counts it in the run record, the message says why, in French.

    >>> error = LineError("bad value", "valeur incorrecte : 'x' n'est pas un nombre")
    >>> error.code, str(error)
    ('bad value', "valeur incorrecte : 'x' n'est pas un nombre")
    """

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code


@dataclass
class ImportReport:
    path: str
    kind: str  # documents | observations
    lines: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    rejected: list[tuple[int, str]] = field(default_factory=list)

    @property
    def imported(self) -> int:
        """Lines that were stored or already there (new, duplicates, updated, unchanged)."""
        return self.lines - len(self.rejected)


def import_file(store: Store, settings: Settings, path: Path, encoding: str = "utf-8") -> ImportReport:
    """Import one file, recording the run; see the module docstring for the formats."""
    if not path.is_file():
        raise ImportFileError(f"{path} : fichier introuvable")
    name = path.name.lower().removesuffix(".gz")
    if name.endswith((".jsonl", ".ndjson", ".json")):
        kind, importer = "documents", _import_documents
    elif name.endswith(".csv"):
        kind, importer = "observations", _import_observations
    else:
        raise ImportFileError(
            f"{path} : format inconnu ; attendu : .jsonl (documents) ou .csv (observations)"
        )
    report = ImportReport(str(path), kind)
    with store.recording("import", target=str(path)) as run:
        importer(store, settings, _lines(path, encoding), report, run)
        for outcome, n in report.outcomes.items():
            run.count(outcome, n)
        run.count("lines", report.lines)
    return report


def _lines(path: Path, encoding: str) -> Iterator[tuple[int, str | None, LineError | None]]:
    """(line number, decoded text or None, why not) — each line decoded on its own, so one bad byte
    costs one line. Lines end with ``\\n``, ``\\r\\n`` or a lone ``\\r`` (old Mac files, some spreadsheet
    exports): universal newlines, as Python's text files read them."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    number = 0
    with opener(path, "rb") as raw:
        try:
            if raw.peek(3)[:3] == codecs.BOM_UTF8:  # a UTF-8 mark, whatever encoding was asked for
                raw.read(3)
            handle = io.TextIOWrapper(raw, encoding=encoding, errors="surrogateescape", newline=None)
            for number, line in enumerate(handle, start=1):
                text = line.rstrip("\n")
                bad = _UNDECODED.search(text)
                if bad is None:
                    yield number, text, None
                    continue
                hint = (
                    " (si le fichier est en Latin-1/Windows-1252, passer --encoding cp1252)"
                    if codecs.lookup(encoding).name == "utf-8"
                    else ""
                )
                byte = ord(bad.group()) - 0xDC00
                yield (
                    number,
                    None,
                    LineError(
                        f"not valid {encoding}"[:40],
                        f"texte {encoding} invalide : octet 0x{byte:02x} en colonne {bad.start() + 1}{hint}",
                    ),
                )
        except (OSError, EOFError, zlib.error) as exc:  # a truncated or corrupt gzip file
            raise ImportFileError(f"{path} : illisible après la ligne {number} ({exc})") from None


_UNDECODED = re.compile("[\udc80-\udcff]")  # bytes the codec could not decode (surrogateescape)


def _batched_import(
    store: Store, report: ImportReport, run: RunRecorder, items: Iterator[tuple[int, Any]], write: Any
) -> None:
    """Write parsed items in batches; a line that fails to write is rejected, the batch goes on."""
    pending: list[tuple[int, Any]] = []

    def flush() -> None:
        with store.session() as session:
            for number, item in pending:
                try:
                    with session.begin_nested():
                        outcome = write(session, item)
                except Exception as exc:  # a constraint or a value the database refuses: this line only
                    reason = f"non enregistrée : {exc.__class__.__name__}: {str(exc)[:200]}"
                    _reject(report, run, number, LineError("not stored", reason))
                    continue
                report.outcomes[outcome] = report.outcomes.get(outcome, 0) + 1
        pending.clear()

    for number, item in items:
        pending.append((number, item))
        if len(pending) >= BATCH:
            flush()
    flush()


def _records(
    lines: Iterator[tuple[int, str | None, LineError | None]], report: ImportReport, run: RunRecorder
) -> Iterator[tuple[int, str]]:
    """The non-blank lines as text, counted; an undecodable line is rejected with its reason."""
    for number, text, problem in lines:
        if text is None:
            report.lines += 1
            _reject(report, run, number, problem or LineError("undecodable", "ligne illisible"))
        elif text.strip():  # blank lines are not records
            report.lines += 1
            yield number, text


def _reject(report: ImportReport, run: RunRecorder, number: int, problem: ValueError) -> None:
    """A line refused: its French reason in the report and the run record, counted by its code (a
    ``LineError``'s, else the first words of the message)."""
    reason = str(problem)
    code = problem.code if isinstance(problem, LineError) else reason.split(":")[0].split(" (")[0][:40]
    report.rejected.append((number, reason))
    run.reject(f"{Path(report.path).name}:{number}", reason, code=code)


# --- documents ------------------------------------------------------------------------------------------


def _import_documents(
    store: Store,
    settings: Settings,
    lines: Iterator[tuple[int, str | None, LineError | None]],
    report: ImportReport,
    run: RunRecorder,
) -> None:
    from signals.core.privacy import redact

    def parsed() -> Iterator[tuple[int, NewDocument]]:
        for number, text in _records(lines, report, run):
            try:
                doc = parse_document(text, settings)
            except ValueError as exc:
                _reject(report, run, number, exc)
                continue
            doc.title, _ = redact(doc.title)
            doc.text, hidden = redact(doc.text)
            if hidden:
                run.count("redacted", hidden)
            yield number, doc

    _batched_import(store, report, run, parsed(), lambda session, doc: store.add_document(session, doc)[1])


def parse_document(line: str, settings: Settings) -> NewDocument:
    """One JSON line -> NewDocument; ``LineError`` with its code and a one-line reason otherwise.

    >>> try:
    ...     parse_document('{"title": "Budget"', None)
    ... except LineError as exc:
    ...     exc.code, str(exc)
    ('invalid JSON', "JSON invalide : Expecting ',' delimiter en colonne 19")
    """
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise LineError("invalid JSON", f"JSON invalide : {exc.msg} en colonne {exc.colno}") from None
    if not isinstance(data, dict):
        raise LineError(
            "invalid record", f"enregistrement invalide : objet JSON attendu, pas {type(data).__name__}"
        )
    missing = [k for k in ("title", "text", "published_at", "source") if k not in data]
    if missing:
        raise LineError("missing field", f"champ manquant : {', '.join(missing)}")
    for key in ("title", "text", "source", "published_at"):
        if not isinstance(data[key], str):
            raise _not_text(key)
    if not data["source"].strip():
        raise LineError("invalid field", "champ invalide : source est vide")
    if not (data["title"].strip() or data["text"].strip()):
        raise LineError("empty document", "document vide : title et text sont vides tous les deux")
    published = parse_datetime(data["published_at"], settings)
    optional = {k: data.get(k) for k in ("url", "id", "commune", "lang")}
    for key, value in optional.items():
        if value is not None and not isinstance(value, (str, int)):
            raise _not_text(key)
    url = optional["url"]
    if url is not None and not str(url).startswith(("http://", "https://")):
        raise LineError("invalid field", f"champ invalide : url {str(url)[:80]!r} n'est pas une URL http(s)")
    return NewDocument(
        source=data["source"].strip(),
        title=data["title"],
        text=data["text"],
        published_at=published,
        url=str(url) if url else None,
        external_id=str(optional["id"]) if optional["id"] is not None else None,
        territory=str(optional["commune"]).strip() or None if optional["commune"] else None,
        language=str(optional["lang"]) if optional["lang"] else None,
    )


def _not_text(key: str) -> LineError:
    return LineError("invalid field", f"champ invalide : {key} doit être une chaîne de caractères")


def parse_datetime(value: str, settings: Settings) -> datetime:
    """ISO 8601 date or datetime; a date or a naive time is local time; the future is refused."""
    text = value.strip()
    try:
        if len(text) == 10:
            parsed = datetime.combine(date.fromisoformat(text), time(12, 0))
        else:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise LineError(
            "bad date",
            f"date incorrecte : published_at {value!r} n'est pas une date ISO 8601 (par exemple 2025-03-14)",
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=settings.tz)
    if parsed.astimezone(UTC) > clock.now() + timedelta(days=2):
        raise LineError("bad date", f"date incorrecte : published_at {value!r} est dans le futur")
    return parsed


# --- observations ---------------------------------------------------------------------------------------


def _import_observations(
    store: Store,
    settings: Settings,
    lines: Iterator[tuple[int, str | None, LineError | None]],
    report: ImportReport,
    run: RunRecorder,
) -> None:
    first = next(lines, None)
    if first is None or first[1] is None:
        raise ImportFileError(f"{report.path} : fichier vide ou en-tête illisible")
    header_line = first[1]
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    header = [h.strip().lower() for h in next(csv.reader([header_line], delimiter=delimiter))]
    missing = [c for c in ("series", "period", "value") if c not in header]
    if missing:
        raise ImportFileError(
            f"{report.path} : colonnes CSV {header} incorrectes ; attendues : {','.join(OBSERVATION_COLUMNS)} (manquantes : {', '.join(missing)})"
        )

    def parsed() -> Iterator[tuple[int, NewObservation]]:
        for number, text in _records(lines, report, run):
            try:
                row = next(csv.reader(io.StringIO(text), delimiter=delimiter))
                yield (
                    number,
                    parse_observation(dict(zip(header, row, strict=False)), len(row), len(header), delimiter),
                )
            except ValueError as exc:
                _reject(report, run, number, exc)

    _batched_import(store, report, run, parsed(), store.upsert_observation)


def parse_observation(row: dict[str, str], width: int, expected: int, delimiter: str) -> NewObservation:
    if width != expected:
        raise LineError(
            "wrong column count", f"nombre de colonnes incorrect : {width} champs, {expected} attendus"
        )
    series = row.get("series", "").strip()
    if not series:
        raise LineError("missing field", "champ manquant : series est vide")
    try:  # a ";"-separated file writes decimals with a comma (the French spreadsheet export)
        value = parse_number(row.get("value", ""), decimal="," if delimiter == ";" else ".")
    except ValueError as exc:
        raise LineError("bad value", f"valeur incorrecte : {exc}") from None
    if value is None:
        raise LineError("bad value", f"valeur incorrecte : {row.get('value', '')!r} est une valeur manquante")
    try:
        period = parse_period(row.get("period", ""))
    except ValueError as exc:
        raise LineError("bad period", f"période incorrecte : {exc}") from None
    return NewObservation(
        series=series,
        period=period,
        value=value,
        unit=(row.get("unit") or "").strip() or None,
        territory=(row.get("territory") or "").strip() or None,
    )
