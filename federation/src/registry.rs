//! The region registry: which regions make up the network, their municipalities, where their nodes listen,
//! what expertise they offer and with whom they have a data-exchange covenant. It is configuration (a TOML file
//! in `deploy/`), read and checked once at start; a mistake stops start-up with a message naming the key.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// A region's id as it appears in certificates, configuration and routing: `a-z` and `-`.
pub fn is_region_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_lowercase() || c == '-')
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Region {
    pub id: String,
    pub name: String,
    pub municipalities: Vec<String>,
    /// The node's federation endpoint, e.g. `https://127.0.0.1:50061`.
    pub endpoint: String,
    /// Expertise tags consultations are routed by (`lvb`, `residential-outflow`, …).
    #[serde(default)]
    pub expertise: Vec<String>,
    /// Regions this one has a data-exchange covenant with; covenants are mutual.
    #[serde(default)]
    pub covenants: Vec<String>,
}

/// A supra-regional area (one of the national expertise networks' areas): the regions it covers and the
/// coordinators (by the name in their certificate) who may read its signals and statistics.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Area {
    pub id: String,
    pub name: String,
    pub regions: Vec<String>,
    #[serde(default)]
    pub coordinators: Vec<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct RegistryFile {
    regions: Vec<Region>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    areas: Vec<Area>,
}

/// The checked registry, by region id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registry {
    regions: BTreeMap<String, Region>,
    /// Region ids in the order the file lists them.
    order: Vec<String>,
    /// Areas in the order the file lists them; a region lies in at most one.
    areas: Vec<Area>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("registry: {0}")]
pub struct RegistryError(pub String);

impl Registry {
    pub fn load(path: &Path) -> Result<Registry, RegistryError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| RegistryError(format!("cannot read {}: {e}", path.display())))?;
        Registry::parse(&text)
    }

    pub fn parse(text: &str) -> Result<Registry, RegistryError> {
        let file: RegistryFile = toml::from_str(text).map_err(|e| RegistryError(e.to_string()))?;
        Registry::new(file.regions)?.with_areas(file.areas)
    }

    /// The registry with `areas`, checked: known regions, each in one area at most, coordinator names like ids.
    pub fn with_areas(mut self, areas: Vec<Area>) -> Result<Registry, RegistryError> {
        let mut placed: BTreeMap<&str, &str> = BTreeMap::new();
        for (a, area) in areas.iter().enumerate() {
            let at = |key: &str| format!("areas[{a}].{key}");
            if !is_region_id(&area.id) || areas[..a].iter().any(|other| other.id == area.id) {
                return Err(RegistryError(format!(
                    "{}: '{}' must be 1-64 of a-z and '-', and unique",
                    at("id"),
                    area.id
                )));
            }
            if area.name.trim().is_empty() {
                return Err(RegistryError(format!("{}: must not be empty", at("name"))));
            }
            if area.regions.is_empty() {
                return Err(RegistryError(format!(
                    "{}: an area covers at least one region",
                    at("regions")
                )));
            }
            for region in &area.regions {
                if !self.regions.contains_key(region) {
                    return Err(RegistryError(format!(
                        "{}: unknown region '{region}'",
                        at("regions")
                    )));
                }
                if let Some(first) = placed.insert(region, &area.id) {
                    return Err(RegistryError(format!(
                        "{}: {region} already lies in area {first}; a region lies in one area",
                        at("regions")
                    )));
                }
            }
            if let Some(name) = area.coordinators.iter().find(|c| !is_region_id(c)) {
                return Err(RegistryError(format!(
                    "{}: '{name}' must be a certificate name of a-z and '-'",
                    at("coordinators")
                )));
            }
        }
        self.areas = areas;
        Ok(self)
    }

    pub fn new(list: Vec<Region>) -> Result<Registry, RegistryError> {
        let mut regions = BTreeMap::new();
        let mut order = Vec::new();
        for (i, region) in list.into_iter().enumerate() {
            let at = |key: &str| format!("regions[{i}].{key}");
            if !is_region_id(&region.id) {
                return Err(RegistryError(format!(
                    "{}: '{}' must be 1-64 of a-z and '-'",
                    at("id"),
                    region.id
                )));
            }
            if region.name.trim().is_empty() {
                return Err(RegistryError(format!("{}: must not be empty", at("name"))));
            }
            if !region.endpoint.starts_with("https://") {
                return Err(RegistryError(format!(
                    "{}: '{}' must be an https:// URL: nodes are reached over mutual TLS only",
                    at("endpoint"),
                    region.endpoint
                )));
            }
            for (t, tag) in region.expertise.iter().enumerate() {
                let ok = !tag.is_empty()
                    && tag
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
                if !ok {
                    return Err(RegistryError(format!(
                        "{}: '{tag}' must be a-z, 0-9 and '-'",
                        at(&format!("expertise[{t}]"))
                    )));
                }
            }
            if regions.contains_key(&region.id) {
                return Err(RegistryError(format!(
                    "{}: '{}' appears twice",
                    at("id"),
                    region.id
                )));
            }
            order.push(region.id.clone());
            regions.insert(region.id.clone(), region);
        }
        for region in regions.values() {
            for other in &region.covenants {
                let Some(partner) = regions.get(other) else {
                    return Err(RegistryError(format!(
                        "region {}: covenants: unknown region '{other}'",
                        region.id
                    )));
                };
                if !partner.covenants.contains(&region.id) {
                    return Err(RegistryError(format!(
                        "region {}: covenants: {other} does not list {} back; a covenant binds both regions",
                        region.id, region.id
                    )));
                }
            }
        }
        Ok(Registry {
            regions,
            order,
            areas: Vec::new(),
        })
    }

    /// The registry as a TOML file.
    pub fn to_toml(&self) -> String {
        let file = RegistryFile {
            regions: self.regions().cloned().collect(),
            areas: self.areas.clone(),
        };
        toml::to_string(&file).expect("a registry always serialises")
    }

    pub fn get(&self, id: &str) -> Option<&Region> {
        self.regions.get(id)
    }

    pub fn regions(&self) -> impl Iterator<Item = &Region> {
        self.order.iter().filter_map(|id| self.regions.get(id))
    }

    pub fn areas(&self) -> &[Area] {
        &self.areas
    }

    pub fn area(&self, id: &str) -> Option<&Area> {
        self.areas.iter().find(|a| a.id == id)
    }

    /// The areas `coordinator` coordinates.
    pub fn areas_of_coordinator<'a>(
        &'a self,
        coordinator: &'a str,
    ) -> impl Iterator<Item = &'a Area> {
        self.areas
            .iter()
            .filter(move |a| a.coordinators.iter().any(|c| c == coordinator))
    }

    /// True when both regions have signed a data-exchange covenant with each other.
    pub fn have_covenant(&self, a: &str, b: &str) -> bool {
        self.get(a)
            .is_some_and(|r| r.covenants.iter().any(|c| c == b))
    }

    /// Regions other than `asking` offering any of `tags`, best match (most tags) first, then by id.
    pub fn by_expertise(&self, tags: &[String], asking: &str) -> Vec<&Region> {
        let mut found: Vec<(usize, &Region)> = self
            .regions
            .values()
            .filter(|r| r.id != asking)
            .map(|r| (tags.iter().filter(|t| r.expertise.contains(t)).count(), r))
            .filter(|(hits, _)| *hits > 0)
            .collect();
        found.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.id.cmp(&b.1.id)));
        found.into_iter().map(|(_, r)| r).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO: &str = r#"
[[regions]]
id = "lekstroom"
name = "Lekstroom"
municipalities = ["Houten"]
endpoint = "https://127.0.0.1:50061"
expertise = ["school-absence"]
covenants = ["rivierenland"]

[[regions]]
id = "rivierenland"
name = "Rivierenland"
municipalities = ["Tiel"]
endpoint = "https://127.0.0.1:50063"
expertise = ["school-absence", "lvb"]
covenants = ["lekstroom"]
"#;

    #[test]
    fn parses_and_answers_questions() {
        let registry = Registry::parse(TWO).unwrap();
        assert!(registry.have_covenant("lekstroom", "rivierenland"));
        assert!(!registry.have_covenant("lekstroom", "flevoland-utrecht"));
        let found = registry.by_expertise(&["lvb".into(), "school-absence".into()], "lekstroom");
        assert_eq!(
            found.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
            ["rivierenland"]
        );
    }

    #[test]
    fn one_sided_covenant_is_refused() {
        let text = TWO.replace("covenants = [\"lekstroom\"]", "covenants = []");
        let err = Registry::parse(&text).unwrap_err();
        assert!(err.0.contains("does not list lekstroom back"), "{err}");
    }

    const AREA: &str = r#"
[[areas]]
id = "midden"
name = "Midden"
regions = ["lekstroom", "rivierenland"]
coordinators = ["ilse"]
"#;

    #[test]
    fn areas_are_read_and_checked() {
        let registry = Registry::parse(&format!("{TWO}{AREA}")).unwrap();
        assert_eq!(registry.area("midden").unwrap().regions.len(), 2);
        assert_eq!(registry.areas_of_coordinator("ilse").count(), 1);
        assert_eq!(registry.areas_of_coordinator("someone").count(), 0);
        assert_eq!(Registry::parse(&registry.to_toml()).unwrap(), registry);
        let twice = format!(
            "{TWO}{AREA}{}",
            AREA.replace("\"midden\"", "\"other\"")
                .replace("\"Midden\"", "\"Other\"")
        );
        let err = Registry::parse(&twice).unwrap_err();
        assert!(
            err.0
                .contains("areas[1].regions: lekstroom already lies in area midden"),
            "{err}"
        );
        let err = Registry::parse(&format!(
            "{TWO}{}",
            AREA.replace("rivierenland", "flevoland")
        ))
        .unwrap_err();
        assert!(
            err.0
                .contains("areas[0].regions: unknown region 'flevoland'"),
            "{err}"
        );
        let err =
            Registry::parse(&format!("{TWO}{}", AREA.replace("ilse", "Ilse V."))).unwrap_err();
        assert!(err.0.contains("areas[0].coordinators"), "{err}");
        let err = Registry::parse(&format!(
            "{TWO}{}",
            AREA.replace("\"lekstroom\", \"rivierenland\"", "")
        ))
        .unwrap_err();
        assert!(
            err.0
                .contains("areas[0].regions: an area covers at least one region"),
            "{err}"
        );
    }

    #[test]
    fn bad_entries_name_the_key() {
        let err =
            Registry::parse(&TWO.replace("id = \"lekstroom\"", "id = \"Lek Stroom\"")).unwrap_err();
        assert!(err.0.contains("regions[0].id"), "{err}");
        let err = Registry::parse(&TWO.replace("lvb", "LVB!")).unwrap_err();
        assert!(err.0.contains("regions[1].expertise[1]"), "{err}");
        let plaintext = TWO.replace("https://127.0.0.1:50063", "http://127.0.0.1:50063");
        let err = Registry::parse(&plaintext).unwrap_err();
        assert!(err.0.contains("regions[1].endpoint"), "{err}");
        let err = Registry::parse(&TWO.replace("municipalities", "gemeenten")).unwrap_err();
        assert!(err.0.contains("gemeenten"), "{err}");
    }
}
