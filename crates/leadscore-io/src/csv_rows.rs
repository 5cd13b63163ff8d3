//! CSV rows written into one buffer by the csv crate's own quoting rules
//! (csv-core's `should_quote`, the default writer's settings), without the
//! per-field writer machinery around them.
//!
//! Batch scoring writes ten fields per lead; through `csv::Writer` each was a
//! fallible call, a quoting scan and a copy into a second buffer, about a
//! third of the time spent per row. Here the fields scoring makes itself
//! (probabilities, scores, flags) skip the scan, and the rest are scanned and
//! copied once. A proptest holds the bytes to `csv::Writer`'s.

/// Rows of CSV in one growing buffer.
pub(crate) struct CsvRows {
    bytes: Vec<u8>,
    /// Only asked whether a field needs quotes: csv's default writer settings.
    rules: csv_core::Writer,
    /// Whether the current row has a field yet (the next one needs a comma).
    in_row: bool,
}

impl CsvRows {
    /// An empty buffer with room for `capacity` bytes.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        CsvRows { bytes: Vec::with_capacity(capacity), rules: csv_core::Writer::new(), in_row: false }
    }

    /// A field of any text, quoted when csv's rules ask for it.
    pub(crate) fn field(&mut self, text: &[u8]) {
        self.delimit();
        if self.rules.should_quote(text) {
            self.bytes.push(b'"');
            for (i, piece) in text.split(|&b| b == b'"').enumerate() {
                if i > 0 {
                    self.bytes.extend_from_slice(b"\"\"");
                }
                self.bytes.extend_from_slice(piece);
            }
            self.bytes.push(b'"');
        } else {
            self.bytes.extend_from_slice(text);
        }
    }

    /// A field scoring wrote itself (digits, a point, a sign, `true`): never quoted.
    pub(crate) fn plain(&mut self, text: &[u8]) {
        debug_assert!(!self.rules.should_quote(text), "{text:?} needs quotes");
        self.delimit();
        self.bytes.extend_from_slice(text);
    }

    /// Ends the row. Rows here always have several fields, so an empty one
    /// never stands alone (csv quotes a lone empty field).
    pub(crate) fn end_row(&mut self) {
        self.bytes.push(b'\n');
        self.in_row = false;
    }

    /// The rows written.
    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    fn delimit(&mut self) {
        if self.in_row {
            self.bytes.push(b',');
        }
        self.in_row = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Any rows of two or more fields come out as `csv::Writer` writes them:
        /// commas, quotes, CR, LF, blanks and non-ASCII text included.
        #[test]
        fn rows_are_what_the_csv_writer_writes(
            rows in proptest::collection::vec(
                proptest::collection::vec("[a ,\"\r\n#é;'\t-]{0,6}", 2..6),
                0..5,
            ),
        ) {
            let mut ours = CsvRows::with_capacity(0);
            let mut theirs = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
            for row in &rows {
                for field in row {
                    ours.field(field.as_bytes());
                }
                ours.end_row();
                theirs.write_record(row).unwrap();
            }
            proptest::prop_assert_eq!(ours.into_bytes(), theirs.into_inner().unwrap());
        }
    }

    #[test]
    fn plain_fields_are_written_as_they_are() {
        let mut rows = CsvRows::with_capacity(0);
        for field in ["0.25", "7", "true"] {
            rows.plain(field.as_bytes());
        }
        rows.field(b"a \"b\", c");
        rows.end_row();
        assert_eq!(rows.into_bytes(), b"0.25,7,true,\"a \"\"b\"\", c\"\n");
    }
}
