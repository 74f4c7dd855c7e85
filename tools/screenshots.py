"""Screenshots of what readers get from the demo: the weekly brief at desktop and phone width, and each page
of the quarterly report's PDF, as small PNG files in ``docs/screenshots/`` (``make screenshots``).

    python tools/screenshots.py [--home DIR] [--out docs/screenshots] [--reuse]

Runs ``signals demo`` in a fresh home (a temporary folder unless ``--home``; with ``--reuse`` an existing
demo there is kept and only the brief and the report are rendered again, with ``--force``), then
``signals report``; opens the archived brief in Debian's chromium (Playwright, ``/usr/bin/chromium``) at
1280 and 390 pixels wide, and renders the PDF's pages with PDFium (``pypdfium2``). Needs the dev extras.
The PNG files are reduced to a palette of 128 colours: text and charts stay sharp, files stay small.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
WIDTHS = {"desktop": (1280, 800), "phone": (390, 844)}
PDF_SCALE = 1.4  # pixels per PDF point: A4 at about 100 dpi, readable and small
COLOURS = 128


def signals(home: Path, *args: str) -> None:
    """Run a ``signals`` command with ``home`` as its home (and working folder: no other sources file)."""
    env = {**os.environ, "SIGNALS_HOME": str(home), "PYTHONPATH": str(ROOT)}
    env.pop("SIGNALS_CONFIG", None)
    env.pop("SIGNALS_SOURCES_FILE", None)
    print("$ signals", " ".join(args), flush=True)
    subprocess.run([sys.executable, "-m", "signals.cli", *args], cwd=home, env=env, check=True)


def newest(folder: Path, pattern: str) -> Path:
    found = sorted(folder.glob(pattern), key=lambda p: p.stat().st_mtime)
    if not found:
        raise SystemExit(f"error: nothing matches {pattern} in {folder}")
    return found[-1]


def save_small(image: Image.Image, path: Path) -> None:
    image.convert("RGB").quantize(colors=COLOURS, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


def shoot_brief(brief: Path, out: Path) -> list[Path]:
    """The brief as a browser shows it, whole page, at each width; fails if it scrolls sideways."""
    from playwright.sync_api import sync_playwright

    written = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        for name, (width, height) in WIDTHS.items():
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(brief.as_uri())
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            if overflow > 0:
                print(f"warning: the brief scrolls sideways by {overflow} px at {width} px", file=sys.stderr)
            raw = out / f"brief-{name}.raw.png"
            page.screenshot(path=str(raw), full_page=True)
            target = out / f"brief-{name}.png"
            with Image.open(raw) as image:
                save_small(image, target)
            raw.unlink()
            written.append(target)
        browser.close()
    return written


def shoot_pdf(pdf: Path, out: Path) -> list[Path]:
    import pypdfium2 as pdfium

    written = []
    document = pdfium.PdfDocument(str(pdf))
    for n, page in enumerate(document, 1):
        target = out / f"report-page-{n}.png"
        save_small(page.render(scale=PDF_SCALE).to_pil(), target)
        written.append(target)
    document.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", type=Path, help="the demo's home (default: a temporary folder)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--reuse", action="store_true", help="keep a demo already run in --home")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="signals-screenshots-") as temporary:
        home = (args.home or Path(temporary)).resolve()
        home.mkdir(parents=True, exist_ok=True)
        briefs = home / "archive" / "briefs"
        if args.reuse and briefs.is_dir():
            week = newest(briefs, "brief-*.html").stem.removeprefix("brief-")
            signals(home, "brief", "--week", week, "--force")
        else:
            signals(home, "demo")
        signals(home, "report", "--force")
        args.out.mkdir(parents=True, exist_ok=True)
        for old in args.out.glob("*.png"):
            old.unlink()
        written = shoot_brief(newest(briefs, "brief-*.html"), args.out)
        written += shoot_pdf(newest(home / "archive" / "reports", "*.pdf"), args.out)
    total = sum(p.stat().st_size for p in written)
    for path in written:
        print(
            f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}  {path.stat().st_size // 1024} KiB"
        )
    print(f"{len(written)} screenshots, {total / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
