#!/usr/bin/env python3
"""Runs queries written by `leadscore export-sql` inside DuckDB or Spark (local mode).

Used by the integration tests (tests/sql_engines.rs) and the benchmark (scripts/bench_sql.sh): each
job loads a CSV into a table, runs one SQL file against it and writes the result as CSV, floats in
Python's shortest round-trip form so the caller can compare them exactly with `leadscore score`.

    python scripts/sql_engines.py --engine duckdb --jobs jobs.json
    jobs.json: [{"csv": "leads.csv", "table": "leads", "typed": false, "sql": "q.sql", "out": "r.csv"}]

`typed: false` loads every column as text (as a CRM export lands in a staging table); `typed: true`
lets the engine infer numbers, dates and booleans, to check the query's CAST-to-text path.
With "out" absent the job writes the scores into a table `scored` (DuckDB) or evaluates every column
(Spark) and prints {"rows": n, "seconds": t} (the benchmark).
"""

import argparse
import csv
import json
import sys
import time


def cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def write_rows(path, columns, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(columns)
        for row in rows:
            w.writerow([cell(v) for v in row])


def run_duckdb(jobs, threads):
    import duckdb

    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    for job in jobs:
        table = job.get("table", "leads")
        options = "header = true, quote = '\"', escape = '\"'"
        if not job.get("typed"):
            options += ", all_varchar = true"
        load = time.perf_counter()
        con.execute(f'CREATE OR REPLACE TABLE "{table}" AS SELECT * FROM read_csv(?, {options})', [job["csv"]])
        print(f"duckdb: loaded {job['csv']} in {time.perf_counter() - load:.2f}s", file=sys.stderr)
        sql = open(job["sql"], encoding="utf-8").read()
        start = time.perf_counter()
        if "out" in job:
            cur = con.execute(sql)
            columns = [d[0] for d in cur.description]
            write_rows(job["out"], columns, cur.fetchall())
        else:
            # Materialise every output column (projection pushdown would skip unused ones).
            con.execute(f"CREATE OR REPLACE TABLE scored AS {sql}")
            n = con.execute("SELECT count(*) FROM scored").fetchone()[0]
            print(json.dumps({"rows": n, "seconds": time.perf_counter() - start}))
        print(f"duckdb: {job['sql']} on {job['csv']}: {time.perf_counter() - start:.2f}s", file=sys.stderr)


def run_spark(jobs, threads):
    from pyspark.sql import SparkSession

    master = f"local[{int(threads)}]" if threads else "local[*]"
    spark = (
        SparkSession.builder.master(master)
        .appName("leadscore-sql")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    try:
        for job in jobs:
            table = job.get("table", "leads")
            reader = spark.read.option("header", True).option("multiLine", True).option("escape", '"')
            if job.get("typed"):
                reader = reader.option("inferSchema", True)
            reader.csv(job["csv"]).createOrReplaceTempView(table)
            sql = open(job["sql"], encoding="utf-8").read()
            start = time.perf_counter()
            df = spark.sql(sql)
            if "out" in job:
                write_rows(job["out"], df.columns, [tuple(r) for r in df.collect()])
            else:
                df.write.format("noop").mode("overwrite").save()
                print(json.dumps({"rows": spark.table(table).count(), "seconds": time.perf_counter() - start}))
            print(f"spark: {job['sql']} on {job['csv']}: {time.perf_counter() - start:.2f}s", file=sys.stderr)
    finally:
        spark.stop()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--engine", choices=["duckdb", "spark"], required=True)
    p.add_argument("--jobs", required=True, help="JSON file: a list of jobs")
    p.add_argument("--threads", type=int, default=0, help="worker threads (default: all cores)")
    args = p.parse_args()
    jobs = json.load(open(args.jobs, encoding="utf-8"))
    {"duckdb": run_duckdb, "spark": run_spark}[args.engine](jobs, args.threads)


if __name__ == "__main__":
    main()
