//! Saved grader calibrations: what `interviewer calibrate --judge llm` measured for a model server,
//! keyed by base URL and model name, in `calibrations.json` in the data directory. An interview
//! with that model combines the judge and the rubric scorer with the weights measured there.

use super::StoreError;
use crate::scoring::fusion::Weights;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The file, in the data directory.
pub const FILE: &str = "calibrations.json";

/// One model's measurement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedCalibration {
    pub base_url: String,
    pub model: String,
    /// The graded set it was measured on.
    pub set: String,
    pub n: usize,
    /// Spearman of the LLM judge (as the interview uses it, with its rubric fallbacks).
    pub judge_spearman: f64,
    /// Spearman of the rubric scorer on the same rows.
    pub rubric_spearman: f64,
    /// Spearman of the two combined with `weights`, cross-fitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub combined_spearman: Option<f64>,
    /// How much the judge counts for this model (absent in files from before weights).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights: Option<Weights>,
    pub at: DateTime<Utc>,
}

impl SavedCalibration {
    /// The weights to grade with. A file from before weights measured the judge's earlier
    /// single-request protocol, which no longer runs: it gives none, and the defaults apply.
    pub fn weights(&self) -> Option<Weights> {
        self.weights
    }
}

/// The key of a model: its base URL (without a trailing slash) and name.
fn key(base_url: &str, model: &str) -> String {
    format!("{} {}", base_url.trim().trim_end_matches('/'), model.trim())
}

/// The saved calibrations of one data directory.
pub struct Calibrations {
    path: PathBuf,
}

impl Calibrations {
    pub fn in_home(home: &Path) -> Self {
        Self {
            path: home.join(FILE),
        }
    }

    fn read(&self) -> Result<BTreeMap<String, SavedCalibration>, StoreError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
            Err(source) => {
                return Err(StoreError::Io {
                    action: "read",
                    path: self.path.clone(),
                    error: source,
                });
            }
        };
        serde_json::from_str(&text).map_err(|e| StoreError::Corrupt {
            path: self.path.clone(),
            line: e.line(),
            message: e.to_string(),
        })
    }

    /// The calibration saved for a model, if any.
    pub fn get(&self, base_url: &str, model: &str) -> Result<Option<SavedCalibration>, StoreError> {
        Ok(self.read()?.remove(&key(base_url, model)))
    }

    /// Save (replace) a model's calibration; written to a temporary file, then renamed.
    pub fn save(&self, cal: &SavedCalibration) -> Result<(), StoreError> {
        // A corrupt file is replaced rather than blocking the new measurement.
        let mut all = self.read().unwrap_or_default();
        all.insert(key(&cal.base_url, &cal.model), cal.clone());
        let io = |action, source| StoreError::Io {
            action,
            path: self.path.clone(),
            error: source,
        };
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| io("create the directory of", e))?;
        }
        let tmp = self.path.with_extension("json.tmp");
        let text = serde_json::to_string_pretty(&all)?;
        std::fs::write(&tmp, text).map_err(|e| io("write", e))?;
        std::fs::rename(&tmp, &self.path).map_err(|e| io("write", e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cal(model: &str, judge: f64, rubric: f64) -> SavedCalibration {
        SavedCalibration {
            base_url: "http://127.0.0.1:8089/v1/".into(),
            model: model.into(),
            set: "built-in test split".into(),
            n: 30,
            judge_spearman: judge,
            rubric_spearman: rubric,
            combined_spearman: None,
            weights: None,
            at: Utc::now(),
        }
    }

    #[test]
    fn saved_calibrations_are_found_by_base_url_and_model() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Calibrations::in_home(dir.path());
        assert_eq!(store.get("http://x/v1", "m").expect("empty"), None);
        store.save(&cal("local", 0.4, 0.8)).expect("saved");
        store.save(&cal("other", 0.9, 0.8)).expect("saved");
        store.save(&cal("local", 0.5, 0.8)).expect("replaced");
        let got = store
            .get("http://127.0.0.1:8089/v1", "local")
            .expect("read")
            .expect("found without the trailing slash");
        assert_eq!(got.judge_spearman, 0.5);
        assert_eq!(got.weights(), None, "a file from before weights gives none");
        let other = store
            .get("http://127.0.0.1:8089/v1", "other")
            .expect("read");
        assert!(other.is_some());
        let mut weighted = cal("w", 0.6, 0.8);
        weighted.weights = Some(Weights {
            judge: 0.2,
            unlisted_errors: false,
        });
        store.save(&weighted).expect("saved");
        let back = store.get("http://127.0.0.1:8089/v1", "w").expect("read");
        assert_eq!(back.and_then(|c| c.weights()).map(|w| w.judge), Some(0.2));
    }

    #[test]
    fn a_corrupt_file_is_an_error_naming_it_and_is_replaced_on_save() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join(FILE), "{not json").expect("write");
        let store = Calibrations::in_home(dir.path());
        let err = store.get("u", "m").expect_err("corrupt");
        assert!(err.to_string().contains(FILE), "{err}");
        store.save(&cal("m", 0.1, 0.2)).expect("saved over it");
        assert!(
            store
                .get("http://127.0.0.1:8089/v1", "m")
                .expect("read")
                .is_some()
        );
    }
}
