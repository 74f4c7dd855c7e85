"""E-mail messages of the briefs: multipart/alternative (plain text and HTML), UTF-8, stable Message-ID."""

from __future__ import annotations

import hashlib
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import css_inline

DOMAIN = "signaux-faibles.local"


def message_id(kind: str, period: str, recipient: str) -> str:
    """The same brief to the same recipient always has the same Message-ID (the idempotency key)."""
    digest = hashlib.sha256(f"{kind}|{period}|{recipient.strip().lower()}".encode()).hexdigest()[:16]
    return f"<{kind}.{period}.{digest}@{DOMAIN}>"


def inline_css(html: str) -> str:
    """Mail clients drop <style> blocks: move the CSS into style attributes."""
    return css_inline.inline(html)


def build_message(
    subject: str,
    html: str,
    text: str,
    sender: str,
    recipient: str,
    msg_id: str,
    date: datetime,
    unsubscribe: str | None = None,
) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = recipient
    message["Date"] = format_datetime(date)
    message["Message-ID"] = msg_id or make_msgid(domain=DOMAIN)
    message["List-Unsubscribe"] = (
        f"<{unsubscribe}>" if unsubscribe else f"<mailto:{_address(sender)}?subject=unsubscribe>"
    )
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text, charset="utf-8")
    message.add_alternative(html, subtype="html", charset="utf-8")
    return message


def _address(sender: str) -> str:
    return sender.rsplit("<", 1)[-1].rstrip(">").strip()
