"""Who may see and change what: every face loads resources through these functions.

A resource of another account is reported as not found (never "forbidden"), so a
user cannot even learn that it exists. Configuring needs the owner role, or the
instance administrator role for an instance the user administers. A refusal is a
``Forbidden`` domain error, which every face shows in its own way (403 in the API).
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.accounts.models import Role, User
from engine.agents.models import Agent
from engine.errors import Forbidden, NotFound  # noqa: F401 - Forbidden is this module's rule
from engine.instances.models import Instance
from engine.messages import N_

ACCOUNT_ROLES = (Role.OWNER,)  # may configure the account itself (create instances)
# May configure some instance: the owner every one, an instance administrator their own.
CONFIGURING_ROLES = (Role.OWNER, Role.INSTANCE_ADMIN)
# May supervise the live calls of the instances where they have a seat (the owner: all).
SUPERVISING_ROLES = (Role.INSTANCE_ADMIN, Role.SUPERVISOR)
# May see the reports of some instance (may_see_reports says which).
REPORTING_ROLES = (Role.OWNER, Role.REVIEWER, Role.INSTANCE_ADMIN)




def owned(session: Session, model, ident: int, account_id: int,
          instance_id: int | None = None):
    """Load ``model`` #``ident`` if it belongs to the account (and to the instance, if given).

    The model has an ``account_id`` column, or an ``instance_id`` one through which the
    account is found; raises NotFound otherwise, whatever the reason.
    """
    query = select(model).where(model.id == ident)
    # Its own account column first: a number has one, and may belong to no instance yet.
    if hasattr(model, "account_id"):
        query = query.where(model.account_id == account_id)
    elif hasattr(model, "instance_id"):
        query = query.join(Instance, Instance.id == model.instance_id).where(
            Instance.account_id == account_id)
    else:
        raise TypeError(f"{model.__name__} has no way to its account")
    if instance_id is not None:
        query = query.where((model.id if model is Instance else model.instance_id)
                            == instance_id)
    found = session.scalar(query)
    if found is None:
        raise NotFound(N_("no such %(value)s", value=model.__tablename__.replace('_', ' ')))
    return found


def administered_instance_ids(session: Session, user: User) -> set[int]:
    """Instances the user administers: create_instance gives each administrator a seat."""
    return set(session.scalars(select(Agent.instance_id).where(Agent.user_id == user.id)))


def administrators(session: Session, instance: Instance) -> list[str]:
    """Names of the users who administer the instance (the other side of the rule above)."""
    return list(session.scalars(select(User.name).join(Agent, Agent.user_id == User.id)
                                .where(Agent.instance_id == instance.id).distinct()
                                .order_by(User.name)))


def may_configure(session: Session, user: User, instance: Instance | None = None) -> bool:
    """Owners configure the whole account; instance administrators their instances only.

    Without an instance, the question is about the account itself (say, creating an
    instance), which only its owner may do.
    """
    if user.role in ACCOUNT_ROLES:
        return True
    if user.role is Role.INSTANCE_ADMIN and instance is not None:
        return instance.id in administered_instance_ids(session, user)
    return False


def may_see_reports(session: Session, user: User, instance: Instance) -> bool:
    """Reports judge agents: the account's owner and reviewers see every instance's, an
    instance administrator their instances' only, an agent none. Nobody sees another
    account's, and the platform's users (of no account) see none."""
    if user.account_id != instance.account_id:  # a platform user's is None
        return False
    if user.role in (Role.OWNER, Role.REVIEWER):
        return True
    if user.role is Role.INSTANCE_ADMIN:
        return instance.id in administered_instance_ids(session, user)
    return False


def check_see_reports(session: Session, user: User, instance: Instance) -> None:
    if not may_see_reports(session, user, instance):
        raise Forbidden(N_("the %(role_value)s role may not see this instance's reports",
                           role_value=user.role.value))


def check_see_wallboard(session: Session, user: User, instance: Instance) -> None:
    """The wallboard shows who does what right now: the account's owner, the instance's
    own administrators (who run the floor) and the supervisors given the instance (a
    seat in it) see it. A supervisor not given the instance does not know of it (not
    found); the other roles may not see it (forbidden)."""
    if may_configure(session, user, instance) or may_supervise(session, user, instance):
        return
    if user.role is Role.SUPERVISOR:
        raise NotFound(N_("no such %(value)s", value="instance"))
    raise Forbidden(N_("the %(role_value)s role may not see this instance's wallboard",
                       role_value=user.role.value))


def may_supervise(session: Session, user: User, instance: Instance) -> bool:
    """Listening to, coaching and taking over an instance's calls: its account's owner,
    and the administrators and supervisors given the instance (a seat in it)."""
    if user.account_id != instance.account_id:
        return False
    if user.role in ACCOUNT_ROLES:
        return True
    return user.role in SUPERVISING_ROLES and \
        instance.id in administered_instance_ids(session, user)


def check_supervise(session: Session, user: User, instance: Instance) -> None:
    """An administrator or a supervisor not given the instance does not know of it (not
    found); the other roles may not supervise at all (forbidden)."""
    if may_supervise(session, user, instance):
        return
    if user.account_id == instance.account_id and user.role not in SUPERVISING_ROLES:
        raise Forbidden(N_("the %(role_value)s role may not supervise calls",
                           role_value=user.role.value))
    raise NotFound(N_("no such %(value)s", value="instance"))


def check_configure(session: Session, user: User, instance: Instance | None = None) -> None:
    if not may_configure(session, user, instance):
        raise Forbidden(N_("the %(role_value)s role may not change this",
                           role_value=user.role.value))


def agent_to_act_on(session: Session, user: User, instance_id: int, agent_id: int) -> Agent:
    """The agent of the user's account and of that instance whose state or calls the user
    may change: its own seat, or any seat of an instance the user may configure (a
    supervisor signing out an agent who left). Not found otherwise; Forbidden for a
    seat of the account that is someone else's.
    """
    instance = owned(session, Instance, instance_id, user.account_id)
    agent = owned(session, Agent, agent_id, user.account_id, instance_id)
    if agent.user_id != user.id and not may_configure(session, user, instance):
        raise Forbidden(N_("the %(role_value)s role may not act for another agent",
                           role_value=user.role.value))
    return agent
