"""The web console's guards over real HTTP (uvicorn on 127.0.0.1, a real SQLite file): roles, CSRF,
headers, hostile document text, search input, login throttling, and the brief's signed links."""

from __future__ import annotations

import re
import urllib.request
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from reports.feedback import LOCAL_ENDPOINT, feedback_link, secret_key
from signals.core.accounts import add_user
from signals.core.registry import latest_week, load_tracked, week_view
from signals.core.schema import AuditEntry, Document, Feedback, Signal, User
from signals.core.store import Store
from tests.reportfixtures import HOSTILE_TEXT, HOSTILE_TITLE
from tests.webfixtures import PASSWORD, Client, console, serve


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    with console(tmp_path_factory, "web-security") as served:
        yield served


def _signals(store: Store) -> list[int]:
    with store.session() as session:
        return [s.id for s, _ in week_view(session, latest_week(session)).rows]


def _feedback_count(store: Store) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(Feedback))


def _logged(web, role: str) -> Client:
    client = web.client()
    status, html = client.login(role)
    assert status == 200 and "Se déconnecter" in html, html[-500:]
    return client


def test_pages_carry_the_security_headers_and_a_guarded_session_cookie(web):
    with urllib.request.urlopen(web.url + "/connexion", timeout=30) as response:
        headers = response.headers
        html = response.read().decode()
    assert "default-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"
    cookie = headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing from another host


def test_without_a_session_pages_send_to_the_login_and_actions_are_refused(web):
    client = web.client()
    status, html = client.get("/")
    assert status == 200 and "<h1>Connexion</h1>" in html  # redirected to the login page
    signal = _signals(web.store)[0]
    before = _feedback_count(web.store)
    status, _ = client.post(f"/signaux/{signal}/avis", {"action": "confirm"})
    assert status == 401 and _feedback_count(web.store) == before


@pytest.mark.parametrize(
    ("role", "path", "fields"),
    [
        ("official", "/signaux/{signal}/avis", {"action": "confirm", "note": "non"}),
        (
            "staff",
            "/sources/nouvelle",
            {"action": "enregistrer", "definition": "name: x\nkind: rss\nurl: http://x.fr/"},
        ),
        (
            "analyst",
            "/comptes",
            {"action": "ajouter", "nom": "intrus", "role": "admin", "mot_de_passe": "x" * 12},
        ),
    ],
)
def test_a_role_without_the_right_gets_403_and_nothing_changes(web, role, path, fields):
    client = _logged(web, role)
    sources_before = web.settings.sources_file.read_text(encoding="utf-8")
    with web.store.session() as session:
        users_before = session.scalar(select(func.count()).select_from(User))
    feedback_before = _feedback_count(web.store)
    status, html = client.post(path.format(signal=_signals(web.store)[0]), fields)
    assert status == 403 and "Accès refusé" in html
    assert web.settings.sources_file.read_text(encoding="utf-8") == sources_before
    assert _feedback_count(web.store) == feedback_before
    with web.store.session() as session:
        assert session.scalar(select(func.count()).select_from(User)) == users_before
    if role == "official":  # and the page offers an official no action form
        assert "Donner un avis" not in client.get(f"/signaux/{_signals(web.store)[0]}")[1]


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_a_form_without_a_valid_csrf_token_is_refused(web, token):
    client = _logged(web, "staff")
    signal = _signals(web.store)[0]
    fields = {"action": "dismiss", "note": "csrf"}
    if token is not None:
        fields["csrf"] = token
    before = _feedback_count(web.store)
    status, html = client.post(f"/signaux/{signal}/avis", fields, csrf=False)
    assert status == 403 and "Formulaire expiré" in html
    assert _feedback_count(web.store) == before
    # a login form without its token is refused too, before the password is looked at
    status, _ = web.client().post("/connexion", {"nom": "staff", "mot_de_passe": PASSWORD}, csrf=False)
    assert status == 403


def test_hostile_document_text_is_shown_as_text(web):
    client = _logged(web, "official")
    pages = [client.get("/recherche?q=punaises")[1], client.get("/")[1]]
    pages += [client.get(f"/signaux/{signal}")[1] for signal in _signals(web.store)]
    joined = "\n".join(pages)
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in joined
    assert "<script" not in joined and "onerror=" not in joined.replace("onerror=&#34;", "")
    assert 'href="javascript:' not in joined.lower()
    assert HOSTILE_TITLE not in joined and HOSTILE_TEXT not in joined  # only ever escaped


@pytest.mark.parametrize(
    "query",
    [
        "'; DROP TABLE documents; --",
        '" OR 1=1 --',
        "NEAR(punaises lit)",
        "punaises*",
        "title:punaises",
        '"""',
        "%_\\",
    ],
)
def test_search_input_with_sql_or_fts_syntax_is_harmless(web, query):
    client = _logged(web, "official")
    with web.store.session() as session:
        before = session.scalar(select(func.count()).select_from(Document))
    status, html = client.get("/recherche?q=" + urllib.request.quote(query))
    assert status == 200 and "Recherche dans les documents" in html
    with web.store.session() as session:
        assert session.scalar(select(func.count()).select_from(Document)) == before


def test_search_finds_documents_by_their_words_accents_ignored(web):
    client = _logged(web, "official")

    def found(query: str) -> int:
        _, html = client.get("/recherche?q=" + urllib.request.quote(query))
        return int(re.search(r"(\d+) documents? trouvé", html).group(1))

    assert found("PUNAISES inquiètent") > 0
    # accents folded on both stores (PostgreSQL without the unaccent extension): either spelling finds them
    assert found("punaises inquietent") == found("PUNAISES inquiètent")
    assert found("punaîses inquiétent") == found("PUNAISES inquiètent")
    _, none = client.get("/recherche?q=zzzyyyxxx")
    assert "0 document trouvé" in none


def test_wrong_passwords_are_throttled_per_account_even_after_a_restart(web):
    with web.store.session(write=True) as session:
        add_user(session, "cible", PASSWORD, "staff")
    client = web.client()
    for _ in range(web.settings.web.login_max_per_user):
        status, html = client.login("cible", "mauvais mot de passe")
        assert status == 401 and "incorrect" in html
    status, html = client.login("cible")  # the right password, too late
    assert status == 429 and "Trop de tentatives" in html
    with serve(web.settings, web.store) as restarted:  # a new process reads the same attempts
        status, html = Client(restarted).login("cible")
        assert status == 429
    with web.store.session() as session:
        actions = list(session.scalars(select(AuditEntry.action).where(AuditEntry.actor == "cible")))
    assert actions.count("login.failed") == 5 and "login.throttled" in actions and "login" not in actions


def test_staff_verdicts_are_stored_with_note_and_author_audited_and_honoured(web):
    client = _logged(web, "staff")
    first, second = _signals(web.store)[:2]
    status, html = client.post(f"/signaux/{first}/avis", {"action": "confirm", "note": "vu en réunion"})
    assert status == 200 and "signal confirmé" in html and "vu en réunion" in html
    status, _ = client.post(f"/signaux/{second}/avis", {"action": "dismiss", "note": "bruit"})
    assert status == 200
    with web.store.session() as session:
        week = latest_week(session)
        given = {(f.signal_id, f.verdict, f.note, f.author) for f in session.scalars(select(Feedback))}
        assert {(first, "confirm", "vu en réunion", "staff"), (second, "dismiss", "bruit", "staff")} <= given
        audited = {
            (a.action, a.target)
            for a in session.scalars(select(AuditEntry).where(AuditEntry.actor == "staff"))
        }
        assert {("signal.confirm", f"signal:{first}"), ("signal.dismiss", f"signal:{second}")} <= audited
        # the next week's analysis starts from these verdicts
        tracked = {
            t.id: t.status
            for t in load_tracked(
                session,
                week + timedelta(weeks=1),
                ("term_burst", "emerging_topic", "anomaly", "forecast_break"),
            )
        }
    assert tracked[first] == "confirmed" and tracked[second] == "dismissed"


def test_merging_two_signals_makes_one_carry_the_others_theme(web):
    client = _logged(web, "staff")
    absorbed, into = _signals(web.store)[-1], _signals(web.store)[-2]  # the two series of one event
    with web.store.session(write=True) as session:  # give the absorbed one leading terms to hand over
        signal = session.get(Signal, absorbed)
        signal.metrics = dict(signal.metrics) | {"term_hashes": [11, 12, 13, 14]}
    status, html = client.post(
        f"/signaux/{absorbed}/avis", {"action": "merge", "cible": str(into), "note": "même thème"}
    )
    assert status == 200 and "signal fusionné" in html
    with web.store.session() as session:
        merged, kept = session.get(Signal, absorbed), session.get(Signal, into)
        assert merged.parent_id == into and merged.status == "dismissed"
        assert {11, 12, 13} <= set(kept.metrics["term_hashes"][:6])
        week = latest_week(session)
        tracked = {t.id: t for t in load_tracked(session, week + timedelta(weeks=1), ("anomaly",))}
    assert tracked[absorbed].status == "dismissed" and {11, 12, 13} <= set(tracked[into].term_hashes[:6])
    theme = _signals(web.store)[0]  # a theme and a series event are not one subject
    status, html = client.post(
        f"/signaux/{theme}/avis", {"action": "merge", "cible": str(into), "note": "non"}
    )
    assert status == 400 and "de même nature" in html
    _, listing = client.get("/")
    assert f'href="/signaux/{absorbed}"' not in listing  # merged signals leave the list
    assert f'href="/signaux/{absorbed}"' in client.get("/?masques=1")[1]


def test_the_briefs_signed_links_land_on_the_console(web):
    settings = web.settings.model_copy(update={"public_url": web.url})
    signal = _signals(web.store)[-1]
    link = feedback_link(settings, signal, "dismiss", secret_key(web.settings))
    assert link.startswith(web.url + "/feedback/")
    client = web.client()  # a reader of the e-mail, not logged in
    status, html = client.get(link[len(web.url) :])
    assert status == 200 and "Écarter ce signal" in html
    token = re.search(r'name="t" value="([^"]+)"', html).group(1)
    before = _feedback_count(web.store)
    status, html = client.post(f"/feedback/{signal}/dismiss", {"t": token, "note": "depuis le courriel"})
    assert status == 200 and "verdict est enregistré" in html
    with web.store.session() as session:
        last = session.scalars(select(Feedback).order_by(Feedback.id.desc())).first()
    assert (last.signal_id, last.verdict, last.author) == (signal, "dismiss", "lien du brief")
    assert _feedback_count(web.store) == before + 1
    status, _ = client.post(
        f"/feedback/{signal}/confirm", {"t": token, "note": ""}
    )  # token of another verdict
    assert status == 403 and _feedback_count(web.store) == before + 1


def test_the_briefs_links_default_to_the_console_once_its_port_is_set(web):
    signal = _signals(web.store)[-1]
    key = secret_key(web.settings)
    unset = web.settings.model_copy(update={"public_url": None})
    assert feedback_link(unset, signal, "dismiss", key).startswith(LOCAL_ENDPOINT + "/feedback/")
    port = int(web.url.rsplit(":", 1)[1])
    console = unset.model_copy(update={"web": unset.web.model_copy(update={"host": "0.0.0.0", "port": port})})
    link = feedback_link(console, signal, "dismiss", key)
    assert link.startswith(web.url + "/feedback/")  # 127.0.0.1 for a console listening everywhere
    status, html = web.client().get(link[len(web.url) :])
    assert status == 200 and "Écarter ce signal" in html


def test_a_disabled_account_loses_its_session_at_once(web):
    with web.store.session(write=True) as session:
        add_user(session, "partant", PASSWORD, "analyst")
    client = _logged(web, "partant")
    admin = _logged(web, "admin")
    status, html = admin.post("/comptes", {"action": "desactiver", "nom": "partant"})
    assert status == 200 and "désactivé" in html
    status, html = client.get("/sources")
    assert "<h1>Connexion</h1>" in html


def test_the_session_cookie_is_secure_when_configured(web):
    settings = web.settings.model_copy(
        update={"web": web.settings.web.model_copy(update={"secure_cookies": True})}
    )
    with (
        serve(settings, web.store) as url,
        urllib.request.urlopen(url + "/connexion", timeout=30) as response,
    ):
        cookie = response.headers["set-cookie"].lower()
    assert "secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie


def test_an_admin_adds_an_account_in_the_console_and_refusals_are_in_french(web):
    admin = _logged(web, "admin")
    status, html = admin.post(
        "/comptes", {"action": "ajouter", "nom": "dominique", "role": "staff", "mot_de_passe": "court"}
    )
    assert status == 422 and "Mot de passe trop court" in html
    status, html = admin.post(
        "/comptes",
        {"action": "ajouter", "nom": "dominique", "role": "staff", "mot_de_passe": "assez long pour passer"},
    )
    assert status == 200 and "dominique" in html and "user.add" in html  # listed, and in the audit trail
    status, html = web.client().login("dominique", "assez long pour passer")
    assert status == 200 and "dominique (équipe de veille)" in html


def test_the_list_and_the_map_kept_between_requests_follow_each_verdict(web):
    staff = _logged(web, "staff")
    _, drawn = staff.get("/carte")
    shown = re.findall(r'id="point-(\d+)"', drawn)
    assert shown
    target = shown[-1]
    assert f'href="/signaux/{target}"' in staff.get("/")[1]  # both pages computed and kept
    status, _ = staff.post(f"/signaux/{target}/avis", {"action": "hide", "note": "hors sujet"})
    assert status == 200
    assert f'id="point-{target}"' not in staff.get("/carte")[1]
    assert f'href="/signaux/{target}"' not in staff.get("/")[1]
    status, _ = staff.post(f"/signaux/{target}/avis", {"action": "confirm", "note": "finalement si"})
    assert f'id="point-{target}"' in staff.get("/carte")[1]
    assert f'href="/signaux/{target}"' in staff.get("/")[1]
