"""CloudWatch Logs Insights queries over the fleet's JSON-lines logs (``fleetops logs query``).

``syntax`` parses the query language, ``compiler`` turns it into one DuckDB statement, and
``executor`` runs it over log files, answering as GetQueryResults does.
"""

from fleetops.ops.logquery.executor import LogSource, QueryResult, run_query
from fleetops.ops.logquery.syntax import parse_query

__all__ = ["LogSource", "QueryResult", "parse_query", "run_query"]
