"""Rate limits for the authentication routes.

Login is limited per client address by slowapi and per account here, so an
attacker who rotates addresses still gets few guesses at one account.
"""

import hashlib
import hmac

from limits import parse

from app.core.config import Settings, get_settings
from app.core.rate_limit import limiter, retry_after_seconds, too_many_requests

ACCOUNT_LIMIT_NAMESPACE = "login-account"


def login_rate_limit() -> str:
    return get_settings().LOGIN_RATE_LIMIT


def register_rate_limit() -> str:
    return get_settings().REGISTER_RATE_LIMIT


def account_key(account: str, settings: Settings) -> str:
    """Keyed hash of the account name, so the limiter storage contains no emails."""
    message = f"{ACCOUNT_LIMIT_NAMESPACE}:{account.casefold()}".encode()
    key = settings.SECRET_KEY.get_secret_value().encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def enforce_login_account_limit(account: str, settings: Settings) -> None:
    """Count one login attempt for the account, and raise 429 when over the limit."""
    item = parse(settings.LOGIN_ACCOUNT_RATE_LIMIT)
    identifiers = (ACCOUNT_LIMIT_NAMESPACE, account_key(account, settings))
    if limiter.limiter.hit(item, *identifiers):
        return
    raise too_many_requests(
        retry_after_seconds(item, *identifiers),
        detail="Too many login attempts for this account. Try again later",
    )
