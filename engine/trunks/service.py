"""Carrier trunks: where outbound calls leave and inbound calls come from."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import Conflict, Invalid
from engine.trunks.models import Trunk
from engine.uow import mark_pbx_changed
from engine.validation import HOST_RE, TRUNK_NAME_RE, check, number_text
from engine.messages import N_


def parse_host_port(text: str) -> tuple[str, int]:
    host, sep, port_text = text.rpartition(":")
    if not sep:
        host, port_text = text, "5060"
    check(HOST_RE, host, N_("carrier host"),
          N_("an IP address or host name, optionally with :PORT"))
    port = number_text(port_text)
    if port is None or not 0 < port < 65536:
        raise Invalid(N_("invalid carrier port %(port_text)r: a number from 1 to 65535",
                         port_text=port_text))
    return host, int(port_text)


def create_trunk(session: Session, name: str, host_port: str) -> Trunk:
    """Add a carrier trunk. Inbound calls from its address are trusted as the carrier's."""
    check(TRUNK_NAME_RE, name, N_("trunk name"),
          N_("lower-case letters, digits, '_' or '-', up to 32"))
    host, port = parse_host_port(host_port)
    if session.scalar(select(Trunk).where(Trunk.name == name)):
        raise Conflict(N_("a trunk named %(name)r already exists", name=name))
    trunk = Trunk(name=name, host=host, port=port)
    session.add(trunk)
    session.flush()
    mark_pbx_changed(session)
    return trunk


def list_trunks(session: Session) -> list[Trunk]:
    return list(session.scalars(select(Trunk).order_by(Trunk.id)))


def default_trunk(session: Session) -> Trunk | None:
    """Outbound calls leave through the first trunk created."""
    return session.scalar(select(Trunk).order_by(Trunk.id).limit(1))
