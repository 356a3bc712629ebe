"""Type stubs of the native module ``banchi._banchi`` (re-exported by ``banchi``)."""

import os
from typing import Any, Iterable, Literal, Mapping, Sequence, final

__version__: str
MAX_INPUT_BYTES: int
VERDICT_COLUMNS: list[str]
VELOCITY_KEY: str

Level = Literal["none", "prefecture", "city", "town", "block", "unit"]
FraudGrade = Literal["danger", "caution", "warning"]
ForwarderGrade = Literal["forwarding_service", "possible"]
RiskLevel = Literal["low", "medium", "high"]
Action = Literal["allow", "review", "block"]
StrPath = str | os.PathLike[str]

class BanchiError(ValueError):
    """Base of every banchi error (a ValueError)."""

class ParseError(BanchiError):
    """The text is not an address banchi can parse."""

class ListError(BanchiError):
    """A fraud or forwarder list was refused; the message names the line, never the address."""

class ConfigError(BanchiError):
    """A configuration file was refused."""

class ArrowError(BanchiError):
    """An Arrow table could not be read (no such column, a column that is not text)."""

@final
class Address:
    """The canonical parts of one address (the fields of the JSON schema)."""

    @property
    def input(self) -> str: ...
    @property
    def prefecture(self) -> str | None: ...
    @property
    def city(self) -> str | None: ...
    @property
    def town(self) -> str | None: ...
    @property
    def chome(self) -> int | None: ...
    @property
    def banchi(self) -> str | None: ...
    @property
    def go(self) -> str | None: ...
    @property
    def building(self) -> str | None: ...
    @property
    def floor(self) -> str | None: ...
    @property
    def room(self) -> str | None: ...
    @property
    def customer_id(self) -> str | None: ...
    @property
    def level(self) -> Level: ...
    @property
    def key(self) -> str: ...
    @property
    def city_code(self) -> str | None: ...
    @property
    def postal_code(self) -> str | None: ...
    @property
    def anomalies(self) -> list[str]: ...
    @property
    def error(self) -> None: ...
    @property
    def normalized(self) -> str:
        """The address written back from its parts (``banchi screen``'s ``normalized``)."""
    def to_dict(self) -> dict[str, Any]:
        """The object ``banchi normalize`` prints."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Parser:
    """Parses addresses against the embedded gazetteer; thread-safe."""

    def __init__(self) -> None: ...
    def parse(self, text: str, postal_code: str | None = None) -> Address:
        """Parses one address; raises ParseError (empty, over 1,024 bytes, no place found)."""

@final
class Screening:
    """One screened address: grades, score, reasons, parse."""

    @property
    def input(self) -> str: ...
    @property
    def grade(self) -> FraudGrade | None:
        """Fraud grade."""
    @property
    def forwarder(self) -> ForwarderGrade | None:
        """Forwarder grade."""
    @property
    def stars(self) -> str:
        """``★★★`` / ``★★`` / ``★`` for the fraud grade, ``""`` without one."""
    @property
    def labels(self) -> tuple[str | None, str | None]:
        """Japanese labels of the fraud and forwarder grades."""
    @property
    def score(self) -> int: ...
    @property
    def level(self) -> RiskLevel: ...
    @property
    def alert(self) -> bool: ...
    @property
    def action(self) -> Action: ...
    @property
    def reasons(self) -> list[dict[str, Any]]:
        """``{code, points, ja, en}`` for every signal that added points."""
    @property
    def reason_codes(self) -> list[str]: ...
    @property
    def matches(self) -> list[dict[str, Any]]:
        """Matched list records (``list``, ``id``, ``reason``, ``grade``, ``matched`` …)."""
    @property
    def address(self) -> Address | None: ...
    @property
    def normalized(self) -> str | None: ...
    @property
    def error(self) -> str | None: ...
    def to_dict(self) -> dict[str, Any]:
        """The object ``banchi check --json`` prints, plus ``action``."""

ListRows = (
    Iterable[Mapping[str, str | int | float | None] | str]
    | Any  # a pyarrow / Polars / pandas table
)

@final
class Screener:
    """Screens addresses against a fraud list and a forwarding-warehouse list."""

    def __init__(
        self,
        fraud: StrPath | None = None,
        forwarders: StrPath | None = None,
        config: StrPath | None = None,
        *,
        no_forwarders: bool = False,
        near: int | None = None,
    ) -> None: ...
    @classmethod
    def from_lists(
        cls,
        fraud: ListRows | None = None,
        forwarders: ListRows | None = None,
        config: StrPath | None = None,
        *,
        no_forwarders: bool = False,
        near: int | None = None,
    ) -> Screener: ...
    def check(
        self,
        address: str,
        name: str | None = None,
        phone: str | None = None,
        email: str | None = None,
        postal_code: str | None = None,
    ) -> Screening: ...
    def check_many(
        self,
        addresses: Iterable[str | None],
        names: Sequence[str | None] | None = None,
        phones: Sequence[str | None] | None = None,
        emails: Sequence[str | None] | None = None,
    ) -> list[Screening]:
        """Screens many addresses on all cores with the GIL released; results in input order,
        each equal to ``check``'s. Grades and scores are computed here; a graded result's
        ``matches`` (and the record ids its ``reasons`` name) are looked up when first read,
        as ``banchi screen`` grades a file without listing the records."""
    def screen_arrow(
        self,
        table: Any,
        address_column: str | Sequence[str] | None = None,
        *,
        name_column: str | None = None,
        phone_column: str | None = None,
        email_column: str | None = None,
        time_column: str | None = None,
        postal_column: str | None = None,
        line_column: str | None = None,
        first_line: int | None = 2,
        velocity: bool = True,
        velocity_key: bool = False,
    ) -> Any:
        """The table with ``grade, forwarder, score, level, reasons, normalized, error``
        appended (a ``pyarrow.Table`` when pyarrow is installed, else an ``ArrowStream``)."""
    @property
    def fraud_report(self) -> str | None: ...
    @property
    def forwarder_report(self) -> str | None: ...
    @property
    def fraud_entries(self) -> int: ...
    @property
    def config_toml(self) -> str: ...

@final
class ArrowStream:
    """Result batches behind the Arrow C stream interface (read once)."""

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object: ...
    @property
    def column_names(self) -> list[str]: ...
