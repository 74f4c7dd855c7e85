"""The weekly brief from a real store: French HTML, the signal's numbers and cited documents, one e-mail."""

from __future__ import annotations

import email
from email import policy

import pytest
from sqlalchemy import func, select

from signals import pipeline
from signals.core.schema import Brief, Delivery
from tests.reportfixtures import HOSTILE_TITLE, WEEK, analysed_home


@pytest.fixture(scope="module")
def briefed(tmp_path_factory):
    from signals.core.store import Store

    settings = analysed_home(tmp_path_factory, "brief", recipients=["veille@example.fr"])
    store = Store.open(settings)
    first = pipeline.brief(store, settings, WEEK, out=settings.home.parent / "brief.html", send=True)
    second = pipeline.brief(store, settings, WEEK, send=True)
    yield settings, store, first, second
    store.close()


def test_brief_is_french_html_with_numbers_and_cited_documents(briefed):
    settings, _, first, _ = briefed
    html = first.archive.read_text(encoding="utf-8")
    assert (
        '<html lang="fr">' in html and "Nouveaux signaux faibles" in html and "Couverture des données" in html
    )
    assert "punaises de lit" in html.lower()
    assert "documents</strong> en 4 semaines" in html and "en laissait attendre" in html
    assert 'href="https://presse.example.fr/article/' in html
    assert "/feedback/" in html and "signals feedback" not in html  # one-click links, not shell commands
    assert "<script>" not in html and HOSTILE_TITLE not in html  # document text is escaped
    assert first.out.read_text(encoding="utf-8") == html


def test_brief_is_rendered_and_sent_once(briefed):
    settings, store, first, second = briefed
    assert first.created and not second.created
    # no SMTP server: the message is written to the outbox, never called "sent"
    assert first.deliveries == {"written to the outbox": 1, "retrying": 0, "failed": 0}
    assert second.deliveries == {"written to the outbox": 0, "retrying": 0, "failed": 0}
    emls = sorted(settings.outbox_dir.glob("*.eml"))
    assert len(emls) == 1 and emls[0] == first.outbox[0]
    with store.session() as session:
        assert session.scalar(select(func.count(Brief.id))) == 1
        assert session.scalar(select(func.count(Delivery.id))) == 1


def test_outbox_message_is_multipart_utf8_with_stable_message_id(briefed):
    settings, _, first, _ = briefed
    message = email.message_from_bytes(first.outbox[0].read_bytes(), policy=policy.default)
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "multipart/related"]
    assert message.get_body(("html",)).get_content_type() == "text/html"  # with its charts beside it
    assert message["To"] == "veille@example.fr" and message["List-Unsubscribe"]
    assert message["Message-ID"].startswith("<weekly.")
    assert "Veille prospective" in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    assert "NOUVEAUX SIGNAUX FAIBLES" in text and "https://presse.example.fr/article/" in text


def test_quarterly_report_html_and_pdf_have_the_expected_sections(briefed, tmp_path):
    import pypdf

    settings, store, _, _ = briefed
    result = pipeline.quarterly_report(store, settings, "2025Q3", tmp_path / "report")
    html_path, pdf_path = result.files
    html = html_path.read_text(encoding="utf-8")
    assert "Rapport trimestriel" in html and "Thèmes émergents du trimestre" in html
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(pdf_path).pages)
    for section in (
        "Thèmes émergents",
        "Indicateurs et prévisions",
        "Baromètre des communes",
        "Couverture des données",
        "Méthode",
    ):
        assert section in text
    assert "punaises de lit" in text.lower()
