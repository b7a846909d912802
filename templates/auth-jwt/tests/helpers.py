"""Values and helpers shared by the test modules."""

from collections.abc import Callable

from app.core.config import Settings
from app.core.security import create_access_token
from app.models import User

PASSWORD = "correct horse battery staple 42"
HASH_PREFIX = "$argon2"

UserFactory = Callable[..., User]


def bearer(user: User, settings: Settings) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_access_token(user.id, settings)}"}
