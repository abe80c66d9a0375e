"""The content files as they last loaded without errors, kept in the instance folder.

A start on files with errors serves this copy, so that a typo made while the site was down (or
before a restart) leaves the site showing what it showed, rather than nothing.
"""

import json
import os
import tempfile
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from openpositions.content.loader import content_files, fingerprint

# Beside the database and the secret key: the one folder the site's services may write.
FILE_NAME = "content-last-good.jsonl"
FORMAT = 1


class LastGoodContent:
    """A copy of each content file's text, name and modification time, in one file.

    JSON lines: first what the copy is (its version, when it was kept), then one line per file.
    The times are kept so that the copy, loaded, has the version the files had: the pages'
    ETags stay the same across a restart.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def kept_version(self) -> str | None:
        """The version of the content kept, or None if there is none that can be read."""
        try:
            with self.path.open(encoding="utf-8") as file:
                header = json.loads(file.readline())
        except (OSError, ValueError):
            return None
        version = header.get("version") if isinstance(header, dict) else None
        return version if isinstance(version, str) else None

    def keep(self, content_dir: Path, version: str, kept_at: datetime) -> bool:
        """Keep the files in `content_dir` if they are still those that loaded as `version`.

        False, keeping nothing, if any was edited since: the load that edit causes keeps it.
        """
        if self.kept_version() == version:
            return True  # Kept already, by this process or another (each worker loads).
        files: list[dict[str, Any]] = []
        stats: list[tuple[str, int, int]] = []
        for path in content_files(content_dir):
            try:
                with path.open("rb") as file:
                    # The time and size of the very bytes read, to compare with the version.
                    stat = os.fstat(file.fileno())
                    data = file.read()
            except FileNotFoundError:
                return False
            stats.append((path.name, stat.st_mtime_ns, stat.st_size))
            files.append(
                {
                    "name": path.relative_to(content_dir).as_posix(),
                    "modified_ns": stat.st_mtime_ns,
                    "text": data.decode("utf-8"),
                }
            )
        if fingerprint(stats) != version:
            return False
        header = {"format": FORMAT, "version": version, "kept_at": kept_at.isoformat()}
        lines = (json.dumps(entry, ensure_ascii=False) for entry in (header, *files))
        self._write("".join(f"{line}\n" for line in lines))
        return True

    def _write(self, text: str) -> None:
        # A new file renamed over the old one: a process starting meanwhile, or another worker
        # keeping the same content at the same moment, reads a whole copy, never half of one.
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, name = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                file.write(text)
                file.flush()
                os.fsync(file.fileno())  # On the disk before it replaces the last copy.
            os.replace(name, self.path)
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise

    def restore(self, folder: Path) -> datetime | None:
        """Write the kept files into `folder` as they were; when they were kept, or None.

        Raises OSError or ValueError if the copy cannot be read or is not one this site wrote.
        """
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            header, *files = (json.loads(line) for line in text.splitlines())
            if header.get("format") != FORMAT:
                raise ValueError("not a copy of content files in a format this site reads")
            for entry in files:
                _write_kept_file(folder, entry)
            return datetime.fromisoformat(header["kept_at"])
        except (AttributeError, KeyError, TypeError) as error:
            raise ValueError(f"not a copy of content files this site wrote ({error!r})") from None


def _write_kept_file(folder: Path, entry: dict[str, Any]) -> None:
    name = PurePosixPath(entry["name"])
    if not (name == PurePosixPath("site.yaml") or _is_position_file(name)):
        raise ValueError(f"{str(name)!r} is not a content file's name")
    path = folder.joinpath(*name.parts)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(entry["text"].encode("utf-8"))
    os.utime(path, ns=(entry["modified_ns"], entry["modified_ns"]))


def _is_position_file(name: PurePosixPath) -> bool:
    return (
        len(name.parts) == 2
        and name.parts[0] == "positions"
        and name.suffix == ".md"
        and not name.name.startswith(".")
    )
