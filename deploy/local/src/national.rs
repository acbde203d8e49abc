//! The whole country, by simulation: the Netherlands has 42 regional expert teams in 8 supra-regional expertise
//! networks. The four real regions keep their names, municipalities, expertise and covenants; the others are
//! synthetic — named as such, with municipalities of their own — and each area gets a share of them. Regions of
//! one area have covenants with each other, and each area's first region has one with the next area's; two real
//! regions keep exactly the covenants they have.

use expertnet_federation::registry::{Area, Region, Registry};

/// The regional expert teams of the Netherlands.
pub const NATIONAL_REGIONS: usize = 42;

/// The supra-regional areas: the two of the real registry first, then the six others, synthetic.
const AREAS: [(&str, &str); 8] = [
    ("utrecht-flevoland", ""),
    ("oost-nederland", ""),
    (
        "noord",
        "Bovenregionaal expertisenetwerk Noord (synthetisch)",
    ),
    (
        "noord-holland",
        "Bovenregionaal expertisenetwerk Noord-Holland (synthetisch)",
    ),
    (
        "zuid-holland-noord",
        "Bovenregionaal expertisenetwerk Zuid-Holland Noord (synthetisch)",
    ),
    (
        "zuid-holland-zuid",
        "Bovenregionaal expertisenetwerk Zuid-Holland Zuid (synthetisch)",
    ),
    (
        "brabant-zeeland",
        "Bovenregionaal expertisenetwerk Brabant-Zeeland (synthetisch)",
    ),
    (
        "limburg",
        "Bovenregionaal expertisenetwerk Limburg (synthetisch)",
    ),
];

/// The expertise consultations are routed by, as the real regions name it.
const EXPERTISE: [&str; 12] = [
    "school-absence",
    "multi-problem-family",
    "funding-dispute",
    "process-direction",
    "mental-health-addiction",
    "lvb",
    "transition-to-adulthood",
    "participation",
    "compulsory-education",
    "residential-outflow",
    "custom-residential-care",
    "waiting-list",
];

/// `real` (the registry with the four real regions in their two areas) grown to `regions` regions in eight
/// areas. Deterministic: the same count gives the same registry.
pub fn registry(real: &Registry, regions: usize) -> Result<Registry, String> {
    let known = real.regions().count();
    if !(known..=NATIONAL_REGIONS).contains(&regions) {
        return Err(format!(
            "--regions: {regions} is not between {known} (the registry's own) and {NATIONAL_REGIONS}"
        ));
    }
    let mut members: Vec<Vec<String>> = AREAS
        .iter()
        .map(|(id, _)| {
            real.area(id)
                .map(|area| area.regions.clone())
                .unwrap_or_default()
        })
        .collect();
    let mut list: Vec<Region> = real.regions().cloned().collect();
    // The synthetic regions go to the emptiest area first, so the areas end up five or six regions each.
    for n in known..regions {
        let area = (0..AREAS.len())
            .min_by_key(|a| (members[*a].len(), *a))
            .expect("eight areas");
        let id = synthetic_id(n);
        list.push(Region {
            id: id.clone(),
            name: format!("Regio {:02} (synthetisch)", n + 1),
            municipalities: (1..=3)
                .map(|m| format!("Gemeente {:02}-{m}", n + 1))
                .collect(),
            endpoint: format!("https://127.0.0.1:{}", 52_000 + n),
            expertise: (0..2 + n % 2)
                .map(|t| EXPERTISE[(n * 5 + t * 7) % EXPERTISE.len()].to_owned())
                .collect(),
            covenants: Vec::new(),
        });
        members[area].push(id);
    }
    let mut covenants: Vec<(String, String)> = Vec::new();
    for area in &members {
        for (i, a) in area.iter().enumerate() {
            for b in &area[i + 1..] {
                covenants.push((a.clone(), b.clone()));
            }
        }
    }
    let firsts: Vec<&String> = members.iter().filter_map(|m| m.first()).collect();
    for (i, a) in firsts.iter().enumerate() {
        let b = firsts[(i + 1) % firsts.len()];
        if *a != b {
            covenants.push(((*a).clone(), b.clone()));
        }
    }
    let real_pair = |a: &str, b: &str| real.get(a).is_some() && real.get(b).is_some();
    covenants.retain(|(a, b)| !real_pair(a, b));
    for region in &mut list {
        for (a, b) in &covenants {
            let other = if *a == region.id {
                b
            } else if *b == region.id {
                a
            } else {
                continue;
            };
            if !region.covenants.contains(other) {
                region.covenants.push(other.clone());
            }
        }
    }
    let areas = AREAS
        .iter()
        .zip(members)
        .filter(|(_, regions)| !regions.is_empty())
        .map(|((id, name), regions)| match real.area(id) {
            Some(known) => Area {
                regions,
                ..known.clone()
            },
            None => Area {
                id: (*id).to_owned(),
                name: (*name).to_owned(),
                regions,
                coordinators: vec![format!("coordinator-{id}")],
            },
        })
        .collect();
    Registry::new(list)
        .and_then(|r| r.with_areas(areas))
        .map_err(|e| format!("the national registry: {e}"))
}

/// The id of the `n`th region (from 0): region ids are letters and '-', so `regio-ae` for the fifth.
fn synthetic_id(n: usize) -> String {
    let letter = |i: usize| char::from(b'a' + (i % 26) as u8);
    format!("regio-{}{}", letter(n / 26), letter(n))
}

/// How many youths a region's table sees a year: 40 to 100, by region, the same every run.
pub fn youths_a_year(index: usize) -> u64 {
    40 + (index as u64 * 37) % 61
}

#[cfg(test)]
mod tests {
    use super::*;

    fn real() -> Registry {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../registry.toml");
        Registry::load(&path).unwrap()
    }

    #[test]
    fn the_country_is_42_regions_in_8_areas_with_the_real_four_kept() {
        let real = real();
        let national = registry(&real, NATIONAL_REGIONS).unwrap();
        assert_eq!(national.regions().count(), 42);
        assert_eq!(national.areas().len(), 8);
        for region in real.regions() {
            let kept = national.get(&region.id).unwrap();
            assert_eq!(
                (&kept.name, &kept.municipalities, &kept.expertise),
                (&region.name, &region.municipalities, &region.expertise)
            );
            assert!(region.covenants.iter().all(|c| kept.covenants.contains(c)));
        }
        let sizes: Vec<usize> = national.areas().iter().map(|a| a.regions.len()).collect();
        assert!(sizes.iter().all(|n| (5..=6).contains(n)), "{sizes:?}");
        assert_eq!(sizes.iter().sum::<usize>(), 42, "every region in one area");
        let across = national
            .regions()
            .flat_map(|r| r.covenants.iter().map(move |c| (r.id.clone(), c.clone())))
            .filter(|(a, b)| {
                let area = |id: &str| {
                    national
                        .areas()
                        .iter()
                        .position(|x| x.regions.iter().any(|r| r == id))
                };
                area(a) != area(b)
            })
            .count();
        assert!(across >= 8, "a few covenants across areas: {across}");
        assert_eq!(registry(&real, 42).unwrap(), national, "deterministic");
        assert!(national.areas().iter().all(|a| !a.coordinators.is_empty()));
    }

    #[test]
    fn a_count_outside_the_country_is_refused_naming_the_flag() {
        let real = real();
        assert_eq!(registry(&real, 4).unwrap(), real);
        for count in [3, 43] {
            let err = registry(&real, count).unwrap_err();
            assert!(err.starts_with("--regions:"), "{err}");
        }
    }

    #[test]
    fn tables_see_40_to_100_youths_a_year() {
        let sizes: Vec<u64> = (0..42).map(youths_a_year).collect();
        assert!(sizes.iter().all(|n| (40..=100).contains(n)));
        assert!(sizes.iter().any(|n| *n < 55) && sizes.iter().any(|n| *n > 85));
    }
}
