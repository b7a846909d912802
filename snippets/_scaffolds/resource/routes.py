"""Widgets, each owned by one user."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, status
from sqlalchemy import ColumnElement, func, select, true

from app.api.deps import CurrentUser, SessionDep
from app.models import Widget
from app.schemas import (
    WidgetCreate,
    WidgetListParams,
    WidgetPublic,
    WidgetsPublic,
    WidgetUpdate,
)

router = APIRouter(prefix="/widgets", tags=["widgets"])


def owned_by(user: CurrentUser) -> ColumnElement[bool]:
    """Build the filter that limits a query to the user's rows; admins see all."""
    if user.is_admin:
        return true()
    return Widget.owner_id == user.id


def get_owned(
    widget_id: Annotated[uuid.UUID, Path()],
    session: SessionDep,
    current_user: CurrentUser,
) -> Widget:
    """Load a row by id with the owner in the query, so that another user's id
    gives the same 404 as a missing one."""
    statement = select(Widget).where(
        Widget.id == widget_id,
        owned_by(current_user),
    )
    row = session.scalar(statement)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="Not found")
    return row


OwnedWidget = Annotated[Widget, Depends(get_owned)]


@router.get("")
def list_widgets(
    session: SessionDep,
    current_user: CurrentUser,
    params: Annotated[WidgetListParams, Query()],
) -> WidgetsPublic:
    statement = select(Widget).where(owned_by(current_user))
    count = session.scalar(select(func.count()).select_from(statement.subquery()))
    # The id breaks ties, so pages do not overlap when timestamps repeat.
    newest_first = statement.order_by(
        Widget.created_at.desc(),
        Widget.id.asc(),
    )
    page = newest_first.limit(params.limit).offset(params.offset)
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
    current_user: CurrentUser,
) -> Widget:
    row = Widget(**body.model_dump(), owner_id=current_user.id)
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
