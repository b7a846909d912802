"""User accounts."""

import uuid
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, status

from app.api.deps import CurrentUser, SessionDep
from app.models import User
from app.schemas import UserPublic

router = APIRouter(prefix="/users", tags=["users"])


@router.get("/me", response_model=UserPublic)
def read_current_user(current_user: CurrentUser) -> User:
    return current_user


@router.get("/{user_id}", response_model=UserPublic)
def read_user(
    user_id: Annotated[uuid.UUID, Path(description="User id")],
    session: SessionDep,
    current_user: CurrentUser,
) -> User:
    """Return a user to that user or to an admin, and 404 to everyone else."""
    if user_id == current_user.id:
        return current_user
    if current_user.is_admin:
        user = session.get(User, user_id)
        if user is not None:
            return user
    raise HTTPException(status.HTTP_404_NOT_FOUND, detail="User not found")
