"""The order of a forecaster's forecasts on a question, in SQL: ``(made_on, made_at, seq)``.

A pair's latest forecast is the greatest by the calendar day it was made where it was made,
then the instant, then the entry number (its first, the least). Listing
(:mod:`ledger.reports.queries`)
and scoring (:mod:`ledger.scoring.report`) both pick by it, through the one key defined here.

No heavy imports: ``forecast-ledger list`` loads this module.
"""

from __future__ import annotations

from typing import Any

#: Days since 1970 of a DATE expression, as an INTEGER.
DAYS = "CAST(date_diff('day', DATE '1970-01-01', {0}) AS INTEGER)"

# The order as one fixed-size key: each field offset to unsigned and given its own bits
# (32 + 64 + 32), so the number compares as the tuple does, for any date and instant DuckDB
# holds. arg_max over it is far cheaper than over a STRUCT. It is exact while entry numbers
# are below 2**32; past that the STRUCT key takes over. The other entries read the fields back
# out of the key ``k`` (an aggregate of it).
PACKED_KEY = {
    "key": ("(CAST(date_diff('day', DATE '1970-01-01', made_on) + 2147483648 AS UHUGEINT)"
            " << 96) | (CAST(CAST(epoch_us(made_at) AS HUGEINT) + 9223372036854775808"
            " AS UHUGEINT) << 32) | CAST(seq AS UHUGEINT)"),
    "made_on": "CAST(CAST(k >> 96 AS BIGINT) - 2147483648 AS INTEGER)",
    "made_at": ("make_timestamp(CAST(CAST((k >> 32) & CAST(18446744073709551615 AS UHUGEINT)"
                " AS HUGEINT) - 9223372036854775808 AS BIGINT))"),
    "seq": "CAST(k & CAST(4294967295 AS UHUGEINT) AS BIGINT)",
}
STRUCT_KEY = {
    "key": "{'on': made_on, 'at': made_at, 'seq': seq}",
    "made_on": DAYS.format("k.on"),
    "made_at": "k.at",
    "seq": "k.seq",
}
#: Entry numbers from which the packed key would overflow.
PACKED_SEQ_LIMIT = 1 << 32


def key_for(con: Any) -> dict[str, str]:
    """The packed key, or the STRUCT one when the ledger's entry numbers outgrow it."""
    top = con.execute("SELECT max(seq) FROM forecasts").fetchall()[0][0]
    return PACKED_KEY if top is None or top < PACKED_SEQ_LIMIT else STRUCT_KEY
