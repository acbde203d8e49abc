//! The BSN check accepts exactly nine ASCII digits passing the elfproef, and the free-text BSN finder agrees.
#![no_main]

use expertnet_node::domain::validate::{bsn, contains_bsn, passes_elfproef};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let nine_digits = text.len() == 9 && text.bytes().all(|b| b.is_ascii_digit());
    let digits: Vec<u32> = text.chars().filter_map(|c| c.to_digit(10)).collect();
    let valid = nine_digits && passes_elfproef(&digits);
    match bsn("youth.bsn", text) {
        Ok(accepted) => {
            assert!(valid, "accepted {text:?}");
            assert_eq!(accepted, text);
            assert!(
                contains_bsn(text),
                "the finder misses an accepted BSN {text:?}"
            );
        }
        Err(err) => {
            assert!(!valid, "refused a valid BSN {text:?}");
            assert!(err.to_string().starts_with("youth.bsn: "), "{err}");
        }
    }
});
