"""Password hashing with Argon2id and signed JWT access tokens."""

import logging
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import jwt
from pwdlib import PasswordHash
from pwdlib.exceptions import UnknownHashError
from pwdlib.hashers.argon2 import Argon2Hasher

from app.core.config import Settings

logger = logging.getLogger(__name__)

# One fixed algorithm: a token's own `alg` header never selects how it is verified.
JWT_ALGORITHM = "HS256"
REQUIRED_CLAIMS = ["exp", "iat", "sub", "aud", "iss"]


@lru_cache(maxsize=4)
def build_password_hash(
    time_cost: int, memory_cost: int, parallelism: int
) -> PasswordHash:
    hasher = Argon2Hasher(
        time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism
    )
    return PasswordHash((hasher,))


def get_password_hash(settings: Settings) -> PasswordHash:
    return build_password_hash(
        settings.ARGON2_TIME_COST,
        settings.ARGON2_MEMORY_COST,
        settings.ARGON2_PARALLELISM,
    )


@lru_cache(maxsize=4)
def dummy_hash(password_hash: PasswordHash) -> str:
    """Hash of a random password, verified when the account does not exist so
    that the response takes as long as a wrong password."""
    return password_hash.hash(secrets.token_urlsafe(32))


def hash_password(password: str, settings: Settings) -> str:
    return get_password_hash(settings).hash(password)


def verify_password(
    password: str, hashed_password: str, settings: Settings
) -> tuple[bool, str | None]:
    """Check a password against its stored hash.

    Returns whether it matches and, when the hash uses outdated Argon2 parameters,
    a new hash that the caller should store.
    """
    try:
        return get_password_hash(settings).verify_and_update(password, hashed_password)
    except UnknownHashError:
        logger.error("Stored password hash has an unknown format")
        return False, None


def verify_dummy_password(password: str, settings: Settings) -> None:
    """Spend the same time as verify_password, for a login with an unknown email."""
    password_hash = get_password_hash(settings)
    password_hash.verify(password, dummy_hash(password_hash))


def create_access_token(user_id: uuid.UUID, settings: Settings) -> str:
    now = datetime.now(UTC)
    claims = {
        "sub": str(user_id),
        "iat": now,
        "exp": now + timedelta(minutes=settings.ACCESS_TOKEN_EXPIRE_MINUTES),
        "aud": settings.JWT_AUDIENCE,
        "iss": settings.JWT_ISSUER,
        "jti": uuid.uuid4().hex,
    }
    key = settings.SECRET_KEY.get_secret_value()
    return jwt.encode(claims, key, algorithm=JWT_ALGORITHM)


def decode_access_token(token: str, settings: Settings) -> uuid.UUID:
    """Verify a token and return the user id in its `sub` claim.

    Raises jwt.InvalidTokenError for a bad signature, another algorithm, an
    expired token, a wrong audience or issuer, or a missing claim.
    """
    claims = jwt.decode(
        token,
        settings.SECRET_KEY.get_secret_value(),
        algorithms=[JWT_ALGORITHM],
        audience=settings.JWT_AUDIENCE,
        issuer=settings.JWT_ISSUER,
        options={"require": REQUIRED_CLAIMS, "strict_aud": True},
    )
    try:
        return uuid.UUID(claims["sub"])
    except ValueError as error:
        raise jwt.InvalidTokenError("Subject is not a user id") from error
