"""Take the README's picture of the demo: its live view in a real terminal, as a PNG.

    .venv/bin/python scripts/demo_picture.py [--at 11] [--out docs/images/demo.png]

``embedshift demo`` runs in a tmux session of 124 x 34 cells (its own, named for this
script's process, killed at the end); once the live view shows the first canary (or at
``--at`` seconds), the pane is captured with its colours and drawn cell by cell with DejaVu
Sans Mono (the font matplotlib ships), so the picture is what a terminal showed, not a
mock-up. Needs tmux.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import matplotlib as mpl
from PIL import Image, ImageDraw, ImageFont
from rich.color import Color
from rich.console import Console
from rich.terminal_theme import MONOKAI
from rich.text import Text

ROOT = Path(__file__).resolve().parent.parent
COLUMNS, ROWS = 124, 34
FONT_SIZE = 15
PAD = 16


def capture(embedshift: str, at_s: float, workdir: Path) -> str:
    """The demo's pane, with escape codes, once canary shows (or at ``at_s`` seconds)."""
    session = f"embedshift-picture-{os.getpid()}"
    command = f"cd {shlex.quote(str(workdir))} && {shlex.quote(embedshift)} demo; sleep 30"
    _tmux("new-session", "-d", "-s", session, "-x", str(COLUMNS), "-y", str(ROWS), command)
    try:
        started = time.monotonic()
        pane = ""
        while time.monotonic() - started < at_s + 30:
            time.sleep(0.5)
            pane = _tmux("capture-pane", "-p", "-e", "-t", session)
            if "mode: canary" in pane or time.monotonic() - started >= at_s:
                break
        return pane
    finally:
        _tmux("kill-session", "-t", session)


def _tmux(*args: str) -> str:
    """Run one tmux command (the session this script made); its output."""
    env = {**os.environ, "TERM": "xterm-256color"}
    done = subprocess.run(  # noqa: S603 - tmux with this script's own arguments
        ["tmux", *args],  # noqa: S607 - tmux from PATH, checked in main()
        check=False,
        capture_output=True,
        text=True,
        env=env,
    )
    return done.stdout


def _rgb(color: Color | None, default: tuple[int, int, int]) -> tuple[int, int, int]:
    if color is None or color.is_default:
        return default
    triplet = color.get_truecolor(MONOKAI)
    return (triplet.red, triplet.green, triplet.blue)


def render(pane: str, out: Path) -> None:
    """Draw the captured pane, cell by cell, into a PNG."""
    fonts = Path(mpl.get_data_path()) / "fonts" / "ttf"
    regular = ImageFont.truetype(str(fonts / "DejaVuSansMono.ttf"), FONT_SIZE)
    bold = ImageFont.truetype(str(fonts / "DejaVuSansMono-Bold.ttf"), FONT_SIZE)
    cell_w = round(regular.getlength("M"))
    _, top, _, bottom = regular.getbbox("┃")  # box-drawing lines must join from row to row
    cell_h = int(bottom - top)
    lines = pane.rstrip("\n").split("\n")
    background = (
        MONOKAI.background_color.red,
        MONOKAI.background_color.green,
        MONOKAI.background_color.blue,
    )
    foreground = (
        MONOKAI.foreground_color.red,
        MONOKAI.foreground_color.green,
        MONOKAI.foreground_color.blue,
    )
    image = Image.new(
        "RGB", (COLUMNS * cell_w + 2 * PAD, len(lines) * cell_h + 2 * PAD), background
    )
    draw = ImageDraw.Draw(image)
    for row, line in enumerate(lines):
        text = Text.from_ansi(line)
        y = PAD + row * cell_h
        for column, char in enumerate(text.plain):
            style = text.get_style_at_offset(_console(), column)
            x = PAD + column * cell_w
            back = _rgb(style.bgcolor, background)
            if back != background:
                draw.rectangle((x, y, x + cell_w, y + cell_h), fill=back)
            if char != " ":
                box = "\u2500" <= char <= "\u257f"  # drawn bold: thin lines vanish when scaled
                font = bold if style.bold or box else regular
                draw.text((x, y - top), char, font=font, fill=_rgb(style.color, foreground))
    out.parent.mkdir(parents=True, exist_ok=True)
    image.save(out, optimize=True)


def _console() -> Console:
    """A console of the pane's width, for reading styles back."""
    return Console(width=COLUMNS, color_system="truecolor")


def main() -> int:
    """Capture and draw; prints where the picture went."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--at", type=float, default=11.0, help="capture at most this late (s)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images" / "demo.png")
    parser.add_argument("--embedshift", default=str(ROOT / ".venv" / "bin" / "embedshift"))
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        print("demo_picture: tmux not found (apt-get install tmux)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="embedshift-picture-") as tmp:
        pane = capture(args.embedshift, args.at, Path(tmp))
    render(pane, args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
