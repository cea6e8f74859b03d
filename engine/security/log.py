"""Reading Asterisk's security log (res_security_log): which address failed to sign in.

Pure parsing, unit-tested on the PBX's own lines. One line looks like:

    [2026-12-02 15:01:06.910] SECURITY[18372] res_security_log.c:
    SecurityEvent="ChallengeResponseFailed",...,RemoteAddress="IPV4/UDP/127.0.0.9/5130",...
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import datetime, timezone

# What a stranger or a password guesser causes; successful logins and challenges
# merely sent are not failures, nor is a request the PBX refused because of a ban
# (FailedACL), which would keep a ban alive for ever.
FAILURES = frozenset({"InvalidAccountID", "ChallengeResponseFailed", "InvalidPassword",
                      "FailedAuthentication"})
FIELD = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
REMOTE = re.compile(r"^IPV[46]/(?:UDP|TCP|TLS|WS|WSS)/(.+)/(\d+)$")


@dataclass(frozen=True)
class Failure:
    event: str
    address: str
    account: str
    at: datetime  # UTC, naive, as the database keeps times


def parse_line(line: str) -> Failure | None:
    """The failed attempt a line records, or None (another event, or not a record)."""
    # Most lines are other events (each call may log some): skipped before the regex.
    if "SecurityEvent=" not in line or not any(f'"{name}"' in line for name in FAILURES):
        return None
    fields = dict(FIELD.findall(line))
    if fields.get("SecurityEvent") not in FAILURES:
        return None
    remote = REMOTE.match(fields.get("RemoteAddress", ""))
    if remote is None:
        return None
    try:
        address = str(ipaddress.ip_address(remote.group(1).strip("[]")))
        at = datetime.strptime(fields.get("EventTV", ""), "%Y-%m-%dT%H:%M:%S.%f%z")
    except ValueError:
        return None
    return Failure(fields["SecurityEvent"], address, fields.get("AccountID", ""),
                   at.astimezone(timezone.utc).replace(tzinfo=None))
