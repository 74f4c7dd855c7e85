"""Secret keys the service creates once and keeps in its home (readable by their owner only)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def kept_key(path: Path) -> bytes:
    """The key in ``path``, created with 32 random bytes (hex) the first time.

    >>> import tempfile; folder = Path(tempfile.mkdtemp())
    >>> first = kept_key(folder / "a.key"); first == kept_key(folder / "a.key"), len(first)
    (True, 64)
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:  # O_EXCL: two processes starting together keep the same key (the loser reads the winner's)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
    return path.read_text().strip().encode()
