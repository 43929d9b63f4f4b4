"""Approved unmasking: a request, two signed approvals by distinct roles, then a timed grant.

``crmguard unmask request`` records who wants which C1 columns of which customer and why;
``crmguard unmask approve`` adds an Ed25519 signature of one approver (public keys in
``config/rights.yaml``) over the canonical request, the approver and the signing time;
``crmguard unmask reveal`` checks the access log, every signature, that distinct approvers hold
every required role and that the grant (from the last approval, ``grant_hours`` long) is open,
and only then decrypts the values from the vault and logs the reveal. Requests live in
``lake/rights/unmask/<id>.json`` (0600); editing one breaks its signatures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import secrets
import sys
from pathlib import Path

from crmguard import key_store
from crmguard.paths import PRIVATE_FILE_MODE, ensure_private_dir, layout
from crmguard.rights import access_log, layers
from crmguard.rights.access_log import canonical
from crmguard.rights.policy import RightsPolicy, UnmaskPolicy, rights_policy

# an approval signed "later" than now would stretch its grant: refused beyond this skew
CLOCK_SKEW = dt.timedelta(minutes=5)


class UnmaskError(ValueError):
    """The request cannot proceed; nothing was decrypted."""


def _requests_dir() -> Path:
    return layout().rights / "unmask"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _write(record: dict) -> Path:
    folder = ensure_private_dir(_requests_dir())
    path = folder / f"{record['request']['request_id']}.json"
    tmp = folder / f".{path.name}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(record, fh, ensure_ascii=False, indent=2)
    os.replace(tmp, path)
    return path


def load_request(request_id: str) -> dict:
    path = _requests_dir() / f"{request_id}.json"
    if "/" in request_id or not path.is_file():
        raise UnmaskError(f"unmask request {request_id!r} not found in {_requests_dir()}")
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(record["request"]["request_id"], str):
            raise TypeError("request_id")
        if not isinstance(record["approvals"], list):
            raise TypeError("approvals")
    except (ValueError, KeyError, TypeError) as exc:
        raise UnmaskError(f"{path}: malformed request file ({type(exc).__name__})") from None
    return record


def _policy(policy: RightsPolicy | None) -> UnmaskPolicy:
    return (policy or rights_policy()).unmask


def request_unmask(
    customer_id: str,
    columns: list[str],
    purpose: str,
    requester: str,
    policy: RightsPolicy | None = None,
    now: dt.datetime | None = None,
) -> dict:
    """Open a request; the customer must be known and the columns must be vaulted (C1)."""
    rules = _policy(policy)
    if purpose not in rules.purposes:
        raise UnmaskError(f"purpose {purpose!r} is not one of {rules.purposes}")
    if not columns:
        raise UnmaskError("name at least one column")
    token = key_store.token_for(customer_id, "CUSTOMER_ID")
    rows = layers.vault_rows(token)
    if not rows:
        if token not in key_store.read_salts() and layers.customer_known(token):
            raise UnmaskError(f"customer {customer_id}: vault key shredded, nothing to reveal")
        raise UnmaskError(f"customer {customer_id}: unknown (no vault entry for this customer)")
    vaulted = sorted({c for r in rows for c in r["columns"]})
    unknown = [c for c in columns if c not in vaulted]
    if unknown:
        raise UnmaskError(f"columns {unknown} are not vaulted for this customer (have {vaulted})")
    at = now or _now()
    request = {
        "request_id": f"UM-{at:%Y%m%d}-{secrets.token_hex(4)}",
        "customer_token": token,
        "columns": sorted(set(columns)),
        "purpose": purpose,
        "requester": requester,
        "requested_at": at.isoformat(),
    }
    _write({"request": request, "approvals": []})
    access_log.append(
        "unmask_request",
        actor=requester,
        purpose=purpose,
        subject=token,
        details={"request_id": request["request_id"], "columns": request["columns"]},
    )
    return request


def _signed_message(request: dict, approver: str, role: str, signed_at: str) -> bytes:
    return canonical(
        {"request": request, "approver": approver, "role": role, "signed_at": signed_at}
    )


def _public_key(hex_key: str):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    return Ed25519PublicKey.from_public_bytes(bytes.fromhex(hex_key))


def _public_hex(private_key) -> str:
    from cryptography.hazmat.primitives import serialization

    return (
        private_key.public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        .hex()
    )


def read_private_key(path: Path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise UnmaskError(
            f"{path}: not a readable PEM private key ({type(exc).__name__})"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise UnmaskError(f"{path}: not an Ed25519 key")
    return key


def approve(
    request_id: str,
    approver: str,
    key_path: Path,
    policy: RightsPolicy | None = None,
    now: dt.datetime | None = None,
) -> dict:
    """Add ``approver``'s signed approval; refuses an unknown approver, a key that is not
    theirs, the requester, and a second approval by the same person."""
    rules = _policy(policy)
    record = load_request(request_id)
    request = record["request"]
    entry = rules.approvers.get(approver)
    if entry is None:
        raise UnmaskError(f"{approver!r} is not an approver in rights.yaml")
    key = read_private_key(key_path)
    if _public_hex(key) != entry.public_key:
        raise UnmaskError(f"{key_path}: this key does not belong to approver {approver}")
    if approver == request["requester"]:
        raise UnmaskError(f"{approver} requested {request_id} and cannot approve it")
    if any(a["approver"] == approver for a in record["approvals"]):
        raise UnmaskError(f"{approver} has already approved {request_id}: one approval per person")
    signed_at = (now or _now()).isoformat()
    signature = key.sign(_signed_message(request, approver, entry.role, signed_at)).hex()
    approval = {
        "approver": approver,
        "role": entry.role,
        "signed_at": signed_at,
        "signature": signature,
    }
    record["approvals"].append(approval)
    _write(record)
    access_log.append(
        "unmask_approve",
        actor=approver,
        purpose=request["purpose"],
        subject=request["customer_token"],
        details={"request_id": request_id, "role": entry.role},
    )
    return approval


def check_grant(record: dict, rules: UnmaskPolicy, now: dt.datetime) -> list[dict]:
    """The valid approvals of an open grant; raises :class:`UnmaskError` naming what fails."""
    from cryptography.exceptions import InvalidSignature

    request = record["request"]
    rid = request["request_id"]
    seen: set[str] = set()
    valid: list[dict] = []
    for approval in record["approvals"]:
        name = approval.get("approver")
        entry = rules.approvers.get(name)
        if entry is None:
            raise UnmaskError(f"{rid}: approval by {name!r}, who is not an approver")
        if name in seen:
            raise UnmaskError(f"{rid}: {name} approved twice; one approval per person")
        if name == request["requester"]:
            raise UnmaskError(f"{rid}: the requester {name} cannot approve")
        if approval.get("role") != entry.role:
            raise UnmaskError(f"{rid}: approval by {name} claims role {approval.get('role')!r}")
        try:
            _public_key(entry.public_key).verify(
                bytes.fromhex(approval["signature"]),
                _signed_message(request, name, entry.role, approval["signed_at"]),
            )
        except (InvalidSignature, ValueError, KeyError, TypeError):
            raise UnmaskError(
                f"{rid}: the approval by {name} does not verify (forged, or the request or the "
                "approval was edited after signing)"
            ) from None
        seen.add(name)
        valid.append(approval)
    roles = {a["role"] for a in valid}
    missing = [r for r in rules.required_roles if r not in roles]
    if missing or len(seen) < len(rules.required_roles):
        raise UnmaskError(f"{rid}: not approved yet: missing role(s) {missing or '(distinct)'}")
    signed = [dt.datetime.fromisoformat(a["signed_at"]) for a in valid]
    granted = max(signed)
    requested = dt.datetime.fromisoformat(request["requested_at"])
    if min(signed) < requested:
        raise UnmaskError(f"{rid}: an approval predates the request")
    if granted > now + CLOCK_SKEW:
        raise UnmaskError(f"{rid}: an approval is dated in the future ({granted.isoformat()})")
    expires = granted + dt.timedelta(hours=rules.grant_hours)
    if now > expires:
        raise UnmaskError(
            f"{rid}: grant expired at {expires.isoformat()} (open {rules.grant_hours} h)"
        )
    return valid


def reveal(
    request_id: str,
    actor: str | None = None,
    policy: RightsPolicy | None = None,
    now: dt.datetime | None = None,
) -> dict:
    """The approved columns' clear values (newest batch per source), logged; every check first."""
    rules = _policy(policy)
    try:
        access_log.require_intact()
    except access_log.AccessLogTampered as exc:
        raise UnmaskError(f"access log broken, nothing decrypted: {exc}") from None
    record = load_request(request_id)
    request = record["request"]
    valid = check_grant(record, rules, now or _now())
    token = request["customer_token"]
    if token not in key_store.read_salts():
        raise UnmaskError(f"{request_id}: the customer's vault key is shredded; nothing to reveal")
    rows = layers.vault_rows(token)
    newest: dict[str, str] = {}
    for row in rows:
        newest.setdefault(row["source"], row["batch_date"])
    chosen = [r for r in rows if r["batch_date"] == newest[r["source"]]]
    values = [
        {
            "source": r["source"],
            "batch_date": r["batch_date"],
            "values": {c: v for c, v in r["values"].items() if c in request["columns"]},
        }
        for r in layers.decrypt_rows(token, chosen)
    ]
    access_log.append(
        "unmask_reveal",
        actor=actor or request["requester"],
        purpose=request["purpose"],
        subject=token,
        details={
            "request_id": request_id,
            "columns": request["columns"],
            "c1_clear": True,
            "rows": len(values),
            "approvers": [{"approver": a["approver"], "role": a["role"]} for a in valid],
        },
    )
    return {"request_id": request_id, "customer_token": token, "rows": values}


def keygen(approver: str) -> tuple[Path, str]:
    """A new Ed25519 key for ``approver`` in ``.secrets/approvers/`` (0600); returns the path and
    the public key (hex) to enter in rights.yaml. Never overwrites a key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    folder = ensure_private_dir(layout().secrets / "approvers")
    path = folder / f"{approver}.pem"
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    return path, _public_hex(key)


def _cli(args: argparse.Namespace) -> int:
    try:
        if args.unmask_command == "request":
            request = request_unmask(args.customer, args.columns, args.purpose, args.requester)
            print(f"request {request['request_id']} opened; needs approvals")
        elif args.unmask_command == "approve":
            approval = approve(args.request, args.approver, Path(args.key))
            print(f"{args.request}: approved by {approval['approver']} ({approval['role']})")
        elif args.unmask_command == "reveal":
            print(json.dumps(reveal(args.request, args.actor), ensure_ascii=False, indent=2))
        else:
            path, public = keygen(args.approver)
            print(f"private key: {path}\npublic key for rights.yaml: {public}")
    except (UnmaskError, key_store.ShreddedError, key_store.KeyringError) as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 2
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("unmask", help="approved unmasking of C1 values")
    sub = parser.add_subparsers(dest="unmask_command", required=True)
    req = sub.add_parser("request", help="open an unmask request")
    req.add_argument("--customer", required=True, help="customer_id")
    req.add_argument("--columns", required=True, type=lambda s: s.split(","), help="a,b")
    req.add_argument("--purpose", required=True)
    req.add_argument("--requester", required=True)
    app = sub.add_parser("approve", help="sign an approval with your Ed25519 key")
    app.add_argument("request")
    app.add_argument("--approver", required=True)
    app.add_argument("--key", required=True, help="PEM private key of the approver")
    rev = sub.add_parser("reveal", help="decrypt the approved values (logged)")
    rev.add_argument("request")
    rev.add_argument("--actor", help="who reveals (default the requester)")
    gen = sub.add_parser("keygen", help="a new approver key into .secrets/approvers/")
    gen.add_argument("--approver", required=True)
    for p in (req, app, rev, gen):
        p.set_defaults(func=_cli)
