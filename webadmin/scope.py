"""What the signed-in user may configure: the one place IVR and audio pages load an instance.

Another account's instance and an instance the user does not administer both answer
404, so a URL never tells whether someone else's resource exists. Account owners
configure every instance of their account; an instance administrator only the
instances where they sit as an agent (how ``create_instance`` records its administrator).
"""
from __future__ import annotations

from flask import abort, g
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.accounts.models import Role, User
from engine.agents.models import Agent
from engine.instances.models import Instance

CONFIGURING_ROLES = (Role.OWNER, Role.INSTANCE_ADMIN)


def current_user(db: Session) -> User:
    user = db.get(User, g.user_id)
    if user is None or user.account_id != g.account_id:
        abort(404)
    if user.role not in CONFIGURING_ROLES:
        abort(403, "Only the account owner or an instance administrator configures instances.")
    return user


def configurable_instances(db: Session) -> list[Instance]:
    user = current_user(db)
    query = select(Instance).where(Instance.account_id == g.account_id).order_by(Instance.id)
    if user.role is Role.INSTANCE_ADMIN:
        query = query.where(Instance.id.in_(
            select(Agent.instance_id).where(Agent.user_id == user.id)))
    return list(db.scalars(query))


def load_instance(db: Session, instance_id: int) -> Instance:
    """The instance, if the signed-in user may configure it; 404 otherwise."""
    for instance in configurable_instances(db):
        if instance.id == instance_id:
            return instance
    abort(404)
