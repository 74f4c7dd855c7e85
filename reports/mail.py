"""E-mail messages of the briefs, built to display in real mail clients.

- multipart/alternative: a plain-text part first, then the HTML part; the HTML part is multipart/related
  with its charts as PNG parts referenced by ``cid:`` (mail clients block remote images and most ignore
  ``data:`` URIs);
- the CSS is inlined into ``style`` attributes (clients drop ``<style>`` blocks or rewrite them); ``@media``
  rules are kept in a ``<style>`` block for the clients that honour them;
- UTF-8 everywhere; Date, Message-ID, List-Id, List-Unsubscribe and Auto-Submitted headers.

The Message-ID is derived from the brief and the recipient, never random: it is the idempotency key of the
outbox, and it lets a receiving server or mail client drop a copy that a crash made us send twice.

>>> from datetime import UTC
>>> msg = build_message("Objet é", "<p><img src='cid:c1@x'></p>", "texte é", "Veille <v@example.fr>",
...                     "a@example.fr", message_id("weekly", "2025-W03", "a@example.fr"),
...                     datetime(2025, 1, 20, 7, 0, tzinfo=UTC), images={"c1@x": b"\\x89PNG..."})
>>> msg["Message-ID"] == message_id("weekly", "2025-W03", "A@example.fr ")
True
>>> [part.get_content_type() for part in msg.walk()]
['multipart/alternative', 'text/plain', 'multipart/related', 'text/html', 'image/png']
>>> preview_html(msg).startswith("<p><img src='data:image/png;base64,")
True
"""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime

import css_inline

DOMAIN = "signaux-faibles.local"
_INLINER = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)
_CID_SRC = re.compile(r"""(src\s*=\s*["'])cid:([^"']+)(["'])""", re.IGNORECASE)


def message_id(kind: str, period: str, recipient: str) -> str:
    """The same brief to the same recipient always has the same Message-ID (the idempotency key)."""
    digest = hashlib.sha256(f"{kind}|{period}|{recipient.strip().lower()}".encode()).hexdigest()[:16]
    return f"<{kind}.{period}.{digest}@{DOMAIN}>"


def content_id(name: str, period: str) -> str:
    """The Content-ID (without angle brackets) of an image of a brief: ``cid:`` URLs point to it."""
    safe = re.sub(r"[^A-Za-z0-9.-]", "-", f"{name}.{period}")
    return f"{safe}@{DOMAIN}"


def inline_css(html: str) -> str:
    """Mail clients drop <style> blocks: move the CSS into style attributes (at-rules stay in a block)."""
    return _INLINER.inline(html)


def with_data_uris(html: str, images: dict[str, bytes]) -> str:
    """The HTML with its ``cid:`` images replaced by ``data:`` URIs: one self-contained file for a browser
    (the archive, the outbox preview). Unknown ``cid:`` references are left as they are."""

    def replace(match: re.Match[str]) -> str:
        data = images.get(match.group(2))
        if data is None:
            return match.group(0)
        return f"{match.group(1)}data:image/png;base64,{base64.b64encode(data).decode()}{match.group(3)}"

    return _CID_SRC.sub(replace, html)


def build_message(
    subject: str,
    html: str,
    text: str,
    sender: str,
    recipient: str,
    msg_id: str,
    date: datetime,
    images: dict[str, bytes] | None = None,
    unsubscribe: str | None = None,
    list_id: str = "weekly",
) -> EmailMessage:
    """One recipient's message; ``images`` maps Content-IDs (as in the HTML's ``cid:`` URLs) to PNG bytes."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = recipient
    message["Date"] = format_datetime(date)
    message["Message-ID"] = msg_id
    message["List-Id"] = f"Veille prospective <{list_id}.{DOMAIN}>"
    message["List-Unsubscribe"] = (
        f"<{unsubscribe}>" if unsubscribe else f"<mailto:{_address(sender)}?subject=unsubscribe>"
    )
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text, charset="utf-8")
    message.add_alternative(html, subtype="html", charset="utf-8")
    html_part = message.get_payload()[1]
    for cid, data in (images or {}).items():
        html_part.add_related(
            data,
            maintype="image",
            subtype="png",
            cid=f"<{cid}>",
            disposition="inline",
            filename=cid.split("@", 1)[0] + ".png",
        )
    return message


def images_of(message: EmailMessage) -> dict[str, bytes]:
    """The message's embedded images by Content-ID (without angle brackets)."""
    found = {}
    for part in message.walk():
        cid = part.get("Content-ID")
        if cid and part.get_content_maintype() == "image":
            found[str(cid).strip().strip("<>")] = part.get_content()
    return found


def preview_html(message: EmailMessage) -> str:
    """The message's HTML as a browser shows it without a mail client: images as ``data:`` URIs."""
    body = message.get_body(("html",))
    if body is None:
        return ""
    return with_data_uris(body.get_content(), images_of(message))


def encode_images(images: dict[str, bytes]) -> dict[str, str]:
    """Images as base64 text, to keep them with the brief in the database (JSON)."""
    return {cid: base64.b64encode(data).decode("ascii") for cid, data in images.items()}


def decode_images(encoded: dict[str, str]) -> dict[str, bytes]:
    return {cid: base64.b64decode(text) for cid, text in encoded.items()}


def _address(sender: str) -> str:
    return sender.rsplit("<", 1)[-1].rstrip(">").strip()
