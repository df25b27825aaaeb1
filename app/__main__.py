"""Entry point `fundledger`: no subcommand opens the window, a subcommand runs the command line."""

from __future__ import annotations

import logging
import logging.handlers
import multiprocessing
import os
import sys
from pathlib import Path

# Qt seeds its hash tables at random per process, and its PDF engine embeds fonts in hash order: a fixed seed,
# set before Qt loads, keeps a re-created package's PDF byte for byte the one signed (see app/export/pdf.py).
os.environ.setdefault("QT_HASH_SEED", "0")


def log_dir() -> Path:
    base = os.environ.get("APPDATA") or os.environ.get("XDG_STATE_HOME")
    if not base:
        try:
            base = str(Path.home() / ".local" / "state")
        except RuntimeError:  # no home directory known (a bare service environment): the temporary folder
            import tempfile

            base = tempfile.gettempdir()
    folder = Path(base) / "FundLedger" / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class MaskingFormatter(logging.Formatter):
    """The whole formatted record (message and traceback) with ID and account numbers masked."""

    def format(self, record: logging.LogRecord) -> str:
        from app.models.values.privacy import mask_text

        return mask_text(super().format(record))


def setup_logging() -> None:
    """Rotating logs under the user's app-data folder; never personal identifiers (see docs)."""
    try:
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            log_dir() / "fundledger.log", maxBytes=1_000_000, backupCount=5, encoding="utf-8")
    except OSError:
        handler = logging.StreamHandler()
    handler.setFormatter(MaskingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])


def has_display() -> bool:
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("QT_QPA_PLATFORM"))


def main(argv: list[str] | None = None) -> int:
    # first of all: in the packaged program (PyInstaller) a worker process of verify (app/models/integrity/parallel.py,
    # started the 'spawn' way) is this same executable; freeze_support runs the worker and exits instead of the app
    multiprocessing.freeze_support()
    argv = list(sys.argv[1:] if argv is None else argv)
    from app.cli.console import fit_streams

    streams = fit_streams()  # before anything is printed: a pipe or file in code page 936/1252 must not kill a command
    setup_logging()
    if any("+" in s or s.startswith("utf-8-") for s in streams) or os.environ.get("FUNDLEDGER_LOG_STREAMS"):
        logging.getLogger(__name__).info("输出编码：stdout %s，stderr %s", *streams)
    from app.models.integrity import startup
    from app.models.store.book import sweep_temp_copies
    from app.models.values.errors import AppError

    sweep_temp_copies()  # temporary read-only copies left by a FundLedger that was killed: personal data
    try:
        startup.check_all()
    except AppError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    from app.cli import main as cli

    code = cli.run(argv)
    if code != -1:
        return code
    args = cli.build_parser().parse_args(argv)
    if not has_display():
        print("没有图形显示（DISPLAY 未设置），无法打开窗口：请在桌面环境中运行，或使用 xvfb-run -a fundledger。")
        return 2
    from app.ui.shell.app import run_gui

    return run_gui(demo=args.demo, path=args.open, read_only=args.read_only)


if __name__ == "__main__":
    multiprocessing.freeze_support()  # (again in main: the `fundledger` script enters there)
    sys.exit(main())
