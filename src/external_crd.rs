// TEMPORARY STUB (not committed)
pub struct ExternalCrd {
    pub group: String,
    pub kind: String,
    pub plural: String,
    pub namespaced: bool,
    pub versions: Vec<String>,
    pub storage_version: String,
}
impl ExternalCrd {
    pub fn parse(_text: &str, _path: &str) -> anyhow::Result<ExternalCrd> {
        anyhow::bail!("stub")
    }
    pub fn rust_types(&self, _version: &str, _header: &str) -> anyhow::Result<String> {
        anyhow::bail!("stub")
    }
    pub fn sample(&self, _version: &str, _name: &str) -> serde_json::Value {
        serde_json::Value::Null
    }
}
