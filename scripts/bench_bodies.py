"""The request bodies of the server benchmarks (bench_server.sh, instructions.sh), written into DIR:
one.json (the first lead of data/leads.csv), thousand.json (its first 1,000 leads), both typed as the
API reads them and asking for 3 factors, and post.lua (wrk posting the file named by BODY_FILE).

    python3 scripts/bench_bodies.py DIR
"""
import csv
import json
import sys

NUMERIC = {"annual_revenue", "page_views", "pricing_page_visits", "email_opens", "email_clicks",
           "content_downloads", "days_since_last_activity"}

POST_LUA = """wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = assert(io.open(os.getenv("BODY_FILE"), "rb"))
wrk.body = f:read("*a")
f:close()
"""


def lead(row):
    out = {"id": row["lead_id"]}
    for k, v in row.items():
        if k in ("lead_id", "created_at", "outcome"):
            continue
        if v == "":
            out[k] = None
        elif k in NUMERIC:
            try:
                out[k] = float(v) if "." in v else int(v)
            except ValueError:
                out[k] = None
        else:
            out[k] = v
    return out


def main(out_dir):
    rows = list(csv.DictReader(open("data/leads.csv")))[:1000]
    json.dump({"leads": [lead(rows[0])], "explain": 3}, open(out_dir + "/one.json", "w"))
    json.dump({"leads": [lead(r) for r in rows], "explain": 3}, open(out_dir + "/thousand.json", "w"))
    with open(out_dir + "/post.lua", "w") as f:
        f.write(POST_LUA)


if __name__ == "__main__":
    main(sys.argv[1])
