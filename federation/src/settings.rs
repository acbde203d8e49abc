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
