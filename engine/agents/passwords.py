"""Agents' workbench sign-in: passwords, one-time invitations, and the sign-in check.

An agent signs in on its instance's workbench with its extension and a password that
an administrator set, or that the agent chose through an invitation link. Repeated
failures lock that extension's sign-in from that address, as for the web admin.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.accounts import signin
from engine.agents.models import Agent, AgentInvitation
from engine.db import utcnow
from engine.errors import DomainError, Invalid, NotFound
from engine.instances.models import Instance
from engine.messages import N_
from engine.security.passwords import hash_password, verify_password

PASSWORD_MIN = 8
PASSWORD_MAX = 128
INVITATION_LIFETIME = timedelta(days=7)


class SignInRefused(DomainError):
    """Unknown instance, extension or password: the message never says which."""


class SignInLocked(DomainError):
    def __init__(self, until: datetime):
        super().__init__("too many failed sign-ins: try again later")
        self.until = until


def check_password(value: str) -> str:
    if not isinstance(value, str) or not PASSWORD_MIN <= len(value) <= PASSWORD_MAX:
        message = N_("a password has %(min)d to %(max)d characters", min=PASSWORD_MIN,
                     max=PASSWORD_MAX)
        raise Invalid(message, fields={"password": message})
    return value


def set_password(agent: Agent, password: str) -> None:
    agent.password_hash = hash_password(check_password(password))


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite(session: Session, agent: Agent, now: datetime | None = None) -> str:
    """A new one-time token for ``agent`` (earlier unused ones stop working)."""
    now = now or utcnow()
    for old in session.scalars(select(AgentInvitation).where(
            AgentInvitation.agent_id == agent.id, AgentInvitation.used_at.is_(None))):
        old.used_at = now
    token = secrets.token_urlsafe(24)
    session.add(AgentInvitation(agent_id=agent.id, token_hash=_token_hash(token),
                                expires_at=now + INVITATION_LIFETIME))
    session.flush()
    return token


def invitation_agent(session: Session, instance: Instance, token: str,
                     now: datetime | None = None) -> Agent:
    """The agent an unused, unexpired invitation of ``instance`` is for; NotFound otherwise."""
    now = now or utcnow()
    if not isinstance(token, str) or len(token) > 64:
        raise NotFound("no such invitation")
    invitation = session.scalar(
        select(AgentInvitation).join(Agent).where(
            AgentInvitation.token_hash == _token_hash(token),
            AgentInvitation.used_at.is_(None), AgentInvitation.expires_at > now,
            Agent.instance_id == instance.id))
    if invitation is None:
        raise NotFound("no such invitation, or it was used or has expired")
    return invitation.agent


def accept_invitation(session: Session, instance: Instance, token: str, password: str,
                      now: datetime | None = None) -> Agent:
    """The agent chooses a password with its invitation, which then stops working."""
    now = now or utcnow()
    agent = invitation_agent(session, instance, token, now)
    set_password(agent, password)
    session.scalar(select(AgentInvitation).where(
        AgentInvitation.token_hash == _token_hash(token))).used_at = now
    session.flush()
    return agent


def authenticate(session: Session, instance: Instance | None, domain: str, extension: str,
                 password: str, address: str) -> Agent:
    """The agent whose extension and password these are; SignInRefused or SignInLocked."""
    key = (f"w:{domain}", extension, address)
    until = signin.locked_until(session, *key)
    if until is not None:
        raise SignInLocked(until)
    agent = None
    if instance is not None and isinstance(extension, str):
        agent = session.scalar(select(Agent).where(
            Agent.instance_id == instance.id, Agent.extension == extension))
    # An unknown extension takes as long as a wrong password (verify_password).
    if verify_password(agent.password_hash if agent else None, password):
        signin.record_success(session, *key)
        return agent
    signin.record_failure(session, *key)
    raise SignInRefused("unknown extension or password")
