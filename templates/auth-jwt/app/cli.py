"""Administrative commands.

    python -m app.cli create-admin --email admin@example.com

The password is read from standard input when that is not a terminal (one
line), otherwise prompted for twice without echo. It is never a command-line
argument, because other users on the host can read process arguments.
"""

import argparse
import getpass
import logging
import sys

from pydantic import ValidationError

from app.core.config import get_settings
from app.core.db import create_db_engine, create_session_factory
from app.core.password_policy import password_problem
from app.crud import EmailAlreadyRegisteredError, create_user
from app.schemas import UserCreate

logger = logging.getLogger("app.cli")


class CommandError(Exception):
    pass


def read_password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    password = getpass.getpass("Password: ")
    if getpass.getpass("Repeat password: ") != password:
        raise CommandError("Passwords do not match")
    return password


def build_user_create(email: str, password: str, min_length: int) -> UserCreate:
    try:
        user_in = UserCreate(email=email, password=password)
    except ValidationError as error:
        # Report field and message only: the error input would show the password.
        problems = "; ".join(
            f"{'.'.join(map(str, item['loc']))}: {item['msg']}"
            for item in error.errors()
        )
        raise CommandError(f"Invalid admin account: {problems}") from None
    problem = password_problem(password, user_in.email, min_length)
    if problem is not None:
        raise CommandError(problem)
    return user_in


def create_admin(email: str) -> None:
    settings = get_settings()
    user_in = build_user_create(email, read_password(), settings.PASSWORD_MIN_LENGTH)
    engine = create_db_engine(settings)
    try:
        with create_session_factory(engine)() as session:
            user = create_user(session, user_in, settings, is_admin=True)
    except EmailAlreadyRegisteredError:
        raise CommandError(
            f"A user with email {user_in.email} already exists"
        ) from None
    finally:
        engine.dispose()
    logger.info("Created admin %s with id %s", user.email, user.id)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m app.cli")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser(
        "create-admin", help="create an admin user with a password read from stdin"
    )
    create.add_argument("--email", required=True, help="email address of the admin")
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    args = build_parser().parse_args(argv)
    try:
        create_admin(args.email)
    except CommandError as error:
        logger.error("Error: %s", error)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
