"""Registration and OAuth2 password login."""

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError

from app.api.deps import SessionDep
from app.core.config import SettingsDep
from app.core.login_limit import (
    enforce_login_account_limit,
    login_rate_limit,
    register_rate_limit,
)
from app.core.password_policy import password_problem
from app.core.rate_limit import limiter
from app.core.security import create_access_token
from app.crud import EmailAlreadyRegisteredError, authenticate, create_user
from app.models import User
from app.schemas import LoginForm, Token, UserCreate, UserPublic

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/auth", tags=["auth"])


def checked_user_create(user_in: UserCreate, settings: SettingsDep) -> UserCreate:
    """Apply the password policy, which depends on PASSWORD_MIN_LENGTH."""
    problem = password_problem(
        user_in.password, user_in.email, settings.PASSWORD_MIN_LENGTH
    )
    if problem is not None:
        error = {"type": "password_policy", "loc": ("body", "password"), "msg": problem}
        raise RequestValidationError([error])
    return user_in


NewUser = Annotated[UserCreate, Depends(checked_user_create)]


# slowapi finds the client address through the parameter named `request`.
@router.post(
    "/register", status_code=status.HTTP_201_CREATED, response_model=UserPublic
)
@limiter.limit(register_rate_limit)
def register(
    request: Request, user_in: NewUser, session: SessionDep, settings: SettingsDep
) -> User:
    try:
        user = create_user(session, user_in, settings)
    except EmailAlreadyRegisteredError:
        raise HTTPException(
            status.HTTP_409_CONFLICT, detail="A user with this email already exists"
        ) from None
    logger.info("Registered user %s", user.id)
    return user


@router.post("/token")
@limiter.limit(login_rate_limit)
def login(
    request: Request,
    form: Annotated[LoginForm, Form()],
    session: SessionDep,
    settings: SettingsDep,
) -> Token:
    """Exchange email (as `username`) and password for a bearer access token."""
    enforce_login_account_limit(form.username, settings)
    user = authenticate(session, form.username, form.password, settings)
    if user is None:
        client = request.client.host if request.client else "unknown"
        logger.info("Failed login from %s", client)
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="Incorrect email or password",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return Token(
        access_token=create_access_token(user.id, settings),
        expires_in=settings.ACCESS_TOKEN_EXPIRE_MINUTES * 60,
    )
