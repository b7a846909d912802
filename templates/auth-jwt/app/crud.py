"""User queries shared by the API and the command line."""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.core.config import Settings
from app.core.security import hash_password, verify_dummy_password, verify_password
from app.models import User
from app.schemas import UserCreate


class EmailAlreadyRegisteredError(Exception):
    pass


def get_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email.lower()))


def create_user(
    session: Session, user_in: UserCreate, settings: Settings, *, is_admin: bool = False
) -> User:
    """Insert a user, or raise EmailAlreadyRegisteredError if the email is taken."""
    user = User(
        email=user_in.email,
        hashed_password=hash_password(user_in.password, settings),
        full_name=user_in.full_name,
        is_admin=is_admin,
    )
    session.add(user)
    try:
        session.commit()
    except IntegrityError as error:
        session.rollback()
        raise EmailAlreadyRegisteredError(user_in.email) from error
    session.refresh(user)
    return user


def authenticate(
    session: Session, email: str, password: str, settings: Settings
) -> User | None:
    """Return the active user with this email and password, or None.

    Unknown emails cost one hash verification too, so response times do not tell
    which accounts exist. A hash with outdated parameters is replaced.
    """
    user = get_user_by_email(session, email)
    if user is None:
        verify_dummy_password(password, settings)
        return None
    verified, new_hash = verify_password(password, user.hashed_password, settings)
    if not verified or not user.is_active:
        return None
    if new_hash is not None:
        user.hashed_password = new_hash
        session.commit()
    return user
