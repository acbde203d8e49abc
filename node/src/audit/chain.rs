//! The hash chain of the audit trail. Each event's hash covers its own fields and the hash of the event before
//! it, so an edited event no longer matches its hash, a deleted one leaves a gap in the numbering and breaks
//! the link of the next, and a reordered pair breaks both links. `verify` walks the trail and names the first
//! event that does not fit.

use sha2::{Digest, Sha256};

/// `prev_hash` of the first event ever written.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What happened: who, in which role and organisation, on whose behalf, did what to which case, when, from
/// where, and how it ended. Holds ids and names of staff, never the youth's identifiers.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NewAuditEvent {
    pub at_ms: i64,
    /// The signed-in user, or the operator account of a local command.
    pub user: String,
    pub organisation: String,
    /// The roles the user held, comma-separated.
    pub roles: String,
    /// The person the request was made for (the request's `actor`), when it names one.
    pub on_behalf_of: String,
    /// What was done: the RPC (`CaseService/GetCase`) or the command (`user add`).
    pub action: String,
    pub case_id: Option<String>,
    /// Where it came from: `team-api 10.0.0.7:51234`, `cli`, `federation from lekstroom`.
    pub access_point: String,
    /// `ok`, `denied`, `unauthenticated`, `rate-limited`, or `refused:<gRPC code>`.
    pub outcome: String,
}

/// An event in its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditEvent {
    pub seq: i64,
    #[serde(flatten)]
    pub entry: NewAuditEvent,
    pub prev_hash: String,
    pub hash: String,
}

impl NewAuditEvent {
    /// What an operator did on the node's machine (`user add`, `keys rotate`), about `subject`.
    pub fn operator(at_ms: i64, operator: &str, action: &str, subject: &str) -> NewAuditEvent {
        NewAuditEvent {
            at_ms,
            user: operator.to_owned(),
            organisation: String::new(),
            roles: "operator".into(),
            on_behalf_of: subject.to_owned(),
            action: action.to_owned(),
            case_id: None,
            access_point: "cli".into(),
            outcome: "ok".into(),
        }
    }

    /// What a person did through the team API or the web board; `None` for a caller nobody could sign in.
    pub fn by(
        caller: Option<&crate::domain::people::Caller>,
        at_ms: i64,
        action: &str,
        case_id: Option<String>,
        access_point: &str,
        outcome: &str,
    ) -> NewAuditEvent {
        NewAuditEvent {
            at_ms,
            user: caller.map_or_else(|| "(unknown)".to_owned(), |c| c.user.clone()),
            organisation: caller.map(|c| c.organisation.clone()).unwrap_or_default(),
            roles: caller.map(|c| c.roles_text()).unwrap_or_default(),
            on_behalf_of: String::new(),
            action: action.to_owned(),
            case_id,
            access_point: access_point.to_owned(),
            outcome: outcome.to_owned(),
        }
    }

    /// Gives the event the place after (`seq`, `prev_hash`).
    pub fn chain(self, seq: i64, prev_hash: &str) -> AuditEvent {
        let mut event = AuditEvent {
            seq,
            entry: self,
            prev_hash: prev_hash.to_owned(),
            hash: String::new(),
        };
        event.hash = hash_of(&event);
        event
    }
}

/// SHA-256 over the event's fields (each length-prefixed, so no two events encode alike) and its `prev_hash`.
pub fn hash_of(event: &AuditEvent) -> String {
    let mut hasher = Sha256::new();
    let mut field = |bytes: &[u8]| {
        hasher.update((bytes.len() as u64).to_be_bytes());
        hasher.update(bytes);
    };
    let entry = &event.entry;
    field(&event.seq.to_be_bytes());
    field(&entry.at_ms.to_be_bytes());
    field(entry.user.as_bytes());
    field(entry.organisation.as_bytes());
    field(entry.roles.as_bytes());
    field(entry.on_behalf_of.as_bytes());
    field(entry.action.as_bytes());
    field(entry.case_id.as_deref().unwrap_or("\u{0}none").as_bytes());
    field(entry.access_point.as_bytes());
    field(entry.outcome.as_bytes());
    field(event.prev_hash.as_bytes());
    hex::encode(hasher.finalize())
}

/// Where the trail starts: the genesis, or the last event a retention purge removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    pub seq: i64,
    pub hash: String,
}

impl Anchor {
    pub fn genesis() -> Anchor {
        Anchor {
            seq: 0,
            hash: GENESIS.to_owned(),
        }
    }
}

/// What is wrong with a trail, naming the first event that does not fit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error("event {seq} was altered: its content no longer matches its hash")]
    Altered { seq: i64 },
    #[error("events {from} to {to} are missing")]
    Missing { from: i64, to: i64 },
    #[error("event {seq} is out of place: it does not follow event {previous}")]
    OutOfPlace { seq: i64, previous: i64 },
    #[error(
        "the trail ends at event {last} but its head records event {head}: the events after {last} are missing"
    )]
    Truncated { last: i64, head: i64 },
}

/// The result of a successful check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    pub events: u64,
    pub last_seq: i64,
}

/// Walks a trail event by event (ascending by `seq`, as stored), so a long trail is checked a page at a time.
#[derive(Debug, Clone)]
pub struct ChainWalk {
    previous: Anchor,
    events: u64,
}

impl ChainWalk {
    /// Starts at `anchor`: the genesis, or the floor a retention purge left.
    pub fn from(anchor: &Anchor) -> ChainWalk {
        ChainWalk {
            previous: anchor.clone(),
            events: 0,
        }
    }

    /// Checks the next event against the one before.
    pub fn next(&mut self, event: &AuditEvent) -> Result<(), ChainBreak> {
        let previous = &self.previous;
        let out_of_place = ChainBreak::OutOfPlace {
            seq: event.seq,
            previous: previous.seq,
        };
        if event.seq <= previous.seq {
            return Err(out_of_place);
        }
        if event.seq > previous.seq + 1 {
            return Err(ChainBreak::Missing {
                from: previous.seq + 1,
                to: event.seq - 1,
            });
        }
        if hash_of(event) != event.hash {
            return Err(ChainBreak::Altered { seq: event.seq });
        }
        if event.prev_hash != previous.hash {
            return Err(out_of_place);
        }
        self.previous = Anchor {
            seq: event.seq,
            hash: event.hash.clone(),
        };
        self.events += 1;
        Ok(())
    }

    /// Ends the walk: the last event must be the recorded `head`.
    pub fn finish(self, head: &Anchor) -> Result<Verified, ChainBreak> {
        if self.previous != *head {
            return Err(ChainBreak::Truncated {
                last: self.previous.seq,
                head: head.seq,
            });
        }
        Ok(Verified {
            events: self.events,
            last_seq: self.previous.seq,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks `events` (ascending by `seq`) from `anchor` up to `head` in one walk, as storage does page by page.
    fn verify(
        anchor: &Anchor,
        events: impl IntoIterator<Item = AuditEvent>,
        head: &Anchor,
    ) -> Result<Verified, ChainBreak> {
        let mut walk = ChainWalk::from(anchor);
        for event in events {
            walk.next(&event)?;
        }
        walk.finish(head)
    }

    fn trail(n: i64) -> (Vec<AuditEvent>, Anchor) {
        let mut events = Vec::new();
        let mut head = Anchor::genesis();
        for seq in 1..=n {
            let event = NewAuditEvent {
                at_ms: 1_000 + seq,
                user: format!("user{seq}"),
                organisation: "Lekstroom".into(),
                roles: "chair".into(),
                on_behalf_of: String::new(),
                action: "CaseService/GetCase".into(),
                case_id: Some(format!("case-{seq}")),
                access_point: "team-api 127.0.0.1:1".into(),
                outcome: "ok".into(),
            }
            .chain(seq, &head.hash);
            head = Anchor {
                seq,
                hash: event.hash.clone(),
            };
            events.push(event);
        }
        (events, head)
    }

    #[test]
    fn an_intact_trail_verifies() {
        let (events, head) = trail(5);
        assert_eq!(
            verify(&Anchor::genesis(), events, &head),
            Ok(Verified {
                events: 5,
                last_seq: 5
            })
        );
    }

    #[test]
    fn an_edit_a_deletion_a_swap_and_a_cut_are_each_named() {
        let (events, head) = trail(5);
        let mut edited = events.clone();
        edited[2].entry.case_id = Some("case-other".into());
        assert_eq!(
            verify(&Anchor::genesis(), edited, &head),
            Err(ChainBreak::Altered { seq: 3 })
        );

        let mut deleted = events.clone();
        deleted.remove(1);
        assert_eq!(
            verify(&Anchor::genesis(), deleted, &head),
            Err(ChainBreak::Missing { from: 2, to: 2 })
        );

        // Two events trade places: their numbers are swapped and both re-hashed, as someone with write access
        // to the database could do. The link of the one now second no longer points at the first.
        let mut swapped = events.clone();
        swapped[1].seq = 3;
        swapped[2].seq = 2;
        swapped[1].hash = hash_of(&swapped[1]);
        swapped[2].hash = hash_of(&swapped[2]);
        swapped.sort_by_key(|event| event.seq);
        assert_eq!(
            verify(&Anchor::genesis(), swapped, &head),
            Err(ChainBreak::OutOfPlace {
                seq: 2,
                previous: 1
            })
        );

        let mut cut = events.clone();
        cut.truncate(3);
        assert_eq!(
            verify(&Anchor::genesis(), cut, &head),
            Err(ChainBreak::Truncated { last: 3, head: 5 })
        );
    }

    #[test]
    fn an_event_rehashed_after_an_edit_breaks_the_next_link() {
        let (mut events, head) = trail(4);
        events[1].entry.outcome = "denied".into();
        events[1].hash = hash_of(&events[1]);
        assert_eq!(
            verify(&Anchor::genesis(), events, &head),
            Err(ChainBreak::OutOfPlace {
                seq: 3,
                previous: 2
            })
        );
    }
}
