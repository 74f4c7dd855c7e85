"""Personal data minimisation: e-mail addresses and phone numbers never reach the store."""

from __future__ import annotations

import re

EMAIL_MASK = "[courriel masqué]"
PHONE_MASK = "[téléphone masqué]"
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# French numbers (06 12 34 56 78, 06.12.34.56.78, 0612345678, +33 6 12 34 56 78) and other international ones.
_PHONE = re.compile(
    r"(?<![\w+])(?:(?:\+|00)33[\s.-]?[1-9]|0[1-9])(?:[\s.-]?\d{2}){4}(?!\d)"
    r"|(?<![\w+])(?:\+|00)[1-9]\d{0,2}(?:[\s.-]?\d{2,4}){3,5}(?!\d)"
)


def redact(text: str) -> tuple[str, int]:
    """Replace e-mail addresses and phone numbers; returns the text and how many were hidden.

    >>> redact("Écrivez à jean.dupont@exemple.fr ou au 06 12 34 56 78.")
    ('Écrivez à [courriel masqué] ou au [téléphone masqué].', 2)
    """
    text, emails = _EMAIL.subn(EMAIL_MASK, text)
    text, phones = _PHONE.subn(PHONE_MASK, text)
    return text, emails + phones
