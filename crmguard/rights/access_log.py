"""The append-only, hash-chained access log of every access to clear or per-customer data.

One JSON object per line (``lake/audit/access_log.jsonl``, 0600). Each entry carries its
sequence number, the hash of the previous entry (``prev``), its own hash (SHA-256 over the
canonical JSON of every other field) and an HMAC of that hash under a key of the keyring
(``mac``), so editing, removing or reordering an entry breaks the chain, and rewriting the
whole chain is detected without the key. ``head.json`` beside it holds the MAC'ed last
(seq, hash): cutting entries off the end is detected too. ``crmguard audit verify`` names the
first broken entry.
"""

from __future__ import annotations

import argparse
import datetime as dt
import fcntl
import hmac
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from crmguard import key_store
from crmguard.evidence import sha256_hex
from crmguard.paths import PRIVATE_FILE_MODE, ensure_private_dir, layout

GENESIS = "0" * 64
HEAD = "head.json"
# what an entry holds besides its chain fields; ``details`` is free-form but never clear values
FIELDS = ("seq", "at", "event", "actor", "purpose", "subject", "details", "key_version", "prev")


class AccessLogTampered(RuntimeError):
    """The access log's chain is broken: the message names the first bad entry."""


def canonical(document: dict) -> bytes:
    """The one canonical byte form of a JSON document that is hashed or signed."""
    return json.dumps(
        document, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    ).encode("utf-8")


def _mac(key_version: int, digest: str) -> str:
    _, key = key_store.access_log_key(key_version)
    return hmac.new(key, digest.encode("ascii"), "sha256").hexdigest()


def log_path() -> Path:
    return layout().access_log


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    ensure_private_dir(path.parent)
    fd = os.open(path.parent / ".lock", os.O_WRONLY | os.O_CREAT, PRIVATE_FILE_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _lines(path: Path) -> list[str]:
    if not path.is_file():
        return []
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def append(
    event: str,
    *,
    actor: str,
    purpose: str | None,
    subject: str | None,
    details: dict | None = None,
) -> dict:
    """Append one entry (after checking the chain is intact) and return it."""
    path = log_path()
    with _locked(path):
        problems = verify(path)
        if problems:
            raise AccessLogTampered(f"{path}: refusing to append to a broken log: {problems[0]}")
        lines = _lines(path)
        last = json.loads(lines[-1]) if lines else None
        version, _ = key_store.access_log_key()
        entry = {
            "seq": (last["seq"] + 1) if last else 1,
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="microseconds"),
            "event": event,
            "actor": actor,
            "purpose": purpose,
            "subject": subject,
            "details": details or {},
            "key_version": version,
            "prev": last["hash"] if last else GENESIS,
        }
        entry["hash"] = sha256_hex(canonical(entry))
        entry["mac"] = _mac(version, entry["hash"])
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE_MODE)
        with os.fdopen(fd, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        head = {"seq": entry["seq"], "hash": entry["hash"], "key_version": version}
        head["mac"] = _mac(version, f"{head['seq']}:{head['hash']}")
        tmp = path.parent / f".{HEAD}.tmp"
        tmp.write_text(json.dumps(head), encoding="utf-8")
        os.chmod(tmp, PRIVATE_FILE_MODE)
        os.replace(tmp, path.parent / HEAD)
    return entry


def entries(path: Path | None = None) -> list[dict]:
    """Every entry, in order (raises :class:`AccessLogTampered` when the chain is broken)."""
    path = path or log_path()
    problems = verify(path)
    if problems:
        raise AccessLogTampered(f"{path}: {problems[0]}")
    return [json.loads(line) for line in _lines(path)]


def require_intact() -> None:
    """Raise :class:`AccessLogTampered` unless the log verifies (callers then decrypt)."""
    entries()


def _name(entry: dict, line: int) -> str:
    return f"entry seq {entry.get('seq')} (line {line}, {entry.get('event')}, {entry.get('at')})"


def verify(path: Path | None = None) -> list[str]:
    """Problems of the log, first broken entry first (empty when the chain is intact)."""
    return [message for message, _ in check(path or log_path())]


def first_broken_seq(path: Path | None = None) -> int | None:
    """Sequence number from which the chain cannot be trusted (None when it is intact)."""
    problems = check(path or log_path())
    return problems[0][1] if problems else None


def check(path: Path) -> list[tuple[str, int]]:
    """(problem, first untrusted seq) of the log; empty when the chain is intact."""
    lines = _lines(path)
    parsed: list[dict] = []
    for number, line in enumerate(lines, 1):
        try:
            entry = json.loads(line)
            if not isinstance(entry, dict):
                raise ValueError("not an object")
        except ValueError:
            return [(f"line {number}: not a JSON entry (edited)", number)]
        parsed.append(entry)
    seqs = [e.get("seq") for e in parsed]
    previous = GENESIS
    for number, entry in enumerate(parsed, 1):
        name = _name(entry, number)
        if entry.get("seq") != number:
            if number in seqs[number:]:
                return [
                    (f"{name}: out of order (entry seq {number} appears later): reordered", number)
                ]
            if number in seqs[: number - 1]:
                return [(f"{name}: out of order (follows a later entry): reordered", number)]
            return [
                (f"entry seq {number} removed: line {number} holds seq {entry.get('seq')}", number)
            ]
        body = {k: entry.get(k) for k in FIELDS}
        if set(entry) != {*FIELDS, "hash", "mac"}:
            return [(f"{name}: fields added or removed (edited)", number)]
        if sha256_hex(canonical(body)) != entry["hash"]:
            return [(f"{name}: content does not match its hash (edited)", number)]
        try:
            mac_ok = hmac.compare_digest(
                _mac(int(entry["key_version"]), entry["hash"]), entry["mac"]
            )
        except (key_store.KeyringError, TypeError, ValueError):
            mac_ok = False
        if not mac_ok:
            return [(f"{name}: MAC does not match (entry rewritten without the log key)", number)]
        if entry["prev"] != previous:
            return [
                (
                    f"{name}: previous-hash link broken (an entry before it was edited or removed)",
                    number,
                )
            ]
        previous = entry["hash"]
    head_path = path.parent / HEAD
    if parsed or head_path.exists():
        try:
            head = json.loads(head_path.read_text(encoding="utf-8"))
            head_ok = hmac.compare_digest(
                _mac(int(head["key_version"]), f"{head['seq']}:{head['hash']}"), head["mac"]
            )
        except (OSError, ValueError, KeyError, TypeError, key_store.KeyringError):
            return [
                (f"{head_path}: head record missing or unreadable (log replaced)", len(parsed) + 1)
            ]
        if not head_ok:
            return [(f"{head_path}: head record MAC does not match (edited)", len(parsed) + 1)]
        last_seq = parsed[-1]["seq"] if parsed else 0
        if head["seq"] != last_seq or (parsed and head["hash"] != parsed[-1]["hash"]):
            message = (
                f"entry seq {last_seq + 1} removed: the log ends at seq {last_seq} but its head "
                f"record names seq {head['seq']} (entries cut off the end)"
            )
            return [(message, last_seq + 1)]
    return []


def _verify_cli(args: argparse.Namespace) -> int:
    path = Path(args.log) if args.log else log_path()
    problems = verify(path)
    if problems:
        for problem in problems:
            print(f"FAILED {path}: {problem}", file=sys.stderr)
        return 1
    print(f"OK {path}: {len(_lines(path))} entries, chain and MACs intact")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("audit", help="the hash-chained access log")
    sub = parser.add_subparsers(dest="audit_command", required=True)
    verify_parser = sub.add_parser("verify", help="check the access log's chain; name a bad entry")
    verify_parser.add_argument("--log", help="log file (default lake/audit/access_log.jsonl)")
    verify_parser.set_defaults(func=_verify_cli)
    from crmguard.rights.access_review import register_report

    register_report(sub)
