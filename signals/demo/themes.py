"""Themes for generated test and benchmark corpora (``data/themes.toml``): emerging themes to plant, and
decoys that must not alarm.

Each theme names itself with a few key phrases (as headlines do) and has sentences around them. The
patterns identify its documents for the ground truth; no other theme uses their words.
"""

from __future__ import annotations

from signals.demo.specs import Theme, load_themes

EMERGING: tuple[Theme, ...] = load_themes().emerging
DECOYS: tuple[Theme, ...] = load_themes().decoys
PARENTS: tuple[Theme, ...] = load_themes().parents
VARIANTS: tuple[Theme, ...] = load_themes().variants
LASTING: tuple[Theme, ...] = load_themes().lasting
RETURNING: tuple[Theme, ...] = load_themes().returning
