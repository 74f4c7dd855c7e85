"""Personal data kept out of stored texts: e-mail addresses and phone numbers are replaced by placeholders.

Used by the collectors (every document's title and text) and by the JSONL importer. Names of private
persons are handled where they appear as structured fields (consultation authors are reduced to a count);
free-text names cannot be recognised reliably offline and are left as written.

>>> redact("Écrivez à claire.martin@exemple.fr ou au 06 12 34 56 78.")
('Écrivez à [courriel masqué] ou au [téléphone masqué].', 2)
"""

from __future__ import annotations

import re

EMAIL_PLACEHOLDER = "[courriel masqué]"
PHONE_PLACEHOLDER = "[téléphone masqué]"

_AT = r"(?:@|\s?[\[(](?:at|arobase)[\])]\s?)"
_DOT = r"(?:\.|\s?[\[(](?:dot|point)[\])]\s?)"
_EMAIL = re.compile(rf"[\w.+-]+{_AT}[\w-]+(?:{_DOT}[\w-]+)*{_DOT}[a-z]{{2,24}}\b", re.IGNORECASE)

_SEP = r"[ \t\u00a0\u202f.\-]?"
# French national numbers: ten digits starting with 0, in pairs or not (06 12 34 56 78, 06.12.34.56.78).
_FR_PHONE = rf"0[1-9](?:{_SEP}\d{{2}}){{4}}"
# International: +CC or 00CC, an optional "(0)", then digit groups (+33 6 12 34 56 78, +1 (555) 123-4567).
_INTL_PHONE = (
    rf"(?:\+|00{_SEP})[1-9]\d{{0,2}}{_SEP}(?:\(0\){_SEP})?(?:\(\d{{1,4}}\){_SEP})?"
    rf"\d{{1,4}}(?:{_SEP}\d{{2,4}}){{1,5}}"
)
_PHONE = re.compile(rf"(?<![\w+/.,-])(?:{_INTL_PHONE}|{_FR_PHONE})(?![\w/]|[.,-]\d)")
_MIN_INTL_DIGITS = 8


def redact(text: str) -> tuple[str, int]:
    """Replace e-mail addresses and phone numbers by placeholders; returns the new text and the count.

    Dates, amounts, postal codes and reference numbers are left alone:

    >>> redact("Séance du 12/03/2025, délibération n° 2025-012, 75001 Paris, 1 234 567 euros.")[1]
    0
    >>> redact("Tél. +33 (0)6 12 34 56 78, standard 01.23.45.67.89, London +44 20 7946 0958.")
    ('Tél. [téléphone masqué], standard [téléphone masqué], London [téléphone masqué].', 3)
    >>> redact("contact : jean [at] mairie-lirac [dot] fr")
    ('contact : [courriel masqué]', 1)
    """
    if not text:
        return text, 0
    text, emails = _EMAIL.subn(EMAIL_PLACEHOLDER, text)
    phones = 0

    def _phone(match: re.Match[str]) -> str:
        nonlocal phones
        found = match.group(0)
        if found.startswith(("+", "00")) and sum(c.isdigit() for c in found) < _MIN_INTL_DIGITS:
            return found
        phones += 1
        return PHONE_PLACEHOLDER

    text = _PHONE.sub(_phone, text)
    return text, emails + phones
