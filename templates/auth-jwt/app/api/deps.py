"""Dependencies for authenticated routes: the current user and owned resources.

Owned resources are looked up with the owner in the query. Another user's id
gives the same 404 as a missing one, so ids cannot be probed.
"""

import uuid
from typing import Annotated, TypeVar

import jwt
from fastapi import Depends, HTTPException, Path, status
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import Select, select

from app.core.config import SettingsDep, get_settings
from app.core.db import SessionDep
from app.core.security import decode_access_token
from app.models import Document, StoredFile, User

oauth2_scheme = OAuth2PasswordBearer(tokenUrl=f"{get_settings().API_PREFIX}/auth/token")
TokenDep = Annotated[str, Depends(oauth2_scheme)]

RowT = TypeVar("RowT", bound=Document | StoredFile)


def credentials_error() -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail="Could not validate credentials",
        headers={"WWW-Authenticate": "Bearer"},
    )


def get_current_user(
    session: SessionDep, token: TokenDep, settings: SettingsDep
) -> User:
    try:
        user_id = decode_access_token(token, settings)
    except jwt.InvalidTokenError:
        raise credentials_error() from None
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise credentials_error()
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def visible_to(
    statement: Select[tuple[RowT]], model: type[RowT], user: User
) -> Select[tuple[RowT]]:
    """Restrict a query to rows that the user owns. Admins see every row."""
    if user.is_admin:
        return statement
    return statement.where(model.owner_id == user.id)


def get_owned_document(
    document_id: Annotated[uuid.UUID, Path(description="Document id")],
    session: SessionDep,
    current_user: CurrentUser,
) -> Document:
    statement = visible_to(
        select(Document).where(Document.id == document_id), Document, current_user
    )
    document = session.scalar(statement)
    if document is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="Document not found")
    return document


def get_owned_file(
    file_id: Annotated[uuid.UUID, Path(description="File id")],
    session: SessionDep,
    current_user: CurrentUser,
) -> StoredFile:
    statement = visible_to(
        select(StoredFile).where(StoredFile.id == file_id), StoredFile, current_user
    )
    stored_file = session.scalar(statement)
    if stored_file is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="File not found")
    return stored_file


OwnedDocument = Annotated[Document, Depends(get_owned_document)]
OwnedFile = Annotated[StoredFile, Depends(get_owned_file)]
