//! Deterministic synthetic cases for demos, benchmarks and statistics: the same seed gives the same data.
//!
//! Nothing here is a real person's data. Names are random combinations from short lists; BSNs are drawn from
//! the 9999xxxxx test range and pass the elfproef; dates lie between 2023-01-01 and 2026-11-01.

use crate::domain::validate::{format_date, passes_elfproef};
use crate::domain::*;
use crate::error::Result;
use crate::storage::bulk::{Value, insert_rows};
use crate::storage::cases::{CATEGORY_COLUMNS, EVENT_COLUMNS};
use crate::storage::{Storage, identity};
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

fn text(value: impl Into<String>) -> Value {
    Value::Text(value.into())
}

/// Where `earliest_open_due` sits in a case row (see the column list in `write`).
const EARLIEST_OPEN_DUE_COLUMN: usize = 16;

/// Rows for one batch, table by table.
#[derive(Default)]
struct Batch {
    cases: Vec<Vec<Value>>,
    categories: Vec<Vec<Value>>,
    identities: Vec<(String, YouthIdentity)>,
    events: Vec<Vec<Value>>,
    agenda: Vec<Vec<Value>>,
    discussions: Vec<Vec<Value>>,
    commitments: Vec<Vec<Value>>,
    tasks: Vec<Vec<Value>>,
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

    fn case(&mut self, index: u64, batch: &mut Batch) {
        let rng = &mut self.rng;
        let submitted_at = self.start_ms + (index as i64 * self.span_ms) / self.count.max(1) as i64;
        let mut state = pick(rng, STATE_MIX);
        let age: u32 = rng.random_range(4..=22);
        let municipalities = municipalities(&self.region);
        let municipality = municipalities[rng.random_range(0..municipalities.len())];
        let social_team = rng.random_bool(0.6);
        let referrer = if social_team {
            format!("Sociaal team {municipality}")
        } else {
            PROVIDERS[rng.random_range(0..PROVIDERS.len())].to_owned()
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
        let submitted_day = date_of(submitted_at);
        let dob =
            submitted_day - Duration::days(i64::from(age) * 365 + 30 + rng.random_range(0..300));
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

        // The path through the lifecycle and its history entries.
        use Action::*;
        let path: &[Action] = match state {
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
        };
        let session_at = session
            .map(|s| self.sessions.starts[s])
            .unwrap_or(submitted_at);
        let mut current = CaseState::Submitted;
        let mut at = submitted_at;
        batch.events.push(vec![
            text(&id),
            Value::Int(1),
            Value::Int(at),
            text(&referrer),
            text("submitted"),
            text("submitted"),
            text("submit"),
            text(""),
        ]);
        for (i, action) in path.iter().enumerate() {
            at = match action {
                RecordDiscussion => session_at + 2 * 3_600_000,
                Close => closed_at,
                Schedule => (submitted_at + 5 * DAY_MS)
                    .min(session_at - DAY_MS)
                    .max(at + 1),
                _ => at + DAY_MS / 2,
            };
            let next = action
                .apply(current)
                .expect("synthetic paths follow the lifecycle");
            let reason = match action {
                Return => "hoort niet aan deze tafel; terug naar het sociaal team".to_owned(),
                Close => outcome.map(|o| o.as_str().to_owned()).unwrap_or_default(),
                _ => String::new(),
            };
            batch.events.push(vec![
                text(&id),
                Value::Int(i as i64 + 2),
                Value::Int(at),
                text("synthetic"),
                text(current.as_str()),
                text(next.as_str()),
                text(action.as_str()),
                text(reason),
            ]);
            current = next;
        }
        let updated_at = at;
        batch.cases.push(vec![
            text(&id),
            text(state.as_str()),
            text(&referrer),
            text(if social_team {
                "social_team"
            } else {
                "care_provider"
            }),
            Value::Int(i64::from(age)),
            text(municipality),
            text(question),
            text(tried),
            text(
                categories
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            Value::Int(i64::from(!matches!(
                state,
                CaseState::Submitted | CaseState::Intake | CaseState::Returned
            ))),
            if state == CaseState::Returned {
                text("hoort niet aan deze tafel")
            } else {
                Value::NullText
            },
            outcome.map(|o| text(o.as_str())).unwrap_or(Value::NullText),
            Value::Int(submitted_at),
            Value::Int(updated_at),
            if state == CaseState::Closed {
                Value::Int(closed_at)
            } else {
                Value::NullInt
            },
            Value::Int(path.len() as i64 + 1),
            Value::NullText,
        ]);
        for c in &categories {
            batch.categories.push(vec![text(c.as_str()), text(&id)]);
        }
        batch.identities.push((
            id.clone(),
            YouthIdentity {
                name,
                bsn: Some(bsn),
                date_of_birth: Some(dob),
            },
        ));
        let Some(session) = session.filter(|_| path.contains(&Schedule)) else {
            return;
        };
        let session_id = self.sessions.ids[session].clone();
        let youth_present = self.rng.random_bool(0.5);
        batch.agenda.push(vec![
            text(&session_id),
            text(&id),
            Value::Int(index as i64),
            Value::Int(session_at - DAY_MS),
            Value::Int(i64::from(youth_present)),
            Value::Int(i64::from(self.rng.random_bool(0.7))),
        ]);
        if !path.contains(&RecordDiscussion) {
            return;
        }
        let next_step = NEXT_STEPS[self.rng.random_range(0..NEXT_STEPS.len())];
        batch.discussions.push(vec![
            text(&session_id),
            text(&id),
            text(""),
            text(next_step),
            text(&referrer),
            Value::Int(session_at + 2 * 3_600_000),
            text("synthetic"),
        ]);
        let provider = PROVIDERS[self.rng.random_range(0..PROVIDERS.len())];
        let due_ms = session_at + self.rng.random_range(14..=60) * DAY_MS;
        let commitment_status = if state == CaseState::Closed {
            "delivered"
        } else {
            "open"
        };
        let mut earliest_open_due = (commitment_status == "open").then_some(due_ms);
        batch.commitments.push(vec![
            text(self.uuid_at(session_at)),
            text(&id),
            text(provider),
            text("Passend aanbod met doorzettingsmacht"),
            text(format_date(date_of(due_ms))),
            Value::Int(1),
            text(commitment_status),
            Value::Int(session_at),
            Value::Int(session_at),
        ]);
        if path.contains(&StartPlan) {
            for t in 0..self.rng.random_range(1..=3) {
                let due = session_at + (10 + t * 20) * DAY_MS;
                let status = match (state, self.rng.random_bool(0.6)) {
                    (CaseState::Closed, _) => "done",
                    (_, true) => "open",
                    (_, false) => "done",
                };
                if status == "open" {
                    earliest_open_due = Some(earliest_open_due.map_or(due, |e| e.min(due)));
                }
                batch.tasks.push(vec![
                    text(self.uuid_at(session_at + t)),
                    text(&id),
                    text("Overleg plannen en afspraken vastleggen"),
                    text(provider),
                    text(format_date(date_of(due))),
                    text(status),
                    Value::Int(session_at),
                    Value::Int(session_at),
                ]);
            }
        }
        if let Some(due) = earliest_open_due {
            let row = batch.cases.last_mut().expect("this case's row");
            row[EARLIEST_OPEN_DUE_COLUMN] = text(format_date(date_of(due)));
        }
    }
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
    let mut session_rows = Vec::new();
    let mut at = start_ms + 30 * DAY_MS;
    while at < end_ms {
        let id = generator.uuid_at(at);
        let day = date_of(at);
        session_rows.push(vec![
            text(&id),
            text(format_date(day)),
            text("13:30"),
            Value::Int(120),
            text("Gemeentehuis"),
            text("Voorzitter experttafel"),
            Value::Int(at - 30 * DAY_MS),
        ]);
        generator.sessions.ids.push(id);
        generator.sessions.starts.push(at);
        at += 61 * DAY_MS;
    }
    let mut tx = storage.begin().await?;
    insert_rows(
        &mut tx,
        storage.backend(),
        "table_sessions",
        &[
            "id",
            "session_date",
            "start_time",
            "duration_minutes",
            "location",
            "chair",
            "created_at",
        ],
        &session_rows,
    )
    .await?;
    tx.commit().await?;

    let mut written = 0;
    while written < count {
        let mut batch = Batch::default();
        let upto = (written + BATCH as u64).min(count);
        for index in written..upto {
            generator.case(index, &mut batch);
        }
        write(storage, &batch).await?;
        written = upto;
        progress(written);
    }
    Ok(())
}

async fn write(storage: &Storage, batch: &Batch) -> Result<()> {
    let mut tx = storage.begin().await?;
    insert_rows(
        &mut tx,
        storage.backend(),
        "cases",
        &[
            "id",
            "state",
            "referrer_organisation",
            "referrer_kind",
            "age",
            "municipality",
            "question",
            "tried_so_far",
            "categories",
            "intake_accepted",
            "return_reason",
            "outcome",
            "submitted_at",
            "updated_at",
            "closed_at",
            "version",
            "earliest_open_due",
        ],
        &batch.cases,
    )
    .await?;
    insert_rows(
        &mut tx,
        storage.backend(),
        "case_categories",
        CATEGORY_COLUMNS,
        &batch.categories,
    )
    .await?;
    let youths: Vec<(&str, &YouthIdentity)> = batch
        .identities
        .iter()
        .map(|(id, y)| (id.as_str(), y))
        .collect();
    identity::insert_many(&mut tx, storage.backend(), &youths).await?;
    insert_rows(
        &mut tx,
        storage.backend(),
        "case_events",
        EVENT_COLUMNS,
        &batch.events,
    )
    .await?;
    insert_rows(
        &mut tx,
        storage.backend(),
        "agenda_items",
        &[
            "session_id",
            "case_id",
            "position",
            "added_at",
            "youth_present",
            "parents_present",
        ],
        &batch.agenda,
    )
    .await?;
    insert_rows(
        &mut tx,
        storage.backend(),
        "discussions",
        &[
            "session_id",
            "case_id",
            "summary",
            "next_step",
            "regie_holder",
            "recorded_at",
            "recorded_by",
        ],
        &batch.discussions,
    )
    .await?;
    insert_rows(
        &mut tx,
        storage.backend(),
        "commitments",
        &[
            "id",
            "case_id",
            "provider",
            "description",
            "due_date",
            "authority_confirmed",
            "status",
            "recorded_at",
            "updated_at",
        ],
        &batch.commitments,
    )
    .await?;
    insert_rows(
        &mut tx,
        storage.backend(),
        "tasks",
        &[
            "id",
            "case_id",
            "description",
            "owner",
            "due_date",
            "status",
            "created_at",
            "updated_at",
        ],
        &batch.tasks,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
