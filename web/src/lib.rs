//! What the regional node's web board and the gateway's coordinators' dashboard share in the browser, so that
//! both sign people in, look and defend themselves the same way: passwords kept as argon2id hashes
//! ([`password`]), the second factor ([`second_factor`]), session and API tokens stored only as digests
//! ([`token`]), the NL Design System assets with the board's own CSS and script ([`assets`]), the headers every
//! answer carries ([`headers`]) and the HTTP/1.1 and HTTP/2 server over TLS ([`serve`]).

pub mod assets;
pub mod cookie;
pub mod dutch_time;
pub mod headers;
pub mod password;
pub mod second_factor;
pub mod serve;
pub mod sign_in;
pub mod token;
