"""Skill groups: the queues agents answer from."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import validation
from engine.errors import Conflict, NotFound
from engine.instances.models import Instance
from engine.skillgroups.models import SkillGroup
from engine.uow import mark_pbx_changed

DEFAULT = "default"


def create_skill_group(session: Session, instance: Instance, name: str) -> SkillGroup:
    validation.name(name, "skill group name")
    if find_skill_group(session, instance, name) is not None:
        raise Conflict(f"skill group {name!r} already exists in {instance.domain}")
    group = SkillGroup(instance=instance, name=name)
    session.add(group)
    session.flush()
    mark_pbx_changed(session)
    return group


def find_skill_group(session: Session, instance: Instance, name: str) -> SkillGroup | None:
    return session.scalar(select(SkillGroup).where(
        SkillGroup.instance_id == instance.id, SkillGroup.name == name))


def get_skill_group(session: Session, instance: Instance, name: str) -> SkillGroup:
    group = find_skill_group(session, instance, name)
    if group is None:
        raise NotFound(f"unknown skill group {name!r} in {instance.domain}")
    return group


def list_skill_groups(session: Session, instance: Instance) -> list[SkillGroup]:
    return list(session.scalars(
        select(SkillGroup).where(SkillGroup.instance_id == instance.id).order_by(SkillGroup.id)))
