"""What a landing batch folder delivers: the source files to ingest, and the files refused and why.

A file is read only if it is a regular file inside the landing root (a symlink is resolved and
must stay inside), it is the only file for its source (``customers.csv`` next to
``customers.CSV`` would make one write replace the other), and its first bytes look like text
(a ZIP, a spreadsheet or random bytes are refused as a whole file, with the reason, instead of
being decoded into thousands of junk rows). A refusal concerns that file; the rest of the batch
goes on, and the batch is reported incomplete.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from crmguard.batch_date import canonical_batch_date
from crmguard.config import landing_contract
from crmguard.paths import layout

FORMATS = {".csv": "csv", ".jsonl": "jsonl"}

# file signatures of the archives, documents and binaries a CRM export is mistaken for
_MAGIC = {
    b"PK\x03\x04": "a ZIP archive (or xlsx/docx)",
    b"PK\x05\x06": "an empty ZIP archive",
    b"PK\x07\x08": "a spanned ZIP archive",
    b"\x1f\x8b": "a gzip archive",
    b"BZh": "a bzip2 archive",
    b"\xfd7zXZ\x00": "an xz archive",
    b"7z\xbc\xaf\x27\x1c": "a 7-Zip archive",
    b"\x28\xb5\x2f\xfd": "a zstd archive",
    b"Rar!\x1a\x07": "a RAR archive",
    b"%PDF-": "a PDF document",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1": "an OLE2 document (xls/doc)",
    b"PAR1": "a Parquet file",
    b"SQLite format 3\x00": "an SQLite database",
    b"\x7fELF": "an ELF executable",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"\xff\xfe": "UTF-16 (little-endian BOM); the landing contract allows UTF-8 or GB18030",
    b"\xfe\xff": "UTF-16 (big-endian BOM); the landing contract allows UTF-8 or GB18030",
}
# How much of a file is sniffed, and the share of control bytes (NUL and C0 controls other than
# tab, LF, CR, ESC) above which it is binary. Text exports have none; random bytes have about
# 10 %, UTF-16 about 50 % NULs. A few NULs inside one record stay a record-level problem (the
# record is quarantined with its bytes), also in a file so short that they exceed the share.
SNIFF_BYTES = 65_536
BINARY_CONTROL_SHARE = 0.01
BINARY_CONTROL_MIN = 16
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 13, 27))


class LandingFileError(ValueError):
    """A landing file cannot be ingested at all (no header, unknown source, key column missing)."""


@dataclass(frozen=True)
class SourceFile:
    """A landing file accepted for ingestion."""

    source: str
    file: str  # name in the batch folder
    format: str
    path: Path  # as found in the batch folder (checked: it resolves inside the landing root)

    def as_dict(self) -> dict:
        return {"source": self.source, "file": self.file, "format": self.format}


@dataclass(frozen=True)
class RefusedFile:
    """A file in the batch folder that is not ingested, and why."""

    file: str
    source: str | None  # the contract source it would have delivered, if any
    reason: str

    def as_dict(self) -> dict:
        return {"source": self.source, "file": self.file, "reason": self.reason}


@dataclass
class BatchFolder:
    folder: Path
    files: list[SourceFile] = field(default_factory=list)
    refused: list[RefusedFile] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # not sources (e.g. expected.json)
    missing: list[str] = field(default_factory=list)  # contract sources with no file at all

    @property
    def complete(self) -> bool:
        return not self.refused and not self.missing

    def problems(self) -> list[str]:
        """One line per refused file and missing source, for logs and the CLI."""
        lines = [f"{self.folder / r.file}: refused: {r.reason}" for r in self.refused]
        lines += [f"{self.folder}: source {s} missing from landing" for s in self.missing]
        return lines


def landing_root(landing: str | Path) -> Path:
    root = Path(landing).expanduser()
    if not root.is_dir():
        raise LandingFileError(f"{root}: landing root is not a folder")
    return root.resolve()


def batch_folder_path(landing: str | Path, batch_date: str) -> Path:
    """The batch's folder, checked: a real date, a folder, inside the landing root."""
    day = canonical_batch_date(batch_date)
    root = landing_root(landing)
    folder = layout().landing_batch(day, root)
    if not folder.is_dir():
        raise LandingFileError(f"{folder}: no landing folder for batch {day}")
    resolved = folder.resolve()
    if not resolved.is_relative_to(root):
        raise LandingFileError(f"{folder}: batch folder is a link leaving the landing root {root}")
    return folder


def _source_of(name: str, sources: dict) -> tuple[str | None, str | None, str | None]:
    """(source, format, why the name is wrong) for a file name in the batch folder."""
    stem, dot, suffix = name.partition(".")
    fmt = FORMATS.get(f".{suffix.lower()}") if dot else None
    if stem in sources and fmt:
        return stem, fmt, None
    near = next((s for s in sources if s == stem.lower()), None)
    if near is None:
        return None, None, None
    expected = " or ".join(f"{near}{ext}" for ext in FORMATS)
    return near, None, f"mis-named source file: expected {expected}"


def sniff_binary(head: bytes) -> str | None:
    """Why the first bytes of a file say it is not a text export, or None."""
    for magic, what in _MAGIC.items():
        if head.startswith(magic):
            return f"{what}, not a CSV/JSONL text export (file signature {magic[:4]!r})"
    if not head:
        return None
    nul = head.count(0)
    control = sum(head.count(b) for b in _CONTROL)
    if control >= BINARY_CONTROL_MIN and control / len(head) > BINARY_CONTROL_SHARE:
        return (
            f"binary content: {control} control bytes ({nul} NUL) in its first {len(head)} "
            f"bytes ({control / len(head):.1%} > {BINARY_CONTROL_SHARE:.0%})"
        )
    return None


def _escaping_link(path: Path, root: Path) -> str | None:
    if not path.is_symlink():
        return None
    try:
        resolved = path.resolve(strict=True)
    except (FileNotFoundError, RuntimeError):
        return None  # a dangling link that names no source reads nothing
    if resolved.is_relative_to(root):
        return None
    return f"symbolic link resolving outside the landing root {root}; not followed"


def check_file(path: Path, root: Path) -> str | None:
    """Why ``path`` may not be read (link leaving ``root``, not a regular file, binary), or None."""
    try:
        resolved = path.resolve(strict=True)
    except (FileNotFoundError, RuntimeError):
        return "broken or looping symbolic link" if path.is_symlink() else "file not found"
    if not resolved.is_relative_to(root):
        return f"symbolic link resolving outside the landing root {root}; not followed"
    try:
        # O_NONBLOCK: a FIFO posing as an export must not hang the ingest on open
        fd = os.open(resolved, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except OSError as exc:
        return f"unreadable: {exc.strerror}"
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return "not a regular file"
        head = os.read(fd, SNIFF_BYTES)
    except OSError as exc:
        return f"unreadable: {exc.strerror}"
    finally:
        os.close(fd)
    return sniff_binary(head)


def scan_batch(landing: str | Path, batch_date: str) -> BatchFolder:
    """Sort a batch folder into accepted source files, refused files, skipped files, gaps."""
    folder = batch_folder_path(landing, batch_date)
    root = landing_root(landing)
    sources = landing_contract().sources
    scan = BatchFolder(folder)
    candidates: dict[str, list[SourceFile]] = {}
    for path in sorted(folder.iterdir()):
        source, fmt, misnamed = _source_of(path.name, sources)
        # a non-source is never read, but a link of it leaving the root is worth saying
        problem = check_file(path, root) if source else _escaping_link(path, root)
        if problem or misnamed:
            scan.refused.append(RefusedFile(path.name, source, problem or misnamed or ""))
        elif source and fmt:
            candidates.setdefault(source, []).append(SourceFile(source, path.name, fmt, path))
        else:
            scan.skipped.append(path.name)
    for source, files in sorted(candidates.items()):
        if len(files) == 1:
            scan.files.append(files[0])
            continue
        names = ", ".join(f.file for f in files)
        for f in files:
            scan.refused.append(
                RefusedFile(
                    f.file,
                    source,
                    f"{len(files)} files deliver source {source} ({names}); none ingested, "
                    "so neither replaces the other: deliver exactly one",
                )
            )
    named = {f.source for f in scan.files} | {r.source for r in scan.refused if r.source}
    scan.missing = sorted(set(sources) - named)
    scan.refused.sort(key=lambda r: r.file)
    return scan


def accepted_file(landing: str | Path, batch_date: str, file: str) -> SourceFile:
    """One file of the batch, checked as :func:`scan_batch` would (for per-file DAG tasks)."""
    folder = batch_folder_path(landing, batch_date)
    name = Path(file).name
    if Path(file).is_absolute() and Path(file).parent != folder:
        raise LandingFileError(f"{file}: not in the batch folder {folder}")
    scan = scan_batch(landing, batch_date)
    for accepted in scan.files:
        if accepted.file == name:
            return accepted
    for refused in scan.refused:
        if refused.file == name:
            raise LandingFileError(f"{folder / name}: refused: {refused.reason}")
    raise LandingFileError(f"{folder / name}: not a source file of the landing contract")
