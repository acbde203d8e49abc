//! What the node's and the gateway's layered configuration (figment) have in common.

/// figment's errors name the key path; keep that, drop the provider noise, so a bad value stops start-up with
/// a message naming the key (`server.listen: …`).
pub fn describe_figment_error(err: &figment::Error) -> String {
    let mut lines = Vec::new();
    for e in err.clone() {
        let key = e.path.join(".");
        let source = e
            .metadata
            .as_ref()
            .map(|m| format!(" (from {})", m.name))
            .unwrap_or_default();
        if key.is_empty() {
            lines.push(format!("{}{source}", e.kind));
        } else {
            lines.push(format!("{key}: {}{source}", e.kind));
        }
    }
    lines.join("; ")
}

/// Loads a configuration in layers — `defaults`, then the TOML `file` (which must exist when named), then the
/// environment `env`, then what `flags` merges from the command line — and names the key of the first problem.
/// The node and the gateway load theirs this way.
pub fn load_layered<T>(
    defaults: T,
    file: Option<&std::path::Path>,
    env: figment::providers::Env,
    flags: impl FnOnce(figment::Figment) -> figment::Figment,
) -> Result<T, String>
where
    T: serde::Serialize + serde::de::DeserializeOwned,
{
    use figment::providers::{Format, Serialized, Toml};
    let mut figment = figment::Figment::from(Serialized::defaults(defaults));
    if let Some(file) = file {
        if !file.is_file() {
            return Err(format!("--config: no file at {}", file.display()));
        }
        figment = figment.merge(Toml::file_exact(file));
    }
    flags(figment.merge(env))
        .extract()
        .map_err(|err| describe_figment_error(&err))
}
