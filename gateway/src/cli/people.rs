//! `expertnet-gateway people`: the coordinators who sign in to the dashboard as people, kept in the gateway's
//! database (the configuration's `statistics_database`), each mapped to a coordinator identity.

use super::{PeopleArgs, PeopleCommand};
use crate::config::{GatewayConfig, Overrides};
use crate::network::now_ms;
use crate::people::CoordinatorPeople;
use crate::statistics::StatisticsStore;
use anyhow::{Context, Result};
use expertnet_web::password::Password;

/// A new password: `EXPERTNET_PASSWORD`, or one line on standard input.
fn read_password(name: &str) -> Result<Password> {
    if let Ok(password) = std::env::var("EXPERTNET_PASSWORD") {
        return Ok(Password::new(password));
    }
    eprintln!("the password for {name} (one line on standard input):");
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("password: cannot read standard input")?;
    Ok(Password::new(line.trim_end_matches(['\r', '\n'])))
}

pub async fn run(args: PeopleArgs) -> Result<()> {
    let config = GatewayConfig::load(args.config.as_deref(), &Overrides::default())?;
    let store = StatisticsStore::open(&config.statistics_database).await?;
    let people = CoordinatorPeople::new(store.pool().clone(), config.dashboard.sign_in);
    match args.command {
        PeopleCommand::Add { name, coordinator } => {
            let registry = config.load_registry()?;
            let password = read_password(&name)?;
            people.add(&name, &coordinator, password, now_ms()).await?;
            let areas: Vec<&str> = registry
                .areas_of_coordinator(&coordinator)
                .map(|a| a.id.as_str())
                .collect();
            println!(
                "{name} signs in to the dashboard as coordinator {coordinator}: the national figures{}; \
                 they set up their second factor at the first sign-in",
                if areas.is_empty() {
                    String::new()
                } else {
                    format!(" and those of area {} and its regions", areas.join(", "))
                }
            );
        }
        PeopleCommand::List => {
            for person in people.list().await? {
                println!(
                    "{}\tcoordinator {}\t{}{}",
                    person.name,
                    person.coordinator,
                    if person.has_second_factor {
                        "second factor set"
                    } else {
                        "second factor not yet set"
                    },
                    person
                        .locked_until_ms
                        .filter(|until| *until > now_ms())
                        .map(|_| "\tlocked")
                        .unwrap_or_default()
                );
            }
        }
        PeopleCommand::Password { name } => {
            let password = read_password(&name)?;
            people.set_password(&name, password).await?;
            println!("{name}'s password is set; their dashboard sessions have ended");
        }
        PeopleCommand::ResetSecondFactor { name } => {
            people.reset_second_factor(&name).await?;
            println!(
                "{name} sets up a new second factor at the next sign-in; their sessions have ended"
            );
        }
        PeopleCommand::Remove { name } => {
            people.remove(&name).await?;
            println!("{name} may no longer sign in to the dashboard");
        }
    }
    Ok(())
}
