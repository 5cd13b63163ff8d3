//! "Did you mean": the name a person most likely meant when they misspelt a column, for
//! rules files, flags like `--exclude` and `--id`, and anything else naming columns.

/// Names longer than this are compared by their first this many characters.
const MAX_CHARS: usize = 200;

/// The name among `names` that a misspelt `name` most likely means: the nearest by edit
/// distance when it is within a third of the name's length, else the only one sharing its
/// first four characters or more (`job_title` → `job_level`). `None` when nothing is close.
pub fn did_you_mean<'s>(names: impl Iterator<Item = &'s str> + Clone, name: &str) -> Option<&'s str> {
    // Far longer names are not misspellings, and the distance costs their product.
    let name: String = name.chars().take(MAX_CHARS).collect();
    let name = name.as_str();
    let names = names.filter(|k| k.chars().count() <= MAX_CHARS);
    let nearest = names.clone().min_by_key(|k| distance(k, name))?;
    if distance(nearest, name) <= name.chars().count().max(3) / 3 {
        return Some(nearest);
    }
    let prefix = |k: &str| k.chars().zip(name.chars()).take_while(|(a, b)| a.eq_ignore_ascii_case(b)).count();
    let longest = names.clone().map(prefix).max()?;
    let mut sharing = names.filter(|k| prefix(k) == longest);
    match (sharing.next(), sharing.next()) {
        (Some(only), None) if longest >= 4 => Some(only),
        _ => None,
    }
}

/// Edit distance, for "did you mean" on misspelt field names.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::did_you_mean;

    #[test]
    fn near_names_and_shared_prefixes_are_suggested() {
        let names = ["job_level", "lead_source", "page_views", "country"];
        let of = |name: &str| did_you_mean(names.iter().copied(), name);
        assert_eq!(of("job_levle"), Some("job_level"));
        assert_eq!(of("job_title"), Some("job_level"));
        assert_eq!(of("Country"), Some("country"));
        assert_eq!(of("pageviews"), Some("page_views"));
        assert_eq!(of("zzz"), None);
        assert_eq!(did_you_mean(std::iter::empty(), "x"), None);
    }
}
