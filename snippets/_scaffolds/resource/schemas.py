

# Widgets


class WidgetCreate(InputModel):
    title: Title
    content: Content = ""


class WidgetUpdate(InputModel):
    title: Title | None = None
    content: Content | None = None

    @field_validator("title", "content")
    @classmethod
    def reject_null(cls, value: str | None) -> str:
        # Runs only for fields present in the body: omit a field to keep it.
        if value is None:
            raise ValueError("must not be null. Omit the field to keep its value")
        return value


class WidgetListParams(InputModel):
    """Query parameters of the list, newest first."""

    limit: int = Field(default=20, ge=1, le=100)
    offset: int = Field(default=0, ge=0, le=10_000)


class WidgetPublic(OutputModel):
    id: uuid.UUID
    owner_id: uuid.UUID
    title: str
    content: str
    created_at: datetime
    updated_at: datetime


class WidgetsPublic(BaseModel):
    data: list[WidgetPublic]
    count: int
