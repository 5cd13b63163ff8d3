//! Removing old versions of a model while keeping the ones the registry still points at: the
//! current version, the one `rollback` would return to, and the challenger.

use std::fs;

use crate::{Error, Registry, Result};

/// What [`Registry::prune`] did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Pruned {
    /// Versions removed, oldest first.
    pub removed: Vec<String>,
    /// Versions kept, oldest first.
    pub kept: Vec<String>,
}

impl Registry {
    /// Removes all but the newest `keep` versions of `name`, never the current, previous or
    /// challenger version. Each version is renamed out of the way first, so a reader sees it
    /// whole or not at all.
    pub fn prune(&self, name: &str, keep: usize) -> Result<Pruned> {
        if keep == 0 {
            return Err(Error::Registry {
                path: self.root().join(name),
                message: "--keep 0 would remove every version; keep at least 1".into(),
            });
        }
        let _lock = self.lock(name, "prune")?;
        let protected: Vec<String> =
            [self.current(name).ok(), self.previous(name)?, self.challenger(name)?].into_iter().flatten().collect();
        let versions = self.versions(name)?;
        let newest: Vec<&String> = versions.iter().rev().take(keep).map(|(_, v)| v).collect();
        let mut pruned = Pruned::default();
        for (_, version) in &versions {
            if newest.contains(&version) || protected.contains(version) {
                pruned.kept.push(version.clone());
                continue;
            }
            let dir = self.root().join(name).join(version);
            let doomed = self.root().join(name).join(format!(".pruned-{version}-{}", std::process::id()));
            fs::rename(&dir, &doomed).map_err(|e| Error::io(&dir, e))?;
            fs::remove_dir_all(&doomed).map_err(|e| Error::io(&doomed, e))?;
            pruned.removed.push(version.clone());
        }
        Ok(pruned)
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::registry_with;

    #[test]
    fn prune_keeps_the_newest_and_every_alias() {
        let (_dir, reg) = registry_with(6);
        reg.promote("leads", "v2", true, "promote").unwrap();
        reg.promote("leads", "v3", true, "promote").unwrap(); // current v3, previous v2
        reg.set_challenger("leads", "v1", "challenger set").unwrap();
        let pruned = reg.prune("leads", 1).unwrap();
        assert_eq!(pruned.removed, ["v4", "v5"]);
        assert_eq!(pruned.kept, ["v1", "v2", "v3", "v6"]);
        assert!(!reg.root().join("leads/v4").exists());
        assert_eq!(reg.current("leads").unwrap(), "v3");
        assert!(reg.prune("leads", 0).unwrap_err().to_string().contains("keep at least 1"));
    }
}
