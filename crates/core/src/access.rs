//! Who may do what: the four roles of SPEC §3.9, scoped to bodies.
//!
//! Pure rules, so every page and API route asks the same question the same way and the tests
//! can enumerate every role × action × body.

use serde::{Deserialize, Serialize};

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, every body, settings and users.
    Administrator,
    /// Works and oversees the inboxes of their bodies: assigns, re-routes, approves replies.
    Supervisor,
    /// Answers the conversations of their bodies.
    Agent,
    /// Reads scorecards, reports and public conversations; never replies, never sees DMs.
    Analyst,
}

impl Role {
    /// Parses `administrator|supervisor|agent|analyst`.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "administrator" | "admin" => Some(Role::Administrator),
            "supervisor" => Some(Role::Supervisor),
            "agent" => Some(Role::Agent),
            "analyst" => Some(Role::Analyst),
            _ => None,
        }
    }

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::Supervisor => "supervisor",
            Role::Agent => "agent",
            Role::Analyst => "analyst",
        }
    }
}

/// Something a user may try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// See a public conversation of a body.
    ViewPublic,
    /// See a private (DM) conversation of a body.
    ViewPrivate,
    /// Reply, note, change status, label.
    Work,
    /// Assign to others, re-route to another body, approve four-eyes replies.
    Supervise,
    /// Users, bodies, calendars, SLA policies, webhooks, tokens.
    Administer,
}

/// A signed-in user's rights.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    /// Role.
    pub role: Role,
    /// Bodies the user works for (ignored for administrators, who see all).
    pub bodies: Vec<String>,
}

impl Access {
    /// Whether the user sees every body.
    pub fn all_bodies(&self) -> bool {
        self.role == Role::Administrator
    }

    /// Whether the user's scope includes a body (`None`: a conversation not routed yet, which
    /// only administrators see).
    pub fn covers(&self, body: Option<&str>) -> bool {
        self.all_bodies() || body.is_some_and(|b| self.bodies.iter().any(|mine| mine == b))
    }

    /// May the user do `action` on something of `body`?
    pub fn may(&self, action: Action, body: Option<&str>) -> bool {
        let role_allows = match (self.role, action) {
            (Role::Administrator, _) => true,
            (Role::Supervisor, Action::Administer) => false,
            (Role::Supervisor, _) => true,
            (Role::Agent, Action::ViewPublic | Action::ViewPrivate | Action::Work) => true,
            (Role::Agent, _) => false,
            (Role::Analyst, Action::ViewPublic) => true,
            (Role::Analyst, _) => false,
        };
        role_allows && (action == Action::Administer || self.covers(body))
    }

    /// May the user see a conversation of this channel and body?
    pub fn may_view(&self, private: bool, body: Option<&str>) -> bool {
        let action = if private {
            Action::ViewPrivate
        } else {
            Action::ViewPublic
        };
        self.may(action, body)
    }
}

/// Fills a canned response's variables: `{{citizen}}`, `{{agent}}`, `{{body}}`,
/// `{{conversation}}`. Unknown variables stay as written so the agent sees them before sending.
pub fn fill_canned(template: &str, vars: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        match after.find("}}") {
            Some(close) => {
                let name = after[..close].trim();
                match vars.iter().find(|(key, _)| *key == name) {
                    Some((_, value)) => out.push_str(value),
                    None => out.push_str(&rest[open..open + 2 + close + 2]),
                }
                rest = &after[close + 2..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role, bodies: &[&str]) -> Access {
        Access {
            role,
            bodies: bodies.iter().map(|b| b.to_string()).collect(),
        }
    }

    #[test]
    fn agents_never_see_other_bodies_private_messages() {
        let agent = user(Role::Agent, &["health"]);
        assert!(agent.may_view(true, Some("health")));
        assert!(!agent.may_view(true, Some("education")));
        assert!(!agent.may_view(false, Some("education")));
        assert!(!agent.may_view(true, None));
        assert!(!agent.may(Action::Supervise, Some("health")));
    }

    #[test]
    fn analysts_read_public_only_and_never_work() {
        let analyst = user(Role::Analyst, &["health"]);
        assert!(analyst.may_view(false, Some("health")));
        assert!(!analyst.may_view(true, Some("health")));
        assert!(!analyst.may(Action::Work, Some("health")));
    }

    #[test]
    fn supervisors_supervise_their_bodies_but_do_not_administer() {
        let supervisor = user(Role::Supervisor, &["health"]);
        assert!(supervisor.may(Action::Supervise, Some("health")));
        assert!(!supervisor.may(Action::Supervise, Some("education")));
        assert!(!supervisor.may(Action::Administer, None));
        let admin = user(Role::Administrator, &[]);
        assert!(admin.may(Action::ViewPrivate, Some("anything")));
        assert!(admin.may(Action::Administer, None));
    }

    #[test]
    fn canned_variables_fill_and_unknown_ones_stay() {
        let text = fill_canned(
            "أهلاً {{citizen}}، معك {{ agent }} من {{body}} {{unknown}} {{",
            &[
                ("citizen", "@ali"),
                ("agent", "منى"),
                ("body", "وزارة الصحة"),
            ],
        );
        assert_eq!(text, "أهلاً @ali، معك منى من وزارة الصحة {{unknown}} {{");
    }
}
