from datetime import date

from sqlalchemy import func, select

from signals.core.parsing import parse_period
from signals.core.schema import Document, Observation, Run
from signals.stages.importer import import_file
from tests.conftest import doc, write_jsonl


def _documents(store) -> int:
    with store.session() as session:
        return session.scalar(select(func.count(Document.id)))


def test_jsonl_import_is_idempotent_and_keeps_optional_fields(store, settings, tmp_path):
    path = write_jsonl(
        tmp_path / "docs.jsonl",
        [
            doc(
                "Cour oasis",
                "Une cour oasis à Lirac.",
                date(2026, 3, 2),
                commune="Lirac",
                url="https://e.fr/1",
                id="a1",
                lang="fr",
            ),
            doc("Reprise", "Une cour oasis à Lirac.", date(2026, 3, 3), source="gazette"),
            doc("Autre", "Le budget est voté.", date(2026, 3, 4)),
        ],
    )
    first = import_file(store, settings, path)
    second = import_file(store, settings, path)
    assert first.outcomes == {"new": 2, "duplicate_content": 1} and not first.rejected
    assert second.outcomes == {"seen": 3}
    with store.session() as session:
        stored = session.scalar(select(Document).where(Document.external_id == "a1"))
        assert (stored.territory, stored.language, stored.url) == ("Lirac", "fr", "https://e.fr/1")
    assert _documents(store) == 2


def test_bad_lines_are_reported_with_their_reason_and_the_rest_is_imported(store, settings, tmp_path):
    good = doc("Bon", "Texte valide.", date(2026, 3, 2))
    path = tmp_path / "mixed.jsonl"
    lines = [
        '{"title": "cassé"',  # 1 invalid JSON
        '["not", "an", "object"]',  # 2
        '{"title": "t", "text": "x", "source": "s"}',  # 3 missing published_at
        '{"title": "t", "text": "x", "source": "s", "published_at": "13/03/2026"}',  # 4 bad date
        '{"title": "t", "text": "x", "source": "s", "published_at": "2099-01-01"}',  # 5 future
        '{"title": "", "text": " ", "source": "s", "published_at": "2026-03-02"}',  # 6 empty
        '{"title": "t", "text": "x", "source": "s", "published_at": "2026-03-02", "url": "ftp://x"}',  # 7
        "",  # blank lines are not records
    ]
    import json

    data = "\n".join(lines).encode() + b"\n" + json.dumps(good).encode() + b"\n"
    data += '{"title": "caf\xe9", "text": "x", "source": "s", "published_at": "2026-03-02"}\n'.encode(
        "latin-1"
    )
    path.write_bytes(data)
    report = import_file(store, settings, path)
    reasons = dict(report.rejected)
    assert report.outcomes == {"new": 1}
    assert reasons[1].startswith("JSON invalide : ") and "en colonne 18" in reasons[1]
    assert reasons[2] == "enregistrement invalide : objet JSON attendu, pas list"
    assert reasons[3] == "champ manquant : published_at"
    assert reasons[4].startswith("date incorrecte : ") and "13/03/2026" in reasons[4]
    assert reasons[5] == "date incorrecte : published_at '2099-01-01' est dans le futur"
    assert reasons[6].startswith("document vide : ")
    assert "url 'ftp://x' n'est pas une URL http(s)" in reasons[7]
    assert reasons[10].startswith("texte utf-8 invalide : octet 0xe9") and "--encoding cp1252" in reasons[10]
    with store.session() as session:
        run = session.scalars(select(Run).where(Run.stage == "import")).one()
    assert run.status == "partial" and run.error_count == 8 and run.counts["new"] == 1
    # the reasons are French, the codes that count them are the same as ever
    assert run.counts["rejected"] == {
        "invalid JSON": 1,
        "invalid record": 1,
        "missing field": 1,
        "bad date": 2,
        "empty document": 1,
        "invalid field": 1,
        "not valid utf-8": 1,
    }
    assert {e["item"]: e["reason"] for e in run.errors}["mixed.jsonl:3"] == "champ manquant : published_at"


def test_contact_details_are_redacted_on_import(store, settings, tmp_path):
    path = write_jsonl(
        tmp_path / "d.jsonl",
        [doc("Avis", "Écrivez-moi à j.dupont@exemple.fr ou au 06 12 34 56 78.", date(2026, 3, 2))],
    )
    import_file(store, settings, path)
    with store.session() as session:
        text = session.scalar(select(Document.text))
    assert "exemple.fr" not in text and "06 12" not in text and "[courriel masqué]" in text


def test_csv_observations_update_never_duplicate(store, settings, tmp_path):
    path = tmp_path / "obs.csv"
    path.write_text(
        "series;period;value;unit;territory\n"
        "tourisme.nuitees/lirac;2026-07;1 234,5;nuitées;Lirac\n"
        "tourisme.nuitees/lirac;2026-08;2000;nuitées;Lirac\n"
        "tourisme.nuitees/lirac;juillet;12;nuitées;Lirac\n"
        "tourisme.nuitees/lirac;2026-09;beaucoup;nuitées;Lirac\n"
        "tourisme.nuitees/lirac;2026-10;1;nuitées\n",
        encoding="utf-8",
    )
    report = import_file(store, settings, path)
    assert report.outcomes == {"new": 2}
    reasons = dict(report.rejected)
    assert reasons[4].startswith("période incorrecte : 'juillet' n'est pas une période")
    assert reasons[5] == "valeur incorrecte : 'beaucoup' n'est pas un nombre"
    assert reasons[6] == "nombre de colonnes incorrect : 4 champs, 5 attendus"
    path.write_text(
        "series,period,value,unit,territory\ntourisme.nuitees/lirac,2026-07,1300,nuitées,Lirac\n",
        encoding="utf-8",
    )
    assert import_file(store, settings, path).outcomes == {"updated": 1}
    with store.session() as session:
        rows = session.execute(
            select(Observation.period, Observation.value).order_by(Observation.period)
        ).all()
    assert rows == [(date(2026, 7, 1), 1300.0), (date(2026, 8, 1), 2000.0)]


def test_wrong_csv_columns_name_the_expected_ones(store, settings, tmp_path):
    import pytest

    from signals.stages.importer import ImportFileError

    path = tmp_path / "obs.csv"
    path.write_text("serie,mois,valeur\nx,2026-01,1\n", encoding="utf-8")
    with pytest.raises(
        ImportFileError,
        match="attendues : series,period,value,unit,territory \\(manquantes : series, period, value\\)",
    ):
        import_file(store, settings, path)


def test_periods():
    assert parse_period("2026-07") == date(2026, 7, 1)
    assert parse_period("2026-W02") == date(2026, 1, 5)
    assert parse_period("2026Q3") == date(2026, 7, 1)
    assert parse_period("2026") == date(2026, 1, 1)
    assert parse_period("2026-07-14") == date(2026, 7, 14)


def test_csv_with_old_mac_line_endings_is_read_line_by_line(store, settings, tmp_path):
    path = tmp_path / "mac.csv"
    rows = ["series;period;value", "visites;2026-07;12", "visites;2026-08;oui", "visites;2026-09;14"]
    path.write_bytes(("\r".join(rows) + "\r").encode("cp1252"))
    report = import_file(store, settings, path)
    assert (report.lines, report.outcomes) == (3, {"new": 2})
    assert report.rejected == [(3, "valeur incorrecte : 'oui' n'est pas un nombre")]


def test_a_bad_byte_costs_its_line_only_and_names_the_column(store, settings, tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes(
        b"\xef\xbb\xbfseries,period,value,unit\r\nvisites,2026-07,12,nuit\xe9es\r\nvisites,2026-08,13,u\r\n"
    )
    report = import_file(store, settings, path)
    assert report.outcomes == {"new": 1}
    ((number, reason),) = report.rejected
    assert number == 2 and reason.startswith("texte utf-8 invalide : octet 0xe9 en colonne 24")
    assert import_file(store, settings, path, encoding="cp1252").outcomes == {"new": 1, "unchanged": 1}
