"""The value types of the API: what a client may send, stated in the OpenAPI document
exactly as it is checked, so that every value the document allows can be stored on
SQLite, PostgreSQL and MySQL/MariaDB alike.

- integers within their column: `Int32` (int), `Int64` (bigint), `Id` (keys, pages);
- floats finite only (no NaN, Infinity or 1e400), stored as DOUBLE PRECISION;
- strings without NUL characters (PostgreSQL cannot store them); `text` at most
  TEXT_MAX_LENGTH characters;
- decimals as strings (`"9.99"`) with their precision and scale stated and checked;
- instants (`datetime`) with an offset (`2026-01-01T12:00:00+05:30`), converted to UTC and
  always returned with one (`Z`); an input without an offset is refused. A `time` with an
  offset is converted to UTC too; a `time` without one is taken as UTC;
- bytes as standard base64 (`"AAEC"`);
- json values nested at most JSON_MAX_DEPTH levels deep, with finite numbers.
"""

import base64
import binascii
import datetime as dt
import math
import re
import typing
from decimal import Context, Decimal, InvalidOperation
from typing import Annotated, Any
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    PlainSerializer,
    Strict,
    WithJsonSchema,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
# A bigint column holds 64 bits; the API takes the integers every JSON client reads
# exactly (JavaScript's safe integers, within 2**53).
INT64_MIN, INT64_MAX = -(2**53 - 1), 2**53 - 1
# MySQL's TEXT holds 65,535 bytes; forge declares `text` as MEDIUMTEXT there, and
# PostgreSQL and SQLite have no smaller limit. A UTF-8 character takes up to 4 bytes.
TEXT_MAX_LENGTH = 1_000_000
# MariaDB refuses JSON documents more than 32 levels deep, counting the innermost value:
# at most 31 arrays or objects inside one another.
JSON_MAX_DEPTH = 31
NO_NUL = r"^[^\x00]*$"


class JsonOnly(BeforeValidator):
    """Refuses what JSON would not send for the type: a string or a bool for a number,
    anything but true/false for a bool. (FastAPI validates the parsed JSON in Python's
    lax mode, where "5" is an int and 1 is a bool.) `lax()` drops it for query
    parameters, which always arrive as text."""


def _refuse(*kinds: type, message: str) -> JsonOnly:
    def check(value: Any) -> Any:
        if isinstance(value, kinds):
            raise PydanticCustomError("type", message)
        return value

    return JsonOnly(check)


def _only_bool(value: Any) -> Any:
    if not isinstance(value, bool):
        raise PydanticCustomError("bool_type", "Input should be true or false")
    return value


_NUMBER = _refuse(str, bytes, bool, message="Input should be a number")
# (The constraints come before the validators, so that the JSON schema states them.)
Int32 = Annotated[int, Field(ge=INT32_MIN, le=INT32_MAX), _NUMBER]
Int64 = Annotated[int, Field(ge=INT64_MIN, le=INT64_MAX), _NUMBER]
Id = Annotated[int, Field(ge=1, le=INT32_MAX), _NUMBER]
Float = Annotated[float, Field(allow_inf_nan=False), _NUMBER]
Bool = Annotated[bool, JsonOnly(_only_bool)]
# What a stored value is returned as (a Read schema): the same bounds, stated in the
# document, without the checks of what JSON may send, which a value read from the
# database needs not (they are Python calls on every row of every answer).
StoredId = Annotated[int, Field(ge=1, le=INT32_MAX)]
StoredInt32 = Annotated[int, Field(ge=INT32_MIN, le=INT32_MAX)]
StoredFloat = Annotated[float, Field(allow_inf_nan=False)]
Str = Annotated[str, Strict(), Field(pattern=NO_NUL)]
Text = Annotated[str, Strict(), Field(max_length=TEXT_MAX_LENGTH, pattern=NO_NUL)]


def _utf8_at_most(limit: int) -> AfterValidator:
    """MySQL's TINYTEXT and TEXT count bytes: at most `limit` of them in UTF-8."""

    def check(value: str) -> str:
        if len(value.encode("utf-8")) > limit:
            raise PydanticCustomError(
                "string_too_long",
                "String should have at most {max_length} bytes in UTF-8",
                {"max_length": limit},
            )
        return value

    return AfterValidator(check)


# `storage: tinytext` / `storage: text`: at most 255 / 65,535 bytes in UTF-8 (the
# characters stated in the document are the upper bound; the bytes are checked too)
TinyText = Annotated[
    str, Strict(), Field(max_length=255, pattern=NO_NUL), _utf8_at_most(255)
]
Text64K = Annotated[
    str, Strict(), Field(max_length=65_535, pattern=NO_NUL), _utf8_at_most(65_535)
]

_ISO = {
    dt.datetime: re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}"),
    dt.date: re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    dt.time: re.compile(r"^\d{2}:\d{2}"),
}


def _iso(kind: type) -> BeforeValidator:
    """Only an ISO 8601 string or a `kind` instance: lax mode would take a number (or
    "0.5") as seconds since 1970."""
    pattern = _ISO[kind]

    def check(value: Any) -> Any:
        if isinstance(value, kind) or (isinstance(value, str) and pattern.match(value)):
            return value
        raise PydanticCustomError(
            "iso_format",
            "Input should be an ISO 8601 string ({kind})",
            {"kind": kind.__name__},
        )

    return BeforeValidator(check)


def _text_or_uuid(value: Any) -> Any:
    if isinstance(value, (str, UUID)):
        return value
    raise PydanticCustomError("uuid_type", "Input should be a UUID string")


Date = Annotated[dt.date, _iso(dt.date)]
Uuid = Annotated[UUID, BeforeValidator(_text_or_uuid)]


def _utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC)


def _stored_utc(value: dt.datetime) -> dt.datetime:
    """A stored instant: naive values (SQLite and MySQL keep no offset) are UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def _time_utc(value: dt.time) -> dt.time:
    """A time with an offset moved to UTC (wrapping around midnight); naive is UTC."""
    offset = value.utcoffset()
    if offset is None:
        return value.replace(tzinfo=dt.UTC)
    moment = (
        dt.datetime.combine(dt.date(2000, 1, 3), value.replace(tzinfo=None)) - offset
    )
    return moment.time().replace(tzinfo=dt.UTC)


def _naive_utc_time(value: dt.time) -> dt.time:
    return _time_utc(value).replace(tzinfo=None)


# An instant sent by a client: an offset is required; converted to UTC.
UTCDateTime = Annotated[AwareDatetime, _iso(dt.datetime), AfterValidator(_utc)]
# An instant read from the database, returned with its offset (always UTC).
StoredDateTime = Annotated[dt.datetime, AfterValidator(_stored_utc)]
# A time of day sent by a client, converted to UTC and stored without an offset.
UTCTime = Annotated[dt.time, _iso(dt.time), AfterValidator(_naive_utc_time)]
StoredTime = Annotated[dt.time, AfterValidator(_time_utc)]

# `storage: timestamp`: MySQL's TIMESTAMP holds 1970-01-01 00:00:01 to 2038-01-19 03:14:07
# UTC (seconds since 1970 in 32 bits); the API takes that range on every database (a
# fraction of a second past the end is refused too: MySQL would round it up).
TIMESTAMP_MIN = dt.datetime(1970, 1, 1, 0, 0, 1, tzinfo=dt.UTC)
TIMESTAMP_MAX = dt.datetime(2038, 1, 19, 3, 14, 7, tzinfo=dt.UTC)


def _timestamp_range(value: dt.datetime) -> dt.datetime:
    if not TIMESTAMP_MIN <= value <= TIMESTAMP_MAX:
        raise PydanticCustomError(
            "timestamp_range",
            "Input should be between {min} and {max} (a TIMESTAMP column)",
            {"min": TIMESTAMP_MIN.isoformat(), "max": TIMESTAMP_MAX.isoformat()},
        )
    return value


UTCTimestamp = Annotated[
    AwareDatetime,
    _iso(dt.datetime),
    AfterValidator(_utc),
    AfterValidator(_timestamp_range),
]


def _from_base64(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if not isinstance(value, str):
        raise PydanticCustomError("base64", "bytes are sent as a base64 string")
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise PydanticCustomError("base64", "not valid base64") from None


_BASE64 = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"
# Bytes, as standard base64 in JSON (every byte value round-trips).
Base64 = Annotated[
    bytes,
    BeforeValidator(_from_base64),
    PlainSerializer(
        lambda value: base64.b64encode(value).decode("ascii"), when_used="json"
    ),
    WithJsonSchema({"type": "string", "contentEncoding": "base64", "pattern": _BASE64}),
]


def _check_json(value: Any, depth: int = 0) -> None:
    """Depth counts the arrays and objects around a value: `[[1]]` is 2 deep."""
    if isinstance(value, (dict, list)):
        depth += 1
        if depth > JSON_MAX_DEPTH:
            raise PydanticCustomError(
                "json_too_deep",
                "json values may be nested at most {max} levels deep",
                {"max": JSON_MAX_DEPTH},
            )
        for item in value.values() if isinstance(value, dict) else value:
            _check_json(item, depth)
    elif isinstance(value, float) and not math.isfinite(value):
        raise PydanticCustomError("finite_number", "json numbers must be finite")


def _json_value(value: Any) -> Any:
    _check_json(value)
    return value


# A json object or array, nested at most JSON_MAX_DEPTH levels, numbers finite.
Json = Annotated[dict[str, Any] | list[Any], AfterValidator(_json_value)]


class Exact:
    """A decimal as a string with at most `precision` digits, `scale` of them after the
    point: `Annotated[Decimal, Exact(10, 2)]` accepts "12345678.90" and "-0.5" and refuses
    numbers (they may not be exact in JSON), "1e3" and "123456789.00"."""

    def __init__(self, precision: int, scale: int) -> None:
        self.precision = precision
        self.scale = scale
        whole = precision - scale
        integer = rf"(0|[1-9][0-9]{{0,{whole - 1}}})" if whole > 0 else "0"
        fraction = rf"(\.[0-9]{{1,{scale}}})?" if scale > 0 else ""
        self.pattern = rf"^-?{integer}{fraction}$"
        self._regex = re.compile(rf"-?{integer}{fraction}\Z")

    def _validate(self, value: Any) -> Decimal:
        if isinstance(value, Decimal):
            number = value
        elif isinstance(value, str):
            if not self._regex.match(value):
                raise PydanticCustomError(
                    "decimal",
                    "a decimal of at most {whole} digits before the point and {scale} "
                    "after it, as a string such as '12.34'",
                    {"whole": self.precision - self.scale, "scale": self.scale},
                )
            try:
                number = Decimal(value)
            except InvalidOperation:
                raise PydanticCustomError(
                    "decimal", "a decimal is sent as a string such as '12.34'"
                ) from None
        else:
            raise PydanticCustomError(
                "decimal", "a decimal is sent as a string such as '12.34'"
            )
        if not number.is_finite():
            raise PydanticCustomError("decimal", "a decimal must be finite")
        sign, digits, exponent = number.normalize().as_tuple()
        assert isinstance(exponent, int)
        places = max(0, -exponent)
        whole = max(0, len(digits) + exponent)
        if places > self.scale or whole > self.precision - self.scale:
            raise PydanticCustomError(
                "decimal",
                "at most {whole} digits before the point and {scale} after it",
                {"whole": self.precision - self.scale, "scale": self.scale},
            )
        # Python's default context holds 28 digits; a NUMERIC(65, 30) needs more.
        context = Context(prec=max(28, self.precision))
        return number.quantize(Decimal(1).scaleb(-self.scale), context=context)

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        # A string (a JSON number may already have lost digits) or a Decimal; FastAPI
        # validates the parsed JSON in Python mode, so both branches take the same.
        return core_schema.json_or_python_schema(
            json_schema=core_schema.no_info_after_validator_function(
                self._validate, core_schema.str_schema()
            ),
            python_schema=core_schema.no_info_plain_validator_function(self._validate),
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda value: format(value, "f"), when_used="json"
            ),
        )

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {
            "type": "string",
            "format": "decimal",
            "pattern": self.pattern,
            "x-precision": self.precision,
            "x-scale": self.scale,
        }


def lax(annotation: Any) -> Any:
    """The same type without `Strict()`, for query parameters (they arrive as text)."""
    if typing.get_origin(annotation) is not Annotated:
        return annotation
    base, *metadata = typing.get_args(annotation)
    kept = [item for item in metadata if not isinstance(item, (Strict, JsonOnly))]
    return Annotated[(base, *kept)] if kept else base
