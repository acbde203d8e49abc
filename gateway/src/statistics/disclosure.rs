//! Disclosure control: what may be shown of a table of counts so that no child can be singled out.
//!
//! A table family is a cube — regions × rows × columns (e.g. bottleneck category × outcome) — published at every
//! level at once: each region's table, each area's and the national one, each with its row and column totals and
//! grand total. Every published value is the sum of the cube cells it covers, so values are linked by additive
//! *lines*: a total and the values it is the sum of, along each axis (regions to areas to the nation, rows,
//! and every breakdown of the columns that shares the same totals).
//!
//! 1. **Primary suppression**: a value from 1 to k − 1 is not shown.
//! 2. **Secondary suppression**: a line with one hidden value would give it away by subtraction, and a line whose
//!    hidden values add up to less than k would narrow each of them below k; in both cases the smallest shown
//!    non-zero value of the line is hidden too, until no line does either.
//! 3. **Audit**: an attacker's interval reasoning over all lines at once (bounds propagation, every value ≥ 0)
//!    must leave every primary-suppressed value at least k possible values wide; where it does not, another
//!    value on one of its lines is hidden and the audit runs again.
//! 4. **Rounding**: what is shown is rounded to base 5.
//!
//! Re-releases of the same period could be differenced (before and after one new case); `release` therefore
//! publishes a period once and returns that first release ever after.

/// FxHash: the keys are the cube's own cells, never a caller's input, and the audit looks them up millions of
/// times for a national quarter.
use rustc_hash::FxHashMap as HashMap;
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// Whose figures a value is: one region's, an area's (the sum of its regions) or the nation's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Scope {
    Region(usize),
    Area(usize),
    National,
}

impl Scope {
    /// Hiding prefers values of a smaller scope: a region's before an area's before the nation's.
    fn breadth(self) -> u8 {
        match self {
            Scope::Region(_) => 0,
            Scope::Area(_) => 1,
            Scope::National => 2,
        }
    }
}

/// Where a value sits: whose (`scope`), which row (`None`: the column total), which column (`None`: the row
/// total).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub scope: Scope,
    pub row: Option<usize>,
    pub col: Option<usize>,
}

/// Counts of one table family: `counts[(region * rows + row) * cols + col]`, with how they add up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cube {
    pub regions: usize,
    pub rows: usize,
    pub cols: usize,
    pub counts: Vec<u64>,
    /// Areas as the regions (indices) they cover; disjoint.
    pub areas: Vec<Vec<usize>>,
    /// The rows add up to a published total row.
    pub row_total: bool,
    /// Column ranges that each add up to the published total column: several ranges when one set of cases is
    /// broken down several ways (by outcome, by age band, …) and all share the same totals. None: no total
    /// column.
    pub partitions: Vec<Range<usize>>,
    /// Rows that do not count persons (table sessions held): never hidden for being small.
    pub not_persons: Vec<usize>,
}

/// A value as published: shown (unrounded here; see [`round_base`]) or hidden.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    Value(u64),
    Hidden,
}

/// Why a value is hidden.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    Primary,
    Secondary,
}

/// Disclosure control's parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Control {
    /// The smallest count shown (1 to k − 1 are hidden).
    pub k: u64,
    /// Hide values to protect the primary-suppressed ones. Off only to show, in tests, what that protects.
    pub secondary: bool,
}

impl Default for Control {
    fn default() -> Control {
        Control {
            k: 5,
            secondary: true,
        }
    }
}

/// A protected table family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Protected {
    pub values: HashMap<Key, u64>,
    pub hidden: HashMap<Key, Reason>,
}

impl Protected {
    pub fn shown(&self, key: Key) -> Shown {
        if self.hidden.contains_key(&key) {
            Shown::Hidden
        } else {
            Shown::Value(self.values[&key])
        }
    }
}

/// `value` rounded to the nearest multiple of `base` (halves up), as published.
pub fn round_base(value: u64, base: u64) -> u64 {
    (value + base / 2) / base * base
}

impl Cube {
    /// A cube whose rows and columns both add up to totals, without areas.
    pub fn zeros(regions: usize, rows: usize, cols: usize) -> Cube {
        Cube {
            regions,
            rows,
            cols,
            counts: vec![0; regions * rows * cols],
            areas: Vec::new(),
            row_total: true,
            partitions: std::iter::once(0..cols).collect(),
            not_persons: Vec::new(),
        }
    }

    pub fn at(&self, region: usize, row: usize, col: usize) -> u64 {
        self.counts[(region * self.rows + row) * self.cols + col]
    }

    pub fn add(&mut self, region: usize, row: usize, col: usize, count: u64) {
        self.counts[(region * self.rows + row) * self.cols + col] += count;
    }

    /// Every scope published: each region, each area, the nation.
    pub fn scopes(&self) -> Vec<Scope> {
        (0..self.regions)
            .map(Scope::Region)
            .chain((0..self.areas.len()).map(Scope::Area))
            .chain(std::iter::once(Scope::National))
            .collect()
    }

    /// Every key of the published family.
    pub fn keys(&self) -> Vec<Key> {
        let rows: Vec<Option<usize>> = self
            .row_total
            .then_some(None)
            .into_iter()
            .chain((0..self.rows).map(Some))
            .collect();
        let cols: Vec<Option<usize>> = (!self.partitions.is_empty())
            .then_some(None)
            .into_iter()
            .chain((0..self.cols).map(Some))
            .collect();
        let mut keys = Vec::new();
        for scope in self.scopes() {
            for row in &rows {
                for col in &cols {
                    keys.push(Key {
                        scope,
                        row: *row,
                        col: *col,
                    });
                }
            }
        }
        keys
    }

    /// The regions a scope covers.
    pub fn regions_of(&self, scope: Scope) -> Vec<usize> {
        match scope {
            Scope::Region(r) => vec![r],
            Scope::Area(a) => self.areas[a].clone(),
            Scope::National => (0..self.regions).collect(),
        }
    }

    /// The cube cells a key covers.
    pub fn cells(&self, key: Key) -> Vec<(usize, usize, usize)> {
        let rows = match key.row {
            Some(i) => i..i + 1,
            None => 0..self.rows,
        };
        let cols = match key.col {
            Some(j) => j..j + 1,
            None => self.partitions.first().cloned().unwrap_or(0..0),
        };
        let mut cells = Vec::new();
        for r in self.regions_of(key.scope) {
            for i in rows.clone() {
                for j in cols.clone() {
                    cells.push((r, i, j));
                }
            }
        }
        cells
    }

    pub fn value(&self, key: Key) -> u64 {
        self.cells(key)
            .into_iter()
            .map(|(r, i, j)| self.at(r, i, j))
            .sum()
    }

    /// Every additive line: a total and the values that add up to it — across regions (to an area and to the
    /// nation, and areas to the nation), across rows, and across each column partition.
    pub fn lines(&self) -> Vec<(Key, Vec<Key>)> {
        let placed: Vec<usize> = self.areas.iter().flatten().copied().collect();
        let mut lines = Vec::new();
        for key in self.keys() {
            let with_scope = |scope| Key { scope, ..key };
            match key.scope {
                Scope::National => {
                    lines.push((
                        key,
                        (0..self.regions)
                            .map(|r| with_scope(Scope::Region(r)))
                            .collect(),
                    ));
                    if !self.areas.is_empty() {
                        lines.push((
                            key,
                            (0..self.areas.len())
                                .map(|a| with_scope(Scope::Area(a)))
                                .chain(
                                    (0..self.regions)
                                        .filter(|r| !placed.contains(r))
                                        .map(|r| with_scope(Scope::Region(r))),
                                )
                                .collect(),
                        ));
                    }
                }
                Scope::Area(a) => lines.push((
                    key,
                    self.areas[a]
                        .iter()
                        .map(|r| with_scope(Scope::Region(*r)))
                        .collect(),
                )),
                Scope::Region(_) => {}
            }
            if key.row.is_none() {
                lines.push((
                    key,
                    (0..self.rows)
                        .map(|i| Key {
                            row: Some(i),
                            ..key
                        })
                        .collect(),
                ));
            }
            if key.col.is_none() {
                for partition in &self.partitions {
                    lines.push((
                        key,
                        partition
                            .clone()
                            .map(|j| Key {
                                col: Some(j),
                                ..key
                            })
                            .collect(),
                    ));
                }
            }
        }
        lines
    }
}

/// Applies disclosure control to a table family.
pub fn protect(cube: &Cube, control: Control) -> Protected {
    let values: HashMap<Key, u64> = cube
        .keys()
        .into_iter()
        .map(|k| (k, cube.value(k)))
        .collect();
    let mut hidden: HashMap<Key, Reason> = values
        .iter()
        .filter(|(key, v)| {
            (1..control.k).contains(*v) && !key.row.is_some_and(|r| cube.not_persons.contains(&r))
        })
        .map(|(k, _)| (*k, Reason::Primary))
        .collect();
    if control.secondary {
        let lines = cube.lines();
        loop {
            suppress_until_lines_hold(&lines, &values, &mut hidden, control.k);
            let exposed = audit(&lines, &values, &hidden, control.k);
            if exposed.is_empty() {
                break;
            }
            let mut progressed = false;
            for key in &exposed {
                if let Some(extra) = cheapest_on_lines_through(*key, &lines, &values, &hidden) {
                    hidden.insert(extra, Reason::Secondary);
                    progressed = true;
                }
            }
            if !progressed {
                // Nothing left on the exposed values' own lines (so `exposed` still holds): look one line further,
                // through the hidden values on them; only then hide everything around hidden values.
                let further: Vec<Key> = exposed
                    .iter()
                    .filter_map(|key| cheapest_one_line_further(*key, &lines, &values, &hidden))
                    .collect();
                progressed = !further.is_empty();
                for extra in further {
                    hidden.insert(extra, Reason::Secondary);
                }
            }
            if !progressed && !hide_around_hidden(&lines, &values, &mut hidden) {
                break;
            }
        }
    }
    Protected { values, hidden }
}

/// The smallest shown non-zero value on a line through a hidden value that shares a line with `key`.
fn cheapest_one_line_further(
    key: Key,
    lines: &[(Key, Vec<Key>)],
    values: &HashMap<Key, u64>,
    hidden: &HashMap<Key, Reason>,
) -> Option<Key> {
    lines_through(key, lines)
        .flat_map(members)
        .filter(|m| *m != key && hidden.contains_key(m))
        .filter_map(|m| cheapest_on_lines_through(m, lines, values, hidden))
        .min_by_key(|k| (values[k], *k))
}

/// The fail-closed step when no line through an exposed value has anything left to hide: every shown non-zero
/// value on any line holding a hidden one is hidden. Rare, crude and safe; `false` when nothing was left.
fn hide_around_hidden(
    lines: &[(Key, Vec<Key>)],
    values: &HashMap<Key, u64>,
    hidden: &mut HashMap<Key, Reason>,
) -> bool {
    let extra: Vec<Key> = lines
        .iter()
        .filter(|line| members(line).any(|m| hidden.contains_key(&m)))
        .flat_map(members)
        .filter(|m| !hidden.contains_key(m) && values[m] > 0)
        .collect();
    for key in &extra {
        hidden.insert(*key, Reason::Secondary);
    }
    !extra.is_empty()
}

fn members(line: &(Key, Vec<Key>)) -> impl Iterator<Item = Key> + '_ {
    std::iter::once(line.0).chain(line.1.iter().copied())
}

/// The smallest shown non-zero value of a line, if any.
fn cheapest(
    line: &(Key, Vec<Key>),
    values: &HashMap<Key, u64>,
    hidden: &HashMap<Key, Reason>,
) -> Option<Key> {
    members(line)
        .filter(|k| !hidden.contains_key(k) && values[k] > 0)
        .min_by_key(|k| {
            (
                values[k],
                k.scope.breadth(),
                k.row.is_none() || k.col.is_none(),
                *k,
            )
        })
}

fn suppress_until_lines_hold(
    lines: &[(Key, Vec<Key>)],
    values: &HashMap<Key, u64>,
    hidden: &mut HashMap<Key, Reason>,
    k: u64,
) {
    loop {
        let mut changed = false;
        for line in lines {
            let hidden_members: Vec<Key> =
                members(line).filter(|m| hidden.contains_key(m)).collect();
            if hidden_members.is_empty() {
                continue;
            }
            let total_shown = !hidden.contains_key(&line.0);
            let hidden_sum: u64 = line
                .1
                .iter()
                .filter(|m| hidden.contains_key(m))
                .map(|m| values[m])
                .sum();
            let single = hidden_members.len() == 1;
            let narrow = total_shown && hidden_sum < k;
            if (single || narrow)
                && let Some(extra) = cheapest(line, values, hidden)
            {
                hidden.insert(extra, Reason::Secondary);
                changed = true;
            }
        }
        if !changed {
            return;
        }
    }
}

/// Bounds an attacker can put on every value from what is shown: shown values are exact, hidden ones start
/// at [1, ∞) — zeros are never hidden, so a hidden value is known to be at least one — and are narrowed through
/// every line until nothing changes.
pub fn attacker_bounds(
    lines: &[(Key, Vec<Key>)],
    values: &HashMap<Key, u64>,
    hidden: &HashMap<Key, Reason>,
) -> HashMap<Key, (u64, u64)> {
    let mut bounds: HashMap<Key, (u64, u64)> = values
        .iter()
        .map(|(k, v)| {
            (
                *k,
                if hidden.contains_key(k) {
                    (1, UNBOUNDED)
                } else {
                    (*v, *v)
                },
            )
        })
        .collect();
    for _ in 0..100 {
        let mut changed = false;
        for (total, parts) in lines {
            let mut sum = PartsSum::of(&bounds, parts);
            let (sum_lo, sum_hi) = sum.interval();
            let (tlo, thi) = bounds[total];
            let narrowed = (tlo.max(sum_lo), thi.min(sum_hi));
            if narrowed != (tlo, thi) {
                bounds.insert(*total, narrowed);
                changed = true;
            }
            let (tlo, thi) = bounds[total];
            for part in parts {
                let (plo, phi) = bounds[part];
                let (others_lo, others_hi) = sum.without((plo, phi));
                let lo = if others_hi >= UNBOUNDED {
                    plo
                } else {
                    plo.max(tlo.saturating_sub(others_hi))
                };
                let hi = if thi >= UNBOUNDED {
                    phi
                } else {
                    phi.min(thi.saturating_sub(others_lo))
                };
                if (lo, hi) != (plo, phi) {
                    bounds.insert(*part, (lo, hi));
                    sum.replace((plo, phi), (lo, hi));
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    bounds
}

/// A bound no count reaches: "anything from the low bound up".
const UNBOUNDED: u64 = u64::MAX / 4;

/// The bounds of a line's parts added up, the unbounded highs counted apart, so that one part's share comes out
/// in constant time: narrowing each part of a line against the others is then linear in the line's length, not
/// quadratic (a national line has a part per region). Counts are far below `u64`'s range, so the sums are exact.
#[derive(Debug, Clone, Copy)]
struct PartsSum {
    lo: u64,
    bounded_hi: u64,
    unbounded: usize,
}

impl PartsSum {
    fn of(bounds: &HashMap<Key, (u64, u64)>, parts: &[Key]) -> PartsSum {
        let mut sum = PartsSum {
            lo: 0,
            bounded_hi: 0,
            unbounded: 0,
        };
        for part in parts {
            sum.add(bounds[part]);
        }
        sum
    }

    fn add(&mut self, (lo, hi): (u64, u64)) {
        self.lo += lo;
        if hi >= UNBOUNDED {
            self.unbounded += 1;
        } else {
            self.bounded_hi += hi;
        }
    }

    fn remove(&mut self, (lo, hi): (u64, u64)) {
        self.lo -= lo;
        if hi >= UNBOUNDED {
            self.unbounded -= 1;
        } else {
            self.bounded_hi -= hi;
        }
    }

    fn replace(&mut self, old: (u64, u64), new: (u64, u64)) {
        self.remove(old);
        self.add(new);
    }

    fn interval(&self) -> (u64, u64) {
        let hi = if self.unbounded > 0 {
            UNBOUNDED
        } else {
            self.bounded_hi.min(UNBOUNDED)
        };
        (self.lo.min(UNBOUNDED), hi)
    }

    /// The sum of all parts but one whose bounds are `part`.
    fn without(&self, part: (u64, u64)) -> (u64, u64) {
        let mut others = *self;
        others.remove(part);
        others.interval()
    }
}

/// The primary-suppressed values an attacker narrows to fewer than `k` possible values.
fn audit(
    lines: &[(Key, Vec<Key>)],
    values: &HashMap<Key, u64>,
    hidden: &HashMap<Key, Reason>,
    k: u64,
) -> Vec<Key> {
    let bounds = attacker_bounds(lines, values, hidden);
    let mut exposed: Vec<Key> = hidden
        .iter()
        .filter(|(_, reason)| **reason == Reason::Primary)
        .map(|(key, _)| *key)
        .filter(|key| {
            let (lo, hi) = bounds[key];
            hi.saturating_sub(lo) + 1 < k
        })
        .collect();
    exposed.sort();
    exposed
}

fn cheapest_on_lines_through(
    key: Key,
    lines: &[(Key, Vec<Key>)],
    values: &HashMap<Key, u64>,
    hidden: &HashMap<Key, Reason>,
) -> Option<Key> {
    lines_through(key, lines)
        .filter_map(|line| cheapest(line, values, hidden))
        .min_by_key(|k| (values[k], *k))
}

/// The lines `key` is on, as total or as part.
fn lines_through(
    key: Key,
    lines: &[(Key, Vec<Key>)],
) -> impl Iterator<Item = &(Key, Vec<Key>)> + '_ {
    lines
        .iter()
        .filter(move |line| members(line).any(|m| m == key))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cube(rows: &[&[u64]]) -> Cube {
        let mut cube = Cube::zeros(1, rows.len(), rows[0].len());
        for (i, row) in rows.iter().enumerate() {
            for (j, v) in row.iter().enumerate() {
                cube.add(0, i, j, *v);
            }
        }
        cube
    }

    fn key(row: Option<usize>, col: Option<usize>) -> Key {
        Key {
            scope: Scope::Region(0),
            row,
            col,
        }
    }

    #[test]
    fn a_lone_small_cell_takes_a_partner_in_its_row_and_column() {
        let table = cube(&[&[20, 3, 30], &[40, 50, 60], &[70, 80, 90]]);
        let protected = protect(&table, Control::default());
        assert_eq!(
            protected.hidden.get(&key(Some(0), Some(1))),
            Some(&Reason::Primary)
        );
        let hidden_in_row = (0..3)
            .filter(|j| protected.hidden.contains_key(&key(Some(0), Some(*j))))
            .count();
        let hidden_in_col = (0..3)
            .filter(|i| protected.hidden.contains_key(&key(Some(*i), Some(1))))
            .count();
        assert!(
            hidden_in_row >= 2 && hidden_in_col >= 2,
            "{:?}",
            protected.hidden
        );
        let bounds = attacker_bounds(&table.lines(), &protected.values, &protected.hidden);
        let (lo, hi) = bounds[&key(Some(0), Some(1))];
        assert!(hi - lo + 1 >= 5, "[{lo}, {hi}]");
    }

    #[test]
    fn without_secondary_suppression_subtraction_pins_the_cell() {
        let table = cube(&[&[20, 3, 30], &[40, 50, 60], &[70, 80, 90]]);
        let bare = protect(
            &table,
            Control {
                k: 5,
                secondary: false,
            },
        );
        let bounds = attacker_bounds(&table.lines(), &bare.values, &bare.hidden);
        assert_eq!(bounds[&key(Some(0), Some(1))], (3, 3));
    }

    #[test]
    fn rounding_is_to_the_nearest_five() {
        assert_eq!(
            [0, 2, 3, 7, 8, 12, 13].map(|v| round_base(v, 5)),
            [0, 0, 5, 5, 10, 10, 15]
        );
    }
}
