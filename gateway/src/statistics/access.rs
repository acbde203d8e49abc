//! Who may read which statistics: every coordinator the national figures; an area's figures and those of its
//! regions only the coordinators the registry names for that area.

use super::release::Asked;
use crate::error::{Error, Result};
use expertnet_federation::Registry;

/// Refuses `coordinator` reading `asked` unless the registry lets them; unknown regions and areas are
/// `NOT_FOUND`.
pub fn may_read(registry: &Registry, coordinator: &str, asked: Asked<'_>) -> Result<()> {
    let area = match asked {
        Asked::National => return Ok(()),
        Asked::Region(id) => {
            if registry.get(id).is_none() {
                return Err(Error::NotFound(format!(
                    "region {id} is not in the registry"
                )));
            }
            registry
                .areas()
                .iter()
                .find(|a| a.regions.iter().any(|r| r == id))
        }
        Asked::Area(id) => Some(
            registry
                .area(id)
                .ok_or_else(|| Error::NotFound(format!("area {id} is not in the registry")))?,
        ),
    };
    if area.is_some_and(|a| a.coordinators.iter().any(|c| c == coordinator)) {
        return Ok(());
    }
    let own: Vec<&str> = registry
        .areas_of_coordinator(coordinator)
        .map(|a| a.id.as_str())
        .collect();
    tracing::warn!(coordinator, asked = %asked, "refused: statistics outside the coordinator's area");
    Err(Error::PermissionDenied(format!(
        "coordinator {coordinator} may read the national figures{}; not those of {asked}",
        if own.is_empty() {
            " only".to_owned()
        } else {
            format!(" and those of area {} and its regions", own.join(", "))
        }
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry() -> Registry {
        let path =
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../deploy/registry.toml");
        Registry::load(&path).unwrap()
    }

    #[test]
    fn coordinators_read_their_area_and_the_nation() {
        let registry = registry();
        let east = "coordinator-oost-nederland";
        assert!(may_read(&registry, east, Asked::National).is_ok());
        assert!(may_read(&registry, east, Asked::Area("oost-nederland")).is_ok());
        assert!(may_read(&registry, east, Asked::Region("rivierenland")).is_ok());
        let err = may_read(&registry, east, Asked::Region("lekstroom")).unwrap_err();
        assert!(matches!(err, Error::PermissionDenied(_)), "{err}");
        assert!(err.to_string().contains("area oost-nederland"), "{err}");
        let err = may_read(&registry, "coordinator", Asked::Area("utrecht-flevoland")).unwrap_err();
        assert!(err.to_string().contains("national figures only"), "{err}");
        let err = may_read(&registry, east, Asked::Area("noord")).unwrap_err();
        assert!(matches!(err, Error::NotFound(_)), "{err}");
        let err = may_read(&registry, east, Asked::Region("zeeland")).unwrap_err();
        assert!(matches!(err, Error::NotFound(_)), "{err}");
    }
}
