"""Widgets, each owned by a user.

The model, its schemas and its routes live together in this module. The
owner is the user whose id is the `sub` claim of the bearer token. Every
query carries the owner, so another user's id gets the same 404 as a
missing one.
"""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, status
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import ForeignKey, String, Text, func, select
from sqlalchemy.orm import Mapped, mapped_column

# PROJECT IMPORTS


class Widget(Base):
    __tablename__ = "widgets"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    owner_id: Mapped[OwnerKey] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text, default="")


Title = Annotated[str, Field(min_length=1, max_length=200)]
Content = Annotated[str, Field(max_length=100_000)]


class WidgetCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title
    content: Content = ""


class WidgetUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    content: Content | None = None

    @field_validator("title", "content")
    @classmethod
    def reject_null(cls, value: str | None) -> str:
        # Runs only for fields present in the body: omit a field to keep it.
        if value is None:
            raise ValueError("must not be null. Omit the field to keep its value")
        return value


class WidgetListParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=20, ge=1, le=100)
    offset: int = Field(default=0, ge=0, le=10_000)


class WidgetPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    title: str
    content: str


class WidgetsPublic(BaseModel):
    data: list[WidgetPublic]
    count: int


router = APIRouter(prefix="/widgets", tags=["widgets"])


def get_owner_id(subject: CurrentSubject, session: SessionDep) -> OwnerKey:
    """Return the id of the user that the token's subject names.

    A subject that names no user, such as the id of a deleted account, gets
    the same 401 as an invalid token.
    """
    try:
        owner_id = OwnerKey(subject)
    except ValueError:
        owner_id = None
    if owner_id is None or session.get(User, owner_id) is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="Could not validate credentials",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return owner_id


OwnerId = Annotated[OwnerKey, Depends(get_owner_id)]


def get_owned(
    widget_id: Annotated[uuid.UUID, Path()],
    session: SessionDep,
    owner_id: OwnerId,
) -> Widget:
    statement = select(Widget).where(
        Widget.id == widget_id,
        Widget.owner_id == owner_id,
    )
    row = session.scalar(statement)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="Not found")
    return row


OwnedWidget = Annotated[Widget, Depends(get_owned)]


@router.get("")
def list_widgets(
    session: SessionDep,
    owner_id: OwnerId,
    params: Annotated[WidgetListParams, Query()],
) -> WidgetsPublic:
    statement = select(Widget).where(
        Widget.owner_id == owner_id,
    )
    count = session.scalar(select(func.count()).select_from(statement.subquery()))
    ordered = statement.order_by(
        Widget.title,
        Widget.id,
    )
    page = ordered.limit(params.limit).offset(params.offset)
    rows = session.scalars(page).all()
    data = [WidgetPublic.model_validate(row) for row in rows]
    return WidgetsPublic(data=data, count=count or 0)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=WidgetPublic,
)
def create_widget(
    body: WidgetCreate,
    session: SessionDep,
    owner_id: OwnerId,
) -> Widget:
    row = Widget(**body.model_dump(), owner_id=owner_id)
    session.add(row)
    session.commit()
    session.refresh(row)
    return row


@router.get("/{widget_id}", response_model=WidgetPublic)
def read_widget(
    row: OwnedWidget,
) -> Widget:
    return row


@router.patch("/{widget_id}", response_model=WidgetPublic)
def update_widget(
    row: OwnedWidget,
    body: WidgetUpdate,
    session: SessionDep,
) -> Widget:
    for field, value in body.model_dump(exclude_unset=True).items():
        setattr(row, field, value)
    session.commit()
    session.refresh(row)
    return row


@router.delete("/{widget_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_widget(
    row: OwnedWidget,
    session: SessionDep,
) -> None:
    session.delete(row)
    session.commit()
