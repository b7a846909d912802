"""File uploads and downloads, each file owned by one user.

The bytes are stored under a random server-generated name. The client's
filename is kept only as metadata for the Content-Disposition of downloads.
"""

import hashlib
import logging
import os
import re
import unicodedata
import uuid
from pathlib import Path
from typing import Annotated, BinaryIO

from fastapi import APIRouter, File, HTTPException, UploadFile, status
from fastapi.responses import FileResponse
from sqlalchemy import func, select

from app.api.deps import CurrentUser, OwnedFile, SessionDep, visible_to
from app.core.config import Settings, SettingsDep
from app.models import StoredFile
from app.schemas import StoredFilePublic, StoredFilesPublic

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/files", tags=["files"])

CHUNK_BYTES = 64 * 1024
MAX_FILENAME_LENGTH = 255
LIST_LIMIT = 100
# type/subtype with the token characters of RFC 9110. Parameters are dropped.
CONTENT_TYPE_PATTERN = re.compile(
    r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}$"
)
DEFAULT_CONTENT_TYPE = "application/octet-stream"


def upload_root(settings: Settings) -> Path:
    root = settings.UPLOAD_DIR.resolve()
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    return root


def validate_filename(filename: str | None) -> str:
    """Return the client's filename, or raise 422 if it is empty, too long, or
    contains a path separator or a control or format character."""
    name = unicodedata.normalize("NFC", filename or "").strip()
    invalid = (
        not name
        or len(name) > MAX_FILENAME_LENGTH
        or name in {".", ".."}
        or any(c in "/\\" or unicodedata.category(c).startswith("C") for c in name)
    )
    if invalid:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=(
                f"Invalid filename: use 1 to {MAX_FILENAME_LENGTH} characters "
                "without path separators or control characters"
            ),
        )
    return name


def normalize_content_type(content_type: str | None) -> str:
    media_type = (content_type or "").split(";")[0].strip().lower()
    if CONTENT_TYPE_PATTERN.fullmatch(media_type):
        return media_type
    return DEFAULT_CONTENT_TYPE


def copy_limited(
    source: BinaryIO, destination: Path, max_bytes: int
) -> tuple[int, str]:
    """Copy source into a new file in chunks and return its size and SHA-256.

    Raises 413 as soon as more than max_bytes arrive, and removes the partial file
    on any error.
    """
    digest = hashlib.sha256()
    size = 0
    # O_EXCL: never overwrite or follow an existing path. 0o600: owner only.
    descriptor = os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as target:
            while chunk := source.read(CHUNK_BYTES):
                size += len(chunk)
                if size > max_bytes:
                    raise HTTPException(
                        status.HTTP_413_CONTENT_TOO_LARGE,
                        detail=f"File exceeds the limit of {max_bytes} bytes",
                    )
                digest.update(chunk)
                target.write(chunk)
    except BaseException:
        destination.unlink(missing_ok=True)
        raise
    return size, digest.hexdigest()


@router.post("", status_code=status.HTTP_201_CREATED, response_model=StoredFilePublic)
def upload_file(
    file: Annotated[UploadFile, File(description="File to store")],
    session: SessionDep,
    current_user: CurrentUser,
    settings: SettingsDep,
) -> StoredFile:
    original_filename = validate_filename(file.filename)
    storage_name = uuid.uuid4().hex
    destination = upload_root(settings) / storage_name
    size, sha256 = copy_limited(file.file, destination, settings.MAX_UPLOAD_BYTES)
    stored_file = StoredFile(
        owner_id=current_user.id,
        storage_name=storage_name,
        original_filename=original_filename,
        content_type=normalize_content_type(file.content_type),
        size_bytes=size,
        sha256=sha256,
    )
    session.add(stored_file)
    try:
        session.commit()
    except Exception:
        destination.unlink(missing_ok=True)
        raise
    session.refresh(stored_file)
    logger.info("User %s uploaded file %s", current_user.id, stored_file.id)
    return stored_file


@router.get("")
def list_files(session: SessionDep, current_user: CurrentUser) -> StoredFilesPublic:
    """List the newest files visible to the user, at most 100."""
    statement = visible_to(select(StoredFile), StoredFile, current_user)
    count = session.scalar(select(func.count()).select_from(statement.subquery()))
    files = session.scalars(
        statement.order_by(StoredFile.created_at.desc(), StoredFile.id).limit(
            LIST_LIMIT
        )
    ).all()
    return StoredFilesPublic(
        data=[StoredFilePublic.model_validate(stored) for stored in files],
        count=count or 0,
    )


def stored_path(stored_file: StoredFile, settings: Settings) -> Path:
    """Return the absolute path of the stored bytes.

    Raises 404 if the bytes are missing, or if the resolved path is outside the
    upload root, for example through a symlink.
    """
    root = upload_root(settings)
    try:
        path = (root / stored_file.storage_name).resolve(strict=True)
    except FileNotFoundError:
        logger.error("Stored bytes of file %s are missing", stored_file.id)
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, detail="File not found"
        ) from None
    if not path.is_relative_to(root) or not path.is_file():
        logger.error(
            "Stored path of file %s is outside the upload root", stored_file.id
        )
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="File not found")
    return path


@router.get(
    "/{file_id}",
    response_class=FileResponse,
    responses={status.HTTP_200_OK: {"content": {"application/octet-stream": {}}}},
)
def download_file(stored_file: OwnedFile, settings: SettingsDep) -> FileResponse:
    """Send the file as an attachment, so browsers save it instead of rendering it."""
    return FileResponse(
        stored_path(stored_file, settings),
        media_type=stored_file.content_type,
        filename=stored_file.original_filename,
        content_disposition_type="attachment",
        headers={"X-Content-Type-Options": "nosniff"},
    )


@router.delete("/{file_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_file(
    stored_file: OwnedFile, session: SessionDep, settings: SettingsDep
) -> None:
    storage_name = stored_file.storage_name
    session.delete(stored_file)
    session.commit()
    (upload_root(settings) / storage_name).unlink(missing_ok=True)
