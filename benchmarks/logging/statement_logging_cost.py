"""libSQL choke point: Tx.execute before this change vs now (logging off, and on with a NullHandler)."""
# Usage: git show <commit before 212de6f>:adapters/mastra_storage_libsql/tx.py > /tmp/oldtx.py
#        (replace "from .errors" by "from mastra_storage_libsql.errors"), then
#        .venv/bin/python benchmarks/logging/statement_logging_cost.py /tmp/oldtx.py
import importlib.util, logging, statistics, sys, time
sys.path.insert(0, "adapters")
import apsw
from mastra_storage_libsql.tx import Tx
spec = importlib.util.spec_from_file_location("oldtx", sys.argv[1]); old = importlib.util.module_from_spec(spec); spec.loader.exec_module(old)

class Counter:
    n = 0
    is_open = True
    def count_statement(self): self.n += 1

def run(cls, conn, n):
    tx = cls(conn, Counter())
    t = time.perf_counter()
    for _ in range(n):
        tx.execute("SELECT ?", (1,))
    return (time.perf_counter() - t) / n * 1e9

logging.getLogger().addHandler(logging.NullHandler())
lib = logging.getLogger("mastra_storage")
conn = apsw.Connection(":memory:")
olds, offs, ons = [], [], []
for _ in range(9):
    lib.setLevel(logging.WARNING)
    olds.append(run(old.Tx, conn, 100_000)); offs.append(run(Tx, conn, 100_000))
    lib.setLevel(logging.DEBUG); ons.append(run(Tx, conn, 20_000))
m = statistics.median
print(f"apsw :memory: SELECT ? per statement (median of 9): before {m(olds):.0f} ns, logging off {m(offs):.0f} ns (+{m(offs)-m(olds):.0f} ns, {m(offs)/m(olds):.3f}x), on {m(ons):.0f} ns")
