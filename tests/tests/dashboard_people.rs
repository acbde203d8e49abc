//! The dashboard's people on SQLite and PostgreSQL alike: a person is added once, with a name and password that
//! pass the checks; a sign-in asks for the second factor, set up from a pending secret at the first code; a code
//! is good once; failures lock the person out for a while and end their sessions; a session ends when idle or
//! too old; a new password or a reset second factor ends every session of the person.

use expertnet_gateway::Error;
use expertnet_gateway::people::{CoordinatorPeople, Session};
use expertnet_gateway::statistics::StatisticsStore;
use expertnet_tests::{TestDb, refused_and_locked};
use expertnet_web::password::Password;
use expertnet_web::second_factor::TotpSecret;
use expertnet_web::sign_in::{CodeCheck, SignIn, SignInPolicy, Stage};

const NOW_MS: i64 = 1_796_475_909_000;
const MINUTE_MS: i64 = 60_000;
const PASSWORD: &str = "een lang wachtwoord";
const POLICY: SignInPolicy = SignInPolicy {
    max_failures: 3,
    lock_minutes: 15,
    idle_minutes: 15,
    absolute_hours: 10,
};

async fn started(
    people: &CoordinatorPeople,
    name: &str,
    password: &str,
    now_ms: i64,
) -> (String, Stage) {
    match people
        .sign_in(name, Password::new(password), now_ms)
        .await
        .unwrap()
    {
        SignIn::Started { token, stage } => (token.reveal().to_owned(), stage),
        other => panic!("{name}: {other:?}"),
    }
}

async fn session(people: &CoordinatorPeople, token: &str, now_ms: i64) -> Session {
    people
        .session(token, now_ms, true)
        .await
        .unwrap()
        .expect("a live session")
}

/// The code an app shows at `now_ms` for `secret`.
fn code(secret: &TotpSecret, now_ms: i64) -> String {
    secret.code_at((now_ms / 1000) as u64)
}

async fn people_sign_in_and_are_held_to_the_policy(url: &str) {
    let store = StatisticsStore::open(url).await.unwrap();
    let people = CoordinatorPeople::new(store.pool().clone(), POLICY);

    // Adding: checked names and passwords, once per name.
    people
        .add(
            "anna",
            "coordinator-oost-nederland",
            Password::new(PASSWORD),
            NOW_MS,
        )
        .await
        .unwrap();
    let taken = people
        .add("anna", "coordinator", Password::new(PASSWORD), NOW_MS)
        .await
        .unwrap_err();
    assert!(matches!(taken, Error::AlreadyExists(_)), "{taken}");
    let weak = people
        .add("bert", "coordinator", Password::new("kort"), NOW_MS)
        .await
        .unwrap_err();
    assert_eq!(
        weak.to_string(),
        "password: must be at least 12 characters long (it is 4)"
    );
    let odd = people
        .add("bert eén", "coordinator", Password::new(PASSWORD), NOW_MS)
        .await
        .unwrap_err();
    assert!(
        odd.to_string().starts_with("name: 'bert eén' must be"),
        "{odd}"
    );
    let odd = people
        .add("bert", "coordinator/../x", Password::new(PASSWORD), NOW_MS)
        .await
        .unwrap_err();
    assert!(odd.to_string().starts_with("coordinator: "), "{odd}");
    let listed = people.list().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (
            listed[0].name.as_str(),
            listed[0].coordinator.as_str(),
            listed[0].has_second_factor
        ),
        ("anna", "coordinator-oost-nederland", false)
    );

    // The first sign-in sets up the second factor: a wrong code is refused, the pending secret's code taken.
    let unknown = people
        .sign_in("nobody", Password::new(PASSWORD), NOW_MS)
        .await
        .unwrap();
    assert!(matches!(unknown, SignIn::Refused));
    let (token, stage) = started(&people, "anna", PASSWORD, NOW_MS).await;
    assert_eq!(stage, Stage::Enrol);
    let enrolling = session(&people, &token, NOW_MS).await;
    assert_eq!(enrolling.coordinator, "coordinator-oost-nederland");
    let secret = enrolling
        .pending_secret
        .clone()
        .expect("a secret to set up");
    let (wrong, none) = people
        .confirm_code(&enrolling, "000000", NOW_MS)
        .await
        .unwrap();
    assert_eq!((wrong, none.is_none()), (CodeCheck::Refused, true));
    let (right, renewed) = people
        .confirm_code(&enrolling, &code(&secret, NOW_MS), NOW_MS)
        .await
        .unwrap();
    assert_eq!(right, CodeCheck::Accepted);
    // Signed in, the session goes on under a new token; the one that waited for the code is worthless.
    assert!(
        people
            .session(&token, NOW_MS, true)
            .await
            .unwrap()
            .is_none()
    );
    let token = renewed.expect("a new token").reveal().to_owned();
    let signed_in = session(&people, &token, NOW_MS).await;
    assert_eq!(signed_in.stage, Stage::SignedIn);
    assert!(signed_in.pending_secret.is_none());
    assert!(people.list().await.unwrap()[0].has_second_factor);

    // The next sign-in asks for a code; the one just used is not good again, the next step's is.
    let (waiting, stage) = started(&people, "anna", PASSWORD, NOW_MS + 1_000).await;
    assert_eq!(stage, Stage::SecondFactor);
    let asking = session(&people, &waiting, NOW_MS + 1_000).await;
    let (replayed, _) = people
        .confirm_code(&asking, &code(&secret, NOW_MS), NOW_MS + 1_000)
        .await
        .unwrap();
    assert_eq!(replayed, CodeCheck::Refused, "a code is good once");
    let later = NOW_MS + 30_000;
    let (accepted, renewed) = people
        .confirm_code(&asking, &code(&secret, later), later)
        .await
        .unwrap();
    assert_eq!(accepted, CodeCheck::Accepted);
    let second = renewed.unwrap().reveal().to_owned();

    // Idle too long, or too old, a session ends.
    assert!(
        session(&people, &second, later + 14 * MINUTE_MS)
            .await
            .stage
            == Stage::SignedIn
    );
    // A page reading itself again (not in use) does not keep the session from ending.
    let watched = people
        .session(&second, later + 24 * MINUTE_MS, false)
        .await
        .unwrap();
    assert!(watched.is_some());
    let idle = later + 14 * MINUTE_MS + 16 * MINUTE_MS;
    assert!(people.session(&second, idle, true).await.unwrap().is_none());
    assert!(
        people
            .session(&second, idle - 1, true)
            .await
            .unwrap()
            .is_none(),
        "ended, not only hidden"
    );
    // Used every ten minutes, a session still ends ten hours after sign-in.
    let mut at = NOW_MS;
    let ended_at = loop {
        at += 10 * MINUTE_MS;
        if people.session(&token, at, true).await.unwrap().is_none() {
            break at;
        }
        assert!(at < NOW_MS + 11 * 60 * MINUTE_MS, "the session never ended");
    };
    assert_eq!(ended_at, NOW_MS + 610 * MINUTE_MS);
    assert!(
        people
            .session("exn_not-a-token", NOW_MS, true)
            .await
            .unwrap()
            .is_none()
    );

    // Three failures in a row lock the person out and end their sessions; the right password then waits.
    let (live, _) = started(&people, "anna", PASSWORD, NOW_MS).await;
    let t = NOW_MS + 60_000;
    for _ in 0..2 {
        let refused = people
            .sign_in("anna", Password::new("fout wachtwoord!"), t)
            .await
            .unwrap();
        assert!(matches!(refused, SignIn::Refused));
    }
    let locked = people
        .sign_in("anna", Password::new("fout wachtwoord!"), t)
        .await
        .unwrap();
    let SignIn::Locked { until_ms } = locked else {
        panic!("{locked:?}");
    };
    assert_eq!(until_ms, t + 15 * MINUTE_MS);
    assert!(
        people.session(&live, t, true).await.unwrap().is_none(),
        "the lock ends sessions"
    );
    let waiting = people
        .sign_in("anna", Password::new(PASSWORD), t + MINUTE_MS)
        .await
        .unwrap();
    assert!(matches!(waiting, SignIn::Locked { .. }));
    let (after, _) = started(&people, "anna", PASSWORD, until_ms + 1).await;

    // A new password, or a reset second factor, ends every session; the reset asks for a new set-up.
    people
        .set_password("anna", Password::new("een ander lang wachtwoord"))
        .await
        .unwrap();
    assert!(
        people
            .session(&after, until_ms + 2, true)
            .await
            .unwrap()
            .is_none()
    );
    let refused = people
        .sign_in("anna", Password::new(PASSWORD), until_ms + 3)
        .await
        .unwrap();
    assert!(matches!(refused, SignIn::Refused));
    people.reset_second_factor("anna").await.unwrap();
    let (_, stage) = started(&people, "anna", "een ander lang wachtwoord", until_ms + 4).await;
    assert_eq!(stage, Stage::Enrol);
    for err in [
        people
            .set_password("nobody", Password::new(PASSWORD))
            .await
            .unwrap_err(),
        people.reset_second_factor("nobody").await.unwrap_err(),
        people.remove("nobody").await.unwrap_err(),
    ] {
        assert_eq!(err.to_string(), "no person named nobody");
    }
    people.remove("anna").await.unwrap();
    assert!(people.list().await.unwrap().is_empty());

    // Guesses sent at once: each takes a number before it is checked, so no more than the policy allows are
    // ever tried before the lock.
    people
        .add("bert", "coordinator", Password::new(PASSWORD), NOW_MS)
        .await
        .unwrap();
    let t = NOW_MS + 24 * 60 * MINUTE_MS;
    let guesses = (0..10).map(|_| people.sign_in("bert", Password::new("geraden wachtwoord"), t));
    let answers = futures_util::future::join_all(guesses).await;
    let (refused, locked) = refused_and_locked(&answers);
    assert!(refused <= 2, "{answers:?}");
    assert_eq!(refused + locked, 10, "{answers:?}");
    let right = people
        .sign_in("bert", Password::new(PASSWORD), t + 1)
        .await
        .unwrap();
    assert!(matches!(right, SignIn::Locked { .. }), "{right:?}");

    // The right password buys no fresh codes: failures at the code step count on across sign-ins.
    let u = t + 16 * MINUTE_MS;
    let (first, _) = started(&people, "bert", PASSWORD, u).await;
    let enrolling = session(&people, &first, u).await;
    for _ in 0..2 {
        let (check, _) = people.confirm_code(&enrolling, "000000", u).await.unwrap();
        assert_eq!(check, CodeCheck::Refused);
    }
    let (again, _) = started(&people, "bert", PASSWORD, u + 1).await;
    let enrolling = session(&people, &again, u + 1).await;
    let (check, _) = people
        .confirm_code(&enrolling, "000000", u + 1)
        .await
        .unwrap();
    assert!(matches!(check, CodeCheck::Locked { .. }), "{check:?}");

    // Sessions nobody presents again are deleted past their limit, with the secret being set up.
    let v = u + 16 * MINUTE_MS;
    let (abandoned, _) = started(&people, "bert", PASSWORD, v).await;
    let refused = people
        .sign_in("nobody", Password::new(PASSWORD), v + 16 * MINUTE_MS)
        .await
        .unwrap();
    assert!(matches!(refused, SignIn::Refused));
    assert!(
        people
            .session(&abandoned, v + 1, true)
            .await
            .unwrap()
            .is_none(),
        "deleted when someone signed in after its idle limit"
    );
}

#[tokio::test]
async fn dashboard_people_on_sqlite() {
    let db = TestDb::sqlite();
    people_sign_in_and_are_held_to_the_policy(&db.url).await;
}

#[tokio::test]
async fn dashboard_people_on_postgres() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    people_sign_in_and_are_held_to_the_policy(&db.url).await;
    db.remove().await;
}
