//! Any bytes a client could send as a case submission: the validator either refuses naming a field, or yields a
//! case within every bound the node promises its storage.
#![no_main]

use expertnet_node::domain::validate::{LONG_TEXT_MAX, MAX_AGE, SHORT_TEXT_MAX, bsn};
use expertnet_node::error::Error;
use expertnet_node::grpc::parse_new_case;
use expertnet_proto::v1::SubmitCaseRequest;
use libfuzzer_sys::fuzz_target;
use prost::Message;

fuzz_target!(|bytes: &[u8]| {
    let Ok(request) = SubmitCaseRequest::decode(bytes) else {
        return;
    };
    match parse_new_case(request) {
        Ok(case) => {
            let short =
                |s: &str| !s.is_empty() && s.chars().count() <= SHORT_TEXT_MAX && s == s.trim();
            assert!(short(&case.youth.name) && short(&case.municipality));
            assert!(short(&case.referrer.organisation));
            assert!(case.question.chars().count() <= LONG_TEXT_MAX && !case.question.is_empty());
            assert!(case.tried_so_far.chars().count() <= LONG_TEXT_MAX);
            assert!(case.age <= MAX_AGE);
            assert!((1..=10).contains(&case.categories.len()));
            let mut unique = case.categories.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), case.categories.len());
            if let Some(number) = &case.youth.bsn {
                assert!(bsn("youth.bsn", number).is_ok());
            }
        }
        Err(Error::InvalidArgument { field, message }) => {
            assert!(!field.is_empty() && !message.is_empty());
        }
        Err(other) => panic!("a validator answered with {other:?}"),
    }
});
