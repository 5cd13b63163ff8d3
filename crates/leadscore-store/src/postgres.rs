//! PostgreSQL: one log that several server replicas write.
//!
//! Batches go in through `COPY predictions (...) FROM STDIN` (text format), one round trip per
//! batch; outcomes in one `INSERT ... SELECT FROM unnest(...) ON CONFLICT` after one `= ANY`
//! lookup of the ids, so 10,000 outcomes are two statements, not 20,000.

use std::io::Write;

use postgres::{Client, NoTls};

use crate::row::{
    check_pairs, field_set_ids, FieldSets, Fields, Filter, Forgotten, LoggedRow, Outcome, OutcomeReport, Pair,
    PairFilter, PairedRow, Prediction, StoredOutcome, ADD_FIELD_SET, FIELD_SET_ID,
};
use crate::schema::{self, LATEST, MIGRATIONS, PREDICTION_COLUMNS};
use crate::{dedupe_outcomes, Error, Result, Store};

/// A prediction log in a PostgreSQL database.
pub struct PgStore {
    url: String,
    client: Client,
}

impl PgStore {
    /// Connects to `url` and migrates its schema.
    pub fn open(url: &str) -> Result<PgStore> {
        Self::open_at(url, LATEST)
    }

    /// Connects and migrates up to `target` only (tests build older stores with it).
    #[doc(hidden)]
    pub fn open_at(url: &str, target: u32) -> Result<PgStore> {
        let shown = leadscore_io::pg_source::redact(url);
        let err = |error| Error::Postgres { url: shown.clone(), error };
        let mut client = Client::connect(url, NoTls).map_err(err)?;
        let mut tx = client.transaction().map_err(err)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&schema::PG_MIGRATION_LOCK]).map_err(err)?;
        tx.batch_execute(schema::SCHEMA_TABLE).map_err(err)?;
        let found: i32 =
            tx.query_one("SELECT COALESCE(MAX(version), 0) FROM leadscore_schema", &[]).map_err(err)?.get(0);
        let found = u32::try_from(found).unwrap_or(0);
        if found > LATEST {
            return Err(Error::SchemaTooNew { location: shown, found, supported: LATEST });
        }
        for m in MIGRATIONS.iter().filter(|m| m.version > found && m.version <= target) {
            for statement in m.postgres {
                tx.batch_execute(statement).map_err(err)?;
            }
            let version = i32::try_from(m.version).unwrap_or(i32::MAX);
            tx.execute(
                "INSERT INTO leadscore_schema (version, applied_at_ms) VALUES ($1, $2)",
                &[&version, &crate::row::now_ms()],
            )
            .map_err(err)?;
            tracing::info!(store = %shown, version = m.version, what = m.what, "store migrated");
        }
        tx.commit().map_err(err)?;
        Ok(PgStore { url: shown, client })
    }

    fn err(&self) -> impl Fn(postgres::Error) -> Error {
        let url = self.url.clone();
        move |error| Error::Postgres { url: url.clone(), error }
    }
}

/// `text` escaped for COPY's text format (backslash, tab, newline, carriage return).
fn copy_text(out: &mut Vec<u8>, text: &str) {
    for b in text.bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            _ => out.push(b),
        }
    }
}

/// One row of COPY's text format: `id` first when the batch names its ids (a batch with pairs),
/// then [`PREDICTION_COLUMNS`].
fn copy_row(out: &mut Vec<u8>, id: Option<i64>, p: &Prediction, champion_id: Option<i64>, field_set: Option<i64>) {
    let bool_text = |b: bool| if b { "t" } else { "f" };
    if let Some(id) = id {
        out.extend_from_slice(id.to_string().as_bytes());
        out.push(b'\t');
    }
    // f64 Display is the shortest text that reads back to the same bits.
    let cells: [Option<String>; 15] = [
        Some(p.scored_at_ms.to_string()),
        Some(p.model.clone()),
        Some(p.version.clone()),
        Some(bool_text(p.shadow).into()),
        Some(p.lead_id.clone()),
        Some(p.probability.to_string()),
        Some(p.score.to_string()),
        Some(p.tier.clone()),
        Some(bool_text(p.mql).into()),
        Some(p.threshold.to_string()),
        p.rule_points.map(|x| x.to_string()),
        p.rule_mql.map(|b| bool_text(b).into()),
        p.fields.as_ref().map(|f| f.stored().to_owned()),
        champion_id.map(|id| id.to_string()),
        field_set.map(|id| id.to_string()),
    ];
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(b'\t');
        }
        match cell {
            Some(text) => copy_text(out, text),
            None => out.extend_from_slice(b"\\N"),
        }
    }
    out.push(b'\n');
}

/// The WHERE clause of a [`Filter`] over `predictions p` (parameters $1 to $7; `NULL` id bounds
/// are open).
const FILTER: &str = "p.model = $1 AND ($2::text IS NULL OR p.version = $2) AND ($3::boolean IS NULL OR p.shadow = $3)
      AND ($4::bigint IS NULL OR p.scored_at_ms >= $4) AND ($5::bigint IS NULL OR p.scored_at_ms < $5)
      AND ($6::bigint IS NULL OR p.id > $6) AND ($7::bigint IS NULL OR p.id <= $7)";

/// The parameters $1 to $7 of [`FILTER`].
fn filter_params(filter: &Filter) -> [&(dyn postgres::types::ToSql + Sync); 7] {
    [
        &filter.model,
        &filter.version,
        &filter.shadow,
        &filter.since_ms,
        &filter.until_ms,
        &filter.after_id,
        &filter.through_id,
    ]
}

impl Store for PgStore {
    fn location(&self) -> &str {
        &self.url
    }

    fn schema_version(&mut self) -> Result<u32> {
        let url = self.url.clone();
        let row = self
            .client
            .query_one("SELECT COALESCE(MAX(version), 0) FROM leadscore_schema", &[])
            .map_err(|error| Error::Postgres { url, error })?;
        Ok(u32::try_from(row.get::<_, i32>(0)).unwrap_or(0))
    }

    fn check_alive(&mut self) -> Result<()> {
        if self.client.is_closed() {
            return Err(Error::Location { location: self.url.clone(), reason: "the connection is closed".into() });
        }
        Ok(())
    }

    fn insert_paired(&mut self, rows: &[Prediction], pairs: &[Pair]) -> Result<()> {
        check_pairs(rows, pairs)?;
        let url = self.url.clone();
        let err = |error| Error::Postgres { url: url.clone(), error };
        let mut tx = self.client.transaction().map_err(err)?;
        let sets = field_set_ids(rows, |names| {
            tx.execute(ADD_FIELD_SET, &[&names])
                .and_then(|_| tx.query_one(FIELD_SET_ID, &[&names]))
                .map(|r| r.get(0))
                .map_err(err)
        })?;
        // COPY returns no ids: a batch with pairs takes its ids from the sequence first (one
        // round trip), so that each shadow row can name its served row's id.
        let ids: Vec<i64> = if pairs.is_empty() {
            Vec::new()
        } else {
            let n = i64::try_from(rows.len()).unwrap_or(i64::MAX);
            tx.query(
                "SELECT nextval(pg_get_serial_sequence('predictions', 'id')) FROM generate_series(1, $1::bigint)",
                &[&n],
            )
            .map_err(err)?
            .into_iter()
            .map(|r| r.get(0))
            .collect()
        };
        let mut champion_of: Vec<Option<usize>> = vec![None; ids.len()];
        for pair in pairs {
            champion_of[pair.shadow] = Some(pair.champion);
        }
        let mut buf = Vec::with_capacity(rows.len() * 512);
        for (i, p) in rows.iter().enumerate() {
            let champion_id = champion_of.get(i).copied().flatten().and_then(|c| ids.get(c).copied());
            copy_row(&mut buf, ids.get(i).copied(), p, champion_id, sets[i]);
        }
        let columns = if ids.is_empty() { PREDICTION_COLUMNS.to_owned() } else { format!("id, {PREDICTION_COLUMNS}") };
        let mut writer = tx.copy_in(&format!("COPY predictions ({columns}) FROM STDIN")).map_err(err)?;
        writer.write_all(&buf).map_err(|error| Error::Io { path: url.clone().into(), error })?;
        writer.finish().map_err(err)?;
        tx.commit().map_err(err)
    }

    fn upsert_outcomes(&mut self, outcomes: &[Outcome], received_at_ms: i64) -> Result<OutcomeReport> {
        let url = self.url.clone();
        let err = |error| Error::Postgres { url: url.clone(), error };
        let mut report = OutcomeReport { received: outcomes.len() as u64, ..Default::default() };
        let unique = dedupe_outcomes(outcomes);
        let ids: Vec<&str> = unique.iter().map(|o| o.lead_id.as_str()).collect();
        let mut tx = self.client.transaction().map_err(err)?;
        let known: std::collections::BTreeSet<String> = tx
            .query("SELECT DISTINCT lead_id FROM predictions WHERE lead_id = ANY($1)", &[&ids])
            .map_err(err)?
            .into_iter()
            .map(|r| r.get(0))
            .collect();
        let (mut keep_ids, mut won, mut closed) = (Vec::new(), Vec::new(), Vec::new());
        for o in unique {
            if known.contains(&o.lead_id) {
                keep_ids.push(o.lead_id.as_str());
                won.push(o.won);
                closed.push(o.closed_at.as_deref());
            } else {
                report.note_unknown(&o.lead_id);
            }
        }
        if !keep_ids.is_empty() {
            tx.execute(
                "INSERT INTO outcomes (lead_id, won, closed_at, received_at_ms)
                 SELECT id, w, c, $4 FROM unnest($1::text[], $2::boolean[], $3::text[]) AS u(id, w, c)
                 ON CONFLICT (lead_id) DO UPDATE SET won = excluded.won, closed_at = excluded.closed_at",
                &[&keep_ids, &won, &closed, &received_at_ms],
            )
            .map_err(err)?;
        }
        tx.commit().map_err(err)?;
        report.stored = keep_ids.len() as u64;
        Ok(report)
    }

    fn forget(&mut self, lead_id: &str) -> Result<Forgotten> {
        let url = self.url.clone();
        let err = |error| Error::Postgres { url: url.clone(), error };
        let mut tx = self.client.transaction().map_err(err)?;
        let predictions = tx.execute("DELETE FROM predictions WHERE lead_id = $1", &[&lead_id]).map_err(err)?;
        let outcomes = tx.execute("DELETE FROM outcomes WHERE lead_id = $1", &[&lead_id]).map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(Forgotten { predictions, outcomes })
    }

    fn purge_before(&mut self, cutoff_ms: i64) -> Result<u64> {
        let url = self.url.clone();
        let err = |error| Error::Postgres { url: url.clone(), error };
        let mut tx = self.client.transaction().map_err(err)?;
        let mut n = 0;
        // Per model version, so that each DELETE reads `predictions_model_time`.
        for row in tx.query(schema::MODEL_VERSIONS, &[]).map_err(err)? {
            let (model, version): (String, String) = (row.try_get(0).map_err(err)?, row.try_get(1).map_err(err)?);
            n += tx
                .execute(
                    "DELETE FROM predictions WHERE model = $1 AND version = $2 AND scored_at_ms < $3",
                    &[&model, &version, &cutoff_ms],
                )
                .map_err(err)?;
        }
        tx.execute(
            "DELETE FROM outcomes o WHERE NOT EXISTS (SELECT 1 FROM predictions p WHERE p.lead_id = o.lead_id)",
            &[],
        )
        .map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(n)
    }

    fn rows(&mut self, filter: &Filter) -> Result<Vec<LoggedRow>> {
        let url = self.url.clone();
        let err = |error| Error::Postgres { url: url.clone(), error };
        let rows = self
            .client
            .query(
                &format!(
                    "SELECT p.id, p.scored_at_ms, p.model, p.version, p.shadow, p.lead_id, p.probability, p.score,
                        p.tier, p.mql, p.threshold, p.rule_points, p.rule_mql, p.fields, o.won, o.closed_at,
                        o.received_at_ms, p.champion_id, p.field_set
                     FROM predictions p LEFT JOIN outcomes o ON o.lead_id = p.lead_id
                     WHERE {FILTER}
                     ORDER BY p.id LIMIT $8::bigint"
                ),
                &[&filter_params(filter)[..], &[&filter.limit.map(|n| i64::try_from(n).unwrap_or(i64::MAX))]].concat(),
            )
            .map_err(err)?;
        let mut sets = FieldSets::default();
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let row_id: i64 = r.get(0);
            let score: i16 = r.get(7);
            let fields = match r.get::<_, Option<String>>(13) {
                Some(text) => {
                    let names = match r.get::<_, Option<i64>>(18) {
                        Some(id) => Some(sets.get(row_id, id, |id| {
                            self.client
                                .query_one("SELECT names FROM field_sets WHERE id = $1", &[&id])
                                .map(|r| r.get(0))
                                .map_err(err)
                        })?),
                        None => None,
                    };
                    Some(Fields::read(&text, names).map_err(|reason| Error::Corrupt { row: row_id, reason })?)
                }
                None => None,
            };
            let prediction = Prediction {
                scored_at_ms: r.get(1),
                model: r.get(2),
                version: r.get(3),
                shadow: r.get(4),
                lead_id: r.get(5),
                probability: r.get(6),
                score: u8::try_from(score)
                    .map_err(|_| Error::Corrupt { row: row_id, reason: format!("score {score} is not 1-99") })?,
                tier: r.get(8),
                mql: r.get(9),
                threshold: r.get(10),
                rule_points: r.get(11),
                rule_mql: r.get(12),
                fields,
            };
            let outcome = r.get::<_, Option<bool>>(14).map(|won| StoredOutcome {
                won,
                closed_at: r.get(15),
                received_at_ms: r.get::<_, Option<i64>>(16).unwrap_or(0),
            });
            out.push(LoggedRow { row_id, prediction, outcome, champion_id: r.get(17) });
        }
        Ok(out)
    }

    fn nth_newest_id(&mut self, filter: &Filter, n: u64) -> Result<Option<i64>> {
        let url = self.url.clone();
        let err = |error| Error::Postgres { url: url.clone(), error };
        let skip = i64::try_from(n).unwrap_or(i64::MAX);
        let row = self
            .client
            .query_opt(
                &format!("SELECT p.id FROM predictions p WHERE {FILTER} ORDER BY p.id DESC LIMIT 1 OFFSET $8"),
                &[&filter_params(filter)[..], &[&skip]].concat(),
            )
            .map_err(err)?;
        Ok(row.map(|r| r.get(0)))
    }

    fn paired_rows(&mut self, filter: &PairFilter) -> Result<Vec<PairedRow>> {
        let url = self.url.clone();
        let err = |error| Error::Postgres { url: url.clone(), error };
        let sql = format!(
            "{} WHERE s.model = $1 AND s.shadow AND ($2::text IS NULL OR s.version = $2)
               AND ($3::text IS NULL OR c.version = $3)
               AND ($4::bigint IS NULL OR c.scored_at_ms >= $4) AND ($5::bigint IS NULL OR c.scored_at_ms < $5)
               AND ($6::bigint IS NULL OR s.id > $6) AND ($7::bigint IS NULL OR s.id <= $7)
             ORDER BY s.id LIMIT $8::bigint",
            schema::PAIRED_ROWS
        );
        let limit = filter.limit.map(|n| i64::try_from(n).unwrap_or(i64::MAX));
        let rows = self
            .client
            .query(
                &sql,
                &[
                    &filter.model,
                    &filter.challenger,
                    &filter.champion,
                    &filter.since_ms,
                    &filter.until_ms,
                    &filter.after_id,
                    &filter.through_id,
                    &limit,
                ],
            )
            .map_err(err)?;
        let score = |row_id: i64, s: i16| {
            u8::try_from(s).map_err(|_| Error::Corrupt { row: row_id, reason: format!("score {s} is not 1-99") })
        };
        rows.into_iter()
            .map(|r| {
                let (champion_id, shadow_id): (i64, i64) = (r.get(0), r.get(12));
                let model: String = r.get(20);
                let lead_id: String = r.get(3);
                let champion = LoggedRow {
                    row_id: champion_id,
                    prediction: Prediction {
                        scored_at_ms: r.get(1),
                        model: model.clone(),
                        version: r.get(2),
                        shadow: false,
                        lead_id: lead_id.clone(),
                        probability: r.get(4),
                        score: score(champion_id, r.get(5))?,
                        tier: r.get(6),
                        mql: r.get(7),
                        threshold: r.get(8),
                        rule_points: None,
                        rule_mql: None,
                        fields: None,
                    },
                    outcome: r.get::<_, Option<bool>>(9).map(|won| StoredOutcome {
                        won,
                        closed_at: r.get(10),
                        received_at_ms: r.get::<_, Option<i64>>(11).unwrap_or(0),
                    }),
                    champion_id: None,
                };
                let challenger = LoggedRow {
                    row_id: shadow_id,
                    prediction: Prediction {
                        scored_at_ms: r.get(13),
                        model,
                        version: r.get(14),
                        shadow: true,
                        lead_id,
                        probability: r.get(15),
                        score: score(shadow_id, r.get(16))?,
                        tier: r.get(17),
                        mql: r.get(18),
                        threshold: r.get(19),
                        rule_points: None,
                        rule_mql: None,
                        fields: None,
                    },
                    outcome: None,
                    champion_id: Some(champion_id),
                };
                Ok(PairedRow { champion, challenger })
            })
            .collect()
    }

    fn count_outcomes(&mut self) -> Result<u64> {
        let err = self.err();
        let n: i64 = self.client.query_one("SELECT COUNT(*) FROM outcomes", &[]).map_err(err)?.get(0);
        Ok(u64::try_from(n).unwrap_or(0))
    }

    fn shadow_versions(&mut self, model: &str) -> Result<Vec<String>> {
        let err = self.err();
        let rows = self
            .client
            .query("SELECT DISTINCT version FROM predictions WHERE model = $1 AND shadow ORDER BY version", &[&model])
            .map_err(err)?;
        Ok(rows.into_iter().map(|r| r.get(0)).collect())
    }

    fn versions(&mut self) -> Result<Vec<(String, String, u64)>> {
        let err = self.err();
        let rows = self
            .client
            .query(
                "SELECT model, version, COUNT(*) FROM predictions GROUP BY model, version ORDER BY model, version",
                &[],
            )
            .map_err(err)?;
        Ok(rows.into_iter().map(|r| (r.get(0), r.get(1), u64::try_from(r.get::<_, i64>(2)).unwrap_or(0))).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_text_escapes_what_the_text_format_needs() {
        let mut out = Vec::new();
        copy_text(&mut out, "a\tb\nc\\d\re");
        assert_eq!(out, b"a\\tb\\nc\\\\d\\re");
    }
}
