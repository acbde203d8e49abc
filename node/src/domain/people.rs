//! The people who use a node: users with one or more roles, and the caller a request was made by.

pub use super::vocabulary::Role;

/// A person with access to the node. Holds no secret: tokens are kept apart, as digests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Unique at the node; how the audit trail names the person.
    pub name: String,
    pub organisation: String,
    pub roles: Vec<Role>,
    pub created_at: i64,
    pub disabled_at: Option<i64>,
}

/// Who made a request, as the guard established it from their credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub user: String,
    pub organisation: String,
    pub roles: Vec<Role>,
}

impl From<User> for Caller {
    fn from(user: User) -> Caller {
        Caller {
            user: user.name,
            organisation: user.organisation,
            roles: user.roles,
        }
    }
}

impl Caller {
    pub fn roles_text(&self) -> String {
        roles_text(&self.roles)
    }
}

pub fn roles_text(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

impl Role {
    /// Parses a comma list of role words; the error is the first unknown word.
    pub fn parse_list(text: &str) -> Result<Vec<Role>, String> {
        let mut roles = Vec::new();
        for word in text.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            let role = Role::parse(word).ok_or_else(|| word.to_owned())?;
            if !roles.contains(&role) {
                roles.push(role);
            }
        }
        Ok(roles)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_lists_round_trip_and_name_the_unknown_word() {
        let roles = Role::parse_list("chair, intake,chair").unwrap();
        assert_eq!(roles, vec![Role::Chair, Role::Intake]);
        assert_eq!(roles_text(&roles), "chair,intake");
        assert_eq!(Role::parse_list("chair,janitor"), Err("janitor".into()));
    }
}
