"""creditbank: a learning-credit bank ledger. See README.md."""

from creditbank.compiled import use_sources_where_needed

# Before any module of the import's compiled core is imported (see creditbank.compiled).
use_sources_where_needed()
