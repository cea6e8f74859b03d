"""The demo call center ``make run`` creates on an empty database."""
from __future__ import annotations

import secrets
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.accounts.models import Account, Role
from engine.accounts.service import create_account, find_or_create_user
from engine.agents.passwords import generate_password, set_password
from engine.agents.service import create_agent, list_agents
from engine.instances.service import create_instance, list_instances
from engine.numbers.service import list_numbers
from engine.settings import Settings

DEMO_ACCOUNT, DEMO_DOMAIN, DEMO_NUMBER = "demo", "demo.localhost", "02150001000"


def _password_file(settings: Settings) -> Path:
    return Path(settings.var_dir) / "demo-password"


def _agent_password_file(settings: Settings) -> Path:
    return Path(settings.var_dir) / "demo-agent-passwords"


def ensure_demo(session: Session, settings: Settings) -> list[str]:
    """Create the demo (only if the database has no account); describe how to use it."""
    if session.scalar(select(Account).limit(1)) is None:
        account = create_account(session, DEMO_ACCOUNT, "payg")
        password = secrets.token_urlsafe(12)
        find_or_create_user(session, account, "admin", Role.OWNER, password=password)
        path = _password_file(settings)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(password + "\n")
        instance = create_instance(session, account, "Demo", DEMO_DOMAIN, DEMO_NUMBER,
                                   "landline", admin_name="admin",
                                   description="Created by make run").instance
        create_agent(session, instance, "caller", skill_groups={})
        # Each demo agent may sign in to the workbench at once.
        chosen = {}
        for agent in list_agents(session, instance):
            chosen[agent.extension] = generate_password()
            set_password(agent, chosen[agent.extension])
        path = _agent_password_file(settings)
        path.touch(mode=0o600)
        path.write_text("".join(f"{ext} {word}\n" for ext, word in chosen.items()))
    return describe(session, settings)


def describe(session: Session, settings: Settings) -> list[str]:
    lines = [f"web admin:  {settings.public_web_url}/"]
    password = _password_file(settings)
    if password.exists():
        lines.append(f"  sign in:  account {DEMO_ACCOUNT}, user admin, "
                     f"password {password.read_text().strip()}")
    host = "127.0.0.1" if settings.sip_bind == "0.0.0.0" else settings.sip_bind
    workbench = {}
    if _agent_password_file(settings).exists():
        workbench = dict(line.split(" ", 1) for line in
                         _agent_password_file(settings).read_text().splitlines() if " " in line)
    for instance in list_instances(session):
        numbers = ", ".join(n.digits for n in list_numbers(session, instance_id=instance.id))
        lines.append(f"instance {instance.name} ({instance.domain}): call {numbers} "
                     "(from the carrier trunk, or from any agent below)")
        lines.append(f"  workbench: {settings.public_web_url}/w/{instance.domain}/ "
                     "(agents sign in with their extension and workbench password)")
        for agent in list_agents(session, instance):
            lines.append(f"  agent {agent.extension} {agent.name}: SIP server {host}:"
                         f"{settings.sip_port}, user {agent.sip_username}, "
                         f"password {agent.sip_secret}")
            if agent.extension in workbench and instance.domain == DEMO_DOMAIN:
                lines.append(f"    workbench password {workbench[agent.extension]}")
    return lines
