"""Password rules for new accounts: a minimum length and a screen against
common, repetitive and account-derived passwords, without composition rules."""

# NOTE: a short built-in list. Screening against a breached-password corpus
# catches far more weak passwords.
COMMON_PASSWORDS = frozenset(
    {
        "password",
        "password1",
        "password12",
        "password123",
        "password1234",
        "passw0rd",
        "p@ssw0rd",
        "p@ssword",
        "passwordpassword",
        "12345678",
        "123456789",
        "1234567890",
        "12345678910",
        "123456789012",
        "123123123",
        "11111111",
        "00000000",
        "qwertyuiop",
        "qwerty123",
        "qwerty1234",
        "qwertyuiop123",
        "1q2w3e4r",
        "1q2w3e4r5t",
        "1qaz2wsx",
        "1qaz2wsx3edc",
        "zaq12wsx",
        "qazwsxedc",
        "asdfghjkl",
        "iloveyou",
        "iloveyou123",
        "iloveyouiloveyou",
        "sunshine",
        "princess",
        "football",
        "baseball",
        "superman",
        "starwars",
        "whatever",
        "trustno1",
        "welcome1",
        "welcome123",
        "letmein123",
        "letmeinletmein",
        "administrator",
        "adminadmin",
        "changeme123",
        "correcthorsebatterystaple",
        "thequickbrownfoxjumpsoverthelazydog",
    }
)
SEQUENCES = (
    "abcdefghijklmnopqrstuvwxyz",
    "01234567890",
    "qwertyuiopasdfghjklzxcvbnm",
)
MIN_DISTINCT_CHARACTERS = 4
MIN_EMAIL_PART_LENGTH = 4


def is_sequence(text: str) -> bool:
    return any(text in seq or text in seq[::-1] for seq in SEQUENCES)


def password_problem(password: str, email: str, min_length: int) -> str | None:
    """Return why the password is too weak for the account, or None if it passes."""
    if len(password) < min_length:
        return f"Password must be at least {min_length} characters long"
    folded = password.casefold()
    if folded in COMMON_PASSWORDS or is_sequence(folded):
        return "Password is too common. Choose a longer passphrase"
    if len(set(folded)) < MIN_DISTINCT_CHARACTERS:
        return "Password is too repetitive. Choose a longer passphrase"
    local_part = email.partition("@")[0].casefold()
    if len(local_part) >= MIN_EMAIL_PART_LENGTH and local_part in folded:
        return "Password must not contain the email address"
    return None
