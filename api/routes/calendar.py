"""Loading a year's State Council holiday notice ("Counting time"): stored, then open tickets replan."""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import select

from api.bodies import BODY_CONFIG
from api.deps import OperatorDep, RuntimeDep, SessionDep, StaffOrOfficeDep
from api.edge import WrittenDay
from api.errors import conflict, responses
from api.views import View
from db.models import CalendarYearRow
from domain.calendar import YearCalendar
from domain.commands import Words
from operations.calendar import load_year_and_replan

router = APIRouter(prefix="/calendar", tags=["calendar"])


class CalendarNotice(BaseModel):
    """One year's notice; validated as a YearCalendar (dates inside the year, 调休 only on weekends)."""

    model_config = BODY_CONFIG

    year: int = Field(ge=2000, le=2100, examples=[2027])
    holidays: list[WrittenDay] = Field(max_length=366, description="Every statutory day off.")
    adjusted_workdays: list[WrittenDay] = Field(
        max_length=366, description="Weekend days declared working days."
    )
    source: Words = Field("", max_length=200, description="The notice, e.g. 国办发明电〔2026〕X号.")
    replace: bool = Field(
        False,
        description="A year already loaded is replaced only when this says so: a notice sent twice, or one "
        "year typed for another, must not silently rewrite every open ticket's deadlines.",
    )


class CalendarYearLoaded(View):
    year: int
    holidays: list[date]
    adjusted_workdays: list[date]
    source: str
    tickets_replanned: int = Field(description="Open tickets told to recompute the deadlines not yet passed.")


class CalendarYearOut(View):
    year: int
    holidays: list[date]
    adjusted_workdays: list[date]
    source: str
    loaded_at: datetime


NOTICE_EXAMPLE = {
    "year": 2027,
    "holidays": [
        "2027-01-01",
        "2027-02-06",
        "2027-02-07",
        "2027-02-08",
        "2027-02-09",
        "2027-02-10",
        "2027-02-11",
        "2027-02-12",
    ],
    "adjusted_workdays": ["2027-02-14", "2027-02-20"],
    "source": "国办发明电〔2026〕X号",
}


@router.post(
    "/years",
    status_code=201,
    response_model=CalendarYearLoaded,
    responses=responses(401, 403, 409, 422, 503),
    summary="Load a year's holiday notice (operator)",
    description=(
        "The State Council notice for one year: statutory holidays and the weekend days declared working "
        "days (调休). A year already loaded is 409 `YEAR_ALREADY_LOADED` unless `replace` is true (a "
        "corrected notice). Deadlines that counted days of that year were "
        "provisional (weekends and the statutory holidays the national rule fixes, 调休 unknown); every open ticket recomputes the ones it has not yet passed (A17, A22)."
    ),
    openapi_extra={"requestBody": {"content": {"application/json": {"example": NOTICE_EXAMPLE}}}},
)
async def load_year(body: CalendarNotice, caller: OperatorDep, runtime: RuntimeDep) -> CalendarYearLoaded:
    notice = YearCalendar.model_validate(body.model_dump(exclude={"replace"}))
    if not body.replace:
        async with runtime.session_maker() as session:
            if await session.get(CalendarYearRow, notice.year) is not None:
                raise conflict(
                    "YEAR_ALREADY_LOADED",
                    f"{notice.year} is loaded; send `replace: true` to correct it",
                    "A17",
                )
    client = await runtime.temporal.connect()  # first: a year loaded without replanning is worse than none
    told = await load_year_and_replan(runtime.session_maker, client, notice)
    return CalendarYearLoaded(
        year=notice.year,
        holidays=notice.holidays,
        adjusted_workdays=notice.adjusted_workdays,
        source=notice.source,
        tickets_replanned=told,
    )


@router.get(
    "/years",
    response_model=list[CalendarYearOut],
    responses=responses(401, 403, 503),
    summary="The loaded holiday notices (staff)",
    description="Every year the working-day calendar knows; a year missing here is counted Monday–Friday "
    "less the statutory holidays of 《全国年节及纪念日放假办法》 (元旦, 春节 除夕–初三, 清明, 劳动节 2 days, 端午, "
    "中秋, 国庆 3 days), and its deadlines are provisional until its notice is loaded.",
)
async def list_years(caller: StaffOrOfficeDep, session: SessionDep) -> list[CalendarYearOut]:
    rows = await session.scalars(select(CalendarYearRow).order_by(CalendarYearRow.year))
    return [CalendarYearOut(**row.to_year().model_dump(), loaded_at=row.loaded_at) for row in rows]
