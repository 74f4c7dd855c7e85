from pathlib import Path

import pytest
from pydantic import ValidationError

from signals.core.settings import Settings, load_settings, mask_url


def test_defaults_run_with_nothing_configured(monkeypatch):
    monkeypatch.delenv("SIGNALS_DATABASE_URL", raising=False)  # set by the suite's PostgreSQL run
    settings = load_settings()
    assert settings.home == Path("var")
    assert settings.db_url.startswith("sqlite:///") and settings.db_url.endswith("var/signals.db")
    assert settings.timezone == "Europe/Paris" and settings.language == "fr"
    assert settings.smtp.host is None  # e-mail goes to the outbox folder


def test_environment_and_yaml_file(monkeypatch, tmp_path):
    config = tmp_path / "conf.yaml"
    config.write_text(
        "recipients: [a@example.fr]\nsmtp:\n  host: mail.example.fr\n  port: 2525\n"
        "detection:\n  recent_weeks: 6\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("SIGNALS_CONFIG", str(config))
    monkeypatch.setenv("SIGNALS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DATABASE_URL", "postgresql://veille:s3cret@db.local/signals")
    monkeypatch.setenv("SIGNALS_SMTP__PORT", "465")  # the environment wins over the file
    settings = load_settings()
    assert settings.home == tmp_path / "home"
    assert settings.recipients == ["a@example.fr"]
    assert (settings.smtp.host, settings.smtp.port) == ("mail.example.fr", 465)
    assert settings.detection.recent_weeks == 6
    assert settings.db_url == "postgresql://veille:s3cret@db.local/signals"


def test_public_view_masks_secrets(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://veille:s3cret@db.local/signals")
    monkeypatch.setenv("SIGNALS_SMTP__PASSWORD", "hunter2")
    view = load_settings().public_view()
    assert "s3cret" not in str(view) and "hunter2" not in str(view)
    assert view["smtp"]["password"] == "********"
    assert mask_url("sqlite:///var/signals.db") == "sqlite:///var/signals.db"


def test_bad_values_are_refused(monkeypatch):
    with pytest.raises(ValidationError):
        Settings(timezone="Mars/Olympus")
    monkeypatch.setenv("SIGNALS_CONFIG", "/nonexistent/signals.yaml")
    with pytest.raises(FileNotFoundError, match="SIGNALS_CONFIG"):
        load_settings()
