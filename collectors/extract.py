"""Text out of downloaded bodies: an article's main text (trafilatura), a PDF's text (pypdf).

Problems a caller must report are raised as :class:`ExtractionError` with a reject code and a reason.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass, field

from collectors.enrich import normalise_text
from signals.core.parsing import fold


class ExtractionError(Exception):
    """A body whose text cannot be had; ``code`` is the reject code counted in the run record."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def sniff(body: bytes, content_type: str | None) -> str:
    """What a body really is, by its first bytes before its declared type: pdf, html, xml, json or binary.

    >>> sniff(b"%PDF-1.7 ...", "text/html"), sniff(b"<!DOCTYPE html><p>", "application/pdf")
    ('pdf', 'html')
    >>> sniff(b"\\xef\\xbb\\xbf{\\"data\\": []}", None), sniff(b"\\x89PNG\\r\\n", "image/png")
    ('json', 'binary')
    """
    head = body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    lowered = head[:200].lower()
    declared = (content_type or "").split(";")[0].strip().lower()
    if head.startswith(b"%PDF-") or (b"%PDF-" in body[:1024] and declared == "application/pdf"):
        return "pdf"
    if lowered.startswith((b"<!doctype html", b"<html")) or b"<body" in lowered:
        return "html"
    if lowered.startswith(b"<?xml") or lowered.startswith((b"<rss", b"<feed", b"<rdf")):
        return "xml"
    if head[:1] in (b"{", b"["):
        return "json"
    if declared in ("text/html", "application/xhtml+xml") or (head[:1] == b"<" and b">" in head):
        return "html"
    if declared.startswith("text/") and b"\x00" not in head:
        return "text"
    return "binary"


# --- HTML pages ---------------------------------------------------------------------------------------


@dataclass
class PageContent:
    text: str
    title: str | None = None
    date: str | None = None  # as found in the page (ISO date from trafilatura's metadata), not parsed


def page_text(
    html: str,
    url: str | None = None,
    with_metadata: bool = False,
    title: str | None = None,
    min_chars: int = 0,
) -> PageContent:
    """Main text of an HTML page (boilerplate, menus and footers left out), by trafilatura.

    ``with_metadata`` also looks for the page's title and date (slower; for pages with no other date).
    ``title``: the title known from elsewhere (feed, listing), left out of the text when the page repeats
    it as its first line. Raises ExtractionError("no_text") when the page has no main text, or less than
    ``min_chars`` (an error page served with status 200: "Document introuvable").
    """
    import trafilatura

    try:
        found = trafilatura.bare_extraction(
            html,
            url=url,
            with_metadata=with_metadata,
            favor_precision=True,
            include_comments=False,
            include_tables=True,
            deduplicate=False,
        )
    except Exception as exc:  # trafilatura/lxml raise many types on pathological markup
        raise ExtractionError("broken_html", f"HTML illisible : {type(exc).__name__}: {exc}") from None
    text = normalise_text(getattr(found, "text", None) or "") if found is not None else ""
    if not text:
        raise ExtractionError("no_text", "aucun texte principal dans la page")
    found_title = (getattr(found, "title", None) or "").strip() or None
    for known in (title, found_title):
        text = _without_heading(text, known)
    if len(text) < min_chars:
        raise ExtractionError(
            "no_text", f"la page n'a presque pas de texte ({text[:60]!r}) : une page d'erreur ?"
        )
    return PageContent(text=text, title=found_title, date=getattr(found, "date", None))


def _without_heading(text: str, title: str | None) -> str:
    r"""trafilatura keeps the page's <h1> as the first line; the title is stored apart.

    >>> _without_heading("Le titre\nLe texte.", "Le Titre - Le Journal")
    'Le texte.'
    """
    first, _, rest = text.partition("\n")
    if not (title and rest):
        return text
    head, known = fold(first), fold(title)
    if head and (head == known or known.startswith(head + " ") or head.startswith(known + " ")):
        return rest.strip()
    return text


# --- PDF ----------------------------------------------------------------------------------------------


@dataclass
class PdfContent:
    text: str
    pages: int
    title: str | None = None
    created: str | None = None  # PDF date string (D:YYYYMMDD...), not parsed
    problems: list[str] = field(default_factory=list)


_PDF_DATE = re.compile(r"^D:(\d{4})(\d{2})?(\d{2})?")


def pdf_text(data: bytes, max_pages: int = 300, max_chars: int = 200_000) -> PdfContent:
    """Text of a PDF with pypdf; an encrypted, broken or text-less file raises ExtractionError.

    Files protected only against editing (empty user password) are opened; wrapped lines are joined.
    """
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # it warns on every odd object; we report instead
    if not data.lstrip()[:5].startswith(b"%PDF-") and b"%PDF-" not in data[:1024]:
        raise ExtractionError("pdf_invalid", "pas un fichier PDF (pas d'en-tête %PDF)")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ExtractionError(
                "pdf_encrypted", "PDF chiffré par un mot de passe : son texte est illisible"
            )
        pages = reader.pages
        count = len(pages)
    except ExtractionError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, IndexError, AttributeError, OSError) as exc:
        raise ExtractionError("pdf_invalid", f"PDF endommagé ou tronqué : {exc}") from None
    except Exception as exc:  # pypdf raises NotImplementedError, DependencyError... on exotic files
        raise ExtractionError("pdf_invalid", f"PDF illisible : {type(exc).__name__}: {exc}") from None
    problems: list[str] = []
    parts: list[str] = []
    size = 0
    failed_pages = 0
    for number in range(min(count, max_pages)):
        try:
            page_text = pages[number].extract_text() or ""
        except Exception:  # one bad page (broken content stream) must not lose the others
            failed_pages += 1
            continue
        parts.append(page_text)
        size += len(page_text)
        if size > max_chars:
            break
    if count > max_pages:
        problems.append(f"seules les pages 1 à {max_pages} ont été lues (sur {count})")
    if failed_pages:
        problems.append(f"pages illisibles : {failed_pages}")
    text = normalise_text(_reflow("\n".join(parts)))
    if not text:
        if failed_pages:
            raise ExtractionError("pdf_invalid", f"aucune page lisible (pages : {count})")
        raise ExtractionError("pdf_no_text", f"pas de couche texte (pages : {count}) : une image numérisée ?")
    meta = _metadata(reader)
    return PdfContent(
        text=text, pages=count, title=meta.get("/Title"), created=meta.get("/CreationDate"), problems=problems
    )


def pdf_date(value: str | None) -> str | None:
    """``D:20250312101500+01'00'`` -> ``2025-03-12``: the date part only (PDF time zones are unreliable).

    >>> pdf_date("D:20250312101500+01'00'"), pdf_date("hier")
    ('2025-03-12', None)
    """
    match = _PDF_DATE.match(value or "")
    if not match:
        return None
    year, month, day = match.group(1), match.group(2) or "01", match.group(3) or "01"
    return f"{year}-{month}-{day}"


def _metadata(reader: object) -> dict[str, str]:
    try:
        meta = getattr(reader, "metadata", None) or {}
        return {str(k): str(v) for k, v in meta.items() if isinstance(v, str) and v.strip()}
    except Exception:  # damaged info dictionary: the text is what matters
        return {}


_WRAPPED = re.compile(r"(?<=[^\s.!?:;»\"])\n(?=[a-zàâçéèêëîïôûùüÿœ0-9(])")
_HYPHENATED = re.compile(r"(?<=[a-zàâçéèêëîïôûùüÿœ])-\n(?=[a-zàâçéèêëîïôûùüÿœ])")


def _reflow(text: str) -> str:
    """Join lines a PDF wrapped in the middle of a sentence.

    >>> _reflow("autorise le maire à signer tout\\ndocument.\\nVu le code")
    'autorise le maire à signer tout document.\\nVu le code'
    >>> _reflow("la commu-\\nnauté")
    'la communauté'
    """
    return _WRAPPED.sub(" ", _HYPHENATED.sub("", text))
