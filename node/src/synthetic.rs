//! Deterministic synthetic cases for demos, benchmarks and statistics: the same seed gives the same data.
//!
//! Nothing here is a real person's data. Names are random combinations from short lists; BSNs are drawn from
//! the 9999xxxxx test range and pass the elfproef; dates lie between 2023-01-01 and 2026-11-01.

use crate::domain::validate::passes_elfproef;
use crate::domain::*;
use crate::error::Result;
use crate::storage::Storage;
use crate::storage::import::{AgendaRecord, CaseRecord, DiscussionRecord, Records};
use rand::prelude::*;
use rand_chacha::ChaCha8Rng;
use time::macros::datetime;
use time::{Date, Duration, OffsetDateTime};

const DAY_MS: i64 = 86_400_000;
/// Cases are written this many at a time, one transaction each.
pub const BATCH: usize = 2_000;

const FIRST_NAMES: &[&str] = &[
    "Daan", "Sem", "Lucas", "Levi", "Finn", "Milan", "Noah", "Luuk", "Mees", "Bram", "Emma",
    "Julia", "Mila", "Tess", "Sophie", "Zoë", "Sara", "Nora", "Yara", "Eva", "Fleur", "Lotte",
    "Noor", "Anouk", "Ilias", "Amira",
];
const LAST_NAMES: &[&str] = &[
    "de Vries",
    "Jansen",
    "van Dijk",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "de Boer",
    "Mulder",
    "de Groot",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "van Leeuwen",
    "Dekker",
    "Brouwer",
    "de Wit",
    "Dijkstra",
    "Yilmaz",
];
const PROVIDERS: &[&str] = &[
    "Accare",
    "Lindenhout",
    "Karakter",
    "Pluryn",
    "Timon",
    "Levvel",
    "Kwintes",
    "Altrecht",
    "Intermetzo",
    "Youké",
    "Entrea Lindenhout",
    "Lorenz",
    "Careander",
    "Trajectum",
];
const QUESTIONS: &[&str] = &[
    "Geen passende plek na uitstroom uit de residentiële zorg; wachtlijsten bij alle aanbieders.",
    "Jongere zit al maanden thuis zonder onderwijs; school en zorg wijzen naar elkaar.",
    "Meervoudige problematiek in het gezin; hulpverleners werken langs elkaar heen.",
    "Maatwerk binnen de residentiële zorg nodig; standaardaanbod sluit niet aan.",
    "Onenigheid tussen gemeenten over de financiering van het arrangement.",
    "Overgang naar 18+: vervolgzorg is niet geregeld.",
    "Combinatie van LVB en verslaving; geen aanbieder neemt de jongere op.",
];
const TRIED: &[&str] = &[
    "Ambulante begeleiding, twee crisisplaatsingen, overleg met het onderwijs.",
    "Gezinsbegeleiding en een aanmelding bij drie aanbieders; allen afgewezen.",
    "Dagbehandeling gestart en afgebroken; leerplicht ingeschakeld.",
    "Pleegzorg geprobeerd; plaatsing liep na vier maanden vast.",
];
const NEXT_STEPS: &[&str] = &[
    "Aanbieder start binnen twee weken met een maatwerktraject.",
    "Procesregisseur brengt betrokken partijen samen voor een gezamenlijk plan.",
    "Onderwijs en zorg maken een combinatieplan; start na de vakantie.",
    "Gemeente besluit binnen tien dagen over de financiering.",
];

/// The municipalities of a region as its seeds name them; unknown regions get a small generic list.
pub fn municipalities(region: &str) -> &'static [&'static str] {
    match region {
        "lekstroom" => &[
            "Houten",
            "IJsselstein",
            "Nieuwegein",
            "Lopik",
            "Vijfheerenlanden",
        ],
        "midden-ijssel-oost-veluwe" => &[
            "Apeldoorn",
            "Deventer",
            "Epe",
            "Heerde",
            "Hattem",
            "Lochem",
            "Voorst",
            "Zutphen",
            "Brummen",
        ],
        "rivierenland" => &[
            "Tiel",
            "Culemborg",
            "Buren",
            "Neder-Betuwe",
            "West Betuwe",
            "West Maas en Waal",
            "Maasdriel",
            "Zaltbommel",
        ],
        "flevoland-utrecht" => &[
            "Almere",
            "Lelystad",
            "Utrecht",
            "Amersfoort",
            "Zeist",
            "Dronten",
        ],
        _ => &["Gemeente A", "Gemeente B", "Gemeente C"],
    }
}

/// Where the synthetic cases end up, as shares of a thousand.
const STATE_MIX: &[(CaseState, u32)] = &[
    (CaseState::Submitted, 40),
    (CaseState::Intake, 40),
    (CaseState::Returned, 90),
    (CaseState::Scheduled, 50),
    (CaseState::Discussed, 40),
    (CaseState::InProgress, 130),
    (CaseState::Escalated, 30),
    (CaseState::Closed, 580),
];

const OUTCOME_MIX: &[(Outcome, u32)] = &[
    (Outcome::Solved, 450),
    (Outcome::PartlySolved, 250),
    (Outcome::ReferredOn, 120),
    (Outcome::Escalated, 60),
    (Outcome::NoFittingAnswer, 120),
];

fn pick<T: Copy>(rng: &mut ChaCha8Rng, mix: &[(T, u32)]) -> T {
    let total: u32 = mix.iter().map(|(_, w)| w).sum();
    let mut roll = rng.random_range(0..total);
    for (value, weight) in mix {
        if roll < *weight {
            return *value;
        }
        roll -= weight;
    }
    mix[mix.len() - 1].0
}

/// A BSN from the test range 9999xxxxx that passes the elfproef.
fn test_bsn(rng: &mut ChaCha8Rng) -> String {
    loop {
        let number = 999_900_000 + rng.random_range(0..100_000u32);
        let digits: Vec<u32> = number
            .to_string()
            .chars()
            .filter_map(|c| c.to_digit(10))
            .collect();
        if passes_elfproef(&digits) {
            return number.to_string();
        }
    }
}

fn date_of(ms: i64) -> Date {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map(|t| t.date())
        .unwrap_or(Date::MIN)
}

/// The table sessions of the synthetic period: one every two months.
struct Sessions {
    ids: Vec<String>,
    starts: Vec<i64>,
}

struct Generator {
    rng: ChaCha8Rng,
    region: String,
    start_ms: i64,
    span_ms: i64,
    count: u64,
    sessions: Sessions,
}

/// What is drawn for one case before its path through the table is laid out.
struct Drawn {
    id: String,
    state: CaseState,
    referrer: Referrer,
    age: u32,
    municipality: &'static str,
    categories: Vec<BottleneckCategory>,
    question: &'static str,
    tried: &'static str,
    youth: YouthIdentity,
    submitted_at: i64,
    closed_at: i64,
    /// The session it comes to, if its state needs one.
    session: Option<usize>,
    outcome: Option<Outcome>,
}

/// The actions that bring a case from submitted to `state`.
fn path_to(state: CaseState) -> &'static [Action] {
    use Action::*;
    match state {
        CaseState::Submitted => &[],
        CaseState::Intake => &[StartIntake],
        CaseState::Returned => &[StartIntake, Return],
        CaseState::Scheduled => &[StartIntake, Accept, Schedule],
        CaseState::Discussed => &[StartIntake, Accept, Schedule, RecordDiscussion],
        CaseState::InProgress => &[StartIntake, Accept, Schedule, RecordDiscussion, StartPlan],
        CaseState::Escalated => &[StartIntake, Accept, Schedule, RecordDiscussion, Escalate],
        CaseState::Closed => &[
            StartIntake,
            Accept,
            Schedule,
            RecordDiscussion,
            StartPlan,
            Close,
        ],
    }
}

impl Generator {
    fn uuid_at(&mut self, ms: i64) -> String {
        let random: [u8; 10] = self.rng.random();
        uuid::Builder::from_unix_timestamp_millis(ms as u64, &random)
            .into_uuid()
            .hyphenated()
            .to_string()
    }

    fn session_after(&self, ms: i64) -> Option<usize> {
        self.sessions.starts.iter().position(|s| *s > ms)
    }

    /// The sessions of the period, one every two months.
    fn sessions(&mut self) -> Vec<TableSession> {
        let end_ms = self.start_ms + self.span_ms;
        let mut records = Vec::new();
        let mut at = self.start_ms + 30 * DAY_MS;
        while at < end_ms {
            let id = self.uuid_at(at);
            records.push(TableSession {
                id: id.clone(),
                date: date_of(at),
                start_time: "13:30".into(),
                duration_minutes: 120,
                location: "Gemeentehuis".into(),
                chair: "Voorzitter experttafel".into(),
                agenda: Vec::new(),
                created_at: at - 30 * DAY_MS,
            });
            self.sessions.ids.push(id);
            self.sessions.starts.push(at);
            at += 61 * DAY_MS;
        }
        records
    }

    /// Case `index` of the period, with what the table did for it.
    fn case(&mut self, index: u64, records: &mut Records) {
        let drawn = self.draw(index);
        let path = path_to(drawn.state);
        let session_at = drawn
            .session
            .map(|s| self.sessions.starts[s])
            .unwrap_or(drawn.submitted_at);
        let history = history(&drawn, path, session_at);
        let earliest_open_due = match drawn.session.filter(|_| path.contains(&Action::Schedule)) {
            Some(session) => self.table_work(index, &drawn, path, session, records),
            None => None,
        };
        let reached_table = !matches!(
            drawn.state,
            CaseState::Submitted | CaseState::Intake | CaseState::Returned
        );
        records.cases.push(CaseRecord {
            summary: CaseSummary {
                intake_accepted: reached_table,
                outcome: drawn.outcome,
                updated_at: history.last().map_or(drawn.submitted_at, |h| h.at),
                closed_at: (drawn.state == CaseState::Closed).then_some(drawn.closed_at),
                version: history.len() as i64,
                id: drawn.id,
                state: drawn.state,
                referrer: drawn.referrer,
                age: drawn.age,
                municipality: drawn.municipality.to_owned(),
                categories: drawn.categories,
                submitted_at: drawn.submitted_at,
            },
            question: drawn.question.to_owned(),
            tried_so_far: drawn.tried.to_owned(),
            return_reason: (drawn.state == CaseState::Returned)
                .then(|| "hoort niet aan deze tafel".to_owned()),
            earliest_open_due: earliest_open_due.map(date_of),
            youth: drawn.youth,
            history,
        });
    }

    /// Draws a case's facts; a state its dates cannot reach (no session yet, closed after the period) is moved
    /// back to one they can.
    fn draw(&mut self, index: u64) -> Drawn {
        let rng = &mut self.rng;
        let submitted_at = self.start_ms + (index as i64 * self.span_ms) / self.count.max(1) as i64;
        let mut state = pick(rng, STATE_MIX);
        let age: u32 = rng.random_range(4..=22);
        let municipalities = municipalities(&self.region);
        let municipality = municipalities[rng.random_range(0..municipalities.len())];
        let referrer = if rng.random_bool(0.6) {
            Referrer {
                organisation: format!("Sociaal team {municipality}"),
                kind: ReferrerKind::SocialTeam,
            }
        } else {
            Referrer {
                organisation: PROVIDERS[rng.random_range(0..PROVIDERS.len())].to_owned(),
                kind: ReferrerKind::CareProvider,
            }
        };
        let mut categories: Vec<BottleneckCategory> = Vec::new();
        for _ in 0..rng.random_range(1..=3) {
            let c = BottleneckCategory::ALL[rng.random_range(0..BottleneckCategory::ALL.len())];
            if !categories.contains(&c) {
                categories.push(c);
            }
        }
        let question = QUESTIONS[rng.random_range(0..QUESTIONS.len())];
        let tried = TRIED[rng.random_range(0..TRIED.len())];
        let name = format!(
            "{} {}",
            FIRST_NAMES[rng.random_range(0..FIRST_NAMES.len())],
            LAST_NAMES[rng.random_range(0..LAST_NAMES.len())]
        );
        let bsn = test_bsn(rng);
        let dob = date_of(submitted_at)
            - Duration::days(i64::from(age) * 365 + 30 + rng.random_range(0..300));
        let lead_days: i64 = rng.random_range(14..=240);
        let closed_at = submitted_at + lead_days * DAY_MS;
        let end_ms = self.start_ms + self.span_ms;
        let session = self.session_after(submitted_at + 7 * DAY_MS);
        let reaches_table = !matches!(
            state,
            CaseState::Submitted | CaseState::Intake | CaseState::Returned
        );
        if reaches_table && session.is_none() || state == CaseState::Closed && closed_at > end_ms {
            state = CaseState::InProgress;
            if session.is_none() {
                state = CaseState::Intake;
            }
        }
        let id = self.uuid_at(submitted_at);
        let outcome = (state == CaseState::Closed).then(|| pick(&mut self.rng, OUTCOME_MIX));
        Drawn {
            id,
            state,
            referrer,
            age,
            municipality,
            categories,
            question,
            tried,
            youth: YouthIdentity {
                name,
                bsn: Some(bsn),
                date_of_birth: Some(dob),
            },
            submitted_at,
            closed_at,
            session,
            outcome,
        }
    }

    /// The agenda item, discussion, commitment and tasks of a case that came to `session`; the earliest due
    /// date still open.
    fn table_work(
        &mut self,
        index: u64,
        case: &Drawn,
        path: &[Action],
        session: usize,
        records: &mut Records,
    ) -> Option<i64> {
        let session_id = self.sessions.ids[session].clone();
        let session_at = self.sessions.starts[session];
        records.agenda.push(AgendaRecord {
            session_id: session_id.clone(),
            case_id: case.id.clone(),
            position: index as i64,
            added_at: session_at - DAY_MS,
            youth_present: self.rng.random_bool(0.5),
            parents_present: self.rng.random_bool(0.7),
        });
        if !path.contains(&Action::RecordDiscussion) {
            return None;
        }
        records.discussions.push(DiscussionRecord {
            session_id,
            case_id: case.id.clone(),
            summary: String::new(),
            next_step: NEXT_STEPS[self.rng.random_range(0..NEXT_STEPS.len())].to_owned(),
            regie_holder: case.referrer.organisation.clone(),
            recorded_at: session_at + 2 * 3_600_000,
            recorded_by: "synthetic".into(),
        });
        let provider = PROVIDERS[self.rng.random_range(0..PROVIDERS.len())];
        let due_ms = session_at + self.rng.random_range(14..=60) * DAY_MS;
        let closed = case.state == CaseState::Closed;
        records.commitments.push(Commitment {
            id: self.uuid_at(session_at),
            case_id: case.id.clone(),
            provider: provider.to_owned(),
            description: "Passend aanbod met doorzettingsmacht".into(),
            due: date_of(due_ms),
            authority_confirmed: true,
            status: if closed {
                CommitmentStatus::Delivered
            } else {
                CommitmentStatus::Open
            },
            recorded_at: session_at,
        });
        let mut earliest_open_due = (!closed).then_some(due_ms);
        if path.contains(&Action::StartPlan) {
            for t in 0..self.rng.random_range(1..=3) {
                let due = session_at + (10 + t * 20) * DAY_MS;
                let status = match (closed, self.rng.random_bool(0.6)) {
                    (true, _) | (false, false) => TaskStatus::Done,
                    (false, true) => TaskStatus::Open,
                };
                if status == TaskStatus::Open {
                    earliest_open_due = Some(earliest_open_due.map_or(due, |e| e.min(due)));
                }
                records.tasks.push(Task {
                    id: self.uuid_at(session_at + t),
                    case_id: case.id.clone(),
                    description: "Overleg plannen en afspraken vastleggen".into(),
                    owner: provider.to_owned(),
                    due: date_of(due),
                    status,
                    created_at: session_at,
                    updated_at: session_at,
                });
            }
        }
        earliest_open_due
    }
}

/// A case's history: submitted by its referrer, then each action of `path` at a plausible moment.
fn history(case: &Drawn, path: &[Action], session_at: i64) -> Vec<Transition> {
    let mut entries = vec![Transition {
        sequence: 1,
        at: case.submitted_at,
        actor: case.referrer.organisation.clone(),
        from: CaseState::Submitted,
        to: CaseState::Submitted,
        action: "submit".into(),
        reason: String::new(),
    }];
    let mut current = CaseState::Submitted;
    let mut at = case.submitted_at;
    for action in path {
        at = match action {
            Action::RecordDiscussion => session_at + 2 * 3_600_000,
            Action::Close => case.closed_at,
            Action::Schedule => (case.submitted_at + 5 * DAY_MS)
                .min(session_at - DAY_MS)
                .max(at + 1),
            _ => at + DAY_MS / 2,
        };
        let next = action
            .apply(current)
            .expect("synthetic paths follow the lifecycle");
        let reason = match action {
            Action::Return => "hoort niet aan deze tafel; terug naar het sociaal team".to_owned(),
            Action::Close => case
                .outcome
                .map(|o| o.as_str().to_owned())
                .unwrap_or_default(),
            _ => String::new(),
        };
        entries.push(Transition {
            sequence: entries.len() as i64 + 1,
            at,
            actor: "synthetic".into(),
            from: current,
            to: next,
            action: action.as_str().into(),
            reason,
        });
        current = next;
    }
    entries
}

/// Writes `count` synthetic cases for `region`, calling `progress` with the number written after each batch.
pub async fn fill(
    storage: &Storage,
    region: &str,
    count: u64,
    seed: u64,
    mut progress: impl FnMut(u64),
) -> Result<()> {
    let start_ms = datetime!(2023-01-01 0:00 UTC).unix_timestamp() * 1000;
    let end_ms = datetime!(2026-11-01 0:00 UTC).unix_timestamp() * 1000;
    let mut generator = Generator {
        rng: ChaCha8Rng::seed_from_u64(seed),
        region: region.to_owned(),
        start_ms,
        span_ms: end_ms - start_ms,
        count,
        sessions: Sessions {
            ids: Vec::new(),
            starts: Vec::new(),
        },
    };
    storage.import_sessions(&generator.sessions()).await?;
    let mut written = 0;
    while written < count {
        let mut records = Records::default();
        let upto = (written + BATCH as u64).min(count);
        for index in written..upto {
            generator.case(index, &mut records);
        }
        storage.import(&records).await?;
        written = upto;
        progress(written);
    }
    Ok(())
}
