//! The detector that guards the node's border never panics, and never lets a valid BSN through, whatever text
//! surrounds it.
#![no_main]

use arbitrary::Arbitrary;
use expertnet_node::domain::YouthIdentity;
use expertnet_node::domain::disclosure::{Finding, identifying};
use expertnet_node::domain::validate::passes_elfproef;
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Input<'a> {
    before: &'a str,
    after: &'a str,
    /// Eight digits; the ninth is made to pass the elfproef.
    stem: [u8; 8],
    name: Option<&'a str>,
    birth_day: Option<(i8, u8, u8)>,
}

/// A valid BSN from eight digits, or `None` when no ninth digit makes one.
fn valid_bsn(stem: [u8; 8]) -> Option<String> {
    let mut digits: Vec<u32> = stem.iter().map(|d| u32::from(d % 10)).collect();
    digits.push(0);
    (0..10).find_map(|last| {
        digits[8] = last;
        passes_elfproef(&digits).then(|| {
            digits
                .iter()
                .map(|d| char::from_digit(*d, 10).unwrap())
                .collect()
        })
    })
}

fuzz_target!(|input: Input| {
    let today = time::macros::date!(2026 - 03 - 02);
    let youth = input.name.map(|name| YouthIdentity {
        name: name.to_owned(),
        bsn: None,
        date_of_birth: input.birth_day.and_then(|(y, m, d)| {
            let month = time::Month::try_from(m % 12 + 1).ok()?;
            time::Date::from_calendar_date(2010 + i32::from(y % 10), month, d % 28 + 1).ok()
        }),
    });
    let _ = identifying(input.before, youth.as_ref(), today);
    if let Some(bsn) = valid_bsn(input.stem) {
        let text = format!("{} {bsn} {}", input.before, input.after);
        assert_eq!(
            identifying(&text, youth.as_ref(), today),
            Some(Finding::Bsn),
            "a BSN slipped through in {text:?}"
        );
    }
});
