"""Facet types over a column that the essays table does not need to store: ``year`` and ``month`` (the
first 4 or 7 characters of an ISO date, selected with ``?published__startswith=2022-09``) and
``duplicate`` ("duplicate" or "original", selected with ``?duplicate_of__notnull=1`` or
``?duplicate_of__isnull=1``)."""

from __future__ import annotations

from typing import Any

from datasette.database import QueryInterrupted
from datasette.facets import Facet
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args


class ExpressionFacet(Facet):  # type: ignore[misc]
    """Counts of a SQL expression over one column; each value selects rows with a plain datasette filter."""

    type = "expression"
    where = "1"  # which rows have a value, {col} being the column
    expr = "{col}"  # the value counted, {col} being the column

    def expression(self, col: str) -> str:
        return self.expr.format(col=col)

    def selection(self, column: str, value: str) -> tuple[str, str]:
        """The query-string argument that keeps the rows of this value."""
        return f"{column}__exact", value

    async def suggest(self) -> list[dict[str, Any]]:
        return []

    async def facet_results(self) -> tuple[list[dict[str, Any]], list[str]]:
        results: list[dict[str, Any]] = []
        timed_out: list[str] = []
        args = self.get_querystring_pairs()
        size = self.get_facet_size()
        for source_and_config in self.get_configs():
            config = source_and_config["config"]
            column = config.get("column") or config["simple"]
            col = escape_sqlite(column)
            expr = self.expression(col)
            sql = (f"select {expr} as value, count(*) as count from ({self.sql}) where {self.where.format(col=col)} "
                   f"group by value order by count desc, value limit {size + 1}")
            try:
                rows = await self.ds.execute(self.database, sql, self.params, truncate=False,
                                             custom_time_limit=self.ds.setting("facet_time_limit_ms"))
            except QueryInterrupted:
                timed_out.append(column)
                continue
            values = []
            for row in rows.rows[:size]:
                arg = self.selection(column, str(row["value"]))
                selected = arg in args
                path = path_with_removed_args(self.request, {arg[0]: arg[1]}) if selected else path_with_added_args(self.request, {arg[0]: arg[1]})
                values.append({"value": row["value"], "label": row["value"], "count": row["count"],
                               "toggle_url": self.ds.absolute_url(self.request, path), "selected": selected})
            results.append({
                "name": column, "type": self.type, "results": values, "hideable": source_and_config["source"] != "metadata",
                "toggle_url": path_with_removed_args(self.request, {f"_facet_{self.type}": column}),
                "truncated": len(rows.rows) > size,
            })
        return results, timed_out


class YearFacet(ExpressionFacet):
    type = "year"
    where = "{col} glob '[0-9][0-9][0-9][0-9]*'"
    expr = "substr({col}, 1, 4)"

    def selection(self, column: str, value: str) -> tuple[str, str]:
        return f"{column}__startswith", value


class MonthFacet(YearFacet):
    type = "month"
    where = "{col} glob '[0-9][0-9][0-9][0-9]-[0-9][0-9]*'"
    expr = "substr({col}, 1, 7)"


class DuplicateFacet(ExpressionFacet):
    type = "duplicate"
    expr = "case when {col} is null then 'original' else 'duplicate' end"

    def selection(self, column: str, value: str) -> tuple[str, str]:
        return (f"{column}__notnull" if value == "duplicate" else f"{column}__isnull"), "1"


FACETS: list[type[Facet]] = [YearFacet, MonthFacet, DuplicateFacet]
