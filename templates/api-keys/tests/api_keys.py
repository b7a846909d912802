"""API keys of the test suite. The root conftest puts their digests in the
settings before it imports the application."""

import secrets

from app.core.api_keys import API_KEY_HEADER, hash_api_key

API_KEY = secrets.token_urlsafe(32)
OTHER_API_KEY = secrets.token_urlsafe(32)
API_KEY_HEADERS = {API_KEY_HEADER: API_KEY}


def api_key_test_environment() -> dict[str, str]:
    return {"API_KEY_HASHES": f"{hash_api_key(API_KEY)},{hash_api_key(OTHER_API_KEY)}"}
