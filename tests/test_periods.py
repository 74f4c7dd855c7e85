from datetime import date
from zoneinfo import ZoneInfo

import pytest

from signals.core.periods import (
    end_of_day_utc,
    last_complete_week,
    parse_quarter,
    parse_week,
    quarter_label,
    week_label,
    week_start,
    weeks_between,
)


def test_week_labels_round_trip_across_year_ends():
    for monday in (date(2024, 12, 30), date(2026, 1, 5), date(2026, 11, 16)):
        assert parse_week(week_label(monday)) == monday
    assert week_label(date(2024, 12, 30)) == "2025-W01"  # ISO week of a late-December Monday


@pytest.mark.parametrize("bad", ["2025-13", "W03", "2025-W54", "2025W"])
def test_bad_week_labels_say_the_expected_form(bad):
    with pytest.raises(ValueError, match="AAAA-Wss|n'existe pas"):
        parse_week(bad)


def test_a_week_that_does_not_exist_says_how_many_weeks_the_year_has():
    with pytest.raises(ValueError, match=r"'2025-W54' : elle n'existe pas \(2025 compte 52 semaines\)"):
        parse_week("2025-W54")
    with pytest.raises(ValueError, match="2026 compte 53 semaines"):
        parse_week("2026-W54")


def test_quarters():
    assert parse_quarter("2026Q1") == (date(2026, 1, 1), date(2026, 3, 31))
    assert parse_quarter("2025q4") == (date(2025, 10, 1), date(2025, 12, 31))
    assert quarter_label(date(2026, 8, 15)) == "2026Q3"
    with pytest.raises(ValueError, match="AAAAQn"):
        parse_quarter("2026Q5")


def test_end_of_day_is_local_midnight_in_utc_including_dst():
    paris = ZoneInfo("Europe/Paris")
    assert end_of_day_utc(date(2026, 7, 1), paris).isoformat() == "2026-07-01T21:59:59.999999+00:00"
    assert end_of_day_utc(date(2026, 1, 1), paris).isoformat() == "2026-01-01T22:59:59.999999+00:00"


def test_week_helpers():
    assert week_start(date(2026, 11, 22)) == date(2026, 11, 16)
    assert last_complete_week(date(2026, 11, 26)) == date(2026, 11, 16)
    assert weeks_between(date(2026, 11, 4), date(2026, 11, 22)) == [
        date(2026, 11, 2),
        date(2026, 11, 9),
        date(2026, 11, 16),
    ]
