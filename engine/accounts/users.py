"""An account's users: created with a role by the owner, passwords that are not weak,
disabled or deleted (never the last owner), and their sessions ended on demand.

``actor`` is the signed-in user asking; None is the operator on the host (``ccc``), who
may do anything the rules below allow. Another account's user is NotFound, never
Forbidden, so nobody learns that it exists.
"""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import validation
from engine.access import ACCOUNT_ROLES
from engine.accounts.models import Account, ApiToken, Role, User
from engine.errors import Conflict, Forbidden, Invalid, NotFound
from engine.messages import N_
from engine.security.passwords import hash_password

# The roles an account's users may have (agents sign in to the workbench with their own
# password; suppliers and reviewers are not an account's users).
USER_ROLES = (Role.OWNER, Role.INSTANCE_ADMIN, Role.SUPERVISOR)
PASSWORD_MIN = 10
PASSWORD_MAX = 200
# The most used passwords that are long enough to pass the length rule.
COMMON_PASSWORDS = frozenset({
    "1234567890", "0123456789", "12345678910", "1234567891", "0987654321", "1111111111",
    "qwertyuiop", "1q2w3e4r5t", "password12", "password123", "password1234", "qwerty1234",
    "qwerty12345", "iloveyou12", "abcdefghij", "abc1234567", "a123456789", "princess12",
    "administrator", "admin12345", "welcome123", "changeme12", "letmein123", "passw0rd12",
    "zaq12wsxcde", "1qaz2wsx3edc", "asdfghjkl1", "football12", "sunshine12", "superman12",
})


def check_password(password, *names: str) -> str:
    """The password if it is not weak: 10 to 200 characters, not one repeated character,
    not a common password, and not the user's or the account's name in it. Invalid,
    on the password field, otherwise."""
    if not isinstance(password, str) or not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise Invalid(N_("a password has %(low)s to %(high)s characters",
                         low=PASSWORD_MIN, high=PASSWORD_MAX),
                      fields={"password": N_("%(low)s to %(high)s characters",
                                             low=PASSWORD_MIN, high=PASSWORD_MAX)})
    lowered = password.lower()
    weak = (len(set(password)) <= 2 or lowered in COMMON_PASSWORDS
            or any(name and len(name) >= 3 and name.lower() in lowered for name in names))
    if weak:
        raise Invalid(N_("this password is too easy to guess"),
                      fields={"password": N_("too easy to guess: a common password, one "
                                             "repeated character, or a name in it")})
    return password


def _check_owner(actor: User | None, account: Account) -> None:
    if actor is None:
        return
    if actor.account_id != account.id:
        raise NotFound(N_("no such user"))
    if actor.role not in ACCOUNT_ROLES:
        raise Forbidden(N_("the %(role_value)s role may not manage the account's users",
                           role_value=actor.role.value))


def _role(value) -> Role:
    try:
        role = Role(value)
    except ValueError:
        role = None
    if role not in USER_ROLES:
        raise Invalid(N_("a user's role is owner, instance_admin or supervisor"),
                      fields={"role": N_("owner, instance_admin or supervisor")})
    return role


def list_users(session: Session, actor: User | None, account: Account) -> list[User]:
    """The account's users, by name (its owner's view)."""
    _check_owner(actor, account)
    return list(session.scalars(select(User).where(User.account_id == account.id)
                                .order_by(User.name)))


def _row_id(value) -> int | None:
    """An id as a database row can have one (a URL may carry any integer)."""
    return value if isinstance(value, int) and not isinstance(value, bool) \
        and 0 < value < 2 ** 63 else None


def get_user(session: Session, actor: User | None, account: Account, user_id) -> User:
    """A user of the account by id (NotFound for anybody else's)."""
    _check_owner(actor, account)
    user = session.get(User, user_id) if _row_id(user_id) else None
    if user is None or user.account_id != account.id:
        raise NotFound(N_("no such user"))
    return user


def create_user(session: Session, actor: User | None, account: Account, name, role,
                password) -> User:
    """A new user of the account with a role and a password that is not weak."""
    _check_owner(actor, account)
    errors = validation.FieldErrors()
    if errors.check("name", validation.name, name, N_("user name")) is not None and \
            session.scalar(select(User).where(User.account_id == account.id,
                                              User.name == name)):
        errors.add("name", N_("a user named %(name)r already exists", name=name),
                   conflict=True)
    role = errors.check("role", _role, role)
    errors.check("password", check_password, password,
                 name if isinstance(name, str) else "", account.name)
    errors.raise_if_any()
    user = User(account_id=account.id, name=name, role=role,
                password_hash=hash_password(password))
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, actor: User | None, user: User, password) -> User:
    """A new password (the owner for anyone, a user for itself): every session of the
    user ends, the one asking included."""
    if actor is not None and actor.id != user.id:
        _check_owner(actor, user.account)
    check_password(password, user.name, user.account.name)
    user.password_hash = hash_password(password)
    end_sessions(session, user)
    return user


def _other_active_owners(session: Session, user: User) -> int:
    return session.scalar(select(func.count()).select_from(User).where(
        User.account_id == user.account_id, User.role == Role.OWNER,
        User.disabled.is_(False), User.id != user.id))


def _keep_an_owner(session: Session, user: User) -> None:
    if user.role == Role.OWNER and not user.disabled and not _other_active_owners(session, user):
        raise Conflict(N_("%(name)r is the account's last owner: make another user owner "
                          "first", name=user.name))


def set_disabled(session: Session, actor: User | None, user: User, disabled: bool) -> User:
    """Disable (no sign-in, no API token works, every session ends) or enable again."""
    _check_owner(actor, user.account)
    if disabled and not user.disabled:
        _keep_an_owner(session, user)
        user.disabled = True
        end_sessions(session, user)
    elif not disabled:
        user.disabled = False
    session.flush()
    return user


def set_role(session: Session, actor: User | None, user: User, role) -> User:
    """Change a user's role (an owner stays while it is the last one)."""
    _check_owner(actor, user.account)
    role = _role(role)
    if role != user.role:
        _keep_an_owner(session, user)
        user.role = role
        end_sessions(session, user)  # its pages were shown for the old role
    return user


def delete_user(session: Session, actor: User | None, user: User) -> None:
    """Remove the user, its tokens with it (the last owner stays)."""
    _check_owner(actor, user.account)
    _keep_an_owner(session, user)
    session.delete(user)
    session.flush()


def end_sessions(session: Session, user: User) -> None:
    """End every web session of the user: cookies issued before no longer sign in."""
    user.session_version = (user.session_version or 0) + 1
    session.flush()


# ---- API tokens ---------------------------------------------------------------------------

def list_tokens(session: Session, actor: User | None, account: Account) -> list[ApiToken]:
    """The account's tokens for its owner (and the operator); a user's own otherwise."""
    query = select(ApiToken).join(User).where(User.account_id == account.id)
    if actor is not None:
        if actor.account_id != account.id:
            raise NotFound(N_("no such account"))
        if actor.role not in ACCOUNT_ROLES:
            query = query.where(ApiToken.user_id == actor.id)
    return list(session.scalars(query.order_by(ApiToken.id)))


def revoke_token(session: Session, actor: User | None, account: Account, token_id) -> None:
    """Revoke a token at once: the owner any of the account's, a user its own."""
    token = session.get(ApiToken, token_id) if _row_id(token_id) else None
    if token is None or token.user.account_id != account.id \
            or (actor is not None and actor.account_id != account.id):
        raise NotFound(N_("no such token"))
    if actor is not None and token.user_id != actor.id and actor.role not in ACCOUNT_ROLES:
        raise Forbidden(N_("the %(role_value)s role may not revoke another user's token",
                           role_value=actor.role.value))
    session.delete(token)
    session.flush()


# ---- one shape for the API and `ccc --json` ----------------------------------------------

def user_as_dict(user: User) -> dict:
    return {"id": user.id, "name": user.name, "role": user.role.value,
            "disabled": user.disabled, "created_at": user.created_at.isoformat()}


def token_as_dict(token: ApiToken) -> dict:
    return {"id": token.id, "user": token.user.name, "hint": token.hint,
            "created_at": token.created_at.isoformat()}
