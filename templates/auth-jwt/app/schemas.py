"""Request and response models.

Input models forbid unknown fields, so a client cannot set `is_admin` or
`owner_id`. Output models list every field they expose, so columns such as
`hashed_password` never reach a response.
"""

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

# Argon2 accepts any length, so the cap only bounds hashing work per request.
PASSWORD_MAX_LENGTH = 128

Password = Annotated[str, Field(min_length=1, max_length=PASSWORD_MAX_LENGTH)]
Title = Annotated[str, Field(min_length=1, max_length=200)]
Content = Annotated[str, Field(max_length=100_000)]


class TextInputModel(BaseModel):
    """Base of request models: no text field may contain a NUL character,
    because PostgreSQL cannot store one and no legitimate text contains it."""

    @field_validator("*")
    @classmethod
    def reject_nul_characters(cls, value: object) -> object:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value


class InputModel(TextInputModel):
    model_config = ConfigDict(extra="forbid")


class OutputModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# Users


class UserCreate(InputModel):
    email: EmailStr = Field(max_length=254)
    password: Password = Field(repr=False)
    full_name: str | None = Field(default=None, min_length=1, max_length=255)

    @field_validator("email")
    @classmethod
    def normalize_email(cls, value: str) -> str:
        return value.lower()


class UserPublic(OutputModel):
    id: uuid.UUID
    email: EmailStr
    full_name: str | None
    is_active: bool
    is_admin: bool
    created_at: datetime


class LoginForm(TextInputModel):
    """OAuth2 password grant form. Unknown fields are ignored, not rejected,
    because OAuth2 clients may also send `scope` or `client_id`."""

    grant_type: Literal["password"] | None = None
    username: str = Field(min_length=1, max_length=254)
    password: Password = Field(repr=False)


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (a token type, not a secret)
    expires_in: int = Field(description="Lifetime of the access token in seconds")


# Documents


class DocumentCreate(InputModel):
    title: Title
    content: Content = ""


class DocumentUpdate(InputModel):
    title: Title | None = None
    content: Content | None = None

    @field_validator("title", "content")
    @classmethod
    def reject_null(cls, value: str | None) -> str:
        # Runs only for fields present in the body: omit a field to keep it.
        if value is None:
            raise ValueError("must not be null. Omit the field to keep its value")
        return value


DocumentSort = Literal[
    "created_at", "-created_at", "updated_at", "-updated_at", "title", "-title"
]


class DocumentListParams(InputModel):
    """Query parameters of the document list. A leading `-` sorts descending."""

    limit: int = Field(default=20, ge=1, le=100)
    offset: int = Field(default=0, ge=0, le=10_000)
    sort: DocumentSort = "-created_at"
    q: str | None = Field(
        default=None, min_length=1, max_length=100, description="Title contains"
    )


class DocumentPublic(OutputModel):
    id: uuid.UUID
    owner_id: uuid.UUID
    title: str
    content: str
    created_at: datetime
    updated_at: datetime


class DocumentsPublic(BaseModel):
    data: list[DocumentPublic]
    count: int


# Files


class StoredFilePublic(OutputModel):
    id: uuid.UUID
    owner_id: uuid.UUID
    original_filename: str
    content_type: str
    size_bytes: int
    sha256: str
    created_at: datetime


class StoredFilesPublic(BaseModel):
    data: list[StoredFilePublic]
    count: int
