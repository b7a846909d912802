"""API keys for the LLM routes, configured as SHA-256 digests.

Keys are random values of at least 32 bytes, so a fast unsalted hash suffices:
unlike a password, such a key cannot be guessed from its digest, and a slow
hash would only add CPU time to every request. The settings contain only the
digests, so a leaked configuration does not leak usable keys.

Create a key and its digest with:

    python -m app.llm.api_keys
"""

import hashlib
import hmac
import secrets
import sys
from collections.abc import Sequence

API_KEY_HEADER = "X-API-Key"
KEY_BYTES = 32
# Digest characters in caller ids, for logs and token budgets. The first 64
# bits of the digest identify a key without revealing it.
KEY_ID_CHARS = 16


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def match_api_key(key: str, digests: Sequence[str]) -> str | None:
    """Return the id of the configured key that matches, or None.

    Every digest is compared in constant time, so the response time does not
    tell which digest, or how much of one, matched.
    """
    presented = hash_api_key(key)
    matched = None
    for digest in digests:
        if hmac.compare_digest(presented, digest):
            matched = digest
    return None if matched is None else matched[:KEY_ID_CHARS]


def main() -> None:
    key = secrets.token_urlsafe(KEY_BYTES)
    sys.stdout.write(
        f"API key (give it to the client): {key}\n"
        f"Add to LLM_API_KEY_HASHES: {hash_api_key(key)}\n"
    )


if __name__ == "__main__":
    main()
