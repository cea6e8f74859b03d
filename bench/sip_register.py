"""A SIP phone's registration with digest authentication (RFC 3261, RFC 2617 with
qop=auth), from a UDP socket the caller has bound: the contact is that socket's address."""
from __future__ import annotations

import hashlib
import re
import secrets
import socket


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def _request(ip: str, port: int, pbx: tuple[str, int], user: str, call_id: str,
             cseq: int, authorization: str = "") -> bytes:
    lines = [f"REGISTER sip:{pbx[0]}:{pbx[1]} SIP/2.0",
             f"Via: SIP/2.0/UDP {ip}:{port};branch=z9hG4bK-{secrets.token_hex(8)};rport",
             f"From: <sip:{user}@{pbx[0]}>;tag={call_id[:10]}",
             f"To: <sip:{user}@{pbx[0]}>",
             f"Call-ID: {call_id}",
             f"CSeq: {cseq} REGISTER",
             f"Contact: <sip:{user}@{ip}:{port}>",
             "Max-Forwards: 70", "Expires: 3600"]
    if authorization:
        lines.append(f"Authorization: {authorization}")
    return ("\r\n".join(lines + ["Content-Length: 0", "", ""])).encode()


def _answer(phone: socket.socket, call_id: str) -> str:
    """The final response to this Call-ID (provisional ones and strays skipped)."""
    while True:
        text = phone.recv(65535).decode(errors="replace")
        if f"Call-ID: {call_id}" in text and not text.startswith("SIP/2.0 1"):
            return text


def register(phone: socket.socket, pbx: tuple[str, int], user: str, password: str,
             attempts: int = 3) -> None:
    """REGISTER ``user``, answer the challenge; raise if the PBX does not say 200."""
    ip, port = phone.getsockname()
    for _ in range(attempts):
        call_id = secrets.token_hex(12)
        try:
            phone.sendto(_request(ip, port, pbx, user, call_id, 1), pbx)
            challenge = _answer(phone, call_id)
            fields = dict(re.findall(r'(\w+)="?([^",\r\n]+)"?',
                                     challenge.split("WWW-Authenticate: Digest", 1)[1]
                                     .split("\r\n", 1)[0]))
            uri, cnonce = f"sip:{pbx[0]}:{pbx[1]}", secrets.token_hex(8)
            digest = _md5(":".join([_md5(f"{user}:{fields['realm']}:{password}"),
                                    fields["nonce"], "00000001", cnonce, "auth",
                                    _md5(f"REGISTER:{uri}")]))
            authorization = (f'Digest username="{user}", realm="{fields["realm"]}", '
                             f'nonce="{fields["nonce"]}", uri="{uri}", response="{digest}", '
                             f'algorithm=MD5, cnonce="{cnonce}", qop=auth, nc=00000001'
                             + (f', opaque="{fields["opaque"]}"' if "opaque" in fields else ""))
            phone.sendto(_request(ip, port, pbx, user, call_id, 2, authorization), pbx)
            if _answer(phone, call_id).startswith("SIP/2.0 200"):
                return
        except (TimeoutError, IndexError, KeyError):
            continue
    raise RuntimeError(f"{user} could not register")
