"""Documents, each owned by one user."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from sqlalchemy import ColumnElement, func, select

from app.api.deps import CurrentUser, OwnedDocument, SessionDep, visible_to
from app.models import Document
from app.schemas import (
    DocumentCreate,
    DocumentListParams,
    DocumentPublic,
    DocumentSort,
    DocumentsPublic,
    DocumentUpdate,
)

router = APIRouter(prefix="/documents", tags=["documents"])

# Sortable columns. The client picks a key, never a column name.
SORT_COLUMNS = {
    "created_at": Document.created_at,
    "updated_at": Document.updated_at,
    "title": Document.title,
}


def sort_order(sort: DocumentSort) -> tuple[ColumnElement[Any], ...]:
    column = SORT_COLUMNS[sort.removeprefix("-")]
    direction = column.desc() if sort.startswith("-") else column.asc()
    # The id breaks ties, so pages do not overlap when sort values repeat.
    return direction, Document.id.asc()


@router.get("")
def list_documents(
    session: SessionDep,
    current_user: CurrentUser,
    params: Annotated[DocumentListParams, Query()],
) -> DocumentsPublic:
    statement = visible_to(select(Document), Document, current_user)
    if params.q is not None:
        # autoescape makes % and _ in the search text match literally.
        statement = statement.where(Document.title.icontains(params.q, autoescape=True))
    count = session.scalar(select(func.count()).select_from(statement.subquery()))
    documents = session.scalars(
        statement.order_by(*sort_order(params.sort))
        .limit(params.limit)
        .offset(params.offset)
    ).all()
    return DocumentsPublic(
        data=[DocumentPublic.model_validate(document) for document in documents],
        count=count or 0,
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=DocumentPublic)
def create_document(
    document_in: DocumentCreate, session: SessionDep, current_user: CurrentUser
) -> Document:
    document = Document(**document_in.model_dump(), owner_id=current_user.id)
    session.add(document)
    session.commit()
    session.refresh(document)
    return document


@router.get("/{document_id}", response_model=DocumentPublic)
def read_document(document: OwnedDocument) -> Document:
    return document


@router.patch("/{document_id}", response_model=DocumentPublic)
def update_document(
    document: OwnedDocument, document_in: DocumentUpdate, session: SessionDep
) -> Document:
    for field, value in document_in.model_dump(exclude_unset=True).items():
        setattr(document, field, value)
    session.commit()
    session.refresh(document)
    return document


@router.delete("/{document_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_document(document: OwnedDocument, session: SessionDep) -> None:
    session.delete(document)
    session.commit()
