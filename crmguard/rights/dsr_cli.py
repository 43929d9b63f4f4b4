"""``crmguard dsr``: intake, identity verification, execution, rejection, status, certificates."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from crmguard import key_store
from crmguard.rights import certificate, dsr


def _run(args: argparse.Namespace) -> int:
    from crmguard.rights import fulfil

    try:
        match args.dsr_command:
            case "intake":
                print(f"{dsr.intake_landing(args.batch_date)} new request(s) received")
            case "request":
                received = dt.datetime.fromisoformat(args.received_at) if args.received_at else None
                rid = dsr.intake_cli(args.customer, args.type, args.actor, received)
                print(f"request {rid} received; deadline {dsr.get(rid)['deadline_date']}")
            case "verify-identity":
                dsr.transition(args.request, "verified", args.actor, args.note)
                print(f"{args.request}: identity verified")
            case "reject":
                dsr.transition(args.request, "rejected", args.actor, args.reason)
                print(f"{args.request}: rejected ({args.reason})")
            case "complete":
                dsr.transition(args.request, "completed", args.actor, args.note)
                print(f"{args.request}: completed")
            case "execute":
                as_of = dt.date.fromisoformat(args.as_of) if args.as_of else None
                done = fulfil.execute(args.request, args.actor, as_of)
                print(f"{args.request}: {done['status']}")
                for key in ("package_path", "certificate_path"):
                    if done.get(key):
                        print(f"  {key.split('_')[0]}: {done[key]}")
            case "correct":
                from crmguard.rights.correction import record_correction

                record = record_correction(
                    args.request, args.source, args.column, args.value, args.actor
                )
                print(f"{args.request}: correction {record['correction_id']} recorded")
            case "suppress":
                done = fulfil.suppress_batch(args.batch_date)
                print(f"{len(done)} partition(s) of {args.batch_date} cleaned of erased customers")
            case "status":
                request = dsr.get(args.request)
                request.pop("customer_id", None)
                print(json.dumps(request, default=str, indent=2))
                for event in dsr.events(args.request):
                    print("  " + " -> ".join(str(e) for e in event[:2]), *event[2:])
            case "verify":
                problems = certificate.verify(Path(args.certificate), args.public_key)
                for problem in problems:
                    print(f"FAILED {problem}", file=sys.stderr)
                if problems:
                    return 1
                print(f"OK {args.certificate}: signature verifies")
    except (dsr.DsrError, key_store.KeyringError, ValueError) as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 2
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("dsr", help="data-subject requests (PIPL Art. 44-47)")
    sub = parser.add_subparsers(dest="dsr_command", required=True)
    intake = sub.add_parser("intake", help="receive the open requests of a landed batch")
    intake.add_argument("--batch-date", required=True)
    req = sub.add_parser("request", help="record a request received outside the CRM")
    req.add_argument("--customer", required=True, help="customer_id")
    req.add_argument("--type", required=True, choices=dsr.REQUEST_TYPES)
    req.add_argument("--received-at", help="ISO timestamp with offset (default now)")
    ident = sub.add_parser("verify-identity", help="received -> verified")
    reject = sub.add_parser("reject", help="close a request with a reason")
    reject.add_argument("--reason", required=True)
    complete = sub.add_parser("complete", help="in progress -> completed (answered elsewhere)")
    execute = sub.add_parser("execute", help="carry out a verified request")
    execute.add_argument("--as-of", help="date retention minimums are judged at (default today)")
    for p in (ident, reject, complete, execute):
        p.add_argument("request")
    for p in (ident, complete):
        p.add_argument("--note")
    for p in (req, ident, reject, complete, execute):
        p.add_argument("--actor", required=True)
    correct = sub.add_parser("correct", help="record the correction of a verified request")
    correct.add_argument("request")
    correct.add_argument("--source", required=True)
    correct.add_argument("--column", required=True)
    correct.add_argument("--value", required=True)
    correct.add_argument("--actor", required=True)
    correct.set_defaults(func=_run)
    suppress = sub.add_parser("suppress", help="remove erased customers from a new batch")
    suppress.add_argument("--batch-date", required=True)
    status = sub.add_parser("status", help="a request's state and history")
    status.add_argument("request")
    verify = sub.add_parser("verify", help="verify a deletion or purge certificate")
    verify.add_argument("certificate")
    verify.add_argument("--public-key", help="expected signer (hex); default: the keyring's")
    for p in (intake, req, ident, reject, complete, execute, suppress, status, verify):
        p.set_defaults(func=_run)
