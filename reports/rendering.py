"""The Jinja2 environment of every report: autoescaped HTML templates, plain-text templates, French filters."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from reports.format import FILTERS
from reports.wording import display_name, forecast_method


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("reports", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=True),
        undefined=StrictUndefined,  # a missing value is a bug, not an empty string in front of officials
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    env.filters["forecast_method"] = forecast_method
    env.filters["display_name"] = display_name  # {{ key | display_name(titles) }}
    return env


def render(template: str, context: dict[str, Any]) -> str:
    return environment().get_template(template).render(**context)


def write_pdf(html: str, pdf_path: Path) -> Path:
    """The PDF of a report's HTML as a publication: tagged (PDF/UA: structure tree, language, title) for
    screen readers."""
    from weasyprint import HTML

    pdf_path.parent.mkdir(parents=True, exist_ok=True)
    HTML(string=html, base_url=str(pdf_path.parent)).write_pdf(pdf_path, pdf_variant="pdf/ua-1")
    return pdf_path
