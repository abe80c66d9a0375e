"""Where the project is."""

from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent.parent
